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
 * ObjSleep is that function as a state machine, one state per suspension point, and it is its own
 * timer: the loop's heap holds it where CPython's holds the TimerHandle, and when it is due the
 * loop runs sleep_timer_due, which does what _set_result_unless_cancelled does.  Every task that
 * waits sleeps through here, so this saves a frame, a TimerHandle and its argument tuple per
 * sleep; `await asyncio.sleep(0)`, the task switch, costs one small object.
 *
 * To a program it is a coroutine like any other: type() is coroutine, it has send, throw and
 * close, it can be awaited once, wrapped in a task, and it warns when it is never awaited.  The
 * one visible difference: a traceback through it shows no frame for sleep's own body.
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
    vm->may_finalize = true;
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
}

static RunResult raise_in(Vm *vm, ObjSleep *s, Value exc) {
    s->was_awaited = true;
    finish(s);
    vm_raise_value(vm, exc);
    return RUN_RAISED;
}

// The first send: yield None to the task (a zero sleep), or start the timer and yield the future.
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
    vm_push_root(vm, OBJ_VAL(s));
    s->future = future_new(vm, vm->future_class, loop);
    vm_pop_root(vm);
    if (!loop_start_sleep_timer(vm, loop, s, clock_monotonic(vm) + delay)) {
        s->state = SLEEP_DONE;
        return RUN_RAISED;
    }
    s->state = SLEEP_WAITING;
    s->future->blocking = true;
    *out = OBJ_VAL(s->future);
    return RUN_YIELDED;
}

RunResult sleep_resume(Vm *vm, ObjSleep *s, Value value, Value exc, Value *out) {
    switch (s->state) {
    case SLEEP_CREATED:
        if (!IS_EMPTY(exc)) return raise_in(vm, s, exc); // thrown in before it started: it never runs
        if (!IS_NONE(value)) {
            vm_raise(vm, vm->TypeError, "can't send non-None value to a just-started coroutine");
            return RUN_RAISED;
        }
        return start(vm, s, out);
    case SLEEP_YIELDED:
        if (!IS_EMPTY(exc)) return raise_in(vm, s, exc);
        finish(s);
        *out = s->result;
        return RUN_RETURNED;
    case SLEEP_WAITING: {
        if (!IS_EMPTY(exc)) return raise_in(vm, s, exc);
        ObjFuture *f = s->future;
        if (f->state == FUT_PENDING) {
            finish(s);
            vm_raise(vm, vm->RuntimeError, "await wasn't used with future");
            return RUN_RAISED;
        }
        finish(s);
        return future_result(vm, f, out) ? RUN_RETURNED : RUN_RAISED;
    }
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

// The timer is due: CPython's futures._set_result_unless_cancelled(future, result).
bool sleep_timer_due(Vm *vm, ObjSleep *s) {
    if (s->state != SLEEP_WAITING || s->future->state != FUT_PENDING) return true;
    return future_set_result(vm, s->future, s->result);
}
