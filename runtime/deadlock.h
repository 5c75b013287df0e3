/* deadlock: the report of an event loop that could only wait forever (runtime/deadlock.c). */
#ifndef AIO_DEADLOCK_H
#define AIO_DEADLOCK_H

#include "asyncio.h"

// Prints every pending task (the loop's list, newest first), what it awaits and where, and the
// cycles among them, on stderr; then ends the process with status 1.
_Noreturn void deadlock_report(Vm *vm, ObjFuture *pending);

#endif
