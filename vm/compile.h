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

// The compiler's objects are GC roots while it runs (the GC calls this).
void compile_mark_roots(Vm *vm);

#endif
