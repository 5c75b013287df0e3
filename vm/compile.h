/* The compiler: AST (with scopes resolved) -> Code objects.
 *
 * One Compiler per code object being built, chained to its enclosing one; one function per AST
 * node kind.  While emitting, the compiler keeps a stack of the blocks (loops, try, with, except)
 * it is inside, so break / continue / return can unwind them on the way out.  Once a Code's
 * instructions are complete, a flow pass over them (compute_sizes in compile.c) finds the
 * deepest the value stack and the block stack get on any path: that fixes how big a frame the
 * Code needs (frame_size_for in frame.h).
 */
#ifndef AIO_COMPILE_H
#define AIO_COMPILE_H

#include "parse.h"
#include "vm.h"

// Compiles a parsed module.  Returns NULL with *err filled on a compile-time SyntaxError.
ObjCode *compile_module(Vm *vm, Ast *module, const char *filename, SyntaxErr *err);

// The whole front end and the compiler in one call: parses, resolves scopes and compiles source.
// Returns NULL with a SyntaxError pending on vm when any of them fails.
ObjCode *vm_compile_source(Vm *vm, const char *filename, const char *text, size_t length);

// A REPL entry: as vm_compile_source, but the parser allows top-level await and the code prints
// the value of each expression statement (PRINT_EXPR).  Code that awaits has CODE_COROUTINE:
// calling a function made of it gives a coroutine running in the function's globals.  When the
// text ends inside an unfinished block (or bracket), returns NULL with *incomplete set and no
// exception pending: the REPL asks for another line.
ObjCode *vm_compile_entry(Vm *vm, const char *filename, const char *text, size_t length, bool *incomplete);

// The compiler's objects are GC roots while it runs (the GC calls this).
void compile_mark_roots(Vm *vm);

#endif
