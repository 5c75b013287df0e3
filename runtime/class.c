/* Classes: the object and type classes and their methods, the class statement
 * (__build_class__), property / staticmethod / classmethod / super, the reprs of the
 * interpreter's own objects, and the helpers that define classes and natives from C.
 *
 * Attribute lookup along the bases, the per-class fast-path flags and instantiation, which the
 * dispatch loop needs, are in vm/attr.c (its opening comment says what a class's dict holds).
 */
#include <string.h>

#include "error.h"
#include "frame.h"
#include "runtime.h"

// ---- defining classes and natives from C --------------------------------------------------------

// Adds C methods to a built-in class.  Every one binds self when read through an instance, except
// __new__, which is called with the class as its first argument (a static method, as in CPython).
void define_methods(Vm *vm, ObjClass *cls, const MethodDef *defs) {
    for (const MethodDef *d = defs; d->name; d++) {
        ObjNative *n = native_new(vm, d->name, d->fn, cls);
        vm_push_root(vm, OBJ_VAL(n));
        dict_set_str(vm, cls->dict, n->name, OBJ_VAL(n));
        vm_pop_root(vm);
        if (strcmp(d->name, "__new__") == 0) n->is_method = false;
    }
}

// Adds read-only properties to a built-in class: each native is the getter, called with self.
void define_getters(Vm *vm, ObjClass *cls, const MethodDef *defs) {
    for (const MethodDef *d = defs; d->name; d++) {
        ObjNative *n = native_new(vm, d->name, d->fn, cls);
        vm_push_root(vm, OBJ_VAL(n));
        ObjWrapper *w = wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(n), NONE_VAL(), NONE_VAL());
        vm_push_root(vm, OBJ_VAL(w));
        dict_set_str(vm, cls->dict, n->name, OBJ_VAL(w));
        vm_pop_roots(vm, 2);
    }
}

// A module-level C function (no owner class: never binds self), stored in namespace ns.
void define_native(Vm *vm, ObjDict *ns, const char *name, NativeFn fn) {
    ObjNative *n = native_new(vm, name, fn, NULL);
    vm_push_root(vm, OBJ_VAL(n));
    dict_set_str(vm, ns, n->name, OBJ_VAL(n));
    vm_pop_root(vm);
}

// A built-in class whose instances are objects of `kind`.  CLASS_BUILTIN makes it immutable
// (no attribute assignment) and exempt from the flag recomputation of vm/attr.c.
ObjClass *define_class(Vm *vm, const char *name, ObjClass *base, ObjKind kind) {
    ObjClass *cls = class_new(vm, str_from_c(vm, name), base);
    cls->instance_kind = kind;
    cls->flags |= CLASS_BUILTIN;
    vm_push_root(vm, OBJ_VAL(cls));
    dict_set_cstr(vm, cls->dict, "__module__", OBJ_VAL(str_from_c(vm, "builtins")));
    vm_pop_root(vm);
    return cls;
}

// A C module, registered in sys.modules at once so that `import name` finds it.
ObjModule *define_module(Vm *vm, const char *name) {
    ObjModule *m = module_new(vm, str_from_c(vm, name));
    vm_push_root(vm, OBJ_VAL(m));
    dict_set_cstr(vm, m->globals, "__name__", OBJ_VAL(m->name));
    dict_set_str(vm, vm->modules, m->name, OBJ_VAL(m));
    vm_pop_root(vm);
    return m;
}

// ---- the class statement ------------------------------------------------------------------------

// __build_class__(body, name[, base]), what the `class` statement compiles to.  In order:
//   1. check the base: at most one, and not a final or unsupported built-in type;
//   2. run the body function with a fresh dict as its namespace (vm_run_class_body): the body's
//      `def`s and assignments fill it;
//   3. make the class around that dict; take __qualname__ out of it; fill the __class__ cell
//      (__classcell__), which zero-argument super() and __class__ in methods read;
//   4. a class that defines __eq__ without __hash__ becomes unhashable (__hash__ = None); one
//      without a docstring gets __doc__ None;
//   5. set the fast-path flags from the dict and the bases;
//   6. call __set_name__ on each attribute that has it, then the base's __init_subclass__ with
//      the class statement's keywords (`class C(Base, flag=True)`; a metaclass= is ignored).
// The namespace and the class are rooted (two roots) until the end.
static bool call_init_subclass(Vm *vm, ObjClass *base, ObjClass *cls, Value *args, int nargs,
                               ObjTuple *kwnames);

static bool build_class(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 2 || !IS_FUNCTION(args[0]) || !IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "__build_class__: bad arguments");
    ObjClass *base = vm->object_class;
    if (nargs > 3)
        return vm_raise(vm, vm->TypeError, "multiple inheritance is not supported by aio");
    if (nargs == 3) {
        if (!IS_CLASS(args[2]))
            return vm_raise(vm, vm->TypeError, "bases must be types");
        base = AS_CLASS(args[2]);
        if (base->flags & CLASS_FINAL)
            return vm_raise(vm, vm->TypeError, "type '%s' is not an acceptable base type", base->name->chars);
        // int and float are immediates, not objects of a kind of their own: a subclass's
        // constructor could only make a plain int or float (and lose the class), so they are
        // refused like the other built-in types.
        if ((base->flags & CLASS_BUILTIN) && !(base->flags & CLASS_EXCEPTION) &&
            (base->instance_kind != OBJ_INSTANCE || base == vm->int_class || base == vm->float_class))
            return vm_raise(vm, vm->TypeError, "subclassing the built-in type '%s' is not supported by aio",
                            base->name->chars);
    }
    ObjDict *ns = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(ns));
    if (!vm_run_class_body(vm, AS_FUNCTION(args[0]), ns)) {
        vm_pop_root(vm);
        return false;
    }
    ObjClass *cls = class_new(vm, AS_STR(args[1]), base);
    cls->flags &= ~CLASS_BUILTIN;
    cls->dict = ns;
    vm_push_root(vm, OBJ_VAL(cls));
    Value qual = dict_get_str(ns, vm->s_qualname);
    if (IS_STR(qual)) {
        cls->qualname = AS_STR(qual);
        dict_delete(vm, ns, OBJ_VAL(vm->s_qualname), NULL);
    }
    ObjStr *classcell = str_from_c(vm, "__classcell__");
    Value cell = dict_get_str(ns, classcell);
    if (IS_CELL(cell)) {
        AS_CELL(cell)->value = OBJ_VAL(cls);
        dict_delete(vm, ns, OBJ_VAL(classcell), NULL);
    }
    if (!IS_EMPTY(dict_get_str(ns, vm->s_eq)) && IS_EMPTY(dict_get_str(ns, vm->s_hash)))
        dict_set_str(vm, ns, vm->s_hash, NONE_VAL());
    // A class without a docstring has __doc__ None of its own: a base's is not inherited.
    if (IS_EMPTY(dict_get_str(ns, vm->s_doc))) dict_set_str(vm, ns, vm->s_doc, NONE_VAL());
    if (!IS_EMPTY(class_lookup(cls, vm->s_getattr))) cls->has_getattr = true;
    if (!IS_EMPTY(class_lookup(cls, str_from_c(vm, "__del__")))) cls->has_del = true;
    {
        size_t at = 0;
        Value key, val;
        while (dict_next(ns, &at, &key, &val))
            if ((IS_WRAPPER(val) && AS_WRAPPER(val)->wrap == WRAP_PROPERTY) || vm_is_user_data_descriptor(vm, val))
                cls->has_data_descriptors = true;
    }
    Value setattr = class_lookup(cls, vm->s_setattr);
    if (IS_FUNCTION(setattr)) cls->has_setattr = true;
    // __set_name__ on the attributes that define it, then the base's __init_subclass__.
    size_t pos = 0;
    Value k, v;
    while (dict_next(ns, &pos, &k, &v)) {
        if (!IS_OBJ(v) || IS_FUNCTION(v) || IS_NATIVE(v)) continue;
        Value set_name = class_lookup(vm_class_of(vm, v), vm->s_set_name);
        if (IS_FUNCTION(set_name)) {
            Value a[3] = {v, OBJ_VAL(cls), k};
            Value ignored;
            if (!vm_call(vm, set_name, a, 3, NULL, &ignored)) {
                vm_pop_roots(vm, 2);
                return false;
            }
        }
    }
    bool ok = call_init_subclass(vm, base, cls, args, nargs, kwnames);
    vm_pop_roots(vm, 2);
    if (!ok) return false;
    *result = OBJ_VAL(cls);
    return true;
}

// base.__init_subclass__(cls, **keywords): the keywords are the values after build_class's
// nargs positional arguments, named by kwnames, less metaclass=.
static bool call_init_subclass(Vm *vm, ObjClass *base, ObjClass *cls, Value *args, int nargs,
                               ObjTuple *kwnames) {
    size_t nkw = 0;
    Value values[64];
    ObjTuple *names = NULL;
    if (kwnames && kwnames->count) {
        if (kwnames->count > 64) return vm_raise(vm, vm->TypeError, "too many class keywords");
        for (size_t i = 0; i < kwnames->count; i++)
            if (strcmp(AS_STR(kwnames->items[i])->chars, "metaclass") != 0) values[nkw++] = args[nargs + (int)i];
        if (nkw) {
            names = tuple_new(vm, nkw);
            size_t at = 0;
            for (size_t i = 0; i < kwnames->count; i++)
                if (strcmp(AS_STR(kwnames->items[i])->chars, "metaclass") != 0) names->items[at++] = kwnames->items[i];
        }
    }
    Value init_sub = base ? class_lookup(base, vm->s_init_subclass) : EMPTY_VAL();
    if (IS_WRAPPER(init_sub) && AS_WRAPPER(init_sub)->wrap == WRAP_CLASSMETHOD) init_sub = AS_WRAPPER(init_sub)->a;
    if (!IS_FUNCTION(init_sub) && !(IS_NATIVE(init_sub) && nkw)) return true; // object's: nothing to do
    Value call_args[65];
    call_args[0] = OBJ_VAL(cls);
    for (size_t i = 0; i < nkw; i++) call_args[1 + i] = values[i];
    if (names) vm_push_root(vm, OBJ_VAL(names));
    Value ignored;
    bool ok = vm_call(vm, init_sub, call_args, 1, nkw ? names : NULL, &ignored);
    if (names) vm_pop_root(vm);
    return ok;
}

// ---- object and type ----------------------------------------------------------------------------

static bool object_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return true;
}

// object.__new__(cls): a bare instance (or exception) of cls, without running __init__.  Only
// classes whose instances are plain ObjInstances (or exceptions) can be made this way: a list
// subclass must come from list's own constructor.
static bool object_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "object.__new__(X): X is not a type object");
    ObjClass *cls = AS_CLASS(args[0]);
    if (cls->flags & CLASS_EXCEPTION) {
        ObjTuple *t = tuple_new(vm, (size_t)(nargs - 1));
        for (int i = 1; i < nargs; i++) t->items[i - 1] = args[i];
        vm_push_root(vm, OBJ_VAL(t));
        *result = OBJ_VAL(exception_new(vm, cls, t));
        vm_pop_root(vm);
        return true;
    }
    if (cls->instance_kind != OBJ_INSTANCE)
        return vm_raise(vm, vm->TypeError, "object.__new__(%s) is not safe", cls->name->chars);
    *result = OBJ_VAL(instance_new(vm, cls));
    return true;
}

static bool object_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = vm_class_of(vm, args[0]);
    Value mod = dict_get_str(cls->dict, vm->s_module);
    if (IS_STR(mod) && strcmp(AS_STR(mod)->chars, "builtins") != 0)
        *result = OBJ_VAL(str_printf(vm, "<%s.%s object at %p>", AS_STR(mod)->chars, cls->qualname->chars,
                                     (void *)AS_OBJ(args[0])));
    else
        *result = OBJ_VAL(str_printf(vm, "<%s object at %p>", cls->qualname->chars,
                                     IS_OBJ(args[0]) ? (void *)AS_OBJ(args[0]) : NULL));
    return true;
}

// object.__str__ is repr(self) through the class's __repr__ (repr_by_method skips vm_repr's
// shortcuts, which would not see a subclass's __repr__).
static bool object_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *s = IS_OBJ(args[0]) && !IS_STR(args[0]) ? vm_repr_by_method(vm, args[0]) : vm_repr(vm, args[0]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// object.__eq__ is identity, NotImplemented otherwise (so the other operand gets its turn);
// object.__ne__ inverts whatever __eq__ the class has, passing NotImplemented through.
static bool object_eq(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = value_is(args[0], args[1]) ? BOOL_VAL(true) : vm->not_implemented;
    return true;
}

static bool object_ne(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value eq = class_lookup(vm_class_of(vm, args[0]), vm->s_eq);
    Value r;
    if (!vm_call(vm, eq, args, 2, NULL, &r)) return false;
    if (value_is(r, vm->not_implemented)) {
        *result = r;
        return true;
    }
    bool t;
    if (!vm_truthy(vm, r, &t)) return false;
    *result = BOOL_VAL(!t);
    return true;
}

static bool object_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    uint64_t h;
    if (!vm_hash(vm, args[0], &h)) return false;
    *result = INT_VAL((int64_t)h);
    return true;
}

static bool object_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || !IS_STR(args[1])) return vm_raise(vm, vm->TypeError, "format spec must be a str");
    if (AS_STR(args[1])->length)
        return vm_raise(vm, vm->TypeError, "unsupported format string passed to %s.__format__",
                        vm_type_name(vm, args[0]));
    ObjStr *s = vm_str(vm, args[0]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// The attribute dunders called by name: vm_call checked their arity (vm/native_args.c).
static bool attribute_name_check(Vm *vm, Value name) {
    return IS_STR(name) || vm_raise(vm, vm->TypeError, "attribute name must be string, not '%s'",
                                    vm_type_name(vm, name));
}

static bool object_setattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!attribute_name_check(vm, args[1])) return false;
    *result = NONE_VAL();
    return vm_generic_setattr(vm, args[0], AS_STR(args[1]), args[2]);
}

static bool object_getattribute(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!attribute_name_check(vm, args[1])) return false;
    return vm_getattr(vm, args[0], AS_STR(args[1]), result);
}

static bool object_delattr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!attribute_name_check(vm, args[1])) return false;
    *result = NONE_VAL();
    return vm_generic_delattr(vm, args[0], AS_STR(args[1]));
}

static bool object_init_subclass(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s.__init_subclass__() takes no keyword arguments",
                        nargs && IS_CLASS(args[0]) ? AS_CLASS(args[0])->name->chars : "object");
    *result = NONE_VAL();
    return true;
}

static bool type_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    Value mod = dict_get_str(cls->dict, vm->s_module);
    if (IS_STR(mod) && strcmp(AS_STR(mod)->chars, "builtins") != 0)
        *result = OBJ_VAL(str_printf(vm, "<class '%s.%s'>", AS_STR(mod)->chars, cls->qualname->chars));
    else
        *result = OBJ_VAL(str_printf(vm, "<class '%s'>", cls->qualname->chars));
    return true;
}

static bool type_mro(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    for (ObjClass *c = AS_CLASS(args[0]); c; c = c->base) list_append(vm, l, OBJ_VAL(c));
    vm_pop_root(vm);
    *result = OBJ_VAL(l);
    return true;
}

static bool type_subclasscheck(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = BOOL_VAL(nargs == 2 && IS_CLASS(args[1]) && class_is_subclass(AS_CLASS(args[1]), AS_CLASS(args[0])));
    return true;
}

// ---- property, staticmethod, classmethod, super -------------------------------------------------

// A property is an ObjWrapper: a = fget, b = fset, c = fdel (None when absent).  It is immutable:
// .getter / .setter / .deleter return a new property with one accessor replaced, which is what
// `@x.setter` then binds to the same name in the class body.
static bool property_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"fget", "fset", "fdel", "doc", NULL};
    Value a[4];
    if (!parse_args(vm, "property", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    for (int i = 0; i < 3; i++)
        if (IS_EMPTY(a[i])) a[i] = NONE_VAL();
    *result = OBJ_VAL(wrapper_new(vm, vm->property_class, WRAP_PROPERTY, a[0], a[1], a[2]));
    return true;
}

static bool property_copy(Vm *vm, Value self, int which, Value fn, Value *result) {
    ObjWrapper *p = AS_WRAPPER(self);
    Value v[3] = {p->a, p->b, p->c};
    v[which] = fn;
    *result = OBJ_VAL(wrapper_new(vm, vm->property_class, WRAP_PROPERTY, v[0], v[1], v[2]));
    return true;
}

static bool property_getter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "getter", nargs, kwnames, 2, 2)) return false;
    return property_copy(vm, args[0], 0, args[1], result);
}
static bool property_setter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "setter", nargs, kwnames, 2, 2)) return false;
    return property_copy(vm, args[0], 1, args[1], result);
}
static bool property_deleter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "deleter", nargs, kwnames, 2, 2)) return false;
    return property_copy(vm, args[0], 2, args[1], result);
}

// property.__get__(obj, type): the property itself when read from the class (obj None).
static bool property_get(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 2 || IS_NONE(args[1])) {
        *result = args[0];
        return true;
    }
    return vm_call1(vm, AS_WRAPPER(args[0])->a, args[1], result);
}

static bool staticmethod_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "staticmethod", nargs, kwnames, 2, 2)) return false;
    *result = OBJ_VAL(wrapper_new(vm, vm->staticmethod_class, WRAP_STATICMETHOD, args[1], NONE_VAL(), NONE_VAL()));
    return true;
}

static bool classmethod_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "classmethod", nargs, kwnames, 2, 2)) return false;
    *result = OBJ_VAL(wrapper_new(vm, vm->classmethod_class, WRAP_CLASSMETHOD, args[1], NONE_VAL(), NONE_VAL()));
    return true;
}

static bool wrapper_func(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = AS_WRAPPER(args[0])->a;
    return true;
}

// super() with no arguments reads __class__ and the first argument of the calling frame.  The
// compiler gives every method that uses super or __class__ a free variable __class__ (its cell is
// filled by __build_class__, step 3).  The first argument may itself live in a cell when a
// closure captures it: cell_args maps the frame's own cells back to argument slots.
static bool super_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value cls, self;
    if (nargs == 3) {
        cls = args[1];
        self = args[2];
    } else if (nargs == 1) {
        Frame *f = vm->frame;
        if (!f || !f->func) return vm_raise(vm, vm->RuntimeError, "super(): no arguments");
        ObjCode *code = f->code;
        cls = EMPTY_VAL();
        for (int i = code->ncells - code->nfree; i < code->ncells; i++)
            if (strcmp(code->cellnames[i]->chars, "__class__") == 0)
                cls = AS_CELL(f->slots[code->nlocals + i])->value;
        if (IS_EMPTY(cls)) return vm_raise(vm, vm->RuntimeError, "super(): __class__ cell not found");
        if (code->argcount == 0) return vm_raise(vm, vm->RuntimeError, "super(): no arguments");
        self = f->slots[0];
        for (int i = 0; i < code->ncells - code->nfree; i++)
            if (code->cell_args[i] == 0) self = AS_CELL(f->slots[code->nlocals + i])->value;
    } else {
        return vm_raise(vm, vm->TypeError, "super() takes 0 or 2 arguments");
    }
    if (!IS_CLASS(cls)) return vm_raise(vm, vm->TypeError, "super() argument 1 must be a type, not %s", vm_type_name(vm, cls));
    *result = OBJ_VAL(wrapper_new(vm, vm->super_class, WRAP_SUPER, cls, self, NONE_VAL()));
    return true;
}

// ---- bootstrap ----------------------------------------------------------------------------------

// The first classes are made before `type` and `str` exist, so they start headless: raw_class
// allocates, name_class fills in the class pointer, name and dict once the others exist.
static ObjClass *raw_class(Vm *vm) {
    ObjClass *c = (ObjClass *)gc_alloc_object(vm, sizeof(ObjClass), OBJ_CLASS, NULL);
    c->instance_kind = OBJ_INSTANCE;
    c->flags = CLASS_BUILTIN;
    return c;
}

static void name_class(Vm *vm, ObjClass *c, const char *name, ObjClass *base) {
    c->obj.cls = vm->type_class;
    c->name = c->qualname = str_from_c(vm, name);
    c->base = base;
    c->depth = base ? base->depth + 1 : 0;
    c->dict = dict_new(vm);
    dict_set_cstr(vm, c->dict, "__module__", OBJ_VAL(str_from_c(vm, "builtins")));
}

// The Vm keeps the names the interpreter looks up often (dunders, "send", "<lambda>" ...) as
// interned strings, so lookups compare pointers: name == vm->s_init.
#define NAME(field, text) vm->field = str_from_c(vm, text)

void runtime_init_classes(Vm *vm) {
    // object, type and str come first, by hand: every later object needs a class, and every
    // class a name.
    vm->object_class = raw_class(vm);
    vm->type_class = raw_class(vm);
    vm->str_class = raw_class(vm);
    vm->dict_class = raw_class(vm);
    vm->object_class->obj.cls = vm->type_class;
    vm->type_class->obj.cls = vm->type_class;
    vm->str_class->obj.cls = vm->type_class;
    vm->dict_class->obj.cls = vm->type_class;
    vm->str_class->instance_kind = OBJ_STR;
    vm->dict_class->instance_kind = OBJ_DICT;
    name_class(vm, vm->object_class, "object", NULL);
    name_class(vm, vm->type_class, "type", vm->object_class);
    name_class(vm, vm->str_class, "str", vm->object_class);
    name_class(vm, vm->dict_class, "dict", vm->object_class);

    NAME(s_init, "__init__"); NAME(s_new, "__new__"); NAME(s_call, "__call__");
    NAME(s_repr, "__repr__"); NAME(s_str, "__str__"); NAME(s_name, "__name__");
    NAME(s_qualname, "__qualname__"); NAME(s_module, "__module__"); NAME(s_doc, "__doc__");
    NAME(s_eq, "__eq__"); NAME(s_ne, "__ne__"); NAME(s_lt, "__lt__"); NAME(s_le, "__le__");
    NAME(s_gt, "__gt__"); NAME(s_ge, "__ge__"); NAME(s_hash, "__hash__"); NAME(s_len, "__len__");
    NAME(s_bool, "__bool__"); NAME(s_iter, "__iter__"); NAME(s_next, "__next__");
    NAME(s_getitem, "__getitem__"); NAME(s_setitem, "__setitem__"); NAME(s_delitem, "__delitem__");
    NAME(s_contains, "__contains__"); NAME(s_enter, "__enter__"); NAME(s_exit, "__exit__");
    NAME(s_getattr, "__getattr__"); NAME(s_setattr, "__setattr__"); NAME(s_delattr, "__delattr__");
    NAME(s_dict, "__dict__"); NAME(s_class, "__class__"); NAME(s_main, "__main__");
    NAME(s_builtins, "builtins"); NAME(s_await, "__await__"); NAME(s_aiter, "__aiter__");
    NAME(s_anext, "__anext__"); NAME(s_aenter, "__aenter__"); NAME(s_aexit, "__aexit__");
    NAME(s_format, "__format__"); NAME(s_index, "__index__"); NAME(s_neg, "__neg__");
    NAME(s_pos, "__pos__"); NAME(s_invert, "__invert__"); NAME(s_abs, "__abs__");
    NAME(s_send, "send"); NAME(s_throw, "throw"); NAME(s_close, "close"); NAME(s_get, "__get__");
    NAME(s_set, "__set__"); NAME(s_delete, "__delete__"); NAME(s_set_name, "__set_name__"); NAME(s_args, "args");
    NAME(s_keys, "keys"); NAME(s_int, "__int__"); NAME(s_float, "__float__");
    NAME(s_round, "__round__"); NAME(s_reversed, "__reversed__"); NAME(s_file, "__file__");
    NAME(s_lambda, "<lambda>"); NAME(s_genexpr, "<genexpr>"); NAME(s_listcomp, "<listcomp>");
    NAME(s_dictcomp, "<dictcomp>"); NAME(s_setcomp, "<setcomp>"); NAME(s_module_name, "__name__");
    NAME(s_init_subclass, "__init_subclass__"); NAME(s_class_getitem, "__class_getitem__");
    NAME(s_sleep, "sleep"); NAME(s_empty, "");

    ObjClass *object = vm->object_class;
    vm->none_class = define_class(vm, "NoneType", object, OBJ_INSTANCE);
    vm->int_class = define_class(vm, "int", object, OBJ_INSTANCE);
    vm->bool_class = define_class(vm, "bool", vm->int_class, OBJ_INSTANCE);
    vm->float_class = define_class(vm, "float", object, OBJ_INSTANCE);
    vm->bytes_class = define_class(vm, "bytes", object, OBJ_BYTES);
    vm->list_class = define_class(vm, "list", object, OBJ_LIST);
    vm->tuple_class = define_class(vm, "tuple", object, OBJ_TUPLE);
    vm->set_class = define_class(vm, "set", object, OBJ_SET);
    vm->frozenset_class = define_class(vm, "frozenset", object, OBJ_SET);
    vm->range_class = define_class(vm, "range", object, OBJ_RANGE);
    vm->slice_class = define_class(vm, "slice", object, OBJ_SLICE);
    vm->function_class = define_class(vm, "function", object, OBJ_FUNCTION);
    vm->builtin_function_class = define_class(vm, "builtin_function_or_method", object, OBJ_NATIVE);
    vm->method_class = define_class(vm, "method", object, OBJ_BOUND);
    vm->cell_class = define_class(vm, "cell", object, OBJ_CELL);
    vm->code_class = define_class(vm, "code", object, OBJ_CODE);
    vm->module_class = define_class(vm, "module", object, OBJ_MODULE);
    vm->generator_class = define_class(vm, "generator", object, OBJ_GENERATOR);
    vm->coroutine_class = define_class(vm, "coroutine", object, OBJ_GENERATOR);
    vm->async_generator_class = define_class(vm, "async_generator", object, OBJ_GENERATOR);
    vm->property_class = define_class(vm, "property", object, OBJ_WRAPPER);
    vm->staticmethod_class = define_class(vm, "staticmethod", object, OBJ_WRAPPER);
    vm->classmethod_class = define_class(vm, "classmethod", object, OBJ_WRAPPER);
    vm->super_class = define_class(vm, "super", object, OBJ_WRAPPER);
    vm->file_class = define_class(vm, "TextIOWrapper", object, OBJ_FILE);
    vm->ellipsis_class = define_class(vm, "ellipsis", object, OBJ_INSTANCE);
    vm->notimpl_class = define_class(vm, "NotImplementedType", object, OBJ_INSTANCE);
    vm->dict_keys_class = define_class(vm, "dict_keys", object, OBJ_WRAPPER);
    vm->dict_values_class = define_class(vm, "dict_values", object, OBJ_WRAPPER);
    vm->dict_items_class = define_class(vm, "dict_items", object, OBJ_WRAPPER);
    vm->iterator_class = define_class(vm, "iterator", object, OBJ_ITER);
    ObjClass *finals[] = {vm->none_class, vm->bool_class, vm->function_class, vm->builtin_function_class,
                          vm->method_class, vm->generator_class, vm->coroutine_class, vm->range_class,
                          vm->slice_class, vm->ellipsis_class, vm->notimpl_class, vm->cell_class,
                          vm->code_class, vm->async_generator_class};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++) finals[i]->flags |= CLASS_FINAL;
    vm->file_class->qualname = vm->file_class->name;
    dict_set_cstr(vm, vm->file_class->dict, "__module__", OBJ_VAL(str_from_c(vm, "_io")));

    vm->ellipsis = OBJ_VAL(gc_alloc_object(vm, sizeof(ObjInstance), OBJ_INSTANCE, vm->ellipsis_class));
    AS_INSTANCE(vm->ellipsis)->dict = dict_new(vm);
    vm->not_implemented = OBJ_VAL(gc_alloc_object(vm, sizeof(ObjInstance), OBJ_INSTANCE, vm->notimpl_class));
    AS_INSTANCE(vm->not_implemented)->dict = dict_new(vm);

    define_methods(vm, object, (MethodDef[]){{"__init__", object_init},
                                             {"__new__", object_new},
                                             {"__repr__", object_repr},
                                             {"__str__", object_str},
                                             {"__eq__", object_eq},
                                             {"__ne__", object_ne},
                                             {"__hash__", object_hash},
                                             {"__format__", object_format},
                                             {"__setattr__", object_setattr},
                                             {"__getattribute__", object_getattribute},
                                             {"__delattr__", object_delattr},
                                             {NULL, NULL}});
    ObjNative *init_sub = native_new(vm, "__init_subclass__", object_init_subclass, object);
    init_sub->is_classmethod = true;
    dict_set_cstr(vm, object->dict, "__init_subclass__", OBJ_VAL(init_sub));
    define_methods(vm, vm->type_class, (MethodDef[]){{"__repr__", type_repr},
                                                     {"mro", type_mro},
                                                     {"__subclasscheck__", type_subclasscheck},
                                                     {NULL, NULL}});
    define_methods(vm, vm->property_class, (MethodDef[]){{"__new__", property_new},
                                                         {"getter", property_getter},
                                                         {"setter", property_setter},
                                                         {"deleter", property_deleter},
                                                         {"__get__", property_get},
                                                         {NULL, NULL}});
    define_methods(vm, vm->staticmethod_class, (MethodDef[]){{"__new__", staticmethod_new}, {"__func__", wrapper_func}, {NULL, NULL}});
    define_methods(vm, vm->classmethod_class, (MethodDef[]){{"__new__", classmethod_new}, {"__func__", wrapper_func}, {NULL, NULL}});
    define_methods(vm, vm->super_class, (MethodDef[]){{"__new__", super_new}, {NULL, NULL}});
}

static void runtime_init_reprs(Vm *vm);

void runtime_init_class_builtins(Vm *vm) {
    runtime_init_reprs(vm);
    define_native(vm, vm->builtins, "__build_class__", build_class);
    ObjClass *classes[] = {vm->object_class, vm->type_class, vm->str_class, vm->dict_class, vm->int_class,
                           vm->bool_class, vm->float_class, vm->bytes_class, vm->list_class,
                           vm->tuple_class, vm->set_class, vm->frozenset_class, vm->range_class,
                           vm->slice_class, vm->property_class, vm->staticmethod_class,
                           vm->classmethod_class, vm->super_class};
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        dict_set_str(vm, vm->builtins, classes[i]->name, OBJ_VAL(classes[i]));
    dict_set_cstr(vm, vm->builtins, "Ellipsis", vm->ellipsis);
    dict_set_cstr(vm, vm->builtins, "NotImplemented", vm->not_implemented);
}

// ---- reprs of the interpreter's own objects -----------------------------------------------------
// CPython's formats, addresses included (tests avoid printing them: they differ every run).

static bool function_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFunction *f = AS_FUNCTION(args[0]);
    *result = OBJ_VAL(str_printf(vm, "<function %s at %p>", f->qualname->chars, (void *)f));
    return true;
}

static bool native_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjNative *n = AS_NATIVE(args[0]);
    if (n->owner)
        *result = OBJ_VAL(str_printf(vm, "<method '%s' of '%s' objects>", n->name->chars, n->owner->name->chars));
    else
        *result = OBJ_VAL(str_printf(vm, "<built-in function %s>", n->name->chars));
    return true;
}

static bool bound_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjBound *b = AS_BOUND(args[0]);
    ObjStr *self = vm_repr(vm, b->self);
    if (!self) return false;
    if (IS_NATIVE(b->func))
        *result = OBJ_VAL(str_printf(vm, "<built-in method %s of %s object at %p>", AS_NATIVE(b->func)->name->chars,
                                     vm_type_name(vm, b->self), IS_OBJ(b->self) ? (void *)AS_OBJ(b->self) : NULL));
    else {
        ObjStr *q = IS_FUNCTION(b->func) ? AS_FUNCTION(b->func)->qualname : vm->s_empty;
        *result = OBJ_VAL(str_printf(vm, "<bound method %s of %s>", q->chars, self->chars));
    }
    return true;
}

static bool module_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjModule *m = AS_MODULE(args[0]);
    Value file = dict_get_str(m->globals, vm->s_file);
    if (IS_STR(file))
        *result = OBJ_VAL(str_printf(vm, "<module '%s' from '%s'>", m->name->chars, AS_STR(file)->chars));
    else
        *result = OBJ_VAL(str_printf(vm, "<module '%s' (built-in)>", m->name->chars));
    return true;
}

static bool constant_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(str_from_c(vm, value_is(args[0], vm->ellipsis) ? "Ellipsis" : "NotImplemented"));
    return true;
}

static bool cell_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(str_printf(vm, "<cell at %p>", (void *)AS_OBJ(args[0])));
    return true;
}

static bool code_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjCode *c = AS_CODE(args[0]);
    *result = OBJ_VAL(str_printf(vm, "<code object %s at %p, file \"%s\", line %d>", c->name->chars, (void *)c,
                                 c->filename->chars, c->firstline));
    return true;
}

static bool wrapper_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjWrapper *w = AS_WRAPPER(args[0]);
    const char *kind = w->wrap == WRAP_PROPERTY ? "property" : w->wrap == WRAP_STATICMETHOD ? "staticmethod"
                       : w->wrap == WRAP_CLASSMETHOD ? "classmethod" : "super";
    if (w->wrap == WRAP_SUPER) {
        *result = OBJ_VAL(str_printf(vm, "<super: <class '%s'>, <%s object>>", AS_CLASS(w->a)->name->chars,
                                     vm_type_name(vm, w->b)));
        return true;
    }
    *result = OBJ_VAL(str_printf(vm, "<%s object at %p>", kind, (void *)w));
    return true;
}

static void runtime_init_reprs(Vm *vm) {
    define_methods(vm, vm->function_class, (MethodDef[]){{"__repr__", function_repr}, {NULL, NULL}});
    define_methods(vm, vm->builtin_function_class, (MethodDef[]){{"__repr__", native_repr}, {NULL, NULL}});
    define_methods(vm, vm->method_class, (MethodDef[]){{"__repr__", bound_repr}, {NULL, NULL}});
    define_methods(vm, vm->module_class, (MethodDef[]){{"__repr__", module_repr}, {NULL, NULL}});
    define_methods(vm, vm->ellipsis_class, (MethodDef[]){{"__repr__", constant_repr}, {NULL, NULL}});
    define_methods(vm, vm->notimpl_class, (MethodDef[]){{"__repr__", constant_repr}, {NULL, NULL}});
    define_methods(vm, vm->cell_class, (MethodDef[]){{"__repr__", cell_repr}, {NULL, NULL}});
    define_methods(vm, vm->code_class, (MethodDef[]){{"__repr__", code_repr}, {NULL, NULL}});
    ObjClass *wrappers[] = {vm->property_class, vm->staticmethod_class, vm->classmethod_class, vm->super_class};
    for (int i = 0; i < 4; i++) define_methods(vm, wrappers[i], (MethodDef[]){{"__repr__", wrapper_repr}, {NULL, NULL}});
}
