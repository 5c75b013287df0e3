/* The one upward interface: what the VM needs from the layers above it, registered by them.
 *
 * The layers are base -> lexer -> parser -> vm -> runtime -> stdlib, and a lower layer never
 * includes a higher one.  vm/ holds the core a Python program cannot run without: the compiler,
 * the dispatch loop, the GC, the object layouts and constructors (object.h), the object protocol
 * (ops.c), attribute lookup (attr.c), hashing (hash.c) and the dict and set tables.  A few things
 * the core does still depend on code that lives above it, because that code belongs with a
 * built-in type or a library:
 *   - the arithmetic of int, bool and float and the text of floats, big ints and strs, which the
 *     object protocol uses before it looks for dunder methods (runtime/number.c, numparse.c,
 *     bigint.c, str.c);
 *   - the instructions whose work is a library's: f-string formatting (FORMAT_VALUE), import
 *     (IMPORT_NAME / IMPORT_FROM / IMPORT_STAR), except* (CHECK_EG_MATCH / PREP_RERAISE_STAR) and
 *     an exception's __traceback__ (runtime/format.c, import.c, exceptions.c);
 *   - asyncio's C objects, whose layouts are runtime/asyncio.h's: the GC must trace and free
 *     them (runtime/async_gc.c), SEND and gen_send must resume the C coroutine asyncio.sleep()
 *     returns (runtime/sleep.c);
 *   - the checks between instructions must run the queued finalizers (runtime/future.c) and the
 *     Python-level signal handlers (stdlib/mod_signal.c).
 * Instead of calling up, the VM calls through vm_hooks, which the higher layers fill in:
 * runtime_init() at startup, before any code runs, and mod_signal.c when it installs its C signal
 * handler.  The hooks marked "required" are called without a check: runtime_init() sets them all.
 * Any other NULL hook means its layer is not linked in or not initialised, and the comment on it
 * says what happens then.  Nothing else in vm/ reaches above vm/ (tests/layers.py checks the
 * includes).
 */
#ifndef AIO_HOOKS_H
#define AIO_HOOKS_H

#include "vm.h"

typedef struct {
    // ---- the built-in types, for the object protocol (vm/ops.c) ---- all required
    // Arithmetic on int, bool and float (runtime/number.c): 1 done (*out set), 0 when an operand
    // is not a number (the protocol then tries __op__ / __rop__), -1 error pending.  op is
    // BINARY_OP's argument (a BinaryOp, + BINOP_INPLACE for the in-place form), a CompareOp, or
    // UNARY_NEG / UNARY_POS / UNARY_INVERT.
    int (*number_binary_op)(Vm *vm, int op, Value a, Value b, Value *out);
    int (*number_compare)(Vm *vm, int op, Value a, Value b, Value *out);
    int (*number_unary_op)(Vm *vm, int op, Value a, Value *out);
    // repr() of a float, a str and an int too big for an immediate (vm_repr's fast paths).
    void (*float_repr_into)(double d, StrBuf *out);
    void (*str_repr_into)(ObjStr *s, StrBuf *out);
    ObjStr *(*bigint_repr)(Vm *vm, Value v); // NULL with an exception pending (digit limit)

    // ---- instructions whose work is in runtime/ ---- all required
    // FORMAT_VALUE: conversion 0 none, 1 str, 2 repr, 3 ascii; spec EMPTY or a str.
    bool (*format_for_fstring)(Vm *vm, Value v, int conversion, Value spec, Value *out);
    // IMPORT_NAME, IMPORT_FROM, IMPORT_STAR.
    bool (*import_name)(Vm *vm, ObjStr *name, Value fromlist, Value *out);
    bool (*import_from)(Vm *vm, Value module, ObjStr *name, Value *out);
    bool (*import_star)(Vm *vm, Value module, ObjDict *into);
    // CHECK_EG_MATCH: splits exc by a handler's type (a naked exception is wrapped in a group
    // first).  PREP_RERAISE_STAR: what an except* statement raises at its end.
    bool (*exception_group_match)(Vm *vm, Value exc, Value type, Value *match, Value *rest);
    bool (*exception_group_reraise)(Vm *vm, Value orig, Value rest, ObjList *raised, Value *out);
    // e.__traceback__ (None, or traceback objects made from e's trace entries), and setting it
    // (None or a traceback; TypeError otherwise).
    Value (*exception_traceback)(Vm *vm, ObjException *e);
    bool (*exception_set_traceback)(Vm *vm, ObjException *e, Value tb);
    // __doc__ of a built-in function, method or class, which the C objects do not carry: this
    // project's description of it (runtime/builtin_doc.c), or None.  self: the object a method
    // is bound to, else EMPTY.  Never leaves an exception pending.  NULL: always None.
    Value (*builtin_doc)(Vm *vm, Value obj, Value self);

    // ---- asyncio's C objects, finalizers and signals ----
    // The GC's view of asyncio's C objects (Future, Task, Handle, sleep, loop), whose layouts are
    // runtime/asyncio.h's (runtime/async_gc.c).  Required once such an object exists, which only
    // runtime/ can make.  mark_async marks what one refers to; free_async releases its C state (a
    // loop's libuv handles and queues) and returns its allocation's size; async_wants_finalizer
    // says whether a future or sleep has a message for when it is collected (unreachable), or
    // might still come to have one (reachable).
    void (*mark_async)(Vm *vm, Obj *obj);
    size_t (*free_async)(Obj *obj);
    bool (*async_wants_finalizer)(Obj *obj, bool unreachable);
    // Sends value (or throws exc, when not EMPTY) into a native sleep coroutine, as gen_resume
    // does for a generator.  Must be set before any ObjSleep exists.
    RunResult (*resume_sleep)(Vm *vm, ObjSleep *s, Value value, Value exc, Value *out);
    // GET_AWAITABLE: notes that the sleep was awaited (else, collected, it reports "coroutine
    // 'sleep' was never awaited").  Set with resume_sleep.
    void (*sleep_awaited)(ObjSleep *s);
    // An expression statement's call made a coroutine (a generator or a native sleep) that the
    // statement drops at once: reports it now if it never started, as CPython does when it frees
    // it (runtime/hints.c).  NULL: the collector reports it later.
    void (*coroutine_dropped)(Vm *vm, Value coro);
    // A collection's look at the running loop's waiting tasks (runtime/lost_waker.c): before_marking
    // runs before the roots are marked, after_marking once everything reachable without passing
    // through the tasks it set aside is marked; it must then mark those tasks (gc_mark_object,
    // gc_trace), so the collection goes on as usual.  NULL: nothing is set aside.
    void (*before_marking)(Vm *vm);
    void (*after_marking)(Vm *vm);
    // Runs the finalizers the GC queued (__del__ methods, generators to close) and reports what
    // they and dead futures have to say.  NULL: they wait in the queue.
    void (*report_finalizers)(Vm *vm);
    // Runs the Python-level handlers of the signals that arrived (the VM has just cleared
    // vm_interrupted); false with the exception a handler raised pending, and vm_interrupted set
    // again when signals remain tripped.  NULL: no signal handler was installed.
    bool (*run_signal_handlers)(Vm *vm);
} VmHooks;

// Filled by the higher layers at startup; read by vm.c, gen.c, ops.c, attr.c, dis.c and gc.c.
extern VmHooks vm_hooks;

#endif
