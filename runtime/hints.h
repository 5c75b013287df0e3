/* hints: one line of advice after CPython's own message, for the mistakes learners make most.
 *
 * Every hint is printed on stderr right after the message CPython prints for the same event
 * (which stays first and unchanged), starts with "hint: ", names the file:line of the mistake and
 * says what to write instead.  Stdout is never touched, so a program prints what CPython prints.
 * The hints CPython has a message for are always on: a coroutine never awaited, a task's
 * exception never retrieved, a task destroyed pending, asyncio.run() inside a running loop,
 * `async with` on a plain context manager (and `with` on an asynchronous one), awaiting what
 * cannot be awaited, a misspelt `async` or `await`.  Where CPython says nothing (a task that
 * swallows its cancellation) the hint needs debug mode (runtime/debug_mode.h).  spec.md ("Debug
 * mode and hints") lists them all.
 *
 * Printed when the mistake happens where aio can see that moment: an expression statement that
 * drops a coroutine it just made is reported by the call (vm_hooks.coroutine_dropped), not by the
 * collector; a task that fails with nobody waiting for it is collected at the end of the loop
 * iteration in which it failed (loop_collect_soon), so its report comes then.
 */
#ifndef AIO_HINTS_H
#define AIO_HINTS_H

#include "asyncio.h"

// vm_hooks.coroutine_dropped: an expression statement dropped the coroutine object coro (a
// generator or a sleep) that its call just made; reports it if it never started.
void hints_coroutine_dropped(Vm *vm, Value coro);
// CPython's "coroutine 'NAME' was never awaited" warning for a coroutine the collector found
// (origin: where it was made, or NULL), then the hint.
void hints_never_awaited(Vm *vm, ObjStr *qualname, ObjCode *origin, int origin_line);
// After CPython's "Task exception was never retrieved" report of a task.
void hints_exception_never_retrieved(Vm *vm, ObjFuture *task);
// After CPython's "Task was destroyed but it is pending!" report of a task.
void hints_destroyed_pending(Vm *vm, ObjFuture *task);
// After an uncaught exception's traceback (or a SyntaxError's report): the hint for it, if any.
void hints_after_uncaught(Vm *vm, Value exc);
// A task in a loop in debug mode returned normally although it was cancelled and never uncancelled.
void hints_cancel_swallowed(Vm *vm, ObjFuture *task, Value result);

#endif
