/* Generator and coroutine objects as Python sees them: send, throw, close, iteration, repr.
 *
 * The machinery that runs them (frames that suspend and resume, delegation through yield from
 * and await) is in vm/vm.c; gen_resume() is its entry point.  These natives translate its three
 * outcomes into Python's protocol: a yielded value is returned, a return becomes StopIteration
 * carrying the value, an exception propagates.
 */
#include <string.h>

#include "runtime.h"

static bool check_gen(Vm *vm, Value v, const char *method) {
    if (!IS_GENERATOR(v)) return vm_raise(vm, vm->TypeError, "descriptor '%s' requires a generator", method);
    return true;
}

// Converts a resume outcome into a native's result.
static bool finish(Vm *vm, ObjGenerator *g, RunResult r, Value v, Value *result) {
    if (r == RUN_YIELDED) {
        *result = v;
        return true;
    }
    if (r == RUN_RAISED) return false;
    // Returned: StopIteration(value); an async generator finishes with StopAsyncIteration.
    if (g->flavor == FLAVOR_ASYNC_GEN) return vm_raise_value(vm, OBJ_VAL(vm->StopAsyncIteration));
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
    ObjGenerator *g = AS_GENERATOR(args[0]);
    Value v;
    RunResult r = gen_resume(vm, g, args[1], EMPTY_VAL(), &v);
    return finish(vm, g, r, v, result);
}

static bool gen_next(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__next__", nargs, kwnames, 1, 1) || !check_gen(vm, args[0], "__next__")) return false;
    ObjGenerator *g = AS_GENERATOR(args[0]);
    Value v;
    RunResult r = gen_resume(vm, g, NONE_VAL(), EMPTY_VAL(), &v);
    return finish(vm, g, r, v, result);
}

// throw(exc) / throw(type[, value]): raises the exception at the suspended yield.
static bool gen_throw(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "throw", nargs, kwnames, 2, 4) || !check_gen(vm, args[0], "throw")) return false;
    ObjGenerator *g = AS_GENERATOR(args[0]);
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
    RunResult r = gen_resume(vm, g, NONE_VAL(), exc, &v);
    vm_pop_root(vm);
    return finish(vm, g, r, v, result);
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
    return gen_close_value(vm, AS_GENERATOR(args[0]));
}

static bool gen_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = args[0];
    return true;
}

static bool gen_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
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

void runtime_init_gen(Vm *vm) {
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
