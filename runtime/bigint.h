/* Big ints: what the rest of the runtime needs to handle ints wider than int64.
 *
 * An int has exactly one form: an immediate VAL_INT while its value fits in int64, an ObjBigInt
 * (vm/object.h) when it does not.  Every function here that makes an int goes through
 * int_from_mpz, which picks the form, so callers never see a big int holding a small value.
 * Small ints keep their fast paths everywhere; these functions take any int form (int, bool or
 * big int) and are what those paths fall back on.
 */
#ifndef AIO_BIGINT_H
#define AIO_BIGINT_H

#include "runtime.h"
#include "strbuf.h"

// A read-only mpz for any int form.  For a big int it is the object's own; for a small one it is
// built in `scratch` without allocating (and must not outlive it).
typedef struct {
    mpz_t z;
    mp_limb_t limb;
} BigScratch;
mpz_srcptr big_view(Value v, BigScratch *scratch);

// Sets GMP's allocation functions (counted by the GC); called once by runtime_init_number.
void bigint_init(Vm *vm);
// Before a GMP call that makes a number: true if the memory it may take, `factor` times `limbs`
// limbs, is there; else MemoryError is raised and GMP must not be called (see bigint.c).
bool big_room(Vm *vm, double limbs, double factor);
#define BIG_PEAK_COPY 1.1  // sums, differences, copies and shifts, of the result's size
#define BIG_PEAK_BITS 3.5  // &, |, ^ (negative operands are complemented first), of the larger operand
#define BIG_PEAK_GCD 4.0   // gcd and lcm, of the two operands' sizes together
#define BIG_PEAK_POW 6.0   // powers, factorials and binomials, of the result's size
#define BIG_PEAK_ROOT 8.0  // integer square roots, of the result's size
#define BIG_PEAK_TEXT 10.0 // conversions to and from digits, of the number's size
// Products and quotients take scratch space in proportion to the smaller operand (the divisor,
// or the quotient if it is smaller): these give the limbs a call holds, for factor 1.
static inline double big_peak_mul(double a, double b) { return a + b + 8 * (a < b ? a : b); }
static inline double big_peak_div(double a, double b) {
    double quotient = a - b + 1 > 1 ? a - b + 1 : 1;
    return a + b + 10 * (quotient < b ? quotient : b);
}

// The int kernels for operands of any int form: 1 done, 0 op not defined on ints, -1 error.
int big_binary_op(Vm *vm, int op, Value a, Value b, Value *out);
int big_unary_op(Vm *vm, int op, Value a, Value *out); // UNARY_NEG / POS / INVERT
bool big_abs(Vm *vm, Value a, Value *out);
bool big_divmod(Vm *vm, Value a, Value b, Value *q, Value *r);
bool big_powmod(Vm *vm, Value base, Value exp, Value mod, Value *out);
// round(n, ndigits) for an int n: ties to the even multiple of 10**-ndigits.
bool big_round(Vm *vm, Value n, Value ndigits, Value *out);

// Comparisons: ints exactly (-1, 0, 1); an int with a float exactly, 2 when the float is a NaN.
int big_compare(Value a, Value b);
int big_compare_float(Value a, double d);
// CPython's int hash: |n| mod 2**61-1 with n's sign, -1 made -2.
uint64_t big_hash(Value v);

// float(n) correctly rounded (half-even); OverflowError "int too large to convert to float".
bool big_to_double(Vm *vm, Value v, double *out);
// |v| as m * 2**e with m in [0.5, 1) rounded half-even to 53 bits, v nonzero (for logarithms of
// ints too large for a double).
double big_frexp(Value v, int64_t *e);
// int(d) for a finite double (truncated toward zero), in either form.
Value big_from_double(Vm *vm, double d);
// An int64 when v fits (always for small forms), else false without raising.
bool big_fits_int64(Value v, int64_t *out);
// The number of bits of |v| (int.bit_length) and of ones in |v| (int.bit_count).
uint64_t big_bit_length(Value v);
uint64_t big_bit_count(Value v);

// The digits of |v| in base 2..36 (lowercase), without sign or prefix.  For base 10 the
// int_max_str_digits limit applies (ValueError).
bool big_magnitude_digits(Vm *vm, Value v, int base, StrBuf *out);
// str(v) for any int form (ValueError past the digit limit).
ObjStr *big_repr(Vm *vm, Value v);
// An int from an optional '-' and digits already checked for `base` (no underscores, no
// prefix): ValueError past the digit limit for bases that are not powers of two.
bool big_from_digits(Vm *vm, const char *text, int base, Value *out);

// sys.get_int_max_str_digits / set_int_max_str_digits: 0 means no limit.
int64_t big_max_str_digits(void);
void big_set_max_str_digits(int64_t n);
#define BIG_MAX_STR_DIGITS_DEFAULT 4300
#define BIG_MAX_STR_DIGITS_THRESHOLD 640

#endif
