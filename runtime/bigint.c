/* Big ints: int arithmetic past int64, on GMP's mpz integers.
 *
 * number.c runs every int operation on int64 first and calls in here only when an operand is a
 * big int or the int64 result would overflow.  Operands are read through big_view (a small int
 * is lent to GMP as a one-limb read-only mpz, so nothing is allocated to read it); results are
 * built in a fresh mpz and handed to int_from_mpz, which stores them as an immediate int again
 * whenever they fit.  Semantics are Python's: floor division and modulo round toward negative
 * infinity, bit operations act on an infinite two's complement (GMP's own convention), and
 * conversions to float round half-even.
 *
 * GMP allocates through the GC, and no GMP call starts without the memory it needs (see "memory"
 * below): when memory runs short a result is refused up front with MemoryError, as CPython fails
 * on `1 << 2**40`, instead of letting GMP abort.
 */
#include "bigint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "literal.h"
#include "number.h"

_Static_assert(sizeof(long) == 8 && sizeof(mp_limb_t) == 8, "big ints assume 64-bit long and limbs");

#define MAX_RESULT_BITS ((uint64_t)1 << 34)

// ---- memory -------------------------------------------------------------------------------------

// GMP's digits go through the GC's funnel: they are counted (big temporaries bring a collection
// nearer), a growing block may collect first, and when the system runs out the GC's reserve is
// spent and a MemoryError owed, as for any allocation whose caller cannot fail.  So every big int
// a GMP call reads must be reachable (rooted) while the call runs.
static Vm *counting_vm;

static void *gmp_alloc(size_t n) { return gc_realloc(counting_vm, NULL, 0, n); }

static void *gmp_realloc(void *p, size_t old_size, size_t new_size) {
    return gc_realloc(counting_vm, p, old_size, new_size);
}

static void gmp_free(void *p, size_t n) { gc_realloc(counting_vm, p, n, 0); }

void bigint_init(Vm *vm) {
    counting_vm = vm;
    mp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
}

// GMP has no way to fail: its allocation function must return memory (GMP aborts on NULL, and
// leaving it by longjmp would leave its numbers half-made).  So a GMP call that could need much
// memory does not start until that memory is known to be there: big_room takes an estimate of the
// most the call holds at once (its result and GMP's scratch space, in limbs, see bigint.h) and
// asks the GC for that much (gc_make_room), which raises MemoryError when it cannot be had.  The
// call is then made whole, or not at all.  The estimates bound what GMP 6 was seen to take for
// results of up to 16 MB: a balanced product about 4.2 times its result, a quotient of 2n limbs
// by n limbs 11 times the quotient, a power 4.1 times, an integer square root 7 times.  Calls
// needing a megabyte or less pass unchecked: the GC's reserve covers them.
bool big_room(Vm *vm, double limbs, double factor) {
    double bytes = (limbs + 2) * sizeof(mp_limb_t) * factor;
    if (bytes < (double)(1u << 20)) return true;
    if (bytes > (double)(SIZE_MAX / 4)) return vm_raise_memory_error(vm);
    return gc_make_room(vm, (size_t)bytes);
}

static double limbs(mpz_srcptr x) { return (double)mpz_size(x); }
static double larger(double a, double b) { return a > b ? a : b; }

// ---- reading ints -------------------------------------------------------------------------------

mpz_srcptr big_view(Value v, BigScratch *scratch) {
    if (IS_BIGINT(v)) return AS_BIGINT(v)->value;
    int64_t i = AS_INTLIKE(v);
    scratch->limb = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    return mpz_roinit_n(scratch->z, &scratch->limb, i < 0 ? -1 : i > 0 ? 1 : 0);
}

bool big_fits_int64(Value v, int64_t *out) {
    if (IS_BIGINT(v)) return false; // by the invariant, never in range
    *out = AS_INTLIKE(v);
    return true;
}

static bool raise_memory(Vm *vm) { return vm_raise_value(vm, OBJ_VAL(vm->MemoryError)); }

// ---- arithmetic ---------------------------------------------------------------------------------

// Correctly rounded x / y as a double, y nonzero (CPython's long_true_divide, by another road):
// an integer quotient with 55 or 56 significant bits plus a sticky bit rounds once, exactly, when
// converted to double; a result in the subnormal range is instead rounded by hand at 2**-1074.
static bool true_divide(Vm *vm, mpz_srcptr x, mpz_srcptr y, double *out) {
    bool negative = (mpz_sgn(x) < 0) != (mpz_sgn(y) < 0);
    if (mpz_sgn(x) == 0) {
        *out = negative ? -0.0 : 0.0;
        return true;
    }
    int64_t nx = (int64_t)mpz_sizeinbase(x, 2), ny = (int64_t)mpz_sizeinbase(y, 2);
    if (nx - ny > 1025)
        return vm_raise(vm, vm->OverflowError, "integer division result too large for a float");
    if (ny - nx > 1080) {
        *out = negative ? -0.0 : 0.0;
        return true;
    }
    int64_t shift = 55 + ny - nx;
    if (!big_room(vm, limbs(x) + limbs(y), 3 * BIG_PEAK_COPY)) return false; // a quotient of ~55 bits
    mpz_t n, d, q, r;
    mpz_inits(n, d, q, r, NULL);
    mpz_abs(n, x);
    mpz_abs(d, y);
    if (shift >= 0) mpz_mul_2exp(n, n, (mp_bitcnt_t)shift);
    else mpz_mul_2exp(d, d, (mp_bitcnt_t)-shift);
    mpz_tdiv_qr(q, r, n, d);
    int64_t exponent = (int64_t)mpz_sizeinbase(q, 2) - shift; // result in [2**(e-1), 2**e)
    double result;
    if (exponent - 53 < -1074) {
        // Subnormal: redo the division in units of 2**-1074 and round half-even here, so the
        // final scaling is exact.
        mpz_abs(n, x);
        mpz_abs(d, y);
        mpz_mul_2exp(n, n, 1074);
        mpz_tdiv_qr(q, r, n, d);
        mpz_mul_2exp(r, r, 1);
        int c = mpz_cmp(r, d);
        if (c > 0 || (c == 0 && mpz_odd_p(q))) mpz_add_ui(q, q, 1);
        result = ldexp((double)mpz_get_ui(q), -1074);
    } else {
        uint64_t bits = mpz_get_ui(q) | (mpz_sgn(r) != 0);
        result = ldexp((double)bits, (int)-shift);
    }
    mpz_clears(n, d, q, r, NULL);
    if (isinf(result))
        return vm_raise(vm, vm->OverflowError, "integer division result too large for a float");
    *out = negative ? -result : result;
    return true;
}

static int big_pow(Vm *vm, mpz_srcptr x, mpz_srcptr y, Value a, Value b, Value *out) {
    if (mpz_sgn(y) < 0) {
        // A negative exponent makes it a float power, as in CPython.
        double fa, fb;
        if (!big_to_double(vm, a, &fa) || !big_to_double(vm, b, &fb)) return -1;
        return num_float_op(vm, BINOP_POW, fa, fb, out);
    }
    // Bases whose powers never grow: answered whatever the exponent.
    if (mpz_cmpabs_ui(x, 1) <= 0) {
        long r = mpz_get_si(x);
        if (r == -1 && mpz_even_p(y)) r = 1;
        if (r == 0 && mpz_sgn(y) == 0) r = 1;
        *out = INT_VAL(r);
        return 1;
    }
    if (!mpz_fits_ulong_p(y) || (uint64_t)mpz_sizeinbase(x, 2) * mpz_get_ui(y) > MAX_RESULT_BITS ||
        mpz_get_ui(y) > MAX_RESULT_BITS)
        return raise_memory(vm), -1;
    if (!big_room(vm, (double)mpz_sizeinbase(x, 2) * (double)mpz_get_ui(y) / 64, BIG_PEAK_POW)) return -1;
    mpz_t r;
    mpz_init(r);
    mpz_pow_ui(r, x, mpz_get_ui(y));
    *out = int_from_mpz(vm, r);
    return 1;
}

// Which huge left shifts CPython calls OverflowError rather than MemoryError: it sizes the
// result in 30-bit digits (those of x, y // 30 more, one more for a partial shift) and refuses
// a count past the most digits an int object could hold, 2**63 - 25 bytes of 4-byte digits.
static bool shift_result_too_long(mpz_srcptr x, mpz_srcptr y) {
    mpz_t digits;
    mpz_init(digits);
    unsigned long partial = mpz_fdiv_q_ui(digits, y, 30);
    mpz_add_ui(digits, digits, (mpz_sizeinbase(x, 2) + 29) / 30 + (partial != 0));
    bool too_long = mpz_cmp_ui(digits, (9223372036854775807UL - 24) / 4) > 0;
    mpz_clear(digits);
    return too_long;
}

static int shift_op(Vm *vm, bool left, mpz_srcptr x, mpz_srcptr y, Value *out) {
    if (mpz_sgn(y) < 0) return vm_raise(vm, vm->ValueError, "negative shift count"), -1;
    if (mpz_sgn(x) == 0) {
        *out = INT_VAL(0);
        return 1;
    }
    mpz_t r;
    if (left) {
        if (shift_result_too_long(x, y))
            return vm_raise(vm, vm->OverflowError, "too many digits in integer"), -1;
        if (!mpz_fits_ulong_p(y) || mpz_get_ui(y) + mpz_sizeinbase(x, 2) > MAX_RESULT_BITS)
            return raise_memory(vm), -1;
        if (!big_room(vm, limbs(x) + (double)mpz_get_ui(y) / 64, BIG_PEAK_COPY)) return -1;
        mpz_init(r);
        mpz_mul_2exp(r, x, mpz_get_ui(y));
    } else {
        if (!mpz_fits_ulong_p(y) || mpz_get_ui(y) >= mpz_sizeinbase(x, 2)) {
            *out = INT_VAL(mpz_sgn(x) < 0 ? -1 : 0); // every bit shifted out: floor gives 0 or -1
            return 1;
        }
        if (!big_room(vm, limbs(x), BIG_PEAK_COPY)) return -1;
        mpz_init(r);
        mpz_fdiv_q_2exp(r, x, mpz_get_ui(y));
    }
    *out = int_from_mpz(vm, r);
    return 1;
}

int big_binary_op(Vm *vm, int op, Value a, Value b, Value *out) {
    BigScratch sa, sb;
    mpz_srcptr x = big_view(a, &sa), y = big_view(b, &sb);
    mpz_t r;
    switch (op) {
    case BINOP_DIV: {
        if (mpz_sgn(y) == 0) return vm_raise(vm, vm->ZeroDivisionError, "division by zero"), -1;
        double d = 0.0;
        if (!true_divide(vm, x, y, &d)) return -1;
        *out = FLOAT_VAL(d);
        return 1;
    }
    case BINOP_FLOORDIV:
    case BINOP_MOD:
        if (mpz_sgn(y) == 0)
            return vm_raise(vm, vm->ZeroDivisionError, op == BINOP_MOD ? "integer modulo by zero"
                                                                        : "integer division or modulo by zero"),
                   -1;
        break;
    case BINOP_POW: return big_pow(vm, x, y, a, b, out);
    case BINOP_LSHIFT: return shift_op(vm, true, x, y, out);
    case BINOP_RSHIFT: return shift_op(vm, false, x, y, out);
    case BINOP_ADD: case BINOP_SUB: case BINOP_MUL:
    case BINOP_BITAND: case BINOP_BITOR: case BINOP_BITXOR:
        break;
    default: return 0; // @ is not defined on ints
    }
    double nx = limbs(x), ny = limbs(y);
    bool room = op == BINOP_ADD || op == BINOP_SUB ? big_room(vm, larger(nx, ny), BIG_PEAK_COPY)
                : op == BINOP_MUL                  ? big_room(vm, big_peak_mul(nx, ny), 1)
                : op == BINOP_FLOORDIV || op == BINOP_MOD ? big_room(vm, big_peak_div(nx, ny), 1)
                                                          : big_room(vm, larger(nx, ny), BIG_PEAK_BITS);
    if (!room) return -1;
    mpz_init(r);
    switch (op) {
    case BINOP_ADD: mpz_add(r, x, y); break;
    case BINOP_SUB: mpz_sub(r, x, y); break;
    case BINOP_MUL: mpz_mul(r, x, y); break;
    case BINOP_FLOORDIV: mpz_fdiv_q(r, x, y); break;
    case BINOP_MOD: mpz_fdiv_r(r, x, y); break;
    case BINOP_BITAND: mpz_and(r, x, y); break;
    case BINOP_BITOR: mpz_ior(r, x, y); break;
    default: mpz_xor(r, x, y); break;
    }
    *out = int_from_mpz(vm, r);
    return 1;
}

int big_unary_op(Vm *vm, int op, Value a, Value *out) {
    BigScratch sa;
    mpz_srcptr x = big_view(a, &sa);
    mpz_t r;
    if ((op == UNARY_NEG || op == UNARY_POS || op == UNARY_INVERT) && !big_room(vm, limbs(x), BIG_PEAK_COPY))
        return -1;
    switch (op) {
    case UNARY_NEG: mpz_init(r); mpz_neg(r, x); break;
    case UNARY_POS: mpz_init_set(r, x); break;
    case UNARY_INVERT: mpz_init(r); mpz_com(r, x); break;
    default: return 0;
    }
    *out = int_from_mpz(vm, r);
    return 1;
}

bool big_abs(Vm *vm, Value a, Value *out) {
    BigScratch sa;
    mpz_srcptr x = big_view(a, &sa);
    if (!big_room(vm, limbs(x), BIG_PEAK_COPY)) return false;
    mpz_t r;
    mpz_init(r);
    mpz_abs(r, x);
    *out = int_from_mpz(vm, r);
    return true;
}

bool big_divmod(Vm *vm, Value a, Value b, Value *q, Value *r) {
    BigScratch sa, sb;
    mpz_srcptr x = big_view(a, &sa), y = big_view(b, &sb);
    if (mpz_sgn(y) == 0) return vm_raise(vm, vm->ZeroDivisionError, "integer division or modulo by zero");
    if (!big_room(vm, big_peak_div(limbs(x), limbs(y)), 1)) return false;
    mpz_t mq, mr;
    mpz_inits(mq, mr, NULL);
    mpz_fdiv_qr(mq, mr, x, y);
    *r = int_from_mpz(vm, mr);
    vm_push_root(vm, *r);
    *q = int_from_mpz(vm, mq);
    vm_pop_root(vm);
    return true;
}

bool big_powmod(Vm *vm, Value base, Value exp, Value mod, Value *out) {
    BigScratch sb, se, sm;
    mpz_srcptr b = big_view(base, &sb), e = big_view(exp, &se), m = big_view(mod, &sm);
    if (mpz_sgn(m) == 0) return vm_raise(vm, vm->ValueError, "pow() 3rd argument cannot be 0");
    // Modular powers keep a table of 2**(k-1) powers of the base, each as wide as the modulus, k
    // growing with the exponent's bits (GMP's window size, at most 10).
    size_t exponent_bits = mpz_sizeinbase(e, 2);
    double table = 1;
    for (size_t from = 7; from <= exponent_bits && table < 512; from = from * 5 / 2) table *= 2;
    if (!big_room(vm, big_peak_div(limbs(b), limbs(m)) + limbs(m) * (table + 4), 1)) return false;
    mpz_t am, r;
    mpz_init(am);
    mpz_abs(am, m);
    mpz_init(r);
    if (mpz_cmp_ui(am, 1) == 0) {
        mpz_clear(am);
        *out = int_from_mpz(vm, r); // everything is 0 modulo 1
        return true;
    }
    if (mpz_sgn(e) < 0) {
        // b**-e is (b**-1)**e: the modular inverse first (Python 3.8+).
        if (!mpz_invert(r, b, am)) {
            mpz_clears(am, r, NULL);
            return vm_raise(vm, vm->ValueError, "base is not invertible for the given modulus");
        }
        mpz_t pe;
        mpz_init(pe);
        mpz_neg(pe, e);
        mpz_powm(r, r, pe, am);
        mpz_clear(pe);
    } else {
        mpz_powm(r, b, e, am);
    }
    // Python's result takes the modulus's sign: it lies between 0 and mod.
    if (mpz_sgn(m) < 0 && mpz_sgn(r) != 0) mpz_sub(r, r, am);
    mpz_clear(am);
    *out = int_from_mpz(vm, r);
    return true;
}

bool big_round(Vm *vm, Value n, Value ndigits, Value *out) {
    BigScratch sn, sd;
    mpz_srcptr x = big_view(n, &sn), k = big_view(ndigits, &sd);
    if (mpz_sgn(k) >= 0) {
        if (!big_room(vm, limbs(x), BIG_PEAK_COPY)) return false;
        mpz_t r;
        mpz_init_set(r, x);
        *out = int_from_mpz(vm, r);
        return true;
    }
    // 10**-ndigits beyond twice |n|'s size: |n| is below half a unit, so the answer is 0.
    if (!mpz_fits_slong_p(k) || -mpz_get_si(k) > (long)mpz_sizeinbase(x, 10) + 1) {
        *out = INT_VAL(0);
        return true;
    }
    if (!big_room(vm, big_peak_div(2 * limbs(x), limbs(x)) + big_peak_mul(limbs(x), limbs(x)), 1)) return false;
    mpz_t unit, q, r;
    mpz_inits(unit, q, r, NULL);
    mpz_ui_pow_ui(unit, 10, (unsigned long)-mpz_get_si(k));
    mpz_fdiv_qr(q, r, x, unit); // x = q*unit + r with 0 <= r < unit
    mpz_mul_2exp(r, r, 1);
    int c = mpz_cmp(r, unit);
    if (c > 0 || (c == 0 && mpz_odd_p(q))) mpz_add_ui(q, q, 1);
    mpz_mul(q, q, unit);
    mpz_clears(unit, r, NULL);
    *out = int_from_mpz(vm, q);
    return true;
}

// ---- comparison and hashing ---------------------------------------------------------------------

int big_compare(Value a, Value b) {
    BigScratch sa, sb;
    int c = mpz_cmp(big_view(a, &sa), big_view(b, &sb));
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int big_compare_float(Value a, double d) {
    if (isnan(d)) return 2;
    if (isinf(d)) return d > 0 ? -1 : 1;
    BigScratch sa;
    int c = mpz_cmp_d(big_view(a, &sa), d); // exact: GMP compares against the double's value
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

uint64_t big_hash(Value v) {
    BigScratch sv;
    return hash_mpz(big_view(v, &sv));
}

// ---- conversions --------------------------------------------------------------------------------

bool big_to_double(Vm *vm, Value v, double *out) {
    if (!IS_BIGINT(v)) {
        *out = (double)AS_INTLIKE(v);
        return true;
    }
    mpz_srcptr x = AS_BIGINT(v)->value;
    size_t nbits = mpz_sizeinbase(x, 2);
    if (nbits > 1024) return vm_raise(vm, vm->OverflowError, "int too large to convert to float");
    // Keep the top 55 bits and a sticky bit for the rest: converting that to double rounds once,
    // half-even, exactly as rounding the whole value would.
    size_t shift = nbits - 55;
    mpz_t top;
    mpz_init(top);
    mpz_tdiv_q_2exp(top, x, shift);
    mpz_abs(top, top);
    uint64_t bits = mpz_get_ui(top) | (mpz_scan1(x, 0) < shift);
    mpz_clear(top);
    double d = ldexp((double)bits, (int)shift);
    if (isinf(d)) return vm_raise(vm, vm->OverflowError, "int too large to convert to float");
    *out = mpz_sgn(x) < 0 ? -d : d;
    return true;
}

double big_frexp(Value v, int64_t *e) {
    BigScratch s;
    mpz_srcptr x = big_view(v, &s);
    size_t nbits = mpz_sizeinbase(x, 2);
    uint64_t bits;
    if (nbits <= 55) {
        mpz_t a;
        mpz_init(a);
        mpz_abs(a, x);
        bits = mpz_get_ui(a) << (55 - nbits);
        mpz_clear(a);
    } else {
        mpz_t top;
        mpz_init(top);
        mpz_tdiv_q_2exp(top, x, nbits - 55);
        mpz_abs(top, top);
        bits = mpz_get_ui(top) | (mpz_scan1(x, 0) < nbits - 55); // sticky bit for the rest
        mpz_clear(top);
    }
    // bits has exactly 55 significant bits: the conversion rounds to 53, maybe up to 2**55.
    double m = ldexp((double)bits, -55);
    *e = (int64_t)nbits;
    if (m == 1.0) {
        m = 0.5;
        (*e)++;
    }
    return m;
}

Value big_from_double(Vm *vm, double d) {
    if (d > -9223372036854775808.0 && d < 9223372036854775808.0) return INT_VAL((int64_t)d);
    mpz_t r;
    mpz_init_set_d(r, d);
    return int_from_mpz(vm, r);
}

uint64_t big_bit_length(Value v) {
    BigScratch s;
    mpz_srcptr x = big_view(v, &s);
    return mpz_sgn(x) == 0 ? 0 : (uint64_t)mpz_sizeinbase(x, 2);
}

uint64_t big_bit_count(Value v) {
    BigScratch s;
    mpz_srcptr x = big_view(v, &s);
    return mpz_size(x) ? (uint64_t)mpn_popcount(mpz_limbs_read(x), (mp_size_t)mpz_size(x)) : 0; // of |v|
}

// ---- text ---------------------------------------------------------------------------------------

// The limit is the parser's variable (literals obey it too); its default is CPython's 4300.
#define max_str_digits literal_max_str_digits
_Static_assert(BIG_MAX_STR_DIGITS_DEFAULT == 4300, "literal.c starts from the same default");

int64_t big_max_str_digits(void) { return max_str_digits; }
void big_set_max_str_digits(int64_t n) { max_str_digits = n; }

static bool too_many_digits_to_print(Vm *vm) {
    return vm_raise(vm, vm->ValueError,
                    "Exceeds the limit (%lld digits) for integer string conversion; use "
                    "sys.set_int_max_str_digits() to increase the limit",
                    (long long)max_str_digits);
}

bool big_magnitude_digits(Vm *vm, Value v, int base, StrBuf *out) {
    BigScratch s;
    mpz_srcptr x = big_view(v, &s);
    // sizeinbase is exact or one too many: a quick refusal before the real conversion.
    size_t estimate = mpz_sizeinbase(x, base);
    if (base == 10 && max_str_digits > 0 && estimate > (size_t)max_str_digits + 1)
        return too_many_digits_to_print(vm);
    if (!big_room(vm, limbs(x), BIG_PEAK_TEXT)) return false;
    char *digits = malloc(estimate + 2);
    if (!digits) return raise_memory(vm);
    mpz_t magnitude; // |x|, read-only, sharing x's limbs
    mpz_roinit_n(magnitude, mpz_limbs_read(x), (mp_size_t)mpz_size(x));
    mpz_get_str(digits, base, magnitude);
    size_t n = strlen(digits);
    if (base == 10 && max_str_digits > 0 && n > (size_t)max_str_digits) {
        free(digits);
        return too_many_digits_to_print(vm);
    }
    sb_append(out, digits, n);
    free(digits);
    return true;
}

ObjStr *big_repr(Vm *vm, Value v) {
    StrBuf sb;
    sb_init(&sb);
    BigScratch s;
    if (mpz_sgn(big_view(v, &s)) < 0) sb_putc(&sb, '-');
    if (!big_magnitude_digits(vm, v, 10, &sb)) {
        sb_free(&sb);
        return NULL;
    }
    return str_from_buf(vm, &sb);
}

bool big_from_digits(Vm *vm, const char *text, int base, Value *out) {
    size_t ndigits = strlen(text) - (text[0] == '-' || text[0] == '+');
    bool power_of_two = (base & (base - 1)) == 0;
    if (!power_of_two && max_str_digits > 0 && ndigits > (size_t)max_str_digits)
        return vm_raise(vm, vm->ValueError,
                        "Exceeds the limit (%lld digits) for integer string conversion: value has "
                        "%zu digits; use sys.set_int_max_str_digits() to increase the limit",
                        (long long)max_str_digits, ndigits);
    if (!big_room(vm, (double)ndigits * log2(base) / 64, BIG_PEAK_TEXT)) return false;
    mpz_t r;
    if (mpz_init_set_str(r, text[0] == '+' ? text + 1 : text, base) != 0) {
        mpz_clear(r);
        return vm_raise(vm, vm->ValueError, "invalid literal for int() with base %d", base);
    }
    *out = int_from_mpz(vm, r);
    return true;
}

bool big_format(Vm *vm, Value self, const FormatSpec *fs, Value *result) {
    char err[256];
    int kind = numfmt_check_wide_int(fs, err, sizeof err);
    StrBuf sb;
    sb_init(&sb);
    if (kind == 2) {
        double d;
        if (!big_to_double(vm, self, &d)) return false;
        if (!numfmt_format_float_as_int(d, fs, &sb, err, sizeof err)) kind = -1;
    } else if (kind == 1) {
        StrBuf digits;
        sb_init(&digits);
        if (!big_magnitude_digits(vm, self, numfmt_int_base(fs->type ? fs->type : 'd'), &digits)) {
            sb_free(&digits);
            sb_free(&sb);
            return false;
        }
        BigScratch s;
        numfmt_format_wide_int(mpz_sgn(big_view(self, &s)) < 0, &digits, fs, &sb);
        sb_free(&digits);
    }
    if (kind < 0) {
        sb_free(&sb);
        return vm_raise(vm, numfmt_error_is_overflow(err) ? vm->OverflowError : vm->ValueError,
                        "%s", err);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}
