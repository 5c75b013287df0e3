/* The one upward interface: what the VM needs from the layers above it, registered by them.
 *
 * The layers are base -> lexer -> parser -> vm -> runtime -> stdlib, and a lower layer never
 * includes a higher one.  A few things the VM does depend on code that lives above it: the GC
 * must trace and free an event loop's C state (runtime/loop.c), SEND and gen_send must resume
 * the C coroutine asyncio.sleep() returns (runtime/sleep.c), and the checks between instructions
 * must run the queued finalizers (runtime/future.c) and the Python-level signal handlers
 * (stdlib/mod_signal.c).  Instead of calling up, the VM calls through vm_hooks, which the higher
 * layers fill in: runtime_init() at startup, before any code runs, and mod_signal.c when it
 * installs its C signal handler.  A NULL hook means its layer is not linked in or not
 * initialised; the comment on each hook says what happens then.
 *
 * The object protocol (vm/ops.c), attribute lookup (vm/attr.c) and the dict table (vm/dict.c)
 * now live in vm/; what they and the dispatch loop still call in runtime/ directly (numbers,
 * strings, tuples, sets, exceptions, import) is not yet behind this interface: tests/layers.py
 * lists those includes as the known remaining exceptions.
 */
#ifndef AIO_HOOKS_H
#define AIO_HOOKS_H

#include "vm.h"

typedef struct {
    // GC, marking an ObjLoop: marks the values its C state holds (ready queue, timers, ...).
    // NULL: nothing beyond the loop's dict is marked (no loop can exist without runtime/).
    void (*mark_loop)(Vm *vm, ObjLoop *loop);
    // GC, freeing an ObjLoop: releases its C state (libuv handles, queues).  NULL: nothing to free.
    void (*free_loop)(ObjLoop *loop);
    // Sends value (or throws exc, when not EMPTY) into a native sleep coroutine, as gen_resume
    // does for a generator.  Must be set before any ObjSleep exists.
    RunResult (*resume_sleep)(Vm *vm, ObjSleep *s, Value value, Value exc, Value *out);
    // Runs the finalizers the GC queued (__del__ methods, generators to close) and reports what
    // they and dead futures have to say.  NULL: they wait in the queue.
    void (*report_finalizers)(Vm *vm);
    // Runs the Python-level handlers of the signals that arrived (the VM has just cleared
    // vm_interrupted); false with the exception a handler raised pending, and vm_interrupted set
    // again when signals remain tripped.  NULL: no signal handler was installed.
    bool (*run_signal_handlers)(Vm *vm);
} VmHooks;

// Filled by the higher layers at startup; read by vm.c and gc.c.
extern VmHooks vm_hooks;

#endif
