/* The compiler: AST (with scopes resolved) -> Code objects.
 *
 * One Compiler per code object being built, chained to its enclosing one; one function per AST
 * node kind.  The compiler tracks the value-stack depth of every instruction it emits, so each
 * Code knows how big a frame it needs, and keeps a stack of the blocks (loops, try, with, except)
 * it is inside, so break / continue / return can unwind them on the way out.
 */
#ifndef AIO_COMPILE_H
#define AIO_COMPILE_H

#include "parse.h"
#include "vm.h"

// Compiles a parsed module.  Returns NULL with *err filled on a compile-time SyntaxError.
ObjCode *compile_module(Vm *vm, Ast *module, const char *filename, SyntaxErr *err);

#endif
