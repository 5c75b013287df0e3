/* itertools_comb: the combinatoric iterators (product, permutations, combinations,
 * combinations_with_replacement), groupby with its _grouper, and tee.
 *
 * The combinatoric ones follow CPython's index algorithms exactly, so their output order is
 * CPython's.  Their state: source holds the pool (a tuple; product: a tuple of pools), extra a
 * state tuple with the index lists (lists of ints, updated in place) and the last result, and
 * `limit` is 1 once the iterator is exhausted.  Each step returns a fresh tuple.
 */
#include "modinit.h"

#define ITER(obj) ((ObjIter *)(obj))

enum { COMB_INDICES, COMB_CYCLES, COMB_RESULT, COMB_SIZE };

static int64_t ix(ObjList *l, size_t i) { return AS_INT(l->items[i]); }
static void set_ix(ObjList *l, size_t i, int64_t v) { l->items[i] = INT_VAL(v); }

// A list of n ints, the i-th being first + i * step.
static ObjList *int_list(Vm *vm, size_t n, int64_t first, int64_t step) {
    ObjList *l = list_new(vm, n);
    for (size_t i = 0; i < n; i++) l->items[i] = INT_VAL(first + (int64_t)i * step);
    l->count = n;
    return l;
}

// A tuple of the items of any iterable.
static ObjTuple *tuple_of(Vm *vm, Value iterable) {
    if (IS_TUPLE(iterable)) return AS_TUPLE(iterable);
    ObjList *l = vm_list_from_iterable(vm, iterable);
    if (!l) return NULL;
    vm_push_root(vm, OBJ_VAL(l));
    ObjTuple *t = tuple_from_list(vm, l);
    vm_pop_root(vm);
    return t;
}

// A copy of the previous result, to be updated from position `from` on.
static ObjTuple *next_result(Vm *vm, ObjTuple *prev, size_t r) {
    vm_push_root(vm, OBJ_VAL(prev));
    ObjTuple *t = tuple_new(vm, r);
    vm_pop_root(vm);
    for (size_t i = 0; i < r; i++) t->items[i] = prev->items[i];
    return t;
}

// Makes a combinatoric iterator: pool, state tuple with the given index lists, r in index.
static bool comb_new(Vm *vm, Value cls, IterNextFn next, ObjTuple *pool, ObjList *indices,
                     ObjList *cycles, int64_t r, bool stopped, Value *result) {
    vm_push_root(vm, OBJ_VAL(pool));
    vm_push_root(vm, OBJ_VAL(indices));
    if (cycles) vm_push_root(vm, OBJ_VAL(cycles));
    ObjTuple *st = itertools_state_new(vm, COMB_SIZE);
    st->items[COMB_INDICES] = OBJ_VAL(indices);
    if (cycles) st->items[COMB_CYCLES] = OBJ_VAL(cycles);
    bool ok = itertools_new_iter(vm, cls, next, OBJ_VAL(pool), OBJ_VAL(st), result);
    vm_pop_roots(vm, cycles ? 3 : 2);
    if (ok) {
        AS_ITER(*result)->index = r;
        AS_ITER(*result)->limit = stopped;
    }
    return ok;
}

// Finishes a step: the result becomes the previous one; an exhausted iterator drops its state.
static int comb_yield(ObjIter *it, ObjTuple *result, Value *out) {
    AS_TUPLE(it->extra)->items[COMB_RESULT] = OBJ_VAL(result);
    *out = OBJ_VAL(result);
    return 1;
}

static int comb_stop(ObjIter *it) {
    it->limit = 1;
    return 0;
}

// ---- product(*iterables, repeat=1) -- source: the pools --------------------------------------

static int product_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (it->limit) return 0;
    ObjTuple *pools = AS_TUPLE(it->source), *st = AS_TUPLE(it->extra);
    ObjList *indices = AS_LIST(st->items[COMB_INDICES]);
    size_t n = pools->count;
    ObjTuple *result;
    if (IS_EMPTY(st->items[COMB_RESULT])) {
        // The first result: the first item of every pool (none if a pool is empty).
        for (size_t i = 0; i < n; i++)
            if (AS_TUPLE(pools->items[i])->count == 0) return comb_stop(it);
        result = tuple_new(vm, n);
        for (size_t i = 0; i < n; i++) result->items[i] = AS_TUPLE(pools->items[i])->items[0];
        return comb_yield(it, result, out);
    }
    result = next_result(vm, AS_TUPLE(st->items[COMB_RESULT]), n);
    // Advance the indices right to left, like an odometer.
    size_t i = n;
    while (i-- > 0) {
        ObjTuple *pool = AS_TUPLE(pools->items[i]);
        int64_t k = ix(indices, i) + 1;
        if ((size_t)k == pool->count) {
            set_ix(indices, i, 0);
            result->items[i] = pool->items[0];
        } else {
            set_ix(indices, i, k);
            result->items[i] = pool->items[k];
            return comb_yield(it, result, out);
        }
    }
    return comb_stop(it);
}

static bool product_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const allowed[] = {"repeat", NULL};
    if (!mod_check_kwargs(vm, "product", kwnames, allowed)) return false;
    Value rv = mod_kwarg(args, nargs, kwnames, "repeat");
    int64_t repeat = 1, npools;
    if (!IS_EMPTY(rv) && !mod_arg_index(vm, rv, &repeat)) return false;
    if (repeat < 0) return vm_raise(vm, vm->ValueError, "repeat argument cannot be negative");
    int nit = nargs - 1;
    if (MUL_OVERFLOWS((int64_t)nit, repeat, &npools) || npools > 1000000)
        return vm_raise(vm, vm->OverflowError, "repeat argument too large");
    ObjTuple *pools = tuple_new(vm, (size_t)npools);
    vm_push_root(vm, OBJ_VAL(pools));
    for (int i = 0; i < nit; i++) {
        ObjTuple *pool = tuple_of(vm, args[1 + i]);
        if (!pool) {
            vm_pop_root(vm);
            return false;
        }
        for (int64_t r = 0; r < repeat; r++) pools->items[r * nit + i] = OBJ_VAL(pool);
    }
    ObjList *indices = int_list(vm, (size_t)npools, 0, 0);
    bool ok = comb_new(vm, args[0], product_next, pools, indices, NULL, npools, false, result);
    vm_pop_root(vm);
    return ok;
}

// ---- permutations(iterable, r=None)
// ---------------------------------------------------------------

static ObjTuple *pick(Vm *vm, ObjTuple *pool, ObjList *indices, size_t r) {
    ObjTuple *t = tuple_new(vm, r);
    for (size_t i = 0; i < r; i++) t->items[i] = pool->items[ix(indices, i)];
    return t;
}

static int permutations_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (it->limit) return 0;
    ObjTuple *pool = AS_TUPLE(it->source), *st = AS_TUPLE(it->extra);
    ObjList *indices = AS_LIST(st->items[COMB_INDICES]), *cycles = AS_LIST(st->items[COMB_CYCLES]);
    size_t n = pool->count, r = (size_t)it->index;
    if (IS_EMPTY(st->items[COMB_RESULT])) return comb_yield(it, pick(vm, pool, indices, r), out);
    if (n == 0) return comb_stop(it);
    ObjTuple *result = next_result(vm, AS_TUPLE(st->items[COMB_RESULT]), r);
    // Decrement the rightmost cycle, moving left when one rolls over.
    size_t i = r;
    while (i-- > 0) {
        int64_t c = ix(cycles, i) - 1;
        set_ix(cycles, i, c);
        if (c == 0) {
            // indices[i:] = indices[i+1:] + indices[i:i+1]
            int64_t first = ix(indices, i);
            for (size_t j = i; j < n - 1; j++) set_ix(indices, j, ix(indices, j + 1));
            set_ix(indices, n - 1, first);
            set_ix(cycles, i, (int64_t)(n - i));
        } else {
            size_t j = n - (size_t)c;
            int64_t t = ix(indices, i);
            set_ix(indices, i, ix(indices, j));
            set_ix(indices, j, t);
            for (size_t k = i; k < r; k++) result->items[k] = pool->items[ix(indices, k)];
            return comb_yield(it, result, out);
        }
    }
    return comb_stop(it);
}

// The r argument of the combinatoric iterators: "Expected int as r", "r must be non-negative".
static bool r_arg(Vm *vm, Value v, int64_t *r) {
    if (!IS_INTLIKE(v)) return vm_raise(vm, vm->TypeError, "Expected int as r");
    *r = AS_INTLIKE(v);
    if (*r < 0) return vm_raise(vm, vm->ValueError, "r must be non-negative");
    return true;
}

static bool permutations_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"iterable", "r", NULL};
    Value a[2];
    if (!parse_args(vm, "permutations", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    ObjTuple *pool = tuple_of(vm, a[0]);
    if (!pool) return false;
    int64_t n = (int64_t)pool->count, r = n;
    if (!IS_EMPTY(a[1]) && !IS_NONE(a[1]) && !r_arg(vm, a[1], &r)) return false;
    vm_push_root(vm, OBJ_VAL(pool));
    ObjList *indices = int_list(vm, (size_t)n, 0, 1);
    vm_push_root(vm, OBJ_VAL(indices));
    ObjList *cycles = int_list(vm, r <= n ? (size_t)r : 0, n, -1);
    bool ok = comb_new(vm, args[0], permutations_next, pool, indices, cycles, r, r > n, result);
    vm_pop_roots(vm, 2);
    return ok;
}

// ---- combinations(iterable, r), combinations_with_replacement(iterable, r) ----------------------

static int combinations_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (it->limit) return 0;
    ObjTuple *pool = AS_TUPLE(it->source), *st = AS_TUPLE(it->extra);
    ObjList *indices = AS_LIST(st->items[COMB_INDICES]);
    int64_t n = (int64_t)pool->count, r = it->index;
    if (IS_EMPTY(st->items[COMB_RESULT]))
        return comb_yield(it, pick(vm, pool, indices, (size_t)r), out);
    // The rightmost index not yet at its maximum (i + n - r).
    int64_t i = r - 1;
    while (i >= 0 && ix(indices, (size_t)i) == i + n - r) i--;
    if (i < 0) return comb_stop(it);
    ObjTuple *result = next_result(vm, AS_TUPLE(st->items[COMB_RESULT]), (size_t)r);
    set_ix(indices, (size_t)i, ix(indices, (size_t)i) + 1);
    for (int64_t j = i + 1; j < r; j++) set_ix(indices, (size_t)j, ix(indices, (size_t)j - 1) + 1);
    for (; i < r; i++) result->items[i] = pool->items[ix(indices, (size_t)i)];
    return comb_yield(it, result, out);
}

static int cwr_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (it->limit) return 0;
    ObjTuple *pool = AS_TUPLE(it->source), *st = AS_TUPLE(it->extra);
    ObjList *indices = AS_LIST(st->items[COMB_INDICES]);
    int64_t n = (int64_t)pool->count, r = it->index;
    if (IS_EMPTY(st->items[COMB_RESULT]))
        return comb_yield(it, pick(vm, pool, indices, (size_t)r), out);
    // The rightmost index not yet at n - 1; it and everything right of it take its next value.
    int64_t i = r - 1;
    while (i >= 0 && ix(indices, (size_t)i) == n - 1) i--;
    if (i < 0) return comb_stop(it);
    ObjTuple *result = next_result(vm, AS_TUPLE(st->items[COMB_RESULT]), (size_t)r);
    int64_t v = ix(indices, (size_t)i) + 1;
    for (int64_t j = i; j < r; j++) {
        set_ix(indices, (size_t)j, v);
        result->items[j] = pool->items[v];
    }
    return comb_yield(it, result, out);
}

static bool choose_new(Vm *vm, const char *name, IterNextFn next, bool replacement, Value *args,
                       int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"iterable", "r", NULL};
    Value a[2];
    int64_t r = 0;
    if (!parse_args(vm, name, args + 1, nargs - 1, kwnames, names, 2, a)) return false;
    ObjTuple *pool = tuple_of(vm, a[0]);
    if (!pool || !r_arg(vm, a[1], &r)) return false;
    int64_t n = (int64_t)pool->count;
    bool stopped = replacement ? (n == 0 && r > 0) : r > n;
    vm_push_root(vm, OBJ_VAL(pool));
    ObjList *indices = int_list(vm, stopped ? 0 : (size_t)r, 0, replacement ? 0 : 1);
    bool ok = comb_new(vm, args[0], next, pool, indices, NULL, r, stopped, result);
    vm_pop_root(vm);
    return ok;
}

static bool combinations_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return choose_new(vm, "combinations", combinations_next, false, args, nargs, kwnames, result);
}

static bool cwr_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return choose_new(vm, "combinations_with_replacement", cwr_next, true, args, nargs, kwnames,
                      result);
}

// ---- groupby(iterable, key=None) ----------------------------------------------------------------
// source: the iterator; extra: state [keyfunc, tgtkey, currkey, currvalue, currgrouper].
// A _grouper: source: its groupby, extra: its key.  Only the newest grouper yields items.

enum { GB_KEYFUNC, GB_TGTKEY, GB_CURRKEY, GB_CURRVALUE, GB_GROUPER, GB_SIZE };

// Reads the next item and its key: 1, 0 exhausted, -1 error.
static int groupby_step(Vm *vm, ObjIter *gb) {
    Value *st = AS_TUPLE(gb->extra)->items, value, key;
    int got = vm_next(vm, gb->source, &value);
    if (got <= 0) return got;
    key = value;
    if (!IS_NONE(st[GB_KEYFUNC])) {
        vm_push_root(vm, value);
        bool ok = vm_call1(vm, st[GB_KEYFUNC], value, &key);
        vm_pop_root(vm);
        if (!ok) return -1;
    }
    st[GB_CURRVALUE] = value;
    st[GB_CURRKEY] = key;
    return 1;
}

// a == b, as PyObject_RichCompareBool (identical objects are equal): 1, 0, -1 error.
static int same_key(Vm *vm, Value a, Value b) {
    if (value_is(a, b)) return 1;
    bool eq;
    if (!vm_equal(vm, a, b, &eq)) return -1;
    return eq;
}

static int grouper_next(Vm *vm, Obj *obj, Value *out);

static int groupby_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *gb = ITER(obj);
    Value *st = AS_TUPLE(gb->extra)->items;
    st[GB_GROUPER] = EMPTY_VAL();
    // Skip what is left of the current group.
    for (;;) {
        if (IS_EMPTY(st[GB_CURRKEY])) {
            // nothing read yet
        } else if (IS_EMPTY(st[GB_TGTKEY])) {
            break;
        } else {
            int eq = same_key(vm, st[GB_TGTKEY], st[GB_CURRKEY]);
            if (eq < 0) return -1;
            if (!eq) break;
        }
        int got = groupby_step(vm, gb);
        if (got <= 0) return got;
    }
    st[GB_TGTKEY] = st[GB_CURRKEY];
    ObjClass *grouper_cls = mod_find_class(vm, "itertools", "_grouper");
    if (!grouper_cls) return -1;
    ObjIter *grouper = iter_new(vm, grouper_cls, grouper_next, OBJ_VAL(gb));
    grouper->extra = st[GB_TGTKEY];
    st[GB_GROUPER] = OBJ_VAL(grouper);
    *out = OBJ_VAL(tuple_pair(vm, st[GB_CURRKEY], OBJ_VAL(grouper)));
    return 1;
}

static int grouper_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *g = ITER(obj);
    ObjIter *gb = AS_ITER(g->source);
    Value *st = AS_TUPLE(gb->extra)->items;
    if (!value_is(st[GB_GROUPER], OBJ_VAL(g))) return 0;
    if (IS_EMPTY(st[GB_CURRVALUE])) {
        int got = groupby_step(vm, gb);
        if (got <= 0) return got;
    }
    int eq = same_key(vm, g->extra, st[GB_CURRKEY]);
    if (eq <= 0) return eq;
    *out = st[GB_CURRVALUE];
    st[GB_CURRVALUE] = EMPTY_VAL();
    st[GB_CURRKEY] = EMPTY_VAL();
    return 1;
}

static bool groupby_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"iterable", "key", NULL};
    Value a[2], iter;
    if (!parse_args(vm, "groupby", args + 1, nargs - 1, kwnames, names, 1, a) ||
        !vm_iter(vm, a[0], &iter))
        return false;
    vm_push_root(vm, iter);
    ObjTuple *st = itertools_state_new(vm, GB_SIZE);
    vm_pop_root(vm);
    st->items[GB_KEYFUNC] = IS_EMPTY(a[1]) ? NONE_VAL() : a[1];
    return itertools_new_iter(vm, args[0], groupby_next, iter, OBJ_VAL(st), result);
}

// ---- tee(iterable, n=2)
// --------------------------------------------------------------------------- A _tee: source: the
// shared state [iterator, buffer list]; index: its position in the buffer. The buffer keeps every
// item read (CPython frees the items all copies have passed).

enum { TEE_ITER, TEE_BUFFER, TEE_SIZE };

static int tee_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *t = ITER(obj);
    Value *shared = AS_TUPLE(t->source)->items;
    ObjList *buffer = AS_LIST(shared[TEE_BUFFER]);
    if ((size_t)t->index < buffer->count) {
        *out = buffer->items[t->index++];
        return 1;
    }
    int got = vm_next(vm, shared[TEE_ITER], out);
    if (got <= 0) return got;
    list_append(vm, buffer, *out);
    t->index++;
    return 1;
}

static bool is_tee(Vm *vm, Value v) { return IS_ITER(v) && AS_ITER(v)->next == tee_next; }

// A _tee reading from the iterable (a copy when it already is a _tee).
static bool tee_from(Vm *vm, ObjClass *cls, Value iterable, Value *result) {
    Value iter;
    if (!vm_iter(vm, iterable, &iter)) return false;
    if (is_tee(vm, iter)) {
        ObjIter *copy = iter_new(vm, cls, tee_next, AS_ITER(iter)->source);
        copy->index = AS_ITER(iter)->index;
        *result = OBJ_VAL(copy);
        return true;
    }
    vm_push_root(vm, iter);
    ObjTuple *shared = itertools_state_new(vm, TEE_SIZE);
    shared->items[TEE_ITER] = iter;
    vm_push_root(vm, OBJ_VAL(shared));
    shared->items[TEE_BUFFER] = OBJ_VAL(list_new(vm, 0));
    *result = OBJ_VAL(iter_new(vm, cls, tee_next, OBJ_VAL(shared)));
    vm_pop_roots(vm, 2);
    return true;
}

static bool tee_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!itertools_fixed_args(vm, "_tee", nargs - 1, kwnames, 1)) return false;
    return tee_from(vm, AS_CLASS(args[0]), args[1], result);
}

static bool tee_copy(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!itertools_fixed_args(vm, "__copy__", nargs - 1, kwnames, 0)) return false;
    return tee_from(vm, AS_OBJ(args[0])->cls, args[0], result);
}

static bool itertools_tee(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "tee() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return vm_raise(vm, vm->TypeError, "tee expected at %s %d argument%s, got %d",
                        nargs < 1 ? "least" : "most", nargs < 1 ? 1 : 2, nargs < 1 ? "" : "s",
                        nargs);
    int64_t n = 2;
    if (nargs == 2 && !mod_arg_index(vm, args[1], &n)) return false;
    if (n < 0) return vm_raise(vm, vm->ValueError, "n must be >= 0");
    ObjTuple *out = tuple_new(vm, (size_t)n);
    if (n == 0) {
        *result = OBJ_VAL(out);
        return true;
    }
    vm_push_root(vm, OBJ_VAL(out));
    ObjClass *cls = mod_find_class(vm, "itertools", "_tee");
    // The first is the iterator itself when it is already a _tee (as CPython), the rest copies.
    Value iter;
    bool ok = cls && vm_iter(vm, args[0], &iter);
    if (ok && is_tee(vm, iter)) out->items[0] = iter;
    else if (ok) ok = tee_from(vm, cls, iter, &out->items[0]);
    for (int64_t i = 1; ok && i < n; i++) ok = tee_from(vm, cls, out->items[0], &out->items[i]);
    vm_pop_root(vm);
    if (!ok) return false;
    *result = OBJ_VAL(out);
    return true;
}

void itertools_init_combinatorics(Vm *vm, ObjModule *m) {
    itertools_class(vm, m, "product", product_new);
    itertools_class(vm, m, "permutations", permutations_new);
    itertools_class(vm, m, "combinations", combinations_new);
    itertools_class(vm, m, "combinations_with_replacement", cwr_new);
    itertools_class(vm, m, "groupby", groupby_new);
    itertools_class(vm, m, "_grouper", NULL);
    ObjClass *tee = itertools_class(vm, m, "_tee", tee_new);
    define_methods(vm, tee, (MethodDef[]){{"__copy__", tee_copy}, {NULL, NULL}});
    define_native(vm, m->globals, "tee", itertools_tee);
}
