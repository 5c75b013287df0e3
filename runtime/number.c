/* Numbers: the arithmetic of int, bool and float that the operators, the dunders and the builtins
 * share; exact int/float comparison; CPython's numeric hashes; rounding.
 *
 * Every operation on numbers lands in one of two kernels, num_int_op (both operands int or bool)
 * and num_float_op (at least one float, the other converted), so `a + b`, `a.__add__(b)` and
 * `sum()` cannot disagree.  Semantics follow CPython 3.11's longobject.c and floatobject.c: floor
 * division and modulo round toward negative infinity, `/` is always true division, and float
 * arithmetic never raises except for division by zero and pow().  Int arithmetic runs on int64
 * first; an operand that is a big int, or a result that would overflow, goes to bigint.c.
 *
 * The classes themselves (their dunders and methods) live in int.c and float.c; the parsers of
 * int('...') and float('...') in numparse.c.
 */
#include "number.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "numfmt.h"

// 128-bit arithmetic for true division and modular multiplication.  GCC and Clang both provide
// it; like common.h's overflow builtins it is the one extension this file relies on.
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

#define TWO_POW_63 9223372036854775808.0

static int zero_division(Vm *vm, const char *msg) {
    vm_raise(vm, vm->ZeroDivisionError, "%s", msg);
    return -1;
}

// |v| as an unsigned number: correct for INT64_MIN too.
static uint64_t magnitude(int64_t v) { return v < 0 ? 0 - (uint64_t)v : (uint64_t)v; }

static int bit_length(uint64_t m) {
    int n = 0;
    while (m) {
        n++;
        m >>= 1;
    }
    return n;
}

// ---- int kernels --------------------------------------------------------------------------------

bool num_int_divmod(Vm *vm, int64_t a, int64_t b, int64_t *q, int64_t *r) {
    if (b == 0) return vm_raise(vm, vm->ZeroDivisionError, "integer division or modulo by zero");
    if (b == -1) {
        // C's a / -1 and a % -1 are undefined for INT64_MIN, whose quotient does not fit: the
        // callers check for that pair first.
        *q = -a;
        *r = 0;
        return true;
    }
    int64_t qq = a / b, rr = a % b;
    // C truncates toward zero; Python floors, so the remainder takes the divisor's sign.
    if (rr != 0 && ((rr < 0) != (b < 0))) {
        qq--;
        rr += b;
    }
    *q = qq;
    *r = rr;
    return true;
}

// a / b correctly rounded, as CPython's long_true_divide.  Operands within 2**53 convert to
// double exactly and one IEEE division rounds once; larger ones are divided in 128-bit integers
// with enough quotient bits (55 or 56) and a sticky bit, so the one rounding to double is exact.
static double int_true_divide(int64_t a, int64_t b) {
    uint64_t na = magnitude(a), nb = magnitude(b);
    const uint64_t exact = (uint64_t)1 << 53;
    if (na <= exact && nb <= exact) return (double)a / (double)b;
    if (na == 0) return (a < 0) != (b < 0) ? -0.0 : 0.0;
    int shift = 55 + bit_length(nb) - bit_length(na); // quotient of N/D is in [2**54, 2**56)
    u128 n = na, d = nb;
    if (shift >= 0)
        n <<= shift;
    else
        d <<= -shift;
    u128 q = n / d;
    uint64_t bits = (uint64_t)q | (n % d != 0); // the sticky bit sits below the rounding bit
    double r = ldexp((double)bits, -shift);
    return (a < 0) != (b < 0) ? -r : r;
}

// base ** exp for exp >= 0 by repeated squaring; false when the result leaves int64.  The base is
// squared only while exponent bits remain, so no overflow is spurious: if base*base overflows
// with bits left, so does the result.
static bool int_pow(int64_t base, int64_t exp, int64_t *out) {
    int64_t result = 1;
    while (exp > 0) {
        if ((exp & 1) && MUL_OVERFLOWS(result, base, &result)) return false;
        exp >>= 1;
        if (exp > 0 && MUL_OVERFLOWS(base, base, &base)) return false;
    }
    *out = result;
    return true;
}

// a << n for n >= 0; false when the result leaves int64.
static bool int_lshift(int64_t a, int64_t n, int64_t *out) {
    if (a == 0) {
        *out = 0;
        return true;
    }
    if (n > 63) return false;
    if (n == 63) {
        if (a != -1) return false;
        *out = INT64_MIN;
        return true;
    }
    return !MUL_OVERFLOWS(a, (int64_t)1 << n, out);
}

static int int_rshift(Vm *vm, int64_t a, int64_t n, int64_t *out) {
    if (n < 0) {
        vm_raise(vm, vm->ValueError, "negative shift count");
        return -1;
    }
    if (n > 63) n = 63;
    // Shifting a negative number right is implementation-defined in C; ~(~a >> n) floors exactly.
    *out = a >= 0 ? a >> n : ~(~a >> n);
    return 1;
}

int num_int_op(Vm *vm, int op, int64_t a, int64_t b, Value *out) {
    int64_t r, q;
    switch (op) {
    case BINOP_ADD:
        if (ADD_OVERFLOWS(a, b, &r)) return big_binary_op(vm, op, INT_VAL(a), INT_VAL(b), out);
        break;
    case BINOP_SUB:
        if (SUB_OVERFLOWS(a, b, &r)) return big_binary_op(vm, op, INT_VAL(a), INT_VAL(b), out);
        break;
    case BINOP_MUL:
        if (MUL_OVERFLOWS(a, b, &r)) return big_binary_op(vm, op, INT_VAL(a), INT_VAL(b), out);
        break;
    case BINOP_DIV:
        if (b == 0) return zero_division(vm, "division by zero");
        *out = FLOAT_VAL(int_true_divide(a, b));
        return 1;
    case BINOP_FLOORDIV:
        if (a == INT64_MIN && b == -1) return big_binary_op(vm, op, INT_VAL(a), INT_VAL(b), out);
        if (!num_int_divmod(vm, a, b, &r, &q)) return -1;
        break;
    case BINOP_MOD:
        if (b == 0) return zero_division(vm, "integer modulo by zero");
        if (b == -1)
            r = 0; // INT64_MIN % -1 is 0 in Python but undefined in C
        else if (!num_int_divmod(vm, a, b, &q, &r))
            return -1;
        break;
    case BINOP_POW:
        // A negative exponent makes it a float operation, as in CPython.
        if (b < 0) return num_float_op(vm, BINOP_POW, (double)a, (double)b, out);
        if (!int_pow(a, b, &r)) return big_binary_op(vm, op, INT_VAL(a), INT_VAL(b), out);
        break;
    case BINOP_LSHIFT:
        if (b < 0) return vm_raise(vm, vm->ValueError, "negative shift count"), -1;
        if (!int_lshift(a, b, &r)) return big_binary_op(vm, op, INT_VAL(a), INT_VAL(b), out);
        break;
    case BINOP_RSHIFT:
        if (int_rshift(vm, a, b, &r) < 0) return -1;
        break;
    case BINOP_BITAND: r = a & b; break;
    case BINOP_BITOR: r = a | b; break;
    case BINOP_BITXOR: r = a ^ b; break;
    default: return 0; // @ is not defined on numbers
    }
    *out = INT_VAL(r);
    return 1;
}

int num_int_values_op(Vm *vm, int op, Value a, Value b, Value *out) {
    if (IS_INTLIKE(a) && IS_INTLIKE(b)) return num_int_op(vm, op, AS_INTLIKE(a), AS_INTLIKE(b), out);
    return big_binary_op(vm, op, a, b, out);
}

bool num_int_powmod(Vm *vm, int64_t base, int64_t exp, int64_t mod, int64_t *out) {
    if (mod == 0) return vm_raise(vm, vm->ValueError, "pow() 3rd argument cannot be 0");
    // Work with m = |mod| and a base reduced into [0, m); the sign of mod is applied at the end,
    // since Python's result lies between 0 and mod.
    uint64_t m = magnitude(mod);
    uint64_t b = magnitude(base) % m;
    if (base < 0 && b != 0) b = m - b;
    uint64_t e = magnitude(exp);
    if (exp < 0) {
        // b**-e is (b**-1)**e: find the inverse by the extended Euclidean algorithm on (m, b).
        // The coefficients stay within m in magnitude, so 128-bit signed arithmetic holds them.
        i128 t0 = 0, t1 = 1;
        uint64_t r0 = m, r1 = b;
        while (r1 != 0) {
            uint64_t q = r0 / r1, r2 = r0 - q * r1;
            i128 t2 = t0 - (i128)q * t1;
            r0 = r1;
            r1 = r2;
            t0 = t1;
            t1 = t2;
        }
        if (r0 != 1)
            return vm_raise(vm, vm->ValueError, "base is not invertible for the given modulus");
        if (t0 < 0) t0 += m;
        b = (uint64_t)t0;
    }
    uint64_t acc = 1 % m;
    for (; e; e >>= 1) {
        if (e & 1) acc = (uint64_t)((u128)acc * b % m);
        b = (uint64_t)((u128)b * b % m);
    }
    *out = mod < 0 && acc != 0 ? -(int64_t)(m - acc) : (int64_t)acc;
    return true;
}

// ---- float kernels ------------------------------------------------------------------------------

bool num_float_divmod(Vm *vm, double a, double b, double *q, double *r) {
    if (b == 0.0) return vm_raise(vm, vm->ZeroDivisionError, "float divmod()");
    // CPython's _float_div_mod: fmod is exact, and the quotient is corrected to floor.
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0) {
        if ((b < 0) != (mod < 0)) {
            mod += b;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, b);
    }
    double floordiv;
    if (div != 0.0) {
        floordiv = floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = copysign(0.0, a / b);
    }
    *q = floordiv;
    *r = mod;
    return true;
}

// CPython raises OverflowError(errno, strerror(errno)) when libm reports a range error.
static void raise_errno(Vm *vm, int err) {
    ObjClass *cls = err == ERANGE ? vm->OverflowError : vm->ValueError;
    Value args[2] = {INT_VAL(err), OBJ_VAL(str_from_c(vm, strerror(err)))};
    vm_push_root(vm, args[1]);
    Value exc;
    if (vm_call_class(vm, cls, args, 2, NULL, &exc)) vm_raise_value(vm, exc);
    vm_pop_root(vm);
}

static bool is_odd_integer(double d) { return fmod(fabs(d), 2.0) == 1.0; }

// The cases of float ** float that libm's pow is not asked about, in CPython's order (its
// float_pow): infinities, NaNs and zero exponents.  True when *r holds the answer.
static bool pow_special(double x, double y, double *r) {
    if (y == 0.0) {
        *r = 1.0; // x**0 is 1, even 0**0 and nan**0
    } else if (isnan(x)) {
        *r = x;
    } else if (isnan(y)) {
        *r = x == 1.0 ? 1.0 : y; // 1**nan is 1
    } else if (isinf(y)) {
        double ax = fabs(x);
        *r = ax == 1.0 ? 1.0 : (y > 0.0) == (ax > 1.0) ? fabs(y) : 0.0;
    } else if (isinf(x)) {
        bool odd = is_odd_integer(y);
        *r = y > 0.0 ? (odd ? x : fabs(x)) : (odd ? copysign(0.0, x) : 0.0);
    } else {
        return false;
    }
    return true;
}

// float ** float: the special cases, then zero and negative bases, then libm's pow with its
// errno checked as CPython does (an infinite result is an OverflowError, a tiny one is 0).
static int float_pow(Vm *vm, double x, double y, Value *out) {
    double r;
    if (pow_special(x, y, &r)) {
        *out = FLOAT_VAL(r);
        return 1;
    }
    if (x == 0.0) {
        if (y < 0.0) return zero_division(vm, "0.0 cannot be raised to a negative power");
        *out = FLOAT_VAL(is_odd_integer(y) ? x : 0.0);
        return 1;
    }
    bool negate = false;
    if (x < 0.0) {
        // CPython answers with a complex number here; aio has no complex type.
        if (y != floor(y)) {
            vm_raise(vm, vm->ValueError, "negative number cannot be raised to a fractional power");
            return -1;
        }
        x = -x;
        negate = is_odd_integer(y);
    }
    errno = 0;
    r = x == 1.0 ? 1.0 : pow(x, y);
    if (errno == 0 && isinf(r)) errno = ERANGE;
    if (errno == ERANGE && r == 0.0) errno = 0; // underflow to zero is not an error
    if (errno != 0) {
        raise_errno(vm, errno);
        return -1;
    }
    *out = FLOAT_VAL(negate ? -r : r);
    return 1;
}

int num_float_op(Vm *vm, int op, double a, double b, Value *out) {
    double q, r;
    switch (op) {
    case BINOP_ADD: *out = FLOAT_VAL(a + b); return 1;
    case BINOP_SUB: *out = FLOAT_VAL(a - b); return 1;
    case BINOP_MUL: *out = FLOAT_VAL(a * b); return 1;
    case BINOP_DIV:
        if (b == 0.0) return zero_division(vm, "float division by zero");
        *out = FLOAT_VAL(a / b);
        return 1;
    case BINOP_FLOORDIV:
        if (b == 0.0) return zero_division(vm, "float floor division by zero");
        num_float_divmod(vm, a, b, &q, &r);
        *out = FLOAT_VAL(q);
        return 1;
    case BINOP_MOD:
        if (b == 0.0) return zero_division(vm, "float modulo");
        r = fmod(a, b);
        if (r != 0.0) {
            if ((b < 0) != (r < 0)) r += b;
        } else {
            r = copysign(0.0, b);
        }
        *out = FLOAT_VAL(r);
        return 1;
    case BINOP_POW: return float_pow(vm, a, b, out);
    default: return 0; // bitwise operators and @ are not defined on floats
    }
}

// ---- the operator entry points ------------------------------------------------------------------

// A big int meeting a float: the int is converted (OverflowError when it is too large), as
// CPython does for arithmetic; comparisons are exact instead (compare_numbers).
static int big_with_float(Vm *vm, int op, Value a, Value b, Value *out) {
    double x, y;
    if (!big_to_double(vm, a, &x) || !big_to_double(vm, b, &y)) return -1;
    if (IS_FLOAT(a)) x = AS_FLOAT(a);
    if (IS_FLOAT(b)) y = AS_FLOAT(b);
    return num_float_op(vm, op, x, y, out);
}

// number_binary_op when an operand is not an immediate number: a big int, or no number at all.
// Kept out of line so the immediate cases stay as short as they were before big ints.
static __attribute__((noinline)) int wide_binary_op(Vm *vm, int op, Value a, Value b, Value *out) {
    if (!num_is_number(a) || !num_is_number(b)) return 0;
    op = binop_plain(op);
    if (IS_FLOAT(a) || IS_FLOAT(b)) return big_with_float(vm, op, a, b, out);
    return big_binary_op(vm, op, a, b, out);
}

int number_binary_op(Vm *vm, int op, Value a, Value b, Value *out) {
    if (!IS_NUMBER(a) || !IS_NUMBER(b)) return wide_binary_op(vm, op, a, b, out);
    op = binop_plain(op); // the in-place forms behave as the plain ones: numbers are immutable
    if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
        // bool & bool stays a bool (True | False is True); every other int op yields an int.
        if (IS_BOOL(a) && IS_BOOL(b)) {
            bool x = AS_BOOL(a), y = AS_BOOL(b);
            if (op == BINOP_BITAND) return *out = BOOL_VAL(x && y), 1;
            if (op == BINOP_BITOR) return *out = BOOL_VAL(x || y), 1;
            if (op == BINOP_BITXOR) return *out = BOOL_VAL(x != y), 1;
        }
        return num_int_op(vm, op, AS_INTLIKE(a), AS_INTLIKE(b), out);
    }
    return num_float_op(vm, op, AS_NUMBER(a), AS_NUMBER(b), out);
}

int number_unary_op(Vm *vm, int op, Value a, Value *out) {
    if (IS_BIGINT(a)) return big_unary_op(vm, op, a, out);
    if (!IS_NUMBER(a)) return 0;
    if (IS_FLOAT(a)) {
        double d = AS_FLOAT(a);
        if (op == UNARY_NEG)
            *out = FLOAT_VAL(-d);
        else if (op == UNARY_POS)
            *out = a;
        else
            return 0; // ~ is not defined on floats
        return 1;
    }
    int64_t v = AS_INTLIKE(a);
    switch (op) {
    case UNARY_NEG:
        if (v == INT64_MIN) return big_unary_op(vm, op, a, out);
        *out = INT_VAL(-v);
        return 1;
    case UNARY_POS: *out = INT_VAL(v); return 1;
    case UNARY_INVERT: *out = INT_VAL(~v); return 1;
    default: return 0;
    }
}

int num_compare_int_float(int64_t i, double d) {
    if (isnan(d)) return 2;
    if (d >= TWO_POW_63) return -1;
    if (d < -TWO_POW_63) return 1;
    // Now trunc(d) fits in an int64: compare the integer parts exactly, then the fraction.
    double t = trunc(d);
    int64_t ti = (int64_t)t;
    if (i != ti) return i < ti ? -1 : 1;
    double frac = d - t;
    return frac > 0.0 ? -1 : frac < 0.0 ? 1 : 0;
}

// -1, 0, 1 for a <=> b; 2 when unordered (a NaN is involved).
// A comparison with a big int on either side (the other an int of any form or a float).
static __attribute__((noinline)) int compare_with_big(Value a, Value b) {
    if (IS_FLOAT(b)) return big_compare_float(a, AS_FLOAT(b));
    if (IS_FLOAT(a)) {
        int c = big_compare_float(b, AS_FLOAT(a));
        return c == 2 ? 2 : -c;
    }
    return big_compare(a, b);
}

static int compare_numbers(Value a, Value b) {
    if (IS_INTLIKE(a) && IS_INTLIKE(b)) {
        int64_t x = AS_INTLIKE(a), y = AS_INTLIKE(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (IS_FLOAT(a) && IS_FLOAT(b)) {
        double x = AS_FLOAT(a), y = AS_FLOAT(b);
        return x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
    }
    if (IS_BIGINT(a) || IS_BIGINT(b)) return compare_with_big(a, b);
    if (IS_INTLIKE(a)) return num_compare_int_float(AS_INTLIKE(a), AS_FLOAT(b));
    int c = num_compare_int_float(AS_INTLIKE(b), AS_FLOAT(a));
    return c == 2 ? 2 : -c;
}

int number_compare(Vm *vm, int op, Value a, Value b, Value *out) {
    (void)vm;
    if (!num_is_number(a) || !num_is_number(b)) return 0;
    int c = compare_numbers(a, b);
    bool r;
    switch (op) {
    case CMP_EQ: r = c == 0; break;
    case CMP_NE: r = c != 0; break;
    case CMP_LT: r = c == -1; break;
    case CMP_LE: r = c == -1 || c == 0; break;
    case CMP_GT: r = c == 1; break;
    case CMP_GE: r = c == 1 || c == 0; break;
    default: return 0;
    }
    *out = BOOL_VAL(r);
    return 1;
}

// ---- conversions and rounding -------------------------------------------------------------------

bool num_float_to_int(Vm *vm, double d, Value *out) {
    if (isnan(d)) return vm_raise(vm, vm->ValueError, "cannot convert float NaN to integer");
    if (isinf(d))
        return vm_raise(vm, vm->OverflowError, "cannot convert float infinity to integer");
    *out = big_from_double(vm, trunc(d));
    return true;
}

bool num_round_float_to_int(Vm *vm, double x, Value *out) {
    // CPython's float.__round__ without ndigits: round half away, then fix exact ties to even.
    double r = round(x);
    if (fabs(x - r) == 0.5) r = 2.0 * round(x / 2.0);
    return num_float_to_int(vm, r, out);
}

// Adds one to a string of decimal digits in place; returns false when it needs a new leading '1'.
static bool decimal_increment(char *digits, size_t n) {
    for (size_t i = n; i-- > 0;) {
        if (digits[i] != '9') {
            digits[i]++;
            return true;
        }
        digits[i] = '0';
    }
    return false;
}

// round(x, -k) for k >= 1: the exact decimal expansion of |x| (a double >= 1 has at most 52
// fractional binary digits, so "%.60f" prints it without rounding) is rounded half-even by hand.
static double round_to_tens(double x, int k) {
    char buf[400];
    snprintf(buf, sizeof buf, "%.60f", fabs(x));
    size_t n = (size_t)(strchr(buf, '.') - buf); // integer digits
    if (n < (size_t)k) return copysign(0.0, x);  // |x| < 10**(k-1): below half a unit
    size_t head = n - (size_t)k;
    char first = buf[head];
    bool rest = false;
    for (const char *p = buf + head + 1; *p; p++)
        if (*p != '0' && *p != '.') rest = true;
    bool head_odd = head > 0 && (buf[head - 1] - '0') % 2 == 1;
    bool up = first > '5' || (first == '5' && (rest || head_odd));
    char out[420];
    size_t len = 0;
    if (up && (head == 0 || !decimal_increment(buf, head))) out[len++] = '1';
    memcpy(out + len, buf, head);
    len += head;
    if (len == 0) out[len++] = '0';
    memset(out + len, '0', (size_t)k);
    len += (size_t)k;
    out[len] = '\0';
    return copysign(strtod(out, NULL), x);
}

bool num_round_float(Vm *vm, double x, int64_t ndigits, double *out) {
    // Beyond these the result is x itself, or a zero (CPython's NDIGITS_MAX and NDIGITS_MIN).
    if (!isfinite(x) || x == 0.0 || ndigits > 323) {
        *out = x;
        return true;
    }
    if (ndigits < -308) {
        *out = 0.0 * x;
        return true;
    }
    double r;
    if (ndigits >= 0) {
        // glibc's printf rounds the exact binary value half-even, as CPython's dtoa does.
        char buf[700];
        snprintf(buf, sizeof buf, "%.*f", (int)ndigits, x);
        r = strtod(buf, NULL);
    } else {
        r = round_to_tens(x, (int)-ndigits);
    }
    if (isinf(r)) return vm_raise(vm, vm->OverflowError, "rounded value too large to represent");
    *out = r;
    return true;
}


// ---- protocol helpers ---------------------------------------------------------------------------

bool num_index_value(Vm *vm, Value v, Value *out) {
    if (IS_INTEGER(v)) {
        *out = v;
        return true;
    }
    Value fn = IS_OBJ(v) ? class_lookup(vm_class_of(vm, v), vm->s_index) : EMPTY_VAL();
    if (IS_EMPTY(fn)) // None is called, and fails, as in CPython
        return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer",
                        vm_type_name(vm, v));
    if (!vm_call1(vm, fn, v, out)) return false;
    if (!IS_INTEGER(*out))
        return vm_raise(vm, vm->TypeError, "__index__ returned non-int (type %s)",
                        vm_type_name(vm, *out));
    return true;
}

bool num_round_digits(Vm *vm, Value v, int64_t *out) {
    Value n;
    if (!num_index_value(vm, v, &n)) return false;
    if (!big_fits_int64(n, out)) *out = big_compare(n, INT_VAL(0)) < 0 ? INT64_MIN : INT64_MAX;
    return true;
}

bool num_index(Vm *vm, Value v, int64_t *out) {
    if (IS_INTLIKE(v)) {
        *out = AS_INTLIKE(v);
        return true;
    }
    Value r;
    if (!num_index_value(vm, v, &r)) return false;
    if (!big_fits_int64(r, out))
        return vm_raise(vm, vm->OverflowError, "cannot fit 'int' into an index-sized integer");
    return true;
}

bool num_descriptor_error(Vm *vm, const char *name, const char *cls, Value self) {
    return vm_raise(vm, vm->TypeError, "descriptor '%s' requires a '%s' object but received a '%s'",
                    name, cls, vm_type_name(vm, self));
}

// Is v an instance of one of the number classes?  bool is an int, but no int is a bool.
static bool is_self_of(Vm *vm, ObjClass *cls, Value v) {
    if (cls == vm->float_class) return IS_FLOAT(v);
    if (cls == vm->bool_class) return IS_BOOL(v);
    return IS_INTEGER(v);
}

bool num_check_dunder(Vm *vm, const char *name, ObjClass *cls, Value *args, int nargs,
                      ObjTuple *kwnames, int min, int max) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "wrapper %s() takes no keyword arguments", name);
    if (nargs == 0)
        return vm_raise(vm, vm->TypeError, "descriptor '%s' of '%s' object needs an argument", name,
                        cls->name->chars);
    if (!is_self_of(vm, cls, args[0]))
        return num_descriptor_error(vm, name, cls->name->chars, args[0]);
    int n = nargs - 1;
    if (min == max && n != min)
        return vm_raise(vm, vm->TypeError, "expected %d argument%s, got %d", min,
                        min == 1 ? "" : "s", n);
    // Ternary wrappers (__pow__) print an empty name before these, as CPython does.
    if (n < min)
        return vm_raise(vm, vm->TypeError, " expected at least %d argument%s, got %d", min,
                        min == 1 ? "" : "s", n);
    if (n > max)
        return vm_raise(vm, vm->TypeError, " expected at most %d argument%s, got %d", max,
                        max == 1 ? "" : "s", n);
    return true;
}

bool num_check_method(Vm *vm, const char *name, ObjClass *cls, Value *args, int nargs,
                      ObjTuple *kwnames, int min, int max) {
    const char *cname = cls->name->chars;
    if (nargs == 0)
        return vm_raise(vm, vm->TypeError, "unbound method %s.%s() needs an argument", cname, name);
    if (!is_self_of(vm, cls, args[0]))
        return vm_raise(vm, vm->TypeError,
                        "descriptor '%s' for '%s' objects doesn't apply to a '%s' object", name,
                        cname, vm_type_name(vm, args[0]));
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s.%s() takes no keyword arguments", cname, name);
    int n = nargs - 1;
    if (max == 0 && n > 0)
        return vm_raise(vm, vm->TypeError, "%s.%s() takes no arguments (%d given)", cname, name, n);
    if (min == 1 && max == 1 && n != 1)
        return vm_raise(vm, vm->TypeError, "%s.%s() takes exactly one argument (%d given)", cname,
                        name, n);
    if (n > max)
        return vm_raise(vm, vm->TypeError, "%s expected at most %d argument%s, got %d", name, max,
                        max == 1 ? "" : "s", n);
    return true;
}

ObjStr *num_repr(Vm *vm, Value v) {
    if (IS_BOOL(v)) return str_from_c(vm, AS_BOOL(v) ? "True" : "False");
    if (IS_BIGINT(v)) return big_repr(vm, v);
    StrBuf sb;
    sb_init(&sb);
    if (IS_FLOAT(v))
        float_repr_into(AS_FLOAT(v), &sb);
    else
        sb_printf(&sb, "%" PRId64, AS_INTLIKE(v));
    return str_from_buf(vm, &sb);
}

bool num_format(Vm *vm, Value self, Value spec, Value *result) {
    if (!IS_STR(spec))
        return vm_raise(vm, vm->TypeError, "__format__() argument must be str, not %s",
                        arg_type_name(vm, spec));
    ObjStr *s = AS_STR(spec);
    if (s->length == 0) {
        ObjStr *r = num_repr(vm, self); // str() of a number is its repr
        if (!r) return false;
        *result = OBJ_VAL(r);
        return true;
    }
    FormatSpec fs;
    char err[256];
    StrBuf sb;
    sb_init(&sb);
    bool ok = numfmt_parse_spec(s->chars, s->length, &fs, err, sizeof err);
    if (ok && IS_BIGINT(self))
        return big_format(vm, self, &fs, result);
    if (ok && IS_FLOAT(self))
        ok = numfmt_format_float(AS_FLOAT(self), &fs, &sb, err, sizeof err);
    else if (ok && IS_BOOL(self))
        ok = numfmt_format_int_as(AS_INTLIKE(self), "bool", &fs, &sb, err, sizeof err);
    else if (ok)
        ok = numfmt_format_int(AS_INTLIKE(self), &fs, &sb, err, sizeof err);
    if (!ok) {
        sb_free(&sb);
        if (numfmt_error_is_memory(err)) return vm_raise_memory_error(vm);
        return vm_raise(vm, numfmt_error_is_overflow(err) ? vm->OverflowError : vm->ValueError,
                        "%s", err);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// ---- builtins: abs, round, divmod, pow, hex, oct, bin -------------------------------------------

// Calls type(obj).<name>(obj, *args).  0 when the class has no such method (or it returned
// NotImplemented), 1 with *out set, -1 on error.
static int call_dunder(Vm *vm, Value obj, const char *name, Value *args, int nargs, Value *out) {
    Value fn = class_lookup(vm_class_of(vm, obj), str_from_c(vm, name));
    if (IS_EMPTY(fn)) return 0; // None is called, and fails, as in CPython
    Value buf[3] = {obj};
    for (int i = 0; i < nargs; i++) buf[i + 1] = args[i];
    if (!vm_call(vm, fn, buf, nargs + 1, NULL, out)) return -1;
    return value_is(*out, vm->not_implemented) ? 0 : 1;
}

static bool builtin_abs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "abs", nargs, kwnames, 1, 1)) return false;
    Value x = args[0];
    if (IS_FLOAT(x)) {
        *result = FLOAT_VAL(fabs(AS_FLOAT(x)));
        return true;
    }
    if (IS_INTLIKE(x) && AS_INTLIKE(x) != INT64_MIN) {
        int64_t v = AS_INTLIKE(x);
        *result = INT_VAL(v < 0 ? -v : v);
        return true;
    }
    if (IS_INTEGER(x)) return big_abs(vm, x, result);
    int r = call_dunder(vm, x, "__abs__", NULL, 0, result);
    if (r == 0)
        return vm_raise(vm, vm->TypeError, "bad operand type for abs(): '%s'", vm_type_name(vm, x));
    return r > 0;
}

// round(number, ndigits=None)
static bool builtin_round(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"number", "ndigits", NULL};
    Value a[2];
    if (!parse_args(vm, "round", args, nargs, kwnames, names, 1, a)) return false;
    Value x = a[0];
    bool has_ndigits = !IS_EMPTY(a[1]) && !IS_NONE(a[1]);
    int64_t ndigits = 0;
    if (IS_INTEGER(x)) {
        Value nd = INT_VAL(0);
        if (has_ndigits && !num_index_value(vm, a[1], &nd)) return false;
        return big_round(vm, IS_BOOL(x) ? INT_VAL(AS_INTLIKE(x)) : x, nd, result);
    }
    if (IS_FLOAT(x) && has_ndigits && !num_round_digits(vm, a[1], &ndigits)) return false;
    if (IS_FLOAT(x) && !has_ndigits) return num_round_float_to_int(vm, AS_FLOAT(x), result);
    if (IS_FLOAT(x)) {
        double d;
        if (!num_round_float(vm, AS_FLOAT(x), ndigits, &d)) return false;
        *result = FLOAT_VAL(d);
        return true;
    }
    Value fn = class_lookup(vm_class_of(vm, x), vm->s_round);
    if (IS_EMPTY(fn)) // None is called, and fails, as in CPython
        return vm_raise(vm, vm->TypeError, "type %s doesn't define __round__ method",
                        vm_type_name(vm, x));
    if (has_ndigits) return vm_call2(vm, fn, x, a[1], result);
    return vm_call1(vm, fn, x, result);
}

static bool builtin_divmod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "divmod() takes no keyword arguments");
    if (nargs != 2)
        return vm_raise(vm, vm->TypeError, "divmod expected 2 arguments, got %d", nargs);
    Value a = args[0], b = args[1];
    if (IS_INTLIKE(a) && IS_INTLIKE(b) && !(AS_INTLIKE(a) == INT64_MIN && AS_INTLIKE(b) == -1)) {
        int64_t q, r;
        if (!num_int_divmod(vm, AS_INTLIKE(a), AS_INTLIKE(b), &q, &r)) return false;
        return tuple_pair_result(vm, INT_VAL(q), INT_VAL(r), result);
    }
    if (IS_INTEGER(a) && IS_INTEGER(b)) {
        Value q, r;
        if (!big_divmod(vm, a, b, &q, &r)) return false;
        return tuple_pair_result(vm, q, r, result); // tuple_pair keeps the big q and r rooted
    }
    if (num_is_number(a) && num_is_number(b)) {
        double x, y, q, r;
        if (!big_to_double(vm, IS_FLOAT(a) ? INT_VAL(0) : a, &x)) return false;
        if (!big_to_double(vm, IS_FLOAT(b) ? INT_VAL(0) : b, &y)) return false;
        if (IS_FLOAT(a)) x = AS_FLOAT(a);
        if (IS_FLOAT(b)) y = AS_FLOAT(b);
        if (!num_float_divmod(vm, x, y, &q, &r)) return false;
        return tuple_pair_result(vm, FLOAT_VAL(q), FLOAT_VAL(r), result);
    }
    // Other types: a.__divmod__(b), then b.__rdivmod__(a) when b is of another type.
    int r = call_dunder(vm, a, "__divmod__", &b, 1, result);
    if (r == 0 && vm_class_of(vm, a) != vm_class_of(vm, b))
        r = call_dunder(vm, b, "__rdivmod__", &a, 1, result);
    if (r == 0)
        return vm_raise(vm, vm->TypeError,
                        "unsupported operand type(s) for divmod(): '%s' and '%s'",
                        vm_type_name(vm, a), vm_type_name(vm, b));
    return r > 0;
}

// pow(base, exp, mod=None)
static bool builtin_pow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"base", "exp", "mod", NULL};
    Value a[3];
    if (!parse_args(vm, "pow", args, nargs, kwnames, names, 2, a)) return false;
    if (IS_EMPTY(a[2]) || IS_NONE(a[2])) return vm_binary_op(vm, BINOP_POW, a[0], a[1], result);
    if (IS_INTLIKE(a[0]) && IS_INTLIKE(a[1]) && IS_INTLIKE(a[2])) {
        int64_t r;
        if (!num_int_powmod(vm, AS_INTLIKE(a[0]), AS_INTLIKE(a[1]), AS_INTLIKE(a[2]), &r))
            return false;
        *result = INT_VAL(r);
        return true;
    }
    if (IS_INTEGER(a[0]) && IS_INTEGER(a[1]) && IS_INTEGER(a[2]))
        return big_powmod(vm, a[0], a[1], a[2], result);
    // Three-argument pow of other types asks only the base's __pow__, as CPython does; then a
    // float anywhere refuses the modulus (float's power is tried even for pow(2, 3, 2.5)).
    int r = num_is_number(a[0]) ? 0 : call_dunder(vm, a[0], "__pow__", a + 1, 2, result);
    if (r == 0 && (IS_FLOAT(a[0]) || IS_FLOAT(a[1]) || IS_FLOAT(a[2])))
        return vm_raise(vm, vm->TypeError,
                        "pow() 3rd argument not allowed unless all arguments are integers");
    if (r == 0)
        return vm_raise(vm, vm->TypeError,
                        "unsupported operand type(s) for ** or pow(): '%s', '%s', '%s'",
                        vm_type_name(vm, a[0]), vm_type_name(vm, a[1]), vm_type_name(vm, a[2]));
    return r > 0;
}

// hex(), oct() and bin(): the sign, the prefix, then the digits of |n| in base 2**bits.
static bool int_to_base(Vm *vm, const char *fname, const char *prefix, int bits, Value *args,
                        int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, fname, nargs, kwnames, 1, 1)) return false;
    Value big;
    if (!num_index_value(vm, args[0], &big)) return false;
    if (IS_BIGINT(big)) {
        StrBuf sb;
        sb_init(&sb);
        if (mpz_sgn(AS_BIGINT(big)->value) < 0) sb_putc(&sb, '-');
        sb_puts(&sb, prefix);
        big_magnitude_digits(vm, big, 1 << bits, &sb); // powers of two have no digit limit
        *result = OBJ_VAL(str_from_buf(vm, &sb));
        return true;
    }
    int64_t n = AS_INTLIKE(big);
    char digits[70];
    size_t len = 0;
    uint64_t m = magnitude(n);
    do {
        digits[len++] = "0123456789abcdef"[m & ((1u << bits) - 1)];
        m >>= bits;
    } while (m);
    StrBuf sb;
    sb_init(&sb);
    if (n < 0) sb_putc(&sb, '-');
    sb_puts(&sb, prefix);
    while (len) sb_putc(&sb, digits[--len]);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool builtin_hex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_to_base(vm, "hex", "0x", 4, args, nargs, kwnames, result);
}

static bool builtin_oct(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_to_base(vm, "oct", "0o", 3, args, nargs, kwnames, result);
}

static bool builtin_bin(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_to_base(vm, "bin", "0b", 1, args, nargs, kwnames, result);
}

void runtime_init_number(Vm *vm) {
    bigint_init(vm);
    int_init_class(vm);
    float_init_class(vm);
    ObjDict *b = vm->builtins;
    define_native(vm, b, "abs", builtin_abs);
    define_native(vm, b, "round", builtin_round);
    define_native(vm, b, "divmod", builtin_divmod);
    define_native(vm, b, "pow", builtin_pow);
    define_native(vm, b, "hex", builtin_hex);
    define_native(vm, b, "oct", builtin_oct);
    define_native(vm, b, "bin", builtin_bin);
}
