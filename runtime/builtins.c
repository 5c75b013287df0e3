/* The builtins module: the functions every program can call without importing anything.
 *
 * Type constructors (int, str, list, ...) are the classes themselves and live with their types;
 * numeric builtins (abs, round, divmod, pow, hex...) live in number.c, iteration builtins (iter,
 * next, zip, map, sorted, min, max, sum...) in iter.c and sort.c, and format/ord/chr in str.c.
 * This file has the rest.
 */
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "frame.h"
#include "import.h"
#include "runtime.h"

static bool builtin_print(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value sep = NONE_VAL(), end = NONE_VAL(), file = NONE_VAL(), flush = NONE_VAL();
    int nkw = kwnames ? (int)kwnames->count : 0;
    for (int k = 0; k < nkw; k++) {
        const char *key = AS_STR(kwnames->items[k])->chars;
        Value v = args[nargs + k];
        if (strcmp(key, "sep") == 0) sep = v;
        else if (strcmp(key, "end") == 0) end = v;
        else if (strcmp(key, "file") == 0) file = v;
        else if (strcmp(key, "flush") == 0) flush = v;
        else return vm_raise(vm, vm->TypeError, "'%s' is an invalid keyword argument for print()", key);
    }
    if (!IS_NONE(sep) && !IS_STR(sep))
        return vm_raise(vm, vm->TypeError, "sep must be None or a string, not %s", vm_type_name(vm, sep));
    if (!IS_NONE(end) && !IS_STR(end))
        return vm_raise(vm, vm->TypeError, "end must be None or a string, not %s", vm_type_name(vm, end));
    if (IS_NONE(file)) {
        file = vm->stdout_file;
        Value sys = dict_get_str(vm->modules, str_from_c(vm, "sys"));
        if (IS_MODULE(sys)) {
            Value out = dict_get_str(AS_MODULE(sys)->globals, str_from_c(vm, "stdout"));
            if (!IS_EMPTY(out) && !IS_NONE(out)) file = out;
        }
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < nargs; i++) {
        if (i > 0) {
            if (IS_STR(sep)) sb_append(&sb, AS_STR(sep)->chars, AS_STR(sep)->length);
            else sb_putc(&sb, ' ');
        }
        ObjStr *s = vm_str(vm, args[i]);
        if (!s) {
            sb_free(&sb);
            return false;
        }
        sb_append(&sb, s->chars, s->length);
    }
    if (IS_STR(end)) sb_append(&sb, AS_STR(end)->chars, AS_STR(end)->length);
    else sb_putc(&sb, '\n');
    *result = NONE_VAL();
    if (IS_FILE(file) && AS_FILE(file)->fp && AS_FILE(file)->writable && !AS_FILE(file)->binary &&
        AS_FILE(file)->last_io >= 0) {
        // The common case needs no str object: write the bytes straight to the stream.
        fwrite(sb.data, 1, sb.length, AS_FILE(file)->fp);
        AS_FILE(file)->last_io = 1; // a read that follows must flush first (runtime/file.c)
        sb_free(&sb);
        bool flushing = false;
        if (!IS_NONE(flush) && !vm_truthy(vm, flush, &flushing)) return false;
        if (flushing || AS_FILE(file)->fp == stderr) fflush(AS_FILE(file)->fp);
        return true;
    }
    ObjStr *text = str_from_buf(vm, &sb);
    vm_push_root(vm, OBJ_VAL(text));
    bool ok = file_write_str(vm, file, text);
    vm_pop_root(vm);
    return ok;
}

static bool builtin_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "len", nargs, kwnames, 1, 1)) return false;
    int64_t n;
    if (!vm_len(vm, args[0], &n)) return false;
    *result = INT_VAL(n);
    return true;
}

static bool builtin_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "repr", nargs, kwnames, 1, 1)) return false;
    ObjStr *s = vm_repr(vm, args[0]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

static bool class_check(Vm *vm, const char *fname, Value cls, Value v, bool sub, bool *out) {
    if (IS_CLASS(cls)) {
        if (sub) {
            if (!IS_CLASS(v)) return vm_raise(vm, vm->TypeError, "issubclass() arg 1 must be a class");
            *out = class_is_subclass(AS_CLASS(v), AS_CLASS(cls));
        } else {
            *out = vm_is_instance(vm, v, AS_CLASS(cls));
        }
        return true;
    }
    if (IS_TUPLE(cls)) {
        ObjTuple *t = AS_TUPLE(cls);
        for (size_t i = 0; i < t->count; i++) {
            if (!vm_enter_c_level(vm, sub ? " in __subclasscheck__" : " in __instancecheck__")) return false;
            bool ok = class_check(vm, fname, t->items[i], v, sub, out);
            vm_leave_c_level(vm);
            if (!ok) return false;
            if (*out) return true;
        }
        *out = false;
        return true;
    }
    return vm_raise(vm, vm->TypeError, "%s() arg 2 must be a type, a tuple of types, or a union", fname);
}

static bool builtin_isinstance(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "isinstance", nargs, kwnames, 2, 2)) return false;
    bool r;
    if (!class_check(vm, "isinstance", args[1], args[0], false, &r)) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool builtin_issubclass(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "issubclass", nargs, kwnames, 2, 2)) return false;
    bool r;
    if (!class_check(vm, "issubclass", args[1], args[0], true, &r)) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool attr_name(Vm *vm, Value v, ObjStr **out) {
    if (!IS_STR(v))
        return vm_raise(vm, vm->TypeError, "attribute name must be string, not '%s'", vm_type_name(vm, v));
    *out = str_intern(vm, AS_STR(v)->chars, AS_STR(v)->length);
    return true;
}

static bool builtin_getattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "getattr", nargs, kwnames, 2, 3)) return false;
    ObjStr *name;
    if (!attr_name(vm, args[1], &name)) return false;
    if (nargs == 2) return vm_getattr(vm, args[0], name, result);
    int r = vm_getattr_opt(vm, args[0], name, result);
    if (r < 0) {
        if (!vm_exception_matches(vm, vm->AttributeError)) return false;
        vm_clear_exception(vm);
        r = 0;
    }
    if (r == 0) *result = args[2];
    return true;
}

static bool builtin_hasattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "hasattr", nargs, kwnames, 2, 2)) return false;
    ObjStr *name;
    if (!attr_name(vm, args[1], &name)) return false;
    Value v;
    int r = vm_getattr_opt(vm, args[0], name, &v);
    if (r < 0) {
        if (!vm_exception_matches(vm, vm->AttributeError)) return false;
        vm_clear_exception(vm);
        r = 0;
    }
    *result = BOOL_VAL(r == 1);
    return true;
}

static bool builtin_setattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "setattr", nargs, kwnames, 3, 3)) return false;
    ObjStr *name;
    if (!attr_name(vm, args[1], &name)) return false;
    *result = NONE_VAL();
    return vm_setattr(vm, args[0], name, args[2]);
}

static bool builtin_delattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "delattr", nargs, kwnames, 2, 2)) return false;
    ObjStr *name;
    if (!attr_name(vm, args[1], &name)) return false;
    *result = NONE_VAL();
    return vm_delattr(vm, args[0], name);
}

static bool builtin_id(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "id", nargs, kwnames, 1, 1)) return false;
    Value v = args[0];
    if (IS_OBJ(v)) *result = INT_VAL((int64_t)(uintptr_t)AS_OBJ(v));
    else *result = INT_VAL((int64_t)(0x100000 + v.tag * 0x10000 + (v.as.integer & 0xffff) * 16));
    return true;
}

static bool builtin_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "hash", nargs, kwnames, 1, 1)) return false;
    uint64_t h;
    if (!vm_hash(vm, args[0], &h)) return false;
    *result = INT_VAL((int64_t)h);
    return true;
}

static bool builtin_callable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "callable", nargs, kwnames, 1, 1)) return false;
    Value v = args[0];
    bool c = IS_FUNCTION(v) || IS_NATIVE(v) || IS_BOUND(v) || IS_CLASS(v) ||
             (IS_OBJ(v) && !IS_EMPTY(class_lookup(AS_OBJ(v)->cls, vm->s_call)));
    *result = BOOL_VAL(c);
    return true;
}

static bool builtin_locals(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result);

// dir(): with no argument, the names bound in the running scope (locals() of a function); for a
// module, the names of its namespace; for an object whose class defines __dir__, what that
// returns; else the attribute names of the object, its class and the class's bases.  Sorted.
static bool builtin_dir(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "dir", nargs, kwnames, 0, 1)) return false;
    Value sorted = dict_get_str(vm->builtins, str_from_c(vm, "sorted"));
    if (nargs == 1 && !IS_CLASS(args[0])) {
        Value custom = class_lookup(vm_class_of(vm, args[0]), str_from_c(vm, "__dir__"));
        if (!IS_EMPTY(custom)) {
            Value listed;
            if (vm_call_method(vm, args[0], str_from_c(vm, "__dir__"), NULL, 0, &listed) < 0) return false;
            vm_push_root(vm, listed);
            bool ok = vm_call1(vm, sorted, listed, result);
            vm_pop_root(vm);
            return ok;
        }
    }
    ObjList *names = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(names));
    ObjSet *seen = set_new(vm, false);
    vm_push_root(vm, OBJ_VAL(seen));
    ObjDict *dicts[64];
    int nd = 0;
    if (nargs == 0) {
        Value scope = OBJ_VAL(vm->builtins);
        if (vm->frame) (void)builtin_locals(vm, NULL, 0, NULL, &scope); // no arguments: cannot fail
        vm_push_root(vm, scope); // popped with the others: fail and success pop all three
        dicts[nd++] = AS_DICT(scope);
    } else if (IS_MODULE(args[0])) {
        vm_push_root(vm, NONE_VAL());
        dicts[nd++] = AS_MODULE(args[0])->globals;
    } else {
        vm_push_root(vm, NONE_VAL());
        Value v = args[0];
        ObjDict *own = IS_CLASS(v) ? NULL : vm_object_dict(vm, v);
        if (own) dicts[nd++] = own;
        for (ObjClass *c = IS_CLASS(v) ? AS_CLASS(v) : vm_class_of(vm, v); c && nd < 64; c = c->base)
            dicts[nd++] = c->dict;
    }
    for (int i = 0; i < nd; i++) {
        size_t pos = 0;
        Value k, val;
        while (dict_next(dicts[i], &pos, &k, &val)) {
            int in = set_contains_value(vm, seen, k);
            if (in < 0) goto fail;
            if (in) continue;
            if (!set_add_value(vm, seen, k)) goto fail;
            list_append(vm, names, k);
        }
    }
    {
        Value out;
        if (!vm_call1(vm, sorted, OBJ_VAL(names), &out)) goto fail;
        vm_pop_roots(vm, 3);
        *result = out;
        return true;
    }
fail:
    vm_pop_roots(vm, 3);
    return false;
}

static bool builtin_vars(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "vars", nargs, kwnames, 0, 1)) return false;
    if (nargs == 0) {
        *result = OBJ_VAL(vm->frame && vm->frame->locals ? vm->frame->locals : vm->frame->globals);
        return true;
    }
    ObjDict *d = vm_object_dict(vm, args[0]);
    if (!d) return vm_raise(vm, vm->TypeError, "vars() argument must have __dict__ attribute");
    *result = OBJ_VAL(d);
    return true;
}

static bool builtin_globals(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "globals", nargs, kwnames, 0, 0)) return false;
    *result = OBJ_VAL(vm->frame->globals);
    return true;
}

// locals() in a function: a fresh dict of the bound locals (a snapshot, as CPython's).
static bool builtin_locals(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "locals", nargs, kwnames, 0, 0)) return false;
    Frame *f = vm->frame;
    if (f->locals) {
        *result = OBJ_VAL(f->locals);
        return true;
    }
    ObjDict *d = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(d));
    for (int i = 0; i < f->code->nlocals; i++)
        if (!IS_EMPTY(f->slots[i])) dict_set_str(vm, d, f->code->varnames[i], f->slots[i]);
    for (int i = 0; i < f->code->ncells; i++) {
        Value c = f->slots[f->code->nlocals + i];
        if (IS_CELL(c) && !IS_EMPTY(AS_CELL(c)->value)) dict_set_str(vm, d, f->code->cellnames[i], AS_CELL(c)->value);
    }
    vm_pop_root(vm);
    *result = OBJ_VAL(d);
    return true;
}

static bool builtin_input(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "input", nargs, kwnames, 0, 1)) return false;
    if (nargs == 1) {
        ObjStr *prompt = vm_str(vm, args[0]);
        if (!prompt) return false;
        fputs(prompt->chars, stdout);
    }
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    VM_BLOCKING(vm, n = getline(&line, &cap, stdin)); // other threads run while it waits
    if (n < 0) {
        free(line);
        return vm_raise(vm, vm->EOFError, "EOF when reading a line");
    }
    if (n > 0 && line[n - 1] == '\n') n--;
    *result = OBJ_VAL(str_new(vm, line, (size_t)n));
    free(line);
    return true;
}

static bool builtin_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjTuple *t = tuple_new(vm, nargs ? 1 : 0);
    if (nargs) t->items[0] = args[0];
    vm_push_root(vm, OBJ_VAL(t));
    ObjException *e = exception_new(vm, vm->SystemExit, t);
    vm_pop_root(vm);
    e->extra = nargs ? args[0] : NONE_VAL();
    return vm_raise_value(vm, OBJ_VAL(e));
}

static bool builtin_import(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_STR(args[0])) return vm_raise(vm, vm->TypeError, "__import__() argument 1 must be str");
    return import_module(vm, AS_STR(args[0]), result);
}

void runtime_init_builtins(Vm *vm) {
    runtime_init_class_builtins(vm);
    static const struct {
        const char *name;
        NativeFn fn;
    } fns[] = {
        {"print", builtin_print},       {"len", builtin_len},           {"repr", builtin_repr},
        {"isinstance", builtin_isinstance}, {"issubclass", builtin_issubclass},
        {"getattr", builtin_getattr},   {"hasattr", builtin_hasattr},   {"setattr", builtin_setattr},
        {"delattr", builtin_delattr},   {"id", builtin_id},             {"hash", builtin_hash},
        {"callable", builtin_callable}, {"dir", builtin_dir},           {"vars", builtin_vars},
        {"globals", builtin_globals},   {"locals", builtin_locals},     {"input", builtin_input},
        {"exit", builtin_exit},         {"quit", builtin_exit},         {"__import__", builtin_import},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) define_native(vm, vm->builtins, fns[i].name, fns[i].fn);
}
