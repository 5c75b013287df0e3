/* Generator and coroutine objects as Python sees them: send, throw, close, iteration, repr.
 *
 * The machinery that runs them (frames that suspend and resume, delegation through yield from
 * and await) is in vm/vm.c; gen_resume() is its entry point.  These natives translate its three
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

// throw(exc) / throw(type[, value]): raises the exception at the suspended yield.
static bool gen_throw(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "throw", nargs, kwnames, 2, 4) || !check_gen(vm, args[0], "throw")) return false;
    Value exc = args[1];
    if (IS_CLASS(exc)) {
        if (!class_is_subclass(AS_CLASS(exc), vm->BaseException))
            return vm_raise(vm, vm->TypeError, "exceptions must be classes or instances deriving from BaseException, not type");
        Value inst;
        if (!vm_call(vm, exc, args + 2, nargs > 2 && !IS_NONE(args[2]) ? 1 : 0, NULL, &inst)) return false;
        exc = inst;
    } else if (!IS_EXCEPTION(exc)) {
        return vm_raise(vm, vm->TypeError, "exceptions must be classes or instances deriving from BaseException, not %s",
                        vm_type_name(vm, exc));
    }
    vm_push_root(vm, exc);
    Value v;
    RunResult r = coro_resume(vm, args[0], NONE_VAL(), exc, &v);
    vm_pop_root(vm);
    return finish(vm, args[0], r, v, result);
}

bool gen_close_value(Vm *vm, ObjGenerator *g) {
    if (g->state == GEN_CLOSED) return true;
    if (g->state == GEN_CREATED) {
        g->state = GEN_CLOSED;
        return true;
    }
    Value exc;
    if (!vm_call(vm, OBJ_VAL(vm->GeneratorExit), NULL, 0, NULL, &exc)) return false;
    vm_push_root(vm, exc);
    Value v;
    RunResult r = gen_resume(vm, g, NONE_VAL(), exc, &v);
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
