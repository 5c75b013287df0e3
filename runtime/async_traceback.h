/* async_traceback: which tasks an exception went through, printed after CPython's traceback.
 *
 * CPython's traceback of an exception that ended a task and then the task awaiting it shows the
 * frames of both, but not where the task boundaries are, which task each was, where the program
 * created it or through what (a gather()) it was awaited.  aio records that as the exception
 * ends each task or future (async_traceback_record, from future_set_exception) and prints it
 * after the traceback, on lines of its own beginning "aio: " (async_traceback_print).
 */
#ifndef AIO_ASYNC_TRACEBACK_H
#define AIO_ASYNC_TRACEBACK_H

#include "asyncio.h"

// exc (an exception) has just ended f: appended to exc's trail with how many traceback entries
// exc had then (those after the previous mark are f's own frames).  Never raises.
void async_traceback_record(Vm *vm, ObjFuture *f, Value exc);
// The trail of exc on stderr, when it went through two tasks or futures or more (through one,
// CPython's traceback already says it all).  Runs no Python code.
void async_traceback_print(Vm *vm, Value exc);

#endif
