/* Hashing of the built-in values, as CPython 3.11 computes it (vm/hash.c).  vm_hash (ops.h) is the
 * entry point for any value; these are the pieces it and the types' __hash__ methods share.
 */
#ifndef AIO_HASH_H
#define AIO_HASH_H

#include "object.h"

// Numbers hash to their value modulo the Mersenne prime 2**61 - 1, so 1, 1.0 and True hash alike.
uint64_t hash_int(int64_t v);
uint64_t hash_float(double v);
uint64_t hash_mpz(mpz_srcptr x); // an int of any size
// CPython 3.11's xxHash-based tuple hash; false with TypeError pending for an unhashable item.
bool hash_tuple(Vm *vm, ObjTuple *t, uint64_t *out);
// CPython's frozenset hash: independent of insertion order.
uint64_t hash_frozenset(ObjSet *s);

#endif
