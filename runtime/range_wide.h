/* Ranges whose bounds do not all fit in int64 (range(2**100), range(10**20, 10**20 + 5)).
 *
 * Such a range is an ObjRange with `wide` set to the tuple (start, stop, step); range.c keeps
 * the int64 fast paths and calls these for the wide ones.  The arithmetic is GMP's, through the
 * big-int views of bigint.h.
 */
#ifndef AIO_RANGE_WIDE_H
#define AIO_RANGE_WIDE_H

#include "bigint.h"

// range(start, stop, step) for ints of any form (step already checked nonzero): a plain range
// when all three fit in int64, else a wide one.
ObjRange *range_from_ints(Vm *vm, Value start, Value stop, Value step);
// The same, always wide (for reversed(): its mirror's items may not fit in int64).
ObjRange *range_wide_new(Vm *vm, Value start, Value stop, Value step);
// The bounds of any range as int Values (start, stop, step).
void range_bounds(const ObjRange *r, Value out[3]);

// The number of items in *n (initialised here; the caller clears it).
void range_length_mpz(const ObjRange *r, mpz_t n);
// len(): OverflowError "Python int too large to convert to C ssize_t" past int64.
bool range_len_value(Vm *vm, const ObjRange *r, int64_t *out);
// Item i (0 <= i < length) of any range.
Value range_item_value(Vm *vm, const ObjRange *r, mpz_srcptr i);
// r[key] for an int key of any form: IndexError outside the range.
bool range_index_item(Vm *vm, const ObjRange *r, Value key, Value *out);
// Whether the int v is an item; when it is and `position` is not NULL, its position is stored.
bool range_has_value(Vm *vm, const ObjRange *r, Value v, Value *position);
// ==, hash and repr of any range.
bool range_equal(const ObjRange *a, const ObjRange *b);
bool range_hash_value(Vm *vm, const ObjRange *r, Value *out);
ObjStr *range_repr_value(Vm *vm, const ObjRange *r);

#endif
