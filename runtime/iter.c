/* iter: the builtins that produce or consume iterators.
 *
 * enumerate, zip, map, filter and reversed are classes, as in CPython (`type(zip(a, b))` is zip);
 * their instances are ObjIters whose `next` function does the work lazily.  iter(callable, sentinel)
 * makes a callable_iterator.  sum, min, max, any, all and sorted consume an iterable at once.
 *
 * How each iterator uses ObjIter's fields:
 *   enumerate          source = the iterator, index = the next count
 *   zip                source = tuple of iterators, index = 1 when strict
 *   map                source = tuple of iterators, extra = the function
 *   filter             source = the iterator, extra = the predicate (None: truthiness)
 *   reversed           source = the sequence, index = the next position (counting down)
 *   callable_iterator  source = the callable, extra = the sentinel; source None once finished
 */
#include <string.h>

#include "container.h"
#include "number.h"

// The class of iter(callable, sentinel)'s result.  Unlike the other iterator classes it has no
// native of a built-in class to hang on, so it is kept here and reached by the GC through the
// `data` of the iter builtin (one Vm per process; a Vm field would be better).
static ObjClass *callable_iterator_class;

// Whether next() accepts v: a built-in iterator, a generator, or an object with __next__.
static bool is_iterator(Vm *vm, Value v) {
    if (IS_ITER(v)) return true;
    if (IS_GENERATOR(v)) return AS_GENERATOR(v)->flavor == FLAVOR_GENERATOR;
    return !IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_next));
}

static bool is_callable(Vm *vm, Value v) {
    return IS_FUNCTION(v) || IS_NATIVE(v) || IS_BOUND(v) || IS_CLASS(v) ||
           (IS_OBJ(v) && !IS_EMPTY(class_lookup(AS_OBJ(v)->cls, vm->s_call)));
}

// ---- iter and next ------------------------------------------------------------------------------

static int calliter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if (IS_NONE(it->source)) return 0;
    Value v;
    if (!vm_call0(vm, it->source, &v)) {
        if (!vm_exception_matches(vm, vm->StopIteration)) return -1;
        vm_clear_exception(vm);
        it->source = NONE_VAL();
        return 0;
    }
    bool eq = value_is(v, it->extra);
    if (!eq) {
        vm_push_root(vm, v);
        bool ok = vm_equal(vm, v, it->extra, &eq);
        vm_pop_root(vm);
        if (!ok) return -1;
    }
    if (eq) {
        it->source = NONE_VAL();
        return 0;
    }
    *out = v;
    return 1;
}

static bool builtin_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "iter", nargs, kwnames, 1, 2)) return false;
    if (nargs == 1) return vm_iter(vm, args[0], result);
    if (!is_callable(vm, args[0])) return vm_raise(vm, vm->TypeError, "iter(v, w): v must be callable");
    ObjIter *it = iter_new(vm, callable_iterator_class, calliter_next, args[0]);
    it->extra = args[1];
    *result = OBJ_VAL(it);
    return true;
}

static bool builtin_next(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "next", nargs, kwnames, 1, 2)) return false;
    if (!is_iterator(vm, args[0]))
        return vm_raise(vm, vm->TypeError, "'%s' object is not an iterator", vm_type_name(vm, args[0]));
    Value it = args[0];
    Value stop_value = NONE_VAL(); // what the StopIteration carries: a generator's return value
    if (IS_GENERATOR(it)) {
        RunResult r = gen_resume(vm, AS_GENERATOR(it), NONE_VAL(), EMPTY_VAL(), result);
        if (r != RUN_RETURNED) return r == RUN_YIELDED;
        stop_value = *result;
    } else if (IS_ITER(it)) {
        int r = AS_ITER(it)->next(vm, AS_OBJ(it), result);
        if (r != 0) return r > 0;
    } else {
        // A user iterator's own StopIteration propagates as raised, unless there is a default.
        int r = vm_call_method(vm, it, vm->s_next, NULL, 0, result);
        if (r > 0) return true;
        if (nargs == 1 || !vm_exception_matches(vm, vm->StopIteration)) return false;
        vm_clear_exception(vm);
    }
    if (nargs == 2) {
        *result = args[1];
        return true;
    }
    if (IS_NONE(stop_value)) return vm_raise_value(vm, OBJ_VAL(vm->StopIteration));
    return vm_raise_obj(vm, vm->StopIteration, stop_value);
}

// ---- enumerate ----------------------------------------------------------------------------------

// The count is it->index while it fits in int64; past that (or from a big start) it is the int
// in it->extra, and index is unused.
static int enumerate_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    Value item;
    int r = vm_next(vm, it->source, &item);
    if (r <= 0) return r;
    vm_push_root(vm, item);
    Value count = IS_EMPTY(it->extra) ? INT_VAL(it->index) : it->extra;
    vm_push_root(vm, count);
    if (!IS_EMPTY(it->extra) || ADD_OVERFLOWS(it->index, 1, &it->index)) {
        Value next;
        if (num_int_values_op(vm, BINOP_ADD, count, INT_VAL(1), &next) < 0) {
            vm_pop_roots(vm, 2);
            return -1;
        }
        it->extra = next;
    }
    ObjTuple *t = tuple_pair(vm, count, item);
    vm_pop_roots(vm, 2);
    *out = OBJ_VAL(t);
    return 1;
}

static bool enumerate_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int n = nargs - 1;
    if (n > 2) return vm_raise(vm, vm->TypeError, "enumerate() takes at most 2 arguments (%d given)", n + kw_count(kwnames));
    static const char *const names[] = {"iterable", "start", NULL};
    Value opt[2] = {EMPTY_VAL(), EMPTY_VAL()};
    for (int i = 0; i < n; i++) opt[i] = args[1 + i];
    if (!arity_keywords(vm, "enumerate", kwnames, args + nargs, names, opt)) return false;
    if (IS_EMPTY(opt[0])) return vm_raise(vm, vm->TypeError, "enumerate() missing required argument 'iterable'");
    int64_t start = 0;
    Value wide_start = EMPTY_VAL();
    if (!IS_EMPTY(opt[1]) && IS_BIGINT(opt[1])) wide_start = opt[1];
    else if (!IS_EMPTY(opt[1]) && !vm_index_value(vm, opt[1], &start)) return false;
    Value source;
    if (!vm_iter(vm, opt[0], &source)) return false;
    vm_push_root(vm, source);
    ObjIter *it = iter_new(vm, AS_CLASS(args[0]), enumerate_next, source);
    vm_pop_root(vm);
    it->index = start;
    it->extra = wide_start;
    *result = OBJ_VAL(it);
    return true;
}

// ---- zip ----------------------------------------------------------------------------------------

// The strict check after iterator i ran out: the others must run out at the same point.
static int zip_check_strict(Vm *vm, ObjTuple *its, size_t i) {
    if (i > 0) {
        vm_raise(vm, vm->ValueError, "zip() argument %zu is shorter than argument%s%zu", i + 1,
                 i == 1 ? " " : "s 1-", i);
        return -1;
    }
    for (i = 1; i < its->count; i++) {
        Value item;
        int r = vm_next(vm, its->items[i], &item);
        if (r < 0) return -1;
        if (r > 0) {
            vm_raise(vm, vm->ValueError, "zip() argument %zu is longer than argument%s%zu", i + 1,
                     i == 1 ? " " : "s 1-", i);
            return -1;
        }
    }
    return 0;
}

static int zip_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjTuple *its = AS_TUPLE(it->source);
    if (its->count == 0) return 0;
    ObjTuple *t = tuple_new(vm, its->count);
    vm_push_root(vm, OBJ_VAL(t));
    for (size_t i = 0; i < its->count; i++) {
        int r = vm_next(vm, its->items[i], &t->items[i]);
        if (r <= 0) {
            vm_pop_root(vm);
            if (r == 0 && it->index) return zip_check_strict(vm, its, i);
            return r;
        }
    }
    vm_pop_root(vm);
    *out = OBJ_VAL(t);
    return 1;
}

// The iterators of args[0..n) as a tuple, or NULL.
static ObjTuple *iterators_of(Vm *vm, Value *args, int n) {
    ObjTuple *its = tuple_new(vm, (size_t)n);
    vm_push_root(vm, OBJ_VAL(its));
    for (int i = 0; i < n; i++) {
        if (!vm_iter(vm, args[i], &its->items[i])) {
            vm_pop_root(vm);
            return NULL;
        }
    }
    vm_pop_root(vm);
    return its;
}

static bool zip_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"strict", NULL};
    Value strict = BOOL_VAL(false);
    if (!arity_keywords(vm, "zip", kwnames, args + nargs, names, &strict)) return false;
    bool is_strict;
    if (!vm_truthy(vm, strict, &is_strict)) return false;
    ObjTuple *its = iterators_of(vm, args + 1, nargs - 1);
    if (!its) return false;
    ObjIter *it = iter_new(vm, AS_CLASS(args[0]), zip_next, OBJ_VAL(its));
    it->index = is_strict;
    *result = OBJ_VAL(it);
    return true;
}

// ---- map and filter -----------------------------------------------------------------------------

static int map_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjTuple *its = AS_TUPLE(it->source);
    ObjTuple *items = tuple_new(vm, its->count);
    vm_push_root(vm, OBJ_VAL(items));
    for (size_t i = 0; i < its->count; i++) {
        int r = vm_next(vm, its->items[i], &items->items[i]);
        if (r <= 0) {
            vm_pop_root(vm);
            return r;
        }
    }
    bool ok = vm_call(vm, it->extra, items->items, (int)items->count, NULL, out);
    vm_pop_root(vm);
    return ok ? 1 : -1;
}

static bool map_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_no_kw(vm, "map", kwnames)) return false;
    if (nargs < 3) return vm_raise(vm, vm->TypeError, "map() must have at least two arguments.");
    if (nargs - 2 > MAX_ARGS) return vm_raise(vm, vm->TypeError, "too many arguments");
    ObjTuple *its = iterators_of(vm, args + 2, nargs - 2);
    if (!its) return false;
    ObjIter *it = iter_new(vm, AS_CLASS(args[0]), map_next, OBJ_VAL(its));
    it->extra = args[1];
    *result = OBJ_VAL(it);
    return true;
}

static int filter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    for (;;) {
        Value item;
        int r = vm_next(vm, it->source, &item);
        if (r <= 0) return r;
        vm_push_root(vm, item);
        bool keep;
        bool ok;
        if (IS_NONE(it->extra) || (IS_CLASS(it->extra) && AS_CLASS(it->extra) == vm->bool_class)) {
            ok = vm_truthy(vm, item, &keep);
        } else {
            Value verdict;
            ok = vm_call1(vm, it->extra, item, &verdict) && vm_truthy(vm, verdict, &keep);
        }
        vm_pop_root(vm);
        if (!ok) return -1;
        if (keep) {
            *out = item;
            return 1;
        }
    }
}

static bool filter_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "filter", nargs - 1, kwnames, 2, 2)) return false;
    Value source;
    if (!vm_iter(vm, args[2], &source)) return false;
    ObjIter *it = iter_new(vm, AS_CLASS(args[0]), filter_next, source);
    it->extra = args[1];
    *result = OBJ_VAL(it);
    return true;
}

// ---- reversed -----------------------------------------------------------------------------------

static int reversed_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    if (it->index < 0 || IS_NONE(it->source)) return 0;
    if (vm_getitem(vm, it->source, INT_VAL(it->index), out)) {
        it->index--;
        return 1;
    }
    if (vm_exception_matches(vm, vm->IndexError) || vm_exception_matches(vm, vm->StopIteration)) {
        vm_clear_exception(vm);
        it->index = -1;
        it->source = NONE_VAL();
        return 0;
    }
    return -1;
}

static bool reversed_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!arity_range(vm, "reversed", nargs - 1, kwnames, 1, 1)) return false;
    Value seq = args[1];
    ObjClass *cls = vm_class_of(vm, seq);
    Value method = class_lookup(cls, vm->s_reversed);
    if (IS_NONE(method)) return vm_raise(vm, vm->TypeError, "'%s' object is not reversible", cls->name->chars);
    if (!IS_EMPTY(method)) return vm_call1(vm, method, seq, result);
    // A sequence: __getitem__ and __len__, and not a mapping.
    if (IS_DICT(seq) || IS_EMPTY(class_lookup(cls, vm->s_getitem)))
        return vm_raise(vm, vm->TypeError, "'%s' object is not reversible", cls->name->chars);
    int64_t n;
    if (!vm_len(vm, seq, &n)) return false;
    ObjIter *it = iter_new(vm, AS_CLASS(args[0]), reversed_next, seq);
    it->index = n - 1;
    *result = OBJ_VAL(it);
    return true;
}

// ---- consumers ----------------------------------------------------------------------------------

// acc + item with CPython's fast paths: ints while they fit, floats as plain doubles.
static bool sum_add(Vm *vm, Value acc, Value item, Value *out) {
    if (IS_INTLIKE(acc) && IS_INTLIKE(item)) {
        int64_t r;
        if (!ADD_OVERFLOWS(AS_INTLIKE(acc), AS_INTLIKE(item), &r)) {
            *out = INT_VAL(r);
            return true;
        }
    } else if (IS_FLOAT(acc) && IS_NUMBER(item)) {
        *out = FLOAT_VAL(AS_FLOAT(acc) + AS_NUMBER(item));
        return true;
    }
    return vm_binary_op(vm, BINOP_ADD, acc, item, out);
}

static bool builtin_sum(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1) return vm_raise(vm, vm->TypeError, "sum() takes at least 1 positional argument (0 given)");
    if (nargs + kw_count(kwnames) > 2)
        return vm_raise(vm, vm->TypeError, "sum() takes at most 2 arguments (%d given)", nargs + kw_count(kwnames));
    static const char *const names[] = {"start", NULL};
    Value acc = nargs == 2 ? args[1] : INT_VAL(0);
    if (!arity_keywords(vm, "sum", kwnames, args + nargs, names, &acc)) return false;
    Value it; // the iterable is checked before start (CPython's order of errors)
    if (!vm_iter(vm, args[0], &it)) return false;
    if (IS_STR(acc)) return vm_raise(vm, vm->TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
    if (IS_BYTES(acc)) return vm_raise(vm, vm->TypeError, "sum() can't sum bytes [use b''.join(seq) instead]");
    if (IS_BYTEARRAY(acc))
        return vm_raise(vm, vm->TypeError, "sum() can't sum bytearray [use b''.join(seq) instead]");
    vm_push_root(vm, it);
    vm_push_root(vm, acc); // roots[nroots - 1] tracks the running total
    Value item;
    int r;
    while ((r = vm_next(vm, it, &item)) == 1) {
        if (!sum_add(vm, acc, item, &acc)) {
            r = -1;
            break;
        }
        vm->roots[vm->nroots - 1] = acc;
    }
    vm_pop_roots(vm, 2);
    *result = acc;
    return r == 0;
}

// min() and max(): op is CMP_LT for min (a new item wins when it is smaller), GT for max.
static bool min_max(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, int op, const char *name, Value *result) {
    static const char *const names[] = {"key", "default", NULL};
    Value opt[2] = {NONE_VAL(), EMPTY_VAL()};
    if (!arity_keywords(vm, name, kwnames, args + nargs, names, opt)) return false;
    if (nargs == 0) return vm_raise(vm, vm->TypeError, "%s expected at least 1 argument, got 0", name);
    if (nargs > 1 && !IS_EMPTY(opt[1]))
        return vm_raise(vm, vm->TypeError, "Cannot specify a default for %s() with multiple positional arguments", name);
    Value key = opt[0];
    Value it;
    if (nargs == 1) {
        if (!vm_iter(vm, args[0], &it)) return false;
    } else {
        ObjTuple *t = tuple_from_values(vm, args, (size_t)nargs);
        vm_push_root(vm, OBJ_VAL(t));
        bool ok = vm_iter(vm, OBJ_VAL(t), &it);
        vm_pop_root(vm);
        if (!ok) return false;
    }
    // Roots: the iterator, the best item and its key.
    int base = vm->nroots;
    vm_push_root(vm, it);
    vm_push_root(vm, EMPTY_VAL());
    vm_push_root(vm, EMPTY_VAL());
    Value item;
    int r;
    while ((r = vm_next(vm, it, &item)) == 1) {
        Value val = item;
        if (!IS_NONE(key)) {
            vm_push_root(vm, item);
            bool ok = vm_call1(vm, key, item, &val);
            vm_pop_root(vm);
            if (!ok) {
                r = -1;
                break;
            }
        }
        if (IS_EMPTY(vm->roots[base + 1])) {
            vm->roots[base + 1] = item;
            vm->roots[base + 2] = val;
            continue;
        }
        vm_push_root(vm, item);
        vm_push_root(vm, val);
        Value cmp;
        bool better;
        bool ok = vm_compare(vm, op, val, vm->roots[base + 2], &cmp) && vm_truthy(vm, cmp, &better);
        vm_pop_roots(vm, 2);
        if (!ok) {
            r = -1;
            break;
        }
        if (better) {
            vm->roots[base + 1] = item;
            vm->roots[base + 2] = val;
        }
    }
    Value best = vm->roots[base + 1];
    vm_pop_roots(vm, 3);
    if (r < 0) return false;
    if (IS_EMPTY(best)) {
        if (!IS_EMPTY(opt[1])) {
            *result = opt[1];
            return true;
        }
        return vm_raise(vm, vm->ValueError, "%s() arg is an empty sequence", name);
    }
    *result = best;
    return true;
}

static bool builtin_min(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return min_max(vm, args, nargs, kwnames, CMP_LT, "min", result);
}

static bool builtin_max(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return min_max(vm, args, nargs, kwnames, CMP_GT, "max", result);
}

// any() and all(): stop at the first item whose truth is `stop_on`.
static bool any_all(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name, bool stop_on,
                    Value *result) {
    if (!arity_one(vm, name, nargs, kwnames)) return false;
    Value it;
    if (!vm_iter(vm, args[0], &it)) return false;
    vm_push_root(vm, it);
    Value item;
    int r;
    bool found = false;
    while ((r = vm_next(vm, it, &item)) == 1) {
        bool truth;
        if (!vm_truthy(vm, item, &truth)) {
            r = -1;
            break;
        }
        if (truth == stop_on) {
            found = true;
            break;
        }
    }
    vm_pop_root(vm);
    if (r < 0) return false;
    *result = BOOL_VAL(found ? stop_on : !stop_on);
    return true;
}

static bool builtin_any(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return any_all(vm, args, nargs, kwnames, "any", true, result);
}

static bool builtin_all(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return any_all(vm, args, nargs, kwnames, "all", false, result);
}

static bool builtin_sorted(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 1) return vm_raise(vm, vm->TypeError, "sorted expected 1 argument, got %d", nargs);
    static const char *const names[] = {"key", "reverse", NULL};
    Value opt[2] = {NONE_VAL(), INT_VAL(0)};
    if (!arity_keywords(vm, "sort", kwnames, args + nargs, names, opt)) return false;
    ObjList *list = vm_list_from_iterable(vm, args[0]);
    if (!list) return false;
    vm_push_root(vm, OBJ_VAL(list));
    int64_t reverse;
    bool ok = vm_index_value(vm, opt[1], &reverse) && sort_list(vm, list, opt[0], reverse != 0);
    vm_pop_root(vm);
    *result = OBJ_VAL(list);
    return ok;
}

// ---- registration -------------------------------------------------------------------------------

// A builtin that is a class of iterators, constructed by its __new__.
static void define_iter_class(Vm *vm, const char *name, NativeFn new_fn) {
    ObjClass *cls = define_class(vm, name, vm->iterator_class, OBJ_ITER);
    vm_push_root(vm, OBJ_VAL(cls));
    define_methods(vm, cls, (MethodDef[]){{"__new__", new_fn}, {NULL, NULL}});
    dict_set_cstr(vm, vm->builtins, name, OBJ_VAL(cls));
    vm_pop_root(vm);
}

void runtime_init_iter(Vm *vm) {
    // As in CPython, these may be subclassed (class Pairs(zip): ...).
    define_iter_class(vm, "enumerate", enumerate_new);
    define_iter_class(vm, "zip", zip_new);
    define_iter_class(vm, "map", map_new);
    define_iter_class(vm, "filter", filter_new);
    define_iter_class(vm, "reversed", reversed_new);
    static const MethodDef fns[] = {
        {"iter", builtin_iter}, {"next", builtin_next}, {"sum", builtin_sum}, {"min", builtin_min},
        {"max", builtin_max}, {"any", builtin_any}, {"all", builtin_all}, {"sorted", builtin_sorted},
        {NULL, NULL}};
    for (const MethodDef *d = fns; d->name; d++) define_native(vm, vm->builtins, d->name, d->fn);
    callable_iterator_class = define_class(vm, "callable_iterator", vm->iterator_class, OBJ_ITER);
    AS_NATIVE(dict_get_str(vm->builtins, str_from_c(vm, "iter")))->data = OBJ_VAL(callable_iterator_class);
}
