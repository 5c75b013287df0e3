/* Generator and coroutine objects as Python sees them: send, throw, close, iteration, repr.
 *
 * The machinery that runs them (frames that suspend and resume, delegation through yield from
 * and await) is in vm/gen.c; gen_resume() is its entry point.  These natives translate its three
 * outcomes into Python's protocol: a yielded value is returned, a return becomes StopIteration
 * carrying the value, an exception propagates.
 */
#include <string.h>

#include "asyncio.h"
#include "runtime.h"

// The methods of coroutines also serve asyncio.sleep()'s coroutine, written in C (runtime/sleep.c).
static bool check_gen(Vm *vm, Value v, const char *method) {
    if (!IS_GENERATOR(v) && !IS_SLEEP(v))
        return vm_raise(vm, vm->TypeError, "descriptor '%s' requires a generator", method);
    return true;
}

// Converts a resume outcome into a native's result.
static bool finish(Vm *vm, Value gen, RunResult r, Value v, Value *result) {
    if (r == RUN_YIELDED) {
        *result = v;
        return true;
    }
    if (r == RUN_RAISED) return false;
    // Returned: StopIteration(value); an async generator finishes with StopAsyncIteration.
    if (IS_GENERATOR(gen) && AS_GENERATOR(gen)->flavor == FLAVOR_ASYNC_GEN)
        return vm_raise_value(vm, OBJ_VAL(vm->StopAsyncIteration));
    ObjTuple *args = tuple_new(vm, IS_NONE(v) ? 0 : 1);
    if (!IS_NONE(v)) args->items[0] = v;
    vm_push_root(vm, OBJ_VAL(args));
    ObjException *e = exception_new(vm, vm->StopIteration, args);
    vm_pop_root(vm);
    e->extra = v;
    return vm_raise_value(vm, OBJ_VAL(e));
}

static bool gen_send(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "send", nargs, kwnames, 2, 2) || !check_gen(vm, args[0], "send")) return false;
    Value v;
    RunResult r = coro_resume(vm, args[0], args[1], EMPTY_VAL(), &v);
    return finish(vm, args[0], r, v, result);
}

static bool gen_next(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__next__", nargs, kwnames, 1, 1) || !check_gen(vm, args[0], "__next__")) return false;
    Value v;
    RunResult r = gen_resume(vm, AS_GENERATOR(args[0]), NONE_VAL(), EMPTY_VAL(), &v);
    return finish(vm, args[0], r, v, result);
}

// The exception that throw(type[, value[, tb]]) raises.  `a` holds throw's n (1..3) arguments.
// Returns false (with the exception pending) when the arguments are wrong.
// A class is called with no argument for a missing or None value, with the items of a tuple
// value, or with the value itself unless that already is an instance of the class.
static bool throw_exception(Vm *vm, Value *a, int n, Value *exc) {
    Value type = a[0], value = n > 1 ? a[1] : NONE_VAL(), tb = n > 2 ? a[2] : NONE_VAL();
    if (!IS_NONE(tb) && !(IS_INSTANCE(tb) && AS_OBJ(tb)->cls == vm->traceback_class))
        return vm_raise(vm, vm->TypeError, "throw() third argument must be a traceback object");
    if (IS_EXCEPTION(type)) {
        if (!IS_NONE(value))
            return vm_raise(vm, vm->TypeError, "instance exception may not have a separate value");
        *exc = type;
        return IS_NONE(tb) || exception_set_traceback(vm, AS_EXCEPTION(type), tb);
    }
    if (!IS_CLASS(type) || !class_is_subclass(AS_CLASS(type), vm->BaseException))
        return vm_raise(vm, vm->TypeError, "exceptions must be classes or instances deriving from BaseException, not %s",
                        vm_type_name(vm, type));
    if (IS_EXCEPTION(value) && vm_is_instance(vm, value, AS_CLASS(type))) {
        *exc = value;
        return IS_NONE(tb) || exception_set_traceback(vm, AS_EXCEPTION(value), tb);
    }
    // From here on, as in CPython, a failure to build the instance is what the generator gets.
    bool ok;
    if (IS_NONE(value)) ok = vm_call(vm, type, NULL, 0, NULL, exc);
    else if (IS_TUPLE(value)) ok = vm_call(vm, type, AS_TUPLE(value)->items, (int)AS_TUPLE(value)->count, NULL, exc);
    else ok = vm_call(vm, type, &value, 1, NULL, exc);
    if (ok && !IS_EXCEPTION(*exc)) {
        vm_push_root(vm, *exc);
        ObjStr *r = vm_repr(vm, type);
        if (r) vm_raise(vm, vm->TypeError, "calling %s should have returned an instance of BaseException, not %s",
                        r->chars, vm_type_name(vm, *exc));
        vm_pop_root(vm);
        ok = false;
    }
    if (!ok) {
        *exc = vm->exception; // unrooted until the caller roots it: nothing allocates meanwhile
        vm_clear_exception(vm);
        return true;
    }
    return IS_NONE(tb) || exception_set_traceback(vm, AS_EXCEPTION(*exc), tb);
}

// Closes what a generator delegates to: a generator or coroutine, or any object through its
// close method if it has one.
static bool close_delegate(Vm *vm, Value inner) {
    if (IS_GENERATOR(inner)) return gen_close_value(vm, AS_GENERATOR(inner));
    if (IS_SLEEP(inner)) {
        sleep_close(AS_SLEEP(inner));
        return true;
    }
    Value closer, ignored;
    int has = vm_getattr_opt(vm, inner, vm->s_close, &closer);
    if (has <= 0) return has == 0;
    return vm_call(vm, closer, NULL, 0, NULL, &ignored);
}

static bool is_generator_exit(Vm *vm, Value type) {
    if (IS_CLASS(type)) return class_is_subclass(AS_CLASS(type), vm->GeneratorExit);
    return IS_EXCEPTION(type) && vm_is_instance(vm, type, vm->GeneratorExit);
}

// throw() as PEP 380 defines it.  A generator suspended in yield from / await first hands throw's
// arguments, unchanged, to its delegate (a GeneratorExit closes the delegate instead); the
// delegate's yield is the result, its return value resumes this generator, and whatever it
// raises is raised here.  Only the generator that raises builds the exception instance.
static RunResult throw_into(Vm *vm, Value target, Value *a, int n, Value *out) {
    Value exc;
    if (IS_SLEEP(target)) {
        if (!throw_exception(vm, a, n, &exc)) return RUN_RAISED;
        return coro_resume(vm, target, NONE_VAL(), exc, out);
    }
    ObjGenerator *g = AS_GENERATOR(target);
    Value inner = gen_awaiting(g);
    if (!IS_EMPTY(inner)) {
        vm_push_root(vm, target);
        g->state = GEN_RUNNING; // as CPython: gi_running while the delegate handles it
        RunResult r = RUN_RAISED;
        Value v = NONE_VAL();
        if (is_generator_exit(vm, a[0])) {
            bool closed = close_delegate(vm, inner);
            g->state = GEN_SUSPENDED;
            vm_pop_root(vm);
            if (!closed) return gen_throw_here(vm, g, out);
            goto throw_here;
        }
        if (IS_GENERATOR(inner) || IS_SLEEP(inner)) {
            r = throw_into(vm, inner, a, n, &v);
        } else {
            Value thrower;
            int has = vm_getattr_opt(vm, inner, vm->s_throw, &thrower);
            if (has == 0) {
                g->state = GEN_SUSPENDED;
                vm_pop_root(vm);
                goto throw_here;
            }
            if (has > 0 && vm_call(vm, thrower, a, n, NULL, &v)) r = RUN_YIELDED;
            else if (vm_exception_matches(vm, vm->StopIteration)) {
                v = AS_EXCEPTION(vm->exception)->extra;
                vm_clear_exception(vm);
                r = RUN_RETURNED;
            }
        }
        g->state = GEN_SUSPENDED;
        vm_pop_root(vm);
        if (r == RUN_YIELDED) {
            *out = v;
            return RUN_YIELDED;
        }
        if (r == RUN_RETURNED) return gen_delegate_returned(vm, g, v, out);
        return gen_throw_here(vm, g, out);
    }
throw_here:
    if (!throw_exception(vm, a, n, &exc)) return RUN_RAISED;
    vm_push_root(vm, exc);
    RunResult r = gen_resume(vm, g, NONE_VAL(), exc, out);
    vm_pop_root(vm);
    return r;
}

static bool gen_throw(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "throw", nargs, kwnames, 2, 4) || !check_gen(vm, args[0], "throw")) return false;
    Value v;
    RunResult r = throw_into(vm, args[0], args + 1, nargs - 1, &v);
    return finish(vm, args[0], r, v, result);
}

// close(): a generator suspended in yield from / await closes its delegate first; then
// GeneratorExit (or what closing the delegate raised) is raised where it is suspended.
bool gen_close_value(Vm *vm, ObjGenerator *g) {
    if (g->state == GEN_CLOSED) return true;
    if (g->state == GEN_CREATED) {
        g->state = GEN_CLOSED;
        return true;
    }
    if (g->state == GEN_RUNNING) {
        const char *what = g->flavor == FLAVOR_COROUTINE ? "coroutine" : g->flavor == FLAVOR_ASYNC_GEN ? "async generator" : "generator";
        return vm_raise(vm, vm->ValueError, "%s already executing", what);
    }
    vm_push_root(vm, OBJ_VAL(g));
    Value inner = gen_awaiting(g);
    bool delegate_closed = true;
    if (!IS_EMPTY(inner)) {
        g->state = GEN_RUNNING;
        delegate_closed = close_delegate(vm, inner);
        g->state = GEN_SUSPENDED;
    }
    if (delegate_closed) {
        Value exc;
        if (!vm_call(vm, OBJ_VAL(vm->GeneratorExit), NULL, 0, NULL, &exc)) {
            vm_pop_root(vm);
            return false;
        }
        vm_raise_value(vm, exc);
    }
    Value v;
    RunResult r = gen_throw_here(vm, g, &v);
    vm_pop_root(vm);
    if (r == RUN_YIELDED) {
        const char *what = g->flavor == FLAVOR_COROUTINE ? "coroutine" : g->flavor == FLAVOR_ASYNC_GEN ? "async generator" : "generator";
        return vm_raise(vm, vm->RuntimeError, "%s ignored GeneratorExit", what);
    }
    if (r == RUN_RAISED) {
        if (vm_exception_matches(vm, vm->GeneratorExit) || vm_exception_matches(vm, vm->StopIteration)) {
            vm_clear_exception(vm);
            return true;
        }
        return false;
    }
    return true;
}

static bool gen_close(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "close", nargs, kwnames, 1, 1) || !check_gen(vm, args[0], "close")) return false;
    *result = NONE_VAL();
    if (IS_SLEEP(args[0])) {
        sleep_close(AS_SLEEP(args[0]));
        return true;
    }
    return gen_close_value(vm, AS_GENERATOR(args[0]));
}

static bool gen_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = args[0];
    return true;
}

static bool gen_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (IS_SLEEP(args[0])) {
        *result = OBJ_VAL(str_printf(vm, "<coroutine object sleep at %p>", (void *)AS_OBJ(args[0])));
        return true;
    }
    ObjGenerator *g = AS_GENERATOR(args[0]);
    const char *kind = g->flavor == FLAVOR_COROUTINE ? "coroutine" : g->flavor == FLAVOR_ASYNC_GEN ? "async_generator" : "generator";
    *result = OBJ_VAL(str_printf(vm, "<%s object %s at %p>", kind, g->qualname->chars, (void *)g));
    return true;
}

// Iterators of built-in types share these: iter(it) is it, next(it) steps it.
static bool iterator_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = args[0];
    return true;
}

static bool iterator_next(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int r = vm_next(vm, args[0], result);
    if (r == 1) return true;
    if (r == 0) return vm_raise_value(vm, OBJ_VAL(vm->StopIteration));
    return false;
}

// ---- async generators ---------------------------------------------------------------------------
// agen.__anext__() / asend(v) / athrow(e) / aclose() return awaitables.  Awaiting one resumes the
// async generator: a plain `yield v` in it finishes the awaitable with v, while an await inside
// it yields its future straight through to the Task, as CPython's async_generator_asend does.
// The awaitable is an iterator whose `source` is the generator, `extra` the value to send or the
// exception to throw first, `index` 0 before the first step, and `limit` its kind.

enum { ASEND, ATHROW, ACLOSE };

static int agen_finish(Vm *vm, ObjIter *it, RunResult r, Value v, Value *out) {
    ObjGenerator *g = AS_GENERATOR(it->source);
    if (r == RUN_YIELDED) {
        if (g->plain_yield) {
            if (it->limit == ACLOSE) {
                vm_raise(vm, vm->RuntimeError, "async generator ignored GeneratorExit");
                return -1;
            }
            *out = v;
            return 0; // the awaitable is done: its result is the yielded value
        }
        *out = v;
        return 1; // an await inside the generator: pass its future up to the task
    }
    if (r == RUN_RETURNED) {
        if (it->limit == ACLOSE) {
            *out = NONE_VAL();
            return 0;
        }
        vm_raise_value(vm, OBJ_VAL(vm->StopAsyncIteration));
        return -1;
    }
    if (it->limit == ACLOSE &&
        (vm_exception_matches(vm, vm->StopAsyncIteration) || vm_exception_matches(vm, vm->GeneratorExit))) {
        vm_clear_exception(vm);
        *out = NONE_VAL();
        return 0;
    }
    return -1;
}

static int agen_step(Vm *vm, Obj *self, Value *out) {
    ObjIter *it = (ObjIter *)self;
    ObjGenerator *g = AS_GENERATOR(it->source);
    Value send = NONE_VAL(), exc = EMPTY_VAL();
    if (it->index == 0) {
        it->index = 1;
        if (g->state == GEN_CREATED && it->limit == ASEND) loop_track_asyncgen(vm, g);
        if (it->limit == ASEND) send = it->extra;
        else exc = it->extra;
        if (it->limit != ASEND && g->state == GEN_CREATED) {
            // throwing into a generator that never ran just closes it
            g->state = GEN_CLOSED;
            if (it->limit == ACLOSE) {
                *out = NONE_VAL();
                return 0;
            }
            vm_raise_value(vm, exc);
            return -1;
        }
    }
    Value v;
    RunResult r = gen_resume(vm, g, send, exc, &v);
    return agen_finish(vm, it, r, v, out);
}

static bool agen_awaitable(Vm *vm, Value agen, int kind, Value extra, Value *result) {
    if (!IS_GENERATOR(agen) || AS_GENERATOR(agen)->flavor != FLAVOR_ASYNC_GEN)
        return vm_raise(vm, vm->TypeError, "descriptor requires an 'async_generator' object");
    ObjIter *it = iter_new(vm, vm->asend_class, agen_step, agen);
    it->extra = extra;
    it->limit = kind;
    *result = OBJ_VAL(it);
    return true;
}

static bool agen_anext(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return agen_awaitable(vm, args[0], ASEND, NONE_VAL(), result);
}

static bool agen_asend(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "asend", nargs, kwnames, 2, 2)) return false;
    return agen_awaitable(vm, args[0], ASEND, args[1], result);
}

static bool agen_athrow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "athrow", nargs, kwnames, 2, 4)) return false;
    Value exc = args[1];
    if (IS_CLASS(exc)) {
        Value inst;
        if (!vm_call(vm, exc, args + 2, nargs > 2 && !IS_NONE(args[2]) ? 1 : 0, NULL, &inst)) return false;
        exc = inst;
    }
    if (!IS_EXCEPTION(exc))
        return vm_raise(vm, vm->TypeError, "exceptions must be classes or instances deriving from BaseException, not %s",
                        vm_type_name(vm, exc));
    return agen_awaitable(vm, args[0], ATHROW, exc, result);
}

static bool agen_aclose(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value exc;
    if (!vm_call(vm, OBJ_VAL(vm->GeneratorExit), NULL, 0, NULL, &exc)) return false;
    vm_push_root(vm, exc);
    bool ok = agen_awaitable(vm, args[0], ACLOSE, exc, result);
    vm_pop_root(vm);
    return ok;
}

static bool self_value(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = args[0];
    return true;
}

// The awaitable's own send/throw, for a task that throws into it (cancellation).
static bool asend_send(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjIter *it = AS_ITER(args[0]);
    if (it->index == 0 && nargs > 1 && it->limit == ASEND) it->extra = args[1];
    int r = agen_step(vm, (Obj *)it, result);
    if (r == 1) return true;
    if (r == 0) return vm_raise_obj(vm, vm->StopIteration, *result);
    return false;
}

static bool asend_throw(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 2) return vm_raise(vm, vm->TypeError, "throw expected an exception");
    ObjIter *it = AS_ITER(args[0]);
    it->index = 1;
    Value v;
    RunResult rr = gen_resume(vm, AS_GENERATOR(it->source), NONE_VAL(), args[1], &v);
    int r = agen_finish(vm, it, rr, v, result);
    if (r == 1) return true;
    if (r == 0) return vm_raise_obj(vm, vm->StopIteration, *result);
    return false;
}

static bool agen_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjGenerator *g = AS_GENERATOR(args[0]);
    *result = OBJ_VAL(str_printf(vm, "<async_generator object %s at %p>", g->qualname->chars, (void *)g));
    return true;
}

void runtime_init_gen(Vm *vm) {
    vm->asend_class = define_class(vm, "async_generator_asend", vm->object_class, OBJ_ITER);
    define_methods(vm, vm->asend_class, (MethodDef[]){{"__await__", self_value},
                                                      {"__iter__", self_value},
                                                      {"send", asend_send},
                                                      {"throw", asend_throw},
                                                      {NULL, NULL}});
    define_methods(vm, vm->async_generator_class, (MethodDef[]){{"__aiter__", self_value},
                                                                {"__anext__", agen_anext},
                                                                {"asend", agen_asend},
                                                                {"athrow", agen_athrow},
                                                                {"aclose", agen_aclose},
                                                                {"__repr__", agen_repr},
                                                                {NULL, NULL}});
    define_methods(vm, vm->generator_class, (MethodDef[]){{"send", gen_send},
                                                          {"throw", gen_throw},
                                                          {"close", gen_close},
                                                          {"__next__", gen_next},
                                                          {"__iter__", gen_iter},
                                                          {"__repr__", gen_repr},
                                                          {NULL, NULL}});
    define_methods(vm, vm->coroutine_class, (MethodDef[]){{"send", gen_send},
                                                          {"throw", gen_throw},
                                                          {"close", gen_close},
                                                          {"__repr__", gen_repr},
                                                          {NULL, NULL}});
    define_methods(vm, vm->iterator_class, (MethodDef[]){{"__iter__", iterator_iter},
                                                         {"__next__", iterator_next},
                                                         {NULL, NULL}});
}
