/* random: CPython's random module, drawing the same numbers for the same seed.
 *
 * The generator is runtime/mt19937.c (CPython's Mersenne Twister, bit for bit); this file adds
 * the methods of Lib/random.py on top of it, each consuming the generator exactly as CPython's
 * does, so `random.seed(42); random.random()` prints what python3 prints.
 *
 * A Random object is an ObjBox of class random.Random holding a RandomState.  The module-level
 * functions are bound methods of one hidden instance, `random._inst`, as in CPython.
 */
#include <math.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "bigint.h"
#include "modinit.h"
#include "number.h"
#include "mt19937.h"
#include "sha512.h"

typedef struct {
    Mt19937 mt;
    bool has_gauss_next; // gauss() makes values in pairs and keeps the second one here
    double gauss_next;
} RandomState;

static void state_free(void *data) { free(data); }

// The state of `self`, or NULL with a TypeError when self is not a Random.
static RandomState *self_state(Vm *vm, const char *method, Value *args, int nargs) {
    if (nargs < 1 || !IS_BOX(args[0]) || AS_BOX(args[0])->finalize != state_free) {
        vm_raise(vm, vm->TypeError,
                 "descriptor '%s' for 'Random' objects doesn't apply to a '%s' object", method,
                 nargs < 1 ? "nothing" : vm_type_name(vm, args[0]));
        return NULL;
    }
    return AS_BOX(args[0])->data;
}

// Parses a method's arguments after self (names NULL-terminated, `required` mandatory).
#define PARSE(names, required, out)                                                                \
    parse_args(vm, fname, args + 1, nargs - 1, kwnames, names, required, out)

// ---- seeding ------------------------------------------------------------------------------------

// Seeds from the integer whose big-endian bytes are bytes[0..n): its 32-bit words, least
// significant first, as many as its bit length needs (CPython's random_seed for a big int).
static void seed_big_endian(Mt19937 *mt, const uint8_t *bytes, size_t n) {
    while (n > 0 && bytes[0] == 0) bytes++, n--;
    size_t nwords = n ? (n + 3) / 4 : 1;
    uint32_t *key = calloc(nwords, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        size_t from_end = n - 1 - i;  // byte significance
        key[from_end / 4] |= (uint32_t)bytes[i] << (8 * (from_end % 4));
    }
    mt_seed_by_array(mt, key, nwords);
    free(key);
}

static void seed_u64(Mt19937 *mt, uint64_t v) {
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)(v >> (56 - 8 * i));
    seed_big_endian(mt, be, 8);
}

// 624 words from the OS, as CPython's random_seed_urandom; time and pid if that fails.
static void seed_from_os(Vm *vm, Mt19937 *mt) {
    uint32_t key[MT_N];
    size_t got = 0;
    while (got < sizeof key) {
        ssize_t n = getrandom((char *)key + got, sizeof key - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got == sizeof key) {
        mt_seed_by_array(mt, key, MT_N);
        return;
    }
    uint32_t fallback[3] = {(uint32_t)clock_wall_ns(vm), (uint32_t)(clock_wall_ns(vm) >> 32),
                            (uint32_t)getpid()};
    mt_seed_by_array(mt, fallback, 3);
}

// The code points of a str or the bytes of a bytes object, for version-1 seeding.
static uint64_t version1_seed(const unsigned char *s, size_t n, bool utf8) {
    uint32_t *cps = malloc(sizeof(uint32_t) * (n ? n : 1));
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = s[i++];
        if (utf8 && c >= 0x80) {
            int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
            c &= 0x3F >> extra;
            while (extra-- > 0 && i < n) c = (c << 6) | (s[i++] & 0x3F);
        }
        cps[count++] = c;
    }
    uint64_t x = count ? (uint64_t)cps[0] << 7 : 0;
    for (size_t i = 0; i < count; i++) x = (1000003 * x) ^ cps[i];
    x ^= count;
    free(cps);
    return x == UINT64_MAX ? (uint64_t)-2 : x;
}

static bool do_seed(Vm *vm, RandomState *st, Value a, int64_t version) {
    st->has_gauss_next = false;
    if (IS_EMPTY(a) || IS_NONE(a)) {
        seed_from_os(vm, &st->mt);
        return true;
    }
    if (IS_INTLIKE(a)) {
        mt_seed_int(&st->mt, AS_INTLIKE(a));
        return true;
    }
    if (IS_BIGINT(a)) { // |a| as 32-bit words, least significant first
        size_t count;
        uint32_t *key = mpz_export(NULL, &count, -1, sizeof(uint32_t), 0, 0, AS_BIGINT(a)->value);
        mt_seed_by_array(&st->mt, key, count);
        void (*release)(void *, size_t);
        mp_get_memory_functions(NULL, NULL, &release);
        release(key, count * sizeof(uint32_t));
        return true;
    }
    if (IS_FLOAT(a)) {
        seed_u64(&st->mt, hash_float(AS_FLOAT(a))); // hash(a), as CPython seeds with a float
        return true;
    }
    const unsigned char *data;
    size_t n;
    if (IS_STR(a)) {
        data = (const unsigned char *)AS_STR(a)->chars;
        n = AS_STR(a)->length;
    } else if (IS_BYTES(a) || IS_BYTEARRAY(a)) {
        ByteSpan span;
        bytes_like(vm, a, &span);
        data = span.data;
        n = span.length;
    } else {
        return vm_raise(vm, vm->TypeError,
                        "The only supported seed types are: None,\nint, float, str, bytes, and "
                        "bytearray.");
    }
    if (version == 1) {
        seed_u64(&st->mt, version1_seed(data, n, IS_STR(a)));
        return true;
    }
    // Version 2: the int whose bytes are the text followed by its SHA-512 digest.
    uint8_t *buf = malloc(n + SHA512_DIGEST_SIZE);
    memcpy(buf, data, n);
    sha512_digest(data, n, buf + n);
    seed_big_endian(&st->mt, buf, n + SHA512_DIGEST_SIZE);
    free(buf);
    return true;
}

static bool rnd_seed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "seed";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"a", "version", NULL};
    Value a[2];
    if (!st || !PARSE(names, 0, a)) return false;
    int64_t version = 2;
    if (!IS_EMPTY(a[1]) && !mod_arg_index(vm, a[1], &version)) return false;
    if (!do_seed(vm, st, a[0], version)) return false;
    *result = NONE_VAL();
    return true;
}

// Random(x=None): a new generator seeded from x.
static bool rnd_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "bad call");
    static const char *const names[] = {"x", NULL};
    Value a[1];
    if (!parse_args(vm, "Random", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    RandomState *st = calloc(1, sizeof *st);
    if (!do_seed(vm, st, a[0], 2)) {
        free(st);
        return false;
    }
    *result = OBJ_VAL(box_new(vm, AS_CLASS(args[0]), st, state_free));
    return true;
}

// __init__(x=None) re-seeds, so a subclass's super().__init__(x) works as in CPython.
static bool rnd_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "Random";
    RandomState *st = self_state(vm, "__init__", args, nargs);
    static const char *const names[] = {"x", NULL};
    Value a[1];
    if (!st || !PARSE(names, 0, a)) return false;
    if (!IS_EMPTY(a[0]) && !do_seed(vm, st, a[0], 2)) return false;
    *result = NONE_VAL();
    return true;
}

// ---- integers -----------------------------------------------------------------------------------

static bool rnd_random(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RandomState *st = self_state(vm, "random", args, nargs);
    if (!st || !check_args(vm, "random", nargs - 1, kwnames, 0, 0)) return false;
    *result = FLOAT_VAL(mt_random(&st->mt));
    return true;
}

// getrandbits(k) for any k, as CPython builds it: 32-bit words from the least significant up,
// the last one cut to the bits that remain.  False with MemoryError raised when memory is short.
static bool random_bits(Vm *vm, Mt19937 *mt, uint64_t k, Value *out) {
    if (k <= 63) {
        *out = INT_VAL((int64_t)mt_getrandbits(mt, (int)k));
        return true;
    }
    size_t words = (size_t)((k - 1) / 32 + 1);
    if (!big_room(vm, (double)words / 2, 2 * BIG_PEAK_COPY)) return false; // the words, then the int
    uint32_t *w = malloc(words * sizeof(uint32_t));
    if (!w) return vm_raise_memory_error(vm);
    for (size_t i = 0; i < words; i++, k -= 32) {
        uint32_t r = mt_next_u32(mt);
        w[i] = k < 32 ? r >> (32 - k) : r;
    }
    mpz_t z;
    mpz_init(z);
    mpz_import(z, words, -1, sizeof(uint32_t), 0, 0, w);
    free(w);
    *out = int_from_mpz(vm, z);
    return true;
}

// _randbelow(n) for an int n > 0 of any size (false when memory is short).
static bool random_below(Vm *vm, Mt19937 *mt, Value n, Value *out) {
    if (IS_INTLIKE(n)) {
        *out = INT_VAL((int64_t)mt_randbelow(mt, (uint64_t)AS_INTLIKE(n)));
        return true;
    }
    uint64_t k = big_bit_length(n);
    for (;;) {
        if (!random_bits(vm, mt, k, out)) return false;
        if (big_compare(*out, n) < 0) return true;
    }
}

static bool rnd_getrandbits(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RandomState *st = self_state(vm, "getrandbits", args, nargs);
    int64_t k;
    if (!st || !check_args(vm, "getrandbits", nargs - 1, kwnames, 1, 1)) return false;
    if (!arg_c_int(vm, args[1], &k)) return false; // a C int, as CPython's (2**31 is OverflowError)
    if (k < 0) return vm_raise(vm, vm->ValueError, "number of bits must be non-negative");
    return random_bits(vm, &st->mt, (uint64_t)k, result);
}

// An integer argument of randrange: ints, or floats with an integral value (deprecated in
// CPython, still accepted); `what` names it in the error ("arg 1", "stop", "step").
static bool range_arg(Vm *vm, Value v, const char *what, int64_t *out) {
    if (IS_INTLIKE(v)) {
        *out = AS_INTLIKE(v);
        return true;
    }
    if (IS_FLOAT(v)) {
        double d = AS_FLOAT(v);
        if (d != floor(d) || !(fabs(d) < 9.2e18))
            return vm_raise(vm, vm->ValueError, "non-integer %s for randrange()", what);
        *out = (int64_t)d;
        return true;
    }
    return mod_arg_index(vm, v, out);
}

// randrange when a bound or the width is beyond int64: Lib/random.py's steps on big ints.  Every
// intermediate int stays rooted: GMP's allocations may collect.
static bool wide_randrange(Vm *vm, RandomState *st, Value start, Value stop, Value step,
                           Value *result) {
    Value width, n, t;
    if (num_int_values_op(vm, BINOP_SUB, stop, start, &width) < 0) return false;
    vm_push_root(vm, width);
    int64_t istep = 0;
    bool small_step = big_fits_int64(step, &istep), ok;
    if (small_step && istep == 1) {
        if (big_compare(width, INT_VAL(0)) <= 0) {
            ObjStr *a = vm_repr(vm, start), *b = a ? vm_repr(vm, stop) : NULL, *c = b ? vm_repr(vm, width) : NULL;
            vm_pop_root(vm);
            if (!c) return false;
            return vm_raise(vm, vm->ValueError, "empty range for randrange() (%s, %s, %s)",
                            a->chars, b->chars, c->chars);
        }
        if (!random_below(vm, &st->mt, width, &t)) {
            vm_pop_root(vm);
            return false;
        }
        vm_push_root(vm, t);
        ok = num_int_values_op(vm, BINOP_ADD, start, t, result) > 0;
        vm_pop_roots(vm, 2);
        return ok;
    }
    if (small_step && istep == 0) {
        vm_pop_root(vm);
        return vm_raise(vm, vm->ValueError, "zero step for randrange()");
    }
    // n = (width + step -+ 1) // step
    bool up = big_compare(step, INT_VAL(0)) > 0;
    ok = num_int_values_op(vm, BINOP_ADD, width, step, &t) > 0;
    vm_push_root(vm, t);
    ok = ok && num_int_values_op(vm, BINOP_ADD, t, INT_VAL(up ? -1 : 1), &t) > 0;
    vm_push_root(vm, t);
    ok = ok && num_int_values_op(vm, BINOP_FLOORDIV, t, step, &n) > 0;
    vm_pop_roots(vm, 3);
    if (!ok) return false;
    if (big_compare(n, INT_VAL(0)) <= 0) return vm_raise(vm, vm->ValueError, "empty range for randrange()");
    vm_push_root(vm, n);
    if (!random_below(vm, &st->mt, n, &t)) {
        vm_pop_root(vm);
        return false;
    }
    vm_push_root(vm, t);
    ok = num_int_values_op(vm, BINOP_MUL, step, t, &t) > 0;
    vm_push_root(vm, t);
    ok = ok && num_int_values_op(vm, BINOP_ADD, start, t, result) > 0;
    vm_pop_roots(vm, 3);
    return ok;
}

static bool randrange(Vm *vm, RandomState *st, Value start, Value stop, Value step,
                      Value *result) {
    if (IS_BIGINT(start) || IS_BIGINT(stop) || IS_BIGINT(step)) {
        if (IS_EMPTY(stop) || IS_NONE(stop)) {
            if (!IS_EMPTY(step))
                return vm_raise(vm, vm->TypeError, "Missing a non-None stop argument");
            if (big_compare(start, INT_VAL(0)) <= 0)
                return vm_raise(vm, vm->ValueError, "empty range for randrange()");
            return random_below(vm, &st->mt, start, result);
        }
        if (!IS_INTEGER(start) || !IS_INTEGER(stop) || !(IS_EMPTY(step) || IS_INTEGER(step)))
            return vm_raise(vm, vm->TypeError, "randrange() of mixed big ints and other types");
        return wide_randrange(vm, st, start, stop, IS_EMPTY(step) ? INT_VAL(1) : step, result);
    }
    int64_t istart, istop, istep = 1;
    if (!range_arg(vm, start, "arg 1", &istart)) return false;
    if (IS_EMPTY(stop) || IS_NONE(stop)) {
        if (!IS_EMPTY(step))
            return vm_raise(vm, vm->TypeError, "Missing a non-None stop argument");
        if (istart > 0) {
            *result = INT_VAL((int64_t)mt_randbelow(&st->mt, (uint64_t)istart));
            return true;
        }
        return vm_raise(vm, vm->ValueError, "empty range for randrange()");
    }
    if (!range_arg(vm, stop, "stop", &istop)) return false;
    int64_t width;
    if (!IS_EMPTY(step) && !range_arg(vm, step, "step", &istep)) return false;
    if (SUB_OVERFLOWS(istop, istart, &width))
        return wide_randrange(vm, st, INT_VAL(istart), INT_VAL(istop), INT_VAL(istep), result);
    if (istep == 1) {
        if (width > 0) {
            *result = INT_VAL(istart + (int64_t)mt_randbelow(&st->mt, (uint64_t)width));
            return true;
        }
        return vm_raise(vm, vm->ValueError, "empty range for randrange() (%lld, %lld, %lld)",
                        (long long)istart, (long long)istop, (long long)width);
    }
    if (istep == 0) return vm_raise(vm, vm->ValueError, "zero step for randrange()");
    // n = ceil(width / step), computed with Python's floor division.
    int64_t num;
    if (ADD_OVERFLOWS(width, istep > 0 ? istep - 1 : istep + 1, &num))
        return wide_randrange(vm, st, INT_VAL(istart), INT_VAL(istop), INT_VAL(istep), result);
    int64_t n = num / istep - ((num % istep != 0) && ((num < 0) != (istep < 0)));
    if (n <= 0) return vm_raise(vm, vm->ValueError, "empty range for randrange()");
    // The item lies between start and stop, so it fits in int64 as they do.
    *result = INT_VAL(istart + istep * (int64_t)mt_randbelow(&st->mt, (uint64_t)n));
    return true;
}

static bool rnd_randrange(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "randrange";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"start", "stop", "step", NULL};
    Value a[3];
    if (!st || !PARSE(names, 1, a)) return false;
    return randrange(vm, st, a[0], a[1], a[2], result);
}

static bool rnd_randint(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "randint";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"a", "b", NULL};
    Value a[2];
    if (!st || !PARSE(names, 2, a)) return false;
    Value stop;
    if (IS_BIGINT(a[1]) || IS_BIGINT(a[0]) || (IS_INTLIKE(a[1]) && AS_INTLIKE(a[1]) == INT64_MAX)) {
        if (!IS_INTEGER(a[0]) || !IS_INTEGER(a[1]))
            return vm_raise(vm, vm->TypeError, "randint() of mixed big ints and other types");
        if (num_int_values_op(vm, BINOP_ADD, a[1], INT_VAL(1), &stop) < 0) return false;
        vm_push_root(vm, stop);
        bool ok = wide_randrange(vm, st, IS_BOOL(a[0]) ? INT_VAL(AS_INTLIKE(a[0])) : a[0], stop, INT_VAL(1), result);
        vm_pop_root(vm);
        return ok;
    }
    int64_t b;
    if (!range_arg(vm, a[1], "stop", &b)) return false;
    return randrange(vm, st, a[0], INT_VAL(b + 1), EMPTY_VAL(), result);
}

// ---- sequences ----------------------------------------------------------------------------------

static bool rnd_choice(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "choice";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"seq", NULL};
    Value a[1];
    int64_t n;
    if (!st || !PARSE(names, 1, a) || !vm_len(vm, a[0], &n)) return false;
    if (n == 0) return vm_raise(vm, vm->IndexError, "Cannot choose from an empty sequence");
    return vm_getitem(vm, a[0], INT_VAL((int64_t)mt_randbelow(&st->mt, (uint64_t)n)), result);
}

static bool rnd_shuffle(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "shuffle";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"x", NULL};
    Value a[1];
    int64_t n;
    if (!st || !PARSE(names, 1, a) || !vm_len(vm, a[0], &n)) return false;
    Value x = a[0];
    for (int64_t i = n - 1; i >= 1; i--) {
        int64_t j = (int64_t)mt_randbelow(&st->mt, (uint64_t)(i + 1));
        if (IS_LIST(x) && (size_t)n == AS_LIST(x)->count) {
            Value *items = AS_LIST(x)->items, t = items[i];
            items[i] = items[j];
            items[j] = t;
            continue;
        }
        // Any other mutable sequence: x[i], x[j] = x[j], x[i].
        Value xi, xj;
        if (!vm_getitem(vm, x, INT_VAL(i), &xi)) return false;
        vm_push_root(vm, xi);
        bool ok = vm_getitem(vm, x, INT_VAL(j), &xj);
        if (ok) {
            vm_push_root(vm, xj);
            ok = vm_setitem(vm, x, INT_VAL(i), xj) && vm_setitem(vm, x, INT_VAL(j), xi);
            vm_pop_root(vm);
        }
        vm_pop_root(vm);
        if (!ok) return false;
    }
    *result = NONE_VAL();
    return true;
}

// Accumulated counts for sample(..., counts=): cum[i] = counts[0] + ... + counts[i].
static bool cumulative_counts(Vm *vm, Value counts, int64_t n, int64_t **out) {
    ObjList *list = vm_list_from_iterable(vm, counts);
    if (!list) return false;
    if ((int64_t)list->count != n)
        return vm_raise(vm, vm->ValueError, "The number of counts does not match the population");
    int64_t *cum = malloc(sizeof(int64_t) * (size_t)(n ? n : 1)), total = 0;
    for (int64_t i = 0; i < n; i++) {
        Value c = list->items[i];
        if (!IS_INTLIKE(c)) {
            free(cum);
            return vm_raise(vm, vm->TypeError, "Counts must be integers");
        }
        if (ADD_OVERFLOWS(total, AS_INTLIKE(c), &total)) {
            free(cum);
            return vm_raise(vm, vm->OverflowError, "integer overflow");
        }
        cum[i] = total;
    }
    *out = cum;
    return true;
}

// The first index in cum[lo..hi) whose value is greater than x (bisect_right).
static size_t bisect_right_i64(const int64_t *cum, size_t lo, size_t hi, int64_t x) {
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x < cum[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static bool rnd_sample(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "sample";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"population", "k", "counts", NULL};
    Value a[3];
    if (!st || !PARSE(names, 2, a)) return false;
    Value pop = a[0];
    if (IS_SET(pop) || IS_DICT(pop))
        return vm_raise(vm, vm->TypeError,
                        "Population must be a sequence.  For dicts or sets, use sorted(d).");
    int64_t n, k;
    if (!vm_len(vm, pop, &n) || !mod_arg_index(vm, a[1], &k)) return false;
    int64_t npop = n, *cum = NULL;
    if (!IS_EMPTY(a[2]) && !IS_NONE(a[2])) {
        if (!cumulative_counts(vm, a[2], n, &cum)) return false;
        int64_t total = n ? cum[n - 1] : 0;
        if (total <= 0) {
            free(cum);
            return vm_raise(vm, vm->ValueError, "Total of counts must be greater than zero");
        }
        n = total;  // sample from range(total), then map each pick back through the counts
    }
    if (k < 0 || k > n) {
        free(cum);
        return vm_raise(vm, vm->ValueError, "Sample larger than population or is negative");
    }
    size_t *picks = malloc(sizeof(size_t) * (size_t)(k ? k : 1));
    mt_sample_indices(&st->mt, (size_t)n, (size_t)k, picks);
    ObjList *out = list_new(vm, (size_t)k);
    vm_push_root(vm, OBJ_VAL(out));
    bool ok = true;
    for (int64_t i = 0; i < k && ok; i++) {
        int64_t index = (int64_t)picks[i];
        if (cum) index = (int64_t)bisect_right_i64(cum, 0, (size_t)npop, index);
        Value item;
        ok = vm_getitem(vm, pop, INT_VAL(index), &item);
        if (ok) list_append(vm, out, item);
    }
    vm_pop_root(vm);
    free(picks);
    free(cum);
    if (!ok) return false;
    *result = OBJ_VAL(out);
    return true;
}

// The running sums of choices()'s weights, as Python's accumulate() makes them: exact ints
// until a float appears.
static bool cumulative_weights(Vm *vm, Value weights, double **out, size_t *count) {
    ObjList *list = vm_list_from_iterable(vm, weights);
    if (!list) return false;
    double *cum = malloc(sizeof(double) * (list->count ? list->count : 1)), fsum = 0.0;
    int64_t isum = 0;
    bool is_int = true;
    for (size_t i = 0; i < list->count; i++) {
        Value w = list->items[i];
        if (is_int && IS_INTLIKE(w) && !ADD_OVERFLOWS(isum, AS_INTLIKE(w), &isum)) {
            cum[i] = (double)isum;
            continue;
        }
        double d;
        if (!IS_NUMBER(w)) {
            free(cum);
            return vm_raise(vm, vm->TypeError, "unsupported operand type(s) for +: '%s' and '%s'",
                            i ? (is_int ? "int" : "float") : "int", vm_type_name(vm, w));
        }
        d = AS_NUMBER(w);
        if (is_int) fsum = (double)isum;
        is_int = false;
        fsum += d;
        cum[i] = fsum;
    }
    *out = cum;
    *count = list->count;
    return true;
}

// The first index in cum[lo..hi) whose value is greater than x (bisect_right).
static size_t bisect_right_double(const double *cum, size_t lo, size_t hi, double x) {
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x < cum[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

// choices(population, weights=None, *, cum_weights=None, k=1)
static bool rnd_choices(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "choices";
    RandomState *st = self_state(vm, fname, args, nargs);
    if (!st) return false;
    if (nargs > 3)
        return vm_raise(vm, vm->TypeError,
                        "Random.choices() takes from 2 to 3 positional arguments but %d were given",
                        nargs);
    static const char *const names[] = {"population", "weights", "cum_weights", "k", NULL};
    Value a[4];
    if (!PARSE(names, 1, a)) return false;
    Value pop = a[0], weights = a[1], cum_weights = a[2];
    int64_t n, k = 1;
    if (!vm_len(vm, pop, &n)) return false;
    if (!IS_EMPTY(a[3]) && !mod_arg_index(vm, a[3], &k)) return false;
    double *cum = NULL;
    size_t ncum = 0;
    bool weighted = false;
    if (IS_EMPTY(cum_weights) || IS_NONE(cum_weights)) {
        if (!IS_EMPTY(weights) && !IS_NONE(weights)) {
            if (IS_INTLIKE(weights))
                return vm_raise(vm, vm->TypeError,
                                "The number of choices must be a keyword argument: k=%lld",
                                (long long)AS_INTLIKE(weights));
            if (!cumulative_weights(vm, weights, &cum, &ncum)) return false;
            weighted = true;
        }
    } else {
        if (!IS_EMPTY(weights) && !IS_NONE(weights))
            return vm_raise(vm, vm->TypeError,
                            "Cannot specify both weights and cumulative weights");
        ObjList *list = vm_list_from_iterable(vm, cum_weights);
        if (!list) return false;
        ncum = list->count;
        cum = malloc(sizeof(double) * (ncum ? ncum : 1));
        for (size_t i = 0; i < ncum; i++) {
            if (!IS_NUMBER(list->items[i])) {
                free(cum);
                return vm_raise(vm, vm->TypeError, "must be real number, not %s",
                                vm_type_name(vm, list->items[i]));
            }
            cum[i] = AS_NUMBER(list->items[i]);
        }
        weighted = true;
    }
    double total = 0.0;
    if (weighted) {
        const char *error = NULL;
        ObjClass *kind = vm->ValueError;
        if ((int64_t)ncum != n) error = "The number of weights does not match the population";
        else if (ncum == 0) kind = vm->IndexError, error = "list index out of range";  // cum[-1]
        else if (!(cum[ncum - 1] > 0.0)) error = "Total of weights must be greater than zero";
        else if (!isfinite(cum[ncum - 1])) error = "Total of weights must be finite";
        if (error) {
            free(cum);
            return vm_raise(vm, kind, "%s", error);
        }
        total = cum[ncum - 1];
    }
    ObjList *out = list_new(vm, k > 0 ? (size_t)k : 0);
    vm_push_root(vm, OBJ_VAL(out));
    bool ok = true;
    for (int64_t i = 0; i < k && ok; i++) {
        int64_t index;
        if (weighted)
            index = (int64_t)bisect_right_double(cum, 0, ncum - 1, mt_random(&st->mt) * total);
        else index = (int64_t)floor(mt_random(&st->mt) * (double)n);
        Value item;
        ok = vm_getitem(vm, pop, INT_VAL(index), &item);
        if (ok) list_append(vm, out, item);
    }
    vm_pop_root(vm);
    free(cum);
    if (!ok) return false;
    *result = OBJ_VAL(out);
    return true;
}

static bool rnd_randbytes(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    const char *fname = "randbytes";
    RandomState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"n", NULL};
    Value a[1];
    int64_t n;
    if (!st || !PARSE(names, 1, a) || !mod_arg_index(vm, a[0], &n)) return false;
    if (n < 0) return vm_raise(vm, vm->ValueError, "number of bits must be non-negative");
    // getrandbits(8 * n) as little-endian bytes: whole 32-bit words, the last one shifted right.
    unsigned char *buf = malloc((size_t)n + 4);
    for (int64_t i = 0; i < n; i += 4) {
        uint32_t r = mt_next_u32(&st->mt);
        int64_t left = n - i;
        if (left < 4) r >>= 32 - 8 * left;
        for (int b = 0; b < 4 && b < left; b++) buf[i + b] = (unsigned char)(r >> (8 * b));
    }
    *result = OBJ_VAL(bytes_new(vm, buf, (size_t)n));
    free(buf);
    return true;
}

// ---- real-valued distributions (Lib/random.py, same arithmetic and draw order) -----------------

// Reads float arguments after self into out[] (defaults fill what is not given).
static bool float_args(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames,
                       const char *const *names, int required, double *out) {
    Value a[4];
    if (!parse_args(vm, fname, args + 1, nargs - 1, kwnames, names, required, a)) return false;
    for (int i = 0; names[i]; i++)
        if (!IS_EMPTY(a[i]) && !mod_arg_double(vm, a[i], &out[i])) return false;
    return true;
}

#define DIST_PROLOGUE(name, required, ...)                                                         \
    RandomState *st = self_state(vm, #name, args, nargs);                                          \
    static const char *const names[] = {__VA_ARGS__, NULL};                                        \
    if (!st || !float_args(vm, #name, args, nargs, kwnames, names, required, p)) return false;     \
    Mt19937 *mt = &st->mt;

static bool rnd_uniform(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[2];
    DIST_PROLOGUE(uniform, 2, "a", "b")
    double width = p[1] - p[0];
    *result = FLOAT_VAL(p[0] + width * mt_random(mt));
    return true;
}

static bool rnd_triangular(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[3] = {0.0, 1.0, NAN};
    DIST_PROLOGUE(triangular, 0, "low", "high", "mode")
    double low = p[0], high = p[1], u = mt_random(mt);
    if (high == low) {  // (mode - low) / (high - low) divides by zero
        *result = FLOAT_VAL(low);
        return true;
    }
    double c = isnan(p[2]) ? 0.5 : (p[2] - low) / (high - low);
    if (u > c) {
        u = 1.0 - u;
        c = 1.0 - c;
        double t = low;
        low = high;
        high = t;
    }
    *result = FLOAT_VAL(low + (high - low) * sqrt(u * c));
    return true;
}

static double normalvariate(Mt19937 *mt, double mu, double sigma) {
    const double nv_magicconst = 4 * exp(-0.5) / sqrt(2.0);
    double z;
    for (;;) {
        double u1 = mt_random(mt), u2 = 1.0 - mt_random(mt);
        z = nv_magicconst * (u1 - 0.5) / u2;
        if (z * z / 4.0 <= -log(u2)) break;
    }
    return mu + z * sigma;
}

static bool rnd_normalvariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[2] = {0.0, 1.0};
    DIST_PROLOGUE(normalvariate, 0, "mu", "sigma")
    *result = FLOAT_VAL(normalvariate(mt, p[0], p[1]));
    return true;
}

static bool rnd_lognormvariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[2];
    DIST_PROLOGUE(lognormvariate, 2, "mu", "sigma")
    *result = FLOAT_VAL(exp(normalvariate(mt, p[0], p[1])));
    return true;
}

static bool rnd_gauss(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[2] = {0.0, 1.0};
    DIST_PROLOGUE(gauss, 0, "mu", "sigma")
    double z;
    if (st->has_gauss_next) {
        z = st->gauss_next;
        st->has_gauss_next = false;
    } else {
        double x2pi = mt_random(mt) * 6.283185307179586;
        double g2rad = sqrt(-2.0 * log(1.0 - mt_random(mt)));
        z = cos(x2pi) * g2rad;
        st->gauss_next = sin(x2pi) * g2rad;
        st->has_gauss_next = true;
    }
    *result = FLOAT_VAL(p[0] + z * p[1]);
    return true;
}

static bool rnd_expovariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[1];
    DIST_PROLOGUE(expovariate, 1, "lambd")
    double u = mt_random(mt);
    if (p[0] == 0.0) return vm_raise(vm, vm->ZeroDivisionError, "float division by zero");
    *result = FLOAT_VAL(-log(1.0 - u) / p[0]);
    return true;
}

// Python's float modulo: the result has the sign of the divisor.
static double py_fmod(double x, double y) {
    double m = fmod(x, y);
    if (m != 0.0 && ((y < 0) != (m < 0))) m += y;
    return m == 0.0 ? copysign(0.0, y) : m;
}

static bool rnd_vonmisesvariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                Value *result) {
    double p[2];
    DIST_PROLOGUE(vonmisesvariate, 2, "mu", "kappa")
    const double twopi = 6.283185307179586, pi = 3.141592653589793;
    double mu = p[0], kappa = p[1];
    if (kappa <= 1e-6) {
        *result = FLOAT_VAL(twopi * mt_random(mt));
        return true;
    }
    double s = 0.5 / kappa, r = s + sqrt(1.0 + s * s), z;
    for (;;) {
        double u1 = mt_random(mt);
        z = cos(pi * u1);
        double d = z / (r + z), u2 = mt_random(mt);
        if (u2 < 1.0 - d * d || u2 <= (1.0 - d) * exp(d)) break;
    }
    double q = 1.0 / r, f = (q + z) / (1.0 + q * z), u3 = mt_random(mt);
    *result = FLOAT_VAL(u3 > 0.5 ? py_fmod(mu + acos(f), twopi) : py_fmod(mu - acos(f), twopi));
    return true;
}

// Python's float power for the cases the distributions need (finite base >= 0).
static double gammavariate(Mt19937 *mt, double alpha, double beta) {
    const double log4 = log(4.0), sg_magicconst = 1.0 + log(4.5), e = 2.718281828459045;
    if (alpha > 1.0) {
        double ainv = sqrt(2.0 * alpha - 1.0), bbb = alpha - log4, ccc = alpha + ainv;
        for (;;) {
            double u1 = mt_random(mt);
            if (!(1e-7 < u1 && u1 < 0.9999999)) continue;
            double u2 = 1.0 - mt_random(mt);
            double v = log(u1 / (1.0 - u1)) / ainv, x = alpha * exp(v);
            double z = u1 * u1 * u2, r = bbb + ccc * v - x;
            if (r + sg_magicconst - 4.5 * z >= 0.0 || r >= log(z)) return x * beta;
        }
    }
    if (alpha == 1.0) return -log(1.0 - mt_random(mt)) * beta;
    double x;
    for (;;) {
        double u = mt_random(mt), b = (e + alpha) / e, pp = b * u;
        x = pp <= 1.0 ? pow(pp, 1.0 / alpha) : -log((b - pp) / alpha);
        double u1 = mt_random(mt);
        if (pp > 1.0) {
            if (u1 <= pow(x, alpha - 1.0)) break;
        } else if (u1 <= exp(-x)) {
            break;
        }
    }
    return x * beta;
}

static bool rnd_gammavariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[2];
    DIST_PROLOGUE(gammavariate, 2, "alpha", "beta")
    if (p[0] <= 0.0 || p[1] <= 0.0)
        return vm_raise(vm, vm->ValueError, "gammavariate: alpha and beta must be > 0.0");
    *result = FLOAT_VAL(gammavariate(mt, p[0], p[1]));
    return true;
}

static bool rnd_betavariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[2];
    DIST_PROLOGUE(betavariate, 2, "alpha", "beta")
    if (p[0] <= 0.0 || p[1] <= 0.0)
        return vm_raise(vm, vm->ValueError, "gammavariate: alpha and beta must be > 0.0");
    double y = gammavariate(mt, p[0], 1.0);
    *result = FLOAT_VAL(y != 0.0 ? y / (y + gammavariate(mt, p[1], 1.0)) : 0.0);
    return true;
}

static bool rnd_paretovariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double p[1];
    DIST_PROLOGUE(paretovariate, 1, "alpha")
    double u = 1.0 - mt_random(mt);
    if (p[0] == 0.0) return vm_raise(vm, vm->ZeroDivisionError, "float division by zero");
    *result = FLOAT_VAL(pow(u, -1.0 / p[0]));
    return true;
}

static bool rnd_weibullvariate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                               Value *result) {
    double p[2];
    DIST_PROLOGUE(weibullvariate, 2, "alpha", "beta")
    double u = 1.0 - mt_random(mt);
    if (p[1] == 0.0) return vm_raise(vm, vm->ZeroDivisionError, "float division by zero");
    *result = FLOAT_VAL(p[0] * pow(-log(u), 1.0 / p[1]));
    return true;
}

// ---- state --------------------------------------------------------------------------------------

// getstate(): (3, (624 words..., index), gauss_next), as CPython's.
static bool rnd_getstate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RandomState *st = self_state(vm, "getstate", args, nargs);
    if (!st || !check_args(vm, "getstate", nargs - 1, kwnames, 0, 0)) return false;
    ObjTuple *words = tuple_new(vm, MT_N + 1);
    vm_push_root(vm, OBJ_VAL(words));
    for (int i = 0; i < MT_N; i++) words->items[i] = INT_VAL(st->mt.state[i]);
    words->items[MT_N] = INT_VAL(st->mt.index);
    ObjTuple *t = tuple_new(vm, 3);
    vm_pop_root(vm);
    t->items[0] = INT_VAL(3);
    t->items[1] = OBJ_VAL(words);
    t->items[2] = st->has_gauss_next ? FLOAT_VAL(st->gauss_next) : NONE_VAL();
    *result = OBJ_VAL(t);
    return true;
}

static bool rnd_setstate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RandomState *st = self_state(vm, "setstate", args, nargs);
    if (!st || !check_args(vm, "setstate", nargs - 1, kwnames, 1, 1)) return false;
    Value s = args[1];
    if (!IS_TUPLE(s) || AS_TUPLE(s)->count != 3)
        return vm_raise(vm, vm->ValueError, "state vector is the wrong size");
    ObjTuple *t = AS_TUPLE(s);
    if (!IS_INT(t->items[0]) || AS_INT(t->items[0]) != 3) {
        ObjStr *r = vm_repr(vm, t->items[0]);
        if (!r) return false;
        return vm_raise(vm, vm->ValueError,
                        "state with version %s passed to Random.setstate() of version 3", r->chars);
    }
    if (!IS_TUPLE(t->items[1]) || AS_TUPLE(t->items[1])->count != MT_N + 1)
        return vm_raise(vm, vm->ValueError, "state vector is the wrong size");
    ObjTuple *words = AS_TUPLE(t->items[1]);
    Mt19937 mt;
    for (int i = 0; i <= MT_N; i++) {
        Value w = words->items[i];
        if (!IS_INT(w) || AS_INT(w) < 0 || AS_INT(w) > (i < MT_N ? 0xFFFFFFFFLL : MT_N))
            return vm_raise(vm, vm->ValueError, "invalid state");
        if (i < MT_N) mt.state[i] = (uint32_t)AS_INT(w);
        else mt.index = (int)AS_INT(w);
    }
    Value g = t->items[2];
    if (!IS_NONE(g) && !IS_NUMBER(g))
        return vm_raise(vm, vm->TypeError, "must be real number, not %s", vm_type_name(vm, g));
    st->mt = mt;
    st->has_gauss_next = !IS_NONE(g);
    st->gauss_next = IS_NONE(g) ? 0.0 : AS_NUMBER(g);
    *result = NONE_VAL();
    return true;
}

// ---- the module ---------------------------------------------------------------------------------

static const MethodDef random_methods[] = {
    {"seed", rnd_seed},
    {"random", rnd_random},
    {"uniform", rnd_uniform},
    {"triangular", rnd_triangular},
    {"randint", rnd_randint},
    {"choice", rnd_choice},
    {"randrange", rnd_randrange},
    {"sample", rnd_sample},
    {"shuffle", rnd_shuffle},
    {"choices", rnd_choices},
    {"normalvariate", rnd_normalvariate},
    {"lognormvariate", rnd_lognormvariate},
    {"expovariate", rnd_expovariate},
    {"vonmisesvariate", rnd_vonmisesvariate},
    {"gammavariate", rnd_gammavariate},
    {"gauss", rnd_gauss},
    {"betavariate", rnd_betavariate},
    {"paretovariate", rnd_paretovariate},
    {"weibullvariate", rnd_weibullvariate},
    {"getstate", rnd_getstate},
    {"setstate", rnd_setstate},
    {"getrandbits", rnd_getrandbits},
    {"randbytes", rnd_randbytes},
    {NULL, NULL},
};

ObjModule *mod_random_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "random");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *cls = mod_class(vm, m, "Random", vm->object_class, OBJ_BOX);
    define_methods(vm, cls, random_methods);
    define_methods(vm, cls,
                   (MethodDef[]){{"__new__", rnd_new}, {"__init__", rnd_init}, {NULL, NULL}});
    RandomState *st = calloc(1, sizeof *st);
    seed_from_os(vm, &st->mt);
    ObjBox *inst = box_new(vm, cls, st, state_free);
    mod_set(vm, m, "_inst", OBJ_VAL(inst));
    // Each module-level function is the hidden instance's bound method.
    for (const MethodDef *d = random_methods; d->name; d++) {
        Value method = dict_get_str(cls->dict, str_from_c(vm, d->name));
        mod_set(vm, m, d->name, OBJ_VAL(bound_new(vm, OBJ_VAL(inst), method)));
    }
    vm_pop_root(vm);
    return m;
}
