/* list: the mutable sequence, its iterators, and what list and tuple share (comparison, index()).
 *
 * An ObjList is a growable array of Values (`count` used out of `capacity`).  It grows as
 * CPython's does (about 1/8 extra), always through GC_ARRAY so the collector's byte count stays
 * right.  Every operation re-reads `count` and `items` after calling anything that may run user
 * code (__eq__, __repr__, a key function): that code may have changed the list.
 *
 * This file also owns the repr guard every container repr uses (container.h).
 */
#include <string.h>

#include "container.h"

// ---- the repr guard -----------------------------------------------------------------------------

// The containers whose repr is in progress, innermost last, each with the thread doing it (a
// container another thread is printing is not a cycle for this one, as CPython's guard is per
// thread).  Plain pointers: each one is being repr'd by a native further up a C stack, which
// keeps it rooted.
typedef struct {
    Obj *obj;
    ThreadState *thread;
} ReprEntry;
static ReprEntry *repr_stack;
static size_t repr_count, repr_capacity;

int list_repr_enter(Vm *vm, Obj *obj) {
    ThreadState *me = vm_thread_current();
    for (size_t i = 0; i < repr_count; i++)
        if (repr_stack[i].obj == obj && repr_stack[i].thread == me) return 1;
    if (!vm_enter_c_level(vm, REPR_WHERE)) return -1;
    if (repr_count == repr_capacity) {
        repr_capacity = repr_capacity ? repr_capacity * 2 : 16;
        repr_stack = realloc(repr_stack, sizeof(ReprEntry) * repr_capacity);
        if (!repr_stack) abort();
    }
    repr_stack[repr_count++] = (ReprEntry){obj, me};
    return 0;
}

void list_repr_leave(Vm *vm, Obj *obj) {
    vm_leave_c_level(vm);
    // Leaves happen in reverse order of enters (within a thread); search anyway so a mismatch
    // cannot corrupt.
    ThreadState *me = vm_thread_current();
    for (size_t i = repr_count; i > 0; i--) {
        if (repr_stack[i - 1].obj == obj && repr_stack[i - 1].thread == me) {
            memmove(&repr_stack[i - 1], &repr_stack[i], sizeof(ReprEntry) * (repr_count - i));
            repr_count--;
            return;
        }
    }
}

// The items must belong to a rooted object (they are read after the allocation).  NULL with
// MemoryError raised.
static ObjList *list_from_items(Vm *vm, const Value *items, size_t n) {
    ObjList *l = list_try_new(vm, n);
    if (!l) return NULL;
    values_move(l->items, items, n);
    l->count = n;
    return l;
}

// ---- what list and tuple share ------------------------------------------------------------------

static void seq_items(Value v, Value **items, size_t *count) {
    if (IS_LIST(v)) {
        *items = AS_LIST(v)->items;
        *count = AS_LIST(v)->count;
    } else {
        *items = AS_TUPLE(v)->items;
        *count = AS_TUPLE(v)->count;
    }
}

static bool compare_sizes(int op, size_t a, size_t b) {
    switch (op) {
    case CMP_EQ: return a == b;
    case CMP_NE: return a != b;
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    default: return a >= b;
    }
}

static bool seq_compare(Vm *vm, int op, Value a, Value b, Value *out) {
    Value *ia, *ib;
    size_t na, nb;
    seq_items(a, &ia, &na);
    seq_items(b, &ib, &nb);
    if (IS_LIST(a) && na != nb && (op == CMP_EQ || op == CMP_NE)) {
        *out = BOOL_VAL(op == CMP_NE); // lists of different lengths differ
        return true;
    }
    size_t i = 0;
    for (;; i++) {
        seq_items(a, &ia, &na);
        seq_items(b, &ib, &nb);
        if (i >= na || i >= nb) break;
        Value x = ia[i], y = ib[i];
        if (value_is(x, y)) continue;
        bool eq;
        if (!vm_equal(vm, x, y, &eq)) return false;
        if (!eq) break;
    }
    seq_items(a, &ia, &na);
    seq_items(b, &ib, &nb);
    if (i >= na || i >= nb) {
        *out = BOOL_VAL(compare_sizes(op, na, nb));
        return true;
    }
    if (op == CMP_EQ || op == CMP_NE) {
        *out = BOOL_VAL(op == CMP_NE);
        return true;
    }
    return vm_compare(vm, op, ia[i], ib[i], out);
}

bool list_seq_compare(Vm *vm, int op, Value a, Value b, Value *out) {
    if (!vm_enter_c_level(vm, COMPARE_WHERE)) return false;
    bool ok = seq_compare(vm, op, a, b, out);
    vm_leave_c_level(vm);
    return ok;
}

// 1 when x is (or equals) y, 0 if not, -1 on error: PyObject_RichCompareBool(x, y, Py_EQ).
static int same_or_equal(Vm *vm, Value x, Value y) {
    if (value_is(x, y)) return 1;
    bool eq;
    if (!vm_equal(vm, x, y, &eq)) return -1;
    return eq;
}

int64_t list_seq_find(Vm *vm, Value seq, Value value, int64_t start, int64_t stop) {
    for (int64_t i = start; i < stop; i++) {
        Value *items;
        size_t n;
        seq_items(seq, &items, &n);
        if (i >= (int64_t)n) break;
        int r = same_or_equal(vm, items[i], value);
        if (r < 0) return -2;
        if (r) return i;
    }
    return -1;
}

// A start/stop argument of index(): an int (or __index__), clamped as a slice bound.
static bool index_bound(Vm *vm, Value v, int64_t len, int64_t *out) {
    if (!IS_INTLIKE(v) && IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_index)))
        return vm_raise(vm, vm->TypeError, "slice indices must be integers or have an __index__ method");
    int64_t i;
    if (IS_BIGINT(v)) i = mpz_sgn(AS_BIGINT(v)->value) < 0 ? -INT64_MAX : INT64_MAX; // clamped
    else if (!vm_index_value(vm, v, &i)) return false;
    if (i < 0) {
        i += len;
        if (i < 0) i = 0;
    }
    *out = i;
    return true;
}

bool list_index_bounds(Vm *vm, Value start, Value stop, int64_t len, int64_t *lo, int64_t *hi) {
    *lo = 0;
    *hi = INT64_MAX;
    if (!IS_EMPTY(start) && !index_bound(vm, start, len, lo)) return false;
    if (!IS_EMPTY(stop) && !index_bound(vm, stop, len, hi)) return false;
    return true;
}

// ---- construction -------------------------------------------------------------------------------

// list.__new__(cls, *args): an exact list is filled here; a subclass is filled by __init__, which
// its own __init__ may call through super() with arguments of its choosing.
static bool list_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    bool exact = cls == vm->list_class;
    if (exact && !arity_range(vm, "list", nargs - 1, kwnames, 0, 1)) return false;
    ObjList *list = list_new(vm, 0);
    list->obj.cls = cls;
    if (exact && nargs == 2) {
        vm_push_root(vm, OBJ_VAL(list));
        bool ok = list_extend(vm, list, args[1]);
        vm_pop_root(vm);
        if (!ok) return false;
    }
    *result = OBJ_VAL(list);
    return true;
}

static bool list_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "list", nargs - 1, kwnames, 0, 1)) return false;
    ObjList *list = AS_LIST(args[0]);
    *result = NONE_VAL();
    if (vm_class_of(vm, args[0]) == vm->list_class) return true; // filled by __new__
    list->count = 0;
    return nargs == 2 ? list_extend(vm, list, args[1]) : true;
}

// ---- subscripts ---------------------------------------------------------------------------------

// Normalises an int index into [0, count), or raises IndexError with msg.
static bool list_position(Vm *vm, ObjList *list, int64_t i, const char *msg, size_t *out) {
    if (i < 0) i += (int64_t)list->count;
    if (i < 0 || i >= (int64_t)list->count) return vm_raise(vm, vm->IndexError, "%s", msg);
    *out = (size_t)i;
    return true;
}

static bool list_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.__getitem__", nargs - 1, kwnames)) return false;
    ObjList *list = AS_LIST(args[0]);
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, n;
        if (!slice_indices(vm, AS_SLICE(args[1]), (int64_t)list->count, &start, &stop, &step, &n))
            return false;
        ObjList *out = list_try_new(vm, (size_t)n);
        if (!out) return false;
        for (int64_t k = 0, i = start; k < n; k++, i += step) out->items[k] = list->items[i];
        out->count = (size_t)n;
        *result = OBJ_VAL(out);
        return true;
    }
    int64_t i;
    size_t pos = 0;
    if (!seq_index_key(vm, args[1], "list", &i)) return false;
    if (!list_position(vm, list, i, "list index out of range", &pos)) return false;
    *result = list->items[pos];
    return true;
}

// The items of an assigned value, as a fresh rooted list (caller pops one root), or NULL.
// Not iterable: TypeError with `msg`, as CPython's PySequence_Fast.
static ObjList *assigned_items(Vm *vm, Value v, const char *msg) {
    Value it;
    if (!vm_iter(vm, v, &it)) {
        if (vm_exception_matches(vm, vm->TypeError)) {
            vm_clear_exception(vm);
            vm_raise(vm, vm->TypeError, "%s", msg);
        }
        return NULL;
    }
    vm_push_root(vm, it);
    ObjList *items = vm_list_from_iterable(vm, it);
    vm_pop_root(vm);
    if (items) vm_push_root(vm, OBJ_VAL(items));
    return items;
}

// list[lo:hi] = items (items NULL deletes); lo and hi are clamped as CPython's list_ass_slice.
static void replace_range(Vm *vm, ObjList *list, int64_t lo, int64_t hi, ObjList *items) {
    int64_t count = (int64_t)list->count;
    if (lo < 0) lo = 0;
    else if (lo > count) lo = count;
    if (hi < lo) hi = lo;
    else if (hi > count) hi = count;
    size_t n = items ? items->count : 0;
    size_t removed = (size_t)(hi - lo);
    size_t tail = (size_t)(count - hi);
    if (n > removed) list_reserve(vm, list, list->count + n - removed);
    // An empty list may have no array at all: no address is formed when nothing moves.
    if (tail > 0) values_move(&list->items[lo + (int64_t)n], &list->items[hi], tail);
    if (n > 0) values_move(&list->items[lo], items->items, n);
    list->count = list->count + n - removed;
}

// Deletes the items start, start+step, ... (n of them), keeping the others in order.
static void delete_extended(ObjList *list, int64_t start, int64_t step, int64_t n) {
    if (step < 0) { // walk the same items left to right
        start = start + step * (n - 1);
        step = -step;
    }
    size_t w = (size_t)start;
    int64_t next = start, left = n;
    for (size_t r = (size_t)start; r < list->count; r++) {
        if (left > 0 && (int64_t)r == next) {
            next += step;
            left--;
            continue;
        }
        list->items[w++] = list->items[r];
    }
    list->count = w;
}

static bool assign_slice(Vm *vm, ObjList *list, ObjSlice *slice, Value value) {
    int64_t start, stop, step, n;
    if (!slice_indices(vm, slice, (int64_t)list->count, &start, &stop, &step, &n)) return false;
    if (step == 1) {
        ObjList *items = assigned_items(vm, value, "can only assign an iterable");
        if (!items) return false;
        replace_range(vm, list, start, stop, items);
        vm_pop_root(vm);
        return true;
    }
    ObjList *items = assigned_items(vm, value, "must assign iterable to extended slice");
    if (!items) return false;
    vm_pop_root(vm); // no allocation below
    if ((int64_t)items->count != n)
        return vm_raise(vm, vm->ValueError,
                        "attempt to assign sequence of size %zu to extended slice of size %lld",
                        items->count, (long long)n);
    for (int64_t k = 0, i = start; k < n && i >= 0 && i < (int64_t)list->count; k++, i += step)
        list->items[i] = items->items[k];
    return true;
}

static bool list_setitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "list.__setitem__", nargs - 1, kwnames, 2, 2)) return false;
    ObjList *list = AS_LIST(args[0]);
    *result = NONE_VAL();
    if (IS_SLICE(args[1])) return assign_slice(vm, list, AS_SLICE(args[1]), args[2]);
    int64_t i;
    size_t pos = 0;
    if (!seq_index_key(vm, args[1], "list", &i)) return false;
    if (!list_position(vm, list, i, "list assignment index out of range", &pos)) return false;
    list->items[pos] = args[2];
    return true;
}

static bool list_delitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.__delitem__", nargs - 1, kwnames)) return false;
    ObjList *list = AS_LIST(args[0]);
    *result = NONE_VAL();
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, n;
        if (!slice_indices(vm, AS_SLICE(args[1]), (int64_t)list->count, &start, &stop, &step, &n))
            return false;
        if (step == 1) replace_range(vm, list, start, stop, NULL);
        else if (n > 0) delete_extended(list, start, step, n);
        return true;
    }
    int64_t i;
    size_t pos = 0;
    if (!seq_index_key(vm, args[1], "list", &i)) return false;
    if (!list_position(vm, list, i, "list assignment index out of range", &pos)) return false;
    values_move(&list->items[pos], &list->items[pos + 1], list->count - pos - 1);
    list->count--;
    return true;
}

// ---- operators ----------------------------------------------------------------------------------

static bool list_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL((int64_t)AS_LIST(args[0])->count);
    return true;
}

static bool list_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.__contains__", nargs - 1, kwnames)) return false;
    int64_t at = list_seq_find(vm, args[0], args[1], 0, INT64_MAX);
    if (at == -2) return false;
    *result = BOOL_VAL(at >= 0);
    return true;
}

static bool list_add(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.__add__", nargs - 1, kwnames)) return false;
    if (!IS_LIST(args[1])) {
        if (seq_other_may_handle(vm, args[1], "__radd__")) {
            *result = vm->not_implemented;
            return true;
        }
        return vm_raise(vm, vm->TypeError, "can only concatenate list (not \"%s\") to list",
                        vm_type_name(vm, args[1]));
    }
    ObjList *a = AS_LIST(args[0]), *b = AS_LIST(args[1]);
    ObjList *out = list_try_new(vm, a->count + b->count);
    if (!out) return false;
    values_move(out->items, a->items, a->count);
    if (b->count) values_move(out->items + a->count, b->items, b->count); // [] + []: items is NULL
    out->count = a->count + b->count;
    *result = OBJ_VAL(out);
    return true;
}

static bool list_iadd(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.__iadd__", nargs - 1, kwnames)) return false;
    if (!list_extend(vm, AS_LIST(args[0]), args[1])) return false;
    *result = args[0];
    return true;
}

int seq_repeat_count(Vm *vm, Value n, int64_t *out) {
    if (IS_BIGINT(n)) return repeat_count_too_big(vm), -1;
    if (IS_INTLIKE(n) || !IS_EMPTY(class_lookup(vm_class_of(vm, n), vm->s_index))) {
        if (!vm_index_value(vm, n, out)) return -1;
        if (*out < 0) *out = 0;
        return 1;
    }
    if (seq_other_may_handle(vm, n, "__rmul__")) return 0;
    vm_raise(vm, vm->TypeError, "can't multiply sequence by non-int of type '%s'", vm_type_name(vm, n));
    return -1;
}

// Refuses results that could not be allocated (CPython raises MemoryError from the allocator).
static bool check_repeat_size(Vm *vm, size_t count, int64_t n) {
    if (n > 0 && count > (SIZE_MAX / (2 * sizeof(Value))) / (size_t)n)
        return vm_raise_memory_error(vm);
    return true;
}

// The count n of `list * n` and `list *= n` (`name`): 1 with *n set, 0 when the operand is no
// count (*result is NotImplemented), -1 with an exception pending.
static int repeat_operand(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames, int64_t *n,
                          Value *result) {
    if (!arity_one(vm, name, nargs - 1, kwnames)) return -1;
    int r = seq_repeat_count(vm, args[1], n);
    if (r <= 0) {
        *result = vm->not_implemented;
        return r == 0 ? 0 : -1;
    }
    return check_repeat_size(vm, AS_LIST(args[0])->count, *n) ? 1 : -1;
}

static bool list_mul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t n;
    int r = repeat_operand(vm, "list.__mul__", args, nargs, kwnames, &n, result);
    if (r <= 0) return r == 0;
    ObjList *a = AS_LIST(args[0]);
    size_t total = a->count * (size_t)n;
    ObjList *out = list_try_new(vm, total);
    if (!out) return false;
    if (a->count) // an empty sequence repeats at once however large n is
        for (int64_t k = 0; k < n; k++) values_move(out->items + (size_t)k * a->count, a->items, a->count);
    out->count = total;
    *result = OBJ_VAL(out);
    return true;
}

static bool list_imul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t n;
    int r = repeat_operand(vm, "list.__imul__", args, nargs, kwnames, &n, result);
    if (r <= 0) return r == 0;
    ObjList *a = AS_LIST(args[0]);
    size_t count = a->count;
    if (!list_reserve(vm, a, count * (size_t)n)) return false;
    if (count) // an empty list stays empty however large n is
        for (int64_t k = 1; k < n; k++) values_move(a->items + (size_t)k * count, a->items, count);
    a->count = count * (size_t)n;
    *result = args[0];
    return true;
}

// The six comparisons: both operands must be lists, else NotImplemented.
static bool list_cmp(Vm *vm, Value *args, int nargs, int op, Value *result) {
    if (nargs != 2 || !IS_LIST(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    return list_seq_compare(vm, op, args[0], args[1], result);
}

static bool list_eq(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return list_cmp(vm, args, nargs, CMP_EQ, r); }
static bool list_ne(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return list_cmp(vm, args, nargs, CMP_NE, r); }
static bool list_lt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return list_cmp(vm, args, nargs, CMP_LT, r); }
static bool list_le(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return list_cmp(vm, args, nargs, CMP_LE, r); }
static bool list_gt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return list_cmp(vm, args, nargs, CMP_GT, r); }
static bool list_ge(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return list_cmp(vm, args, nargs, CMP_GE, r); }

static bool list_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjList *list = AS_LIST(args[0]);
    if (list->count == 0) {
        *result = OBJ_VAL(str_from_c(vm, "[]"));
        return true;
    }
    int entered = list_repr_enter(vm, &list->obj);
    if (entered < 0) return false;
    if (entered) {
        *result = OBJ_VAL(str_from_c(vm, "[...]"));
        return true;
    }
    StrBuf sb;
    sb_init(&sb);
    sb_putc(&sb, '[');
    for (size_t i = 0; i < list->count; i++) { // count re-read: a __repr__ may shrink the list
        if (i) sb_puts(&sb, ", ");
        ObjStr *s = vm_repr(vm, list->items[i]);
        if (!s) {
            sb_free(&sb);
            list_repr_leave(vm, &list->obj);
            return false;
        }
        sb_append(&sb, s->chars, s->length);
    }
    sb_putc(&sb, ']');
    list_repr_leave(vm, &list->obj);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// ---- iterators ----------------------------------------------------------------------------------

// index: the next position.  Once exhausted the source is dropped, so later appends stay unseen.
static int list_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if (!IS_LIST(it->source)) return 0;
    ObjList *list = AS_LIST(it->source);
    if (it->index < (int64_t)list->count) {
        *out = list->items[it->index++];
        return 1;
    }
    it->source = NONE_VAL();
    return 0;
}

// index: the next position, counting down.
static int list_reviter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if (!IS_LIST(it->source)) return 0;
    ObjList *list = AS_LIST(it->source);
    if (it->index >= 0 && it->index < (int64_t)list->count) {
        *out = list->items[it->index--];
        return 1;
    }
    it->index = -1;
    it->source = NONE_VAL();
    return 0;
}

static bool list_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(iter_new(vm, container_iter_class_of(vm, vm->list_class, vm->s_iter), list_iter_next, args[0]));
    return true;
}

static bool list_reversed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjIter *it = iter_new(vm, container_iter_class_of(vm, vm->list_class, vm->s_reversed), list_reviter_next, args[0]);
    it->index = (int64_t)AS_LIST(args[0])->count - 1;
    *result = OBJ_VAL(it);
    return true;
}

// ---- methods ------------------------------------------------------------------------------------

static bool list_append_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.append", nargs - 1, kwnames)) return false;
    if (!list_try_append(vm, AS_LIST(args[0]), args[1])) return false;
    *result = NONE_VAL();
    return true;
}

static bool list_extend_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.extend", nargs - 1, kwnames)) return false;
    *result = NONE_VAL();
    return list_extend(vm, AS_LIST(args[0]), args[1]);
}

static bool list_insert(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "list.insert", nargs - 1, kwnames, 2, 2)) return false;
    int64_t i;
    if (!vm_index_value(vm, args[1], &i)) return false;
    ObjList *list = AS_LIST(args[0]);
    int64_t n = (int64_t)list->count;
    if (i < 0) {
        i += n;
        if (i < 0) i = 0;
    } else if (i > n) {
        i = n;
    }
    if (!list_reserve(vm, list, list->count + 1)) return false;
    values_move(&list->items[i + 1], &list->items[i], (size_t)(n - i));
    list->items[i] = args[2];
    list->count++;
    *result = NONE_VAL();
    return true;
}

static bool list_pop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "list.pop", nargs - 1, kwnames, 0, 1)) return false;
    int64_t i = -1;
    if (nargs == 2 && !vm_index_value(vm, args[1], &i)) return false;
    ObjList *list = AS_LIST(args[0]);
    if (list->count == 0) return vm_raise(vm, vm->IndexError, "pop from empty list");
    size_t pos = 0;
    if (!list_position(vm, list, i, "pop index out of range", &pos)) return false;
    *result = list->items[pos];
    values_move(&list->items[pos], &list->items[pos + 1], list->count - pos - 1);
    list->count--;
    return true;
}

static bool list_remove(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.remove", nargs - 1, kwnames)) return false;
    ObjList *list = AS_LIST(args[0]);
    int64_t at = list_seq_find(vm, args[0], args[1], 0, INT64_MAX);
    if (at == -2) return false;
    if (at < 0) return vm_raise(vm, vm->ValueError, "list.remove(x): x not in list");
    values_move(&list->items[at], &list->items[at + 1], list->count - (size_t)at - 1);
    list->count--;
    *result = NONE_VAL();
    return true;
}

static bool list_index(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "list.index", nargs - 1, kwnames, 1, 3)) return false;
    int64_t lo, hi;
    if (!list_index_bounds(vm, nargs > 2 ? args[2] : EMPTY_VAL(), nargs > 3 ? args[3] : EMPTY_VAL(),
                           (int64_t)AS_LIST(args[0])->count, &lo, &hi))
        return false;
    int64_t at = list_seq_find(vm, args[0], args[1], lo, hi);
    if (at == -2) return false;
    if (at < 0) {
        ObjStr *r = vm_repr(vm, args[1]);
        if (!r) return false;
        return vm_raise(vm, vm->ValueError, "%s is not in list", r->chars);
    }
    *result = INT_VAL(at);
    return true;
}

static bool list_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "list.count", nargs - 1, kwnames)) return false;
    int64_t count = 0;
    for (size_t i = 0; i < AS_LIST(args[0])->count; i++) {
        int r = same_or_equal(vm, AS_LIST(args[0])->items[i], args[1]);
        if (r < 0) return false;
        count += r;
    }
    *result = INT_VAL(count);
    return true;
}

static bool list_sort(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int given = nargs - 1 + (kwnames ? (int)kwnames->count : 0);
    if (given > 2) return vm_raise(vm, vm->TypeError, "sort() takes at most 2 arguments (%d given)", given);
    if (nargs > 1) return vm_raise(vm, vm->TypeError, "sort() takes no positional arguments");
    static const char *const names[] = {"key", "reverse", NULL};
    Value opt[2] = {NONE_VAL(), INT_VAL(0)};
    if (!arity_keywords(vm, "sort", kwnames, args + nargs, names, opt)) return false;
    int64_t reverse;
    if (!vm_index_value(vm, opt[1], &reverse)) return false;
    *result = NONE_VAL();
    return sort_list(vm, AS_LIST(args[0]), opt[0], reverse != 0);
}

static bool list_reverse(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "list.reverse", nargs - 1, kwnames)) return false;
    ObjList *list = AS_LIST(args[0]);
    for (size_t i = 0, j = list->count; i + 1 < j; i++, j--) {
        Value t = list->items[i];
        list->items[i] = list->items[j - 1];
        list->items[j - 1] = t;
    }
    *result = NONE_VAL();
    return true;
}

static bool list_copy(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "list.copy", nargs - 1, kwnames)) return false;
    ObjList *list = AS_LIST(args[0]);
    ObjList *copy = list_from_items(vm, list->items, list->count);
    if (!copy) return false;
    *result = OBJ_VAL(copy);
    return true;
}

static bool list_clear(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_none(vm, "list.clear", nargs - 1, kwnames)) return false;
    ObjList *list = AS_LIST(args[0]);
    gc_realloc(vm, list->items, sizeof(Value) * list->capacity, 0);
    list->items = NULL;
    list->count = list->capacity = 0;
    *result = NONE_VAL();
    return true;
}

void runtime_init_list(Vm *vm) {
    ObjClass *cls = vm->list_class;
    define_methods(vm, cls, (MethodDef[]){
        {"__new__", list_new_native}, {"__init__", list_init},
        {"__getitem__", list_getitem}, {"__setitem__", list_setitem}, {"__delitem__", list_delitem},
        {"__len__", list_len}, {"__iter__", list_iter}, {"__reversed__", list_reversed},
        {"__contains__", list_contains}, {"__add__", list_add}, {"__iadd__", list_iadd},
        {"__mul__", list_mul}, {"__rmul__", list_mul}, {"__imul__", list_imul},
        {"__eq__", list_eq}, {"__ne__", list_ne}, {"__lt__", list_lt}, {"__le__", list_le},
        {"__gt__", list_gt}, {"__ge__", list_ge}, {"__repr__", list_repr},
        {"append", list_append_m}, {"extend", list_extend_m}, {"insert", list_insert},
        {"pop", list_pop}, {"remove", list_remove}, {"index", list_index}, {"count", list_count},
        {"sort", list_sort}, {"reverse", list_reverse}, {"copy", list_copy}, {"clear", list_clear},
        {NULL, NULL}});
    dict_set_cstr(vm, cls->dict, "__hash__", NONE_VAL());
    container_iter_class(vm, "list_iterator", cls, "__iter__");
    container_iter_class(vm, "list_reverseiterator", cls, "__reversed__");
}
