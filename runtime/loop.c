/* The event loop: a ready queue, a timer heap, libuv to wait, and the _asyncio module.
 *
 * One iteration (loop_run_once) has the shape of CPython's BaseEventLoop._run_once:
 *   1. drop cancelled timers from the top of the heap;
 *   2. wait in libuv: not at all when callbacks are ready or the loop is stopping, else until the
 *      earliest timer (forever when there is none);
 *   3. move every timer due by now into the ready queue, in the heap's order (timer_heap.h);
 *   4. run exactly the callbacks that were ready at that moment; callbacks they schedule wait
 *      for the next iteration.
 * That snapshot in step 4 is what makes `await asyncio.sleep(0)` round robins interleave as they
 * do in CPython.  libuv callbacks never run Python code: they only end the wait.
 *
 * Signals (Ctrl-C): the C handler in stdlib/mod_signal.c marks the signal and, through
 * loop_signal_wakeup, sends the waiting loop's uv_async_t, the same wake-up call_soon_threadsafe
 * uses (CPython's self-pipe).  After the wait the loop runs the Python-level signal handlers, as
 * CPython's select() does on EINTR: asyncio.Runner's handler cancels the main task from there.
 */
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <uv.h>

#include "async_traceback.h"
#include "asyncio.h"
#include "bigint.h"
#include "process.h"
#include "clock.h"
#include "deadlock.h"
#include "debug_mode.h"
#include "error.h"
#include "events.h"
#include "hints.h"
#include "import.h"
#include "lost_waker.h"
#include "runtime.h"
#include "timer_heap.h"

// CPython's BaseEventLoop constants.
#define MIN_SCHEDULED_TIMER_HANDLES 100
#define MIN_CANCELLED_TIMER_HANDLES_FRACTION 0.5
#define MAXIMUM_SELECT_TIMEOUT (24 * 3600.0)

// What the ready queue holds.  Most entries are a Handle to run.  A task's steps and wakeups,
// which CPython schedules as Handles that no program ever sees, are stored as the task and its
// argument instead, so that a task switch allocates nothing (for wakeups, see task_of_wakeup in
// asyncio.h); a sleep whose timer is due is stored as itself (it does what CPython's TimerHandle
// for _set_result_unless_cancelled does).
typedef enum { READY_HANDLE, READY_TASK_STEP, READY_TASK_WAKEUP, READY_SLEEP_DUE } ReadyKind;
typedef struct {
    ReadyKind kind;
    Obj *target; // the Handle, the task or the sleep
    Value arg;   // TASK_STEP: the exception to throw, or None; TASK_WAKEUP: the future
} ReadyEntry;

typedef struct LoopState {
    uv_loop_t uv;
    uv_timer_t wakeup;      // armed for the earliest deadline while waiting
    uv_async_t async;       // call_soon_threadsafe and signals end the wait (any thread)
    bool uv_ready;          // the libuv handles above are initialised
    ReadyEntry *ready;      // ring buffer
    size_t ready_head, ready_count, ready_capacity;
    TimerHeap timers;       // owners: the TimerHandles and sleeps started on this loop
    size_t cancelled_in_heap; // how many of them are cancelled but still in the heap
    ObjFuture *tasks;       // pending tasks, linked through the tasks: strongly held until they finish
    ObjList *asyncgens;     // async generators first iterated on this loop (shutdown_asyncgens)
    IoTable *io;            // the descriptors watched by add_reader/add_writer (io.c), or NULL
    ObjList *held;          // objects libuv requests in flight need alive (loop_hold)
    Value current_task;
    Value exception_handler;
    bool timer_ended_wait;   // the last wait ended because the earliest timer was due
    double callbacks_since;  // clock_monotonic when this iteration began running callbacks; 0
                             // while waiting (loop_stalled_seconds: the REPL's runaway watchdog)
    double slow_callback_duration; // debug mode reports an entry that runs this long (seconds)
    bool running, stopping, closed, debug;
    bool collect_soon;      // loop_collect_soon was called in this iteration
} LoopState;

static LoopState *state_of(Value loop) { return AS_LOOP(loop)->state; }

void loop_mark(Vm *vm, ObjLoop *loop) {
    LoopState *st = loop->state;
    if (!st) return;
    for (size_t i = 0; i < st->ready_count; i++) {
        ReadyEntry *e = &st->ready[(st->ready_head + i) % st->ready_capacity];
        gc_mark_object(vm, e->target);
        gc_mark_value(vm, e->arg);
    }
    for (size_t i = 0; i < st->timers.count; i++) gc_mark_object(vm, st->timers.items[i].owner);
    for (ObjFuture *t = st->tasks; t; t = t->next_task) gc_mark_object(vm, (Obj *)t);
    gc_mark_object(vm, (Obj *)st->asyncgens);
    io_mark(vm, st->io);
    gc_mark_object(vm, (Obj *)st->held);
    gc_mark_value(vm, st->current_task);
    gc_mark_value(vm, st->exception_handler);
}

static void close_uv(LoopState *st) {
    if (!st->uv_ready) return;
    io_close(st->io);
    process_detach_loop(&st->uv); // children still running must not keep the uv_run below waiting
    uv_close((uv_handle_t *)&st->wakeup, NULL);
    uv_close((uv_handle_t *)&st->async, NULL);
    // Lets libuv finish the closes, and waits for the requests still in its thread pool (name
    // lookups): with `data` NULL their callbacks only free their memory.  No Python code runs.
    st->uv.data = NULL;
    uv_run(&st->uv, UV_RUN_DEFAULT);
    uv_loop_close(&st->uv);
    io_free(st->io);
    st->io = NULL;
    st->uv_ready = false;
}

// Called by the GC when a loop object is freed: C memory only, no Python objects touched.
void loop_free_state(ObjLoop *loop) {
    LoopState *st = loop->state;
    if (!st) return;
    close_uv(st);
    free(st->ready);
    timer_heap_free(&st->timers);
    free(st);
    loop->state = NULL;
}

static bool check_loop(Vm *vm, Value v) {
    if (!IS_LOOP(v) || !AS_LOOP(v)->state) return vm_raise(vm, vm->TypeError, "an event loop is required");
    return true;
}

static bool check_closed(Vm *vm, LoopState *st) {
    if (st->closed) return vm_raise(vm, vm->RuntimeError, "Event loop is closed");
    return true;
}

// ---- the ready queue ----------------------------------------------------------------------------

// Moves the ring's entries to a fresh buffer of cap entries, oldest first.
static void ready_resize(LoopState *st, size_t cap) {
    ReadyEntry *ring = malloc(sizeof(ReadyEntry) * cap);
    if (!ring) abort();
    for (size_t i = 0; i < st->ready_count; i++) ring[i] = st->ready[(st->ready_head + i) % st->ready_capacity];
    free(st->ready);
    st->ready = ring;
    st->ready_head = 0;
    st->ready_capacity = cap;
}

static void ready_push(LoopState *st, ReadyKind kind, Obj *target, Value arg) {
    if (st->ready_count == st->ready_capacity) ready_resize(st, st->ready_capacity ? st->ready_capacity * 2 : 64);
    st->ready[(st->ready_head + st->ready_count) % st->ready_capacity] = (ReadyEntry){kind, target, arg};
    st->ready_count++;
}

// Takes the oldest entry.  After a burst (100,000 tasks started at once) the ring shrinks again
// as it drains, as CPython's deque gives its blocks back.
static ReadyEntry ready_pop(LoopState *st) {
    ReadyEntry e = st->ready[st->ready_head];
    st->ready_head = (st->ready_head + 1) % st->ready_capacity;
    st->ready_count--;
    if (st->ready_capacity > 1024 && st->ready_count < st->ready_capacity / 4) ready_resize(st, st->ready_capacity / 2);
    return e;
}

// ---- timers: TimerHandles and sleeps in the heap (timer_heap.c, heapq's order) ------------------

static TimerState *timer_of(Obj *owner) {
    return owner->kind == OBJ_SLEEP ? &((ObjSleep *)owner)->timer : &((ObjHandle *)owner)->timer;
}

// Takes the earliest timer out of the heap.
static Obj *pop_timer(LoopState *st) {
    Obj *top = timer_heap_pop(&st->timers);
    timer_of(top)->scheduled = false;
    return top;
}

static bool earliest_timer_cancelled(LoopState *st) {
    return timer_of(timer_heap_top(&st->timers)->owner)->cancelled;
}

// Drops the cancelled timers at the top of the heap.
static void pop_cancelled_timers(LoopState *st) {
    while (st->timers.count && earliest_timer_cancelled(st)) {
        st->cancelled_in_heap--;
        pop_timer(st);
    }
}

static bool unschedule_if_cancelled(void *owner) {
    TimerState *t = timer_of(owner);
    if (t->cancelled) t->scheduled = false;
    return t->cancelled;
}

static bool unschedule(void *owner) {
    timer_of(owner)->scheduled = false;
    return true;
}

// Puts a timer in the heap, due at `when`.
static bool start_timer(Vm *vm, Value loop, Obj *owner, double when) {
    LoopState *st = state_of(loop);
    if (!check_closed(vm, st)) return false;
    TimerState *t = timer_of(owner);
    t->when = when;
    t->scheduled = true;
    timer_heap_push(&st->timers, when, owner);
    if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_TIMER_ARMED, .subject = owner, .when = when});
    return true;
}

bool loop_start_sleep_timer(Vm *vm, Value loop, ObjSleep *sleep, double when) {
    return start_timer(vm, loop, (Obj *)sleep, when);
}

// Cancels a timer: it stays in the heap until it reaches the top or the heap is compacted.
static void cancel_timer(Value loop, TimerState *t) {
    if (t->cancelled) return;
    t->cancelled = true;
    if (t->scheduled && IS_LOOP(loop) && state_of(loop)) state_of(loop)->cancelled_in_heap++;
}

void loop_cancel_sleep_timer(ObjSleep *sleep) {
    cancel_timer(sleep->loop ? OBJ_VAL(sleep->loop) : NONE_VAL(), &sleep->timer);
}

// ---- handles ------------------------------------------------------------------------------------

static ObjHandle *handle_new(Vm *vm, Value loop, Value callback, Value args, bool timer) {
    vm_push_root(vm, callback);
    vm_push_root(vm, args);
    ObjHandle *h = (ObjHandle *)gc_alloc_object(vm, sizeof(ObjHandle), OBJ_HANDLE,
                                                timer ? vm->timer_handle_class : vm->handle_class);
    vm_pop_roots(vm, 2);
    h->callback = callback;
    h->args = args;
    h->loop = loop;
    h->is_timer = timer;
    return h;
}

static bool schedule_handle(Vm *vm, Value loop, Value cb, Value args, Value *out) {
    LoopState *st = state_of(loop);
    if (!check_closed(vm, st)) return false;
    ObjHandle *h = handle_new(vm, loop, cb, args, false);
    ready_push(st, READY_HANDLE, (Obj *)h, NONE_VAL());
    if (out) *out = OBJ_VAL(h);
    return true;
}

static bool schedule_for_task(Vm *vm, Value loop, ReadyKind kind, ObjFuture *task, Value arg) {
    LoopState *st = state_of(loop);
    if (!check_closed(vm, st)) return false;
    ready_push(st, kind, (Obj *)task, arg);
    return true;
}

bool loop_call_soon(Vm *vm, Value loop, Value fn, Value arg) {
    ObjFuture *waiting = task_of_wakeup(vm, fn);
    if (waiting) return schedule_for_task(vm, loop, READY_TASK_WAKEUP, waiting, arg);
    vm_push_root(vm, fn);
    ObjTuple *args = tuple_new(vm, 1);
    args->items[0] = arg;
    vm_push_root(vm, OBJ_VAL(args));
    bool ok = schedule_handle(vm, loop, fn, OBJ_VAL(args), NULL);
    vm_pop_roots(vm, 2);
    return ok;
}

bool loop_call_step(Vm *vm, Value loop, ObjFuture *task, Value exc) {
    return schedule_for_task(vm, loop, READY_TASK_STEP, task, exc);
}

// The pending tasks are a list threaded through the tasks themselves: no table entry per task.
bool loop_register_task(Vm *vm, Value loop, ObjFuture *task) {
    LoopState *st = state_of(loop);
    if (task->registered) return true;
    task->registered = true;
    task->prev_task = NULL;
    task->next_task = st->tasks;
    if (st->tasks) st->tasks->prev_task = task;
    st->tasks = task;
    return true;
}

void loop_unregister_task(Vm *vm, Value loop, ObjFuture *task) {
    if (!task->registered || !IS_LOOP(loop) || !state_of(loop)) return;
    LoopState *st = state_of(loop);
    if (task->prev_task) task->prev_task->next_task = task->next_task;
    else st->tasks = task->next_task;
    if (task->next_task) task->next_task->prev_task = task->prev_task;
    task->prev_task = task->next_task = NULL;
    task->registered = false;
}

// Lets go of every pending task (a closed loop no longer holds them).
static void forget_tasks(LoopState *st) {
    while (st->tasks) {
        ObjFuture *t = st->tasks;
        st->tasks = t->next_task;
        t->prev_task = t->next_task = NULL;
        t->registered = false;
    }
}

ObjFuture *loop_pending_tasks(ObjLoop *loop) { return loop->state ? loop->state->tasks : NULL; }

Obj *loop_timer_owner(ObjLoop *loop, size_t i) {
    return loop->state && i < loop->state->timers.count ? loop->state->timers.items[i].owner : NULL;
}

void loop_enter_task(Vm *vm, Value loop, ObjFuture *task) { state_of(loop)->current_task = OBJ_VAL(task); }
void loop_leave_task(Vm *vm, Value loop, ObjFuture *task) { state_of(loop)->current_task = NONE_VAL(); }

// "print(1)" / "f() at x.py:3": how a handle's callback appears in reprs and error messages.
static void describe_callback(Vm *vm, Value cb, Value args, StrBuf *sb) {
    if (IS_FUNCTION(cb)) sb_puts(sb, AS_FUNCTION(cb)->qualname->chars);
    else if (IS_NATIVE(cb)) sb_puts(sb, AS_NATIVE(cb)->name->chars);
    else if (IS_BOUND(cb) && IS_FUNCTION(AS_BOUND(cb)->func)) sb_puts(sb, AS_FUNCTION(AS_BOUND(cb)->func)->qualname->chars);
    else if (IS_BOUND(cb) && IS_NATIVE(AS_BOUND(cb)->func)) {
        sb_printf(sb, "%s.%s", vm_type_name(vm, AS_BOUND(cb)->self), AS_NATIVE(AS_BOUND(cb)->func)->name->chars);
    } else {
        ObjStr *r = vm_repr(vm, cb);
        if (r) sb_puts(sb, r->chars);
        else vm_clear_exception(vm);
    }
    sb_putc(sb, '(');
    if (IS_TUPLE(args))
        for (size_t i = 0; i < AS_TUPLE(args)->count; i++) {
            ObjStr *r = vm_repr(vm, AS_TUPLE(args)->items[i]);
            if (!r) {
                vm_clear_exception(vm);
                continue;
            }
            if (i) sb_puts(sb, ", ");
            sb_puts(sb, r->chars);
        }
    sb_putc(sb, ')');
    if (IS_FUNCTION(cb))
        sb_printf(sb, " at %s:%d", AS_FUNCTION(cb)->code->filename->chars, AS_FUNCTION(cb)->code->firstline);
}

// How views of the event stream name a handle: "f(1, 'a') at prog.aio:3", without running
// Python code or allocating (events.h).
void loop_describe_handle(Vm *vm, ObjHandle *h, StrBuf *sb) {
    Value cb = h->callback;
    Value fn = IS_BOUND(cb) ? AS_BOUND(cb)->func : cb;
    if (IS_FUNCTION(fn)) sb_puts(sb, AS_FUNCTION(fn)->qualname->chars);
    else if (IS_NATIVE(fn)) sb_puts(sb, AS_NATIVE(fn)->name->chars);
    else if (IS_NONE(cb)) sb_puts(sb, "<cancelled>");
    else if (IS_OBJ(cb)) sb_printf(sb, "<%s>", AS_OBJ(cb)->cls->name->chars);
    sb_putc(sb, '(');
    if (IS_TUPLE(h->args))
        for (size_t i = 0; i < AS_TUPLE(h->args)->count; i++) {
            if (i) sb_puts(sb, ", ");
            events_describe_value(vm, AS_TUPLE(h->args)->items[i], sb);
        }
    sb_putc(sb, ')');
    if (IS_FUNCTION(fn)) {
        ObjCode *code = AS_FUNCTION(fn)->code;
        sb_puts(sb, " at ");
        events_describe_location(vm, code, code->firstline, sb);
    }
}

static bool handle_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjHandle *h = AS_HANDLE(args[0]);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "<%s", h->is_timer ? "TimerHandle" : "Handle");
    if (h->timer.cancelled) sb_puts(&sb, " cancelled");
    if (h->is_timer) {
        StrBuf when;
        sb_init(&when);
        float_repr_into(h->timer.when, &when);
        sb_printf(&sb, " when=%s", when.data);
        sb_free(&when);
    }
    if (!IS_NONE(h->callback)) { // a cancelled handle has let go of its callback
        sb_putc(&sb, ' ');
        describe_callback(vm, h->callback, h->args, &sb);
    }
    sb_putc(&sb, '>');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static void handle_cancel(Vm *vm, ObjHandle *h) {
    if (h->timer.cancelled) return;
    if (h->is_timer) cancel_timer(h->loop, &h->timer);
    h->timer.cancelled = true;
    // release what the callback holds, as CPython does
    h->callback = NONE_VAL();
    h->args = NONE_VAL();
}

// ---- what io.c needs of the loop (asyncio.h) ----------------------------------------------------

struct uv_loop_s *loop_uv(ObjLoop *loop) {
    return loop->state && loop->state->uv_ready ? &loop->state->uv : NULL;
}

IoTable **loop_io_table(ObjLoop *loop) { return &loop->state->io; }

void loop_ready_handle(ObjLoop *loop, ObjHandle *h) { ready_push(loop->state, READY_HANDLE, (Obj *)h, NONE_VAL()); }

ObjHandle *loop_handle_new(Vm *vm, Value loop, Value callback, Value args) {
    return handle_new(vm, loop, callback, args, false);
}

void loop_handle_cancel(Vm *vm, ObjHandle *h) { handle_cancel(vm, h); }

void loop_hold(Vm *vm, Value loop, Value v) { list_append(vm, state_of(loop)->held, v); }

void loop_release(Vm *vm, Value loop, Value v) {
    if (!IS_LOOP(loop) || !state_of(loop)) return;
    ObjList *held = state_of(loop)->held;
    for (size_t i = 0; i < held->count; i++)
        if (value_is(held->items[i], v)) {
            held->items[i] = held->items[held->count - 1];
            held->count--;
            return;
        }
}

bool loop_closed(ObjLoop *loop) { return !loop->state || loop->state->closed; }

bool loop_check_open(Vm *vm, ObjLoop *loop) { return check_closed(vm, loop->state); }

static bool handle_cancel_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    handle_cancel(vm, AS_HANDLE(args[0]));
    *result = NONE_VAL();
    return true;
}

static bool handle_cancelled(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = BOOL_VAL(AS_HANDLE(args[0])->timer.cancelled);
    return true;
}

static bool handle_when(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = FLOAT_VAL(AS_HANDLE(args[0])->timer.when);
    return true;
}

static bool call_exception_handler(Vm *vm, Value loop, ObjDict *context);

static bool ready_entry_cancelled(const ReadyEntry *e) {
    if (e->kind == READY_HANDLE) return ((ObjHandle *)e->target)->timer.cancelled;
    if (e->kind == READY_SLEEP_DUE) return ((ObjSleep *)e->target)->timer.cancelled;
    return false;
}

// Runs one entry of the ready queue.  Errors in ordinary callbacks go to the exception handler,
// as CPython's Handle._run does; only SystemExit and KeyboardInterrupt escape (returning false).
static inline __attribute__((always_inline)) bool run_ready_entry(Vm *vm, Value loop, const ReadyEntry *e) {
    bool ok;
    switch (e->kind) {
    case READY_TASK_STEP: ok = task_step(vm, (ObjFuture *)e->target, e->arg); break;
    case READY_TASK_WAKEUP: ok = task_wakeup(vm, (ObjFuture *)e->target, e->arg); break;
    case READY_SLEEP_DUE: ok = sleep_timer_due(vm, (ObjSleep *)e->target); break;
    default: {
        ObjHandle *h = (ObjHandle *)e->target;
        if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_CALLBACK, .subject = (Obj *)h});
        Value ignored;
        ObjTuple *t = AS_TUPLE(h->args);
        ok = vm_call(vm, h->callback, t->items, (int)t->count, NULL, &ignored);
        break;
    }
    }
    if (ok) return true;
    Value exc = vm->exception;
    if (vm_is_instance(vm, exc, vm->SystemExit) || vm_is_instance(vm, exc, vm->KeyboardInterrupt)) return false;
    vm_clear_exception(vm);
    vm_push_root(vm, exc);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "Exception in callback ");
    if (e->kind == READY_HANDLE) describe_callback(vm, ((ObjHandle *)e->target)->callback, ((ObjHandle *)e->target)->args, &sb);
    else if (e->kind == READY_TASK_STEP) sb_puts(&sb, "Task.task_step()");
    else if (e->kind == READY_TASK_WAKEUP) sb_puts(&sb, "Task.task_wakeup()");
    else sb_puts(&sb, "_set_result_unless_cancelled()");
    ObjDict *ctx = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(ctx));
    dict_set_cstr(vm, ctx, "message", OBJ_VAL(str_from_buf(vm, &sb)));
    dict_set_cstr(vm, ctx, "exception", exc);
    if (e->kind == READY_HANDLE) dict_set_cstr(vm, ctx, "handle", OBJ_VAL(e->target));
    ok = call_exception_handler(vm, loop, ctx);
    vm_pop_roots(vm, 2);
    return ok;
}

// ---- one iteration ------------------------------------------------------------------------------

// The wake-up timer ends the wait.  uv_stop matters: a timer that is already due when uv_run
// starts fires before the poll, and without it the poll would then block with no timer left.
static void on_wakeup(uv_timer_t *t) {
    ((LoopState *)t->data)->timer_ended_wait = true;
    uv_stop(t->loop);
}

// call_soon_threadsafe's wake-up, and a signal's: ending the wait is all it does.
static void on_async(uv_async_t *a) { uv_stop(a->loop); }

// The async handle of the loop that is waiting, for the C signal handler.
static _Atomic(uv_async_t *) signal_wakeup;

// Async-signal-safe (an atomic load and uv_async_send): ends the wait of the loop waiting now.
void loop_signal_wakeup(void) {
    uv_async_t *a = atomic_load(&signal_wakeup);
    if (a) uv_async_send(a);
}

void loop_set_signal_wakeup(struct uv_async_s *a) { atomic_store(&signal_wakeup, a); }

// How long this iteration may wait: not at all when callbacks are ready or the loop is
// stopping, else until the earliest timer (at most MAXIMUM_SELECT_TIMEOUT), else forever (-1).
// As CPython's min(max(0, when - now), MAXIMUM_SELECT_TIMEOUT), a NaN deadline gives 0.
static double wait_timeout(Vm *vm, LoopState *st) {
    if (st->ready_count || st->stopping) return 0;
    if (!st->timers.count) return -1;
    double timeout = timer_heap_top(&st->timers)->when - clock_monotonic(vm);
    if (!(timeout > 0)) return 0;
    return timeout > MAXIMUM_SELECT_TIMEOUT ? MAXIMUM_SELECT_TIMEOUT : timeout;
}

// libuv's timers count whole milliseconds.  Rounding up means the wait does not end before the
// earliest timer is due (which would only cost an empty iteration).
static uint64_t wakeup_delay_ms(double seconds) { return (uint64_t)(seconds * 1000.0 + 0.999); }

// The counterpart of CPython's selector.select(timeout): blocks in libuv until `timeout`
// seconds have passed (forever when negative), call_soon_threadsafe is called or a signal
// arrives.  With timeout 0 it only polls.  No Python code runs in here: the libuv callbacks
// (on_wakeup, on_async) only end the wait.
static void wait_unlocked(Vm *vm, LoopState *st);

static void wait_for_events(Vm *vm, LoopState *st, double timeout) {
    if (timeout == 0) {
        uv_run(&st->uv, UV_RUN_NOWAIT);
        return;
    }
    uv_update_time(&st->uv); // the timer counts from libuv's cached clock: refresh it first
    if (timeout > 0) uv_timer_start(&st->wakeup, on_wakeup, wakeup_delay_ms(timeout), 0);
    // With no timer at all the wait lasts until a signal or call_soon_threadsafe, as CPython's
    // select(None) would.  A signal that came before signal_wakeup was set skips the wait; one
    // that comes after sends the async handle.  Only the main thread receives signals.
    uv_ref((uv_handle_t *)&st->async);
    bool main = vm_is_main_thread();
    if (main) atomic_store(&signal_wakeup, &st->async);
    if (!vm_interrupted) {
        if (vm_other_threads_alive()) wait_unlocked(vm, st);
        else uv_run(&st->uv, UV_RUN_ONCE);
    }
    if (main) atomic_store(&signal_wakeup, NULL);
    uv_unref((uv_handle_t *)&st->async);
    uv_timer_stop(&st->wakeup);
}

// With other threads alive, the wait lets them run: the interpreter lock is released while this
// thread blocks in poll() on libuv's own epoll descriptor (readable when anything libuv watches
// is ready) for as long as libuv would block; then libuv runs its callbacks without blocking,
// with the lock held again (they touch the loop's queues).
static void wait_unlocked(Vm *vm, LoopState *st) {
    struct pollfd p = {.fd = uv_backend_fd(&st->uv), .events = POLLIN};
    int ms = uv_backend_timeout(&st->uv);
    vm_release_lock(vm);
    poll(&p, 1, ms);
    vm_acquire_lock(vm);
    uv_run(&st->uv, UV_RUN_NOWAIT);
}

// Step 1: CPython rebuilds the heap without its cancelled timers once they are more than half of
// a big heap; otherwise it only drops the ones that reached the top.
static void drop_cancelled_timers(LoopState *st) {
    size_t scheduled = st->timers.count;
    if (scheduled > MIN_SCHEDULED_TIMER_HANDLES &&
        (double)st->cancelled_in_heap / (double)scheduled > MIN_CANCELLED_TIMER_HANDLES_FRACTION) {
        timer_heap_remove_if(&st->timers, unschedule_if_cancelled);
        st->cancelled_in_heap = 0;
    } else {
        pop_cancelled_timers(st);
    }
}

// Step 3: every timer due by now joins the ready queue, in the heap's order.  "By now" allows
// one tick of the clock, as CPython's end_time = self.time() + self._clock_resolution.
// Returns the time it read, which is also when the iteration's callbacks begin.
static double ready_due_timers(Vm *vm, LoopState *st) {
    double now = clock_monotonic(vm);
    double end_time = now + CLOCK_MONOTONIC_RESOLUTION;
    for (;;) {
        pop_cancelled_timers(st);
        if (!st->timers.count || timer_heap_top(&st->timers)->when >= end_time) break;
        Obj *due = pop_timer(st);
        if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_TIMER_FIRED, .subject = due});
        ready_push(st, due->kind == OBJ_SLEEP ? READY_SLEEP_DUE : READY_HANDLE, due, NONE_VAL());
    }
    return now;
}

// run_ready_entry in debug mode: timed, and reported when slow (runtime/debug_mode.h).  Whether
// to time an entry is decided before it runs, as CPython decides.  Kept out of line, so that the
// plain path of run_ready_now stays as it is without debug mode.
static __attribute__((noinline)) bool run_ready_entry_timed(Vm *vm, Value loop, LoopState *st, const ReadyEntry *e) {
    DebugEntry d;
    debug_entry_begin(vm, e->target, &d);
    bool ok = run_ready_entry(vm, loop, e);
    debug_entry_end(vm, e->target, &d, st->slow_callback_duration);
    return ok;
}

// Step 4: runs exactly the entries that are ready now; what they schedule waits for the next
// iteration.  False when SystemExit or KeyboardInterrupt escapes.
static bool run_ready_now(Vm *vm, Value loop, LoopState *st) {
    size_t ntodo = st->ready_count;
    for (size_t i = 0; i < ntodo; i++) {
        ReadyEntry e = ready_pop(st);
        if (ready_entry_cancelled(&e)) continue;
        vm_push_root(vm, OBJ_VAL(e.target));
        vm_push_root(vm, e.arg);
        bool ok = UNLIKELY(st->debug) ? run_ready_entry_timed(vm, loop, st, &e) : run_ready_entry(vm, loop, &e);
        vm_pop_roots(vm, 2);
        if (!ok) return false;
        if (vm->nfinalize) vm_report_finalizers(vm);
    }
    return true;
}

static void record_iteration(Vm *vm, LoopState *st) {
    Event e = {.kind = EV_LOOP_ITERATION, .when = -1};
    e.counts[0] = (long)st->ready_count;
    e.counts[1] = (long)(st->timers.count - st->cancelled_in_heap);
    e.counts[2] = (long)io_watched_count(st->io);
    if (st->timers.count) e.when = timer_heap_top(&st->timers)->when;
    events_emit(vm, &e);
}

// Whether something outside the loop's timers can still end a wait: a watched descriptor, a
// libuv request in flight (a name lookup), a Python-level signal handler.  For SIGINT only a
// handler the program wrote counts: Ctrl-C's default and asyncio.run's (a functools.partial)
// are there in every program, and would make every deadlock look like a wait for Ctrl-C.
static bool external_wait_pending(Vm *vm, LoopState *st) {
    // Another thread may call call_soon_threadsafe (run_in_executor's worker does).
    if (io_watching(st->io) || uv_loop_alive(&st->uv) || vm_other_threads_alive()) return true;
    for (int sig = 1; sig < NSIG; sig++) {
        Value h = vm->signal_handlers[sig];
        if (sig == SIGINT ? IS_FUNCTION(h) || (IS_BOUND(h) && IS_FUNCTION(AS_BOUND(h)->func)) : IS_OBJ(h)) return true;
    }
    return false;
}

// --virtual-time's wait: with nothing but timers to wait for, the clock jumps to the earliest
// one and the loop only polls; otherwise the loop waits in real time for what is outside it,
// and the clock jumps to the timer only if the wait ended because the timer was due.
static void wait_virtually(Vm *vm, LoopState *st, double timeout) {
    bool external = external_wait_pending(vm, st);
    double now = clock_monotonic(vm);
    double target = st->timers.count ? timer_heap_top(&st->timers)->when : now;
    if (target > now + timeout) target = now + timeout;
    if (timeout > 0 && !external) {
        if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_CLOCK_JUMP, .when = target - now});
        clock_advance_to(vm, target);
        wait_for_events(vm, st, 0);
        return;
    }
    st->timer_ended_wait = false;
    wait_for_events(vm, st, timeout);
    if (timeout > 0 && st->timer_ended_wait) {
        if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_CLOCK_JUMP, .when = target - now});
        clock_advance_to(vm, target);
    }
}

// One iteration, in the four steps the comment at the top of this file lists.
static bool loop_run_once(Vm *vm, Value loop) {
    LoopState *st = state_of(loop);
    drop_cancelled_timers(st);
    double timeout = wait_timeout(vm, st);
    if (EVENTS_ON) record_iteration(vm, st);
#ifdef AIO_FUZZ
    // Fuzz builds never wait (runtime/clock.c): time jumps to the next timer, and a loop with
    // nothing left to wake it, which would wait forever, raises instead.
    if (!vm_fuzz_tick(vm)) return false;
    if (timeout < 0 && !io_watching(st->io))
        return vm_raise(vm, vm->RuntimeError, "fuzz build: the event loop would wait forever");
    if (timeout > 0) clock_skip(vm, timeout);
    timeout = 0;
#endif
    if (timeout < 0 && st->tasks && !external_wait_pending(vm, st)) deadlock_report(vm, st->tasks);
    if (timeout != 0 && st->tasks) lost_waker_idle(vm);
    if (timeout != 0 && clock_is_virtual()) wait_virtually(vm, st, timeout);
    else wait_for_events(vm, st, timeout);
    // Python-level signal handlers run here, as CPython's run when select() is interrupted; what
    // they schedule (Runner's cancellation of the main task) runs in this iteration.
    if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
    st->callbacks_since = ready_due_timers(vm, st);
    bool ok = run_ready_now(vm, loop, st);
    st->callbacks_since = 0;
    if (UNLIKELY(st->collect_soon)) {
        st->collect_soon = false;
        gc_collect(vm);
        vm_report_finalizers(vm);
    }
    return ok;
}

void loop_collect_soon(Value loop) {
    if (IS_LOOP(loop) && AS_LOOP(loop)->state) AS_LOOP(loop)->state->collect_soon = true;
}

double loop_stalled_seconds(Vm *vm) {
    if (!IS_LOOP(vm->running_loop) || !state_of(vm->running_loop)) return 0;
    double since = state_of(vm->running_loop)->callbacks_since;
    return since > 0 ? clock_monotonic(vm) - since : 0;
}

// ---- the loop object ----------------------------------------------------------------------------

// OSError(errno, strerror) for a libuv error code (the negated errno), as CPython's selector
// raises when the system has no file descriptor left for a new loop.
static bool raise_uv_error(Vm *vm, int uv_err) {
    Value args[2] = {INT_VAL(-uv_err), OBJ_VAL(str_from_c(vm, strerror(-uv_err)))};
    vm_push_root(vm, args[1]);
    Value exc;
    bool ok = vm_call(vm, OBJ_VAL(vm->OSError), args, 2, NULL, &exc);
    vm_pop_root(vm);
    return ok ? vm_raise_value(vm, exc) : false;
}

// A new loop, or NULL with OSError pending when libuv cannot set one up (no descriptors left):
// its state then stays without libuv parts (uv_ready false), which close_uv knows to skip.
static ObjLoop *loop_new(Vm *vm, ObjClass *cls) {
    LoopState *st = calloc(1, sizeof(LoopState));
    if (!st) abort();
    st->current_task = NONE_VAL();
    st->exception_handler = NONE_VAL();
    st->slow_callback_duration = 0.1;
    st->debug = debug_mode_default;
    if (st->debug) debug_mode_attach(vm);
    ObjLoop *loop = (ObjLoop *)gc_alloc_object(vm, sizeof(ObjLoop), OBJ_LOOP, cls);
    loop->state = st;
    vm_push_root(vm, OBJ_VAL(loop));
    st->asyncgens = list_new(vm, 0);
    st->held = list_new(vm, 0);
    // The attributes of run_in_executor's default executor (stdlib/asyncio/base_events.aio),
    // in the loop's dict from the start, as CPython's loop has them from its __init__.
    loop->dict = dict_new(vm);
    dict_set_cstr(vm, loop->dict, "_default_executor", NONE_VAL());
    dict_set_cstr(vm, loop->dict, "_executor_shutdown_called", BOOL_VAL(false));
    vm_pop_root(vm);
    int err = uv_loop_init(&st->uv);
    if (err == 0) {
        err = uv_async_init(&st->uv, &st->async, on_async);
        if (err != 0) uv_loop_close(&st->uv);
    }
    if (err != 0) {
        raise_uv_error(vm, err);
        return NULL;
    }
    st->uv.data = loop; // how a libuv request's callback finds the loop (NULL once closing)
    uv_timer_init(&st->uv, &st->wakeup);
    st->wakeup.data = st;
    uv_unref((uv_handle_t *)&st->async); // it must not keep uv_run waiting by itself
    st->uv_ready = true;
    // The selector is made with the loop, as CPython's: it takes a descriptor number now, not
    // one the program may be watching later.
    err = io_open(loop);
    if (err != 0) {
        close_uv(st);
        raise_os_errno(vm, err, EMPTY_VAL());
        return NULL;
    }
    return loop;
}

static bool loop_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjLoop *loop = loop_new(vm, IS_CLASS(args[0]) ? AS_CLASS(args[0]) : vm->loop_class);
    if (!loop) return false;
    *result = OBJ_VAL(loop);
    return true;
}

#define LOOP_METHOD(name) static bool name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result)
#define SELF_STATE()                                                                               \
    if (!check_loop(vm, args[0])) return false;                                                    \
    LoopState *st = state_of(args[0]);                                                             \
    (void)st

LOOP_METHOD(loop_time) {
    SELF_STATE();
    *result = FLOAT_VAL(clock_monotonic(vm));
    return true;
}

static bool check_running(Vm *vm, Value loop) {
    if (state_of(loop)->running) return vm_raise(vm, vm->RuntimeError, "This event loop is already running");
    if (!IS_NONE(vm->running_loop))
        return vm_raise(vm, vm->RuntimeError, "Cannot run the event loop while another loop is running");
    return true;
}

static bool loop_run_forever(Vm *vm, Value loop) {
    LoopState *st = state_of(loop);
    if (!check_closed(vm, st) || !check_running(vm, loop)) return false;
    st->running = true;
    Value saved = vm->running_loop;
    vm->running_loop = loop;
    bool ok = true;
    for (;;) {
        if (!loop_run_once(vm, loop)) {
            ok = false;
            break;
        }
        if (st->stopping) break;
    }
    st->stopping = false;
    st->running = false;
    vm->running_loop = saved;
    return ok;
}

LOOP_METHOD(loop_run_forever_native) {
    SELF_STATE();
    *result = NONE_VAL();
    return loop_run_forever(vm, args[0]);
}

LOOP_METHOD(loop_stop) {
    SELF_STATE();
    st->stopping = true;
    *result = NONE_VAL();
    return true;
}

// close() drops the default executor of run_in_executor (stdlib/asyncio/base_events.aio keeps it
// in the loop's dict) and tells it to shut down without waiting for its threads, as CPython does.
static bool shut_down_default_executor(Vm *vm, ObjLoop *loop) {
    if (!loop->dict) return true;
    ObjStr *name = str_from_c(vm, "_default_executor");
    Value executor = dict_get_str(loop->dict, name);
    if (IS_EMPTY(executor) || IS_NONE(executor)) return true;
    vm_push_root(vm, OBJ_VAL(name));
    vm_push_root(vm, executor);
    Value shutdown, ignored, no_wait = BOOL_VAL(false);
    bool ok = dict_set(vm, loop->dict, OBJ_VAL(name), NONE_VAL()) &&
              vm_getattr(vm, executor, str_from_c(vm, "shutdown"), &shutdown) &&
              vm_call(vm, shutdown, &no_wait, 1, NULL, &ignored);
    vm_pop_roots(vm, 2);
    return ok;
}

LOOP_METHOD(loop_close) {
    SELF_STATE();
    if (st->running) return vm_raise(vm, vm->RuntimeError, "Cannot close a running event loop");
    *result = NONE_VAL();
    if (st->closed) return true;
    st->closed = true;
    st->ready_count = 0;
    st->held->count = 0;
    timer_heap_remove_if(&st->timers, unschedule);
    // Pending tasks are no longer held: collected, they report "Task was destroyed but it is pending!".
    forget_tasks(st);
    if (!shut_down_default_executor(vm, AS_LOOP(args[0]))) return false;
    close_uv(st);
    // CPython reports coroutines that were never awaited as soon as they are dropped; aio's
    // collector finds them later.  Collecting here brings those messages to the end of
    // asyncio.run() instead of the end of the program.
    gc_collect(vm);
    vm_report_finalizers(vm);
    return true;
}

LOOP_METHOD(loop_is_running) {
    SELF_STATE();
    *result = BOOL_VAL(st->running);
    return true;
}

LOOP_METHOD(loop_is_closed) {
    SELF_STATE();
    *result = BOOL_VAL(st->closed);
    return true;
}

LOOP_METHOD(loop_get_debug) {
    SELF_STATE();
    *result = BOOL_VAL(st->debug);
    return true;
}

LOOP_METHOD(loop_set_debug) {
    SELF_STATE();
    bool on = false;
    if (nargs > 1 && !vm_truthy(vm, args[1], &on)) return false;
    st->debug = on;
    if (on) debug_mode_attach(vm);
    *result = NONE_VAL();
    return true;
}

// call_soon and friends take only `context` by keyword (and ignore it: aio has no contextvars).
static bool only_context_keyword(Vm *vm, const char *method, ObjTuple *kwnames) {
    for (size_t i = 0; kwnames && i < kwnames->count; i++)
        if (strcmp(AS_STR(kwnames->items[i])->chars, "context") != 0)
            return vm_raise(vm, vm->TypeError, "BaseEventLoop.%s() got an unexpected keyword argument '%s'", method,
                            AS_STR(kwnames->items[i])->chars);
    return true;
}

void loop_track_asyncgen(Vm *vm, ObjGenerator *agen) {
    if (!IS_LOOP(vm->running_loop) || !state_of(vm->running_loop)) return;
    list_append(vm, state_of(vm->running_loop)->asyncgens, OBJ_VAL(agen));
}

LOOP_METHOD(loop_take_asyncgens) {
    SELF_STATE();
    ObjList *l = st->asyncgens;
    *result = OBJ_VAL(l);
    st->asyncgens = list_new(vm, 0);
    return true;
}

// _signal_handle(callback, args): the Handle add_signal_handler keeps for a signal (CPython makes
// it with events.Handle, which aio programs cannot construct); each time the signal arrives the
// same Handle joins the ready queue (_add_callback), so errors are reported under the program's
// callback and remove_signal_handler cancels a run already queued.
LOOP_METHOD(loop_signal_handle) {
    SELF_STATE();
    if (nargs != 3 || !IS_TUPLE(args[2])) return vm_raise(vm, vm->TypeError, "_signal_handle(callback, args)");
    *result = OBJ_VAL(handle_new(vm, args[0], args[1], args[2], false));
    return true;
}

// _add_callback(handle): puts a Handle made earlier on the ready queue, unless it is cancelled.
LOOP_METHOD(loop_add_callback) {
    SELF_STATE();
    if (nargs != 2 || !IS_HANDLE(args[1])) return vm_raise(vm, vm->TypeError, "_add_callback(handle)");
    if (!check_closed(vm, st)) return false;
    if (!AS_HANDLE(args[1])->timer.cancelled) ready_push(st, READY_HANDLE, AS_OBJ(args[1]), NONE_VAL());
    *result = NONE_VAL();
    return true;
}

// call_soon(callback, *args, context=None)
static bool call_soon(Vm *vm, const char *method, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_loop(vm, args[0])) return false;
    LoopState *st = state_of(args[0]);
    if (!only_context_keyword(vm, method, kwnames)) return false;
    if (nargs < 2) return vm_raise(vm, vm->TypeError, "%s() missing 1 required positional argument: 'callback'", method);
    if (!check_closed(vm, st)) return false;
    ObjTuple *t = tuple_from_values(vm, args + 2, (size_t)(nargs - 2));
    vm_push_root(vm, OBJ_VAL(t));
    bool ok = schedule_handle(vm, args[0], args[1], OBJ_VAL(t), result);
    vm_pop_root(vm);
    return ok;
}

LOOP_METHOD(loop_call_soon_native) { return call_soon(vm, "call_soon", args, nargs, kwnames, result); }

// call_soon_threadsafe(callback, *args, context=None): call_soon, then the async handle ends the
// loop's wait (CPython's _write_to_self).  aio has no threads yet: the callers are this thread
// and signal handlers, so the ready queue needs no lock.
LOOP_METHOD(loop_call_soon_threadsafe) {
    if (!call_soon(vm, "call_soon_threadsafe", args, nargs, kwnames, result)) return false;
    uv_async_send(&state_of(args[0])->async);
    return true;
}

static bool schedule_timer(Vm *vm, Value loop, double when, Value cb, Value *args, int nargs, Value *result) {
    LoopState *st = state_of(loop);
    if (!check_closed(vm, st)) return false;
    ObjTuple *t = tuple_from_values(vm, args, (size_t)nargs);
    vm_push_root(vm, OBJ_VAL(t));
    ObjHandle *h = handle_new(vm, loop, cb, OBJ_VAL(t), true);
    vm_pop_root(vm);
    *result = OBJ_VAL(h);
    return start_timer(vm, loop, (Obj *)h, when);
}

// A delay or a time: any int or float (an int too big for a float is OverflowError, as CPython's
// time() + delay gives).
static bool number_arg(Vm *vm, Value v, double *out) {
    if (IS_BIGINT(v)) return big_to_double(vm, v, out);
    if (!IS_NUMBER(v)) return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as a number", vm_type_name(vm, v));
    *out = AS_NUMBER(v);
    return true;
}

// loop.slow_callback_duration: a property over the C field (a number, as CPython expects).
LOOP_METHOD(loop_get_slow_callback_duration) {
    SELF_STATE();
    *result = FLOAT_VAL(st->slow_callback_duration);
    return true;
}

LOOP_METHOD(loop_set_slow_callback_duration) {
    SELF_STATE();
    double seconds = 0;
    if (!number_arg(vm, args[1], &seconds)) return false;
    st->slow_callback_duration = seconds;
    *result = NONE_VAL();
    return true;
}

bool loop_in_debug_mode(Value loop) { return IS_LOOP(loop) && AS_LOOP(loop)->state && AS_LOOP(loop)->state->debug; }

LOOP_METHOD(loop_call_later) {
    SELF_STATE();
    if (!only_context_keyword(vm, "call_later", kwnames)) return false;
    if (nargs < 3) return vm_raise(vm, vm->TypeError, "call_later() missing required arguments: 'delay' and 'callback'");
    double delay = 0;
    if (!number_arg(vm, args[1], &delay)) return false;
    return schedule_timer(vm, args[0], clock_monotonic(vm) + delay, args[2], args + 3, nargs - 3, result);
}

LOOP_METHOD(loop_call_at) {
    SELF_STATE();
    if (!only_context_keyword(vm, "call_at", kwnames)) return false;
    if (nargs < 3) return vm_raise(vm, vm->TypeError, "call_at() missing required arguments: 'when' and 'callback'");
    double when = 0;
    if (!number_arg(vm, args[1], &when)) return false;
    return schedule_timer(vm, args[0], when, args[2], args + 3, nargs - 3, result);
}

LOOP_METHOD(loop_create_future) {
    SELF_STATE();
    *result = OBJ_VAL(future_new(vm, vm->future_class, args[0]));
    return true;
}

LOOP_METHOD(loop_create_task) {
    SELF_STATE();
    static const char *const names[] = {"coro", "name", "context", NULL};
    Value a[3];
    if (!parse_args(vm, "create_task", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    if (!check_closed(vm, st)) return false;
    Value coro = a[0];
    if (!asyncio_is_coroutine(coro)) {
        ObjStr *r = vm_repr(vm, coro);
        if (!r) return false;
        return vm_raise(vm, vm->TypeError, "a coroutine was expected, got %s", r->chars);
    }
    ObjFuture *t = task_new(vm, vm->task_class, coro, args[0], IS_EMPTY(a[1]) ? NONE_VAL() : a[1]);
    if (!t) return false;
    *result = OBJ_VAL(t);
    return true;
}

static bool until_complete_cb(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    ObjFuture *f = AS_FUTURE(args[0]);
    // CPython's callback calls fut.exception(), which marks the exception retrieved: a task that
    // raised KeyboardInterrupt out of run_until_complete is not "never retrieved" once the loop
    // runs again (as Runner.close() makes it do).
    if (f->state == FUT_FINISHED) f->log_traceback = false;
    if (f->state == FUT_FINISHED && !IS_NONE(f->exception) &&
        (vm_is_instance(vm, f->exception, vm->SystemExit) || vm_is_instance(vm, f->exception, vm->KeyboardInterrupt)))
        return true;
    if (IS_LOOP(f->loop) && state_of(f->loop)) state_of(f->loop)->stopping = true;
    return true;
}

LOOP_METHOD(loop_run_until_complete) {
    SELF_STATE();
    if (!check_args(vm, "run_until_complete", nargs, kwnames, 2, 2)) return false;
    if (!check_closed(vm, st) || !check_running(vm, args[0])) return false;
    Value fut = args[1];
    bool new_task = !IS_FUTURE(fut);
    if (new_task) {
        if (!asyncio_is_coroutine(fut)) {
            // ensure_future for other awaitables lives in asyncio.tasks (aio)
            Value tasks_mod, ensure;
            if (!import_module(vm, str_from_c(vm, "asyncio.tasks"), &tasks_mod) ||
                !vm_getattr(vm, tasks_mod, str_from_c(vm, "ensure_future"), &ensure))
                return false;
            Value kw[2] = {fut, args[0]};
            ObjTuple *names_t = tuple_new(vm, 1);
            names_t->items[0] = OBJ_VAL(str_from_c(vm, "loop"));
            vm_push_root(vm, OBJ_VAL(names_t));
            bool ok = vm_call(vm, ensure, kw, 1, names_t, &fut);
            vm_pop_root(vm);
            if (!ok) return false;
        } else {
            ObjFuture *t = task_new(vm, vm->task_class, fut, args[0], NONE_VAL());
            if (!t) return false;
            fut = OBJ_VAL(t);
        }
        if (IS_FUTURE(fut) && AS_FUTURE(fut)->is_task) AS_FUTURE(fut)->log_destroy_pending = false;
    }
    vm_push_root(vm, fut);
    Value cb = OBJ_VAL(vm->until_complete_native);
    ObjFuture *f = AS_FUTURE(fut);
    bool ok = future_add_done_callback(vm, f, cb) && loop_run_forever(vm, args[0]);
    if (!ok && new_task && f->state == FUT_FINISHED) f->log_traceback = false;
    future_remove_callback(vm, f, cb);
    vm_pop_root(vm);
    if (!ok) return false;
    if (f->state == FUT_PENDING) return vm_raise(vm, vm->RuntimeError, "Event loop stopped before Future completed.");
    return future_result(vm, f, result);
}

LOOP_METHOD(loop_run_once_native) {
    SELF_STATE();
    *result = NONE_VAL();
    return loop_run_once(vm, args[0]);
}

LOOP_METHOD(loop_repr) {
    SELF_STATE();
    *result = OBJ_VAL(str_printf(vm, "<_UnixSelectorEventLoop running=%s closed=%s debug=%s>", st->running ? "True" : "False",
                                 st->closed ? "True" : "False", st->debug ? "True" : "False"));
    return true;
}

// ---- errors nobody handled ----------------------------------------------------------------------

// CPython's default_exception_handler, printing as logging's last-resort handler would.
static bool default_exception_handler(Vm *vm, ObjDict *ctx) {
    Value message = dict_get_str(ctx, str_from_c(vm, "message"));
    Value exc = dict_get_str(ctx, str_from_c(vm, "exception"));
    StrBuf sb;
    sb_init(&sb);
    if (IS_STR(message)) sb_puts(&sb, AS_STR(message)->chars);
    else sb_puts(&sb, "Unhandled exception in event loop");
    size_t pos = 0;
    Value k, v;
    while (dict_next(ctx, &pos, &k, &v)) {
        if (!IS_STR(k)) continue;
        const char *key = AS_STR(k)->chars;
        if (strcmp(key, "message") == 0 || strcmp(key, "exception") == 0) continue;
        ObjStr *r = vm_repr(vm, v);
        if (!r) {
            vm_clear_exception(vm);
            continue;
        }
        sb_printf(&sb, "\n%s: %s", key, r->chars);
    }
    fflush(stdout);
    fprintf(stderr, "%s\n", sb.data);
    sb_free(&sb);
    if (IS_EXCEPTION(exc)) {
        vm_print_exception(vm, exc);
        async_traceback_print(vm, exc);
        hints_after_uncaught(vm, exc);
    }
    return true;
}

static bool call_exception_handler(Vm *vm, Value loop, ObjDict *ctx) {
    LoopState *st = IS_LOOP(loop) ? state_of(loop) : NULL;
    if (st && !IS_NONE(st->exception_handler)) {
        Value ignored;
        if (vm_call2(vm, st->exception_handler, loop, OBJ_VAL(ctx), &ignored)) return true;
        if (vm_exception_matches(vm, vm->SystemExit) || vm_exception_matches(vm, vm->KeyboardInterrupt)) return false;
        vm_clear_exception(vm);
        return true;
    }
    return default_exception_handler(vm, ctx);
}

LOOP_METHOD(loop_call_exception_handler) {
    SELF_STATE();
    if (nargs != 2 || !IS_DICT(args[1])) return vm_raise(vm, vm->TypeError, "call_exception_handler() takes a dict");
    *result = NONE_VAL();
    return call_exception_handler(vm, args[0], AS_DICT(args[1]));
}

LOOP_METHOD(loop_default_exception_handler) {
    SELF_STATE();
    if (nargs != 2 || !IS_DICT(args[1])) return vm_raise(vm, vm->TypeError, "default_exception_handler() takes a dict");
    *result = NONE_VAL();
    return default_exception_handler(vm, AS_DICT(args[1]));
}

LOOP_METHOD(loop_set_exception_handler) {
    SELF_STATE();
    st->exception_handler = nargs > 1 ? args[1] : NONE_VAL();
    *result = NONE_VAL();
    return true;
}

LOOP_METHOD(loop_get_exception_handler) {
    SELF_STATE();
    *result = st->exception_handler;
    return true;
}

// Attributes set by subclasses written in aio live in the loop's dict.
LOOP_METHOD(loop_getattr) { return asyncio_dict_getattr(vm, AS_LOOP(args[0])->dict, args[0], args[1], result); }

LOOP_METHOD(loop_setattr) {
    ObjLoop *l = AS_LOOP(args[0]);
    // A property of the class (slow_callback_duration) takes the assignment.
    Value descr = IS_STR(args[1]) ? class_lookup(AS_OBJ(args[0])->cls, AS_STR(args[1])) : EMPTY_VAL();
    if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_PROPERTY && !IS_NONE(AS_WRAPPER(descr)->b))
        return vm_call2(vm, AS_WRAPPER(descr)->b, args[0], args[2], result);
    if (!l->dict) l->dict = dict_new(vm);
    *result = NONE_VAL();
    return dict_set(vm, l->dict, args[1], args[2]);
}

// ---- the _asyncio module's functions ------------------------------------------------------------

ObjClass *asyncio_invalid_state(Vm *vm) { return vm->InvalidStateError; }
ObjClass *asyncio_cancelled_error(Vm *vm) { return vm->CancelledError; }
ObjClass *asyncio_future_iter_class(Vm *vm) { return vm->future_iter_class; }

// "There is no current event loop in thread 'NAME'.", NAME the threading.Thread's name.
static bool no_current_loop(Vm *vm) {
    ThreadState *ts = vm_thread_current();
    Value name = EMPTY_VAL();
    if (ts && !ts->is_main && IS_OBJ(ts->thread_object) && !vm_getattr(vm, ts->thread_object, str_from_c(vm, "name"), &name)) {
        vm_clear_exception(vm);
        name = EMPTY_VAL();
    }
    const char *text = IS_STR(name) ? AS_STR(name)->chars : ts && !ts->is_main ? "Dummy-1" : "MainThread";
    return vm_raise(vm, vm->RuntimeError, "There is no current event loop in thread '%s'.", text);
}

bool asyncio_get_event_loop(Vm *vm, Value *out) {
    if (!IS_NONE(vm->running_loop)) {
        *out = vm->running_loop;
        return true;
    }
    if (IS_NONE(vm->event_loop)) {
        // CPython makes a loop implicitly only in the main thread, and only once.
        if (vm->event_loop_set || !vm_is_main_thread())
            return no_current_loop(vm);
        ObjLoop *loop = loop_new(vm, vm->loop_class);
        if (!loop) return false;
        vm->event_loop = OBJ_VAL(loop);
    }
    *out = vm->event_loop;
    return true;
}

static bool fn_get_event_loop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return asyncio_get_event_loop(vm, result);
}

static bool fn_new_event_loop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjLoop *loop = loop_new(vm, vm->loop_class);
    if (!loop) return false;
    *result = OBJ_VAL(loop);
    return true;
}

static bool fn_set_event_loop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_event_loop", nargs, kwnames, 1, 1)) return false;
    if (!IS_NONE(args[0]) && !IS_LOOP(args[0]))
        return vm_raise(vm, vm->TypeError, "loop must be an instance of AbstractEventLoop or None, not '%s'",
                        vm_type_name(vm, args[0]));
    vm->event_loop = args[0];
    vm->event_loop_set = true;
    *result = NONE_VAL();
    return true;
}

static bool fn_get_running_loop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (IS_NONE(vm->running_loop)) return vm_raise(vm, vm->RuntimeError, "no running event loop");
    *result = vm->running_loop;
    return true;
}

static bool fn_get_running_loop_opt(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = vm->running_loop;
    return true;
}

static bool fn_set_running_loop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    vm->running_loop = nargs ? args[0] : NONE_VAL();
    *result = NONE_VAL();
    return true;
}

static bool loop_arg(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *loop) {
    static const char *const names[] = {"loop", NULL};
    Value a[1];
    if (!parse_args(vm, "current_task", args, nargs, kwnames, names, 0, a)) return false;
    if (!IS_EMPTY(a[0]) && !IS_NONE(a[0])) *loop = a[0];
    else if (IS_NONE(vm->running_loop)) return vm_raise(vm, vm->RuntimeError, "no running event loop");
    else *loop = vm->running_loop;
    if (!check_loop(vm, *loop)) return false;
    return true;
}

static bool fn_current_task(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value loop = NONE_VAL();
    if (!loop_arg(vm, args, nargs, kwnames, &loop)) return false;
    *result = state_of(loop)->current_task;
    return true;
}

static bool fn_all_tasks(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value loop = NONE_VAL();
    if (!loop_arg(vm, args, nargs, kwnames, &loop)) return false;
    ObjSet *s = set_new(vm, false);
    vm_push_root(vm, OBJ_VAL(s));
    for (ObjFuture *t = state_of(loop)->tasks; t; t = t->next_task)
        if (t->state == FUT_PENDING && !set_add_value(vm, s, OBJ_VAL(t))) {
            vm_pop_root(vm);
            return false;
        }
    vm_pop_root(vm);
    *result = OBJ_VAL(s);
    return true;
}

static bool fn_register_task(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    if (nargs != 1 || !IS_FUTURE(args[0])) return vm_raise(vm, vm->TypeError, "_register_task() takes a Task");
    return loop_register_task(vm, AS_FUTURE(args[0])->loop, AS_FUTURE(args[0]));
}

static bool fn_enter_task(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || !check_loop(vm, args[0])) return false;
    LoopState *st = state_of(args[0]);
    if (!IS_NONE(st->current_task)) {
        ObjStr *a = vm_repr(vm, args[1]), *b = a ? vm_repr(vm, st->current_task) : NULL;
        if (!b) return false;
        return vm_raise(vm, vm->RuntimeError, "Cannot enter into task %s while another task %s is being executed.",
                        a->chars, b->chars);
    }
    st->current_task = args[1];
    *result = NONE_VAL();
    return true;
}

static bool fn_leave_task(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || !check_loop(vm, args[0])) return false;
    state_of(args[0])->current_task = NONE_VAL();
    *result = NONE_VAL();
    return true;
}

static bool fn_is_coroutine_function(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value f = nargs ? args[0] : NONE_VAL();
    if (IS_BOUND(f)) f = AS_BOUND(f)->func;
    *result = BOOL_VAL(IS_FUNCTION(f) && (AS_FUNCTION(f)->code->flags & CODE_COROUTINE));
    return true;
}

static bool set_result_unless_cancelled(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    if (nargs != 2 || !IS_FUTURE(args[0])) return vm_raise(vm, vm->TypeError, "_set_result_unless_cancelled(fut, result)");
    if (AS_FUTURE(args[0])->state == FUT_CANCELLED) return true;
    return future_set_result(vm, AS_FUTURE(args[0]), args[1]);
}

// The loop's shutdown_asyncgens coroutine method, as CPython's, in aio.
static const char shutdown_asyncgens_source[] =
    "async def shutdown_asyncgens(self):\n"
    "    closing_agens = self._take_asyncgens()\n"
    "    if not closing_agens:\n"
    "        return\n"
    "    from asyncio.tasks import gather\n"
    "    results = await gather(*[ag.aclose() for ag in closing_agens], return_exceptions=True)\n"
    "    for result, agen in zip(results, closing_agens):\n"
    "        if isinstance(result, Exception):\n"
    "            self.call_exception_handler({\n"
    "                'message': f'an error occurred during closing of asynchronous generator {agen!r}',\n"
    "                'exception': result,\n"
    "                'asyncgen': agen})\n";

// ---- module init --------------------------------------------------------------------------------

ObjModule *mod_asyncio_core_init(Vm *vm) {
    ObjModule *m = module_new(vm, str_from_c(vm, "_asyncio"));
    vm_push_root(vm, OBJ_VAL(m));
    ObjDict *g = m->globals;
    dict_set_cstr(vm, g, "__name__", OBJ_VAL(m->name));
    // Future and Task: C classes, subclassable from aio
    vm->future_class = define_class(vm, "Future", vm->object_class, OBJ_FUTURE);
    vm->task_class = define_class(vm, "Task", vm->future_class, OBJ_FUTURE);
    vm->handle_class = define_class(vm, "Handle", vm->object_class, OBJ_HANDLE);
    vm->timer_handle_class = define_class(vm, "TimerHandle", vm->handle_class, OBJ_HANDLE);
    vm->loop_class = define_class(vm, "_UnixSelectorEventLoop", vm->object_class, OBJ_LOOP);
    vm->future_iter_class = define_class(vm, "FutureIter", vm->iterator_class, OBJ_ITER);
    ObjClass *mine[] = {vm->future_class, vm->task_class, vm->handle_class, vm->timer_handle_class, vm->loop_class};
    for (int i = 0; i < 5; i++) {
        mine[i]->flags &= ~CLASS_BUILTIN; // subclassable from aio
        dict_set_cstr(vm, mine[i]->dict, "__module__", OBJ_VAL(str_from_c(vm, "_asyncio")));
        dict_set_str(vm, g, mine[i]->name, OBJ_VAL(mine[i]));
    }
    dict_set_cstr(vm, g, "EventLoop", OBJ_VAL(vm->loop_class));
    // exceptions (CancelledError is a BaseException since 3.8)
    vm->CancelledError = class_new(vm, str_from_c(vm, "CancelledError"), vm->BaseException);
    vm->InvalidStateError = class_new(vm, str_from_c(vm, "InvalidStateError"), vm->Exception);
    ObjClass *errs[] = {vm->CancelledError, vm->InvalidStateError};
    for (int i = 0; i < 2; i++) {
        dict_set_cstr(vm, errs[i]->dict, "__module__", OBJ_VAL(str_from_c(vm, "asyncio.exceptions")));
        dict_set_str(vm, g, errs[i]->name, OBJ_VAL(errs[i]));
    }
    runtime_init_future_class(vm, vm->future_class);
    runtime_init_task_class(vm, vm->task_class);
    vm->until_complete_native = native_new(vm, "_run_until_complete_cb", until_complete_cb, NULL);
    define_methods(vm, vm->handle_class, (MethodDef[]){{"cancel", handle_cancel_native},
                                                       {"cancelled", handle_cancelled},
                                                       {"__repr__", handle_repr},
                                                       {NULL, NULL}});
    define_methods(vm, vm->timer_handle_class, (MethodDef[]){{"when", handle_when}, {NULL, NULL}});
    define_methods(vm, vm->loop_class, (MethodDef[]){{"__new__", loop_new_native},
                                                     {"time", loop_time},
                                                     {"run_forever", loop_run_forever_native},
                                                     {"run_until_complete", loop_run_until_complete},
                                                     {"stop", loop_stop},
                                                     {"close", loop_close},
                                                     {"is_running", loop_is_running},
                                                     {"is_closed", loop_is_closed},
                                                     {"get_debug", loop_get_debug},
                                                     {"set_debug", loop_set_debug},
                                                     {"call_soon", loop_call_soon_native},
                                                     {"call_soon_threadsafe", loop_call_soon_threadsafe},
                                                     {"call_later", loop_call_later},
                                                     {"call_at", loop_call_at},
                                                     {"create_future", loop_create_future},
                                                     {"create_task", loop_create_task},
                                                     {"call_exception_handler", loop_call_exception_handler},
                                                     {"default_exception_handler", loop_default_exception_handler},
                                                     {"set_exception_handler", loop_set_exception_handler},
                                                     {"get_exception_handler", loop_get_exception_handler},
                                                     {"_run_once", loop_run_once_native},
                                                     {"_take_asyncgens", loop_take_asyncgens},
                                                     {"_signal_handle", loop_signal_handle},
                                                     {"_add_callback", loop_add_callback},
                                                     {"__repr__", loop_repr},
                                                     {"__getattr__", loop_getattr},
                                                     {"__setattr__", loop_setattr},
                                                     {NULL, NULL}});
    vm->loop_class->has_getattr = true;
    future_define_field(vm, vm->loop_class, "slow_callback_duration", loop_get_slow_callback_duration,
                        loop_set_slow_callback_duration);
    io_define_loop_methods(vm, vm->loop_class);
    static const struct {
        const char *name;
        NativeFn fn;
    } fns[] = {
        {"get_event_loop", fn_get_event_loop},   {"new_event_loop", fn_new_event_loop},
        {"set_event_loop", fn_set_event_loop},   {"get_running_loop", fn_get_running_loop},
        {"_get_running_loop", fn_get_running_loop_opt}, {"_set_running_loop", fn_set_running_loop},
        {"current_task", fn_current_task},       {"all_tasks", fn_all_tasks},
        {"_register_task", fn_register_task},    {"_enter_task", fn_enter_task},
        {"_leave_task", fn_leave_task},          {"_is_coroutine_function", fn_is_coroutine_function},
        {"sleep", asyncio_sleep_native},         {"_set_result_unless_cancelled", set_result_unless_cancelled},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) define_native(vm, g, fns[i].name, fns[i].fn);
    asyncio_names_init(vm);
    transport_define_functions(vm, g);
    streams_define_functions(vm, g);
    call_graph_define_functions(vm, g);
    Value ignored;
    if (!vm_run_source(vm, "<asyncio.base_events>", shutdown_asyncgens_source, sizeof shutdown_asyncgens_source - 1, g, &ignored)) {
        vm_pop_root(vm);
        return NULL;
    }
    // shutdown_asyncgens is a coroutine method of the loop, written in aio above
    ObjStr *sa = str_from_c(vm, "shutdown_asyncgens");
    dict_set_str(vm, vm->loop_class->dict, sa, dict_get_str(g, sa));
    dict_delete(vm, g, OBJ_VAL(sa), NULL);
    vm_pop_root(vm);
    return m;
}

// ---- a loop driven one iteration at a time (the REPL) --------------------------------------------
// The REPL (repl/repl.c) keeps its loop running for the whole session, as python -m asyncio does,
// but runs it itself, an iteration at a time: between keystrokes and while an entry awaits.  While
// it runs, asyncio.get_running_loop() is that loop, and run_forever() or asyncio.run() refuse.

bool loop_begin_run(Vm *vm, Value loop) {
    if (!check_loop(vm, loop)) return false;
    LoopState *st = state_of(loop);
    if (!check_closed(vm, st) || !check_running(vm, loop)) return false;
    st->running = true;
    vm->running_loop = loop;
    return true;
}

// One iteration; false with the exception that escaped it.  With `wait` it waits in libuv when
// nothing is ready, as run_forever's iterations do; without, it only polls (as `stopping` makes
// it do), and runs what is ready.  loop.stop() only ends the iteration it is called in: the
// REPL's loop keeps running.
bool loop_run_one_iteration(Vm *vm, Value loop, bool wait) {
    LoopState *st = state_of(loop);
    if (!wait) st->stopping = true;
    bool ok = loop_run_once(vm, loop);
    st->stopping = false;
    return ok;
}

void loop_end_run(Vm *vm, Value loop) {
    LoopState *st = state_of(loop);
    st->running = false;
    st->stopping = false;
    vm->running_loop = NONE_VAL();
}
