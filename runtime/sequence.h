/* Helpers for natives that return or index sequences: tuple_pair_result (runtime/tuple.c) and
 * slice_indices (runtime/range.c).
 */
#ifndef AIO_SEQUENCE_H
#define AIO_SEQUENCE_H

#include "vm.h"

// A native's `return` of (a, b): stores the pair in *result, true.
bool tuple_pair_result(Vm *vm, Value a, Value b, Value *result);
// Slice bounds after Python's rules for a sequence of length n; returns the item count.
bool slice_indices(Vm *vm, ObjSlice *s, int64_t n, int64_t *start, int64_t *stop, int64_t *step,
                   int64_t *count);

#endif
