/* Numbers as the rest of the runtime calls them: arithmetic and comparison on int, bool and float
 * (runtime/number.c), and parsing and printing them (runtime/numparse.c).  What the number files
 * share among themselves is in number.h.
 */
#ifndef AIO_NUMERIC_H
#define AIO_NUMERIC_H

#include "strbuf.h"
#include "vm.h"

// Arithmetic on int, bool and float (runtime/number.c): 1 done (*out set), 0 when an operand is not
// a number (the caller then tries __op__ / __rop__ methods), -1 error pending (ZeroDivisionError,
// OverflowError, ...).  op is BINARY_OP's argument: a BinaryOp, +BINOP_INPLACE for the in-place form.
int number_binary_op(Vm *vm, int op, Value a, Value b, Value *out);
int number_compare(Vm *vm, int op, Value a, Value b, Value *out); // == != < <= > >=
int number_unary_op(Vm *vm, int op, Value a, Value *out);         // UNARY_NEG / POS / INVERT
bool int_from_str(Vm *vm, const char *s, size_t len, int base, Value *out); // int('12', base)
bool float_from_str(Vm *vm, ObjStr *s, double *out);
void float_repr_into(double d, StrBuf *out);

#endif
