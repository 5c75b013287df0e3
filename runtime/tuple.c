/* tuple: the immutable sequence, its iterator and its hash.
 *
 * An ObjTuple holds its items inline, after the header.  Its hash is CPython 3.11's xxHash-based
 * tuplehash, bit for bit, so that sets and dicts keyed by tuples of ints iterate in CPython's order.
 */
#include <string.h>

#include "container.h"

// A native's `return` of (a, b).
bool tuple_pair_result(Vm *vm, Value a, Value b, Value *result) {
    *result = OBJ_VAL(tuple_pair(vm, a, b));
    return true;
}

// ---- construction -------------------------------------------------------------------------------

// tuple(iterable=()): an exact tuple argument is returned as is.  For a subclass the new tuple takes
// the subclass as its class.
static bool tuple_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    if (!arity_range(vm, "tuple", nargs - 1, kwnames, 0, 1)) return false;
    ObjTuple *t;
    if (nargs == 1) {
        t = tuple_new(vm, 0);
    } else if (IS_TUPLE(args[1]) && vm_class_of(vm, args[1]) == vm->tuple_class) {
        if (cls == vm->tuple_class) {
            *result = args[1];
            return true;
        }
        t = tuple_from_values(vm, AS_TUPLE(args[1])->items, AS_TUPLE(args[1])->count);
    } else {
        ObjList *items = vm_list_from_iterable(vm, args[1]);
        if (!items) return false;
        t = tuple_try_from_list(vm, items);
        if (!t) return false;
    }
    t->obj.cls = cls;
    *result = OBJ_VAL(t);
    return true;
}

// ---- sequence protocol --------------------------------------------------------------------------

static bool tuple_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "tuple.__getitem__", nargs - 1, kwnames)) return false;
    ObjTuple *t = AS_TUPLE(args[0]);
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, n;
        if (!slice_indices(vm, AS_SLICE(args[1]), (int64_t)t->count, &start, &stop, &step, &n))
            return false;
        if (step == 1 && n == (int64_t)t->count && vm_class_of(vm, args[0]) == vm->tuple_class) {
            *result = args[0]; // t[:] is t
            return true;
        }
        ObjTuple *out = tuple_try_new(vm, (size_t)n);
        if (!out) return false;
        for (int64_t k = 0, i = start; k < n; k++, i += step) out->items[k] = t->items[i];
        *result = OBJ_VAL(out);
        return true;
    }
    int64_t i;
    if (!seq_index_key(vm, args[1], "tuple", &i)) return false;
    if (i < 0) i += (int64_t)t->count;
    if (i < 0 || i >= (int64_t)t->count) return vm_raise(vm, vm->IndexError, "tuple index out of range");
    *result = t->items[i];
    return true;
}

static bool tuple_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL((int64_t)AS_TUPLE(args[0])->count);
    return true;
}

static bool tuple_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "tuple.__contains__", nargs - 1, kwnames)) return false;
    int64_t at = list_seq_find(vm, args[0], args[1], 0, INT64_MAX);
    if (at == -2) return false;
    *result = BOOL_VAL(at >= 0);
    return true;
}

static bool tuple_hash_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    uint64_t h;
    if (!hash_tuple(vm, AS_TUPLE(args[0]), &h)) return false;
    *result = INT_VAL((int64_t)h);
    return true;
}

static bool tuple_add(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "tuple.__add__", nargs - 1, kwnames)) return false;
    if (!IS_TUPLE(args[1])) {
        if (seq_other_may_handle(vm, args[1], "__radd__")) {
            *result = vm->not_implemented;
            return true;
        }
        return vm_raise(vm, vm->TypeError, "can only concatenate tuple (not \"%s\") to tuple",
                        vm_type_name(vm, args[1]));
    }
    ObjTuple *a = AS_TUPLE(args[0]), *b = AS_TUPLE(args[1]);
    ObjTuple *out = tuple_try_new(vm, a->count + b->count);
    if (!out) return false;
    values_move(out->items, a->items, a->count);
    values_move(out->items + a->count, b->items, b->count);
    *result = OBJ_VAL(out);
    return true;
}

static bool tuple_mul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "tuple.__mul__", nargs - 1, kwnames)) return false;
    int64_t n;
    int r = seq_repeat_count(vm, args[1], &n);
    if (r <= 0) {
        *result = vm->not_implemented;
        return r == 0;
    }
    ObjTuple *a = AS_TUPLE(args[0]);
    if (n == 1 && vm_class_of(vm, args[0]) == vm->tuple_class) {
        *result = args[0];
        return true;
    }
    if (n > 0 && a->count > (SIZE_MAX / (2 * sizeof(Value))) / (size_t)n)
        return vm_raise_memory_error(vm);
    ObjTuple *out = tuple_try_new(vm, a->count * (size_t)n);
    if (!out) return false;
    if (a->count) // an empty sequence repeats at once however large n is
        for (int64_t k = 0; k < n; k++) values_move(out->items + (size_t)k * a->count, a->items, a->count);
    *result = OBJ_VAL(out);
    return true;
}

static bool tuple_cmp(Vm *vm, Value *args, int nargs, int op, Value *result) {
    if (nargs != 2 || !IS_TUPLE(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    return list_seq_compare(vm, op, args[0], args[1], result);
}

static bool tuple_eq(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return tuple_cmp(vm, args, nargs, CMP_EQ, r); }
static bool tuple_ne(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return tuple_cmp(vm, args, nargs, CMP_NE, r); }
static bool tuple_lt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return tuple_cmp(vm, args, nargs, CMP_LT, r); }
static bool tuple_le(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return tuple_cmp(vm, args, nargs, CMP_LE, r); }
static bool tuple_gt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return tuple_cmp(vm, args, nargs, CMP_GT, r); }
static bool tuple_ge(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return tuple_cmp(vm, args, nargs, CMP_GE, r); }

static bool tuple_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjTuple *t = AS_TUPLE(args[0]);
    if (t->count == 0) {
        *result = OBJ_VAL(str_from_c(vm, "()"));
        return true;
    }
    int entered = list_repr_enter(vm, &t->obj);
    if (entered < 0) return false;
    if (entered) {
        *result = OBJ_VAL(str_from_c(vm, "(...)"));
        return true;
    }
    StrBuf sb;
    sb_init(&sb);
    sb_putc(&sb, '(');
    for (size_t i = 0; i < t->count; i++) {
        if (i) sb_puts(&sb, ", ");
        ObjStr *s = vm_repr(vm, t->items[i]);
        if (!s) {
            sb_free(&sb);
            list_repr_leave(vm, &t->obj);
            return false;
        }
        sb_append(&sb, s->chars, s->length);
    }
    if (t->count == 1) sb_putc(&sb, ',');
    sb_putc(&sb, ')');
    list_repr_leave(vm, &t->obj);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// index: the next position.  Exhausted iterators drop their tuple.
static int tuple_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if (!IS_TUPLE(it->source)) return 0;
    ObjTuple *t = AS_TUPLE(it->source);
    if (it->index < (int64_t)t->count) {
        *out = t->items[it->index++];
        return 1;
    }
    it->source = NONE_VAL();
    return 0;
}

static bool tuple_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(iter_new(vm, container_iter_class_of(vm, vm->tuple_class, vm->s_iter), tuple_iter_next, args[0]));
    return true;
}

// ---- methods ------------------------------------------------------------------------------------

static bool tuple_index(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "tuple.index", nargs - 1, kwnames, 1, 3)) return false;
    int64_t lo, hi;
    if (!list_index_bounds(vm, nargs > 2 ? args[2] : EMPTY_VAL(), nargs > 3 ? args[3] : EMPTY_VAL(),
                           (int64_t)AS_TUPLE(args[0])->count, &lo, &hi))
        return false;
    int64_t at = list_seq_find(vm, args[0], args[1], lo, hi);
    if (at == -2) return false;
    if (at < 0) return vm_raise(vm, vm->ValueError, "tuple.index(x): x not in tuple");
    *result = INT_VAL(at);
    return true;
}

static bool tuple_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "tuple.count", nargs - 1, kwnames)) return false;
    ObjTuple *t = AS_TUPLE(args[0]);
    int64_t count = 0;
    for (size_t i = 0; i < t->count; i++) {
        if (value_is(t->items[i], args[1])) {
            count++;
            continue;
        }
        bool eq;
        if (!vm_equal(vm, t->items[i], args[1], &eq)) return false;
        count += eq;
    }
    *result = INT_VAL(count);
    return true;
}

void runtime_init_tuple(Vm *vm) {
    ObjClass *cls = vm->tuple_class;
    define_methods(vm, cls, (MethodDef[]){
        {"__new__", tuple_new_native}, {"__getitem__", tuple_getitem}, {"__len__", tuple_len},
        {"__iter__", tuple_iter}, {"__contains__", tuple_contains}, {"__hash__", tuple_hash_native},
        {"__add__", tuple_add}, {"__mul__", tuple_mul}, {"__rmul__", tuple_mul},
        {"__eq__", tuple_eq}, {"__ne__", tuple_ne}, {"__lt__", tuple_lt}, {"__le__", tuple_le},
        {"__gt__", tuple_gt}, {"__ge__", tuple_ge}, {"__repr__", tuple_repr},
        {"index", tuple_index}, {"count", tuple_count},
        {NULL, NULL}});
    container_iter_class(vm, "tuple_iterator", cls, "__iter__");
}
