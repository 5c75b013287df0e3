/* The seam between the interpreter and the runtime: what vm.c calls in runtime/ for its
 * compound instructions, and what runtime/ calls in vm.c to run code.  Everything else crosses
 * through vm.h's public API.
 */
#ifndef AIO_INTERP_H
#define AIO_INTERP_H

#include "vm.h"

// vm.c: running code objects
bool vm_run_code(Vm *vm, ObjCode *code, ObjDict *globals, Value *result);
bool vm_run_class_body(Vm *vm, ObjFunction *fn, ObjDict *ns);

// compile.c: the compiler's objects are GC roots while it runs
void compile_mark_roots(Vm *vm);

// vm/ops.c: MAKE_FUNCTION, SETUP_WITH / BEFORE_ASYNC_WITH, GET_AWAITABLE, PRINT_EXPR
bool build_function(Vm *vm, Frame *frame, int flags, Value *sp, Value *out);
bool with_enter(Vm *vm, Value mgr, bool is_async, Value *exit, Value *enter_result);
bool get_awaitable(Vm *vm, Value v, Value *out);
bool vm_print_expr(Vm *vm, Value v);
// vm/attr.c: LOAD_BUILD_CLASS
bool load_build_class(Vm *vm, Value *out);

#endif
