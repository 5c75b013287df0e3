/* functools: partial, reduce, wraps / update_wrapper, lru_cache / cache, cmp_to_key and
 * total_ordering.
 *
 * The callable objects (partial, the lru_cache wrapper, cmp_to_key's keys) are instances of
 * classes written in C with a __call__ (or comparison) method.  A native function cannot see
 * data of its own, so what each object needs lives in its instance dict: a partial keeps its
 * public attributes func, args and keywords there; the cache wrapper keeps its state in one
 * entry, "__aio_lru__" (a list: function, cache dict, hits, misses, maxsize, typed).
 */
#include <string.h>

#include "modinit.h"

// The instance dict entry `name` of obj (EMPTY when obj is not an instance or lacks it).
static Value inst_get(Vm *vm, Value obj, const char *name) {
    if (!IS_INSTANCE(obj)) return EMPTY_VAL();
    return dict_get_str(AS_INSTANCE(obj)->dict, str_from_c(vm, name));
}

static void inst_set(Vm *vm, Value obj, const char *name, Value value) {
    vm_push_root(vm, value);
    dict_set_cstr(vm, AS_INSTANCE(obj)->dict, name, value);
    vm_pop_root(vm);
}

// Whether v can be called (callable()).
static bool is_callable(Vm *vm, Value v) {
    if (IS_FUNCTION(v) || IS_NATIVE(v) || IS_BOUND(v) || IS_CLASS(v)) return true;
    return IS_OBJ(v) && !IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_call));
}

// ---- partial(func, *args, **keywords) -----------------------------------------------------------

static bool is_partial(Vm *vm, Value v) {
    if (!IS_INSTANCE(v)) return false;
    Value cls = dict_get_str(vm->modules, str_from_c(vm, "functools"));
    if (!IS_MODULE(cls)) return false;
    cls = dict_get_str(AS_MODULE(cls)->globals, str_from_c(vm, "partial"));
    return IS_CLASS(cls) && AS_OBJ(v)->cls == AS_CLASS(cls);
}

// Fills the partial pv (an instance).  A partial of a partial is flattened, as CPython does.
static void fill_partial(Vm *vm, Value pv, Value func, Value *args, int nargs, ObjTuple *kwnames) {
    Value inner_args = EMPTY_VAL(), inner_kw = EMPTY_VAL();
    if (is_partial(vm, func)) {
        inner_args = inst_get(vm, func, "args");
        inner_kw = inst_get(vm, func, "keywords");
        func = inst_get(vm, func, "func");
    }
    size_t ninner = IS_TUPLE(inner_args) ? AS_TUPLE(inner_args)->count : 0;
    ObjTuple *all = tuple_new(vm, ninner + (size_t)nargs);
    for (size_t i = 0; i < ninner; i++) all->items[i] = AS_TUPLE(inner_args)->items[i];
    for (int i = 0; i < nargs; i++) all->items[ninner + (size_t)i] = args[i];
    inst_set(vm, pv, "args", OBJ_VAL(all));  // first: it is reachable only from here
    inst_set(vm, pv, "func", func);
    ObjDict *kw = IS_DICT(inner_kw) ? dict_copy(vm, AS_DICT(inner_kw)) : dict_new(vm);
    inst_set(vm, pv, "keywords", OBJ_VAL(kw));
    if (kwnames)
        for (size_t i = 0; i < kwnames->count; i++)
            dict_set_str(vm, kw, AS_STR(kwnames->items[i]), args[nargs + (int)i]);
}

// A new partial of class cls (for wraps and lru_cache, which make them from C).
static bool make_partial(Vm *vm, ObjClass *cls, Value func, Value *args, int nargs,
                         ObjTuple *kwnames, Value *result) {
    Value pv = OBJ_VAL(instance_new(vm, cls));
    vm_push_root(vm, pv);
    fill_partial(vm, pv, func, args, nargs, kwnames);
    vm_pop_root(vm);
    *result = pv;
    return true;
}

// partial.__init__(self, func, *args, **keywords)
static bool partial_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 2) return vm_raise(vm, vm->TypeError, "type 'partial' takes at least one argument");
    if (!IS_INSTANCE(args[0]))
        return vm_raise(vm, vm->TypeError, "partial.__init__ needs an instance");
    if (!is_callable(vm, args[1]))
        return vm_raise(vm, vm->TypeError, "the first argument must be callable");
    fill_partial(vm, args[0], args[1], args + 2, nargs - 2, kwnames);
    *result = NONE_VAL();
    return true;
}

// Calls func(*p.args, *args, **{**p.keywords, **kwargs}).
static bool partial_call(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value self = args[0];
    Value func = inst_get(vm, self, "func"), pargs = inst_get(vm, self, "args"),
          pkw = inst_get(vm, self, "keywords");
    if (IS_EMPTY(func) || !IS_TUPLE(pargs) || !IS_DICT(pkw))
        return vm_raise(vm, vm->TypeError, "partial object is not initialized");
    ObjTuple *stored = AS_TUPLE(pargs);
    ObjDict *kw = AS_DICT(pkw);
    int ncall = nargs - 1, nkw_call = kwnames ? (int)kwnames->count : 0;
    size_t npos = stored->count + (size_t)ncall;
    // Keywords: the stored ones, overridden by the call's, in a fresh dict to merge them.
    ObjDict *merged = dict_copy(vm, kw);
    vm_push_root(vm, OBJ_VAL(merged));
    for (int i = 0; i < nkw_call; i++)
        dict_set_str(vm, merged, AS_STR(kwnames->items[i]), args[nargs + i]);
    size_t total = npos + merged->used;
    if (total > MAX_ARGS) {
        vm_pop_root(vm);
        return vm_raise(vm, vm->TypeError, "too many arguments");
    }
    ObjTuple *names = merged->used ? tuple_new(vm, merged->used) : NULL;
    Value buf[MAX_ARGS + 1];
    for (size_t i = 0; i < stored->count; i++) buf[i] = stored->items[i];
    for (int i = 0; i < ncall; i++) buf[stored->count + (size_t)i] = args[1 + i];
    size_t pos = 0, k = 0;
    Value key, value;
    while (dict_next(merged, &pos, &key, &value)) {
        names->items[k] = key;
        buf[npos + k++] = value;
    }
    if (names) vm_push_root(vm, OBJ_VAL(names));
    bool ok = vm_call(vm, func, buf, (int)npos, names, result);
    vm_pop_roots(vm, names ? 2 : 1);
    return ok;
}

// functools.partial(<function f at 0x...>, 1, key='v')
static bool partial_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value self = args[0];
    Value func = inst_get(vm, self, "func"), pargs = inst_get(vm, self, "args"),
          pkw = inst_get(vm, self, "keywords");
    ObjClass *cls = AS_OBJ(self)->cls;
    Value module = class_lookup(cls, vm->s_module);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s.%s(", IS_STR(module) ? AS_STR(module)->chars : "functools",
              cls->qualname->chars);
    ObjStr *r = vm_repr(vm, func);
    if (!r) goto fail;
    sb_append(&sb, r->chars, r->length);
    if (IS_TUPLE(pargs))
        for (size_t i = 0; i < AS_TUPLE(pargs)->count; i++) {
            if (!(r = vm_repr(vm, AS_TUPLE(pargs)->items[i]))) goto fail;
            sb_puts(&sb, ", ");
            sb_append(&sb, r->chars, r->length);
        }
    if (IS_DICT(pkw)) {
        size_t pos = 0;
        Value key, value;
        while (dict_next(AS_DICT(pkw), &pos, &key, &value)) {
            ObjStr *k = vm_str(vm, key);
            if (!k) goto fail;
            sb_printf(&sb, ", %s=", k->chars);
            if (!(r = vm_repr(vm, value))) goto fail;
            sb_append(&sb, r->chars, r->length);
        }
    }
    sb_putc(&sb, ')');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
fail:
    sb_free(&sb);
    return false;
}

// ---- reduce(function, iterable[, initial]) ------------------------------------------------------

static bool ft_reduce(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "reduce() takes no keyword arguments");
    if (nargs < 2 || nargs > 3)
        return vm_raise(vm, vm->TypeError, "reduce expected at %s %d arguments, got %d",
                        nargs < 2 ? "least" : "most", nargs < 2 ? 2 : 3, nargs);
    Value it, acc = nargs == 3 ? args[2] : EMPTY_VAL();
    if (!vm_iter(vm, args[1], &it)) {
        if (!vm_exception_matches(vm, vm->TypeError)) return false;
        vm_clear_exception(vm);
        return vm_raise(vm, vm->TypeError, "reduce() arg 2 must support iteration");
    }
    vm_push_root(vm, it);
    vm_push_root(vm, acc);
    for (;;) {
        Value item;
        int got = vm_next(vm, it, &item);
        if (got < 0) {
            vm_pop_roots(vm, 2);
            return false;
        }
        if (got == 0) break;
        if (IS_EMPTY(acc)) {
            acc = item;
        } else {
            vm_push_root(vm, item);
            bool ok = vm_call2(vm, args[0], acc, item, &acc);
            vm_pop_root(vm);
            if (!ok) {
                vm_pop_roots(vm, 2);
                return false;
            }
        }
        vm_pop_root(vm);
        vm_push_root(vm, acc);
    }
    vm_pop_roots(vm, 2);
    if (IS_EMPTY(acc))
        return vm_raise(vm, vm->TypeError, "reduce() of empty iterable with no initial value");
    *result = acc;
    return true;
}

// ---- update_wrapper / wraps ---------------------------------------------------------------------

static const char *const WRAPPER_ASSIGNMENTS[] = {"__module__", "__name__", "__qualname__",
                                                  "__doc__", "__annotations__", NULL};

// Copies one attribute from wrapped to wrapper when wrapped has it.
static bool copy_attr(Vm *vm, Value wrapper, Value wrapped, ObjStr *name) {
    Value v;
    vm_push_root(vm, OBJ_VAL(name));
    int found = vm_getattr_opt(vm, wrapped, name, &v);
    bool ok = found >= 0;
    if (found > 0) {
        vm_push_root(vm, v);
        ok = vm_setattr(vm, wrapper, name, v);
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return ok;
}

// wrapper.__dict__.update(wrapped.__dict__), skipped when either has no __dict__.
static bool update_dict(Vm *vm, Value wrapper, Value wrapped, ObjStr *name) {
    Value mine, theirs, update, ignored;
    int found = vm_getattr_opt(vm, wrapper, name, &mine);
    if (found <= 0) return found == 0;
    vm_push_root(vm, mine);
    found = vm_getattr_opt(vm, wrapped, name, &theirs);
    bool ok = found >= 0;
    if (found > 0) {
        vm_push_root(vm, theirs);
        ok = vm_getattr(vm, mine, str_from_c(vm, "update"), &update) &&
             vm_call1(vm, update, theirs, &ignored);
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return ok;
}

static bool do_update_wrapper(Vm *vm, Value wrapper, Value wrapped, Value assigned,
                              Value updated) {
    if (IS_EMPTY(assigned)) {
        for (const char *const *a = WRAPPER_ASSIGNMENTS; *a; a++)
            if (!copy_attr(vm, wrapper, wrapped, str_from_c(vm, *a))) return false;
    } else {
        ObjList *names = vm_list_from_iterable(vm, assigned);
        if (!names) return false;
        vm_push_root(vm, OBJ_VAL(names));
        for (size_t i = 0; i < names->count; i++) {
            if (!IS_STR(names->items[i]) ||
                !copy_attr(vm, wrapper, wrapped, AS_STR(names->items[i]))) {
                vm_pop_root(vm);
                return IS_STR(names->items[i])
                           ? false
                           : vm_raise(vm, vm->TypeError, "attribute name must be string");
            }
        }
        vm_pop_root(vm);
    }
    if (IS_EMPTY(updated)) {
        if (!update_dict(vm, wrapper, wrapped, vm->s_dict)) return false;
    } else {
        ObjList *names = vm_list_from_iterable(vm, updated);
        if (!names) return false;
        vm_push_root(vm, OBJ_VAL(names));
        for (size_t i = 0; i < names->count; i++)
            if (IS_STR(names->items[i]) &&
                !update_dict(vm, wrapper, wrapped, AS_STR(names->items[i]))) {
                vm_pop_root(vm);
                return false;
            }
        vm_pop_root(vm);
    }
    return vm_setattr(vm, wrapper, str_from_c(vm, "__wrapped__"), wrapped);
}

static bool ft_update_wrapper(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"wrapper", "wrapped", "assigned", "updated", NULL};
    Value a[4];
    if (!parse_args(vm, "update_wrapper", args, nargs, kwnames, names, 2, a)) return false;
    if (!do_update_wrapper(vm, a[0], a[1], a[2], a[3])) return false;
    *result = a[0];
    return true;
}

// wraps(wrapped): partial(update_wrapper, wrapped=wrapped[, assigned=..., updated=...]).
static bool ft_wraps(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"wrapped", "assigned", "updated", NULL};
    Value a[3];
    if (!parse_args(vm, "wraps", args, nargs, kwnames, names, 1, a)) return false;
    ObjClass *cls = mod_find_class(vm, "functools", "partial");
    if (!cls) return false;
    Value mod = dict_get_str(vm->modules, str_from_c(vm, "functools"));
    Value update = dict_get_str(AS_MODULE(mod)->globals, str_from_c(vm, "update_wrapper"));
    int n = 1 + !IS_EMPTY(a[1]) + !IS_EMPTY(a[2]);
    ObjTuple *kw = tuple_new(vm, (size_t)n);
    vm_push_root(vm, OBJ_VAL(kw));
    Value vals[3];
    int k = 0;
    for (int i = 0; i < 3; i++) {
        if (IS_EMPTY(a[i])) continue;
        kw->items[k] = OBJ_VAL(str_from_c(vm, names[i]));
        vals[k++] = a[i];
    }
    bool ok = make_partial(vm, cls, update, vals, 0, kw, result);
    vm_pop_root(vm);
    return ok;
}

// ---- lru_cache / cache --------------------------------------------------------------------------

enum { LRU_FUNC, LRU_CACHE, LRU_HITS, LRU_MISSES, LRU_MAXSIZE, LRU_TYPED, LRU_SIZE };

static ObjList *lru_state(Vm *vm, Value self) {
    Value st = inst_get(vm, self, "__aio_lru__");
    if (!IS_LIST(st) || AS_LIST(st)->count != LRU_SIZE) {
        vm_raise(vm, vm->TypeError, "not an lru_cache wrapper");
        return NULL;
    }
    return AS_LIST(st);
}

// The cache key of a call: the arguments, a marker and the keyword pairs, then (typed) the
// argument types; one int or str argument alone is its own key (CPython's _make_key).
static bool make_key(Vm *vm, Value marker, Value *args, int nargs, ObjTuple *kwnames, bool typed,
                     Value *key) {
    int nkw = kwnames ? (int)kwnames->count : 0;
    if (nkw == 0 && !typed && nargs == 1 && (IS_INT(args[0]) || IS_STR(args[0]))) {
        *key = args[0];
        return true;
    }
    size_t n =
        (size_t)nargs + (nkw ? 1 + 2 * (size_t)nkw : 0) + (typed ? (size_t)(nargs + nkw) : 0);
    ObjTuple *t = tuple_new(vm, n);
    size_t k = 0;
    for (int i = 0; i < nargs; i++) t->items[k++] = args[i];
    if (nkw) {
        t->items[k++] = marker;
        for (int i = 0; i < nkw; i++) {
            t->items[k++] = kwnames->items[i];
            t->items[k++] = args[nargs + i];
        }
    }
    if (typed)
        for (int i = 0; i < nargs + nkw; i++) t->items[k++] = OBJ_VAL(vm_class_of(vm, args[i]));
    *key = OBJ_VAL(t);
    return true;
}

// No temp root is held while the user function runs: a cached recursive function (fib) nests
// these calls as deep as its recursion, and the temp-root stack is small.  So the key is made
// again after the call, from the arguments (which the caller keeps alive).
static bool lru_call(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value self = args[0];
    ObjList *st = lru_state(vm, self);
    if (!st) return false;
    Value *s = st->items;
    int64_t maxsize = IS_NONE(s[LRU_MAXSIZE]) ? -1 : AS_INT(s[LRU_MAXSIZE]);
    bool typed = AS_BOOL(s[LRU_TYPED]);
    Value marker = OBJ_VAL(AS_OBJ(self)->cls), func = s[LRU_FUNC];
    if (maxsize == 0) {  // no caching: every call is a miss
        s[LRU_MISSES] = INT_VAL(AS_INT(s[LRU_MISSES]) + 1);
        return vm_call(vm, func, args + 1, nargs - 1, kwnames, result);
    }
    Value key, cached;
    if (!make_key(vm, marker, args + 1, nargs - 1, kwnames, typed, &key)) return false;
    vm_push_root(vm, key);
    ObjDict *cache = AS_DICT(s[LRU_CACHE]);
    int found = dict_get(vm, cache, key, &cached);
    if (found > 0) {
        s[LRU_HITS] = INT_VAL(AS_INT(s[LRU_HITS]) + 1);
        if (maxsize > 0) {  // most recently used moves to the end
            vm_push_root(vm, cached);
            if (dict_delete(vm, cache, key, NULL) < 0 || !dict_set(vm, cache, key, cached))
                found = -1;
            vm_pop_root(vm);
        }
        *result = cached;
    }
    vm_pop_root(vm);
    if (found != 0) return found > 0;
    s[LRU_MISSES] = INT_VAL(AS_INT(s[LRU_MISSES]) + 1);
    if (!vm_call(vm, func, args + 1, nargs - 1, kwnames, result)) return false;
    vm_push_root(vm, *result);
    bool ok = make_key(vm, marker, args + 1, nargs - 1, kwnames, typed, &key);
    if (ok) {
        vm_push_root(vm, key);
        // A recursive call may have cached this key meanwhile: keep that entry.
        found = dict_get(vm, cache, key, &cached);
        ok = found >= 0;
        if (found == 0) {
            ok = dict_set(vm, cache, key, *result);
            if (ok && maxsize > 0 && (int64_t)cache->used > maxsize) {
                size_t pos = 0;
                Value oldest, ignored;
                dict_next(cache, &pos, &oldest, &ignored);
                ok = dict_delete(vm, cache, oldest, NULL) >= 0;
            }
        }
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return ok;
}

static bool lru_cache_info(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjList *st = lru_state(vm, args[0]);
    if (!st || !check_args(vm, "cache_info", nargs - 1, kwnames, 0, 0)) return false;
    ObjClass *cls = mod_find_class(vm, "functools", "_CacheInfo");
    if (!cls) return false;
    ObjTuple *t = structseq_new(vm, cls, 4);
    t->items[0] = st->items[LRU_HITS];
    t->items[1] = st->items[LRU_MISSES];
    t->items[2] = st->items[LRU_MAXSIZE];
    t->items[3] = INT_VAL((int64_t)AS_DICT(st->items[LRU_CACHE])->used);
    *result = OBJ_VAL(t);
    return true;
}

static bool lru_cache_clear(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjList *st = lru_state(vm, args[0]);
    if (!st || !check_args(vm, "cache_clear", nargs - 1, kwnames, 0, 0)) return false;
    dict_clear(vm, AS_DICT(st->items[LRU_CACHE]));
    st->items[LRU_HITS] = INT_VAL(0);
    st->items[LRU_MISSES] = INT_VAL(0);
    *result = NONE_VAL();
    return true;
}

static bool lru_cache_parameters(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                 Value *result) {
    ObjList *st = lru_state(vm, args[0]);
    if (!st || !check_args(vm, "cache_parameters", nargs - 1, kwnames, 0, 0)) return false;
    ObjDict *d = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(d));
    dict_set_cstr(vm, d, "maxsize", st->items[LRU_MAXSIZE]);
    dict_set_cstr(vm, d, "typed", st->items[LRU_TYPED]);
    vm_pop_root(vm);
    *result = OBJ_VAL(d);
    return true;
}

// Fetched through an instance (a cached method), the wrapper binds like a function.
static bool lru_get(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 2 || IS_NONE(args[1])) {
        *result = args[0];
        return true;
    }
    *result = OBJ_VAL(bound_new(vm, args[1], args[0]));
    return true;
}

// The wrapper of user_function with the given maxsize (-1: unbounded) and typed flag.
static bool lru_wrap(Vm *vm, Value func, int64_t maxsize, bool typed, Value *result) {
    ObjClass *cls = mod_find_class(vm, "functools", "_lru_cache_wrapper");
    if (!cls) return false;
    ObjInstance *w = instance_new(vm, cls);
    Value wv = OBJ_VAL(w);
    vm_push_root(vm, wv);
    ObjList *st = list_new(vm, LRU_SIZE);
    inst_set(vm, wv, "__aio_lru__", OBJ_VAL(st));
    st->items[LRU_FUNC] = func;
    st->items[LRU_HITS] = INT_VAL(0);
    st->items[LRU_MISSES] = INT_VAL(0);
    st->items[LRU_MAXSIZE] = maxsize < 0 ? NONE_VAL() : INT_VAL(maxsize);
    st->items[LRU_TYPED] = BOOL_VAL(typed);
    st->items[LRU_CACHE] = NONE_VAL();
    st->count = LRU_SIZE;
    st->items[LRU_CACHE] = OBJ_VAL(dict_new(vm));
    bool ok = do_update_wrapper(vm, wv, func, EMPTY_VAL(), EMPTY_VAL());
    vm_pop_root(vm);
    if (!ok) return false;
    *result = wv;
    return true;
}

// The decorator lru_cache(maxsize, typed) returns: a partial of this with those keywords.
static bool lru_decorate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"user_function", "maxsize", "typed", NULL};
    Value a[3];
    if (!parse_args(vm, "decorating_function", args, nargs, kwnames, names, 1, a)) return false;
    int64_t maxsize = IS_NONE(a[1]) ? -1 : AS_INT(a[1]);
    return lru_wrap(vm, a[0], maxsize, AS_BOOL(a[2]), result);
}

// lru_cache(maxsize=128, typed=False), or @lru_cache directly on a function.
static bool ft_lru_cache(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"maxsize", "typed", NULL};
    Value a[2];
    if (!parse_args(vm, "lru_cache", args, nargs, kwnames, names, 0, a)) return false;
    Value maxsize = IS_EMPTY(a[0]) ? INT_VAL(128) : a[0];
    bool typed = false;
    if (!IS_EMPTY(a[1]) && !vm_truthy(vm, a[1], &typed)) return false;
    if (IS_INTLIKE(maxsize)) {
        if (AS_INTLIKE(maxsize) < 0) maxsize = INT_VAL(0);
        else maxsize = INT_VAL(AS_INTLIKE(maxsize));
    } else if (is_callable(vm, maxsize) && (IS_EMPTY(a[1]) || IS_BOOL(a[1]))) {
        return lru_wrap(vm, maxsize, 128, typed, result);
    } else if (!IS_NONE(maxsize)) {
        return vm_raise(vm, vm->TypeError,
                        "Expected first argument to be an integer, a callable, or None");
    }
    ObjClass *cls = mod_find_class(vm, "functools", "partial");
    if (!cls) return false;
    Value mod = dict_get_str(vm->modules, str_from_c(vm, "functools"));
    Value decorate = dict_get_str(AS_MODULE(mod)->globals, str_from_c(vm, "_lru_decorate"));
    ObjTuple *kw = tuple_new(vm, 2);
    vm_push_root(vm, OBJ_VAL(kw));
    kw->items[0] = OBJ_VAL(str_from_c(vm, "maxsize"));
    kw->items[1] = OBJ_VAL(str_from_c(vm, "typed"));
    Value vals[2] = {maxsize, BOOL_VAL(typed)};
    bool ok = make_partial(vm, cls, decorate, vals, 0, kw, result);
    vm_pop_root(vm);
    return ok;
}

static bool ft_cache(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"user_function", NULL};
    Value a[1];
    if (!parse_args(vm, "cache", args, nargs, kwnames, names, 1, a)) return false;
    return lru_wrap(vm, a[0], -1, false, result);
}

// ---- cmp_to_key(mycmp) --------------------------------------------------------------------------
// cmp_to_key returns a KeyWrapper holding the function ("_cmp"); calling it wraps an object as
// another KeyWrapper with "obj" set, whose comparisons call the function.

static bool key_new_wrapper(Vm *vm, Value cmp, Value obj, Value *result) {
    ObjClass *cls = mod_find_class(vm, "functools", "KeyWrapper");
    if (!cls) return false;
    ObjInstance *k = instance_new(vm, cls);
    Value kv = OBJ_VAL(k);
    vm_push_root(vm, kv);
    inst_set(vm, kv, "_cmp", cmp);
    if (!IS_EMPTY(obj)) inst_set(vm, kv, "obj", obj);
    vm_pop_root(vm);
    *result = kv;
    return true;
}

static bool ft_cmp_to_key(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"mycmp", NULL};
    Value a[1];
    if (!parse_args(vm, "cmp_to_key", args, nargs, kwnames, names, 1, a)) return false;
    return key_new_wrapper(vm, a[0], EMPTY_VAL(), result);
}

static bool key_call(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"obj", NULL};
    Value a[1];
    if (!parse_args(vm, "K", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    return key_new_wrapper(vm, inst_get(vm, args[0], "_cmp"), a[0], result);
}

// mycmp(self.obj, other.obj) compared with 0 by op.
static bool key_compare(Vm *vm, int op, Value *args, int nargs, Value *result) {
    if (nargs != 2 || !IS_INSTANCE(args[1]) || AS_OBJ(args[1])->cls != AS_OBJ(args[0])->cls)
        return vm_raise(vm, vm->TypeError, "other argument must be K instance");
    Value a = inst_get(vm, args[0], "obj"), b = inst_get(vm, args[1], "obj");
    if (IS_EMPTY(a) || IS_EMPTY(b)) return vm_raise(vm, vm->AttributeError, "object");
    Value r;
    if (!vm_call2(vm, inst_get(vm, args[0], "_cmp"), a, b, &r)) return false;
    vm_push_root(vm, r);
    bool ok = vm_compare(vm, op, r, INT_VAL(0), result);
    vm_pop_root(vm);
    return ok;
}

#define KEY_CMP(name, op)                                                                          \
    static bool key_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {     \
        return key_compare(vm, op, args, nargs, result);                                           \
    }
KEY_CMP(lt, CMP_LT)
KEY_CMP(le, CMP_LE)
KEY_CMP(gt, CMP_GT)
KEY_CMP(ge, CMP_GE)
KEY_CMP(eq, CMP_EQ)
KEY_CMP(ne, CMP_NE)

// ---- total_ordering(cls) ------------------------------------------------------------------------

// How a derived comparison combines the root's result r (Lib/functools.py's _convert table).
typedef enum {
    NOT_R_AND_NE, // not r and self != other
    R_OR_EQ,      // r or self == other
    NOT_R,        // not r
    R_AND_NE,     // r and self != other
    NOT_R_OR_EQ,  // not r or self == other
} Derivation;

static bool derived(Vm *vm, const char *root, Derivation how, Value *args, int nargs,
                    Value *result) {
    if (nargs != 2) return vm_raise(vm, vm->TypeError, "expected 1 argument, got %d", nargs - 1);
    Value self = args[0], other = args[1],
          fn = class_lookup(vm_class_of(vm, self), str_from_c(vm, root));
    Value r;
    if (IS_EMPTY(fn) || !vm_call2(vm, fn, self, other, &r)) return false;
    if (value_is(r, vm->not_implemented)) {
        *result = r;
        return true;
    }
    bool truth;
    if (!vm_truthy(vm, r, &truth)) return false;
    switch (how) {
    case NOT_R:
        *result = BOOL_VAL(!truth);
        return true;
    case NOT_R_AND_NE:
    case R_AND_NE:
        if ((how == NOT_R_AND_NE) == truth) {  // the left operand of `and` is false
            *result = how == R_AND_NE ? r : BOOL_VAL(false);
            return true;
        }
        return vm_compare(vm, CMP_NE, self, other, result);
    case R_OR_EQ:
    case NOT_R_OR_EQ:
        if ((how == R_OR_EQ) == truth) {  // the left operand of `or` is true
            *result = how == R_OR_EQ ? r : BOOL_VAL(true);
            return true;
        }
        return vm_compare(vm, CMP_EQ, self, other, result);
    }
    return false;
}

#define DERIVED(name, root, how)                                                                   \
    static bool name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {           \
        return derived(vm, root, how, args, nargs, result);                                        \
    }
DERIVED(gt_from_lt, "__lt__", NOT_R_AND_NE)
DERIVED(le_from_lt, "__lt__", R_OR_EQ)
DERIVED(ge_from_lt, "__lt__", NOT_R)
DERIVED(ge_from_le, "__le__", NOT_R_OR_EQ)
DERIVED(lt_from_le, "__le__", R_AND_NE)
DERIVED(gt_from_le, "__le__", NOT_R)
DERIVED(lt_from_gt, "__gt__", NOT_R_AND_NE)
DERIVED(ge_from_gt, "__gt__", R_OR_EQ)
DERIVED(le_from_gt, "__gt__", NOT_R)
DERIVED(le_from_ge, "__ge__", NOT_R_OR_EQ)
DERIVED(gt_from_ge, "__ge__", R_AND_NE)
DERIVED(lt_from_ge, "__ge__", NOT_R)

static bool ft_total_ordering(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "total_ordering", nargs, kwnames, 1, 1)) return false;
    if (!IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "total_ordering expects a class");
    ObjClass *cls = AS_CLASS(args[0]);
    // The roots are the comparisons the class defines itself (not object's); the one with the
    // greatest name wins, as max(roots) does: __lt__, then __le__, __gt__, __ge__.
    static const char *const order[] = {"__lt__", "__le__", "__gt__", "__ge__"};
    static const struct {
        const char *name;
        NativeFn fn;
    } convert[4][3] = {
        {{"__gt__", gt_from_lt}, {"__le__", le_from_lt}, {"__ge__", ge_from_lt}},
        {{"__ge__", ge_from_le}, {"__lt__", lt_from_le}, {"__gt__", gt_from_le}},
        {{"__lt__", lt_from_gt}, {"__ge__", ge_from_gt}, {"__le__", le_from_gt}},
        {{"__le__", le_from_ge}, {"__gt__", gt_from_ge}, {"__lt__", lt_from_ge}},
    };
    bool defined[4];
    int root = -1;
    for (int i = 0; i < 4; i++) {
        ObjStr *name = str_from_c(vm, order[i]);
        Value mine = class_lookup(cls, name), base = class_lookup(vm->object_class, name);
        defined[i] = !IS_EMPTY(mine) && !value_is(mine, base);
        if (defined[i] && root < 0) root = i;
    }
    if (root < 0)
        return vm_raise(vm, vm->ValueError,
                        "must define at least one ordering operation: < > <= >=");
    for (int k = 0; k < 3; k++) {
        int target = 0;
        while (strcmp(order[target], convert[root][k].name) != 0) target++;
        if (defined[target]) continue;
        ObjNative *fn = native_new(vm, convert[root][k].name, convert[root][k].fn, cls);
        vm_push_root(vm, OBJ_VAL(fn));
        bool ok = vm_setattr(vm, args[0], fn->name, OBJ_VAL(fn));
        vm_pop_root(vm);
        if (!ok) return false;
    }
    *result = args[0];
    return true;
}

// ---- the module ---------------------------------------------------------------------------------

ObjModule *mod_functools_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "functools");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *partial = mod_class(vm, m, "partial", vm->object_class, OBJ_INSTANCE);
    partial->flags &= ~CLASS_BUILTIN;  // subclassable, with an instance dict like CPython's
    define_methods(vm, partial, (MethodDef[]){{"__init__", partial_init},
                                              {"__call__", partial_call},
                                              {"__repr__", partial_repr},
                                              {NULL, NULL}});
    ObjClass *lru = mod_class(vm, m, "_lru_cache_wrapper", vm->object_class, OBJ_INSTANCE);
    lru->flags |= CLASS_INSTANCE_DICT; // update_wrapper fills it, as CPython's
    define_methods(vm, lru, (MethodDef[]){{"__call__", lru_call},
                                          {"__get__", lru_get},
                                          {"cache_info", lru_cache_info},
                                          {"cache_clear", lru_cache_clear},
                                          {"cache_parameters", lru_cache_parameters},
                                          {NULL, NULL}});
    ObjClass *key = mod_class(vm, m, "KeyWrapper", vm->object_class, OBJ_INSTANCE);
    define_methods(vm, key, (MethodDef[]){{"__call__", key_call}, {"__lt__", key_lt},
                                          {"__le__", key_le},     {"__gt__", key_gt},
                                          {"__ge__", key_ge},     {"__eq__", key_eq},
                                          {"__ne__", key_ne},     {NULL, NULL}});
    dict_set_cstr(vm, key->dict, "__hash__", NONE_VAL());
    static const char *const info_fields[] = {"hits", "misses", "maxsize", "currsize", NULL};
    ObjClass *info = structseq_class(vm, m, "CacheInfo", info_fields, false, false);
    mod_set(vm, m, "_CacheInfo", OBJ_VAL(info));
    static const MethodDef fns[] = {
        {"reduce", ft_reduce},
        {"update_wrapper", ft_update_wrapper},
        {"wraps", ft_wraps},
        {"lru_cache", ft_lru_cache},
        {"cache", ft_cache},
        {"_lru_decorate", lru_decorate},
        {"cmp_to_key", ft_cmp_to_key},
        {"total_ordering", ft_total_ordering},
        {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    ObjTuple *assigned = tuple_new(vm, 5);
    vm_push_root(vm, OBJ_VAL(assigned));
    for (int i = 0; i < 5; i++)
        assigned->items[i] = OBJ_VAL(str_from_c(vm, WRAPPER_ASSIGNMENTS[i]));
    mod_set(vm, m, "WRAPPER_ASSIGNMENTS", OBJ_VAL(assigned));
    ObjTuple *updated = tuple_new(vm, 1);
    updated->items[0] = OBJ_VAL(vm->s_dict);
    mod_set(vm, m, "WRAPPER_UPDATES", OBJ_VAL(updated));
    vm_pop_roots(vm, 2);
    return m;
}
