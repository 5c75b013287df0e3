/* timeline: `aio --timeline=FILE.json`, a consumer of the event stream (runtime/events.h) that
 * writes the run in Chrome's trace-event format, one row per task (runtime/timeline.c).
 */
#ifndef AIO_TIMELINE_H
#define AIO_TIMELINE_H

#include "vm.h"

// Starts writing the timeline into path; false when the file cannot be opened.
bool timeline_start(Vm *vm, const char *path);

#endif
