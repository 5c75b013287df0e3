/* asyncio.Task: drives a coroutine on the loop, as CPython's _asyncio.Task does.
 *
 * A step (task_step) sends None into the coroutine, or throws an exception into it, and looks at
 * what came back: a return value finishes the task, an exception fails it, a yielded Future
 * makes the task wait for it (task_handle_yield), a bare yield asks for another step next
 * iteration.  When the awaited Future is done, the task's wakeup (task_wakeup) takes its result
 * or exception into the next step.  Every call_soon happens where CPython's happens, because the
 * order of those calls *is* the interleaving students see.
 *
 * A Task is a Future with more fields (ObjFuture with is_task set): future.c owns what the two
 * share, this file what only a Task has.  How a waiting task stands for its own wakeup among a
 * future's callbacks is told once, beside task_of_wakeup in asyncio.h.
 */
#include <string.h>

#include "asyncio.h"
#include "error.h"
#include "events.h"
#include "frame.h"
#include "lost_waker.h"
#include "hints.h"
#include "runtime.h"

static int64_t task_name_counter;

static Value task_name(Vm *vm, ObjFuture *t) {
    if (IS_INT(t->name)) t->name = OBJ_VAL(str_printf(vm, "Task-%lld", (long long)AS_INT(t->name)));
    return t->name;
}

ObjFuture *task_new(Vm *vm, ObjClass *cls, Value coro, Value loop, Value name) {
    vm_push_root(vm, coro);
    vm_push_root(vm, name);
    ObjFuture *t = future_alloc(vm, cls, loop, true);
    vm_pop_roots(vm, 2);
    t->coro = coro;
    t->log_destroy_pending = true;
    vm_push_root(vm, OBJ_VAL(t));
    // The default name is made when first asked for (CPython 3.12 does the same): until then the
    // field holds the task's number, which saves a string per task.
    if (IS_NONE(name) || IS_EMPTY(name)) name = INT_VAL(++task_name_counter);
    else if (!IS_STR(name)) {
        ObjStr *s = vm_str(vm, name);
        name = s ? OBJ_VAL(s) : NONE_VAL();
    }
    t->name = name;
    if (IS_GENERATOR(coro)) AS_GENERATOR(coro)->was_awaited = true;
    if (IS_SLEEP(coro)) AS_SLEEP(coro)->was_awaited = true;
    events_caller_location(vm, &t->created_code, &t->created_line);
    bool ok = loop_call_step(vm, loop, t, NONE_VAL()) && loop_register_task(vm, loop, t);
    if (ok && EVENTS_ON)
        events_emit(vm, &(Event){.kind = EV_TASK_CREATED, .subject = (Obj *)t, .code = t->created_code, .line = t->created_line});
    vm_pop_root(vm);
    return ok ? t : NULL;
}

// What a step runs: CPython's Task.__step, making its calls (call_soon, set_result, ...) in the
// same order, since that order is the interleaving a program shows.
bool task_step(Vm *vm, ObjFuture *task, Value exc) {
    if (task->state != FUT_PENDING)
        return vm_raise(vm, asyncio_invalid_state(vm), "_step(): already done");
    if (task->must_cancel) {
        if (!vm_is_instance(vm, exc, asyncio_cancelled_error(vm))) {
            exc = future_make_cancelled_error(vm, task);
            if (IS_EMPTY(exc)) return false;
        }
        task->must_cancel = false;
    }
    task->fut_waiter = NONE_VAL();
    Value loop = task->loop;
    if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_TASK_STEP, .subject = (Obj *)task, .detail = exc});
    loop_enter_task(vm, loop, task);
    vm_push_root(vm, OBJ_VAL(task));
    vm_push_root(vm, exc);
    Value coro = task->coro;
    Value yielded = NONE_VAL();
    RunResult r;
    if (IS_GENERATOR(coro) || IS_SLEEP(coro)) {
        r = coro_resume(vm, coro, NONE_VAL(), IS_NONE(exc) ? EMPTY_VAL() : exc, &yielded);
    } else {
        // any object with send/throw
        Value method;
        bool ok = vm_getattr(vm, coro, IS_NONE(exc) ? vm->s_send : vm->s_throw, &method) &&
                  vm_call1(vm, method, IS_NONE(exc) ? NONE_VAL() : exc, &yielded);
        r = ok ? RUN_YIELDED : RUN_RAISED;
        if (!ok && vm_exception_matches(vm, vm->StopIteration)) {
            yielded = AS_EXCEPTION(vm->exception)->extra;
            vm_clear_exception(vm);
            r = RUN_RETURNED;
        }
    }
    bool ok = true;
    if (r == RUN_RETURNED) {
        if (task->must_cancel) {
            task->must_cancel = false;
            future_cancel(vm, task, task->cancel_message);
        } else {
            // Cancelled, yet it returned: it caught the CancelledError (debug mode says so).
            if (UNLIKELY(task->num_cancels_requested > 0) && loop_in_debug_mode(loop))
                hints_cancel_swallowed(vm, task, yielded);
            ok = future_set_result(vm, task, yielded);
        }
    } else if (r == RUN_RAISED) {
        Value err = vm->exception;
        vm_clear_exception(vm);
        vm_push_root(vm, err);
        if (vm_is_instance(vm, err, asyncio_cancelled_error(vm))) {
            task->cancelled_exc = err;
            future_cancel(vm, task, NONE_VAL());
        } else if (vm_is_instance(vm, err, vm->KeyboardInterrupt) || vm_is_instance(vm, err, vm->SystemExit)) {
            future_set_exception(vm, task, err);
            vm->exception = err;
            ok = false;
        } else {
            // Nobody waits for it: unless something else refers to it, the collector reports
            // its exception at the end of this iteration, as CPython does when it frees it.
            if (IS_EMPTY(task->callback0) && !task->callbacks) loop_collect_soon(loop);
            ok = future_set_exception(vm, task, err);
        }
        vm_pop_root(vm);
    } else {
        ok = task_handle_yield(vm, task, yielded);
        if (EVENTS_ON && task->state == FUT_PENDING)
            events_emit(vm, &(Event){.kind = EV_TASK_SUSPENDED, .subject = (Obj *)task, .detail = task->fut_waiter});
    }
    loop_leave_task(vm, loop, task);
    if (task->state != FUT_PENDING) loop_unregister_task(vm, loop, task);
    vm_pop_roots(vm, 2);
    return ok;
}

// What the coroutine yielded decides what happens next (the `else` branch of __step).
bool task_handle_yield(Vm *vm, ObjFuture *task, Value result) {
    Value loop = task->loop;
    if (IS_SLEEP(result) && sleep_wait(vm, AS_SLEEP(result), task)) {
        // asyncio.sleep's coroutine stands for the Future CPython's sleep awaits (runtime/sleep.c)
        task->fut_waiter = result;
        if (task->must_cancel) {
            bool cancelled;
            if (!sleep_cancel(vm, AS_SLEEP(result), task->cancel_message, &cancelled)) return false;
            if (cancelled) task->must_cancel = false;
        }
        return true;
    }
    if (IS_FUTURE(result) && AS_FUTURE(result)->blocking) {
        ObjFuture *fut = AS_FUTURE(result);
        if (!value_is(fut->loop, loop)) {
            ObjStr *tr = vm_repr(vm, OBJ_VAL(task));
            ObjStr *fr = tr ? vm_repr(vm, result) : NULL;
            if (!fr) return false;
            vm_raise(vm, vm->RuntimeError, "Task %s got Future %s attached to a different loop", tr->chars, fr->chars);
            goto step_with_error;
        }
        if (fut == task) {
            ObjStr *tr = vm_repr(vm, OBJ_VAL(task));
            if (!tr) return false;
            vm_raise(vm, vm->RuntimeError, "Task cannot await on itself: %s", tr->chars);
            goto step_with_error;
        }
        fut->blocking = false;
        if (!future_add_done_callback(vm, fut, OBJ_VAL(task))) return false; // the task for its wakeup
        task->fut_waiter = result;
        if (!fut->is_task) lost_waker_dirty = true;
        if (task->must_cancel) {
            Value cancelled;
            Value a[2] = {result, task->cancel_message};
            Value cancel;
            if (!vm_getattr(vm, result, str_from_c(vm, "cancel"), &cancel)) return false;
            if (!vm_call(vm, cancel, a + 1, 1, NULL, &cancelled)) return false;
            if (IS_BOOL(cancelled) && AS_BOOL(cancelled)) task->must_cancel = false;
        }
        return true;
    }
    if (IS_NONE(result)) return loop_call_step(vm, loop, task, NONE_VAL()); // bare yield: one iteration
    {
        ObjStr *tr = vm_repr(vm, OBJ_VAL(task));
        ObjStr *rr = tr ? vm_repr(vm, result) : NULL;
        if (!rr) return false;
        if (IS_GENERATOR(result))
            vm_raise(vm, vm->RuntimeError, "yield was used instead of yield from for generator in task %s with %s",
                     tr->chars, rr->chars);
        else if (IS_FUTURE(result))
            vm_raise(vm, vm->RuntimeError, "yield was used instead of yield from in task %s with %s", tr->chars, rr->chars);
        else
            vm_raise(vm, vm->RuntimeError, "Task got bad yield: %s", rr->chars);
    }
step_with_error: {
        Value err = vm->exception;
        vm_clear_exception(vm);
        return loop_call_step(vm, loop, task, err);
    }
}

// __wakeup: the awaited future is done; step again, throwing its exception if it has one.
bool task_wakeup(Vm *vm, ObjFuture *task, Value fut) {
    if (IS_SLEEP(fut)) {
        if (sleep_future_result(vm, AS_SLEEP(fut))) return task_step(vm, task, NONE_VAL());
    } else if (IS_FUTURE(fut)) {
        ObjFuture *f = AS_FUTURE(fut);
        if (f->state == FUT_FINISHED && IS_NONE(f->exception)) return task_step(vm, task, NONE_VAL());
        Value ignored;
        if (future_result(vm, f, &ignored)) return task_step(vm, task, NONE_VAL());
    } else {
        Value result_fn, ignored;
        if (vm_getattr(vm, fut, str_from_c(vm, "result"), &result_fn) && vm_call0(vm, result_fn, &ignored))
            return task_step(vm, task, NONE_VAL());
    }
    Value exc = vm->exception;
    vm_clear_exception(vm);
    return task_step(vm, task, exc);
}

bool task_cancel(Vm *vm, ObjFuture *task, Value msg, Value *result) {
    task->log_traceback = false;
    if (task->state != FUT_PENDING) {
        *result = BOOL_VAL(false);
        return true;
    }
    task->num_cancels_requested++;
    if (IS_SLEEP(task->fut_waiter)) {
        bool cancelled;
        if (!sleep_cancel(vm, AS_SLEEP(task->fut_waiter), msg, &cancelled)) return false;
        if (cancelled) {
            *result = BOOL_VAL(true);
            return true;
        }
    } else if (!IS_NONE(task->fut_waiter)) {
        Value cancel, r;
        if (!vm_getattr(vm, task->fut_waiter, str_from_c(vm, "cancel"), &cancel)) return false;
        if (!vm_call(vm, cancel, &msg, 1, NULL, &r)) return false;
        if (IS_BOOL(r) && AS_BOOL(r)) {
            // Leave cancel_message None: the waiter's CancelledError carries msg already.
            *result = BOOL_VAL(true);
            return true;
        }
    }
    task->must_cancel = true;
    task->cancel_message = msg;
    *result = BOOL_VAL(true);
    return true;
}

static bool check_task(Vm *vm, Value v, const char *what) {
    if (!IS_FUTURE(v) || !AS_FUTURE(v)->is_task) return vm_raise(vm, vm->TypeError, "%s requires a Task", what);
    return true;
}

static bool task_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"coro", "loop", "name", "context", NULL};
    Value a[4];
    if (!parse_args(vm, "Task", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    Value coro = a[0];
    if (!asyncio_is_coroutine(coro)) {
        ObjStr *r = vm_repr(vm, coro);
        if (!r) return false;
        return vm_raise(vm, vm->TypeError, "a coroutine was expected, got %s", r->chars);
    }
    Value loop = a[1];
    if (IS_EMPTY(loop) || IS_NONE(loop)) {
        if (!asyncio_get_event_loop(vm, &loop)) return false;
    }
    ObjFuture *t = task_new(vm, AS_CLASS(args[0]), coro, loop, IS_EMPTY(a[2]) ? NONE_VAL() : a[2]);
    if (!t) return false;
    *result = OBJ_VAL(t);
    return true;
}

// Task(coro, ...) does its work in __new__; __init__ accepts the same arguments and does nothing.
static bool task_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return true;
}

static bool task_refuse_set_result(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return vm_raise(vm, vm->RuntimeError, "Task does not support set_result operation");
}

static bool task_refuse_set_exception(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return vm_raise(vm, vm->RuntimeError, "Task does not support set_exception operation");
}

static bool task_get_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_task(vm, args[0], "get_name")) return false;
    *result = task_name(vm, AS_FUTURE(args[0]));
    return true;
}

static bool task_set_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_name", nargs, kwnames, 2, 2) || !check_task(vm, args[0], "set_name")) return false;
    ObjStr *s = vm_str(vm, args[1]);
    if (!s) return false;
    AS_FUTURE(args[0])->name = OBJ_VAL(s);
    *result = NONE_VAL();
    return true;
}

static bool task_get_coro(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_task(vm, args[0], "get_coro")) return false;
    *result = AS_FUTURE(args[0])->coro;
    return true;
}

static bool task_cancelling(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_task(vm, args[0], "cancelling")) return false;
    *result = INT_VAL(AS_FUTURE(args[0])->num_cancels_requested);
    return true;
}

static bool task_uncancel(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_task(vm, args[0], "uncancel")) return false;
    ObjFuture *t = AS_FUTURE(args[0]);
    if (t->num_cancels_requested > 0) t->num_cancels_requested--;
    *result = INT_VAL(t->num_cancels_requested);
    return true;
}

// "<coroutine object main at 0x..>" becomes "main() running at file:line" / "main() done, defined at ..."
static void describe_coro(Vm *vm, Value coro, StrBuf *sb) {
    if (IS_SLEEP(coro)) {
        sb_puts(sb, "sleep()"); // C code: no file and line to show, as CPython for such coroutines
        return;
    }
    if (!IS_GENERATOR(coro)) {
        ObjStr *r = vm_repr(vm, coro);
        if (r) sb_puts(sb, r->chars);
        else vm_clear_exception(vm);
        return;
    }
    ObjGenerator *g = AS_GENERATOR(coro);
    sb_printf(sb, "%s()", g->qualname->chars);
    Frame *f = g->frame;
    if (f && g->state != GEN_CLOSED) {
        size_t at = (size_t)(f->ip - f->code->words);
        int line = g->state == GEN_CREATED ? f->code->firstline : f->code->lines[at > 0 ? at - 1 : 0];
        sb_printf(sb, " running at %s:%d", f->code->filename->chars, line);
    } else if (g->code) {
        sb_printf(sb, " done, defined at %s:%d", g->code->filename->chars, g->code->firstline);
    }
}

bool task_repr(Vm *vm, ObjFuture *t, Value *result) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "<%s ", t->obj.cls->name->chars);
    StrBuf info;
    sb_init(&info);
    if (!future_repr_info(vm, t, &info)) {
        sb_free(&sb);
        sb_free(&info);
        return false;
    }
    // CPython orders: state ("cancelling" once cancel() was asked of a pending task), name,
    // coro, wait_for, then result/exception/callbacks.
    char *space = info.data ? strchr(info.data, ' ') : NULL;
    size_t state_len = space ? (size_t)(space - info.data) : info.length;
    if (t->state == FUT_PENDING && (t->num_cancels_requested > 0 || t->must_cancel))
        sb_puts(&sb, "cancelling");
    else
        sb_append(&sb, info.data ? info.data : "", state_len);
    ObjStr *name = vm_repr(vm, task_name(vm, t));
    if (name) sb_printf(&sb, " name=%s", name->chars);
    else vm_clear_exception(vm);
    sb_puts(&sb, " coro=<");
    describe_coro(vm, t->coro, &sb);
    sb_putc(&sb, '>');
    if (IS_SLEEP(t->fut_waiter)) {
        sb_puts(&sb, " wait_for=");
        if (!sleep_future_repr(vm, AS_SLEEP(t->fut_waiter), &sb)) vm_clear_exception(vm);
    } else if (!IS_NONE(t->fut_waiter)) {
        ObjStr *w = vm_repr(vm, t->fut_waiter);
        if (w) sb_printf(&sb, " wait_for=%s", w->chars);
        else vm_clear_exception(vm);
    }
    if (space) sb_puts(&sb, space);
    sb_putc(&sb, '>');
    sb_free(&info);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// The Task-only fields asyncio's Python code reads (see future_define_field).
FUTURE_FIELD_GETTER(get_coro_field, f->coro)
FUTURE_FIELD_GETTER(get_fut_waiter, f->fut_waiter)
FUTURE_FIELD_GETTER(get_must_cancel, BOOL_VAL(f->must_cancel))
FUTURE_FIELD_GETTER(get_log_destroy_pending, BOOL_VAL(f->log_destroy_pending))
FUTURE_FLAG_SETTER(set_must_cancel, must_cancel)
FUTURE_FLAG_SETTER(set_log_destroy_pending, log_destroy_pending)

// Task.__wakeup as a program sees it (bound to the task: see task_of_wakeup in asyncio.h).
static bool task_wakeup_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return task_wakeup(vm, AS_FUTURE(args[0]), nargs > 1 ? args[1] : NONE_VAL());
}

void runtime_init_task_class(Vm *vm, ObjClass *task) {
    future_define_field(vm, task, "_coro", get_coro_field, NULL);
    future_define_field(vm, task, "_fut_waiter", get_fut_waiter, NULL);
    future_define_field(vm, task, "_must_cancel", get_must_cancel, set_must_cancel);
    future_define_field(vm, task, "_log_destroy_pending", get_log_destroy_pending, set_log_destroy_pending);
    define_methods(vm, task, (MethodDef[]){{"__new__", task_new_native},
                                           {"__init__", task_init},
                                           {"set_result", task_refuse_set_result},
                                           {"set_exception", task_refuse_set_exception},
                                           {"get_name", task_get_name},
                                           {"set_name", task_set_name},
                                           {"get_coro", task_get_coro},
                                           {"cancelling", task_cancelling},
                                           {"uncancel", task_uncancel},
                                           {NULL, NULL}});
    task->has_getattr = true;
    vm->wakeup_native = native_new(vm, "task_wakeup", task_wakeup_native, task);
}
