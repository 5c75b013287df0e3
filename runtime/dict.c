/* The dict type: its methods, its three views and their iterators, on top of the hash table of
 * vm/dict.c (see dict.h for the table's operations).
 */
#include "dict.h"

#include <string.h>

#include "container.h"
#include "gc.h"
#include "runtime.h"

// ==== the dict type ==============================================================================
//
// Everything below is the Python-visible dict: its methods, its three views (keys, values,
// items: live windows on the dict, ObjWrapper with a = the dict) and their iterators.
//
// Dict iterators (ObjIter) use: source = the dict, index = the next entry position (counting down
// for reversed ones), version = `used` when iteration began (UINT64_MAX once a change was seen, so
// the error repeats), limit = how many entries remain to be produced.  Like CPython they object
// only to a change of size, and drop the dict once exhausted.

typedef enum { VIEW_KEYS, VIEW_VALUES, VIEW_ITEMS } ViewKind;

static ObjClass *view_class(Vm *vm, ViewKind kind) {
    return kind == VIEW_KEYS ? vm->dict_keys_class : kind == VIEW_VALUES ? vm->dict_values_class : vm->dict_items_class;
}

// What one step of a dict iterator yields for entry e.
static int dict_iter_yield(Vm *vm, ViewKind kind, DictEntry *e, Value *out) {
    if (kind == VIEW_KEYS) {
        *out = e->key;
    } else if (kind == VIEW_VALUES) {
        *out = e->value;
    } else {
        *out = OBJ_VAL(tuple_pair(vm, e->key, e->value));
    }
    return 1;
}

// One step, forwards (step 1) or backwards (step -1).
static int dict_iter_step(Vm *vm, ObjIter *it, ViewKind kind, int step, Value *out) {
    if (!IS_DICT(it->source)) return 0;
    ObjDict *d = AS_DICT(it->source);
    if (it->version != d->used) {
        it->version = UINT64_MAX;
        vm_raise(vm, vm->RuntimeError, "dictionary changed size during iteration");
        return -1;
    }
    int64_t i = it->index;
    while (i >= 0 && i < (int64_t)d->entry_count && IS_EMPTY(d->entries[i].key)) i += step;
    if (i < 0 || i >= (int64_t)d->entry_count) {
        it->source = NONE_VAL();
        return 0;
    }
    if (it->limit == 0) {
        it->source = NONE_VAL();
        vm_raise(vm, vm->RuntimeError, "dictionary keys changed during iteration");
        return -1;
    }
    it->index = i + step;
    it->limit--;
    return dict_iter_yield(vm, kind, &d->entries[i], out);
}

static int keyiter_next(Vm *vm, Obj *o, Value *out) { return dict_iter_step(vm, (ObjIter *)o, VIEW_KEYS, 1, out); }
static int valueiter_next(Vm *vm, Obj *o, Value *out) { return dict_iter_step(vm, (ObjIter *)o, VIEW_VALUES, 1, out); }
static int itemiter_next(Vm *vm, Obj *o, Value *out) { return dict_iter_step(vm, (ObjIter *)o, VIEW_ITEMS, 1, out); }
static int rkeyiter_next(Vm *vm, Obj *o, Value *out) { return dict_iter_step(vm, (ObjIter *)o, VIEW_KEYS, -1, out); }
static int rvalueiter_next(Vm *vm, Obj *o, Value *out) { return dict_iter_step(vm, (ObjIter *)o, VIEW_VALUES, -1, out); }
static int ritemiter_next(Vm *vm, Obj *o, Value *out) { return dict_iter_step(vm, (ObjIter *)o, VIEW_ITEMS, -1, out); }

// The iterator classes hang on the __iter__ / __reversed__ natives of dict and its views.
static Value dict_make_iter(Vm *vm, Value dict, ViewKind kind, bool reverse) {
    ObjClass *owner = kind == VIEW_KEYS && !reverse ? vm->dict_class : view_class(vm, kind);
    static const IterNextFn fns[2][3] = {{keyiter_next, valueiter_next, itemiter_next},
                                         {rkeyiter_next, rvalueiter_next, ritemiter_next}};
    ObjClass *cls = container_iter_class_of(vm, owner, reverse ? vm->s_reversed : vm->s_iter);
    ObjIter *it = iter_new(vm, cls, fns[reverse][kind], dict);
    ObjDict *d = AS_DICT(dict);
    it->index = reverse ? (int64_t)d->entry_count - 1 : 0;
    it->version = d->used;
    it->limit = (int64_t)d->used;
    return OBJ_VAL(it);
}

// ---- construction -------------------------------------------------------------------------------

// d.update(*args, **kwargs) semantics: one optional mapping or iterable of pairs, then keywords.
static bool dict_update_args(Vm *vm, ObjDict *d, const char *fname, Value *args, int npos, ObjTuple *kwnames) {
    if (npos > 1) return vm_raise(vm, vm->TypeError, "%s expected at most 1 argument, got %d", fname, npos);
    if (npos == 1 && !dict_update(vm, d, args[0])) return false;
    for (int i = 0; kwnames && i < (int)kwnames->count; i++)
        if (!dict_set(vm, d, kwnames->items[i], args[npos + i])) return false;
    return true;
}

// dict.__new__(cls, ...): an exact dict is filled here; a subclass by __init__ (CPython's dict_init).
static bool dict_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    ObjDict *d = dict_new(vm);
    d->obj.cls = cls;
    *result = OBJ_VAL(d);
    if (cls != vm->dict_class) return true;
    vm_push_root(vm, OBJ_VAL(d));
    bool ok = dict_update_args(vm, d, "dict", args + 1, nargs - 1, kwnames);
    vm_pop_root(vm);
    return ok;
}

static bool dict_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    if (vm_class_of(vm, args[0]) == vm->dict_class) return true; // filled by __new__
    return dict_update_args(vm, AS_DICT(args[0]), "dict", args + 1, nargs - 1, kwnames);
}

// ---- mapping protocol ---------------------------------------------------------------------------

static bool dict_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "dict.__getitem__", nargs - 1, kwnames)) return false;
    int r = dict_get(vm, AS_DICT(args[0]), args[1], result);
    if (r != 0) return r > 0;
    if (vm_class_of(vm, args[0]) != vm->dict_class) { // a subclass may define __missing__
        int found = vm_call_method(vm, args[0], str_from_c(vm, "__missing__"), &args[1], 1, result);
        if (found) return found > 0;
    }
    return vm_raise_obj(vm, vm->KeyError, args[1]);
}

static bool dict_setitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "dict.__setitem__", nargs - 1, kwnames, 2, 2)) return false;
    *result = NONE_VAL();
    return dict_set(vm, AS_DICT(args[0]), args[1], args[2]);
}

static bool dict_delitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "dict.__delitem__", nargs - 1, kwnames)) return false;
    int r = dict_delete(vm, AS_DICT(args[0]), args[1], NULL);
    if (r < 0) return false;
    if (r == 0) return vm_raise_obj(vm, vm->KeyError, args[1]);
    *result = NONE_VAL();
    return true;
}

static bool dict_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "dict.__contains__", nargs - 1, kwnames)) return false;
    Value ignored;
    int r = dict_get(vm, AS_DICT(args[0]), args[1], &ignored);
    if (r < 0) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool dict_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL((int64_t)AS_DICT(args[0])->used);
    return true;
}

static bool dict_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = dict_make_iter(vm, args[0], VIEW_KEYS, false);
    return true;
}

static bool dict_reversed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = dict_make_iter(vm, args[0], VIEW_KEYS, true);
    return true;
}

// Same keys, each mapped to an equal value.  1 equal, 0 not, -1 error.
static int dict_equal(Vm *vm, ObjDict *a, ObjDict *b) {
    if (a->used != b->used) return 0;
    for (size_t i = 0; i < a->entry_count; i++) {
        DictEntry e = a->entries[i];
        if (IS_EMPTY(e.key)) continue;
        vm_push_root(vm, e.key);
        vm_push_root(vm, e.value);
        Value bv;
        int r = dict_get(vm, b, e.key, &bv);
        bool eq = false;
        if (r > 0) {
            eq = value_is(e.value, bv);
            if (!eq) {
                vm_push_root(vm, bv);
                if (!vm_equal(vm, e.value, bv, &eq)) r = -1;
                vm_pop_root(vm);
            }
        }
        vm_pop_roots(vm, 2);
        if (r <= 0) return r;
        if (!eq) return 0;
    }
    return 1;
}

static bool dict_cmp(Vm *vm, Value *args, int nargs, bool want_equal, Value *result) {
    if (nargs != 2 || !IS_DICT(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    if (!vm_enter_c_level(vm, COMPARE_WHERE)) return false;
    int r = dict_equal(vm, AS_DICT(args[0]), AS_DICT(args[1]));
    vm_leave_c_level(vm);
    if (r < 0) return false;
    *result = BOOL_VAL(want_equal ? r == 1 : r == 0);
    return true;
}

static bool dict_eq(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_cmp(vm, args, nargs, true, r); }
static bool dict_ne(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_cmp(vm, args, nargs, false, r); }

static bool dict_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjDict *d = AS_DICT(args[0]);
    if (d->used == 0) {
        *result = OBJ_VAL(str_from_c(vm, "{}"));
        return true;
    }
    int entered = list_repr_enter(vm, &d->obj);
    if (entered < 0) return false;
    if (entered) {
        *result = OBJ_VAL(str_from_c(vm, "{...}"));
        return true;
    }
    StrBuf sb;
    sb_init(&sb);
    sb_putc(&sb, '{');
    bool ok = true, first = true;
    // Positions and counts are re-read: a __repr__ may change the dict.
    for (size_t i = 0; ok && i < d->entry_count; i++) {
        DictEntry e = d->entries[i];
        if (IS_EMPTY(e.key)) continue;
        if (!first) sb_puts(&sb, ", ");
        first = false;
        vm_push_root(vm, e.value);
        ObjStr *k = vm_repr(vm, e.key);
        if (k) sb_append(&sb, k->chars, k->length);
        sb_puts(&sb, ": ");
        ObjStr *v = k ? vm_repr(vm, e.value) : NULL;
        if (v) sb_append(&sb, v->chars, v->length);
        vm_pop_root(vm);
        ok = v != NULL;
    }
    list_repr_leave(vm, &d->obj);
    if (!ok) {
        sb_free(&sb);
        return false;
    }
    sb_putc(&sb, '}');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// a | b for two dicts: a plain copy of a, updated with b.
static bool dict_merge_op(Vm *vm, Value a, Value b, Value *result) {
    if (!IS_DICT(a) || !IS_DICT(b)) {
        *result = vm->not_implemented;
        return true;
    }
    ObjDict *d = dict_copy(vm, AS_DICT(a));
    vm_push_root(vm, OBJ_VAL(d));
    bool ok = dict_update(vm, d, b);
    vm_pop_root(vm);
    *result = OBJ_VAL(d);
    return ok;
}

static bool dict_or(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_merge_op(vm, args[0], args[1], r); }
static bool dict_ror(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_merge_op(vm, args[1], args[0], r); }

static bool dict_ior(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!dict_update(vm, AS_DICT(args[0]), args[1])) return false;
    *result = args[0];
    return true;
}

// ---- methods ------------------------------------------------------------------------------------

static bool dict_get_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "dict.get", nargs - 1, kwnames, 1, 2)) return false;
    int r = dict_get(vm, AS_DICT(args[0]), args[1], result);
    if (r < 0) return false;
    if (r == 0) *result = nargs > 2 ? args[2] : NONE_VAL();
    return true;
}

static bool dict_view(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, ViewKind kind, Value *result) {
    static const char *const names[] = {"dict.keys", "dict.values", "dict.items"};
    if (!arity_none(vm, names[kind], nargs - 1, kwnames)) return false;
    WrapperKind wrap = kind == VIEW_KEYS ? WRAP_DICT_KEYS : kind == VIEW_VALUES ? WRAP_DICT_VALUES : WRAP_DICT_ITEMS;
    *result = OBJ_VAL(wrapper_new(vm, view_class(vm, kind), wrap, args[0], NONE_VAL(), NONE_VAL()));
    return true;
}

static bool dict_keys(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_view(vm, args, nargs, kw, VIEW_KEYS, r); }
static bool dict_values(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_view(vm, args, nargs, kw, VIEW_VALUES, r); }
static bool dict_items(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return dict_view(vm, args, nargs, kw, VIEW_ITEMS, r); }

static bool dict_pop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "dict.pop", nargs - 1, kwnames, 1, 2)) return false;
    // An empty dict does not hash the key: {}.pop([]) is a KeyError, as in CPython.
    int r = AS_DICT(args[0])->used == 0 ? 0 : dict_delete(vm, AS_DICT(args[0]), args[1], result);
    if (r < 0) return false;
    if (r > 0) return true;
    if (nargs > 2) {
        *result = args[2];
        return true;
    }
    return vm_raise_obj(vm, vm->KeyError, args[1]);
}

// Removes and returns the most recently inserted pair.
static bool dict_popitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "dict.popitem", nargs - 1, kwnames)) return false;
    ObjDict *d = AS_DICT(args[0]);
    if (d->used == 0) return vm_raise_obj(vm, vm->KeyError, OBJ_VAL(str_from_c(vm, "popitem(): dictionary is empty")));
    size_t i = d->entry_count;
    while (IS_EMPTY(d->entries[i - 1].key)) i--;
    ObjTuple *t = tuple_pair(vm, d->entries[i - 1].key, d->entries[i - 1].value);
    vm_push_root(vm, OBJ_VAL(t));
    int r = dict_delete(vm, d, t->items[0], NULL);
    vm_pop_root(vm);
    if (r < 0) return false;
    d->entry_count = i - 1; // the last live entry went: later appends reuse its place
    *result = OBJ_VAL(t);
    return true;
}

static bool dict_setdefault(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "dict.setdefault", nargs - 1, kwnames, 1, 2)) return false;
    int r = dict_get(vm, AS_DICT(args[0]), args[1], result);
    if (r != 0) return r > 0;
    *result = nargs > 2 ? args[2] : NONE_VAL();
    return dict_set(vm, AS_DICT(args[0]), args[1], *result);
}

static bool dict_update_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return dict_update_args(vm, AS_DICT(args[0]), "update", args + 1, nargs - 1, kwnames);
}

static bool dict_copy_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "dict.copy", nargs - 1, kwnames)) return false;
    *result = OBJ_VAL(dict_copy(vm, AS_DICT(args[0])));
    return true;
}

static bool dict_clear_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "dict.clear", nargs - 1, kwnames)) return false;
    dict_clear(vm, AS_DICT(args[0]));
    *result = NONE_VAL();
    return true;
}

// dict.fromkeys(iterable, value=None), a classmethod: cls() filled with every key.
static bool dict_fromkeys(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "dict.fromkeys", nargs - 1, kwnames, 1, 2)) return false;
    Value value = nargs > 2 ? args[2] : NONE_VAL();
    Value d;
    if (!vm_call0(vm, args[0], &d)) return false;
    vm_push_root(vm, d);
    Value it;
    bool ok = vm_iter(vm, args[1], &it);
    if (ok) {
        vm_push_root(vm, it);
        bool exact = IS_DICT(d) && vm_class_of(vm, d) == vm->dict_class;
        Value key;
        int r;
        while ((r = vm_next(vm, it, &key)) == 1) {
            if (!(exact ? dict_set(vm, AS_DICT(d), key, value) : vm_setitem(vm, d, key, value))) {
                r = -1;
                break;
            }
        }
        ok = r == 0;
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    *result = d;
    return ok;
}

// ---- views --------------------------------------------------------------------------------------

static ObjDict *view_dict(Value view) { return AS_DICT(AS_WRAPPER(view)->a); }

static ViewKind view_kind(Value view) {
    WrapperKind w = AS_WRAPPER(view)->wrap;
    return w == WRAP_DICT_KEYS ? VIEW_KEYS : w == WRAP_DICT_VALUES ? VIEW_VALUES : VIEW_ITEMS;
}

// keys and items views are set-like; values views are not.
static bool is_set_view(Value v) {
    return IS_WRAPPER(v) && (AS_WRAPPER(v)->wrap == WRAP_DICT_KEYS || AS_WRAPPER(v)->wrap == WRAP_DICT_ITEMS);
}

static bool view_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL((int64_t)view_dict(args[0])->used);
    return true;
}

static bool view_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = dict_make_iter(vm, AS_WRAPPER(args[0])->a, view_kind(args[0]), false);
    return true;
}

static bool view_reversed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = dict_make_iter(vm, AS_WRAPPER(args[0])->a, view_kind(args[0]), true);
    return true;
}

// x in view: keys by lookup; items by looking the key up and comparing values; values by scanning.
static int view_has(Vm *vm, Value view, Value x) {
    ObjDict *d = view_dict(view);
    Value found;
    switch (view_kind(view)) {
    case VIEW_KEYS: return dict_get(vm, d, x, &found);
    case VIEW_ITEMS: {
        if (!IS_TUPLE(x) || AS_TUPLE(x)->count != 2) return 0;
        int r = dict_get(vm, d, AS_TUPLE(x)->items[0], &found);
        if (r <= 0) return r;
        if (value_is(found, AS_TUPLE(x)->items[1])) return 1;
        bool eq;
        vm_push_root(vm, found);
        bool ok = vm_equal(vm, found, AS_TUPLE(x)->items[1], &eq);
        vm_pop_root(vm);
        return ok ? eq : -1;
    }
    default:
        for (size_t i = 0; i < d->entry_count; i++) {
            Value v = d->entries[i].value;
            if (IS_EMPTY(d->entries[i].key)) continue;
            if (value_is(v, x)) return 1;
            bool eq;
            if (!vm_equal(vm, v, x, &eq)) return -1;
            if (eq) return 1;
        }
        return 0;
    }
}

static bool view_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int r = view_has(vm, args[0], args[1]);
    if (r < 0) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool view_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Obj *self = AS_OBJ(args[0]);
    int entered = list_repr_enter(vm, self);
    if (entered < 0) return false;
    if (entered) {
        *result = OBJ_VAL(str_from_c(vm, "..."));
        return true;
    }
    ObjList *items = vm_list_from_iterable(vm, args[0]);
    ObjStr *inner = NULL;
    if (items) {
        vm_push_root(vm, OBJ_VAL(items));
        inner = vm_repr(vm, OBJ_VAL(items));
        vm_pop_root(vm);
    }
    list_repr_leave(vm, self);
    if (!inner) return false;
    *result = OBJ_VAL(str_printf(vm, "%s(%s)", vm_type_name(vm, args[0]), inner->chars));
    return true;
}

// Every item of a is in b (b's own `in`).  1, 0 or -1.
static int all_contained_in(Vm *vm, Value a, Value b) {
    Value it;
    if (!vm_iter(vm, a, &it)) return -1;
    vm_push_root(vm, it);
    Value x;
    int r, result = 1;
    while ((r = vm_next(vm, it, &x)) == 1) {
        bool in;
        if (!vm_contains(vm, b, x, &in)) {
            r = -1;
            break;
        }
        if (!in) {
            result = 0;
            break;
        }
    }
    vm_pop_root(vm);
    return r < 0 ? -1 : result;
}

// Set comparisons of a keys/items view with a set or another such view.
static bool view_compare(Vm *vm, Value *args, int nargs, int op, Value *result) {
    Value self = args[0], other = args[1];
    if (nargs != 2 || !(IS_SET(other) || is_set_view(other))) {
        *result = vm->not_implemented;
        return true;
    }
    int64_t ls = (int64_t)view_dict(self)->used, lo;
    if (!vm_len(vm, other, &lo)) return false;
    int ok = 0;
    switch (op) {
    case CMP_EQ:
    case CMP_NE:
        if (ls == lo) ok = all_contained_in(vm, self, other);
        if (op == CMP_NE && ok >= 0) ok = !ok;
        break;
    case CMP_LT: if (ls < lo) ok = all_contained_in(vm, self, other); break;
    case CMP_LE: if (ls <= lo) ok = all_contained_in(vm, self, other); break;
    case CMP_GT: if (ls > lo) ok = all_contained_in(vm, other, self); break;
    default: if (ls >= lo) ok = all_contained_in(vm, other, self); break;
    }
    if (ok < 0) return false;
    *result = BOOL_VAL(ok);
    return true;
}

static bool view_eq(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return view_compare(vm, args, nargs, CMP_EQ, r); }
static bool view_ne(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return view_compare(vm, args, nargs, CMP_NE, r); }
static bool view_lt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return view_compare(vm, args, nargs, CMP_LT, r); }
static bool view_le(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return view_compare(vm, args, nargs, CMP_LE, r); }
static bool view_gt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return view_compare(vm, args, nargs, CMP_GT, r); }
static bool view_ge(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return view_compare(vm, args, nargs, CMP_GE, r); }

// set(x), then x.method(arg) on it: how CPython builds |, - and ^ of views.
static bool view_set_then(Vm *vm, Value x, const char *method, Value arg, Value *result) {
    Value s;
    if (!vm_call_class(vm, vm->set_class, &x, 1, NULL, &s)) return false;
    vm_push_root(vm, s);
    Value m, ignored;
    bool ok = vm_getattr(vm, s, str_from_c(vm, method), &m) && vm_call1(vm, m, arg, &ignored);
    vm_pop_root(vm);
    *result = s;
    return ok;
}

// self & other where one of them is a view (CPython's _PyDictView_Intersect).
static bool view_intersect(Vm *vm, Value self, Value other, Value *result) {
    if (!is_set_view(self)) {
        Value t = self;
        self = other;
        other = t;
    }
    int64_t ls = (int64_t)view_dict(self)->used;
    if (IS_SET(other) && vm_class_of(vm, other) == vm->set_class && ls <= (int64_t)AS_SET(other)->used) {
        Value m;
        return vm_getattr(vm, other, str_from_c(vm, "intersection"), &m) && vm_call1(vm, m, self, result);
    }
    if (is_set_view(other) && (int64_t)view_dict(other)->used > ls) {
        Value t = self;
        self = other;
        other = t;
    }
    ObjSet *out = set_new(vm, false);
    vm_push_root(vm, OBJ_VAL(out));
    Value it;
    bool ok = vm_iter(vm, other, &it);
    if (ok) {
        vm_push_root(vm, it);
        Value x;
        int r;
        while ((r = vm_next(vm, it, &x)) == 1) {
            vm_push_root(vm, x);
            int in = view_has(vm, self, x);
            if (in > 0 && !set_add_value(vm, out, x)) in = -1;
            vm_pop_root(vm);
            if (in < 0) {
                r = -1;
                break;
            }
        }
        ok = r == 0;
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    *result = OBJ_VAL(out);
    return ok;
}

typedef enum { VOP_AND, VOP_OR, VOP_SUB, VOP_XOR } ViewOp;

// left OP right, where self (a keys/items view) is one of them.
static bool view_binop(Vm *vm, ViewOp op, Value left, Value right, Value *result) {
    switch (op) {
    case VOP_AND: return view_intersect(vm, left, right, result);
    case VOP_OR: return view_set_then(vm, left, "update", right, result);
    case VOP_SUB: return view_set_then(vm, left, "difference_update", right, result);
    default: return view_set_then(vm, left, "symmetric_difference_update", right, result);
    }
}

static bool view_and(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_AND, a[0], a[1], r); }
static bool view_or(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_OR, a[0], a[1], r); }
static bool view_sub(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_SUB, a[0], a[1], r); }
static bool view_xor(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_XOR, a[0], a[1], r); }
static bool view_rand(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_AND, a[1], a[0], r); }
static bool view_ror(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_OR, a[1], a[0], r); }
static bool view_rsub(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_SUB, a[1], a[0], r); }
static bool view_rxor(Vm *vm, Value *a, int n, ObjTuple *kw, Value *r) { return view_binop(vm, VOP_XOR, a[1], a[0], r); }

static bool view_isdisjoint(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, view_kind(args[0]) == VIEW_KEYS ? "dict_keys.isdisjoint" : "dict_items.isdisjoint",
                   nargs - 1, kwnames))
        return false;
    Value self = args[0], other = args[1];
    if (value_is(self, other)) {
        *result = BOOL_VAL(view_dict(self)->used == 0);
        return true;
    }
    if (IS_SET(other) || is_set_view(other)) { // iterate the shorter one
        int64_t lo;
        if (!vm_len(vm, other, &lo)) return false;
        if (lo > (int64_t)view_dict(self)->used) {
            Value t = self;
            self = other;
            other = t;
        }
    }
    Value it;
    if (!vm_iter(vm, other, &it)) return false;
    vm_push_root(vm, it);
    Value x;
    int r;
    bool disjoint = true;
    while ((r = vm_next(vm, it, &x)) == 1) {
        bool in;
        if (!vm_contains(vm, self, x, &in)) {
            r = -1;
            break;
        }
        if (in) {
            disjoint = false;
            break;
        }
    }
    vm_pop_root(vm);
    if (r < 0) return false;
    *result = BOOL_VAL(disjoint);
    return true;
}

void runtime_init_dict(Vm *vm) {
    ObjClass *cls = vm->dict_class;
    define_methods(vm, cls, (MethodDef[]){
        {"__new__", dict_new_native}, {"__init__", dict_init}, {"__getitem__", dict_getitem},
        {"__setitem__", dict_setitem}, {"__delitem__", dict_delitem},
        {"__contains__", dict_contains}, {"__len__", dict_len}, {"__iter__", dict_iter},
        {"__reversed__", dict_reversed}, {"__eq__", dict_eq}, {"__ne__", dict_ne},
        {"__repr__", dict_repr}, {"__or__", dict_or}, {"__ror__", dict_ror}, {"__ior__", dict_ior},
        {"get", dict_get_m}, {"keys", dict_keys}, {"values", dict_values}, {"items", dict_items},
        {"pop", dict_pop}, {"popitem", dict_popitem}, {"setdefault", dict_setdefault},
        {"update", dict_update_m}, {"copy", dict_copy_m}, {"clear", dict_clear_m},
        {"fromkeys", dict_fromkeys}, {NULL, NULL}});
    AS_NATIVE(dict_get_str(cls->dict, str_from_c(vm, "fromkeys")))->is_classmethod = true;
    dict_set_cstr(vm, cls->dict, "__hash__", NONE_VAL());
    container_iter_class(vm, "dict_keyiterator", cls, "__iter__");

    static const MethodDef common[] = {{"__len__", view_len}, {"__iter__", view_iter},
                                       {"__reversed__", view_reversed}, {"__repr__", view_repr},
                                       {NULL, NULL}};
    static const MethodDef setlike[] = {
        {"__contains__", view_contains}, {"__eq__", view_eq}, {"__ne__", view_ne},
        {"__lt__", view_lt}, {"__le__", view_le}, {"__gt__", view_gt}, {"__ge__", view_ge},
        {"__and__", view_and}, {"__or__", view_or}, {"__sub__", view_sub}, {"__xor__", view_xor},
        {"__rand__", view_rand}, {"__ror__", view_ror}, {"__rsub__", view_rsub},
        {"__rxor__", view_rxor}, {"isdisjoint", view_isdisjoint}, {NULL, NULL}};
    ObjClass *views[3] = {vm->dict_keys_class, vm->dict_values_class, vm->dict_items_class};
    for (int i = 0; i < 3; i++) define_methods(vm, views[i], common);
    define_methods(vm, vm->dict_keys_class, setlike);
    define_methods(vm, vm->dict_items_class, setlike);
    define_methods(vm, vm->dict_values_class, (MethodDef[]){{"__contains__", view_contains}, {NULL, NULL}});
    dict_set_cstr(vm, vm->dict_keys_class->dict, "__hash__", NONE_VAL());
    dict_set_cstr(vm, vm->dict_items_class->dict, "__hash__", NONE_VAL());
    // The keys view iterates like the dict: its __iter__ shares dict_keyiterator.
    AS_NATIVE(dict_get_str(vm->dict_keys_class->dict, vm->s_iter))->data =
        AS_NATIVE(dict_get_str(cls->dict, vm->s_iter))->data;
    container_iter_class(vm, "dict_reversekeyiterator", vm->dict_keys_class, "__reversed__");
    container_iter_class(vm, "dict_valueiterator", vm->dict_values_class, "__iter__");
    container_iter_class(vm, "dict_itemiterator", vm->dict_items_class, "__iter__");
    container_iter_class(vm, "dict_reversevalueiterator", vm->dict_values_class, "__reversed__");
    container_iter_class(vm, "dict_reverseitemiterator", vm->dict_items_class, "__reversed__");
    // dict.__reversed__ makes the same iterators as reversed(d.keys()).
    AS_NATIVE(dict_get_str(cls->dict, vm->s_reversed))->data =
        AS_NATIVE(dict_get_str(vm->dict_keys_class->dict, vm->s_reversed))->data;
}
