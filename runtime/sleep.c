/* asyncio.sleep(): a coroutine written in C.
 *
 * CPython's sleep is an `async def` (Lib/asyncio/tasks.py):
 *
 *     async def sleep(delay, result=None):
 *         if delay <= 0:
 *             await __sleep0()            # a bare `yield`: the task gives the loop one iteration
 *             return result
 *         loop = events.get_running_loop()
 *         future = loop.create_future()
 *         h = loop.call_later(delay, futures._set_result_unless_cancelled, future, result)
 *         try:
 *             return await future
 *         finally:
 *             h.cancel()
 *
 * ObjSleep is that function as a state machine, one state per suspension point.  It is its own
 * timer: the loop's heap holds it where CPython's holds the TimerHandle, and when it is due the loop
 * runs sleep_timer_due, which does what _set_result_unless_cancelled does.  And it is its own
 * future: what it yields to the task is itself, and the task waits on it as on the Future (see
 * task_handle_yield, task_wakeup and task_cancel in future.c), so a sleeping task costs no Future,
 * no TimerHandle, no argument tuple and no frame for sleep.  Every step happens in the loop
 * iteration where CPython's happens: the timer's callback, then the task's wakeup one iteration
 * later.  `await asyncio.sleep(0)`, the task switch, costs one small object.
 *
 * To a program it is a coroutine like any other: type() is coroutine, it has send, throw and
 * close, it can be awaited once, wrapped in a task, and it warns when it is never awaited.  What
 * differs is below CPython's public surface: a traceback through it shows no frame for sleep's own
 * body, and a task's private _fut_waiter is the sleep (its repr still shows the Future CPython's
 * would be).
 */
#include "asyncio.h"
#include "clock.h"
#include "error.h"
#include "runtime.h"

static bool sleep_new(Vm *vm, Value delay, Value result, Value *out) {
    vm_push_root(vm, delay);
    vm_push_root(vm, result);
    ObjSleep *s = (ObjSleep *)gc_alloc_object(vm, sizeof(ObjSleep), OBJ_SLEEP, vm->coroutine_class);
    vm_pop_roots(vm, 2);
    s->state = SLEEP_CREATED;
    s->delay = delay;
    s->result = result;
    vm_caller_line(vm, &s->origin_code, &s->origin_line);
    gc_track_finalizable(vm, (Obj *)s);
    *out = OBJ_VAL(s);
    return true;
}

// sleep(delay, result=None)
bool asyncio_sleep_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"delay", "result", NULL};
    Value a[2];
    if (!parse_args(vm, "sleep", args, nargs, kwnames, names, 1, a)) return false;
    return sleep_new(vm, a[0], IS_EMPTY(a[1]) ? NONE_VAL() : a[1], result);
}

// Leaves the sleep for good; a pending timer is cancelled (the `finally: h.cancel()`).
static void finish(ObjSleep *s) {
    if (s->state == SLEEP_WAITING) loop_cancel_sleep_timer(s);
    s->state = SLEEP_DONE;
    s->waiter = NULL;
}

static RunResult raise_in(Vm *vm, ObjSleep *s, Value exc) {
    s->was_awaited = true;
    finish(s);
    vm_raise_value(vm, exc);
    return RUN_RAISED;
}

// The first send: yield None to the task (a zero sleep), or start the timer and yield itself for
// the task to wait on.
static RunResult start(Vm *vm, ObjSleep *s, Value *out) {
    s->was_awaited = true;
    if (!IS_NUMBER(s->delay)) {
        s->state = SLEEP_DONE;
        vm_raise(vm, vm->TypeError, "'<=' not supported between instances of '%s' and 'int'", vm_type_name(vm, s->delay));
        return RUN_RAISED;
    }
    double delay = AS_NUMBER(s->delay);
    if (delay <= 0) {
        s->state = SLEEP_YIELDED;
        *out = NONE_VAL();
        return RUN_YIELDED;
    }
    Value loop = vm->running_loop;
    if (IS_NONE(loop)) {
        s->state = SLEEP_DONE;
        vm_raise(vm, vm->RuntimeError, "no running event loop");
        return RUN_RAISED;
    }
    s->loop = AS_LOOP(loop);
    if (!loop_start_sleep_timer(vm, loop, s, clock_monotonic(vm) + delay)) {
        s->state = SLEEP_DONE;
        return RUN_RAISED;
    }
    s->state = SLEEP_WAITING;
    *out = OBJ_VAL(s);
    return RUN_YIELDED;
}

// The CancelledError a cancelled sleep raises, carrying the cancel message.
static bool raise_cancelled(Vm *vm, ObjSleep *s) {
    Value exc, msg = s->delay;
    if (!vm_call(vm, OBJ_VAL(asyncio_cancelled_error(vm)), &msg, IS_NONE(msg) ? 0 : 1, NULL, &exc)) return false;
    return vm_raise_value(vm, exc);
}

void sleep_awaited(ObjSleep *s) { s->was_awaited = true; }

RunResult sleep_resume(Vm *vm, ObjSleep *s, Value value, Value exc, Value *out) {
    if (s->state != SLEEP_DONE && !IS_EMPTY(exc)) return raise_in(vm, s, exc);
    switch ((SleepState)s->state) {
    case SLEEP_CREATED:
        if (!IS_NONE(value)) {
            vm_raise(vm, vm->TypeError, "can't send non-None value to a just-started coroutine");
            return RUN_RAISED;
        }
        return start(vm, s, out);
    case SLEEP_YIELDED:
    case SLEEP_WOKEN:
        finish(s);
        *out = s->result;
        return RUN_RETURNED;
    case SLEEP_WAITING:
        finish(s);
        vm_raise(vm, vm->RuntimeError, "await wasn't used with future");
        return RUN_RAISED;
    case SLEEP_CANCELLED:
        finish(s);
        raise_cancelled(vm, s);
        return RUN_RAISED;
    case SLEEP_DONE:
        break;
    }
    if (!IS_EMPTY(exc)) {
        vm_raise_value(vm, exc);
        return RUN_RAISED;
    }
    vm_raise(vm, vm->RuntimeError, "cannot reuse already awaited coroutine");
    return RUN_RAISED;
}

void sleep_close(ObjSleep *s) {
    s->was_awaited = true; // closed before it started: no warning, as in CPython
    finish(s);
}

// The timer is due: CPython's futures._set_result_unless_cancelled(future, result), whose
// set_result schedules the waiting task's wakeup for the next iteration.
bool sleep_timer_due(Vm *vm, ObjSleep *s) {
    if (s->state != SLEEP_WAITING) return true;
    s->state = SLEEP_WOKEN;
    return !s->waiter || loop_call_soon(vm, OBJ_VAL(s->loop), OBJ_VAL(s->waiter), OBJ_VAL(s));
}

// ---- as the future its task waits on ------------------------------------------------------------

bool sleep_wait(Vm *vm, ObjSleep *s, ObjFuture *task) {
    if (s->state != SLEEP_WAITING || s->waiter) return false;
    s->waiter = task;
    return true;
}

// Future.cancel(msg) on the future CPython's sleep awaits: true when it was still pending.
bool sleep_cancel(Vm *vm, ObjSleep *s, Value msg, bool *cancelled) {
    *cancelled = s->state == SLEEP_WAITING;
    if (!*cancelled) return true;
    loop_cancel_sleep_timer(s);
    s->state = SLEEP_CANCELLED;
    s->delay = msg;
    return !s->waiter || loop_call_soon(vm, OBJ_VAL(s->loop), OBJ_VAL(s->waiter), OBJ_VAL(s));
}

// future.result() for the waking task: nothing, or the CancelledError.
bool sleep_future_result(Vm *vm, ObjSleep *s) { return s->state != SLEEP_CANCELLED || raise_cancelled(vm, s); }

// How that future would print: "<Future pending cb=[Task.task_wakeup()]>" ...
bool sleep_future_repr(Vm *vm, ObjSleep *s, StrBuf *sb) {
    if (s->state == SLEEP_WAITING) {
        sb_puts(sb, s->waiter ? "<Future pending cb=[Task.task_wakeup()]>" : "<Future pending>");
    } else if (s->state == SLEEP_CANCELLED) {
        sb_puts(sb, "<Future cancelled>");
    } else {
        ObjStr *r = vm_repr(vm, s->result);
        if (!r) return false;
        sb_printf(sb, "<Future finished result=%s>", r->chars);
    }
    return true;
}
