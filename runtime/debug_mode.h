/* debug_mode: asyncio's debug mode (`aio --debug`, AIO_DEBUG=1, asyncio.run(debug=True),
 * loop.set_debug(True)), which names the cause of what it reports.
 *
 * A loop in debug mode times each entry of its ready queue (a task's step, a callback).  An entry
 * that holds the loop for loop.slow_callback_duration seconds or more (0.1 by default) gets
 * CPython's line, "Executing <Task ...> took 1.000 seconds", then one of aio's own: the blocking
 * builtin that ran in it and where ("time.sleep(1.0) at prog.aio:9 blocked the event loop for
 * 1.00 s; ..."), or, when none did, the lines the task ran between without awaiting.
 *
 * The loop asks this module only when its own `debug` flag is set: with debug mode off an entry
 * costs one predictable branch (runtime/loop.c, run_ready_now).  What blocked is learned from the
 * event stream (EV_LOOP_BLOCKED, runtime/events.h), to which debug mode subscribes when a loop
 * first turns it on.  spec.md ("Debug mode and hints") lists the messages.
 */
#ifndef AIO_DEBUG_MODE_H
#define AIO_DEBUG_MODE_H

#include "asyncio.h"

// New event loops start in debug mode (--debug, AIO_DEBUG=1, PYTHONASYNCIODEBUG=1).
extern bool debug_mode_default;

// Called when a loop turns debug mode on: subscribes to the event stream (once).
void debug_mode_attach(Vm *vm);

// What debug_entry_begin notes before a ready entry runs, for debug_entry_end.
typedef struct {
    double started;     // clock_monotonic
    char where[160];    // where the task stood ("prog.aio:7"), or ""
} DebugEntry;

// Around one ready entry of a loop in debug mode; target is the task whose step or wakeup it is,
// or the Handle.  debug_entry_end reports the entry when it held the loop for `limit` seconds or
// more.  Both may allocate and run repr(); neither leaves an exception pending.
void debug_entry_begin(Vm *vm, Obj *target, DebugEntry *d);
void debug_entry_end(Vm *vm, Obj *target, const DebugEntry *d, double limit);

// Where a task in debug mode stood when its cancellation reached it ("prog.aio:5, awaiting
// sleep(10)"), or NULL: the first step it ran with a cancel() pending (hints.c names the place
// when the task swallows the CancelledError).  Forgotten when the task ends.
const char *debug_mode_cancelled_at(ObjFuture *task);

#endif
