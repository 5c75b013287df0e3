/* clock: every time source the interpreter reads, in one place.
 *
 * time.time(), time.monotonic(), time.perf_counter(), time.sleep() and the event loop's timers
 * all ask this module, never the OS directly.  That is what lets virtual time (--virtual-time)
 * replace real time for the whole program by changing only this file.
 *
 * Seconds are doubles, as in Python's time module; the _ns variants are exact int64 nanosecond
 * counts, as time.time_ns() and friends return.  Each takes the Vm so a virtual clock can live
 * in it; the real clocks ignore it.
 */
#ifndef AIO_CLOCK_H
#define AIO_CLOCK_H

#include "vm.h"

// Seconds since an arbitrary point; never goes backwards (CLOCK_MONOTONIC).
double clock_monotonic(Vm *vm);
// The smallest step clock_monotonic can take, in seconds: what clock_getres(CLOCK_MONOTONIC)
// reports on Linux and time.get_clock_info('monotonic').resolution shows.  The event loop counts
// a timer as due when it is due within one such step.
#define CLOCK_MONOTONIC_RESOLUTION 1e-9
// Seconds since the Unix epoch (CLOCK_REALTIME): the one clock that can jump.
double clock_wall(Vm *vm);
// The highest-resolution monotonic clock, for measuring short intervals.
double clock_perf(Vm *vm);
// CPU time of this process, user plus system.
double clock_process(Vm *vm);

int64_t clock_monotonic_ns(Vm *vm);
int64_t clock_wall_ns(Vm *vm);
int64_t clock_perf_ns(Vm *vm);
int64_t clock_process_ns(Vm *vm);

// Blocks for `seconds` (>= 0).  A signal runs its Python-level handler at once (PEP 475): when
// the handler raises (Ctrl-C's KeyboardInterrupt) the sleep ends, returning false with that
// exception pending; otherwise the sleep resumes until the whole time has passed.
bool clock_sleep(Vm *vm, double seconds);

// --virtual-time: from now on every clock but the process clock is virtual (see clock.c), and
// moves only by clock_advance_to (the event loop's jumps to its next timer) and clock_sleep.
void clock_use_virtual(Vm *vm);
bool clock_is_virtual(void);
// Moves the virtual clock forward to the monotonic time given (never back).
void clock_advance_to(Vm *vm, double monotonic);

#ifdef AIO_FUZZ
// Fuzz builds: moves every clock but the process clock `seconds` ahead (a sleep that took no time).
void clock_skip(Vm *vm, double seconds);
#endif

#endif
