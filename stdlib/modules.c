/* The registry of built-in modules (modules.h) and the helpers the module files share
 * (modinit.h): namespaces, classes, struct sequences and argument conversions.
 */
#include "modinit.h"

#include "asyncio.h"
#include "bigint.h"

#include <string.h>

typedef struct {
    const char *name;
    ModuleInit init;
} BuiltinModule;

static const BuiltinModule builtin_modules[] = {
    {"sys", mod_sys_init},
    {"math", mod_math_init},
    {"time", mod_time_init},
    {"random", mod_random_init},
    {"os", mod_os_init},
    {"os.path", mod_os_path_init},
    {"errno", mod_errno_init},
    {"unicodedata", mod_unicodedata_init},
    {"json", mod_json_init},
    {"itertools", mod_itertools_init},
    {"functools", mod_functools_init},
    {"signal", mod_signal_init},
    {"traceback", mod_traceback_init},
    {"gc", mod_gc_init},
    {"socket", mod_socket_init},
    {"_thread", mod_thread_init}, // mod_thread.c; threading.aio and queue.aio are built on it
    {"_ssl", mod_ssl_init}, // mod_ssl.c, on OpenSSL; stdlib/ssl.aio is the public module
    {"_asyncio", mod_asyncio_core_init}, // runtime/loop.c: the event loop, Future, Task
    {"_aiotools", mod_aiotools_init},    // the REPL's helpers in C (aiotools.aio is the rest)
    {"_fork", mod_fork_init},             // ProcessPoolExecutor's fork, pipes and waitpid
    {"_subprocess", mod_subprocess_init}, // child processes (subprocess.aio, asyncio's transports)
    {NULL, NULL},
};

ModuleInit builtin_module_find(const char *name) {
    for (const BuiltinModule *b = builtin_modules; b->name; b++)
        if (strcmp(b->name, name) == 0) return b->init;
    return NULL;
}

const char *builtin_module_name(size_t i) {
    return i < sizeof builtin_modules / sizeof builtin_modules[0] ? builtin_modules[i].name : NULL;
}

void builtin_modules_register(void) { import_set_builtin_finder(builtin_module_find); }

// ---- namespaces and classes ---------------------------------------------------------------------

ObjModule *mod_new(Vm *vm, const char *name) {
    ObjStr *s = str_from_c(vm, name);
    vm_push_root(vm, OBJ_VAL(s));
    ObjModule *m = module_new(vm, s);
    vm_push_root(vm, OBJ_VAL(m));
    dict_set_cstr(vm, m->globals, "__name__", OBJ_VAL(s));
    dict_set_cstr(vm, m->globals, "__doc__", NONE_VAL());
    vm_pop_roots(vm, 2);
    return m;
}

void mod_set(Vm *vm, ObjModule *m, const char *name, Value value) {
    vm_push_root(vm, value);
    dict_set_cstr(vm, m->globals, name, value);
    vm_pop_root(vm);
}

ObjClass *mod_class(Vm *vm, ObjModule *m, const char *name, ObjClass *base, ObjKind kind) {
    ObjClass *cls = define_class(vm, name, base, kind);
    vm_push_root(vm, OBJ_VAL(cls));
    dict_set_cstr(vm, cls->dict, "__module__", OBJ_VAL(m->name));
    dict_set_cstr(vm, m->globals, name, OBJ_VAL(cls));
    vm_pop_root(vm);
    return cls;
}

ObjClass *mod_find_class(Vm *vm, const char *module, const char *name) {
    Value mod = dict_get_str(vm->modules, str_from_c(vm, module));
    if (IS_MODULE(mod)) {
        Value cls = dict_get_str(AS_MODULE(mod)->globals, str_from_c(vm, name));
        if (IS_CLASS(cls)) return AS_CLASS(cls);
    }
    vm_raise(vm, vm->RuntimeError, "%s.%s is missing", module, name);
    return NULL;
}

void mod_classmethod(Vm *vm, ObjClass *cls, const char *name, NativeFn fn) {
    ObjNative *n = native_new(vm, name, fn, cls);
    n->is_classmethod = true;
    vm_push_root(vm, OBJ_VAL(n));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(n));
    vm_pop_root(vm);
}

void mod_property(Vm *vm, ObjClass *cls, const char *name, NativeFn getter) {
    ObjNative *n = native_new(vm, name, getter, NULL);
    vm_push_root(vm, OBJ_VAL(n));
    ObjWrapper *w =
        wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(n), NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(w));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(w));
    vm_pop_roots(vm, 2);
}

// ---- struct sequences ---------------------------------------------------------------------------

// One getter per field position: the property for field i returns item i of the tuple.
#define FIELD_GETTER(i)                                                                            \
    static bool field_##i(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {      \
        if (nargs != 1 || !IS_TUPLE(args[0]) || AS_TUPLE(args[0])->count <= (i))                   \
            return vm_raise(vm, vm->TypeError, "descriptor needs a struct sequence");              \
        *result = AS_TUPLE(args[0])->items[i];                                                     \
        return true;                                                                               \
    }
FIELD_GETTER(0)
FIELD_GETTER(1)
FIELD_GETTER(2)
FIELD_GETTER(3)
FIELD_GETTER(4)
FIELD_GETTER(5)
FIELD_GETTER(6)
FIELD_GETTER(7)
FIELD_GETTER(8)
FIELD_GETTER(9)
FIELD_GETTER(10)
FIELD_GETTER(11)
FIELD_GETTER(12)
FIELD_GETTER(13)
FIELD_GETTER(14)
FIELD_GETTER(15)

static const NativeFn field_getters[STRUCTSEQ_MAX_FIELDS] = {
    field_0, field_1, field_2,  field_3,  field_4,  field_5,  field_6,  field_7,
    field_8, field_9, field_10, field_11, field_12, field_13, field_14, field_15,
};

// The `_fields` tuple of a struct-sequence class (looked up through subclasses), or NULL.
static ObjTuple *seq_fields(Vm *vm, ObjClass *cls) {
    Value f = class_lookup(cls, str_from_c(vm, "_fields"));
    return IS_TUPLE(f) ? AS_TUPLE(f) : NULL;
}

// repr: "time.struct_time(tm_year=2024, ...)" or "CacheInfo(hits=1, ...)".
static bool seq_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 1 || !IS_TUPLE(args[0])) return vm_raise(vm, vm->TypeError, "expected a tuple");
    ObjTuple *t = AS_TUPLE(args[0]);
    ObjClass *cls = t->obj.cls;
    ObjTuple *fields = seq_fields(vm, cls);
    StrBuf sb;
    sb_init(&sb);
    Value qualified = class_lookup(cls, str_from_c(vm, "n_sequence_fields"));
    Value module = class_lookup(cls, vm->s_module);
    if (!IS_EMPTY(qualified) && IS_STR(module)) sb_printf(&sb, "%s.", AS_STR(module)->chars);
    sb_printf(&sb, "%s(", cls->name->chars);
    for (size_t i = 0; i < t->count; i++) {
        ObjStr *r = vm_repr(vm, t->items[i]);
        if (!r) {
            sb_free(&sb);
            return false;
        }
        if (i) sb_puts(&sb, ", ");
        if (fields && i < fields->count && IS_STR(fields->items[i]))
            sb_printf(&sb, "%s=", AS_STR(fields->items[i])->chars);
        sb_append(&sb, r->chars, r->length);
    }
    sb_putc(&sb, ')');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// cls(sequence): a struct sequence from exactly n_fields items.
static bool seq_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "bad call");
    ObjClass *cls = AS_CLASS(args[0]);
    static const char *const names[] = {"sequence", "dict", NULL};
    Value a[2];
    char fname[128];
    Value module = class_lookup(cls, vm->s_module);
    snprintf(fname, sizeof fname, "%s.%s", IS_STR(module) ? AS_STR(module)->chars : "",
             cls->name->chars);
    if (!parse_args(vm, cls->name->chars, args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    ObjList *items = vm_list_from_iterable(vm, a[0]);
    if (!items) return false;
    vm_push_root(vm, OBJ_VAL(items));
    ObjTuple *fields = seq_fields(vm, cls);
    size_t n = fields ? fields->count : 0;
    if (items->count != n) {
        // "an at least" when the class has fields beyond the tuple (struct_time's tm_zone).
        Value total = class_lookup(cls, str_from_c(vm, "n_fields"));
        bool at_least = IS_INT(total) && AS_INT(total) != (int64_t)n;
        vm_pop_root(vm);
        return vm_raise(vm, vm->TypeError, "%s() takes %s %zu-sequence (%zu-sequence given)",
                        fname, at_least ? "an at least" : "a", n, items->count);
    }
    ObjTuple *t = structseq_new(vm, cls, n);
    for (size_t i = 0; i < n; i++) t->items[i] = items->items[i];
    vm_pop_root(vm);
    *result = OBJ_VAL(t);
    return true;
}

ObjClass *structseq_class(Vm *vm, ObjModule *m, const char *name, const char *const *fields,
                          bool qualified_repr, bool store) {
    ObjClass *cls = define_class(vm, name, vm->tuple_class, OBJ_TUPLE);
    vm_push_root(vm, OBJ_VAL(cls));
    dict_set_cstr(vm, cls->dict, "__module__", OBJ_VAL(m->name));
    size_t n = 0;
    while (fields[n]) n++;
    ObjTuple *names = tuple_new(vm, n);
    vm_push_root(vm, OBJ_VAL(names));
    for (size_t i = 0; i < n; i++) names->items[i] = OBJ_VAL(str_from_c(vm, fields[i]));
    dict_set_cstr(vm, cls->dict, "_fields", OBJ_VAL(names));
    vm_pop_root(vm);
    if (qualified_repr) {
        dict_set_cstr(vm, cls->dict, "n_fields", INT_VAL((int64_t)n));
        dict_set_cstr(vm, cls->dict, "n_sequence_fields", INT_VAL((int64_t)n));
        dict_set_cstr(vm, cls->dict, "n_unnamed_fields", INT_VAL(0));
        define_methods(vm, cls, (MethodDef[]){{"__new__", seq_new}, {NULL, NULL}});
    }
    for (size_t i = 0; i < n && i < STRUCTSEQ_MAX_FIELDS; i++)
        mod_property(vm, cls, fields[i], field_getters[i]);
    define_methods(vm, cls, (MethodDef[]){{"__repr__", seq_repr}, {NULL, NULL}});
    if (store) dict_set_cstr(vm, m->globals, name, OBJ_VAL(cls));
    vm_pop_root(vm);
    return cls;
}

ObjTuple *structseq_new(Vm *vm, ObjClass *cls, size_t n) {
    ObjTuple *t = tuple_new(vm, n);
    t->obj.cls = cls;  // a tuple in every respect but its class
    return t;
}

// ---- argument conversions -----------------------------------------------------------------------

bool mod_arg_double(Vm *vm, Value v, double *out) {
    if (IS_FLOAT(v)) {
        *out = AS_FLOAT(v);
        return true;
    }
    if (IS_INTLIKE(v)) {
        *out = (double)AS_INTLIKE(v);
        return true;
    }
    if (IS_BIGINT(v)) return big_to_double(vm, v, out);
    Value r;
    int found = vm_call_method(vm, v, vm->s_float, NULL, 0, &r);
    if (found < 0) return false;
    if (found) {
        if (!IS_FLOAT(r))
            return vm_raise(vm, vm->TypeError, "%s.__float__ returned non-float (type %s)",
                            vm_type_name(vm, v), vm_type_name(vm, r));
        *out = AS_FLOAT(r);
        return true;
    }
    found = vm_call_method(vm, v, vm->s_index, NULL, 0, &r);
    if (found < 0) return false;
    if (found && IS_INTEGER(r)) return big_to_double(vm, r, out);
    return vm_raise(vm, vm->TypeError, "must be real number, not %s", vm_type_name(vm, v));
}

bool mod_arg_int(Vm *vm, Value v, Value *out) {
    if (IS_INTEGER(v)) {
        *out = IS_BOOL(v) ? INT_VAL(AS_INTLIKE(v)) : v;
        return true;
    }
    int found = IS_BIGINT(v) ? 0 : vm_call_method(vm, v, vm->s_index, NULL, 0, out);
    if (found < 0) return false;
    if (found) {
        if (!IS_INTEGER(*out))
            return vm_raise(vm, vm->TypeError, "__index__ returned non-int (type %s)",
                            vm_type_name(vm, *out));
        return true;
    }
    return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer",
                    vm_type_name(vm, v));
}

bool mod_arg_index(Vm *vm, Value v, int64_t *out) {
    if (IS_INTLIKE(v)) {
        *out = AS_INTLIKE(v);
        return true;
    }
    Value r;
    if (!mod_arg_int(vm, v, &r)) return false;
    if (!big_fits_int64(r, out))
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C ssize_t");
    return true;
}

Value mod_kwarg(Value *args, int nargs, ObjTuple *kwnames, const char *name) {
    if (!kwnames) return EMPTY_VAL();
    for (size_t i = 0; i < kwnames->count; i++)
        if (strcmp(AS_STR(kwnames->items[i])->chars, name) == 0) return args[nargs + (int)i];
    return EMPTY_VAL();
}

bool mod_check_kwargs(Vm *vm, const char *fname, ObjTuple *kwnames, const char *const *allowed) {
    if (!kwnames) return true;
    for (size_t i = 0; i < kwnames->count; i++) {
        const char *k = AS_STR(kwnames->items[i])->chars;
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, k) == 0;
        if (!ok)
            return vm_raise(vm, vm->TypeError, "%s() got an unexpected keyword argument '%s'",
                            fname, k);
    }
    return true;
}
