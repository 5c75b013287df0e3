/* clock: the real clocks behind clock.h, read with clock_gettime, and the virtual clock of
 * --virtual-time.
 *
 * The monotonic and perf clocks are the same CLOCK_MONOTONIC, as CPython's are on Linux, so
 * intervals measured with either agree.
 *
 * The virtual clock stands still while the program computes: it moves only when the event loop
 * jumps to its next timer (runtime/loop.c) and when time.sleep() is called.  Its monotonic and
 * perf clocks start at 0.0 and its wall clock at the real time of start-up rounded down to a
 * whole second, so that a program measuring `end - start` around sleeps of whole (or binary)
 * seconds gets exact differences.
 */
#include "clock.h"

#include <errno.h>
#include <math.h>
#include <time.h>

#include "events.h"

static bool virtual_on;
static double virtual_elapsed; // seconds the virtual clock has moved since start-up
static double virtual_wall_base;

void clock_use_virtual(Vm *vm) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    virtual_wall_base = (double)ts.tv_sec;
    virtual_elapsed = 0;
    virtual_on = true;
}

bool clock_is_virtual(void) { return virtual_on; }

void clock_advance_to(Vm *vm, double monotonic) {
    if (monotonic > virtual_elapsed && monotonic < 1e12) virtual_elapsed = monotonic;
}

static int64_t read_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double read_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Fuzz builds never wait: the time a program sleeps is added to the clocks it reads instead.
#ifdef AIO_FUZZ
#define SKEW(vm) ((vm)->fuzz_clock_skew)
#define SKEW_NS(vm) ((int64_t)((vm)->fuzz_clock_skew * 1e9))

void clock_skip(Vm *vm, double seconds) {
    if (seconds > 0 && seconds < 1e12) vm->fuzz_clock_skew += seconds;
}
#else
#define SKEW(vm) 0.0
#define SKEW_NS(vm) 0
#endif

#define VIRTUAL_NS(seconds) ((int64_t)llround((seconds) * 1e9))

double clock_monotonic(Vm *vm) { return virtual_on ? virtual_elapsed : read_seconds(CLOCK_MONOTONIC) + SKEW(vm); }
double clock_wall(Vm *vm) {
    return virtual_on ? virtual_wall_base + virtual_elapsed : read_seconds(CLOCK_REALTIME) + SKEW(vm);
}
double clock_perf(Vm *vm) { return virtual_on ? virtual_elapsed : read_seconds(CLOCK_MONOTONIC) + SKEW(vm); }
double clock_process(Vm *vm) { return read_seconds(CLOCK_PROCESS_CPUTIME_ID); }

int64_t clock_monotonic_ns(Vm *vm) {
    return virtual_on ? VIRTUAL_NS(virtual_elapsed) : read_ns(CLOCK_MONOTONIC) + SKEW_NS(vm);
}
int64_t clock_wall_ns(Vm *vm) {
    return virtual_on ? (int64_t)virtual_wall_base * 1000000000 + VIRTUAL_NS(virtual_elapsed)
                      : read_ns(CLOCK_REALTIME) + SKEW_NS(vm);
}
int64_t clock_perf_ns(Vm *vm) { return virtual_on ? VIRTUAL_NS(virtual_elapsed) : read_ns(CLOCK_MONOTONIC) + SKEW_NS(vm); }
int64_t clock_process_ns(Vm *vm) { return read_ns(CLOCK_PROCESS_CPUTIME_ID); }

bool clock_sleep(Vm *vm, double seconds) {
    if (!(seconds > 0)) return true;
    if (EVENTS_ON && !IS_NONE(vm->running_loop)) events_emit(vm, &(Event){.kind = EV_LOOP_BLOCKED, .when = seconds});
    if (virtual_on) {
        clock_advance_to(vm, virtual_elapsed + seconds);
        return true;
    }
#ifdef AIO_FUZZ
    clock_skip(vm, seconds);
    return true;
#endif
    if (seconds > 1e12) seconds = 1e12;  // keeps time_t arithmetic defined; ~31,000 years
    // Sleep until an absolute deadline, so a signal that interrupts the sleep costs no extra time.
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double whole = floor(seconds);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    // Other threads run meanwhile; a signal (which only the main thread receives) ends the sleep
    // early with EINTR: the handlers run with the interpreter lock held, then it sleeps on.
    for (;;) {
        vm_release_lock(vm);
        int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
        vm_acquire_lock(vm);
        if (r != EINTR) return true;
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
    }
}
