/* lost_waker: the tasks that nothing can ever wake (see lost_waker.h), found by the collector.
 *
 * During a collection while a loop runs, the loop's tasks that wait (fut_waiter set) are set aside
 * before the roots are marked: they are marked without their contents, so whatever is reachable
 * only through a waiting task stays unmarked.  Then, in rounds, a set-aside task that can be woken
 * has its contents marked too, which may make what others wait on reachable.  A task can be woken
 * when it waits on a sleep (its timer), on a task that is not set aside (running or ready) or that
 * can be woken, on a future that is now marked (some code that can still run reaches it and may
 * resolve it), or when a timer's callback names it (asyncio.timeout will cancel it).  A task left
 * over that waits on an unmarked future has lost its waker: only stuck tasks can reach that
 * future.  Every set-aside task is marked in the end, so the collection frees nothing it would
 * not have freed.
 *
 * A task that some running code could cancel is still reported: a reference to the task is not a
 * waker (tokio-console counts it the same way).
 */
#include "lost_waker.h"

#include <stdlib.h>

#include "clock.h"
#include "events.h"
#include "gc.h"
#include "runtime.h"

#define MAX_ROUNDS 64
#define IDLE_LOOK_SECONDS 1.0

bool lost_waker_dirty;

typedef struct {
    ObjFuture *task;
    bool can_wake;
} SetAside;

static SetAside *aside;
static size_t naside, aside_capacity;
static double last_look = -1;

static int by_address(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const SetAside *)a)->task, y = (uintptr_t)((const SetAside *)b)->task;
    return x < y ? -1 : x > y;
}

static SetAside *find(ObjFuture *task) {
    SetAside key = {.task = task};
    return bsearch(&key, aside, naside, sizeof *aside, by_address);
}

void lost_waker_before_marking(Vm *vm) {
    naside = 0;
    if (!IS_LOOP(vm->running_loop)) return;
    for (ObjFuture *t = loop_pending_tasks(AS_LOOP(vm->running_loop)); t; t = t->next_task) {
        if (IS_NONE(t->fut_waiter) || t->obj.marked) continue;
        if (naside == aside_capacity) {
            aside_capacity = aside_capacity ? aside_capacity * 2 : 64;
            aside = realloc(aside, sizeof *aside * aside_capacity);
            if (!aside) abort();
        }
        aside[naside++] = (SetAside){t, false};
        t->obj.marked = true; // reached from now on, but not looked into
    }
    if (naside > 1) qsort(aside, naside, sizeof *aside, by_address);
}

// Whether v is `task`, or an instance whose attributes hold it (a Timeout's _task).
static bool names(Value v, ObjFuture *task) {
    if (IS_OBJ(v) && AS_OBJ(v) == (Obj *)task) return true;
    if (!IS_INSTANCE(v) || !AS_INSTANCE(v)->dict) return false;
    ObjDict *d = AS_INSTANCE(v)->dict;
    size_t pos = 0;
    Value key, value;
    while (dict_next(d, &pos, &key, &value))
        if (IS_OBJ(value) && AS_OBJ(value) == (Obj *)task) return true;
    return false;
}

// A pending TimerHandle whose callback names the task: its method, its argument, what its
// bound self or its closure holds.
static bool timer_names(ObjLoop *loop, ObjFuture *task) {
    Obj *owner;
    for (size_t i = 0; (owner = loop_timer_owner(loop, i)); i++) {
        if (owner->kind != OBJ_HANDLE || ((ObjHandle *)owner)->timer.cancelled) continue;
        ObjHandle *h = (ObjHandle *)owner;
        Value cb = h->callback;
        if (IS_BOUND(cb) && names(AS_BOUND(cb)->self, task)) return true;
        if (IS_FUNCTION(cb) && AS_FUNCTION(cb)->closure) {
            ObjTuple *cells = AS_FUNCTION(cb)->closure;
            for (size_t j = 0; j < cells->count; j++)
                if (IS_CELL(cells->items[j]) && names(AS_CELL(cells->items[j])->value, task)) return true;
        }
        if (IS_TUPLE(h->args))
            for (size_t j = 0; j < AS_TUPLE(h->args)->count; j++)
                if (names(AS_TUPLE(h->args)->items[j], task)) return true;
    }
    return false;
}

static bool can_wake(Vm *vm, SetAside *a) {
    Value w = a->task->fut_waiter;
    if (IS_SLEEP(w)) return true;
    if (IS_FUTURE(w) && AS_FUTURE(w)->is_task) {
        SetAside *other = find(AS_FUTURE(w));
        if (!other || other->can_wake) return true;
    } else if (IS_OBJ(w) && AS_OBJ(w)->marked) {
        return true;
    }
    return timer_names(AS_LOOP(vm->running_loop), a->task);
}

static void look_into(Vm *vm, ObjFuture *task) {
    task->obj.marked = false;
    gc_mark_object(vm, (Obj *)task);
}

static void report(Vm *vm, ObjFuture *task) {
    task->lost_waker_reported = true;
    fflush(stdout);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "aio: lost waker: ");
    events_describe_task(vm, task, &sb);
    sb_puts(&sb, " awaits ");
    events_describe_wait(vm, task, &sb);
    events_put_task_location(vm, task, " at ", &sb);
    sb_puts(&sb, ", which only waiting tasks can reach: nothing but a cancellation will ever wake it");
    fprintf(stderr, "%s\n", sb.data);
    fflush(stderr);
    sb_free(&sb);
}

void lost_waker_after_marking(Vm *vm) {
    if (!naside) return;
    bool progress = true;
    int rounds = 0;
    while (progress && rounds++ < MAX_ROUNDS) {
        progress = false;
        for (size_t i = 0; i < naside; i++) {
            if (aside[i].can_wake || !can_wake(vm, &aside[i])) continue;
            aside[i].can_wake = progress = true;
            look_into(vm, aside[i].task);
        }
        if (progress) gc_trace(vm);
    }
    if (!progress) // the rounds settled: what is left is stuck
        for (size_t i = 0; i < naside; i++) {
            ObjFuture *t = aside[i].task;
            Value w = t->fut_waiter;
            bool lost = !aside[i].can_wake && !(IS_FUTURE(w) && AS_FUTURE(w)->is_task) && IS_OBJ(w) && !AS_OBJ(w)->marked;
            if (lost && !t->lost_waker_reported) report(vm, t);
        }
    for (size_t i = 0; i < naside; i++)
        if (!aside[i].can_wake) look_into(vm, aside[i].task);
    gc_trace(vm);
    naside = 0;
    lost_waker_dirty = false;
    last_look = clock_monotonic(vm);
}

void lost_waker_idle(Vm *vm) {
    if (!lost_waker_dirty) return;
    double now = clock_monotonic(vm);
    if (last_look < 0) last_look = now;
    if (now - last_look < IDLE_LOOK_SECONDS) return;
    gc_collect(vm);
}
