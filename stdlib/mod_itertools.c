/* itertools: lazy iterators, each a built-in iterator (ObjIter) with its own class, producing
 * items in CPython's order with CPython's argument errors.  This file has the module and the
 * one-input iterators; the combinatoric ones, groupby and tee are in itertools_comb.c.
 *
 * An ObjIter has two GC-visible slots (source, extra) and two integers (index, limit).  Each
 * iterator's comment says what it keeps where.  When the state needs more values than that,
 * `extra` holds a private tuple (state_new) whose items are updated in place; EMPTY in a slot
 * means "not set" (CPython's NULL).
 */
#include <string.h>

#include "modinit.h"

ObjTuple *itertools_state_new(Vm *vm, size_t n) {
    ObjTuple *t = tuple_new(vm, n);
    for (size_t i = 0; i < n; i++) t->items[i] = EMPTY_VAL();
    return t;
}

bool itertools_new_iter(Vm *vm, Value cls, IterNextFn next, Value source, Value extra,
                        Value *result) {
    if (!IS_CLASS(cls)) return vm_raise(vm, vm->TypeError, "bad call");
    vm_push_root(vm, extra);
    ObjIter *it = iter_new(vm, AS_CLASS(cls), next, source);
    vm_pop_root(vm);
    it->extra = extra;
    *result = OBJ_VAL(it);
    return true;
}

bool itertools_fixed_args(Vm *vm, const char *name, int nargs, ObjTuple *kwnames, int n) {
    return check_args_clinic(vm, name, nargs, kwnames, n, n);
}

#define ITER(obj) ((ObjIter *)(obj))

// ---- count(start=0, step=1) -- source: the next value, extra: the step --------------------------

static int count_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    Value cur = it->source, step = it->extra, next;
    int64_t sum;
    if (IS_INT(cur) && IS_INTLIKE(step) && !ADD_OVERFLOWS(AS_INT(cur), AS_INTLIKE(step), &sum)) {
        next = INT_VAL(sum);
    } else {
        vm_push_root(vm, cur);
        bool ok = vm_binary_op(vm, BINOP_ADD, cur, step, &next);
        vm_pop_root(vm);
        if (!ok) return -1;
    }
    it->source = next;
    *out = cur;
    return 1;
}

static bool count_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"start", "step", NULL};
    Value a[2];
    if (!parse_args(vm, "count", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    Value start = IS_EMPTY(a[0]) ? INT_VAL(0) : a[0], step = IS_EMPTY(a[1]) ? INT_VAL(1) : a[1];
    if (!(IS_NUMBER(start) || IS_BIGINT(start)) || !(IS_NUMBER(step) || IS_BIGINT(step)))
        return vm_raise(vm, vm->TypeError, "a number is required");
    return itertools_new_iter(vm, args[0], count_next, start, step, result);
}

static bool count_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjIter *it = AS_ITER(args[0]);
    ObjStr *start = vm_repr(vm, it->source);
    if (!start) return false;
    if (IS_INTLIKE(it->extra) && AS_INTLIKE(it->extra) == 1) {
        *result = OBJ_VAL(str_printf(vm, "count(%s)", start->chars));
        return true;
    }
    vm_push_root(vm, OBJ_VAL(start));
    ObjStr *step = vm_repr(vm, it->extra);
    vm_pop_root(vm);
    if (!step) return false;
    *result = OBJ_VAL(str_printf(vm, "count(%s, %s)", start->chars, step->chars));
    return true;
}

// ---- cycle(iterable) -- source: the iterator (None when used up), extra: the saved items, ------
// index: the next saved item to replay

static int cycle_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    ObjList *saved = AS_LIST(it->extra);
    if (!IS_NONE(it->source)) {
        int got = vm_next(vm, it->source, out);
        if (got < 0) return -1;
        if (got > 0) {
            list_append(vm, saved, *out);
            return 1;
        }
        it->source = NONE_VAL();
    }
    if (saved->count == 0) return 0;
    *out = saved->items[it->index++];
    if ((size_t)it->index >= saved->count) it->index = 0;
    return 1;
}

static bool cycle_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value iter;
    if (!itertools_fixed_args(vm, "cycle", nargs - 1, kwnames, 1) || !vm_iter(vm, args[1], &iter))
        return false;
    vm_push_root(vm, iter);
    ObjList *saved = list_new(vm, 0);
    vm_pop_root(vm);
    return itertools_new_iter(vm, args[0], cycle_next, iter, OBJ_VAL(saved), result);
}

// ---- repeat(object[, times]) -- source: the object, limit: times left (-1: forever) -------------

static int repeat_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (it->limit == 0) return 0;
    if (it->limit > 0) it->limit--;
    *out = it->source;
    return 1;
}

static bool repeat_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"object", "times", NULL};
    Value a[2];
    int64_t times = -1;
    if (!parse_args(vm, "repeat", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    if (!IS_EMPTY(a[1]) && !mod_arg_index(vm, a[1], &times)) return false;
    if (!IS_EMPTY(a[1]) && times < 0) times = 0;
    if (!itertools_new_iter(vm, args[0], repeat_next, a[0], NONE_VAL(), result)) return false;
    AS_ITER(*result)->limit = times;
    return true;
}

static bool repeat_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjIter *it = AS_ITER(args[0]);
    ObjStr *r = vm_repr(vm, it->source);
    if (!r) return false;
    if (it->limit < 0) *result = OBJ_VAL(str_printf(vm, "repeat(%s)", r->chars));
    else *result = OBJ_VAL(str_printf(vm, "repeat(%s, %lld)", r->chars, (long long)it->limit));
    return true;
}

// ---- accumulate(iterable[, func], *, initial=None)
// ----------------------------------------------- source: the iterator; extra: state [func or
// EMPTY, total or EMPTY, initial or EMPTY]

enum { ACC_FUNC, ACC_TOTAL, ACC_INITIAL, ACC_SIZE };

static int accumulate_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    Value *st = AS_TUPLE(it->extra)->items;
    if (!IS_EMPTY(st[ACC_INITIAL])) {
        st[ACC_TOTAL] = st[ACC_INITIAL];
        st[ACC_INITIAL] = EMPTY_VAL();
        *out = st[ACC_TOTAL];
        return 1;
    }
    Value val;
    int got = vm_next(vm, it->source, &val);
    if (got <= 0) return got;
    if (IS_EMPTY(st[ACC_TOTAL])) {
        st[ACC_TOTAL] = val;
    } else {
        Value total;
        vm_push_root(vm, val);
        bool ok = IS_EMPTY(st[ACC_FUNC]) ? vm_binary_op(vm, BINOP_ADD, st[ACC_TOTAL], val, &total)
                                         : vm_call2(vm, st[ACC_FUNC], st[ACC_TOTAL], val, &total);
        vm_pop_root(vm);
        if (!ok) return -1;
        st[ACC_TOTAL] = total;
    }
    *out = st[ACC_TOTAL];
    return 1;
}

static bool accumulate_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs - 1 > 2)
        return vm_raise(vm, vm->TypeError,
                        "accumulate() takes at most 2 positional arguments (%d given)", nargs - 1);
    static const char *const names[] = {"iterable", "func", "initial", NULL};
    Value a[3], iter;
    if (!parse_args(vm, "accumulate", args + 1, nargs - 1, kwnames, names, 1, a) ||
        !vm_iter(vm, a[0], &iter))
        return false;
    vm_push_root(vm, iter);
    ObjTuple *st = itertools_state_new(vm, ACC_SIZE);
    vm_pop_root(vm);
    if (!IS_EMPTY(a[1]) && !IS_NONE(a[1])) st->items[ACC_FUNC] = a[1];
    if (!IS_EMPTY(a[2]) && !IS_NONE(a[2])) st->items[ACC_INITIAL] = a[2];
    return itertools_new_iter(vm, args[0], accumulate_next, iter, OBJ_VAL(st), result);
}

// ---- chain(*iterables), chain.from_iterable(iterable)
// -------------------------------------------- source: an iterator over the iterables (None when
// done); extra: the active iterator or None

static int chain_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    while (!IS_NONE(it->source)) {
        if (IS_NONE(it->extra)) {
            Value iterable, active;
            int got = vm_next(vm, it->source, &iterable);
            if (got <= 0) {
                it->source = NONE_VAL();
                return got;
            }
            vm_push_root(vm, iterable);
            bool ok = vm_iter(vm, iterable, &active);
            vm_pop_root(vm);
            if (!ok) {
                it->source = NONE_VAL();
                return -1;
            }
            it->extra = active;
        }
        int got = vm_next(vm, it->extra, out);
        if (got != 0) return got;
        it->extra = NONE_VAL();
    }
    return 0;
}

static bool chain_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "chain() takes no keyword arguments");
    ObjTuple *its = tuple_new(vm, (size_t)(nargs - 1));
    for (int i = 1; i < nargs; i++) its->items[i - 1] = args[i];
    vm_push_root(vm, OBJ_VAL(its));
    Value source;
    bool ok = vm_iter(vm, OBJ_VAL(its), &source);
    vm_pop_root(vm);
    return ok && itertools_new_iter(vm, args[0], chain_next, source, NONE_VAL(), result);
}

static bool chain_from_iterable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                Value *result) {
    Value source;
    if (!itertools_fixed_args(vm, "from_iterable", nargs - 1, kwnames, 1) ||
        !vm_iter(vm, args[1], &source))
        return false;
    return itertools_new_iter(vm, args[0], chain_next, source, NONE_VAL(), result);
}

// ---- compress(data, selectors) -- source: data iterator, extra: selectors iterator
// ---------------

static int compress_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    for (;;) {
        Value datum, selector;
        int got = vm_next(vm, it->source, &datum);
        if (got <= 0) return got;
        vm_push_root(vm, datum);
        got = vm_next(vm, it->extra, &selector);
        bool keep = false;
        if (got > 0 && !vm_truthy(vm, selector, &keep)) got = -1;
        vm_pop_root(vm);
        if (got <= 0) return got;
        if (keep) {
            *out = datum;
            return 1;
        }
    }
}

static bool compress_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"data", "selectors", NULL};
    Value a[2], data, selectors;
    if (!parse_args(vm, "compress", args + 1, nargs - 1, kwnames, names, 2, a) ||
        !vm_iter(vm, a[0], &data))
        return false;
    vm_push_root(vm, data);
    bool ok = vm_iter(vm, a[1], &selectors);
    vm_pop_root(vm);
    return ok && itertools_new_iter(vm, args[0], compress_next, data, selectors, result);
}

// ---- dropwhile / takewhile / filterfalse(predicate, iterable)
// ------------------------------------ source: the iterator, extra: the predicate, index: dropwhile
// done dropping / takewhile stopped

// pred(item) is true?  With a None predicate filterfalse tests the item itself (identity);
// dropwhile and takewhile call None and fail as CPython does.
static int test(Vm *vm, Value pred, Value item, bool none_is_identity) {
    Value r = item;
    if (!(IS_NONE(pred) && none_is_identity)) {
        vm_push_root(vm, item);
        bool ok = vm_call1(vm, pred, item, &r);
        vm_pop_root(vm);
        if (!ok) return -1;
    }
    bool t;
    if (!vm_truthy(vm, r, &t)) return -1;
    return t;
}

static int dropwhile_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    for (;;) {
        int got = vm_next(vm, it->source, out);
        if (got <= 0 || it->index) return got;
        vm_push_root(vm, *out);
        int t = test(vm, it->extra, *out, false);
        vm_pop_root(vm);
        if (t < 0) return -1;
        if (!t) {
            it->index = 1;
            return 1;
        }
    }
}

static int takewhile_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (it->index) return 0;
    int got = vm_next(vm, it->source, out);
    if (got <= 0) return got;
    vm_push_root(vm, *out);
    int t = test(vm, it->extra, *out, false);
    vm_pop_root(vm);
    if (t < 0) return -1;
    if (t) return 1;
    it->index = 1;
    return 0;
}

static int filterfalse_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    for (;;) {
        int got = vm_next(vm, it->source, out);
        if (got <= 0) return got;
        vm_push_root(vm, *out);
        int t = test(vm, it->extra, *out, true);
        vm_pop_root(vm);
        if (t < 0) return -1;
        if (!t) return 1;
    }
}

static bool predicate_iter(Vm *vm, const char *name, IterNextFn next, Value *args, int nargs,
                           ObjTuple *kwnames, Value *result) {
    Value iter;
    if (!itertools_fixed_args(vm, name, nargs - 1, kwnames, 2) || !vm_iter(vm, args[2], &iter))
        return false;
    return itertools_new_iter(vm, args[0], next, iter, args[1], result);
}

static bool dropwhile_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return predicate_iter(vm, "dropwhile", dropwhile_next, args, nargs, kwnames, result);
}

static bool takewhile_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return predicate_iter(vm, "takewhile", takewhile_next, args, nargs, kwnames, result);
}

static bool filterfalse_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return predicate_iter(vm, "filterfalse", filterfalse_next, args, nargs, kwnames, result);
}

// ---- starmap(function, iterable) -- source: the iterator, extra: the function
// --------------------

static int starmap_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    Value item;
    int got = vm_next(vm, it->source, &item);
    if (got <= 0) return got;
    vm_push_root(vm, item);
    ObjList *call_args = vm_list_from_iterable(vm, item);
    vm_pop_root(vm);
    if (!call_args) return -1;
    vm_push_root(vm, OBJ_VAL(call_args));
    bool ok = vm_call(vm, it->extra, call_args->items, (int)call_args->count, NULL, out);
    vm_pop_root(vm);
    return ok ? 1 : -1;
}

static bool starmap_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value iter;
    if (!itertools_fixed_args(vm, "starmap", nargs - 1, kwnames, 2) || !vm_iter(vm, args[2], &iter))
        return false;
    return itertools_new_iter(vm, args[0], starmap_next, iter, args[1], result);
}

// ---- islice(iterable, stop) / islice(iterable, start, stop[, step])
// ------------------------------ source: the iterator (None once done); index: items consumed;
// limit: stop (-1: none); version: the index of the next item to yield; extra: the step

static int islice_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (IS_NONE(it->source)) return 0;
    int64_t next_index = (int64_t)it->version, stop = it->limit, step = AS_INT(it->extra);
    while (it->index < next_index) {
        Value skipped;
        int got = vm_next(vm, it->source, &skipped);
        if (got <= 0) {
            it->source = NONE_VAL();
            return got;
        }
        it->index++;
    }
    if (stop != -1 && it->index >= stop) {
        it->source = NONE_VAL();
        return 0;
    }
    int got = vm_next(vm, it->source, out);
    if (got <= 0) {
        it->source = NONE_VAL();
        return got;
    }
    it->index++;
    int64_t advanced;
    if (ADD_OVERFLOWS(next_index, step, &advanced) || (stop != -1 && advanced > stop))
        advanced = stop;
    it->version = (uint64_t)advanced;
    return 1;
}

// An islice bound: None or an int in [0, sys.maxsize]; -1 stands for None.
static bool slice_bound(Vm *vm, Value v, const char *error, int64_t *out) {
    if (IS_NONE(v)) {
        *out = -1;
        return true;
    }
    if (IS_INTLIKE(v) && AS_INTLIKE(v) >= 0) {
        *out = AS_INTLIKE(v);
        return true;
    }
    return vm_raise(vm, vm->ValueError, "%s", error);
}

static bool islice_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const stop_error =
        "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.";
    static const char *const index_error =
        "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.";
    int n = nargs - 1;
    if (kwnames) return vm_raise(vm, vm->TypeError, "islice() takes no keyword arguments");
    if (n < 2)
        return vm_raise(vm, vm->TypeError, "islice expected at least 2 arguments, got %d", n);
    if (n > 4) return vm_raise(vm, vm->TypeError, "islice expected at most 4 arguments, got %d", n);
    int64_t start = 0, stop = -1, step = 1;
    if (n == 2) {
        if (!slice_bound(vm, args[2], stop_error, &stop)) return false;
    } else {
        if (!slice_bound(vm, args[2], index_error, &start) ||
            !slice_bound(vm, args[3], stop_error, &stop))
            return false;
        if (start == -1) start = 0;
        if (n == 4) {
            if (!IS_NONE(args[4]) && !(IS_INTLIKE(args[4]) && AS_INTLIKE(args[4]) >= 1))
                return vm_raise(vm, vm->ValueError,
                                "Step for islice() must be a positive integer or None.");
            if (!IS_NONE(args[4])) step = AS_INTLIKE(args[4]);
        }
    }
    Value iter;
    if (!vm_iter(vm, args[1], &iter)) return false;
    if (!itertools_new_iter(vm, args[0], islice_next, iter, INT_VAL(step), result)) return false;
    ObjIter *it = AS_ITER(*result);
    it->index = 0;
    it->limit = stop;
    it->version = (uint64_t)start;
    return true;
}

// ---- pairwise(iterable) -- source: the iterator (None once done), extra: the previous item ------

static int pairwise_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    if (IS_NONE(it->source)) return 0;
    if (IS_EMPTY(it->extra)) {
        int got = vm_next(vm, it->source, &it->extra);
        if (got <= 0) {
            it->extra = EMPTY_VAL();
            it->source = NONE_VAL();
            return got;
        }
    }
    Value item;
    int got = vm_next(vm, it->source, &item);
    if (got <= 0) {
        it->source = NONE_VAL();
        it->extra = EMPTY_VAL();
        return got;
    }
    ObjTuple *t = tuple_pair(vm, it->extra, item);
    it->extra = item;
    *out = OBJ_VAL(t);
    return 1;
}

static bool pairwise_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value iter;
    if (!itertools_fixed_args(vm, "pairwise", nargs - 1, kwnames, 1) ||
        !vm_iter(vm, args[1], &iter))
        return false;
    return itertools_new_iter(vm, args[0], pairwise_next, iter, EMPTY_VAL(), result);
}

// ---- zip_longest(*iterables, fillvalue=None)
// ----------------------------------------------------- source: tuple of iterators (None once
// exhausted); extra: the fill value; index: how many active

static int zip_longest_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = ITER(obj);
    ObjTuple *its = AS_TUPLE(it->source);
    if (its->count == 0 || it->index == 0) return 0;
    ObjTuple *result = tuple_new(vm, its->count);
    vm_push_root(vm, OBJ_VAL(result));
    for (size_t i = 0; i < its->count; i++) {
        Value item = it->extra;
        if (!IS_NONE(its->items[i])) {
            int got = vm_next(vm, its->items[i], &item);
            if (got < 0 || (got == 0 && --it->index == 0)) {
                it->index = 0;
                vm_pop_root(vm);
                return got < 0 ? -1 : 0;
            }
            if (got == 0) {
                item = it->extra;
                its->items[i] = NONE_VAL();
            }
        }
        result->items[i] = item;
    }
    vm_pop_root(vm);
    *out = OBJ_VAL(result);
    return 1;
}

static bool zip_longest_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value fill = NONE_VAL();
    if (kwnames) {
        for (size_t i = 0; i < kwnames->count; i++) {
            if (strcmp(AS_STR(kwnames->items[i])->chars, "fillvalue") != 0)
                return vm_raise(vm, vm->TypeError,
                                "zip_longest() got an unexpected keyword argument");
            fill = args[nargs + (int)i];
        }
    }
    ObjTuple *its = tuple_new(vm, (size_t)(nargs - 1));
    vm_push_root(vm, OBJ_VAL(its));
    for (int i = 1; i < nargs; i++) {
        Value iter;
        if (!vm_iter(vm, args[i], &iter)) {
            vm_pop_root(vm);
            return false;
        }
        its->items[i - 1] = iter;
    }
    bool ok = itertools_new_iter(vm, args[0], zip_longest_next, OBJ_VAL(its), fill, result);
    vm_pop_root(vm);
    if (ok) AS_ITER(*result)->index = nargs - 1;
    return ok;
}

// ---- the module ---------------------------------------------------------------------------------

// Defines an iterator class itertools.name whose constructor is new_fn.
ObjClass *itertools_class(Vm *vm, ObjModule *m, const char *name, NativeFn new_fn) {
    ObjClass *cls = mod_class(vm, m, name, vm->iterator_class, OBJ_ITER);
    if (new_fn) define_methods(vm, cls, (MethodDef[]){{"__new__", new_fn}, {NULL, NULL}});
    return cls;
}

ObjModule *mod_itertools_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "itertools");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *count = itertools_class(vm, m, "count", count_new);
    define_methods(vm, count, (MethodDef[]){{"__repr__", count_repr}, {NULL, NULL}});
    ObjClass *repeat = itertools_class(vm, m, "repeat", repeat_new);
    define_methods(vm, repeat, (MethodDef[]){{"__repr__", repeat_repr}, {NULL, NULL}});
    itertools_class(vm, m, "cycle", cycle_new);
    itertools_class(vm, m, "accumulate", accumulate_new);
    ObjClass *chain = itertools_class(vm, m, "chain", chain_new);
    mod_classmethod(vm, chain, "from_iterable", chain_from_iterable);
    itertools_class(vm, m, "compress", compress_new);
    itertools_class(vm, m, "dropwhile", dropwhile_new);
    itertools_class(vm, m, "takewhile", takewhile_new);
    itertools_class(vm, m, "filterfalse", filterfalse_new);
    itertools_class(vm, m, "starmap", starmap_new);
    itertools_class(vm, m, "islice", islice_new);
    itertools_class(vm, m, "pairwise", pairwise_new);
    itertools_class(vm, m, "zip_longest", zip_longest_new);
    itertools_init_combinatorics(vm, m);
    vm_pop_root(vm);
    return m;
}
