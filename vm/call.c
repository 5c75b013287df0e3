/* Calls from C, and the entry points that run code from C (vm/call.h describes them).
 *
 * Owns: vm_call and its variants, calling a generator function (which makes the generator object
 * with its frame inside), the C-stack and depth checks around a nested vm_run(), the names call
 * errors give a callee, CALL_FUNCTION_EX's argument unpacking, and running a module's code or a
 * class body.  Each function here that runs Python code pushes a boundary frame: its
 * RETURN_VALUE, YIELD_VALUE or escaping exception ends the nested vm_run() and comes back here.
 */
#include <string.h>

#include "compile.h"
#include "dict.h"
#include "frame.h"
#include "gc.h"
#include "vm.h"

bool vm_enter_c_level(Vm *vm, const char *where) {
    if (vm->depth >= vm->recursion_limit || vm_c_stack_exhausted(vm))
        return vm_raise(vm, vm->RecursionError, "maximum recursion depth exceeded%s", where);
    vm->depth++;
    return true;
}

// Makes the generator / coroutine object that calling a generator function returns.  Its frame
// lives in the same block, right after it: one allocation, and the frame goes with the object.
static bool make_generator(Vm *vm, ObjFunction *fn, Value *args, int nargs, ObjTuple *kwnames,
                           Value *out) {
    ObjCode *code = fn->code;
    ObjClass *cls = (code->flags & CODE_COROUTINE)   ? vm->coroutine_class
                    : (code->flags & CODE_ASYNC_GEN) ? vm->async_generator_class
                                                     : vm->generator_class;
    ObjGenerator *gen =
        (ObjGenerator *)gc_alloc_object(vm, generator_alloc_size(code), OBJ_GENERATOR, cls);
    gen->state = GEN_CREATED;
    gen->flavor = (code->flags & CODE_COROUTINE)   ? FLAVOR_COROUTINE
                  : (code->flags & CODE_ASYNC_GEN) ? FLAVOR_ASYNC_GEN
                                                   : FLAVOR_GENERATOR;
    gen->name = fn->name;
    gen->qualname = fn->qualname;
    gen->code = code;
    Frame *f = frame_init_owned((Frame *)(gen + 1), code, fn);
    f->gen = gen;
    if (code->flags & CODE_MODULE) f->locals = f->globals; // a REPL entry that awaits (compile.h)
    gen->frame = f;
    // Bind with the frame on the chain, as for any call (the generator is rooted meanwhile).
    vm_push_root(vm, OBJ_VAL(gen));
    f->caller = vm->frame;
    vm->frame = f;
    bool ok = frame_bind_args(vm, fn, f, args, nargs, kwnames);
    vm->frame = f->caller;
    f->caller = NULL;
    vm_pop_root(vm);
    if (!ok) {
        gen->state = GEN_CLOSED; // never seen by the program: nothing to report when collected
        gen->frame = NULL;
        return false;
    }
    // a coroutine may be never awaited; a generator abandoned inside try/with is closed when
    // it is collected
    if (gen->flavor != FLAVOR_ASYNC_GEN) gc_track_finalizable(vm, (Obj *)gen);
    vm_caller_line(vm, &gen->origin_code, &gen->origin_line);
    *out = OBJ_VAL(gen);
    return true;
}

// Where the running frame is: the line of the instruction being executed, which is the word
// before the saved ip (ip already points at the next word).  A coroutine remembers this as its
// origin, for the "was never awaited" warning.
void vm_caller_line(Vm *vm, ObjCode **code, int *line) {
    Frame *f = vm->frame;
    *code = NULL;
    *line = 0;
    if (!f || !f->code) return;
    size_t at = (size_t)(f->ip - f->code->words);
    *code = f->code;
    *line = at > 0 ? f->code->lines[at - 1] : f->code->firstline;
}

// Calls a bytecode function from C: a boundary frame and a nested run().
static bool call_function(Vm *vm, ObjFunction *fn, Value *args, int nargs, ObjTuple *kwnames,
                          Value *out) {
    if (fn->code->flags & (CODE_GENERATOR | CODE_COROUTINE | CODE_ASYNC_GEN))
        return make_generator(vm, fn, args, nargs, kwnames, out);
    if (!vm_check_c_stack(vm)) return false;
    if (!vm_enter_depth(vm)) return false;
    Frame *f = frame_push(vm, fn->code, fn);
    if (!f) {
        vm->depth--;
        return false;
    }
    f->caller = vm->frame;
    f->boundary = true;
    vm->frame = f;
    if (!frame_bind_args(vm, fn, f, args, nargs, kwnames)) {
        vm->frame = f->caller;
        frame_pop(vm, f);
        vm->depth--;
        return false;
    }
    vm->native_depth++;
    RunResult r = vm_run(vm, out, false);
    vm->native_depth--;
    return r == RUN_RETURNED;
}

// Calls any callable from C.  args holds nargs positional values followed by one value per name
// in kwnames.  Bound methods and objects with __call__ are unwrapped by prepending their self
// (argbuf_prepend copies into a small stack buffer, or the heap for long calls).
bool vm_call(Vm *vm, Value callee, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!vm_fuzz_tick(vm)) return false; // calls from C spend the fuzz budget too (nothing else)
    if (!IS_OBJ(callee)) goto not_callable;
    switch (AS_OBJ(callee)->kind) {
    case OBJ_FUNCTION: return call_function(vm, AS_FUNCTION(callee), args, nargs, kwnames, result);
    case OBJ_NATIVE: {
        // A native may call back into vm_call (object.__str__ as __repr__, iter(x.__next__, None)
        // nested, Task.cancel down a chain of tasks ...): each counts a level, as in CPython.
        ObjNative *n = AS_NATIVE(callee);
        // (A method without an owner, which any class may take -- runtime/transport.c's -- checks
        // its own arguments.)
        if (n->is_method && n->owner && !n->is_classmethod &&
            (n->slot || nargs == 0 || vm_class_of(vm, args[0]) != n->owner) &&
            !native_check_args(vm, n, args, nargs, kwnames))
            return false;
        if (!vm_enter_c_level(vm, CALL_WHERE)) return false;
        bool ok = n->fn(vm, args, nargs, kwnames, result);
        vm_leave_c_level(vm);
        return ok;
    }
    case OBJ_BOUND: {
        ObjBound *b = AS_BOUND(callee);
        ArgBuf buf;
        Value *all = argbuf_prepend(&buf, b->self, args, nargs + (kwnames ? (int)kwnames->count : 0));
        bool ok = vm_call(vm, b->func, all, nargs + 1, kwnames, result);
        argbuf_free(&buf);
        return ok;
    }
    case OBJ_CLASS: return vm_call_class(vm, AS_CLASS(callee), args, nargs, kwnames, result);
    default: {
        Value call = class_lookup(vm_class_of(vm, callee), vm->s_call);
        if (IS_EMPTY(call)) goto not_callable;
        // __call__ may itself be an object with a __call__, without end
        if (!vm_enter_c_level(vm, CALL_WHERE)) return false;
        ArgBuf buf;
        Value *all = argbuf_prepend(&buf, callee, args, nargs + (kwnames ? (int)kwnames->count : 0));
        bool ok = vm_call(vm, call, all, nargs + 1, kwnames, result);
        argbuf_free(&buf);
        vm_leave_c_level(vm);
        return ok;
    }
    }
not_callable:
    return vm_raise(vm, vm->TypeError, "'%s' object is not callable", vm_type_name(vm, callee));
}

bool vm_call1(Vm *vm, Value f, Value a, Value *out) { return vm_call(vm, f, &a, 1, NULL, out); }

bool vm_call2(Vm *vm, Value f, Value a, Value b, Value *out) {
    Value args[2] = {a, b};
    return vm_call(vm, f, args, 2, NULL, out);
}

// Looks name up on obj's CLASS (not the instance dict, as for every dunder) and calls it with obj
// as self: 1 called, 0 the class has no such attribute (nothing raised), -1 error.
int vm_call_method(Vm *vm, Value obj, ObjStr *name, Value *args, int nargs, Value *result) {
    ObjClass *cls = vm_class_of(vm, obj);
    Value method = class_lookup(cls, name);
    if (IS_EMPTY(method)) return 0;
    if (!vm_fuzz_tick(vm)) return -1;
    if (IS_NATIVE(method) && str_equal(AS_NATIVE(method)->name, name)) {
        // a built-in type's own slot (not one stored under another name, as __repr__ = __str__),
        // called directly as CPython does: no recursion level
        if (vm_c_stack_exhausted(vm)) {
            vm_raise(vm, vm->RecursionError, "maximum recursion depth exceeded" CALL_WHERE);
            return -1;
        }
        ArgBuf buf;
        Value *all = argbuf_prepend(&buf, obj, args, nargs);
        bool ok = AS_NATIVE(method)->fn(vm, all, nargs + 1, NULL, result);
        argbuf_free(&buf);
        return ok ? 1 : -1;
    }
    if (IS_WRAPPER(method) && AS_WRAPPER(method)->wrap == WRAP_STATICMETHOD)
        return vm_call(vm, AS_WRAPPER(method)->a, args, nargs, NULL, result) ? 1 : -1;
    ArgBuf buf;
    Value *all = argbuf_prepend(&buf, obj, args, nargs);
    bool ok = vm_call(vm, method, all, nargs + 1, NULL, result);
    argbuf_free(&buf);
    return ok ? 1 : -1;
}

// How call errors name the callee, as CPython does: "__main__.f()", "__main__.C.m()", "print()",
// "list.append()", "dict()"; any other callable is "<type> object".
void vm_describe_callee(Vm *vm, Value callee, char *buf, size_t size) {
    if (IS_BOUND(callee)) callee = AS_BOUND(callee)->func;
    const char *module = NULL, *qualname = NULL, *owner = NULL;
    if (IS_FUNCTION(callee)) {
        ObjFunction *fn = AS_FUNCTION(callee);
        qualname = fn->qualname->chars;
        if (IS_STR(fn->module)) module = AS_STR(fn->module)->chars;
    } else if (IS_NATIVE(callee)) {
        ObjNative *n = AS_NATIVE(callee);
        qualname = n->name->chars;
        if (n->owner && n->is_method) owner = n->owner->name->chars;
    } else if (IS_CLASS(callee)) {
        ObjClass *cls = AS_CLASS(callee);
        qualname = cls->qualname ? cls->qualname->chars : cls->name->chars;
        Value m = dict_get_str(cls->dict, vm->s_module);
        if (IS_STR(m)) module = AS_STR(m)->chars;
    }
    if (!qualname) snprintf(buf, size, "%s object", vm_type_name(vm, callee));
    else if (owner) snprintf(buf, size, "%s.%s()", owner, qualname);
    else if (module && strcmp(module, "builtins") != 0) snprintf(buf, size, "%s.%s()", module, qualname);
    else snprintf(buf, size, "%s()", qualname);
}

// CALL_FUNCTION_EX: f(*args, **kwargs), with the stack holding EMPTY f argtuple [kwdict] from
// base up (the compiler built the tuple and the dict).  They stay there, rooted by the saved sp,
// while the call runs; the tuple of keyword names made here takes the EMPTY's slot to be rooted too.
bool vm_call_function_ex(Vm *vm, Value *base, bool has_kw, Value *out) {
    Value callable = base[1];
    ObjTuple *positional = AS_TUPLE(base[2]);
    ObjDict *kwargs = has_kw ? AS_DICT(base[3]) : NULL;
    size_t npos = positional->count, nkw = kwargs ? kwargs->used : 0;
    Value *args = malloc(sizeof(Value) * (npos + nkw + 1));
    if (!args) return vm_raise_memory_error(vm);
    if (npos) memcpy(args, positional->items, sizeof(Value) * npos);
    ObjTuple *kwnames = NULL;
    if (nkw) {
        kwnames = tuple_new(vm, nkw);
        base[0] = OBJ_VAL(kwnames);
        size_t pos = 0, i = 0;
        Value k, v;
        while (dict_next(kwargs, &pos, &k, &v)) {
            if (!IS_STR(k)) {
                free(args);
                return vm_raise(vm, vm->TypeError, "keywords must be strings");
            }
            kwnames->items[i] = k;
            args[npos + i++] = v;
        }
    }
    bool ok = vm_call(vm, callable, args, (int)npos, kwnames, out);
    free(args);
    return ok;
}

bool vm_run_code(Vm *vm, ObjCode *code, ObjDict *globals, Value *result) {
    if (!vm_enter_depth(vm)) return false;
    Frame *f = frame_push(vm, code, NULL);
    if (!f) {
        vm->depth--;
        return false;
    }
    f->globals = globals;
    f->locals = globals;
    f->caller = vm->frame;
    f->boundary = true;
    vm->frame = f;
    vm->native_depth++;
    RunResult r = vm_run(vm, result, false);
    vm->native_depth--;
    return r == RUN_RETURNED;
}

// Runs a class body (a function whose code has CODE_MODULE) with `ns` as its namespace.
bool vm_run_class_body(Vm *vm, ObjFunction *fn, ObjDict *ns) {
    if (!vm_enter_depth(vm)) return false;
    Frame *f = frame_push(vm, fn->code, fn);
    if (!f) {
        vm->depth--;
        return false;
    }
    f->locals = ns;
    f->caller = vm->frame;
    f->boundary = true;
    vm->frame = f;
    if (!frame_bind_args(vm, fn, f, NULL, 0, NULL)) {
        vm->frame = f->caller;
        frame_pop(vm, f);
        vm->depth--;
        return false;
    }
    Value ignored;
    vm->native_depth++;
    RunResult r = vm_run(vm, &ignored, false);
    vm->native_depth--;
    return r == RUN_RETURNED;
}

bool vm_run_source(Vm *vm, const char *filename, const char *text, size_t length, ObjDict *globals,
                   Value *result) {
    ObjCode *code = vm_compile_source(vm, filename, text, length);
    if (!code) return false;
    vm_push_root(vm, OBJ_VAL(code));
    bool ok = vm_run_code(vm, code, globals, result);
    vm_pop_root(vm);
    return ok;
}
