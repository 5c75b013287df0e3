/* set and frozenset: their methods, operators and iterators, on top of the hash table of vm/set.c
 * (set.h), which is laid out and probed as CPython 3.11's, so that iteration order matches.
 */
#include <string.h>

#include "container.h"
#include "set.h"

// A new set (frozen or not, of class cls) holding the items of iterable (EMPTY for none).
static ObjSet *make_new_set(Vm *vm, bool frozen, ObjClass *cls, Value iterable) {
    ObjSet *so = set_new(vm, frozen);
    so->obj.cls = cls;
    if (IS_EMPTY(iterable)) return so;
    vm_push_root(vm, OBJ_VAL(so));
    bool ok = set_update(vm, so, iterable);
    vm_pop_root(vm);
    return ok ? so : NULL;
}

// A copy with the base type of so: set for sets and set subclasses, frozenset for frozensets.
static ObjSet *set_copy_of(Vm *vm, ObjSet *so) {
    return make_new_set(vm, so->frozen, so->frozen ? vm->frozenset_class : vm->set_class, OBJ_VAL(so));
}

static void set_swap_bodies(ObjSet *a, ObjSet *b) {
    ObjSet t = *a;
    a->table = b->table, a->mask = b->mask, a->used = b->used, a->fill = b->fill;
    b->table = t.table, b->mask = t.mask, b->used = t.used, b->fill = t.fill;
}

// so & other as a new set of so's base type.
static ObjSet *set_intersection(Vm *vm, ObjSet *so, Value other) {
    if (IS_OBJ(other) && AS_OBJ(other) == &so->obj) return set_copy_of(vm, so);
    ObjSet *result = make_new_set(vm, so->frozen, so->frozen ? vm->frozenset_class : vm->set_class, EMPTY_VAL());
    vm_push_root(vm, OBJ_VAL(result));
    bool ok = true;
    if (IS_SET(other)) {
        ObjSet *a = so, *b = AS_SET(other); // iterate the smaller, probe the larger
        if (b->used > a->used) {
            ObjSet *t = a;
            a = b;
            b = t;
        }
        size_t pos = 0;
        Value key;
        uint64_t hash;
        while (ok && set_next_entry(b, &pos, &key, &hash)) {
            int r = set_contains_entry(vm, a, key, hash);
            if (r < 0) ok = false;
            else if (r) ok = set_add_entry(vm, result, key, hash);
        }
    } else {
        Value it;
        ok = vm_iter(vm, other, &it);
        if (ok) {
            vm_push_root(vm, it);
            Value key;
            int n;
            while ((n = vm_next(vm, it, &key)) == 1) {
                vm_push_root(vm, key);
                uint64_t hash;
                int r = vm_hash(vm, key, &hash) ? set_contains_entry(vm, so, key, hash) : -1;
                if (r > 0 && !set_add_entry(vm, result, key, hash)) r = -1;
                vm_pop_root(vm);
                if (r < 0) {
                    ok = false;
                    break;
                }
                if (r > 0 && result->used >= so->used) break; // nothing more can be common
            }
            if (n < 0) ok = false;
            vm_pop_root(vm);
        }
    }
    vm_pop_root(vm);
    return ok ? result : NULL;
}

// so -= other.
static bool set_difference_update_internal(Vm *vm, ObjSet *so, Value other) {
    if (IS_OBJ(other) && AS_OBJ(other) == &so->obj) {
        set_clear_table(vm, so);
        return true;
    }
    if (IS_SET(other)) {
        Value src = other;
        // When other is more than 8 times larger, discard only the common keys.
        if ((AS_SET(other)->used >> 3) > so->used) {
            ObjSet *common = set_intersection(vm, so, other);
            if (!common) return false;
            src = OBJ_VAL(common);
        }
        vm_push_root(vm, src);
        size_t pos = 0;
        Value key;
        uint64_t hash;
        bool ok = true;
        while (ok && set_next_entry(AS_SET(src), &pos, &key, &hash)) ok = set_discard_entry(vm, so, key, hash) >= 0;
        vm_pop_root(vm);
        if (!ok) return false;
    } else {
        Value it;
        if (!vm_iter(vm, other, &it)) return false;
        vm_push_root(vm, it);
        Value key;
        int n;
        while ((n = vm_next(vm, it, &key)) == 1)
            if (set_discard_value(vm, so, key) < 0) {
                n = -1;
                break;
            }
        vm_pop_root(vm);
        if (n < 0) return false;
    }
    // More than a quarter dummies: resize them away.
    if (so->fill - so->used <= set_mask(so) / 4) return true;
    if (!set_table_resize(vm, so, so->used > 50000 ? so->used * 2 : so->used * 4)) return false;
    return true;
}

// so - other as a new set of so's base type.
static ObjSet *set_difference(Vm *vm, ObjSet *so, Value other) {
    size_t other_size;
    bool exact_dict = IS_DICT(other) && vm_class_of(vm, other) == vm->dict_class;
    if (IS_SET(other)) other_size = AS_SET(other)->used;
    else if (exact_dict) other_size = AS_DICT(other)->used;
    else other_size = SIZE_MAX;
    if (other_size == SIZE_MAX || (so->used >> 2) > other_size) {
        // Copy, then remove what other has.
        ObjSet *result = set_copy_of(vm, so);
        if (!result) return NULL;
        vm_push_root(vm, OBJ_VAL(result));
        bool ok = set_difference_update_internal(vm, result, other);
        vm_pop_root(vm);
        return ok ? result : NULL;
    }
    ObjSet *result = make_new_set(vm, so->frozen, so->frozen ? vm->frozenset_class : vm->set_class, EMPTY_VAL());
    vm_push_root(vm, OBJ_VAL(result));
    size_t pos = 0;
    Value key;
    uint64_t hash;
    bool ok = true;
    while (ok && set_next_entry(so, &pos, &key, &hash)) {
        int r;
        if (exact_dict) {
            Value ignored;
            vm_push_root(vm, key);
            r = dict_get(vm, AS_DICT(other), key, &ignored);
            vm_pop_root(vm);
        } else {
            r = set_contains_entry(vm, AS_SET(other), key, hash);
        }
        if (r < 0) ok = false;
        else if (!r) ok = set_add_entry(vm, result, key, hash);
    }
    vm_pop_root(vm);
    return ok ? result : NULL;
}

// so ^= other.
static bool set_symmetric_difference_update(Vm *vm, ObjSet *so, Value other) {
    if (IS_OBJ(other) && AS_OBJ(other) == &so->obj) {
        set_clear_table(vm, so);
        return true;
    }
    Value src = other;
    if (IS_DICT(other) && vm_class_of(vm, other) == vm->dict_class) {
        ObjDict *d = AS_DICT(other);
        for (size_t i = 0; i < d->entry_count; i++) {
            DictEntry e = d->entries[i];
            if (IS_EMPTY(e.key)) continue;
            int r = set_discard_entry(vm, so, e.key, e.hash);
            if (r < 0) return false;
            if (r == 0 && !set_add_entry(vm, so, e.key, e.hash)) return false;
        }
        return true;
    }
    if (!IS_SET(other)) {
        ObjSet *tmp = make_new_set(vm, so->frozen, so->frozen ? vm->frozenset_class : vm->set_class, other);
        if (!tmp) return false;
        src = OBJ_VAL(tmp);
    }
    vm_push_root(vm, src);
    size_t pos = 0;
    Value key;
    uint64_t hash;
    bool ok = true;
    while (ok && set_next_entry(AS_SET(src), &pos, &key, &hash)) {
        int r = set_discard_entry(vm, so, key, hash);
        if (r < 0) ok = false;
        else if (r == 0) ok = set_add_entry(vm, so, key, hash);
    }
    vm_pop_root(vm);
    return ok;
}

// so ^ other: built from other, then so applied to it (CPython's order).
static ObjSet *set_symmetric_difference(Vm *vm, ObjSet *so, Value other) {
    ObjSet *result = make_new_set(vm, so->frozen, so->frozen ? vm->frozenset_class : vm->set_class, other);
    if (!result) return NULL;
    vm_push_root(vm, OBJ_VAL(result));
    bool ok = set_symmetric_difference_update(vm, result, OBJ_VAL(so));
    vm_pop_root(vm);
    return ok ? result : NULL;
}

// so <= other.  1 true, 0 false, -1 error.
static int set_issubset(Vm *vm, ObjSet *so, Value other) {
    if (!IS_SET(other)) {
        ObjSet *tmp = set_intersection(vm, so, other);
        if (!tmp) return -1;
        return tmp->used == so->used;
    }
    if (so->used > AS_SET(other)->used) return 0;
    size_t pos = 0;
    Value key;
    uint64_t hash;
    while (set_next_entry(so, &pos, &key, &hash)) {
        int r = set_contains_entry(vm, AS_SET(other), key, hash);
        if (r <= 0) return r;
    }
    return 1;
}

// so >= other.
static int set_issuperset(Vm *vm, ObjSet *so, Value other) {
    if (IS_SET(other)) return set_issubset(vm, AS_SET(other), OBJ_VAL(so));
    Value it;
    if (!vm_iter(vm, other, &it)) return -1;
    vm_push_root(vm, it);
    Value key;
    int n, result = 1;
    while ((n = vm_next(vm, it, &key)) == 1) {
        int r = set_contains_value(vm, so, key);
        if (r <= 0) {
            result = r;
            break;
        }
    }
    vm_pop_root(vm);
    return n < 0 ? -1 : result;
}

// ---- construction -------------------------------------------------------------------------------

// set.__new__(cls, *args): an exact set is filled here; a subclass by __init__, as CPython's set_init.
static bool set_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    bool exact = cls == vm->set_class;
    if (exact && !arity_range(vm, "set", nargs - 1, kwnames, 0, 1)) return false;
    ObjSet *so = make_new_set(vm, false, cls, exact && nargs == 2 ? args[1] : EMPTY_VAL());
    if (!so) return false;
    *result = OBJ_VAL(so);
    return true;
}

static bool set_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, vm_type_name(vm, args[0]), nargs - 1, kwnames, 0, 1)) return false;
    *result = NONE_VAL();
    if (vm_class_of(vm, args[0]) == vm->set_class) return true; // filled by __new__
    ObjSet *so = AS_SET(args[0]);
    set_clear_table(vm, so);
    return nargs == 2 ? set_update(vm, so, args[1]) : true;
}

// frozenset(iterable=()): an exact frozenset argument is returned as is.
static bool frozenset_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    if (!arity_range(vm, "frozenset", nargs - 1, kwnames, 0, 1)) return false;
    if (nargs == 2 && cls == vm->frozenset_class && IS_SET(args[1]) &&
        vm_class_of(vm, args[1]) == vm->frozenset_class) {
        *result = args[1];
        return true;
    }
    ObjSet *so = make_new_set(vm, true, cls, nargs == 2 ? args[1] : EMPTY_VAL());
    if (!so) return false;
    *result = OBJ_VAL(so);
    return true;
}

// ---- protocol -----------------------------------------------------------------------------------

static bool set_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL((int64_t)AS_SET(args[0])->used);
    return true;
}

static bool set_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "set.__contains__", nargs - 1, kwnames)) return false;
    int r = set_contains_value(vm, AS_SET(args[0]), args[1]);
    if (r < 0) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool set_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL((int64_t)hash_frozenset(AS_SET(args[0])));
    return true;
}

// index: the next slot; version: `used` when iteration began (UINT64_MAX once a change was seen,
// so the error repeats); the set is dropped when exhausted.
static int set_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if (!IS_SET(it->source)) return 0;
    ObjSet *so = AS_SET(it->source);
    if (it->version != so->used) {
        it->version = UINT64_MAX;
        vm_raise(vm, vm->RuntimeError, "Set changed size during iteration");
        return -1;
    }
    size_t pos = (size_t)it->index;
    bool more = set_next(so, &pos, out);
    it->index = (int64_t)pos;
    if (more) return 1;
    it->source = NONE_VAL();
    return 0;
}

static bool set_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjIter *it = iter_new(vm, container_iter_class_of(vm, vm->set_class, vm->s_iter), set_iter_next, args[0]);
    it->version = AS_SET(args[0])->used;
    *result = OBJ_VAL(it);
    return true;
}

static bool set_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjSet *so = AS_SET(args[0]);
    const char *name = vm_type_name(vm, args[0]);
    if (so->used == 0) {
        *result = OBJ_VAL(str_printf(vm, "%s()", name));
        return true;
    }
    int entered = list_repr_enter(vm, &so->obj);
    if (entered < 0) return false;
    if (entered) {
        *result = OBJ_VAL(str_printf(vm, "%s(...)", name));
        return true;
    }
    // The keys are collected first: a __repr__ may change the set.
    ObjList *keys = list_new(vm, so->used);
    vm_push_root(vm, OBJ_VAL(keys));
    size_t pos = 0;
    Value key;
    while (set_next(so, &pos, &key)) keys->items[keys->count++] = key;
    bool plain = vm_class_of(vm, args[0]) == vm->set_class;
    StrBuf sb;
    sb_init(&sb);
    if (!plain) sb_printf(&sb, "%s(", name);
    sb_putc(&sb, '{');
    bool ok = true;
    for (size_t i = 0; i < keys->count && ok; i++) {
        if (i) sb_puts(&sb, ", ");
        ObjStr *s = vm_repr(vm, keys->items[i]);
        if (s) sb_append(&sb, s->chars, s->length);
        else ok = false;
    }
    sb_putc(&sb, '}');
    if (!plain) sb_putc(&sb, ')');
    list_repr_leave(vm, &so->obj);
    vm_pop_root(vm);
    if (!ok) {
        sb_free(&sb);
        return false;
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// ---- comparisons --------------------------------------------------------------------------------

static bool set_richcompare(Vm *vm, Value *args, int nargs, int op, Value *result) {
    if (nargs != 2 || !IS_SET(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    ObjSet *a = AS_SET(args[0]), *b = AS_SET(args[1]);
    int r;
    switch (op) {
    case CMP_EQ:
    case CMP_NE:
        r = a->used != b->used ? 0 : set_issubset(vm, a, args[1]);
        if (r >= 0 && op == CMP_NE) r = !r;
        break;
    case CMP_LE: r = set_issubset(vm, a, args[1]); break;
    case CMP_GE: r = set_issuperset(vm, a, args[1]); break;
    case CMP_LT: r = a->used >= b->used ? 0 : set_issubset(vm, a, args[1]); break;
    default: r = a->used <= b->used ? 0 : set_issuperset(vm, a, args[1]); break;
    }
    if (r < 0) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool set_eq(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_richcompare(vm, args, nargs, CMP_EQ, r); }
static bool set_ne(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_richcompare(vm, args, nargs, CMP_NE, r); }
static bool set_lt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_richcompare(vm, args, nargs, CMP_LT, r); }
static bool set_le(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_richcompare(vm, args, nargs, CMP_LE, r); }
static bool set_gt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_richcompare(vm, args, nargs, CMP_GT, r); }
static bool set_ge(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_richcompare(vm, args, nargs, CMP_GE, r); }

// ---- operators ----------------------------------------------------------------------------------

typedef enum { SETOP_OR, SETOP_AND, SETOP_SUB, SETOP_XOR } SetOp;

// a OP b for two sets, as a new set of a's base type; NULL on error.
static ObjSet *set_binop(Vm *vm, SetOp op, Value a, Value b) {
    ObjSet *so = AS_SET(a);
    switch (op) {
    case SETOP_OR: {
        ObjSet *result = set_copy_of(vm, so);
        if (!result || value_is(a, b)) return result;
        vm_push_root(vm, OBJ_VAL(result));
        bool ok = set_update(vm, result, b);
        vm_pop_root(vm);
        return ok ? result : NULL;
    }
    case SETOP_AND: return set_intersection(vm, so, b);
    case SETOP_SUB: return set_difference(vm, so, b);
    default: return set_symmetric_difference(vm, so, b);
    }
}

// self OP other, or NotImplemented unless both are sets.  Reflected: other OP self.
static bool set_operator(Vm *vm, Value *args, int nargs, SetOp op, bool reflected, Value *result) {
    if (nargs != 2 || !IS_SET(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    ObjSet *r = reflected ? set_binop(vm, op, args[1], args[0]) : set_binop(vm, op, args[0], args[1]);
    if (!r) return false;
    *result = OBJ_VAL(r);
    return true;
}

static bool set_or(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_OR, false, r); }
static bool set_and(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_AND, false, r); }
static bool set_sub(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_SUB, false, r); }
static bool set_xor(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_XOR, false, r); }
static bool set_ror(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_OR, true, r); }
static bool set_rand(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_AND, true, r); }
static bool set_rsub(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_SUB, true, r); }
static bool set_rxor(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_operator(vm, args, nargs, SETOP_XOR, true, r); }

// so &= other: the intersection is computed aside, then takes over so's table.
static bool set_intersection_update_one(Vm *vm, ObjSet *so, Value other) {
    ObjSet *tmp = set_intersection(vm, so, other);
    if (!tmp) return false;
    set_swap_bodies(so, tmp);
    return true;
}

// In-place operators: both must be sets (else NotImplemented); the result is self.
static bool set_inplace(Vm *vm, Value *args, int nargs, SetOp op, Value *result) {
    if (nargs != 2 || !IS_SET(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    ObjSet *so = AS_SET(args[0]);
    bool ok;
    switch (op) {
    case SETOP_OR: ok = set_update(vm, so, args[1]); break;
    case SETOP_AND: ok = set_intersection_update_one(vm, so, args[1]); break;
    case SETOP_SUB: ok = set_difference_update_internal(vm, so, args[1]); break;
    default: ok = set_symmetric_difference_update(vm, so, args[1]); break;
    }
    *result = args[0];
    return ok;
}

static bool set_ior(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_inplace(vm, args, nargs, SETOP_OR, r); }
static bool set_iand(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_inplace(vm, args, nargs, SETOP_AND, r); }
static bool set_isub(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_inplace(vm, args, nargs, SETOP_SUB, r); }
static bool set_ixor(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return set_inplace(vm, args, nargs, SETOP_XOR, r); }

// ---- methods ------------------------------------------------------------------------------------

// The method name as CPython prints it in arity errors: "set.add" or "frozenset.union".
static const char *qualified(Vm *vm, Value self, const char *method, char *buf, size_t size) {
    snprintf(buf, size, "%s.%s", AS_SET(self)->frozen ? "frozenset" : "set", method);
    return buf;
}

#define QNAME(method) qualified(vm, args[0], method, qbuf, sizeof qbuf)

static bool set_add(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "set.add", nargs - 1, kwnames)) return false;
    *result = NONE_VAL();
    return set_add_value(vm, AS_SET(args[0]), args[1]);
}

static bool set_discard(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "set.discard", nargs - 1, kwnames)) return false;
    *result = NONE_VAL();
    return set_discard_value(vm, AS_SET(args[0]), args[1]) >= 0;
}

static bool set_remove(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "set.remove", nargs - 1, kwnames)) return false;
    int r = set_discard_value(vm, AS_SET(args[0]), args[1]);
    if (r < 0) return false;
    if (r == 0) return vm_raise_obj(vm, vm->KeyError, args[1]);
    *result = NONE_VAL();
    return true;
}

// Removes the first active slot at or after the finger, and moves the finger past it.
static bool set_pop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "set.pop", nargs - 1, kwnames)) return false;
    ObjSet *so = AS_SET(args[0]);
    if (so->used == 0) return vm_raise(vm, vm->KeyError, "pop from an empty set");
    size_t i = (size_t)so->version & so->mask;
    while (!set_entry_active(&so->table[i])) i = i == so->mask ? 0 : i + 1;
    *result = so->table[i].key;
    so->table[i] = (SetEntry){EMPTY_VAL(), DUMMY_HASH, true};
    so->used--;
    so->version = i + 1;
    return true;
}

static bool set_clear(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "set.clear", nargs - 1, kwnames)) return false;
    set_clear_table(vm, AS_SET(args[0]));
    *result = NONE_VAL();
    return true;
}

static bool set_copy(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_none(vm, QNAME("copy"), nargs - 1, kwnames)) return false;
    if (vm_class_of(vm, args[0]) == vm->frozenset_class) {
        *result = args[0];
        return true;
    }
    ObjSet *r = set_copy_of(vm, AS_SET(args[0]));
    if (!r) return false;
    *result = OBJ_VAL(r);
    return true;
}

static bool set_update_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_no_kw(vm, "set.update", kwnames)) return false;
    for (int i = 1; i < nargs; i++)
        if (!set_update(vm, AS_SET(args[0]), args[i])) return false;
    *result = NONE_VAL();
    return true;
}

static bool set_union(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_no_kw(vm, QNAME("union"), kwnames)) return false;
    ObjSet *r = set_copy_of(vm, AS_SET(args[0]));
    if (!r) return false;
    vm_push_root(vm, OBJ_VAL(r));
    bool ok = true;
    for (int i = 1; i < nargs && ok; i++)
        if (!value_is(args[i], args[0])) ok = set_update(vm, r, args[i]);
    vm_pop_root(vm);
    *result = OBJ_VAL(r);
    return ok;
}

// The intersection of self with every argument, left to right.
static ObjSet *intersection_multi(Vm *vm, Value *args, int nargs) {
    if (nargs == 1) return set_copy_of(vm, AS_SET(args[0]));
    Value acc = args[0];
    for (int i = 1; i < nargs; i++) {
        vm_push_root(vm, acc);
        ObjSet *next = set_intersection(vm, AS_SET(acc), args[i]);
        vm_pop_root(vm);
        if (!next) return NULL;
        acc = OBJ_VAL(next);
    }
    return AS_SET(acc);
}

static bool set_intersection_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_no_kw(vm, QNAME("intersection"), kwnames)) return false;
    ObjSet *r = intersection_multi(vm, args, nargs);
    if (!r) return false;
    *result = OBJ_VAL(r);
    return true;
}

static bool set_intersection_update(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_no_kw(vm, "set.intersection_update", kwnames)) return false;
    ObjSet *r = intersection_multi(vm, args, nargs);
    if (!r) return false;
    set_swap_bodies(AS_SET(args[0]), r);
    *result = NONE_VAL();
    return true;
}

static bool set_difference_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_no_kw(vm, QNAME("difference"), kwnames)) return false;
    ObjSet *so = AS_SET(args[0]);
    ObjSet *r = nargs == 1 ? set_copy_of(vm, so) : set_difference(vm, so, args[1]);
    if (!r) return false;
    vm_push_root(vm, OBJ_VAL(r));
    bool ok = true;
    for (int i = 2; i < nargs && ok; i++) ok = set_difference_update_internal(vm, r, args[i]);
    vm_pop_root(vm);
    *result = OBJ_VAL(r);
    return ok;
}

static bool set_difference_update(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_no_kw(vm, "set.difference_update", kwnames)) return false;
    for (int i = 1; i < nargs; i++)
        if (!set_difference_update_internal(vm, AS_SET(args[0]), args[i])) return false;
    *result = NONE_VAL();
    return true;
}

static bool set_symmetric_difference_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_one(vm, QNAME("symmetric_difference"), nargs - 1, kwnames)) return false;
    ObjSet *r = set_symmetric_difference(vm, AS_SET(args[0]), args[1]);
    if (!r) return false;
    *result = OBJ_VAL(r);
    return true;
}

static bool set_symmetric_difference_update_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "set.symmetric_difference_update", nargs - 1, kwnames)) return false;
    *result = NONE_VAL();
    return set_symmetric_difference_update(vm, AS_SET(args[0]), args[1]);
}

static bool set_issubset_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_one(vm, QNAME("issubset"), nargs - 1, kwnames)) return false;
    int r = set_issubset(vm, AS_SET(args[0]), args[1]);
    if (r < 0) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool set_issuperset_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_one(vm, QNAME("issuperset"), nargs - 1, kwnames)) return false;
    int r = set_issuperset(vm, AS_SET(args[0]), args[1]);
    if (r < 0) return false;
    *result = BOOL_VAL(r);
    return true;
}

static bool set_isdisjoint(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    char qbuf[40];
    if (!arity_one(vm, QNAME("isdisjoint"), nargs - 1, kwnames)) return false;
    ObjSet *so = AS_SET(args[0]);
    Value other = args[1];
    if (value_is(other, args[0])) {
        *result = BOOL_VAL(so->used == 0);
        return true;
    }
    if (IS_SET(other)) {
        ObjSet *a = so, *b = AS_SET(other); // iterate the smaller
        if (b->used > a->used) {
            ObjSet *t = a;
            a = b;
            b = t;
        }
        size_t pos = 0;
        Value key;
        uint64_t hash;
        while (set_next_entry(b, &pos, &key, &hash)) {
            int r = set_contains_entry(vm, a, key, hash);
            if (r < 0) return false;
            if (r) {
                *result = BOOL_VAL(false);
                return true;
            }
        }
        *result = BOOL_VAL(true);
        return true;
    }
    Value it;
    if (!vm_iter(vm, other, &it)) return false;
    vm_push_root(vm, it);
    Value key;
    int n, r = 0;
    while ((n = vm_next(vm, it, &key)) == 1) {
        r = set_contains_key(vm, so, key);
        if (r != 0) break;
    }
    vm_pop_root(vm);
    if (n < 0 || r < 0) return false;
    *result = BOOL_VAL(r == 0);
    return true;
}

void runtime_init_set(Vm *vm) {
    // What set and frozenset share; mutating methods go to set only.
    static const MethodDef common[] = {
        {"__len__", set_len}, {"__contains__", set_contains}, {"__iter__", set_iter},
        {"__repr__", set_repr}, {"__eq__", set_eq}, {"__ne__", set_ne}, {"__lt__", set_lt},
        {"__le__", set_le}, {"__gt__", set_gt}, {"__ge__", set_ge}, {"__or__", set_or},
        {"__and__", set_and}, {"__sub__", set_sub}, {"__xor__", set_xor}, {"__ror__", set_ror},
        {"__rand__", set_rand}, {"__rsub__", set_rsub}, {"__rxor__", set_rxor},
        {"copy", set_copy}, {"union", set_union}, {"intersection", set_intersection_m},
        {"difference", set_difference_m}, {"symmetric_difference", set_symmetric_difference_m},
        {"issubset", set_issubset_m}, {"issuperset", set_issuperset_m},
        {"isdisjoint", set_isdisjoint}, {NULL, NULL}};
    ObjClass *set = vm->set_class, *frozen = vm->frozenset_class;
    define_methods(vm, set, common);
    define_methods(vm, set, (MethodDef[]){
        {"__new__", set_new_native}, {"__init__", set_init}, {"__ior__", set_ior},
        {"__iand__", set_iand}, {"__isub__", set_isub}, {"__ixor__", set_ixor}, {"add", set_add},
        {"discard", set_discard}, {"remove", set_remove}, {"pop", set_pop}, {"clear", set_clear},
        {"update", set_update_m}, {"intersection_update", set_intersection_update},
        {"difference_update", set_difference_update},
        {"symmetric_difference_update", set_symmetric_difference_update_m}, {NULL, NULL}});
    dict_set_cstr(vm, set->dict, "__hash__", NONE_VAL());
    define_methods(vm, frozen, common);
    define_methods(vm, frozen, (MethodDef[]){
        {"__new__", frozenset_new_native}, {"__hash__", set_hash}, {NULL, NULL}});
    container_iter_class(vm, "set_iterator", set, "__iter__");
}
