/* events: the one stream of what the event loop does, which every view of a run consumes.
 *
 * The loop, tasks, futures, timers and I/O watchers record an Event at each step that a student
 * would want to see (a task created, a step beginning, a task suspending and why, a future
 * resolved, a callback run, a timer armed or fired, a descriptor ready, the loop blocked by a
 * synchronous sleep).  Views subscribe a consumer (--trace is runtime/trace.c); the stream calls
 * each consumer at once, in the order the events happen, and keeps nothing itself.
 *
 * Cost when no view is on: every recording site is `if (EVENTS_ON) events_emit(...)`, one load
 * and one branch that is predicted not taken; the Event is built only inside the branch.
 *
 * Consumers run inside the loop, sometimes from a libuv callback (EV_IO_READY): they must not
 * run Python code or allocate GC objects; what they need they read from the objects directly.
 */
#ifndef AIO_EVENTS_H
#define AIO_EVENTS_H

#include "asyncio.h"
#include "code.h"
#include "strbuf.h"

typedef enum {
    EV_LOOP_ITERATION, // counts: ready callbacks, timers pending, descriptors watched; when: the
                       // earliest deadline, or -1 without timers
    EV_CLOCK_JUMP,     // virtual time: the clock jumped `when` seconds to reach the next timer
    EV_LOOP_BLOCKED,   // time.sleep(when) ran while a loop was running (it stops every task)
    EV_TASK_CREATED,   // subject: the task; code/line: where the program created it
    EV_TASK_STEP,      // subject: the task, about to run its next step; detail: the exception
                       // thrown into it, or None
    EV_TASK_SUSPENDED, // subject: the task, after its step; detail: what it waits for (its
                       // fut_waiter: a sleep, a future or a task), None for a bare yield
    EV_FUTURE_DONE,    // subject: a future or task that just got its result, exception or
                       // cancellation (its done callbacks are still in place)
    EV_CALLBACK,       // subject: the Handle or TimerHandle about to run
    EV_TIMER_ARMED,    // subject: a TimerHandle or a sleep; when: its deadline (loop time)
    EV_TIMER_FIRED,    // subject: the same, due now: it joins the ready queue
    EV_IO_READY,       // counts[0]: the descriptor; counts[1]: 1 readable, 2 writable, 3 both
} EventKind;

typedef struct {
    EventKind kind;
    double time;      // seconds since recording began (the stream fills it in)
    Obj *subject;     // what the event is about; NULL for the loop's own events
    Value detail;     // see the kinds
    double when;      // see the kinds
    long counts[3];   // see the kinds
    ObjCode *code;    // EV_TASK_CREATED: where, else NULL
    int line;
} Event;

typedef void (*EventConsumer)(Vm *vm, const Event *e, void *context);
// Called once when the stream ends (at exit, or before a deadlock report exits): a view that
// writes a file completes it.  `last` is the time of the last event.
typedef void (*EventFinisher)(double last, void *context);

// True while at least one consumer is subscribed: the only thing a recording site reads.
extern bool events_on;
#define EVENTS_ON __builtin_expect(events_on, 0)

// Adds a consumer (finish may be NULL); the first one starts the stream's clock (times are
// relative to that moment).
void events_subscribe(Vm *vm, EventConsumer fn, EventFinisher finish, void *context);
// Ends the stream: calls every finisher once (also run at exit).
void events_finish(void);
// The Vm is going away while the process goes on (the fuzz harness makes a Vm per input): the
// stream ends and its consumers are dropped, so no libuv callback left behind records into it.
void events_forget(void);
// Stamps e with the time and hands it to every consumer (vm may be NULL in a libuv callback).
void events_emit(Vm *vm, Event *e);
// Seconds since recording began (what Event.time holds), for a loop time such as a deadline.
double events_relative(double loop_time);

// ---- descriptions the views share (no GC allocation, no Python code) ----------------------------
// Whether code is the program's own, not the standard library's.
bool events_is_program_code(Vm *vm, ObjCode *code);
// A source file as views show it: relative to the script's folder, or to stdlib/, else as is.
const char *events_source_name(Vm *vm, ObjCode *code);
// Whether code is the standard library's (its folder, or a C module's "<asyncio.base_events>"
// source), not the program's.  The answer is cached in the code's flags.
bool events_in_stdlib_slow(Vm *vm, ObjCode *code);
static inline bool events_in_stdlib(Vm *vm, ObjCode *code) {
    if (code->flags & CODE_PLACE_KNOWN) return code->flags & CODE_IN_STDLIB;
    return events_in_stdlib_slow(vm, code);
}
// "Task-2 fetch()": the task's name and its coroutine's qualified name.
void events_describe_task(Vm *vm, ObjFuture *task, StrBuf *sb);
// "sleep(1.5)", "Task-3 fetch()", "Future", "Lock held by Task-2 main()" ...: what a task awaits.
void events_describe_awaited(Vm *vm, Value awaited, StrBuf *sb);
// What a waiting task waits for: events_describe_awaited of its fut_waiter, plus the library
// coroutine it waits in ("Future in Queue.get()"); a lock as "Lock held by Task-2 main()"; a
// sleep with its deadline ("sleep(1.5) until 2.500000").
void events_describe_wait(Vm *vm, ObjFuture *task, StrBuf *sb);
// The task holding the asyncio.Lock that task waits for in Lock.acquire(), or NULL.
ObjFuture *events_lock_holder(Vm *vm, ObjFuture *task);
// Where a task's coroutine stands: the innermost frame of its await chain that is the program's
// own (not the standard library's), else the innermost one.  False when it has no frame.
bool events_task_location(Vm *vm, ObjFuture *task, ObjCode **code, int *line);
// prefix then the task's place ("resumes at " "prog.aio:7"), as events_task_location finds it;
// false (nothing appended) when the task has no frame.
bool events_put_task_location(Vm *vm, ObjFuture *task, const char *prefix, StrBuf *sb);
// "prog.aio:7"; a place in the standard library without its line ("asyncio/runners.aio"): its
// lines change with every edit of the library, and a student's program never sees them.
void events_describe_location(Vm *vm, ObjCode *code, int line, StrBuf *sb);
// The program's innermost frame now (skipping the standard library's), for a creation site.
void events_caller_location(Vm *vm, ObjCode **code, int *line);
// A short repr of a result or exception that runs no Python code: numbers, strings, None and
// booleans in full (at most ~60 characters), other objects as <TypeName>.
void events_describe_value(Vm *vm, Value v, StrBuf *sb);

#endif
