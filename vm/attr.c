/* Attribute lookup and instantiation: the part of the object protocol that finds `obj.name`,
 * stores and deletes attributes, and calls a class to make an instance.  The dispatch loop's
 * LOAD_ATTR / STORE_ATTR / CALL come here when their inline caches miss.  The classes themselves
 * (object, type, property, super ...) and the class statement's __build_class__ are built in
 * runtime/class.c.
 *
 * Inheritance is single: a class's bases form a chain ending at object, which is its MRO.
 * Attribute lookup on an instance follows CPython's order: a data descriptor (property) on the
 * class wins, then the instance's __dict__, then anything else found on the class (functions bind
 * to the instance), then __getattr__ (the full list is above vm_getattr_opt).
 *
 * What a class's dict holds, and what each kind of entry does when read through an instance:
 *   ObjFunction          a `def` in a class body: binds self (a bound method is made);
 *   ObjNative            a method written in C: binds self when is_method, binds the class when
 *                        is_classmethod, else comes as it is (__new__, plain functions);
 *   ObjWrapper           property (a=fget, b=fset, c=fdel), staticmethod and classmethod (a=the
 *                        function), made by the decorators of the same names;
 *   an instance          a descriptor written in aio when its class has __get__ (and a DATA
 *                        descriptor when it also has __set__);
 *   anything else        a plain class attribute, read as it is.
 * The VM's LOAD_ATTR / STORE_ATTR / LOAD_METHOD fast paths skip this file for plain instances;
 * the per-class flags (has_getattr, has_setattr, has_data_descriptors, has_del) tell them when
 * they may, and the section "the per-class fast-path flags" keeps those flags true.
 */
#include <string.h>

#include "dict.h"
#include "error.h"
#include "frame.h"
#include "gc.h"
#include "hooks.h"

// The raw entry for name in cls or its nearest base (the MRO is the chain of bases), EMPTY when
// none has it.  Nothing is bound or called: callers decide what the entry means.  This is the
// lookup every dunder goes through (vm/ops.c); the VM caches it per instruction
// (cached_class_lookup in vm.c).
Value class_lookup(ObjClass *cls, ObjStr *name) {
    for (ObjClass *c = cls; c; c = c->base) {
        Value v = dict_get_str(c->dict, name);
        if (!IS_EMPTY(v)) return v;
    }
    return EMPTY_VAL();
}

// issubclass for classes: walks the chain of bases.  A class is a subclass of itself.
bool class_is_subclass(ObjClass *sub, ObjClass *base) {
    for (ObjClass *c = sub; c; c = c->base)
        if (c == base) return true;
    // ExceptionGroup's second base (see runtime/exceptions.c)
    if ((base->flags & CLASS_BASE_EXC_GROUP) && (sub->flags & CLASS_EXC_GROUP)) return true;
    return false;
}

// The __dict__ of obj, or NULL for kinds that have none (ints, lists ...).  Functions and
// exceptions rarely get attributes, so their dict is made on first use: a caller that only reads
// should look at the field itself rather than call this.  May allocate.
ObjDict *vm_object_dict(Vm *vm, Value obj) {
    if (!IS_OBJ(obj)) return NULL;
    switch (AS_OBJ(obj)->kind) {
    case OBJ_INSTANCE: return AS_INSTANCE(obj)->dict;
    case OBJ_CLASS: return AS_CLASS(obj)->dict;
    case OBJ_MODULE: return AS_MODULE(obj)->globals;
    case OBJ_FUNCTION: {
        ObjFunction *f = AS_FUNCTION(obj);
        if (!f->dict) f->dict = dict_new(vm);
        return f->dict;
    }
    case OBJ_EXCEPTION: {
        ObjException *e = AS_EXCEPTION(obj);
        if (!e->dict) e->dict = dict_new(vm);
        return e->dict;
    }
    default: return NULL;
    }
}

// A bound method of func to self.  Both are rooted while it is allocated: either may be a value
// the caller just computed and holds nowhere else.
static Value bind(Vm *vm, Value self, Value func) {
    vm_push_root(vm, self);
    vm_push_root(vm, func);
    ObjBound *b = bound_new(vm, self, func);
    vm_pop_roots(vm, 2);
    return OBJ_VAL(b);
}

bool vm_raise_no_attribute(Vm *vm, Value obj, ObjStr *name) {
    if (IS_CLASS(obj))
        return vm_raise(vm, vm->AttributeError, "type object '%s' has no attribute '%s'",
                        AS_CLASS(obj)->name->chars, name->chars);
    if (IS_MODULE(obj))
        return vm_raise(vm, vm->AttributeError, "module '%s' has no attribute '%s'",
                        AS_MODULE(obj)->name->chars, name->chars);
    return vm_raise(vm, vm->AttributeError, "'%s' object has no attribute '%s'", vm_type_name(vm, obj),
                    name->chars);
}

static bool name_is(ObjStr *name, const char *s) { return strcmp(name->chars, s) == 0; }

// Attributes every object of a kind has without a dict entry: function names, bound-method
// parts, exception fields.  1 found, 0 not special.

// A frame object as aio has them: a snapshot (f_code, f_lineno, f_back None, and f_generator: the
// generator or coroutine owning the frame, or None), as traceback entries have (runtime/
// exceptions.c): aio keeps no frame objects, so f_lineno does not follow the frame later.
Value vm_frame_snapshot(Vm *vm, ObjCode *code, int line, ObjGenerator *owner) {
    ObjInstance *snapshot = instance_new(vm, vm->frame_class);
    vm_push_root(vm, OBJ_VAL(snapshot));
    dict_set_str(vm, snapshot->dict, str_from_c(vm, "f_code"), OBJ_VAL(code));
    dict_set_str(vm, snapshot->dict, str_from_c(vm, "f_lineno"), INT_VAL(line));
    dict_set_str(vm, snapshot->dict, str_from_c(vm, "f_back"), NONE_VAL());
    dict_set_str(vm, snapshot->dict, str_from_c(vm, "f_generator"), owner ? OBJ_VAL(owner) : NONE_VAL());
    vm_pop_root(vm);
    return OBJ_VAL(snapshot);
}

// gi_frame / cr_frame: its f_lineno is the line the generator is at when asked (its first line
// before it starts).
static Value generator_frame_snapshot(Vm *vm, ObjGenerator *g) {
    Frame *f = g->frame;
    size_t at = (size_t)(f->ip - f->code->words);
    int line = g->state != GEN_CREATED && at > 0 ? f->code->lines[at - 1] : f->code->firstline;
    return vm_frame_snapshot(vm, f->code, line, g);
}

static int special_attr(Vm *vm, Value obj, ObjStr *name, Value *out) {
    if (name == vm->s_class) {
        *out = OBJ_VAL(vm_class_of(vm, obj));
        return 1;
    }
    if (!IS_OBJ(obj)) return 0;
    switch (AS_OBJ(obj)->kind) {
    case OBJ_FUNCTION: {
        ObjFunction *f = AS_FUNCTION(obj);
        if (name == vm->s_name) *out = OBJ_VAL(f->name);
        else if (name == vm->s_qualname) *out = OBJ_VAL(f->qualname);
        else if (name == vm->s_module) *out = f->module;
        else if (name == vm->s_doc) *out = f->doc;
        else if (name == vm->s_dict) *out = OBJ_VAL(vm_object_dict(vm, obj));
        else if (name_is(name, "__defaults__")) *out = f->defaults ? OBJ_VAL(f->defaults) : NONE_VAL();
        else if (name_is(name, "__kwdefaults__")) *out = f->kwdefaults ? OBJ_VAL(f->kwdefaults) : NONE_VAL();
        else if (name_is(name, "__code__")) *out = OBJ_VAL(f->code);
        else if (name_is(name, "__globals__")) *out = OBJ_VAL(f->globals);
        else if (name_is(name, "__closure__")) *out = f->closure ? OBJ_VAL(f->closure) : NONE_VAL();
        else return 0;
        return 1;
    }
    case OBJ_NATIVE:
        if (name == vm->s_name || name == vm->s_qualname) *out = OBJ_VAL(AS_NATIVE(obj)->name);
        else if (name == vm->s_doc) *out = vm_hooks.builtin_doc ? vm_hooks.builtin_doc(vm, obj, EMPTY_VAL()) : NONE_VAL();
        else if (name == vm->s_module) *out = OBJ_VAL(str_from_c(vm, "builtins"));
        else if (name_is(name, "__self__")) *out = NONE_VAL();
        else return 0;
        return 1;
    case OBJ_BOUND: {
        ObjBound *b = AS_BOUND(obj);
        if (name_is(name, "__self__")) *out = b->self;
        else if (name_is(name, "__func__")) *out = b->func;
        else if (name == vm->s_doc && IS_NATIVE(b->func) && vm_hooks.builtin_doc)
            *out = vm_hooks.builtin_doc(vm, b->func, b->self);
        else return vm_getattr(vm, b->func, name, out) ? 1 : (vm_clear_exception(vm), 0);
        return 1;
    }
    case OBJ_GENERATOR: {
        ObjGenerator *g = AS_GENERATOR(obj);
        if (name == vm->s_name) *out = OBJ_VAL(g->name);
        else if (name == vm->s_qualname) *out = OBJ_VAL(g->qualname);
        else if (name_is(name, "gi_running") || name_is(name, "cr_running"))
            *out = BOOL_VAL(g->state == GEN_RUNNING);
        else if (name_is(name, "gi_frame") || name_is(name, "cr_frame"))
            *out = g->frame && g->state != GEN_CLOSED ? generator_frame_snapshot(vm, g) : NONE_VAL();
        else if (name_is(name, "gi_code") || name_is(name, "cr_code") || name_is(name, "ag_code"))
            *out = OBJ_VAL(g->code);
        else if (name_is(name, "gi_yieldfrom") || name_is(name, "cr_await"))
            *out = IS_EMPTY(gen_awaiting(g)) ? NONE_VAL() : gen_awaiting(g);
        else return 0;
        return 1;
    }
    case OBJ_CODE:
        if (name_is(name, "co_name")) *out = OBJ_VAL(((ObjCode *)AS_OBJ(obj))->name);
        else if (name_is(name, "co_qualname")) *out = OBJ_VAL(((ObjCode *)AS_OBJ(obj))->qualname);
        else if (name_is(name, "co_filename")) *out = OBJ_VAL(((ObjCode *)AS_OBJ(obj))->filename);
        else if (name_is(name, "co_firstlineno")) *out = INT_VAL(((ObjCode *)AS_OBJ(obj))->firstline);
        else if (name_is(name, "co_argcount")) *out = INT_VAL(((ObjCode *)AS_OBJ(obj))->argcount);
        else return 0;
        return 1;
    case OBJ_EXCEPTION: {
        ObjException *e = AS_EXCEPTION(obj);
        if (name == vm->s_args) *out = OBJ_VAL(e->args);
        else if (name_is(name, "__cause__")) *out = e->cause;
        else if (name_is(name, "__context__")) *out = e->context;
        else if (name_is(name, "__suppress_context__")) *out = BOOL_VAL(e->suppress_context);
        else if (name_is(name, "__traceback__")) *out = vm_hooks.exception_traceback(vm, e);
        else if (name == vm->s_dict) *out = OBJ_VAL(vm_object_dict(vm, obj));
        else {
            ObjClass *cls = AS_OBJ(obj)->cls;
            if ((class_is_subclass(cls, vm->StopIteration) && name_is(name, "value")) ||
                (class_is_subclass(cls, vm->SystemExit) && name_is(name, "code"))) {
                *out = e->extra;
                return 1;
            }
            return 0;
        }
        return 1;
    }
    case OBJ_INSTANCE:
        if (name == vm->s_dict) {
            *out = OBJ_VAL(AS_INSTANCE(obj)->dict);
            return 1;
        }
        return 0;
    case OBJ_MODULE:
        if (name == vm->s_dict) {
            *out = OBJ_VAL(AS_MODULE(obj)->globals);
            return 1;
        }
        return 0;
    default: return 0;
    }
}

// An attribute of a class: 1 found, 0 missing (nothing raised: hasattr and getattr with a default
// ask often), -1 error.  The class's own fields (__name__, __dict__, __mro__ ...) come first, then
// the bases in order, where a classmethod binds to this class, a staticmethod gives its function
// and a descriptor's __get__ is called with (None, cls); then the metaclass's (type's) methods.
static int class_getattr_opt(Vm *vm, ObjClass *cls, ObjStr *name, Value *out) {
    if (name == vm->s_name) {
        *out = OBJ_VAL(cls->name);
        return 1;
    }
    if (name == vm->s_qualname) {
        *out = OBJ_VAL(cls->qualname);
        return 1;
    }
    if (name == vm->s_dict) {
        *out = OBJ_VAL(cls->dict);
        return 1;
    }
    if (name_is(name, "__bases__") || name_is(name, "__base__") || name_is(name, "__mro__")) {
        if (name_is(name, "__base__")) {
            *out = cls->base ? OBJ_VAL(cls->base) : NONE_VAL();
            return 1;
        }
        bool mro = name_is(name, "__mro__");
        size_t n = 0;
        for (ObjClass *c = mro ? cls : cls->base; c; c = c->base) n++;
        if (!mro && n > 1) n = 1;
        ObjTuple *t = tuple_new(vm, n);
        size_t i = 0;
        for (ObjClass *c = mro ? cls : cls->base; c && i < n; c = c->base) t->items[i++] = OBJ_VAL(c);
        *out = OBJ_VAL(t);
        return 1;
    }
    if (name == vm->s_class) {
        *out = OBJ_VAL(vm->type_class);
        return 1;
    }
    Value v = class_lookup(cls, name);
    if (!IS_EMPTY(v)) {
        if (IS_NATIVE(v) && AS_NATIVE(v)->is_classmethod) v = bind(vm, OBJ_VAL(cls), v);
        else if (IS_WRAPPER(v) && AS_WRAPPER(v)->wrap == WRAP_CLASSMETHOD)
            v = bind(vm, OBJ_VAL(cls), AS_WRAPPER(v)->a);
        else if (IS_WRAPPER(v) && AS_WRAPPER(v)->wrap == WRAP_STATICMETHOD)
            v = AS_WRAPPER(v)->a;
        else if (IS_INSTANCE(v) && IS_FUNCTION(class_lookup(AS_OBJ(v)->cls, vm->s_get))) {
            Value a[3] = {v, NONE_VAL(), OBJ_VAL(cls)};
            return vm_call(vm, class_lookup(AS_OBJ(v)->cls, vm->s_get), a, 3, NULL, out) ? 1 : -1;
        }
        *out = v;
        return 1;
    }
    if (name == vm->s_doc) { // a class written in C (a class statement stores its own __doc__)
        *out = vm_hooks.builtin_doc ? vm_hooks.builtin_doc(vm, OBJ_VAL(cls), EMPTY_VAL()) : NONE_VAL();
        return 1;
    }
    // Attributes of the metaclass (type): mro(), __subclasses__ ...
    v = class_lookup(vm->type_class, name);
    if (!IS_EMPTY(v) && IS_NATIVE(v)) {
        *out = bind(vm, OBJ_VAL(cls), v);
        return 1;
    }
    return 0;
}

static bool class_getattr(Vm *vm, ObjClass *cls, ObjStr *name, Value *out) {
    int found = class_getattr_opt(vm, cls, name, out);
    return found > 0 || (found == 0 && vm_raise_no_attribute(vm, OBJ_VAL(cls), name));
}

// super().name: looks for name starting at the base of the class super() was made in
// (sup->a), skipping that class itself.  sup->b is the self of the call: an instance, or a class
// (in classmethods and __init_subclass__).  Functions bind to an instance self and come unbound
// for a class self; classmethods bind the class; properties are read with self; __new__ comes
// unbound, since it is called with the class explicitly.
static bool super_getattr(Vm *vm, ObjWrapper *sup, ObjStr *name, Value *out) {
    ObjClass *start = AS_CLASS(sup->a)->base;
    Value self = sup->b;
    Value v = start ? class_lookup(start, name) : EMPTY_VAL();
    if (IS_EMPTY(v)) {
        return vm_raise(vm, vm->AttributeError, "'super' object has no attribute '%s'", name->chars);
    }
    ObjClass *self_cls = IS_CLASS(self) ? AS_CLASS(self) : vm_class_of(vm, self);
    if (IS_FUNCTION(v)) *out = IS_CLASS(self) ? v : bind(vm, self, v);
    else if (IS_NATIVE(v)) {
        if (AS_NATIVE(v)->is_classmethod) *out = bind(vm, OBJ_VAL(self_cls), v);
        else *out = (AS_NATIVE(v)->is_method && !IS_CLASS(self)) ? bind(vm, self, v) : v;
        if (IS_NATIVE(v) && strcmp(AS_NATIVE(v)->name->chars, "__new__") == 0) *out = v;
    } else if (IS_WRAPPER(v) && AS_WRAPPER(v)->wrap == WRAP_CLASSMETHOD)
        *out = bind(vm, OBJ_VAL(self_cls), AS_WRAPPER(v)->a);
    else if (IS_WRAPPER(v) && AS_WRAPPER(v)->wrap == WRAP_STATICMETHOD)
        *out = AS_WRAPPER(v)->a;
    else if (IS_WRAPPER(v) && AS_WRAPPER(v)->wrap == WRAP_PROPERTY)
        return vm_call1(vm, AS_WRAPPER(v)->a, self, out);
    else *out = v;
    return true;
}

// getattr(obj, name) without raising when nothing is found: 1 found, 0 missing, -1 error.
//
// Classes (class_getattr_opt) and super objects (super_getattr) have lookups of their own; a
// module looks in its globals first.  Every other object follows object.__getattribute__'s order
// of precedence, which decides what `obj.name` means when several places define the name:
//   1. a data descriptor on the class (searched along the bases) wins over everything, even a
//      value of the same name in the object's own __dict__: a property, or an instance of a
//      Python class with a __get__ and a __set__ or __delete__ (vm_is_user_data_descriptor);
//   2. then the object's own __dict__ (instances, exceptions and functions have one);
//   3. then the fields every object of a C kind has without a dict entry (special_attr);
//   4. then anything else the class has: a function or a method binds to the object, a
//      classmethod binds to the class, a staticmethod gives its function, an object with
//      __get__ (a non-data descriptor) is asked for the value; other values come as they are;
//   5. last, __getattr__, only when steps 1-4 found nothing.
// Step 1 is why the VM's LOAD_ATTR and STORE_ATTR fast paths may go to an instance's dict
// directly only when its class has no data descriptors (ObjClass.has_data_descriptors, kept by
// __build_class__ and by assignments to class attributes).
int vm_getattr_opt(Vm *vm, Value obj, ObjStr *name, Value *out) {
    if (IS_CLASS(obj)) {
        int found = class_getattr_opt(vm, AS_CLASS(obj), name, out);
        if (found >= 0) return found;
        if (vm_exception_matches(vm, vm->AttributeError)) { // from a descriptor's __get__
            vm_clear_exception(vm);
            return 0;
        }
        return -1;
    }
    if (IS_MODULE(obj)) {
        Value v = dict_get_str(AS_MODULE(obj)->globals, name);
        if (!IS_EMPTY(v)) {
            *out = v;
            return 1;
        }
    }
    if (IS_WRAPPER(obj) && AS_WRAPPER(obj)->wrap == WRAP_SUPER) {
        if (super_getattr(vm, AS_WRAPPER(obj), name, out)) return 1;
        if (vm_exception_matches(vm, vm->AttributeError)) {
            vm_clear_exception(vm);
            return 0;
        }
        return -1;
    }
    ObjClass *cls = vm_class_of(vm, obj);
    Value descr = class_lookup(cls, name);
    if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_PROPERTY) {
        Value getter = AS_WRAPPER(descr)->a;
        if (IS_NONE(getter)) {
            vm_raise(vm, vm->AttributeError, "property '%s' of '%s' object has no getter", name->chars,
                     cls->name->chars);
            return -1;
        }
        if (!vm_call1(vm, getter, obj, out)) {
            return -1;
        }
        return 1;
    }
    if (vm_is_user_data_descriptor(vm, descr) && IS_FUNCTION(class_lookup(AS_OBJ(descr)->cls, vm->s_get))) {
        // A data descriptor written in Python wins over the instance dict, as a property does.
        Value a[3] = {descr, obj, OBJ_VAL(cls)};
        return vm_call(vm, class_lookup(AS_OBJ(descr)->cls, vm->s_get), a, 3, NULL, out) ? 1 : -1;
    }
    if (IS_INSTANCE(obj)) {
        Value v = dict_get_str(AS_INSTANCE(obj)->dict, name);
        if (!IS_EMPTY(v)) {
            *out = v;
            return 1;
        }
    } else if (IS_EXCEPTION(obj) && AS_EXCEPTION(obj)->dict) {
        Value v = dict_get_str(AS_EXCEPTION(obj)->dict, name);
        if (!IS_EMPTY(v)) {
            *out = v;
            return 1;
        }
    } else if (IS_FUNCTION(obj) && AS_FUNCTION(obj)->dict) {
        Value v = dict_get_str(AS_FUNCTION(obj)->dict, name);
        if (!IS_EMPTY(v)) {
            *out = v;
            return 1;
        }
    }
    int special = special_attr(vm, obj, name, out);
    if (special) return special;
    if (!IS_EMPTY(descr)) {
        if (IS_FUNCTION(descr)) *out = bind(vm, obj, descr);
        else if (IS_NATIVE(descr)) {
            ObjNative *n = AS_NATIVE(descr);
            if (n->is_classmethod) *out = bind(vm, OBJ_VAL(cls), descr);
            else if (n->is_method) *out = bind(vm, obj, descr);
            else *out = descr;
        } else if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_STATICMETHOD) {
            *out = AS_WRAPPER(descr)->a;
        } else if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_CLASSMETHOD) {
            *out = bind(vm, OBJ_VAL(cls), AS_WRAPPER(descr)->a);
        } else if (IS_OBJ(descr) && (IS_FUNCTION(class_lookup(AS_OBJ(descr)->cls, vm->s_get)) ||
                                     IS_NATIVE(class_lookup(AS_OBJ(descr)->cls, vm->s_get)))) {
            // A descriptor written in Python, or a C one (an lru_cache wrapper binds like a
            // function): descr.__get__(obj, type(obj)).
            Value get = class_lookup(AS_OBJ(descr)->cls, vm->s_get);
            Value a[3] = {descr, obj, OBJ_VAL(cls)};
            return vm_call(vm, get, a, 3, NULL, out) ? 1 : -1;
        } else {
            *out = descr;
        }
        return 1;
    }
    if (cls->has_getattr) {
        Value getattr = class_lookup(cls, vm->s_getattr);
        Value args[2] = {obj, OBJ_VAL(name)};
        if (vm_call(vm, getattr, args, 2, NULL, out)) return 1;
        if (vm_exception_matches(vm, vm->AttributeError)) {
            vm_clear_exception(vm);
            return 0;
        }
        return -1;
    }
    return 0;
}

// obj.name, raising AttributeError with CPython's message when it is missing.
bool vm_getattr(Vm *vm, Value obj, ObjStr *name, Value *out) {
    if (IS_CLASS(obj)) return class_getattr(vm, AS_CLASS(obj), name, out);
    if (IS_WRAPPER(obj) && AS_WRAPPER(obj)->wrap == WRAP_SUPER)
        return super_getattr(vm, AS_WRAPPER(obj), name, out);
    int r = vm_getattr_opt(vm, obj, name, out);
    if (r == 1) return true;
    if (r < 0) return false;
    ObjClass *cls = vm_class_of(vm, obj);
    if (cls->has_getattr) {
        // __getattr__ raised AttributeError itself: call again to keep its message
        Value getattr = class_lookup(cls, vm->s_getattr);
        Value args[2] = {obj, OBJ_VAL(name)};
        return vm_call(vm, getattr, args, 2, NULL, out);
    }
    return vm_raise_no_attribute(vm, obj, name);
}

// ---- the per-class fast-path flags ----------------------------------------------------------------
// has_getattr, has_setattr, has_del and has_data_descriptors describe a class AND its bases, so a
// change to a base's dict after a subclass exists must reach the subclass too.  There is no list
// of subclasses: when an assignment or deletion on a class changes its own flags, every class in
// the heap is recomputed from its dicts (rare: only hooks and descriptors change flags).  Built-in
// classes keep the flags their C setup gave them and are never recomputed.

typedef struct {
    bool getattr, setattr, del, data_descriptors;
} ClassFlags;

// A data descriptor takes precedence over the instance dict on reads and intercepts writes and
// deletions: a property, or an instance whose class defines __set__ or __delete__.
bool vm_is_user_data_descriptor(Vm *vm, Value v) {
    if (!IS_INSTANCE(v)) return false;
    ObjClass *cls = AS_OBJ(v)->cls;
    return IS_FUNCTION(class_lookup(cls, vm->s_set)) || IS_FUNCTION(class_lookup(cls, vm->s_delete));
}

static bool is_data_descriptor(Vm *vm, Value v) {
    if (IS_WRAPPER(v)) return AS_WRAPPER(v)->wrap == WRAP_PROPERTY;
    return vm_is_user_data_descriptor(vm, v);
}

// The flags cls should have, read from its dict and its bases' dicts (no allocation).
static ClassFlags compute_class_flags(Vm *vm, ObjClass *cls) {
    ClassFlags f = {false, false, false, false};
    for (ObjClass *c = cls; c; c = c->base) {
        if (c->flags & CLASS_BUILTIN) { // C-made: its stored flags already cover its bases
            f.getattr |= c->has_getattr;
            f.setattr |= c->has_setattr;
            f.del |= c->has_del;
            f.data_descriptors |= c->has_data_descriptors;
            break;
        }
        size_t at = 0;
        Value key, val;
        while (dict_next(c->dict, &at, &key, &val)) {
            if (!IS_STR(key)) continue;
            ObjStr *k = AS_STR(key);
            if (k == vm->s_getattr) f.getattr = true;
            else if (k == vm->s_setattr) f.setattr = true;
            else if (name_is(k, "__del__")) f.del = true;
            if (!f.data_descriptors && is_data_descriptor(vm, val)) f.data_descriptors = true;
        }
    }
    return f;
}

// Stores the computed flags; reports whether any changed.  has_del only ever turns on: instances
// made while it was off are not tracked for finalization anyway.
static bool refresh_class_flags(Vm *vm, ObjClass *cls) {
    if (cls->flags & CLASS_BUILTIN) return false;
    ClassFlags f = compute_class_flags(vm, cls);
    bool changed = f.getattr != cls->has_getattr || f.setattr != cls->has_setattr ||
                   (f.del && !cls->has_del) || f.data_descriptors != cls->has_data_descriptors;
    cls->has_getattr = f.getattr;
    cls->has_setattr = f.setattr;
    cls->has_del |= f.del;
    cls->has_data_descriptors = f.data_descriptors;
    return changed;
}

static void refresh_if_class(Vm *vm, Obj *obj) {
    if (obj->kind == OBJ_CLASS) refresh_class_flags(vm, (ObjClass *)obj);
}

// After name was assigned or deleted in cls's dict, where it held old (EMPTY when absent) and now
// holds new (EMPTY when deleted).  Plain class attributes (a counter, a constant) cannot move a
// flag, so only hook names and descriptors cost a recomputation.  Naming __set__ can turn the
// instances of cls into data descriptors (or stop them being ones) wherever they sit, so that
// recomputes every class.
static void class_dict_changed(Vm *vm, ObjClass *cls, ObjStr *name, Value old, Value new) {
    bool descriptor_hook = name == vm->s_set || name == vm->s_delete;
    bool hook = name == vm->s_getattr || name == vm->s_setattr || descriptor_hook || name_is(name, "__del__");
    if (!hook && !is_data_descriptor(vm, old) && !is_data_descriptor(vm, new)) return;
    bool changed = refresh_class_flags(vm, cls);
    if (changed || descriptor_hook) gc_each_object(vm, refresh_if_class);
}

// The store that object.__setattr__ does.  The order: a property's setter (a property without
// one is read-only); the fields of C kinds that have them (an exception's __cause__, a
// function's __name__ ...); then the object's dict.  For a class the store goes into its own dict
// (built-in classes are immutable) and may change the fast-path flags of it and its subclasses.
bool vm_generic_setattr(Vm *vm, Value obj, ObjStr *name, Value value) {
    ObjClass *cls = vm_class_of(vm, obj);
    Value descr = class_lookup(cls, name);
    if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_PROPERTY) {
        Value setter = AS_WRAPPER(descr)->b;
        if (IS_NONE(setter))
            return vm_raise(vm, vm->AttributeError, "property '%s' of '%s' object has no setter",
                            name->chars, cls->name->chars);
        Value ignored;
        return vm_call2(vm, setter, obj, value, &ignored);
    }
    if (IS_EXCEPTION(obj)) {
        ObjException *e = AS_EXCEPTION(obj);
        if (name_is(name, "__cause__")) {
            e->cause = value;
            e->suppress_context = true;
            return true;
        }
        if (name_is(name, "__context__")) {
            e->context = value;
            return true;
        }
        if (name_is(name, "__suppress_context__")) {
            e->suppress_context = IS_BOOL(value) && AS_BOOL(value);
            return true;
        }
        if (name == vm->s_args) {
            ObjList *l = vm_list_from_iterable(vm, value);
            if (!l) return false;
            vm_push_root(vm, OBJ_VAL(l));
            e->args = tuple_from_list(vm, l);
            vm_pop_root(vm);
            return true;
        }
        if (name_is(name, "__traceback__")) return vm_hooks.exception_set_traceback(vm, e, value);
    }
    if (IS_FUNCTION(obj)) {
        ObjFunction *f = AS_FUNCTION(obj);
        if (name == vm->s_name && IS_STR(value)) {
            f->name = AS_STR(value);
            return true;
        }
        if (name == vm->s_qualname && IS_STR(value)) {
            f->qualname = AS_STR(value);
            return true;
        }
        if (name == vm->s_doc) {
            f->doc = value;
            return true;
        }
        if (name == vm->s_module) {
            f->module = value;
            return true;
        }
    }
    ObjDict *dict = vm_object_dict(vm, obj);
    if (!dict || IS_CLASS(obj)) {
        if (IS_CLASS(obj)) {
            ObjClass *c = AS_CLASS(obj);
            if (c->flags & CLASS_BUILTIN)
                return vm_raise(vm, vm->TypeError,
                                "cannot set '%s' attribute of immutable type '%s'", name->chars,
                                c->name->chars);
            Value previous = dict_get_str(c->dict, name);
            if (!dict_set(vm, c->dict, OBJ_VAL(name), value)) return false;
            class_dict_changed(vm, c, name, previous, value);
            return true;
        }
        if (IS_EMPTY(descr))
            return vm_raise(vm, vm->AttributeError, "'%s' object has no attribute '%s'",
                            vm_type_name(vm, obj), name->chars);
        return vm_raise(vm, vm->AttributeError, "'%s' object attribute '%s' is read-only",
                        vm_type_name(vm, obj), name->chars);
    }
    return dict_set(vm, dict, OBJ_VAL(name), value);
}

// obj.name = value.  For instances the order is: a class's own __setattr__ (when has_setattr),
// then a data descriptor's __set__ written in aio, then the instance dict (unless the class
// entry is a property, which vm_generic_setattr handles).  C kinds whose attributes live in fields
// (Future, the event loop) define a C __setattr__, which is honoured; the rest goes to
// vm_generic_setattr.
bool vm_setattr(Vm *vm, Value obj, ObjStr *name, Value value) {
    if (IS_INSTANCE(obj)) {
        ObjClass *cls = AS_OBJ(obj)->cls;
        if ((cls->flags & (CLASS_BUILTIN | CLASS_INSTANCE_DICT)) == CLASS_BUILTIN) // object(), NotImplemented, ...: no __dict__
            return vm_raise_no_attribute(vm, obj, name);
        if (cls->has_setattr) {
            Value setattr = class_lookup(cls, vm->s_setattr);
            Value args[3] = {obj, OBJ_VAL(name), value};
            Value ignored;
            return vm_call(vm, setattr, args, 3, NULL, &ignored);
        }
        Value descr = class_lookup(cls, name);
        if (vm_is_user_data_descriptor(vm, descr)) {
            Value set = class_lookup(AS_OBJ(descr)->cls, vm->s_set);
            if (!IS_FUNCTION(set)) return vm_raise(vm, vm->AttributeError, "__set__"); // only __delete__
            Value a[3] = {descr, obj, value};
            Value ignored;
            return vm_call(vm, set, a, 3, NULL, &ignored);
        }
        if (IS_EMPTY(descr) || !IS_WRAPPER(descr)) return dict_set(vm, AS_INSTANCE(obj)->dict, OBJ_VAL(name), value);
    } else if (IS_OBJ(obj) && !IS_CLASS(obj)) {
        // C types that keep attributes their own way (Future, the loop) define __setattr__.
        Value setattr = class_lookup(AS_OBJ(obj)->cls, vm->s_setattr);
        if (IS_NATIVE(setattr) && AS_NATIVE(setattr)->owner != vm->object_class) {
            Value args[3] = {obj, OBJ_VAL(name), value};
            Value ignored;
            return vm_call(vm, setattr, args, 3, NULL, &ignored);
        }
    }
    return vm_generic_setattr(vm, obj, name, value);
}

// del obj.name: a property's deleter or a data descriptor's __delete__, else a __delattr__
// written in aio, else remove the entry from the object's dict (keeping the class flags right
// when obj is a class).
// `del obj.name`: a class's own __delattr__ decides everything (it may call object.__delattr__,
// which is vm_generic_delattr); without one, the generic way.
bool vm_delattr(Vm *vm, Value obj, ObjStr *name) {
    Value delattr = class_lookup(vm_class_of(vm, obj), vm->s_delattr);
    if (IS_FUNCTION(delattr)) {
        Value args[2] = {obj, OBJ_VAL(name)};
        Value ignored;
        return vm_call(vm, delattr, args, 2, NULL, &ignored);
    }
    return vm_generic_delattr(vm, obj, name);
}

bool vm_generic_delattr(Vm *vm, Value obj, ObjStr *name) {
    ObjClass *cls = vm_class_of(vm, obj);
    Value descr = class_lookup(cls, name);
    if (IS_WRAPPER(descr) && AS_WRAPPER(descr)->wrap == WRAP_PROPERTY) {
        Value deleter = AS_WRAPPER(descr)->c;
        if (IS_NONE(deleter))
            return vm_raise(vm, vm->AttributeError, "property '%s' of '%s' object has no deleter",
                            name->chars, cls->name->chars);
        Value ignored;
        return vm_call1(vm, deleter, obj, &ignored);
    }
    if (!IS_CLASS(obj) && vm_is_user_data_descriptor(vm, descr)) {
        Value delete = class_lookup(AS_OBJ(descr)->cls, vm->s_delete);
        if (!IS_FUNCTION(delete)) return vm_raise(vm, vm->AttributeError, "__delete__"); // only __set__
        Value a[2] = {descr, obj}, ignored;
        return vm_call(vm, delete, a, 2, NULL, &ignored);
    }
    ObjDict *dict = vm_object_dict(vm, obj);
    if (!dict) return vm_raise_no_attribute(vm, obj, name);
    Value removed = EMPTY_VAL();
    int r = dict_delete(vm, dict, OBJ_VAL(name), &removed);
    if (r < 0) return false;
    if (r == 0) return vm_raise_no_attribute(vm, obj, name);
    if (IS_CLASS(obj)) class_dict_changed(vm, AS_CLASS(obj), name, removed, EMPTY_VAL());
    return true;
}

// ---- instantiation ------------------------------------------------------------------------------
//
// Calling a class, cls(args), is __new__ then __init__, as in CPython:
//   - a __new__ written in aio (a function, or a staticmethod around one) makes the object;
//     __init__ runs only if the result is an instance of cls;
//   - a built-in type's C constructor (int, str, list ...) makes it, and __init__ runs when the
//     class has its own (an aio subclass of a built-in);
//   - an ordinary class gets a fresh ObjInstance and __init__;
//   - exception classes build an ObjException whose args are the positional arguments.
// object.__init__ accepts no arguments unless the class overrides __new__ (then __new__ took
// them): that is the "C() takes no arguments" TypeError.

// Runs cls.__init__(obj, *args) when cls has one of its own; its result must be None.  args holds
// nargs positional arguments followed by the keyword values that kwnames names.
static bool init_instance(Vm *vm, ObjClass *cls, Value obj, Value *args, int nargs, ObjTuple *kwnames) {
    Value init = class_lookup(cls, vm->s_init);
    if (IS_NATIVE(init) && AS_NATIVE(init)->owner == vm->object_class) {
        if (nargs || kwnames) {
            Value new_fn = class_lookup(cls, vm->s_new);
            if (!IS_FUNCTION(new_fn) && !(IS_WRAPPER(new_fn)))
                return vm_raise(vm, vm->TypeError, "%s() takes no arguments", cls->name->chars);
        }
        return true;
    }
    int total = nargs + (kwnames ? (int)kwnames->count : 0);
    ArgBuf buf;
    Value *all = argbuf_prepend(&buf, obj, args, total);
    Value r;
    vm_push_root(vm, obj);
    bool ok = vm_call(vm, init, all, nargs + 1, kwnames, &r);
    vm_pop_root(vm);
    argbuf_free(&buf);
    if (!ok) return false;
    if (!IS_NONE(r))
        return vm_raise(vm, vm->TypeError, "__init__() should return None, not '%s'", vm_type_name(vm, r));
    return true;
}

static bool call_with_class(Vm *vm, ObjClass *cls, Value new_fn, Value *buf, Value *args, int nargs,
                            ObjTuple *kwnames, Value *out);

// cls(*args): see the section's comment.  type(x) with one argument is the class of x (aio has no
// metaclasses, so type(name, bases, ns) is not supported).
bool vm_call_class(Vm *vm, ObjClass *cls, Value *args, int nargs, ObjTuple *kwnames, Value *out) {
    if (cls == vm->type_class) {
        if (nargs == 1 && !kwnames) {
            *out = OBJ_VAL(vm_class_of(vm, args[0]));
            return true;
        }
        int nkw = kwnames ? (int)kwnames->count : 0;
        if (nargs == 1 && nkw) return vm_raise(vm, vm->TypeError, "type() takes no keyword arguments");
        if (nargs + nkw != 3) return vm_raise(vm, vm->TypeError, "type() takes 1 or 3 arguments");
        // spec.md difference 12: no metaclasses, so classes come only from class statements.
        return vm_raise(vm, vm->NotImplementedError, "type() with 3 arguments is not supported");
    }
    Value new_fn = class_lookup(cls, vm->s_new);
    int total = nargs + (kwnames ? (int)kwnames->count : 0);
    ArgBuf argbuf;
    Value *buf = argbuf_prepend(&argbuf, OBJ_VAL(cls), args, total);
    bool ok = call_with_class(vm, cls, new_fn, buf, args, nargs, kwnames, out);
    argbuf_free(&argbuf);
    return ok;
}

// The body of vm_call_class once the class has been put in front of the arguments in buf.
static bool call_with_class(Vm *vm, ObjClass *cls, Value new_fn, Value *buf, Value *args, int nargs,
                            ObjTuple *kwnames, Value *out) {
    // A user-defined __new__ (a function, or a staticmethod wrapping one) decides the object.
    if (IS_WRAPPER(new_fn) && AS_WRAPPER(new_fn)->wrap == WRAP_STATICMETHOD) new_fn = AS_WRAPPER(new_fn)->a;
    if (IS_FUNCTION(new_fn)) {
        Value obj;
        if (!vm_call(vm, new_fn, buf, nargs + 1, kwnames, &obj)) return false;
        if (vm_is_instance(vm, obj, cls)) {
            vm_push_root(vm, obj);
            bool ok = init_instance(vm, cls, obj, args, nargs, kwnames);
            vm_pop_root(vm);
            if (!ok) return false;
        }
        *out = obj;
        return true;
    }
    // A built-in type's own constructor (int, str, list, ...), then __init__ when the class (a
    // subclass written in aio, or a C class with one) has its own.
    if (IS_NATIVE(new_fn) && AS_NATIVE(new_fn)->owner != vm->object_class && !(cls->flags & CLASS_EXCEPTION)) {
        if (!AS_NATIVE(new_fn)->fn(vm, buf, nargs + 1, kwnames, out)) return false;
        Value init = class_lookup(cls, vm->s_init);
        bool own_init = IS_FUNCTION(init) || (IS_NATIVE(init) && AS_NATIVE(init)->owner != vm->object_class &&
                                              !(cls->flags & CLASS_BUILTIN));
        if (own_init && vm_is_instance(vm, *out, cls)) {
            Value obj = *out;
            vm_push_root(vm, obj);
            bool ok = init_instance(vm, cls, obj, args, nargs, kwnames);
            vm_pop_root(vm);
            if (!ok) return false;
            *out = obj;
        }
        return true;
    }
    if (cls->instance_kind == OBJ_INSTANCE) {
        ObjInstance *inst = instance_new(vm, cls);
        Value obj = OBJ_VAL(inst);
        if (!init_instance(vm, cls, obj, args, nargs, kwnames)) return false;
        *out = obj;
        return true;
    }
    if (IS_NATIVE(new_fn) && AS_NATIVE(new_fn)->owner == vm->BaseExceptionGroup) {
        // exception groups check their arguments in __new__
        if (!AS_NATIVE(new_fn)->fn(vm, buf, nargs + 1, kwnames, out)) return false;
        Value init = class_lookup(cls, vm->s_init);
        if (IS_FUNCTION(init)) {
            Value obj = *out;
            vm_push_root(vm, obj);
            bool ok = init_instance(vm, cls, obj, args, nargs, kwnames);
            vm_pop_root(vm);
            if (!ok) return false;
            *out = obj;
        }
        return true;
    }
    if (cls->flags & CLASS_EXCEPTION) {
        // OSError(errno, strerror) itself becomes the subclass for that errno, as in CPython.
        if (cls == vm->OSError && nargs >= 2 && IS_INT(args[0]))
            cls = vm_exception_class_for_errno(vm, (int)AS_INT(args[0]));
        ObjTuple *t = tuple_new(vm, (size_t)nargs);
        for (int i = 0; i < nargs; i++) t->items[i] = args[i];
        vm_push_root(vm, OBJ_VAL(t));
        ObjException *e = exception_new(vm, cls, t);
        vm_pop_root(vm);
        Value obj = OBJ_VAL(e);
        if (cls == vm->StopIteration || class_is_subclass(cls, vm->StopIteration) ||
            class_is_subclass(cls, vm->SystemExit))
            e->extra = nargs ? args[0] : NONE_VAL();
        Value init = class_lookup(cls, vm->s_init);
        if (IS_FUNCTION(init) || (IS_NATIVE(init) && AS_NATIVE(init)->owner != vm->BaseException)) {
            if (!init_instance(vm, cls, obj, args, nargs, kwnames)) return false;
        } else if (kwnames) {
            return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", cls->name->chars);
        }
        *out = obj;
        return true;
    }
    if (IS_NATIVE(new_fn)) return AS_NATIVE(new_fn)->fn(vm, buf, nargs + 1, kwnames, out);
    return vm_raise(vm, vm->TypeError, "cannot create '%s' instances", cls->name->chars);
}

// ---- the class statement ------------------------------------------------------------------------

// LOAD_BUILD_CLASS: builtins.__build_class__ (runtime/class.c defines it).
bool vm_load_build_class(Vm *vm, Value *out) {
    Value v = dict_get_str(vm->builtins, str_from_c(vm, "__build_class__"));
    if (IS_EMPTY(v)) return vm_raise(vm, vm->NameError, "__build_class__ not found");
    *out = v;
    return true;
}
