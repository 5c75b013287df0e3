/* mt19937: CPython's random number generator (Modules/_randommodule.c), bit for bit.
 *
 * Seeded the same way, it yields the same stream as CPython 3.11's `random` module, so programs
 * that call random.seed(n) print the same numbers.  This file covers the C level; the functions
 * of Lib/random.py are built on it as documented below (and helpers are provided for the ones
 * whose order of calls is easy to get wrong).
 *
 * How Lib/random.py (3.11) uses the generator.  _randbelow(n) is mt_randbelow(n), n > 0:
 *     k = n.bit_length(); r = getrandbits(k); while r >= n: r = getrandbits(k)
 *   random()             mt_random
 *   getrandbits(k)       k == 0 -> 0; otherwise k bits (mt_getrandbits for k <= 64)
 *   randrange(stop)      stop > 0: _randbelow(stop); else ValueError "empty range for randrange()"
 *   randrange(start, stop[, step]):
 *       width = stop - start
 *       step == 1: width > 0: start + _randbelow(width)
 *                  else ValueError "empty range for randrange() (%d, %d, %d)" % (start, stop, width)
 *       step > 0:  n = (width + step - 1) // step       (floor division)
 *       step < 0:  n = (width + step + 1) // step
 *       step == 0: ValueError "zero step for randrange()"
 *       n <= 0: ValueError "empty range for randrange()"; else start + step * _randbelow(n)
 *   randint(a, b)        randrange(a, b + 1)
 *   choice(seq)          empty: IndexError "Cannot choose from an empty sequence";
 *                        else seq[_randbelow(len(seq))]
 *   shuffle(x)           for i in reversed(range(1, len(x))): j = _randbelow(i + 1); swap x[i], x[j]
 *                        (mt_shuffle_indices gives the j sequence)
 *   sample(pop, k)       not 0 <= k <= n: ValueError "Sample larger than population or is negative"
 *                        setsize = 21; if k > 5: setsize += 4 ** ceil(log(k * 3, 4))
 *                        n <= setsize: pool = list(pop); for i in range(k):
 *                            j = _randbelow(n - i); result[i] = pool[j]; pool[j] = pool[n - i - 1]
 *                        else: selected = set(); for i in range(k):
 *                            j = _randbelow(n); while j in selected: j = _randbelow(n)
 *                            selected.add(j); result[i] = pop[j]
 *                        (mt_sample_indices reproduces both branches)
 *   uniform(a, b)        a + (b - a) * random()
 *   seed(n) for an int   mt_seed_int (the sign is dropped: seed(-7) == seed(7)).  Other seeds
 *                        (None, str, bytes, float) are the VM's business: str/bytes go through
 *                        sha512 in version 2, a float uses hash(x).
 */
#ifndef AIO_MT19937_H
#define AIO_MT19937_H

#include <stddef.h>
#include <stdint.h>

#define MT_N 624

typedef struct {
    uint32_t state[MT_N];
    int index;  // next word of `state` to temper; MT_N means "regenerate first"
} Mt19937;

// init_by_array, as _randommodule.c (after init_genrand(19650218)).
void mt_seed_by_array(Mt19937 *mt, const uint32_t *key, size_t key_length);
// random.seed(n) for an int: |n| split into 32-bit words, least significant first; 0 -> key [0].
void mt_seed_int(Mt19937 *mt, int64_t seed);

// genrand_uint32: the next 32 random bits.
uint32_t mt_next_u32(Mt19937 *mt);
// random.random(): a 53-bit float in [0, 1).
double mt_random(Mt19937 *mt);
// random.getrandbits(k) for 0 <= k <= 64: 32-bit words filled low to high, the last one shifted
// right to keep its top bits.
uint64_t mt_getrandbits(Mt19937 *mt, int k);
// _randbelow_with_getrandbits(n), n > 0: uniform in [0, n).  n == 0 returns 0 without drawing.
uint64_t mt_randbelow(Mt19937 *mt, uint64_t n);

// The j of each shuffle step, for i = n-1 down to 1: out[n-1-i] = j (n-1 entries; none if n < 2).
// Apply as: for (i = n-1, s = 0; i >= 1; i--, s++) swap(x[i], x[out[s]]).
void mt_shuffle_indices(Mt19937 *mt, size_t n, size_t *out);
// sample(range(n), k): the k chosen indices into the population, in selection order, drawn
// exactly as CPython does (pool or set algorithm).  Requires k <= n.
void mt_sample_indices(Mt19937 *mt, size_t n, size_t k, size_t *out);

#endif
