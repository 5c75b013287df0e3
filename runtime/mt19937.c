/* mt19937: the Mersenne Twister exactly as CPython's Modules/_randommodule.c runs it, plus the
 * index-drawing parts of Lib/random.py (randbelow, shuffle, sample).  See mt19937.h.
 */
#include "mt19937.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#define MT_M 397
#define MATRIX_A 0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

static void init_genrand(Mt19937 *mt, uint32_t s) {
    uint32_t *st = mt->state;
    st[0] = s;
    for (int i = 1; i < MT_N; i++) st[i] = 1812433253U * (st[i - 1] ^ (st[i - 1] >> 30)) + (uint32_t)i;
    mt->index = MT_N;
}

void mt_seed_by_array(Mt19937 *mt, const uint32_t *key, size_t key_length) {
    uint32_t *st = mt->state;
    init_genrand(mt, 19650218U);
    size_t i = 1, j = 0;
    for (size_t k = MT_N > key_length ? MT_N : key_length; k; k--) {
        st[i] = (st[i] ^ ((st[i - 1] ^ (st[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
        i++, j++;
        if (i >= MT_N) st[0] = st[MT_N - 1], i = 1;
        if (j >= key_length) j = 0;
    }
    for (size_t k = MT_N - 1; k; k--) {
        st[i] = (st[i] ^ ((st[i - 1] ^ (st[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
        i++;
        if (i >= MT_N) st[0] = st[MT_N - 1], i = 1;
    }
    st[0] = 0x80000000U;  // MSB is 1, so the state is never all zero
}

void mt_seed_int(Mt19937 *mt, int64_t seed) {
    uint64_t m = seed < 0 ? (uint64_t)0 - (uint64_t)seed : (uint64_t)seed;  // exact for INT64_MIN
    uint32_t key[2] = {(uint32_t)m, (uint32_t)(m >> 32)};
    mt_seed_by_array(mt, key, key[1] ? 2 : 1);  // no high zero words; 0 is the one-word key [0]
}

// Regenerates all MT_N words of state.
static void generate(Mt19937 *mt) {
    static const uint32_t mag01[2] = {0U, MATRIX_A};
    uint32_t *st = mt->state, y;
    int kk;
    for (kk = 0; kk < MT_N - MT_M; kk++) {
        y = (st[kk] & UPPER_MASK) | (st[kk + 1] & LOWER_MASK);
        st[kk] = st[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1U];
    }
    for (; kk < MT_N - 1; kk++) {
        y = (st[kk] & UPPER_MASK) | (st[kk + 1] & LOWER_MASK);
        st[kk] = st[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1U];
    }
    y = (st[MT_N - 1] & UPPER_MASK) | (st[0] & LOWER_MASK);
    st[MT_N - 1] = st[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1U];
    mt->index = 0;
}

uint32_t mt_next_u32(Mt19937 *mt) {
    if (mt->index >= MT_N) generate(mt);
    uint32_t y = mt->state[mt->index++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
}

double mt_random(Mt19937 *mt) {
    uint32_t a = mt_next_u32(mt) >> 5, b = mt_next_u32(mt) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t mt_getrandbits(Mt19937 *mt, int k) {
    if (k <= 0) return 0;
    if (k <= 32) return mt_next_u32(mt) >> (32 - k);
    uint64_t low = mt_next_u32(mt);       // word 0: always a full 32 bits here
    uint64_t high = mt_next_u32(mt);      // word 1: keeps its top k-32 bits
    return low | ((high >> (64 - k)) << 32);
}

static int bit_length(uint64_t n) {
    int k = 0;
    while (n) k++, n >>= 1;
    return k;
}

uint64_t mt_randbelow(Mt19937 *mt, uint64_t n) {
    if (n == 0) return 0;
    int k = bit_length(n);  // not (n-1): n can be 1, which draws getrandbits(1)
    uint64_t r = mt_getrandbits(mt, k);
    while (r >= n) r = mt_getrandbits(mt, k);
    return r;
}

void mt_shuffle_indices(Mt19937 *mt, size_t n, size_t *out) {
    size_t s = 0;
    for (size_t i = n; i-- > 1;) out[s++] = (size_t)mt_randbelow(mt, (uint64_t)i + 1);
}

// Lib/random.py's `setsize`: above it, tracking the selections in a set is cheaper than a pool.
// Returns false when 4 ** exponent would not fit (then the pool is always chosen).
static bool sample_setsize(size_t k, uint64_t *setsize) {
    *setsize = 21;
    if (k <= 5) return true;
    double exponent = ceil(log((double)k * 3) / log(4.0));  // math.log(k * 3, 4)
    if (exponent >= 31) return false;
    *setsize += (uint64_t)1 << (2 * (int)exponent);
    return true;
}

// Open-addressing set of indices for the set-based sample (capacity a power of two > 2k).
typedef struct {
    size_t *slots;  // each holds index + 1; 0 marks an empty slot
    size_t mask;
} IndexSet;

// Adds j; returns false if it was already present.
static bool index_set_add(IndexSet *set, size_t j) {
    size_t h = (j * (size_t)0x9E3779B97F4A7C15ULL) & set->mask;
    while (set->slots[h]) {
        if (set->slots[h] == j + 1) return false;
        h = (h + 1) & set->mask;
    }
    set->slots[h] = j + 1;
    return true;
}

static void sample_with_pool(Mt19937 *mt, size_t n, size_t k, size_t *out) {
    size_t *pool = malloc((n ? n : 1) * sizeof *pool);
    if (!pool) abort();
    for (size_t i = 0; i < n; i++) pool[i] = i;
    // Invariant: the not-yet-selected indices are pool[0 : n-i].
    for (size_t i = 0; i < k; i++) {
        size_t j = (size_t)mt_randbelow(mt, n - i);
        out[i] = pool[j];
        pool[j] = pool[n - i - 1];
    }
    free(pool);
}

static void sample_with_set(Mt19937 *mt, size_t n, size_t k, size_t *out) {
    size_t cap = 16;
    while (cap < 2 * k + 1) cap *= 2;
    IndexSet set = {calloc(cap, sizeof(size_t)), cap - 1};
    if (!set.slots) abort();
    for (size_t i = 0; i < k; i++) {
        size_t j = (size_t)mt_randbelow(mt, n);
        while (!index_set_add(&set, j)) j = (size_t)mt_randbelow(mt, n);
        out[i] = j;
    }
    free(set.slots);
}

void mt_sample_indices(Mt19937 *mt, size_t n, size_t k, size_t *out) {
    uint64_t setsize;
    if (!sample_setsize(k, &setsize) || (uint64_t)n <= setsize) sample_with_pool(mt, n, k, out);
    else sample_with_set(mt, n, k, out);
}
