/* trace: `aio --trace[=FILE]`, a consumer of the event stream (runtime/events.h) that narrates
 * the loop one line per event.  The format is in spec.md ("Tracing the loop").
 */
#ifndef AIO_TRACE_H
#define AIO_TRACE_H

#include "vm.h"

// Starts narrating into path: NULL or "" for stderr, "-" for stdout.  False when the file cannot
// be opened.
bool trace_start(Vm *vm, const char *path);

#endif
