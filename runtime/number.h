/* The number module's private interface: what number.c, numparse.c, int.c and float.c share.
 *
 * runtime.h holds the public face of numbers (number_binary_op and friends, the hashes, the
 * parsers).  This header adds the pieces the four files pass between themselves: the arithmetic
 * kernels every operator, dunder and builtin goes through, so that `a + b`, `a.__add__(b)` and
 * `pow(a, b)` can never disagree.
 *
 * Representation: int and bool are immediate int64 Values (a bool reads as 0 or 1) and float an
 * immediate double; an int outside int64 is a big int object (bigint.h).  The int64 kernels here
 * check every result and hand an overflowing operation to bigint.c, which computes it exactly.
 */
#ifndef AIO_NUMBER_H
#define AIO_NUMBER_H

#include "bigint.h"
#include "numfmt.h"
#include "runtime.h"

// Any int, bool, big int or float.
static inline bool num_is_number(Value v) { return IS_NUMBER(v) || IS_BIGINT(v); }

// The kernels return 1 with *out set, or -1 with an exception pending.  `op` is a plain BinaryOp
// (no in-place offset).  An operator the type lacks (@ for both, the bitwise ones for floats) is
// declined with 0, so the caller can go on to the other operand's methods.
int num_int_op(Vm *vm, int op, int64_t a, int64_t b, Value *out);
// The same for ints of any form (bools count as plain ints: True & True is 1 here).
int num_int_values_op(Vm *vm, int op, Value a, Value b, Value *out);
int num_float_op(Vm *vm, int op, double a, double b, Value *out);

// Python's floor division and modulo together, as divmod() returns them.  The float version
// raises divmod()'s own ZeroDivisionError message ("float divmod()").
bool num_int_divmod(Vm *vm, int64_t a, int64_t b, int64_t *q, int64_t *r);
bool num_float_divmod(Vm *vm, double a, double b, double *q, double *r);

// pow(base, exp, mod) on ints, without intermediate overflow; a negative exp takes the modular
// inverse (Python 3.8+).
bool num_int_powmod(Vm *vm, int64_t base, int64_t exp, int64_t mod, int64_t *out);

// A float truncated toward zero into an int, with CPython's errors for inf and nan.
bool num_float_to_int(Vm *vm, double d, Value *out);

// round(x, ndigits) for floats, correctly rounded half-even on the exact binary value.
bool num_round_float(Vm *vm, double x, int64_t ndigits, double *out);
// round(x) for floats: the nearest int, ties to even.
bool num_round_float_to_int(Vm *vm, double x, Value *out);

// Exact comparison of an int with a float (no rounding of the int): -1, 0 or 1, or 2 when d is
// a NaN (unordered).
int num_compare_int_float(int64_t i, double d);

// The __index__ protocol: ints and bools, or any object whose class defines __index__.
// Raises "'float' object cannot be interpreted as an integer" otherwise.  num_index_value gives
// the int in any form; num_index needs an int64 and raises OverflowError("cannot fit 'int' into
// an index-sized integer") for a big one.
bool num_index(Vm *vm, Value v, int64_t *out);
bool num_index_value(Vm *vm, Value v, Value *out);
// round()'s ndigits for a float: an int of any size, clamped to int64 (all beyond round alike).
bool num_round_digits(Vm *vm, Value v, int64_t *out);

// Raises the TypeError a dunder called on the wrong type raises:
// "descriptor '__add__' requires a 'int' object but received a 'float'".
bool num_descriptor_error(Vm *vm, const char *name, const char *cls, Value self);

// Argument checks with CPython's messages.  A dunder (a "slot wrapper" in CPython) takes self of
// class cls and between min and max more positional arguments; a method likewise.
bool num_check_dunder(Vm *vm, const char *name, ObjClass *cls, Value *args, int nargs,
                      ObjTuple *kwnames, int min, int max);
bool num_check_method(Vm *vm, const char *name, ObjClass *cls, Value *args, int nargs,
                      ObjTuple *kwnames, int min, int max);

// repr() of an int, bool or float ("5", "True", "0.1").
ObjStr *num_repr(Vm *vm, Value v);
// format(number, spec) through numfmt; an empty spec gives str(number).
bool num_format(Vm *vm, Value self, Value spec, Value *result);
// The same for a big int, its spec parsed (bigint.c).
bool big_format(Vm *vm, Value self, const FormatSpec *fs, Value *result);

// The parsers without exceptions (numparse.c), for text already in ASCII form (bytes).
// num_parse_int: 1 parsed, 0 invalid syntax, -1 valid but outside int64.
int num_parse_int(const char *s, size_t len, int base, int64_t *out);
// The int of text num_parse_int found valid but outside int64, as a big int (with the digit
// limit's ValueError).
bool num_parse_wide_int(Vm *vm, const char *s, size_t len, int base, Value *out);
bool num_parse_float(const char *s, size_t len, double *out);

// Checks the class argument of a number class's __new__ (int.c): `own` itself is fine; bool
// through int.__new__ is refused as CPython does; anything else is not a subtype.
bool num_check_new_class(Vm *vm, ObjClass *own, Value *args, int nargs);
// A read-only property whose getter is a native (int.real, float.imag, ...) (int.c).
void num_define_property(Vm *vm, ObjClass *cls, const char *name, NativeFn getter);
// A classmethod written in C: it receives the class as args[0] (int.from_bytes, float.fromhex).
void num_define_classmethod(Vm *vm, ObjClass *cls, const char *name, NativeFn fn);

// Registers the classes' methods (int.c and float.c); called by runtime_init_number.
void int_init_class(Vm *vm);
void float_init_class(Vm *vm);

// Parses a float.hex() string, as float.fromhex does (numparse.c).
bool float_from_hex(Vm *vm, const char *s, size_t len, double *out);

#endif
