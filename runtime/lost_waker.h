/* lost_waker: the tasks that nothing can ever wake, found by the collector while others still run.
 *
 * A task waiting on a future is woken when someone resolves that future; if the only references
 * to the future are held by tasks that are themselves waiting and cannot be woken, no code that
 * will ever run can resolve it: the task has "lost its waker" (tokio-console's words).  aio finds
 * such tasks during a collection and reports each once on stderr (see spec.md, "Lost wakers").
 */
#ifndef AIO_LOST_WAKER_H
#define AIO_LOST_WAKER_H

#include "asyncio.h"

// vm_hooks.before_marking / after_marking (set by runtime_init).
void lost_waker_before_marking(Vm *vm);
void lost_waker_after_marking(Vm *vm);
// A task began waiting on a future (not a sleep, not a task): the next idle point may look.
extern bool lost_waker_dirty;
// The loop is about to wait with nothing ready: collects (and so looks) when a task began
// waiting on a future since the last look and a second of loop time has passed.
void lost_waker_idle(Vm *vm);

#endif
