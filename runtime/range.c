/* range and slice: the two objects that describe runs of indices.
 *
 * A range is (start, stop, step) with step != 0; its length, membership and items are computed, never
 * stored.  Lengths are worked out in unsigned arithmetic so that ranges spanning most of the int64
 * line still measure correctly.  A range with a bound beyond int64 is "wide" (r->wide set): each
 * operation hands those to range_wide.c.
 *
 * A slice holds three arbitrary values (None when omitted).  slice_indices turns one into concrete
 * bounds for a sequence of a given length, with exactly CPython's rules (PySlice_Unpack followed by
 * PySlice_AdjustIndices), which every sequence type's __getitem__ uses.
 */
#include "container.h"
#include "number.h"
#include "range_wide.h"

// ---- range arithmetic ---------------------------------------------------------------------------

// The number of items, as an unsigned count (may exceed INT64_MAX for huge ranges).
static uint64_t range_length(const ObjRange *r) {
    if (r->step > 0 && r->start < r->stop)
        return ((uint64_t)r->stop - (uint64_t)r->start - 1) / (uint64_t)r->step + 1;
    if (r->step < 0 && r->start > r->stop)
        return ((uint64_t)r->start - (uint64_t)r->stop - 1) / (0 - (uint64_t)r->step) + 1;
    return 0;
}

static bool range_len_checked(Vm *vm, const ObjRange *r, int64_t *out) {
    uint64_t n = range_length(r);
    if (n > (uint64_t)INT64_MAX)
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C ssize_t");
    *out = (int64_t)n;
    return true;
}

// start + i * step for 0 <= i < length: never overflows, since the result lies within the range.
static int64_t range_item(const ObjRange *r, uint64_t i) {
    return (int64_t)((uint64_t)r->start + i * (uint64_t)r->step);
}

// Whether the int v is one of the range's items.
static bool range_has_int(const ObjRange *r, int64_t v) {
    if (r->step > 0) {
        if (v < r->start || v >= r->stop) return false;
        return ((uint64_t)v - (uint64_t)r->start) % (uint64_t)r->step == 0;
    }
    if (v > r->start || v <= r->stop) return false;
    return ((uint64_t)r->start - (uint64_t)v) % (0 - (uint64_t)r->step) == 0;
}

// ---- construction -------------------------------------------------------------------------------

// A bound: an int of any size, or an object with __index__.
static bool range_arg(Vm *vm, Value v, Value *out) {
    if (IS_INTEGER(v)) {
        *out = v;
        return true;
    }
    int64_t small;
    if (IS_OBJ(v) && !IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_index)))
        return num_index_value(vm, v, out);
    if (!vm_index_value(vm, v, &small)) return false; // raises the TypeError
    *out = INT_VAL(small);
    return true;
}

static bool range_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int n = nargs - 1;
    if (!arity_range(vm, "range", n, kwnames, 1, 3)) return false;
    Value start = INT_VAL(0), stop, step = INT_VAL(1);
    if (n == 1) {
        if (!range_arg(vm, args[1], &stop)) return false;
    } else {
        if (!range_arg(vm, args[1], &start) || !range_arg(vm, args[2], &stop)) return false;
        if (n == 3) {
            if (!range_arg(vm, args[3], &step)) return false;
            if (IS_INTLIKE(step) && AS_INTLIKE(step) == 0)
                return vm_raise(vm, vm->ValueError, "range() arg 3 must not be zero");
        }
    }
    vm_push_root(vm, start);
    vm_push_root(vm, stop);
    vm_push_root(vm, step);
    *result = OBJ_VAL(range_from_ints(vm, start, stop, step));
    vm_pop_roots(vm, 3);
    return true;
}

// ---- sequence protocol --------------------------------------------------------------------------

static bool range_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t n = 0;
    ObjRange *r = AS_RANGE(args[0]);
    if (r->wide ? !range_len_value(vm, r, &n) : !range_len_checked(vm, r, &n)) return false;
    *result = INT_VAL(n);
    return true;
}

static bool range_bool(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjRange *r = AS_RANGE(args[0]);
    if (r->wide) {
        mpz_t n;
        range_length_mpz(r, n);
        *result = BOOL_VAL(mpz_sgn(n) != 0);
        mpz_clear(n);
        return true;
    }
    *result = BOOL_VAL(range_length(r) != 0);
    return true;
}

// range[start:stop:step] (indices already adjusted) computed on ints of any size: for wide ranges,
// and for plain ones whose sub-range bounds leave int64.
static bool slice_of_wide(Vm *vm, ObjRange *r, int64_t start, int64_t stop, int64_t step,
                          Value *result) {
    Value b[3], nb[3], t;
    range_bounds(r, b);
    int64_t k[3] = {start, stop, step};
    int rooted = 0;
    bool ok = true;
    for (int j = 0; j < 3 && ok; j++) {
        ok = num_int_values_op(vm, BINOP_MUL, INT_VAL(k[j]), b[2], &t) > 0;
        vm_push_root(vm, t);
        rooted++;
        if (ok && j < 2) {
            ok = num_int_values_op(vm, BINOP_ADD, b[0], t, &t) > 0;
            vm_push_root(vm, t);
            rooted++;
        }
        nb[j] = t;
    }
    if (ok) *result = OBJ_VAL(range_from_ints(vm, nb[0], nb[1], nb[2]));
    vm_pop_roots(vm, rooted);
    return ok;
}

static bool range_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "range.__getitem__", nargs - 1, kwnames)) return false;
    ObjRange *r = AS_RANGE(args[0]);
    if (IS_INTEGER(args[1]) && (r->wide || IS_BIGINT(args[1])))
        return range_index_item(vm, r, args[1], result);
    int64_t len = 0;
    if (r->wide ? !range_len_value(vm, r, &len) : !range_len_checked(vm, r, &len)) return false;
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, n;
        if (!slice_indices(vm, AS_SLICE(args[1]), len, &start, &stop, &step, &n)) return false;
        // The sub-range: r.start + start * r.step up to r.start + stop * r.step, by step * r.step
        // (start and stop may lie one step outside the range).
        int64_t nstart, nstop, nstep, t;
        if (!r->wide && !MUL_OVERFLOWS(step, r->step, &nstep) && !MUL_OVERFLOWS(start, r->step, &t) &&
            !ADD_OVERFLOWS(r->start, t, &nstart) && !MUL_OVERFLOWS(stop, r->step, &t) &&
            !ADD_OVERFLOWS(r->start, t, &nstop)) {
            *result = OBJ_VAL(range_new(vm, nstart, nstop, nstep));
            return true;
        }
        return slice_of_wide(vm, r, start, stop, step, result);
    }
    int64_t i;
    if (!seq_index_key(vm, args[1], "range", &i)) return false;
    if (i < 0) i += len;
    if (i < 0 || i >= len) return vm_raise(vm, vm->IndexError, "range object index out of range");
    *result = INT_VAL(range_item(r, (uint64_t)i));
    return true;
}

// Compares v with every item, for `in`, index() and count() of values that are not ints (they
// may still equal one, as 2.0 does).  Returns the first match's position (-1 when none), or with
// count_all the number of matches; -2 on error.
static int64_t range_scan(Vm *vm, ObjRange *r, Value v, bool count_all) {
    uint64_t n = range_length(r);
    int64_t hits = 0;
    for (uint64_t i = 0; i < n; i++) {
        bool eq;
        if (!vm_equal(vm, INT_VAL(range_item(r, i)), v, &eq)) return -2;
        if (eq) {
            if (!count_all) return (int64_t)i;
            hits++;
        }
    }
    return count_all ? hits : -1;
}

static bool range_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "range.__contains__", nargs - 1, kwnames)) return false;
    ObjRange *r = AS_RANGE(args[0]);
    if (IS_INTEGER(args[1]) && (r->wide || IS_BIGINT(args[1]))) {
        *result = BOOL_VAL(range_has_value(vm, r, args[1], NULL));
        return true;
    }
    if (IS_INTLIKE(args[1])) {
        *result = BOOL_VAL(range_has_int(r, AS_INTLIKE(args[1])));
        return true;
    }
    int64_t at = range_scan(vm, r, args[1], false);
    if (at == -2) return false;
    *result = BOOL_VAL(at >= 0);
    return true;
}

static bool range_index(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "range.index", nargs - 1, kwnames)) return false;
    ObjRange *r = AS_RANGE(args[0]);
    int64_t at;
    if (IS_INTEGER(args[1]) && (r->wide || IS_BIGINT(args[1]))) {
        if (range_has_value(vm, r, args[1], result)) return true;
        at = -1;
    } else if (IS_INTLIKE(args[1])) {
        int64_t v = AS_INTLIKE(args[1]);
        at = -1;
        if (range_has_int(r, v))
            at = r->step > 0 ? (int64_t)(((uint64_t)v - (uint64_t)r->start) / (uint64_t)r->step)
                             : (int64_t)(((uint64_t)r->start - (uint64_t)v) / (0 - (uint64_t)r->step));
    } else {
        at = range_scan(vm, r, args[1], false);
        if (at == -2) return false;
        // Only ints are named in the message: other values get the generic sequence one.
        if (at < 0) return vm_raise(vm, vm->ValueError, "sequence.index(x): x not in sequence");
    }
    if (at < 0) {
        ObjStr *s = vm_repr(vm, args[1]);
        if (!s) return false;
        return vm_raise(vm, vm->ValueError, "%s is not in range", s->chars);
    }
    *result = INT_VAL(at);
    return true;
}

static bool range_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "range.count", nargs - 1, kwnames)) return false;
    ObjRange *r = AS_RANGE(args[0]);
    if (IS_INTEGER(args[1]) && (r->wide || IS_BIGINT(args[1]))) {
        *result = INT_VAL(range_has_value(vm, r, args[1], NULL) ? 1 : 0);
        return true;
    }
    if (IS_INTLIKE(args[1])) {
        *result = INT_VAL(range_has_int(r, AS_INTLIKE(args[1])) ? 1 : 0);
        return true;
    }
    int64_t n = range_scan(vm, r, args[1], true);
    if (n == -2) return false;
    *result = INT_VAL(n);
    return true;
}

// Ranges are equal when they produce the same items: same length, and (if not empty) same first
// item, and (if longer than one) same step.
static bool range_same(const ObjRange *a, const ObjRange *b) {
    if (a->wide || b->wide) return range_equal(a, b);
    uint64_t n = range_length(a);
    if (n != range_length(b)) return false;
    if (n == 0) return true;
    if (a->start != b->start) return false;
    return n == 1 || a->step == b->step;
}

static bool range_eq(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || !IS_RANGE(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    *result = BOOL_VAL(range_same(AS_RANGE(args[0]), AS_RANGE(args[1])));
    return true;
}

static bool range_ne(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || !IS_RANGE(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    *result = BOOL_VAL(!range_same(AS_RANGE(args[0]), AS_RANGE(args[1])));
    return true;
}

// hash((len, start, step)), with None for what does not matter: equal ranges hash equally.
static bool range_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjRange *r = AS_RANGE(args[0]);
    if (r->wide) return range_hash_value(vm, r, result);
    uint64_t n = range_length(r);
    ObjTuple *t = tuple_new(vm, 3);
    t->items[0] = INT_VAL((int64_t)n);
    if (n > 0) t->items[1] = INT_VAL(r->start);
    if (n > 1) t->items[2] = INT_VAL(r->step);
    uint64_t h;
    vm_push_root(vm, OBJ_VAL(t));
    bool ok = hash_tuple(vm, t, &h);
    vm_pop_root(vm);
    if (!ok) return false;
    *result = INT_VAL((int64_t)h);
    return true;
}

static bool range_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjRange *r = AS_RANGE(args[0]);
    if (r->wide) {
        ObjStr *s = range_repr_value(vm, r);
        if (!s) return false;
        *result = OBJ_VAL(s);
        return true;
    }
    if (r->step == 1)
        *result = OBJ_VAL(str_printf(vm, "range(%lld, %lld)", (long long)r->start, (long long)r->stop));
    else
        *result = OBJ_VAL(str_printf(vm, "range(%lld, %lld, %lld)", (long long)r->start,
                                     (long long)r->stop, (long long)r->step));
    return true;
}

static bool range_start(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *result) {
    Value b[3];
    range_bounds(AS_RANGE(args[0]), b);
    *result = b[0];
    return true;
}

static bool range_stop(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *result) {
    Value b[3];
    range_bounds(AS_RANGE(args[0]), b);
    *result = b[1];
    return true;
}

static bool range_step(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *result) {
    Value b[3];
    range_bounds(AS_RANGE(args[0]), b);
    *result = b[2];
    return true;
}

// ---- iteration ----------------------------------------------------------------------------------

// The iterator keeps its own copy of the progression: index = the next item's position, limit = the
// length, and source = a range object (start, step) describing the items.
// The next item of a wide range (out of line: plain ranges are the loop everyone runs).
static __attribute__((noinline)) Value wide_iter_item(Vm *vm, ObjRange *r, int64_t index) {
    mpz_t i;
    mpz_init_set_ui(i, (unsigned long)index);
    Value v = range_item_value(vm, r, i);
    mpz_clear(i);
    return v;
}

static int range_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if ((uint64_t)it->index >= (uint64_t)it->limit) return 0;
    *out = INT_VAL(range_item(AS_RANGE(it->source), (uint64_t)it->index++));
    return 1;
}

// The iterator of a wide range: a next function of its own, so range_iter_next stays as short.
static int wide_range_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if ((uint64_t)it->index >= (uint64_t)it->limit) return 0;
    *out = wide_iter_item(vm, AS_RANGE(it->source), it->index++);
    return 1;
}

// The item count as the iterator's limit: a wide range may have more items than a uint64
// counts, but no loop gets that far.
static int64_t iteration_limit(const ObjRange *r) {
    if (!r->wide) return (int64_t)range_length(r);
    mpz_t n;
    range_length_mpz(r, n);
    int64_t limit = mpz_fits_ulong_p(n) ? (int64_t)mpz_get_ui(n) : -1; // -1: all ones unsigned
    mpz_clear(n);
    return limit;
}

static ObjIter *range_iterator(Vm *vm, ObjRange *r) {
    int64_t limit = iteration_limit(r); // before the iterator exists: this may collect
    ObjIter *it = iter_new(vm, container_iter_class_of(vm, vm->range_class, vm->s_iter),
                           r->wide ? wide_range_iter_next : range_iter_next, OBJ_VAL(r));
    it->limit = limit;
    return it;
}

static bool range_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(range_iterator(vm, AS_RANGE(args[0])));
    return true;
}

// reversed(range): iterates the mirrored range last, last - step, ...
static bool range_reversed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjRange *r = AS_RANGE(args[0]);
    if (r->wide) {
        // The mirror: from the last item down by -step (wide or not, as its bounds need).
        Value b[3], last, neg;
        int64_t limit = iteration_limit(r);
        range_bounds(r, b);
        mpz_t n;
        range_length_mpz(r, n);
        if (mpz_sgn(n) > 0) mpz_sub_ui(n, n, 1);
        last = range_item_value(vm, r, n);
        mpz_clear(n);
        vm_push_root(vm, last);
        if (big_unary_op(vm, UNARY_NEG, b[2], &neg) < 0) return false;
        vm_push_root(vm, neg);
        ObjRange *mirror = range_wide_new(vm, last, last, neg);
        vm_pop_roots(vm, 2);
        vm_push_root(vm, OBJ_VAL(mirror));
        ObjIter *it = iter_new(vm, container_iter_class_of(vm, vm->range_class, vm->s_iter), wide_range_iter_next, OBJ_VAL(mirror));
        vm_pop_root(vm);
        it->limit = limit;
        *result = OBJ_VAL(it);
        return true;
    }
    uint64_t n = range_length(r);
    int64_t last = n ? range_item(r, n - 1) : r->start;
    // A step of INT64_MIN cannot be negated; such a range has at most 2 items, and the mirrored
    // range only needs its (wrapped) step to reproduce them.
    ObjRange *mirror = range_new(vm, last, last, (int64_t)(0 - (uint64_t)r->step));
    vm_push_root(vm, OBJ_VAL(mirror));
    ObjIter *it = iter_new(vm, container_iter_class_of(vm, vm->range_class, vm->s_iter), range_iter_next, OBJ_VAL(mirror));
    vm_pop_root(vm);
    it->limit = (int64_t)n;
    *result = OBJ_VAL(it);
    return true;
}

// ---- slice --------------------------------------------------------------------------------------

// A slice bound: None stays absent (*given false); ints and __index__ objects give a value.
static bool slice_bound(Vm *vm, Value v, bool *given, int64_t *out) {
    *given = !IS_NONE(v);
    if (!*given) return true;
    if (!IS_INTLIKE(v) && IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_index)))
        return vm_raise(vm, vm->TypeError,
                        "slice indices must be integers or None or have an __index__ method");
    Value i;
    if (!num_index_value(vm, v, &i)) return false;
    // A bound beyond int64 is clamped, as CPython clips slice indices to its ssize_t range.
    if (!big_fits_int64(i, out)) *out = big_compare(i, INT_VAL(0)) < 0 ? -INT64_MAX : INT64_MAX;
    return true;
}

bool slice_indices(Vm *vm, ObjSlice *s, int64_t n, int64_t *start, int64_t *stop, int64_t *step,
                   int64_t *count) {
    bool given;
    int64_t st = 1;
    if (!slice_bound(vm, s->step, &given, &st)) return false;
    if (given && st == 0) return vm_raise(vm, vm->ValueError, "slice step cannot be zero");
    if (st < -INT64_MAX) st = -INT64_MAX; // so that -step cannot overflow
    int64_t lo, hi;
    if (!slice_bound(vm, s->start, &given, &lo)) return false;
    if (!given) lo = st < 0 ? INT64_MAX : 0;
    if (!slice_bound(vm, s->stop, &given, &hi)) return false;
    if (!given) hi = st < 0 ? INT64_MIN : INT64_MAX;

    if (lo < 0) {
        lo += n;
        if (lo < 0) lo = st < 0 ? -1 : 0;
    } else if (lo >= n) {
        lo = st < 0 ? n - 1 : n;
    }
    if (hi < 0) {
        hi += n;
        if (hi < 0) hi = st < 0 ? -1 : 0;
    } else if (hi >= n) {
        hi = st < 0 ? n - 1 : n;
    }
    int64_t c = 0;
    if (st < 0) {
        if (hi < lo) c = (lo - hi - 1) / (-st) + 1;
    } else if (lo < hi) {
        c = (hi - lo - 1) / st + 1;
    }
    *start = lo;
    *stop = hi;
    *step = st;
    *count = c;
    return true;
}

static bool slice_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int n = nargs - 1;
    if (!arity_range(vm, "slice", n, kwnames, 1, 3)) return false;
    Value start = NONE_VAL(), stop, step = NONE_VAL();
    if (n == 1) {
        stop = args[1];
    } else {
        start = args[1];
        stop = args[2];
        if (n == 3) step = args[3];
    }
    *result = OBJ_VAL(slice_new(vm, start, stop, step));
    return true;
}

static bool slice_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjSlice *s = AS_SLICE(args[0]);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "slice(");
    Value parts[3] = {s->start, s->stop, s->step};
    for (int i = 0; i < 3; i++) {
        if (i) sb_puts(&sb, ", ");
        ObjStr *r = vm_repr(vm, parts[i]);
        if (!r) {
            sb_free(&sb);
            return false;
        }
        sb_append(&sb, r->chars, r->length);
    }
    sb_putc(&sb, ')');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// Slices compare as the tuples (start, stop, step).
static bool slice_cmp(Vm *vm, Value *args, int nargs, int op, Value *result) {
    if (nargs != 2 || !IS_SLICE(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    ObjSlice *a = AS_SLICE(args[0]), *b = AS_SLICE(args[1]);
    ObjTuple *ta = tuple_from_values(vm, (Value[]){a->start, a->stop, a->step}, 3);
    vm_push_root(vm, OBJ_VAL(ta));
    ObjTuple *tb = tuple_from_values(vm, (Value[]){b->start, b->stop, b->step}, 3);
    vm_push_root(vm, OBJ_VAL(tb));
    bool ok = list_seq_compare(vm, op, OBJ_VAL(ta), OBJ_VAL(tb), result);
    vm_pop_roots(vm, 2);
    return ok;
}

static bool slice_eq(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return slice_cmp(vm, args, nargs, CMP_EQ, r); }
static bool slice_ne(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return slice_cmp(vm, args, nargs, CMP_NE, r); }
static bool slice_lt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return slice_cmp(vm, args, nargs, CMP_LT, r); }
static bool slice_le(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return slice_cmp(vm, args, nargs, CMP_LE, r); }
static bool slice_gt(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return slice_cmp(vm, args, nargs, CMP_GT, r); }
static bool slice_ge(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *r) { return slice_cmp(vm, args, nargs, CMP_GE, r); }

static bool slice_indices_m(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_one(vm, "slice.indices", nargs - 1, kwnames)) return false;
    int64_t n = 0;
    if (!vm_index_value(vm, args[1], &n)) return false;
    if (n < 0) return vm_raise(vm, vm->ValueError, "length should not be negative");
    int64_t start, stop, step, count;
    if (!slice_indices(vm, AS_SLICE(args[0]), n, &start, &stop, &step, &count)) return false;
    ObjTuple *t = tuple_new(vm, 3);
    t->items[0] = INT_VAL(start);
    t->items[1] = INT_VAL(stop);
    t->items[2] = INT_VAL(step);
    *result = OBJ_VAL(t);
    return true;
}

static bool slice_start(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *result) {
    *result = AS_SLICE(args[0])->start;
    return true;
}

static bool slice_stop(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *result) {
    *result = AS_SLICE(args[0])->stop;
    return true;
}

static bool slice_step(Vm *vm, Value *args, int nargs, ObjTuple *kw, Value *result) {
    *result = AS_SLICE(args[0])->step;
    return true;
}

// ---- registration -------------------------------------------------------------------------------

void runtime_init_range(Vm *vm) {
    ObjClass *cls = vm->range_class;
    define_methods(vm, cls, (MethodDef[]){
        {"__new__", range_new_native}, {"__len__", range_len}, {"__bool__", range_bool},
        {"__getitem__", range_getitem}, {"__contains__", range_contains}, {"__iter__", range_iter},
        {"__reversed__", range_reversed}, {"__eq__", range_eq}, {"__ne__", range_ne},
        {"__hash__", range_hash}, {"__repr__", range_repr}, {"index", range_index},
        {"count", range_count}, {NULL, NULL}});
    define_getters(vm, cls, (MethodDef[]){
        {"start", range_start}, {"stop", range_stop}, {"step", range_step}, {NULL, NULL}});
    ObjClass *iter_cls = container_iter_class(vm, "range_iterator", cls, "__iter__");
    AS_NATIVE(dict_get_str(cls->dict, vm->s_reversed))->data = OBJ_VAL(iter_cls);

    ObjClass *sl = vm->slice_class;
    define_methods(vm, sl, (MethodDef[]){
        {"__new__", slice_new_native}, {"__repr__", slice_repr}, {"__eq__", slice_eq},
        {"__ne__", slice_ne}, {"__lt__", slice_lt}, {"__le__", slice_le}, {"__gt__", slice_gt},
        {"__ge__", slice_ge}, {"indices", slice_indices_m}, {NULL, NULL}});
    define_getters(vm, sl, (MethodDef[]){
        {"start", slice_start}, {"stop", slice_stop}, {"step", slice_step}, {NULL, NULL}});
    dict_set_cstr(vm, sl->dict, "__hash__", NONE_VAL());
}
