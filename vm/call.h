/* Calls: how C code calls Python (vm_call and its variants), how a module's code and a class body
 * are run, and the depth checks every entered frame passes (vm/call.c).
 *
 * A call from bytecode to bytecode never comes here: CALL pushes the new frame inside the
 * dispatch loop (vm.c).  What comes here is a call made from C -- a native calling back, the
 * event loop running a callback, a class being instantiated -- and bytecode calls of anything
 * that is not a plain Python function.  A Python function called from C runs in a nested
 * vm_run() on a boundary frame, the interpreter's only C recursion.
 */
#ifndef AIO_CALL_H
#define AIO_CALL_H

#include "vm.h"

// ---- running code -------------------------------------------------------------------------------
// Compiles and runs source as the module `name` with the given namespace.  Returns false with an
// exception pending (a SyntaxError too).
bool vm_run_source(Vm *vm, const char *filename, const char *text, size_t length, ObjDict *globals,
                   Value *result);
// Runs a module's code with the given globals (also its locals).
bool vm_run_code(Vm *vm, ObjCode *code, ObjDict *globals, Value *result);
// Runs a class body (the function the class statement compiled) with ns as its namespace.
bool vm_run_class_body(Vm *vm, ObjFunction *fn, ObjDict *ns);

// ---- calling from C -----------------------------------------------------------------------------
// Calls any callable with positional args (and keyword values after them, named by kwnames).
bool vm_call(Vm *vm, Value callee, Value *args, int nargs, ObjTuple *kwnames, Value *result);
static inline bool vm_call0(Vm *vm, Value f, Value *out) { return vm_call(vm, f, NULL, 0, NULL, out); }
bool vm_call1(Vm *vm, Value f, Value a, Value *out);
bool vm_call2(Vm *vm, Value f, Value a, Value b, Value *out);
// Looks up a special method on the type of obj and calls it.  Returns 0 when the type has no such
// method, 1 on success, -1 with an exception pending.
int vm_call_method(Vm *vm, Value obj, ObjStr *name, Value *args, int nargs, Value *result);
// CALL_FUNCTION_EX: f(*args, **kwargs), with the stack holding EMPTY f argtuple [kwdict] from
// base up.
bool vm_call_function_ex(Vm *vm, Value *base, bool has_kw, Value *out);
// How call errors name a callee, as CPython does: "__main__.f()", "list.append()", "int object".
void vm_describe_callee(Vm *vm, Value callee, char *buf, size_t size);
// The code and line the innermost bytecode frame is at (where a native was called from); NULL
// code when no bytecode is running.
void vm_caller_line(Vm *vm, ObjCode **code, int *line);

// ---- depth ------------------------------------------------------------------------------------
// Every C path that can recurse as deep as a program likes -- a native or a __call__ calling
// back into the interpreter, repr / == / hash walking nested containers, json.dumps, callbacks
// that re-enter the event loop -- brackets each level with vm_enter_c_level / vm_leave_c_level.
// As in CPython 3.11 these levels count against the Python call limit (sys.getrecursionlimit()),
// and they also stop before the C stack itself runs out, so no limit a program sets can crash
// aio.  `where` completes the message ("", " while calling a Python object", ...).
bool vm_enter_c_level(Vm *vm, const char *where);
#define CALL_WHERE " while calling a Python object"
#define REPR_WHERE " while getting the repr of an object"
#define COMPARE_WHERE " in comparison"
static inline void vm_leave_c_level(Vm *vm) { vm->depth--; }

// One more Python-level frame: the check CPython makes on every call.  Whoever succeeds here
// owes a vm->depth-- when the frame ends (RETURN_VALUE, YIELD_VALUE and unwinding do it).
static inline bool vm_enter_depth(Vm *vm) {
    if (vm->depth >= vm->recursion_limit) {
        return vm_raise(vm, vm->RecursionError, "maximum recursion depth exceeded");
    }
    vm->depth++;
    return true;
}

// How much C stack is in use, measured from the address of a local against the one vm_new
// recorded (the stack grows down on every platform aio runs on).
static inline bool vm_c_stack_exhausted(Vm *vm) {
    char here;
    return vm->stack_base && vm->stack_base - &here > MAX_C_STACK;
}

// Python code called from C nests a vm_run() on the C stack; this keeps that nesting within bounds.
static inline bool vm_check_c_stack(Vm *vm) {
    if (vm->native_depth >= MAX_NATIVE_DEPTH || vm_c_stack_exhausted(vm))
        return vm_raise(vm, vm->RecursionError, "maximum recursion depth exceeded");
    return true;
}

#endif
