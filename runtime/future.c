/* asyncio.Future, in C as CPython's _asyncio module has it, and what a Task shares with it.
 *
 * A Future is a box for a result that arrives later: it is PENDING until set_result,
 * set_exception or cancel, and then schedules its done callbacks with loop.call_soon, in the
 * order they were added.  Awaiting a pending Future yields the Future itself up to the Task that
 * runs the coroutine (FutureIter below); the Task subscribes its wakeup to the Future and the
 * loop moves on.  Tasks are Futures with more fields; what only they do is in task.c.
 *
 * This file also reports what the collector finds left unsaid: coroutines never awaited, tasks
 * destroyed while pending, exceptions never retrieved (vm_report_finalizers).
 */
#include <string.h>

#include "async_traceback.h"
#include "asyncio.h"
#include "error.h"
#include "events.h"
#include "hints.h"
#include "runtime.h"

static const char *const state_names[] = {"PENDING", "CANCELLED", "FINISHED"};

// ---- construction -------------------------------------------------------------------------------

// A Future, or a Task (whose fields come after a Future's: a plain Future is allocated without them).
ObjFuture *future_alloc(Vm *vm, ObjClass *cls, Value loop, bool task) {
    vm_push_root(vm, loop);
    ObjFuture *f = (ObjFuture *)gc_alloc_object(vm, task ? TASK_SIZE : FUTURE_SIZE, OBJ_FUTURE, cls);
    vm_pop_root(vm);
    f->loop = loop;
    f->state = FUT_PENDING;
    f->is_task = task;
    gc_track_finalizable(vm, (Obj *)f);
    f->result = NONE_VAL();
    f->exception = NONE_VAL();
    f->cancel_message = NONE_VAL();
    f->cancelled_exc = NONE_VAL();
    f->awaited_by = NONE_VAL();
    if (task) {
        f->coro = NONE_VAL();
        f->fut_waiter = NONE_VAL();
        f->name = NONE_VAL();
    }
    return f;
}

ObjFuture *future_new(Vm *vm, ObjClass *cls, Value loop) { return future_alloc(vm, cls, loop, false); }

static bool check_future(Vm *vm, Value v, const char *what) {
    if (!IS_FUTURE(v)) return vm_raise(vm, vm->TypeError, "%s requires a Future, not %s", what, vm_type_name(vm, v));
    return true;
}

// ---- completing ---------------------------------------------------------------------------------

// Done callbacks live in callback0 and then the callbacks list, as CPython's fut_callback0 and
// fut_callbacks.  A waiting task is among them as itself (see task_of_wakeup in asyncio.h).

static bool is_task_value(Value v) { return IS_FUTURE(v) && AS_FUTURE(v)->is_task; }

static size_t callback_count(ObjFuture *f) {
    return IS_EMPTY(f->callback0) ? 0 : 1 + (f->callbacks ? f->callbacks->count : 0);
}

static Value *callback_at(ObjFuture *f, size_t i) { return i == 0 ? &f->callback0 : &f->callbacks->items[i - 1]; }

// Schedules every done callback with call_soon, then forgets them (CPython's future_schedule_callbacks).
static bool schedule_callbacks(Vm *vm, ObjFuture *f) {
    if (EVENTS_ON) events_emit(vm, &(Event){.kind = EV_FUTURE_DONE, .subject = (Obj *)f});
    Value first = f->callback0;
    ObjList *rest = f->callbacks;
    f->callback0 = EMPTY_VAL();
    f->callbacks = NULL;
    if (IS_EMPTY(first)) return true;
    vm_push_root(vm, first);
    vm_push_root(vm, rest ? OBJ_VAL(rest) : NONE_VAL());
    bool ok = loop_call_soon(vm, f->loop, first, OBJ_VAL(f));
    for (size_t i = 0; ok && rest && i < rest->count; i++) ok = loop_call_soon(vm, f->loop, rest->items[i], OBJ_VAL(f));
    vm_pop_roots(vm, 2);
    return ok;
}

// The done callbacks as a program sees them: a waiting task as its bound wakeup method.
static Value visible_callback(Vm *vm, Value cb) {
    return is_task_value(cb) ? OBJ_VAL(bound_new(vm, cb, OBJ_VAL(vm->wakeup_native))) : cb;
}

static ObjList *callbacks_list(Vm *vm, ObjFuture *f) {
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    for (size_t i = 0; i < callback_count(f); i++) list_append(vm, l, visible_callback(vm, *callback_at(f, i)));
    vm_pop_root(vm);
    return l;
}

// Drops every callback `matches` accepts, keeping the others in order; returns how many went.
// When a comparison raises, the callbacks from there on stay and *ok is false.
static size_t remove_callbacks(Vm *vm, ObjFuture *f, bool (*matches)(Vm *, Value, Value, bool *), Value target,
                               bool *ok) {
    *ok = true;
    size_t removed = 0, n = callback_count(f), keep = 0;
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        Value cb = *callback_at(f, i);
        bool eq = false;
        if (*ok && !matches(vm, cb, target, &eq)) *ok = false;
        if (eq) {
            removed++;
            continue;
        }
        *callback_at(f, keep++) = cb;
    }
    if (keep == 0) f->callback0 = EMPTY_VAL();
    if (f->callbacks) f->callbacks->count = keep > 0 ? keep - 1 : 0;
    return removed;
}

static bool same_callback(Vm *vm, Value cb, Value target, bool *eq) {
    *eq = value_is(cb, target);
    return true;
}

// remove_done_callback compares with ==, as CPython does (a bound method equals another bound
// method of the same function and self).
static bool equal_callback(Vm *vm, Value cb, Value target, bool *eq) {
    if (is_task_value(cb)) { // a wakeup: equal to the bound method only
        *eq = IS_BOUND(target) && task_of_wakeup(vm, target) == AS_FUTURE(cb);
        return true;
    }
    return vm_equal(vm, cb, target, eq);
}

void future_remove_callback(Vm *vm, ObjFuture *f, Value cb) {
    bool ok;
    remove_callbacks(vm, f, same_callback, cb, &ok);
}

bool future_set_result(Vm *vm, ObjFuture *f, Value result) {
    if (f->state != FUT_PENDING) return vm_raise(vm, asyncio_invalid_state(vm), "invalid state");
    f->result = result;
    f->state = FUT_FINISHED;
    return schedule_callbacks(vm, f);
}

bool future_set_exception(Vm *vm, ObjFuture *f, Value exc) {
    if (f->state != FUT_PENDING) return vm_raise(vm, asyncio_invalid_state(vm), "invalid state");
    if (IS_CLASS(exc)) {
        Value inst;
        if (!vm_call(vm, exc, NULL, 0, NULL, &inst)) return false;
        exc = inst;
    }
    if (!IS_EXCEPTION(exc)) return vm_raise(vm, vm->TypeError, "invalid exception object");
    if (vm_is_instance(vm, exc, vm->StopIteration))
        return vm_raise(vm, vm->TypeError, "StopIteration interacts badly with generators and cannot be raised into a Future");
    f->exception = exc;
    f->state = FUT_FINISHED;
    f->log_traceback = true;
    async_traceback_record(vm, f, exc);
    return schedule_callbacks(vm, f);
}

// The CancelledError a cancelled future raises: made once, with the cancel message.
Value future_make_cancelled_error(Vm *vm, ObjFuture *f) {
    if (!IS_NONE(f->cancelled_exc)) {
        Value e = f->cancelled_exc;
        f->cancelled_exc = NONE_VAL();
        return e;
    }
    Value exc;
    Value msg = f->cancel_message;
    if (!vm_call(vm, OBJ_VAL(asyncio_cancelled_error(vm)), &msg, IS_NONE(msg) ? 0 : 1, NULL, &exc))
        return EMPTY_VAL();
    return exc;
}

bool future_cancel(Vm *vm, ObjFuture *f, Value msg) {
    f->log_traceback = false;
    if (f->state != FUT_PENDING) return false;
    f->state = FUT_CANCELLED;
    f->cancel_message = msg;
    return schedule_callbacks(vm, f) || true;
}

// result(): the value, or raises the exception / CancelledError / InvalidStateError.
bool future_result(Vm *vm, ObjFuture *f, Value *out) {
    if (f->state == FUT_CANCELLED) {
        Value exc = future_make_cancelled_error(vm, f);
        if (IS_EMPTY(exc)) return false;
        return vm_raise_value(vm, exc);
    }
    if (f->state != FUT_FINISHED) return vm_raise(vm, asyncio_invalid_state(vm), "Result is not set.");
    f->log_traceback = false;
    if (!IS_NONE(f->exception)) {
        vm->exception = f->exception; // re-raised as is: its traceback grows from here
        return false;
    }
    *out = f->result;
    return true;
}

bool future_add_done_callback(Vm *vm, ObjFuture *f, Value fn) {
    if (f->state != FUT_PENDING) return loop_call_soon(vm, f->loop, fn, OBJ_VAL(f));
    if (IS_EMPTY(f->callback0)) {
        f->callback0 = fn;
        return true;
    }
    if (!f->callbacks) {
        vm_push_root(vm, fn);
        f->callbacks = list_new(vm, 0);
        vm_pop_root(vm);
    }
    list_append(vm, f->callbacks, fn);
    return true;
}

// ---- Future's methods ---------------------------------------------------------------------------

// Future.__new__ only allocates; __init__(*, loop=None) binds the loop, so subclasses written in
// aio can have __init__s of their own that call super().__init__(loop=loop).
static bool fut_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(future_new(vm, AS_CLASS(args[0]), NONE_VAL()));
    return true;
}

static bool fut_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"loop", NULL};
    Value a[1];
    if (!check_future(vm, args[0], "__init__")) return false;
    if (nargs > 1)
        return vm_raise(vm, vm->TypeError, "Future.__init__() takes 0 positional arguments but %d were given", nargs - 1);
    if (!parse_args(vm, "Future", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    Value loop = a[0];
    if (IS_EMPTY(loop) || IS_NONE(loop)) {
        if (!asyncio_get_event_loop(vm, &loop)) return false;
    }
    AS_FUTURE(args[0])->loop = loop;
    *result = NONE_VAL();
    return true;
}

static bool fut_result(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "result", nargs, kwnames, 1, 1) || !check_future(vm, args[0], "result")) return false;
    return future_result(vm, AS_FUTURE(args[0]), result);
}

static bool fut_exception(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "exception", nargs, kwnames, 1, 1) || !check_future(vm, args[0], "exception")) return false;
    ObjFuture *f = AS_FUTURE(args[0]);
    if (f->state == FUT_CANCELLED) {
        Value exc = future_make_cancelled_error(vm, f);
        if (IS_EMPTY(exc)) return false;
        return vm_raise_value(vm, exc);
    }
    if (f->state != FUT_FINISHED) return vm_raise(vm, asyncio_invalid_state(vm), "Exception is not set.");
    f->log_traceback = false;
    *result = f->exception;
    return true;
}

static bool fut_done(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "done", nargs, kwnames, 1, 1) || !check_future(vm, args[0], "done")) return false;
    *result = BOOL_VAL(AS_FUTURE(args[0])->state != FUT_PENDING);
    return true;
}

static bool fut_cancelled(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "cancelled", nargs, kwnames, 1, 1) || !check_future(vm, args[0], "cancelled")) return false;
    *result = BOOL_VAL(AS_FUTURE(args[0])->state == FUT_CANCELLED);
    return true;
}

static bool fut_set_result(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_result", nargs, kwnames, 2, 2) || !check_future(vm, args[0], "set_result")) return false;
    *result = NONE_VAL();
    return future_set_result(vm, AS_FUTURE(args[0]), args[1]);
}

static bool fut_set_exception(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "set_exception", nargs, kwnames, 2, 2) || !check_future(vm, args[0], "set_exception"))
        return false;
    *result = NONE_VAL();
    return future_set_exception(vm, AS_FUTURE(args[0]), args[1]);
}

static bool fut_cancel(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"msg", NULL};
    Value a[1];
    if (!check_future(vm, args[0], "cancel") || !parse_args(vm, "cancel", args + 1, nargs - 1, kwnames, names, 0, a))
        return false;
    ObjFuture *f = AS_FUTURE(args[0]);
    Value msg = IS_EMPTY(a[0]) ? NONE_VAL() : a[0];
    if (f->is_task) return task_cancel(vm, f, msg, result);
    if (f->state != FUT_PENDING) {
        f->log_traceback = false;
        *result = BOOL_VAL(false);
        return true;
    }
    f->log_traceback = false;
    f->state = FUT_CANCELLED;
    f->cancel_message = msg;
    *result = BOOL_VAL(true);
    return schedule_callbacks(vm, f);
}

static bool call_self(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return vm_call(vm, args[0], args + 1, nargs - 1, NULL, result);
}

static bool fut_add_done_callback(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"fn", "context", NULL};
    Value a[2];
    if (!check_future(vm, args[0], "add_done_callback") ||
        !parse_args(vm, "add_done_callback", args + 1, nargs - 1, kwnames, names, 1, a))
        return false;
    *result = NONE_VAL();
    Value fn = a[0];
    if (is_task_value(fn)) { // called (and failing) as in CPython, not taken for a wakeup
        ObjNative *call = native_new(vm, "__call__", call_self, NULL);
        vm_push_root(vm, OBJ_VAL(call));
        fn = OBJ_VAL(bound_new(vm, fn, OBJ_VAL(call)));
        vm_pop_root(vm);
    }
    return future_add_done_callback(vm, AS_FUTURE(args[0]), fn);
}

static bool fut_remove_done_callback(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "remove_done_callback", nargs, kwnames, 2, 2) || !check_future(vm, args[0], "remove_done_callback"))
        return false;
    bool ok;
    size_t removed = remove_callbacks(vm, AS_FUTURE(args[0]), equal_callback, args[1], &ok);
    if (!ok) return false;
    *result = INT_VAL((int64_t)removed);
    return true;
}

static bool fut_get_loop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "get_loop", nargs, kwnames, 1, 1) || !check_future(vm, args[0], "get_loop")) return false;
    *result = AS_FUTURE(args[0])->loop;
    return true;
}

static bool fut_make_cancelled_error(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_future(vm, args[0], "_make_cancelled_error")) return false;
    Value e = future_make_cancelled_error(vm, AS_FUTURE(args[0]));
    if (IS_EMPTY(e)) return false;
    *result = e;
    return true;
}

// The await iterator: yields the future while it is pending, then returns its result.
static int future_iter_next(Vm *vm, Obj *self, Value *out) {
    ObjIter *it = (ObjIter *)self;
    ObjFuture *f = AS_FUTURE(it->source);
    if (it->index == 0) {
        it->index = 1;
        if (f->state == FUT_PENDING) {
            f->blocking = true;
            *out = OBJ_VAL(f);
            return 1;
        }
    }
    if (f->state == FUT_PENDING) {
        vm_raise(vm, vm->RuntimeError, "await wasn't used with future");
        return -1;
    }
    if (!future_result(vm, f, out)) return -1;
    return 0;
}

static bool fut_await(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_future(vm, args[0], "__await__")) return false;
    *result = OBJ_VAL(iter_new(vm, asyncio_future_iter_class(vm), future_iter_next, args[0]));
    return true;
}

// A callback's name in reprs: its __qualname__, as CPython's format_helpers._format_callback.
static void callback_name(Vm *vm, Value cb, StrBuf *sb) {
    if (task_of_wakeup(vm, cb)) sb_puts(sb, "Task.task_wakeup");
    else if (IS_FUNCTION(cb)) sb_puts(sb, AS_FUNCTION(cb)->qualname->chars);
    else if (IS_NATIVE(cb)) sb_puts(sb, AS_NATIVE(cb)->name->chars);
    else if (IS_BOUND(cb) && IS_FUNCTION(AS_BOUND(cb)->func)) sb_puts(sb, AS_FUNCTION(AS_BOUND(cb)->func)->qualname->chars);
    else if (IS_BOUND(cb) && IS_NATIVE(AS_BOUND(cb)->func)) {
        ObjNative *n = AS_NATIVE(AS_BOUND(cb)->func);
        if (n->owner) sb_printf(sb, "%s.", n->owner->name->chars);
        sb_puts(sb, n->name->chars);
    } else sb_puts(sb, "callback");
}

// "cb=[f(), g()]" as CPython's _format_callbacks: at most one before and one after an ellipsis.
static void format_callbacks(Vm *vm, ObjFuture *f, StrBuf *sb) {
    size_t n = callback_count(f);
    if (n == 0) return;
    sb_puts(sb, " cb=[");
    for (size_t i = 0; i < n; i++) {
        if (n > 2 && i == 1) {
            sb_printf(sb, "<%zu more>, ", n - 2);
            i = n - 1;
        }
        Value cb = *callback_at(f, i);
        callback_name(vm, cb, sb);
        sb_puts(sb, "()");
        if (IS_FUNCTION(cb)) // and where it is defined, as format_helpers._format_callback_source
            sb_printf(sb, " at %s:%d", AS_FUNCTION(cb)->code->filename->chars, AS_FUNCTION(cb)->code->firstline);
        if (i + 1 < n) sb_puts(sb, ", ");
    }
    sb_putc(sb, ']');
}

// The inside of a future's repr: "pending", "finished result=1", "cancelled" ...
bool future_repr_info(Vm *vm, ObjFuture *f, StrBuf *sb) {
    char state[16];
    snprintf(state, sizeof state, "%s", state_names[f->state]);
    for (char *p = state; *p; p++) *p = (char)(*p - 'A' + 'a');
    sb_puts(sb, state);
    if (f->state == FUT_FINISHED) {
        ObjStr *r = vm_repr(vm, IS_NONE(f->exception) ? f->result : f->exception);
        if (!r) return false;
        sb_printf(sb, " %s=%s", IS_NONE(f->exception) ? "result" : "exception", r->chars);
    }
    format_callbacks(vm, f, sb);
    return true;
}

static bool future_repr(Vm *vm, ObjFuture *f, Value *result);

static bool fut_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFuture *f = AS_FUTURE(args[0]);
    // As CPython's reprlib.recursive_repr: a future whose repr contains itself shows "..." there.
    if (f->in_repr) {
        *result = OBJ_VAL(str_from_c(vm, "..."));
        return true;
    }
    f->in_repr = true;
    bool ok = f->is_task ? task_repr(vm, f, result) : future_repr(vm, f, result);
    f->in_repr = false;
    return ok;
}

static bool future_repr(Vm *vm, ObjFuture *f, Value *result) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "<%s ", f->obj.cls->name->chars);
    if (!future_repr_info(vm, f, &sb)) {
        sb_free(&sb);
        return false;
    }
    sb_putc(&sb, '>');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// _asyncio_future_blocking, _state, _loop ...: the fields CPython exposes and asyncio's Python
// code reads, as properties; anything else a subclass sets goes to the future's dict.
FUTURE_FIELD_GETTER(get_blocking, BOOL_VAL(f->blocking))
FUTURE_FIELD_GETTER(get_state, OBJ_VAL(str_from_c(vm, state_names[f->state])))
FUTURE_FIELD_GETTER(get_log_traceback, BOOL_VAL(f->log_traceback))
FUTURE_FIELD_GETTER(get_loop_field, f->loop)
FUTURE_FIELD_GETTER(get_exception_field, f->exception)
FUTURE_FIELD_GETTER(get_result_field, f->result)
FUTURE_FIELD_GETTER(get_callbacks, OBJ_VAL(callbacks_list(vm, f)))
FUTURE_FIELD_GETTER(get_cancel_message, f->cancel_message)

FUTURE_FLAG_SETTER(set_blocking, blocking)
FUTURE_FLAG_SETTER(set_log_traceback, log_traceback)

void future_define_field(Vm *vm, ObjClass *cls, const char *name, NativeFn get, NativeFn set) {
    ObjNative *g = native_new(vm, name, get, cls);
    vm_push_root(vm, OBJ_VAL(g));
    ObjNative *s = set ? native_new(vm, name, set, cls) : NULL;
    vm_push_root(vm, s ? OBJ_VAL(s) : NONE_VAL());
    ObjWrapper *w = wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(g), s ? OBJ_VAL(s) : NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(w));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(w));
    vm_pop_roots(vm, 3);
}

bool asyncio_dict_getattr(Vm *vm, ObjDict *dict, Value self, Value name, Value *result) {
    if (dict && IS_STR(name)) {
        Value v = dict_get_str(dict, AS_STR(name));
        if (!IS_EMPTY(v)) {
            *result = v;
            return true;
        }
    }
    return vm_raise(vm, vm->AttributeError, "'%s' object has no attribute '%s'", vm_type_name(vm, self),
                    IS_STR(name) ? AS_STR(name)->chars : "?");
}

static bool fut_getattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return asyncio_dict_getattr(vm, AS_FUTURE(args[0])->dict, args[0], args[1], result);
}

static bool fut_setattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFuture *f = AS_FUTURE(args[0]);
    *result = NONE_VAL();
    if (IS_STR(args[1])) {
        Value descr = class_lookup(AS_OBJ(args[0])->cls, AS_STR(args[1]));
        if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_PROPERTY) {
            if (IS_NONE(AS_WRAPPER(descr)->b))
                return vm_raise(vm, vm->AttributeError, "readonly attribute");
            Value ignored;
            return vm_call2(vm, AS_WRAPPER(descr)->b, args[0], args[2], &ignored);
        }
    }
    if (!f->dict) f->dict = dict_new(vm);
    return dict_set(vm, f->dict, args[1], args[2]);
}

// ---- messages for objects collected with something unsaid ---------------------------------------

static void report_one(Vm *vm, Obj *o) {
    if (o->kind == OBJ_INSTANCE || (o->kind == OBJ_GENERATOR && ((ObjGenerator *)o)->flavor == FLAVOR_GENERATOR)) {
        run_python_finalizer(vm, o);
        return;
    }
    if (o->kind == OBJ_GENERATOR) {
        ObjGenerator *g = (ObjGenerator *)o;
        g->was_awaited = true;
        hints_never_awaited(vm, g->qualname, g->origin_code, g->origin_line);
        return;
    }
    if (o->kind == OBJ_SLEEP) {
        ObjSleep *s = (ObjSleep *)o;
        s->was_awaited = true;
        hints_never_awaited(vm, vm->s_sleep, s->origin_code, s->origin_line);
        return;
    }
    ObjFuture *f = (ObjFuture *)o;
    Value repr_v;
    bool ok = f->is_task && fut_repr(vm, (Value[]){OBJ_VAL(f)}, 1, NULL, &repr_v);
    const char *r = ok && IS_STR(repr_v) ? AS_STR(repr_v)->chars : "<Future>";
    fflush(stdout);
    if (f->state == FUT_PENDING) {
        f->log_destroy_pending = false;
        fprintf(stderr, "Task was destroyed but it is pending!\ntask: %s\n", r);
        if (f->is_task) hints_destroyed_pending(vm, f);
        return;
    }
    f->log_traceback = false;
    fprintf(stderr, "%s exception was never retrieved\nfuture: %s\n", f->is_task ? "Task" : "Future", r);
    vm_print_exception(vm, f->exception);
    async_traceback_print(vm, f->exception);
    if (f->is_task) hints_exception_never_retrieved(vm, f);
}

void vm_report_finalizers(Vm *vm) {
    if (vm->finalizing) return;
    vm->finalizing = true;
    while (vm->nfinalize > 0) {
        Obj *o = vm->finalize_queue[--vm->nfinalize];
        vm_push_root(vm, OBJ_VAL(o));
        report_one(vm, o);
        vm_clear_exception(vm);
        vm_pop_root(vm);
    }
    vm->finalizing = false;
}

void runtime_init_future_class(Vm *vm, ObjClass *future) {
    define_methods(vm, future, (MethodDef[]){{"__new__", fut_new},
                                             {"__init__", fut_init},
                                             {"result", fut_result},
                                             {"exception", fut_exception},
                                             {"done", fut_done},
                                             {"cancelled", fut_cancelled},
                                             {"set_result", fut_set_result},
                                             {"set_exception", fut_set_exception},
                                             {"cancel", fut_cancel},
                                             {"add_done_callback", fut_add_done_callback},
                                             {"remove_done_callback", fut_remove_done_callback},
                                             {"get_loop", fut_get_loop},
                                             {"_make_cancelled_error", fut_make_cancelled_error},
                                             {"__await__", fut_await},
                                             {"__iter__", fut_await},
                                             {"__repr__", fut_repr},
                                             {"__getattr__", fut_getattr},
                                             {"__setattr__", fut_setattr},
                                             {NULL, NULL}});
    future->has_getattr = true;
    future_define_field(vm, future, "_asyncio_future_blocking", get_blocking, set_blocking);
    future_define_field(vm, future, "_log_traceback", get_log_traceback, set_log_traceback);
    future_define_field(vm, future, "_state", get_state, NULL);
    future_define_field(vm, future, "_loop", get_loop_field, NULL);
    future_define_field(vm, future, "_exception", get_exception_field, NULL);
    future_define_field(vm, future, "_result", get_result_field, NULL);
    future_define_field(vm, future, "_callbacks", get_callbacks, NULL);
    future_define_field(vm, future, "_cancel_message", get_cancel_message, NULL);
}
