/* asyncio.Future and asyncio.Task, in C as CPython's _asyncio module has them.
 *
 * A Future is a box for a result that arrives later: it is PENDING until set_result,
 * set_exception or cancel, and then schedules its done callbacks with loop.call_soon, in the
 * order they were added.  Awaiting a pending Future yields the Future itself up to the Task that
 * runs the coroutine (FutureIter below); the Task subscribes its wakeup to the Future and the
 * loop moves on.
 *
 * A Task drives a coroutine: task_step sends into it (or throws into it) and looks at what came
 * back, exactly as CPython's Task.__step does — every call_soon happens where CPython's happens,
 * because the order of those calls *is* the interleaving students see.
 */
#include <string.h>

#include "asyncio.h"
#include "error.h"
#include "runtime.h"

static const char *const state_names[] = {"PENDING", "CANCELLED", "FINISHED"};

// ---- construction -------------------------------------------------------------------------------

// A Future, or a Task (whose fields come after a Future's: a plain Future is allocated without them).
static ObjFuture *alloc_future(Vm *vm, ObjClass *cls, Value loop, bool task) {
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
    if (task) {
        f->coro = NONE_VAL();
        f->fut_waiter = NONE_VAL();
        f->name = NONE_VAL();
    }
    return f;
}

ObjFuture *future_new(Vm *vm, ObjClass *cls, Value loop) { return alloc_future(vm, cls, loop, false); }

static bool check_future(Vm *vm, Value v, const char *what) {
    if (!IS_FUTURE(v)) return vm_raise(vm, vm->TypeError, "%s requires a Future, not %s", what, vm_type_name(vm, v));
    return true;
}

// ---- completing ---------------------------------------------------------------------------------

// Done callbacks live in callback0 and then the callbacks list, as CPython's fut_callback0 and
// fut_callbacks.  A task waiting on the future is stored as the task itself, where CPython stores
// the bound method Task.__wakeup: no bound method is made for each wait, and the loop schedules the
// wakeup without a Handle (loop_call_soon knows a task).  Programs never see the difference:
// `_callbacks` and reprs show the bound method.

static bool is_task_value(Value v) { return IS_FUTURE(v) && AS_FUTURE(v)->is_task; }

static size_t callback_count(ObjFuture *f) {
    return IS_EMPTY(f->callback0) ? 0 : 1 + (f->callbacks ? f->callbacks->count : 0);
}

static Value *callback_at(ObjFuture *f, size_t i) { return i == 0 ? &f->callback0 : &f->callbacks->items[i - 1]; }

// Schedules every done callback with call_soon, then forgets them (CPython's future_schedule_callbacks).
static bool schedule_callbacks(Vm *vm, ObjFuture *f) {
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
    if (is_task_value(cb)) {
        *eq = IS_BOUND(target) && value_is(AS_BOUND(target)->self, cb) &&
              value_is(AS_BOUND(target)->func, OBJ_VAL(vm->wakeup_native));
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
    return schedule_callbacks(vm, f);
}

// The CancelledError a cancelled future raises: made once, with the cancel message.
static Value make_cancelled_error(Vm *vm, ObjFuture *f) {
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
        Value exc = make_cancelled_error(vm, f);
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
        Value exc = make_cancelled_error(vm, f);
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
    if (is_task_value(fn)) {
        // A task passed as a callback is called (and fails) as in CPython, not taken for a wakeup.
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
    Value e = make_cancelled_error(vm, AS_FUTURE(args[0]));
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
static void callback_name(Value cb, StrBuf *sb) {
    if (is_task_value(cb)) sb_puts(sb, "Task.task_wakeup");
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
        callback_name(cb, sb);
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

static bool fut_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFuture *f = AS_FUTURE(args[0]);
    if (f->is_task) return task_repr(vm, f, result);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "<%s ", AS_OBJ(args[0])->cls->name->chars);
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
#define FIELD_GETTER(fname, expr)                                                                  \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {          \
        ObjFuture *f = AS_FUTURE(args[0]);                                                         \
        *result = (expr);                                                                          \
        return true;                                                                               \
    }
FIELD_GETTER(get_blocking, BOOL_VAL(f->blocking))
FIELD_GETTER(get_state, OBJ_VAL(str_from_c(vm, state_names[f->state])))
FIELD_GETTER(get_log_traceback, BOOL_VAL(f->log_traceback))
FIELD_GETTER(get_loop_field, f->loop)
FIELD_GETTER(get_exception_field, f->exception)
FIELD_GETTER(get_result_field, f->result)
FIELD_GETTER(get_callbacks, OBJ_VAL(callbacks_list(vm, f)))
FIELD_GETTER(get_cancel_message, f->cancel_message)
FIELD_GETTER(get_coro_field, f->coro)
FIELD_GETTER(get_fut_waiter, f->fut_waiter)
FIELD_GETTER(get_must_cancel, BOOL_VAL(f->must_cancel))
FIELD_GETTER(get_log_destroy_pending, BOOL_VAL(f->log_destroy_pending))

#define FLAG_SETTER(fname, field)                                                                  \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {          \
        bool truth;                                                                                \
        if (!vm_truthy(vm, args[1], &truth)) return false;                                         \
        AS_FUTURE(args[0])->field = truth;                                                         \
        *result = NONE_VAL();                                                                      \
        return true;                                                                               \
    }
FLAG_SETTER(set_blocking, blocking)
FLAG_SETTER(set_log_traceback, log_traceback)
FLAG_SETTER(set_must_cancel, must_cancel)
FLAG_SETTER(set_log_destroy_pending, log_destroy_pending)

static void add_field(Vm *vm, ObjClass *cls, const char *name, NativeFn get, NativeFn set) {
    ObjNative *g = native_new(vm, name, get, cls);
    vm_push_root(vm, OBJ_VAL(g));
    ObjNative *s = set ? native_new(vm, name, set, cls) : NULL;
    vm_push_root(vm, s ? OBJ_VAL(s) : NONE_VAL());
    ObjWrapper *w = wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(g), s ? OBJ_VAL(s) : NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(w));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(w));
    vm_pop_roots(vm, 3);
}

static bool fut_getattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFuture *f = AS_FUTURE(args[0]);
    if (f->dict && IS_STR(args[1])) {
        Value v = dict_get_str(f->dict, AS_STR(args[1]));
        if (!IS_EMPTY(v)) {
            *result = v;
            return true;
        }
    }
    return vm_raise(vm, vm->AttributeError, "'%s' object has no attribute '%s'", vm_type_name(vm, args[0]),
                    IS_STR(args[1]) ? AS_STR(args[1])->chars : "?");
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

// ---- Task ---------------------------------------------------------------------------------------

static int64_t task_name_counter;

static Value task_name(Vm *vm, ObjFuture *t) {
    if (IS_INT(t->name)) t->name = OBJ_VAL(str_printf(vm, "Task-%lld", (long long)AS_INT(t->name)));
    return t->name;
}

ObjFuture *task_new(Vm *vm, ObjClass *cls, Value coro, Value loop, Value name) {
    vm_push_root(vm, coro);
    vm_push_root(vm, name);
    ObjFuture *t = alloc_future(vm, cls, loop, true);
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
    bool ok = loop_call_step(vm, loop, t, NONE_VAL()) && loop_register_task(vm, loop, t);
    vm_pop_root(vm);
    return ok ? t : NULL;
}

// What a step handle runs: CPython's Task.__step, line for line.
bool task_step(Vm *vm, ObjFuture *task, Value exc) {
    if (task->state != FUT_PENDING)
        return vm_raise(vm, asyncio_invalid_state(vm), "_step(): already done");
    if (task->must_cancel) {
        if (!vm_is_instance(vm, exc, asyncio_cancelled_error(vm))) {
            exc = make_cancelled_error(vm, task);
            if (IS_EMPTY(exc)) return false;
        }
        task->must_cancel = false;
    }
    task->fut_waiter = NONE_VAL();
    Value loop = task->loop;
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
            ok = future_set_exception(vm, task, err);
        }
        vm_pop_root(vm);
    } else {
        ok = task_handle_yield(vm, task, yielded);
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
        if (!future_add_done_callback(vm, fut, OBJ_VAL(task))) return false; // its __wakeup: see schedule_callbacks
        task->fut_waiter = result;
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
    // CPython orders: state, name, coro, then result/exception/callbacks, then wait_for.
    char *space = info.data ? strchr(info.data, ' ') : NULL;
    size_t state_len = space ? (size_t)(space - info.data) : info.length;
    sb_append(&sb, info.data ? info.data : "", state_len);
    if (t->state == FUT_CANCELLED) { /* CPython: "cancelled" */ }
    ObjStr *name = vm_repr(vm, task_name(vm, t));
    if (name) sb_printf(&sb, " name=%s", name->chars);
    sb_puts(&sb, " coro=<");
    describe_coro(vm, t->coro, &sb);
    sb_putc(&sb, '>');
    if (space) sb_puts(&sb, space);
    if (IS_SLEEP(t->fut_waiter)) {
        sb_puts(&sb, " wait_for=");
        if (!sleep_future_repr(vm, AS_SLEEP(t->fut_waiter), &sb)) vm_clear_exception(vm);
    } else if (!IS_NONE(t->fut_waiter)) {
        ObjStr *w = vm_repr(vm, t->fut_waiter);
        if (w) sb_printf(&sb, " wait_for=%s", w->chars);
        else vm_clear_exception(vm);
    }
    sb_putc(&sb, '>');
    sb_free(&info);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// ---- messages for objects collected with something unsaid ---------------------------------------

static void warn_never_awaited(ObjStr *qualname, ObjCode *origin_code, int origin_line) {
    fflush(stdout);
    if (origin_code) {
        fprintf(stderr, "%s:%d: RuntimeWarning: coroutine '%s' was never awaited\n", origin_code->filename->chars,
                origin_line, qualname->chars);
        char *src = source_line(origin_code->filename->chars, origin_line);
        if (src) fprintf(stderr, "  %s\n", src);
        free(src);
    } else
        fprintf(stderr, "RuntimeWarning: coroutine '%s' was never awaited\n", qualname->chars);
    fputs("RuntimeWarning: Enable tracemalloc to get the object allocation traceback\n", stderr);
}

static void report_one(Vm *vm, Obj *o) {
    if (o->kind == OBJ_GENERATOR) {
        ObjGenerator *g = (ObjGenerator *)o;
        g->was_awaited = true;
        warn_never_awaited(g->qualname, g->origin_code, g->origin_line);
        return;
    }
    if (o->kind == OBJ_SLEEP) {
        ObjSleep *s = (ObjSleep *)o;
        s->was_awaited = true;
        warn_never_awaited(vm->s_sleep, s->origin_code, s->origin_line);
        return;
    }
    ObjFuture *f = (ObjFuture *)o;
    Value repr_v;
    bool ok = f->is_task ? task_repr(vm, f, &repr_v) : false;
    const char *r = ok && IS_STR(repr_v) ? AS_STR(repr_v)->chars : "<Future>";
    fflush(stdout);
    if (f->state == FUT_PENDING) {
        f->log_destroy_pending = false;
        fprintf(stderr, "Task was destroyed but it is pending!\ntask: %s\n", r);
        return;
    }
    f->log_traceback = false;
    fprintf(stderr, "%s exception was never retrieved\nfuture: %s\n", f->is_task ? "Task" : "Future", r);
    vm_print_exception(vm, f->exception);
}

void vm_report_finalizers(Vm *vm) {
    while (vm->nfinalize > 0) {
        Obj *o = vm->finalize_queue[--vm->nfinalize];
        vm_push_root(vm, OBJ_VAL(o));
        report_one(vm, o);
        vm_clear_exception(vm);
        vm_pop_root(vm);
    }
}

void runtime_init_future_class(Vm *vm, ObjClass *future, ObjClass *task) {
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
    add_field(vm, future, "_asyncio_future_blocking", get_blocking, set_blocking);
    add_field(vm, future, "_log_traceback", get_log_traceback, set_log_traceback);
    add_field(vm, future, "_state", get_state, NULL);
    add_field(vm, future, "_loop", get_loop_field, NULL);
    add_field(vm, future, "_exception", get_exception_field, NULL);
    add_field(vm, future, "_result", get_result_field, NULL);
    add_field(vm, future, "_callbacks", get_callbacks, NULL);
    add_field(vm, future, "_cancel_message", get_cancel_message, NULL);
    add_field(vm, task, "_coro", get_coro_field, NULL);
    add_field(vm, task, "_fut_waiter", get_fut_waiter, NULL);
    add_field(vm, task, "_must_cancel", get_must_cancel, set_must_cancel);
    add_field(vm, task, "_log_destroy_pending", get_log_destroy_pending, set_log_destroy_pending);
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
}
