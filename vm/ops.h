/* The object protocol (vm/ops.c): what every operator, subscript, truth test, hash, repr and
 * iteration does to any value.  Each has an inline path for the built-in types and otherwise
 * calls the dunder method of the value's class, in CPython's order (ops.c explains it).  Also the
 * work of the interpreter's compound instructions that needs the protocol.
 *
 * Attribute lookup is in attr.h.  All return false (NULL, -1) with an exception pending on error.
 */
#ifndef AIO_OPS_H
#define AIO_OPS_H

#include "object.h"

ObjClass *vm_class_of(Vm *vm, Value v); // type(v)
const char *vm_type_name(Vm *vm, Value v);
bool vm_is_instance(Vm *vm, Value v, ObjClass *cls);
bool vm_truthy(Vm *vm, Value v, bool *out);
bool vm_equal(Vm *vm, Value a, Value b, bool *out);
bool vm_hash(Vm *vm, Value v, uint64_t *out);
ObjStr *vm_repr(Vm *vm, Value v);
ObjStr *vm_str(Vm *vm, Value v);
// repr(v) through v's __repr__ without a recursion level of its own (vm_repr adds one): what
// object.__str__ calls, as CPython's calls the type's repr slot directly.
ObjStr *vm_repr_by_method(Vm *vm, Value v);
bool vm_binary_op(Vm *vm, int op, Value a, Value b, Value *out); // BINARY_OP's argument (opcodes.h)
bool vm_unary_op(Vm *vm, int op, Value a, Value *out);           // UNARY_NEG / POS / INVERT
bool vm_compare(Vm *vm, int op, Value a, Value b, Value *out);   // a CompareOp
bool vm_contains(Vm *vm, Value container, Value item, bool *out);
bool vm_getitem(Vm *vm, Value obj, Value key, Value *out);
bool vm_setitem(Vm *vm, Value obj, Value key, Value value);
bool vm_delitem(Vm *vm, Value obj, Value key);
bool vm_len(Vm *vm, Value obj, int64_t *out);
bool vm_iter(Vm *vm, Value obj, Value *out);
// 1 with *out set, 0 when exhausted, -1 on error.
int vm_next(Vm *vm, Value iter, Value *out);
// Collects an iterable into a fresh list.
ObjList *vm_list_from_iterable(Vm *vm, Value iterable);
bool vm_index_value(Vm *vm, Value v, int64_t *out); // __index__ semantics: ints and bools only

// ---- the interpreter's compound instructions ----------------------------------------------------
// MAKE_FUNCTION: the code object and the pieces its flags name are on the stack below sp.
bool vm_build_function(Vm *vm, Frame *frame, int flags, Value *sp, Value *out);
// BEFORE_WITH / BEFORE_ASYNC_WITH: looks up __enter__/__exit__ (or their async forms) on the
// manager's class, calls the first and gives the bound second.
bool vm_with_enter(Vm *vm, Value mgr, bool is_async, Value *exit, Value *enter_result);
// GET_AWAITABLE: a coroutine as it is, else what __await__ returns.
bool vm_get_awaitable(Vm *vm, Value v, Value *out);
// PRINT_EXPR: repr(v) and a newline to sys.stdout, v as builtins._ (None is not printed).
bool vm_print_expr(Vm *vm, Value v);

#endif
