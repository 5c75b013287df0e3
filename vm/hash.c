/* Hashing, bit for bit as CPython 3.11 hashes the same values, so that sets and dicts keyed by
 * numbers, tuples and frozensets of them iterate in CPython's order.  vm_hash (ops.c) dispatches
 * here by kind; str and bytes keep their own FNV-1a hash (object.h), which CPython randomises
 * anyway, so no program can depend on it.
 */
#include "hash.h"

#include <math.h>

#include "vm.h"

static uint64_t magnitude(int64_t v) { return v < 0 ? 0 - (uint64_t)v : (uint64_t)v; }

// ---- numbers ------------------------------------------------------------------------------------

// CPython hashes numbers modulo the Mersenne prime 2**61 - 1, so that equal numbers of different
// types (1, 1.0, True) hash alike.  -1 is reserved as an error marker in C, and becomes -2.
#define HASH_BITS 61
#define HASH_MODULUS (((uint64_t)1 << HASH_BITS) - 1)
#define HASH_INF 314159

uint64_t hash_int(int64_t v) {
    uint64_t h = magnitude(v) % HASH_MODULUS;
    int64_t s = v < 0 ? -(int64_t)h : (int64_t)h;
    if (s == -1) s = -2;
    return (uint64_t)s;
}

// CPython's _Py_HashDouble: the value of the float modulo 2**61 - 1, built 28 bits at a time, so
// an integral float hashes like the int.  A NaN hashes by identity in CPython 3.10+; aio's floats
// are not objects, so every NaN hashes to 0 (a documented difference).
uint64_t hash_float(double v) {
    if (isinf(v)) return v > 0 ? HASH_INF : (uint64_t)-HASH_INF;
    if (isnan(v)) return 0;
    int e;
    double m = frexp(v, &e);
    int sign = 1;
    if (m < 0) {
        sign = -1;
        m = -m;
    }
    uint64_t x = 0;
    while (m != 0.0) {
        x = ((x << 28) & HASH_MODULUS) | x >> (HASH_BITS - 28);
        m *= 268435456.0; // 2**28
        e -= 28;
        uint64_t y = (uint64_t)m; // the integer part
        m -= (double)y;
        x += y;
        if (x >= HASH_MODULUS) x -= HASH_MODULUS;
    }
    e = e >= 0 ? e % HASH_BITS : HASH_BITS - 1 - ((-1 - e) % HASH_BITS);
    x = ((x << e) & HASH_MODULUS) | x >> (HASH_BITS - e);
    x = x * (uint64_t)(int64_t)sign;
    if (x == (uint64_t)-1) x = (uint64_t)-2;
    return x;
}

uint64_t hash_mpz(mpz_srcptr x) {
    int64_t h = (int64_t)mpz_tdiv_ui(x, HASH_MODULUS); // |x| mod 2**61-1
    if (mpz_sgn(x) < 0) h = -h;
    if (h == -1) h = -2;
    return (uint64_t)h;
}

// ---- tuples -------------------------------------------------------------------------------------

// CPython's 64-bit xxHash constants (Objects/tupleobject.c).
#define XXPRIME_1 11400714785074694791ULL
#define XXPRIME_2 14029467366897019727ULL
#define XXPRIME_5 2870177450012600261ULL
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

static uint64_t hash_lane(uint64_t acc, uint64_t lane) {
    acc += lane * XXPRIME_2;
    acc = XXROTATE(acc);
    return acc * XXPRIME_1;
}

static uint64_t hash_finish(uint64_t acc, size_t count) {
    // The length, mangled to keep the historical value of hash(()).
    acc += (uint64_t)count ^ (XXPRIME_5 ^ 3527539ULL);
    return acc == (uint64_t)-1 ? 1546275796 : acc;
}

// Tuples nested in tuples are walked with a stack of our own rather than C recursion, so that,
// as in CPython, hash() of a tuple nested 100000 deep works.  The tuples are immutable and
// reachable from t, which the caller keeps alive.
bool hash_tuple(Vm *vm, ObjTuple *t, uint64_t *out) {
    typedef struct {
        ObjTuple *tuple;
        size_t next;
        uint64_t acc;
    } Level;
    Level inline_levels[16], *levels = inline_levels;
    size_t depth = 0, capacity = 16;
    Level cur = {t, 0, XXPRIME_5};
    bool ok = true;
    for (;;) {
        if (cur.next < cur.tuple->count) {
            Value item = cur.tuple->items[cur.next];
            if (IS_TUPLE(item)) {
                if (depth == capacity) {
                    Level *grown = malloc(sizeof(Level) * capacity * 2);
                    if (!grown) {
                        ok = vm_raise_value(vm, OBJ_VAL(vm->MemoryError));
                        break;
                    }
                    memcpy(grown, levels, sizeof(Level) * depth);
                    if (levels != inline_levels) free(levels);
                    levels = grown;
                    capacity *= 2;
                }
                levels[depth++] = cur;
                cur = (Level){AS_TUPLE(item), 0, XXPRIME_5};
                continue;
            }
            uint64_t lane;
            if (!vm_hash(vm, item, &lane)) {
                ok = false;
                break;
            }
            cur.acc = hash_lane(cur.acc, lane);
            cur.next++;
            continue;
        }
        uint64_t h = hash_finish(cur.acc, cur.tuple->count);
        if (depth == 0) {
            *out = h;
            break;
        }
        cur = levels[--depth];
        cur.acc = hash_lane(cur.acc, h);
        cur.next++;
    }
    if (levels != inline_levels) free(levels);
    return ok;
}

// ---- frozensets ---------------------------------------------------------------------------------

// Xor-ing order-independent mixes of every hash, as CPython's frozenset_hash.  Unused slots
// (hash 0) and dummies (hash -1) cancel out of CPython's formula, so only active slots count.
static uint64_t shuffle_bits(uint64_t h) { return ((h ^ 89869747ULL) ^ (h << 16)) * 3644798167ULL; }

uint64_t hash_frozenset(ObjSet *s) {
    uint64_t hash = 0;
    for (size_t i = 0; s->table && i <= s->mask; i++)
        if (!IS_EMPTY(s->table[i].key)) hash ^= shuffle_bits(s->table[i].hash);
    hash ^= ((uint64_t)s->used + 1) * 1927868237ULL;
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + 907133923ULL;
    if (hash == (uint64_t)-1) hash = 590923713ULL;
    return hash;
}
