/* math: the C library's floating-point functions with CPython's error rules, plus the exact
 * integer functions (gcd, factorial, comb, ...) and the accurate sums (fsum, hypot).
 *
 * The error rules are CPython's "spirit of 754" (Modules/mathmodule.c): a NaN produced from a
 * non-NaN argument is a ValueError ("math domain error"); an infinity produced from a finite
 * argument is an OverflowError ("math range error") for functions that can overflow and a
 * ValueError for the others (a pole, like log(0)).  Integer results have no size limit (GMP).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "bigint.h"
#include "modinit.h"

// ---- argument checks with CPython's wording -----------------------------------------------------

// The checks of runtime/args.c, for `name` of module math (named "math.name" in errors): one
// positional argument ("math.sqrt() takes exactly one argument (2 given)") or two, in Argument
// Clinic's wording ("pow expected 2 arguments, got 1").
static bool math_args(Vm *vm, const char *name, int nargs, ObjTuple *kwnames, int n) {
    if (nargs == n && !kwnames) return true;
    char qualified[64];
    snprintf(qualified, sizeof qualified, "math.%s", name);
    return n == 1 ? check_args(vm, qualified, nargs, kwnames, 1, 1)
                  : check_args_clinic(vm, qualified, nargs, kwnames, n, n);
}
static bool one_arg(Vm *vm, const char *name, int nargs, ObjTuple *kwnames) { return math_args(vm, name, nargs, kwnames, 1); }
static bool two_args(Vm *vm, const char *name, int nargs, ObjTuple *kwnames) { return math_args(vm, name, nargs, kwnames, 2); }

static bool domain_error(Vm *vm) { return vm_raise(vm, vm->ValueError, "math domain error"); }
static bool range_error(Vm *vm) { return vm_raise(vm, vm->OverflowError, "math range error"); }

// Returns a float result after CPython's math_1 checks.
static bool float_result(Vm *vm, double x, double r, bool can_overflow, Value *result) {
    if (isnan(r) && !isnan(x)) return domain_error(vm);
    if (isinf(r) && isfinite(x)) return can_overflow ? range_error(vm) : domain_error(vm);
    *result = FLOAT_VAL(r);
    return true;
}

// The checks of CPython's math_2 (atan2, fmod, copysign, remainder, nextafter).
static bool float_result2(Vm *vm, double x, double y, double r, Value *result) {
    if (isnan(r) && !isnan(x) && !isnan(y)) return domain_error(vm);
    if (isinf(r) && isfinite(x) && isfinite(y)) return range_error(vm);
    *result = FLOAT_VAL(r);
    return true;
}

// A float that must become an int (floor, ceil, trunc): CPython's PyLong_FromDouble messages.
static bool int_from_double(Vm *vm, double d, Value *result) {
    if (isinf(d))
        return vm_raise(vm, vm->OverflowError, "cannot convert float infinity to integer");
    if (isnan(d)) return vm_raise(vm, vm->ValueError, "cannot convert float NaN to integer");
    *result = big_from_double(vm, d);
    return true;
}

// ---- one-argument float functions ---------------------------------------------------------------

// Each wraps a C function: MATH1(name, cfunc, can_overflow).
#define MATH1(name, cfunc, can_overflow)                                                           \
    static bool math_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {    \
        double x;                                                                                  \
        if (!one_arg(vm, #name, nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false; \
        return float_result(vm, x, cfunc(x), can_overflow, result);                                \
    }

MATH1(sqrt, sqrt, false)
MATH1(exp, exp, true)
MATH1(exp2, exp2, true)
MATH1(expm1, expm1, true)
MATH1(log1p, log1p, false)
MATH1(sin, sin, false)
MATH1(cos, cos, false)
MATH1(tan, tan, false)
MATH1(asin, asin, false)
MATH1(acos, acos, false)
MATH1(atan, atan, false)
MATH1(sinh, sinh, true)
MATH1(cosh, cosh, true)
MATH1(tanh, tanh, false)
MATH1(asinh, asinh, false)
MATH1(acosh, acosh, false)
MATH1(atanh, atanh, false)
MATH1(erf, erf, false)
MATH1(erfc, erfc, false)
MATH1(fabs, fabs, false)
MATH1(cbrt, cbrt, false)

static double to_degrees(double x) { return x * (180.0 / 3.141592653589793238462643383279502884); }
static double to_radians(double x) { return x * (3.141592653589793238462643383279502884 / 180.0); }
MATH1(degrees, to_degrees, false)
MATH1(radians, to_radians, false)

// gamma and lgamma report their own errors (CPython's math_1a): a pole or a negative integer is
// a domain error, a result too big is a range error.
static const double LANCZOS_G = 6.024680040776729583740234375;
static const double LANCZOS_G_MINUS_HALF = 5.524680040776729583740234375;
static const double LANCZOS_NUM[13] = {
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408,
};
// The denominator x(x+1)...(x+11), as polynomial coefficients.
static const double LANCZOS_DEN[13] = {0.0,       39916800.0, 120543840.0, 150917976.0, 105258076.0,
                                       45995730.0, 13339535.0, 2637558.0,   357423.0,    32670.0,
                                       1925.0,     66.0,       1.0};
static const double PI = 3.141592653589793238462643383279502884197;

// The Lanczos sum for x > 0 as a rational function; for large x it is evaluated in 1/x so
// neither polynomial overflows.
static double lanczos_sum(double x) {
    double num = 0.0, den = 0.0;
    if (x < 5.0) {
        for (int i = 12; i >= 0; i--) {
            num = num * x + LANCZOS_NUM[i];
            den = den * x + LANCZOS_DEN[i];
        }
    } else {
        for (int i = 0; i < 13; i++) {
            num = num / x + LANCZOS_NUM[i];
            den = den / x + LANCZOS_DEN[i];
        }
    }
    return num / den;
}

// sin(pi * x), exact at integers and half-integers (for the reflection formula).
static double sinpi(double x) {
    double y = fmod(fabs(x), 2.0), r;
    switch ((int)round(2.0 * y)) {
    case 0: r = sin(PI * y); break;
    case 1: r = cos(PI * (y - 0.5)); break;
    case 2: r = sin(PI * (1.0 - y)); break;  // not -sin(pi*(y-1)), which gives -0.0 at y == 1
    case 3: r = -cos(PI * (y - 1.5)); break;
    default: r = sin(PI * (y - 2.0)); break;
    }
    return copysign(1.0, x) * r;
}

// Gamma(x); sets errno to EDOM (pole / invalid) or ERANGE (overflow).
static double gamma_fn(double x) {
    static const double exact[23] = {
        1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0, 3628800.0,
        39916800.0, 479001600.0, 6227020800.0, 87178291200.0, 1307674368000.0,
        20922789888000.0, 355687428096000.0, 6402373705728000.0, 121645100408832000.0,
        2432902008176640000.0, 51090942171709440000.0, 1124000727777607680000.0};
    if (!isfinite(x)) {
        if (isnan(x) || x > 0.0) return x;
        errno = EDOM;
        return NAN;
    }
    if (x == 0.0) {
        errno = EDOM;
        return copysign(HUGE_VAL, x);
    }
    if (x == floor(x)) {
        if (x < 0.0) {
            errno = EDOM;
            return NAN;
        }
        if (x <= 23) return exact[(int)x - 1];
    }
    double absx = fabs(x);
    if (absx < 1e-20) {
        double r = 1.0 / x;
        if (isinf(r)) errno = ERANGE;
        return r;
    }
    if (absx > 200.0) {
        if (x < 0.0) return 0.0 / sinpi(x);
        errno = ERANGE;
        return HUGE_VAL;
    }
    // y = absx + g - 0.5 is rounded; z corrects for that rounding error (see CPython's notes).
    double y = absx + LANCZOS_G_MINUS_HALF, z, r;
    if (absx > LANCZOS_G_MINUS_HALF) {
        double q = y - absx;
        z = q - LANCZOS_G_MINUS_HALF;
    } else {
        double q = y - LANCZOS_G_MINUS_HALF;
        z = q - absx;
    }
    z = z * LANCZOS_G / y;
    if (x < 0.0) {
        r = -PI / sinpi(absx) / absx * exp(y) / lanczos_sum(absx);
        r -= z * r;
        if (absx < 140.0) {
            r /= pow(y, absx - 0.5);
        } else {
            double sqrtpow = pow(y, absx / 2.0 - 0.25);
            r /= sqrtpow;
            r /= sqrtpow;
        }
    } else {
        r = lanczos_sum(absx) / exp(y);
        r += z * r;
        if (absx < 140.0) {
            r *= pow(y, absx - 0.5);
        } else {
            double sqrtpow = pow(y, absx / 2.0 - 0.25);
            r *= sqrtpow;
            r *= sqrtpow;
        }
    }
    if (isinf(r)) errno = ERANGE;
    return r;
}

// log|Gamma(x)|; errno as gamma_fn.
static double lgamma_fn(double x) {
    if (!isfinite(x)) return isnan(x) ? x : HUGE_VAL;
    if (x == floor(x) && x <= 2.0) {
        if (x <= 0.0) {
            errno = EDOM;
            return HUGE_VAL;
        }
        return 0.0;
    }
    double absx = fabs(x);
    if (absx < 1e-20) return -log(absx);
    double r = log(lanczos_sum(absx)) - LANCZOS_G;
    r += (absx - 0.5) * (log(absx + LANCZOS_G - 0.5) - 1);
    if (x < 0.0)
        r = 1.144729885849400174143427351353058711647 - log(fabs(sinpi(absx))) - log(absx) - r;
    if (isinf(r)) errno = ERANGE;
    return r;
}

// Raises for errno after a function that sets it (CPython's is_error).
static bool errno_result(Vm *vm, double r, Value *result) {
    if (errno == EDOM) return domain_error(vm);
    if (errno == ERANGE && fabs(r) >= 1.5) return range_error(vm);
    *result = FLOAT_VAL(r);
    return true;
}

static bool math_gamma(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x;
    if (!one_arg(vm, "gamma", nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false;
    errno = 0;
    double r = gamma_fn(x);
    return errno_result(vm, r, result);
}

static bool math_lgamma(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x;
    if (!one_arg(vm, "lgamma", nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false;
    errno = 0;
    double r = lgamma_fn(x);
    return errno_result(vm, r, result);
}

// ---- logarithms ---------------------------------------------------------------------------------

// fn(x) for log, log2 or log10 with the domain rule (log of 0 or a negative number is a
// ValueError).  An int too large for a double is taken as m * 2**e: fn(m) + fn(2) * e, as
// CPython's loghelper does.
static bool log_with(Vm *vm, Value v, double (*fn)(double), double *out) {
    if (IS_BIGINT(v)) {
        mpz_srcptr z = AS_BIGINT(v)->value;
        if (mpz_sgn(z) <= 0) return domain_error(vm);
        double x;
        if (mpz_sizeinbase(z, 2) <= 1024 && big_to_double(vm, v, &x) && !isinf(x)) {
            *out = fn(x);
            return true;
        }
        vm_clear_exception(vm);
        int64_t e;
        double m = big_frexp(v, &e);
        *out = fn(m) + fn(2.0) * (double)e;
        return true;
    }
    double x;
    if (!mod_arg_double(vm, v, &x)) return false;
    if (IS_INTLIKE(v) && AS_INTLIKE(v) <= 0) return domain_error(vm);
    double r = fn(x);
    if ((isnan(r) && !isnan(x)) || (isinf(r) && isfinite(x))) return domain_error(vm);
    *out = r;
    return true;
}

static bool log_of(Vm *vm, Value v, double *out) { return log_with(vm, v, log, out); }

static bool math_log2(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double r;
    if (!one_arg(vm, "log2", nargs, kwnames) || !log_with(vm, args[0], log2, &r)) return false;
    *result = FLOAT_VAL(r);
    return true;
}

static bool math_log10(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double r;
    if (!one_arg(vm, "log10", nargs, kwnames) || !log_with(vm, args[0], log10, &r)) return false;
    *result = FLOAT_VAL(r);
    return true;
}

static bool math_log(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "log() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return vm_raise(vm, vm->TypeError, "math.log requires 1 to 2 arguments");
    double num, den;
    if (!log_of(vm, args[0], &num)) return false;
    if (nargs == 1) {
        *result = FLOAT_VAL(num);
        return true;
    }
    if (!log_of(vm, args[1], &den)) return false;
    if (den == 0.0) return vm_raise(vm, vm->ZeroDivisionError, "float division by zero");
    *result = FLOAT_VAL(num / den);
    return true;
}

// ---- rounding to integers -----------------------------------------------------------------------

// floor and ceil: ints pass through; floats round; other objects use __floor__ / __ceil__ or
// their float value.
static bool round_to_int(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames,
                         double (*fn)(double), Value *result) {
    if (!one_arg(vm, name, nargs, kwnames)) return false;
    Value x = args[0];
    if (IS_INTEGER(x)) {
        *result = IS_BOOL(x) ? INT_VAL(AS_INTLIKE(x)) : x;
        return true;
    }
    if (IS_FLOAT(x)) return int_from_double(vm, fn(AS_FLOAT(x)), result);
    char dunder[16];
    snprintf(dunder, sizeof dunder, "__%s__", name);
    int found = vm_call_method(vm, x, str_from_c(vm, dunder), NULL, 0, result);
    if (found != 0) return found > 0;
    double d;
    if (!mod_arg_double(vm, x, &d)) return false;
    return int_from_double(vm, fn(d), result);
}

static bool math_floor(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return round_to_int(vm, "floor", args, nargs, kwnames, floor, result);
}

static bool math_ceil(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return round_to_int(vm, "ceil", args, nargs, kwnames, ceil, result);
}

static bool math_trunc(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!one_arg(vm, "trunc", nargs, kwnames)) return false;
    Value x = args[0];
    if (IS_INTEGER(x)) {
        *result = IS_BOOL(x) ? INT_VAL(AS_INTLIKE(x)) : x;
        return true;
    }
    if (IS_FLOAT(x)) return int_from_double(vm, trunc(AS_FLOAT(x)), result);
    int found = vm_call_method(vm, x, str_from_c(vm, "__trunc__"), NULL, 0, result);
    if (found != 0) return found > 0;
    return vm_raise(vm, vm->TypeError, "type %s doesn't define __trunc__ method",
                    vm_type_name(vm, x));
}

// ---- two-argument float functions ---------------------------------------------------------------

static bool two_doubles(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames,
                        double *x, double *y) {
    return two_args(vm, name, nargs, kwnames) && mod_arg_double(vm, args[0], x) &&
           mod_arg_double(vm, args[1], y);
}

static bool math_atan2(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double y, x;
    if (!two_doubles(vm, "atan2", args, nargs, kwnames, &y, &x)) return false;
    return float_result2(vm, y, x, atan2(y, x), result);
}

static bool math_copysign(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x, y;
    if (!two_doubles(vm, "copysign", args, nargs, kwnames, &x, &y)) return false;
    return float_result2(vm, x, y, copysign(x, y), result);
}

static bool math_remainder(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x, y;
    if (!two_doubles(vm, "remainder", args, nargs, kwnames, &x, &y)) return false;
    return float_result2(vm, x, y, remainder(x, y), result);
}

static bool math_nextafter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x, y;
    if (!two_doubles(vm, "nextafter", args, nargs, kwnames, &x, &y)) return false;
    *result = FLOAT_VAL(nextafter(x, y));
    return true;
}

static bool math_fmod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x, y;
    if (!two_doubles(vm, "fmod", args, nargs, kwnames, &x, &y)) return false;
    if (isinf(y) && isfinite(x)) {  // fmod(x, +-inf) is x for finite x
        *result = FLOAT_VAL(x);
        return true;
    }
    return float_result2(vm, x, y, fmod(x, y), result);
}

// pow: CPython's special cases for infinities and NaNs, then the C library's pow.
static bool math_pow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x, y, r;
    if (!two_doubles(vm, "pow", args, nargs, kwnames, &x, &y)) return false;
    if (!isfinite(x) || !isfinite(y)) {
        if (isnan(x)) {
            r = y == 0.0 ? 1.0 : x;  // nan**0 == 1
        } else if (isnan(y)) {
            r = x == 1.0 ? 1.0 : y;  // 1**nan == 1
        } else if (isinf(x)) {
            bool odd_y = isfinite(y) && fmod(fabs(y), 2.0) == 1.0;
            if (y > 0.0) r = odd_y ? x : fabs(x);
            else if (y == 0.0) r = 1.0;
            else r = odd_y ? copysign(0.0, x) : 0.0;
        } else {  // y is infinite
            if (fabs(x) == 1.0) r = 1.0;
            else if (y > 0.0 && fabs(x) > 1.0) r = y;
            else if (y < 0.0 && fabs(x) < 1.0) r = -y;
            else r = 0.0;
        }
        *result = FLOAT_VAL(r);
        return true;
    }
    r = pow(x, y);
    if (isnan(r)) return domain_error(vm);         // a negative number to a fractional power
    if (isinf(r)) return x == 0.0 ? domain_error(vm) : range_error(vm);  // 0**negative or overflow
    *result = FLOAT_VAL(r);
    return true;
}

// ---- float decomposition ------------------------------------------------------------------------

static bool math_modf(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x, ipart, frac;
    if (!one_arg(vm, "modf", nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false;
    if (isinf(x)) {
        ipart = x;
        frac = copysign(0.0, x);
    } else {
        frac = modf(x, &ipart);
    }
    *result = OBJ_VAL(tuple_pair(vm, FLOAT_VAL(frac), FLOAT_VAL(ipart)));
    return true;
}

static bool math_frexp(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x;
    int e = 0;
    if (!one_arg(vm, "frexp", nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false;
    double m = (isnan(x) || isinf(x) || x == 0.0) ? x : frexp(x, &e);
    *result = OBJ_VAL(tuple_pair(vm, FLOAT_VAL(m), INT_VAL(e)));
    return true;
}

static bool math_ldexp(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x;
    if (!two_args(vm, "ldexp", nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false;
    if (!IS_INTEGER(args[1]))
        return vm_raise(vm, vm->TypeError, "Expected an int as second argument to ldexp.");
    int64_t e;
    if (!big_fits_int64(args[1], &e)) e = mpz_sgn(AS_BIGINT(args[1])->value) < 0 ? INT64_MIN : INT64_MAX;
    double r;
    if (x == 0.0 || !isfinite(x)) r = x;
    else if (e > 100000) return range_error(vm);
    else if (e < -100000) r = copysign(0.0, x);
    else r = ldexp(x, (int)e);
    if (isinf(r)) return range_error(vm);
    *result = FLOAT_VAL(r);
    return true;
}

static bool math_ulp(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double x;
    if (!one_arg(vm, "ulp", nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false;
    if (isnan(x)) {
        *result = FLOAT_VAL(x);
        return true;
    }
    x = fabs(x);
    if (isinf(x)) {
        *result = FLOAT_VAL(x);
        return true;
    }
    double next = nextafter(x, INFINITY);
    if (isinf(next)) {  // x is the largest finite float: use the gap below it
        double prev = nextafter(x, -INFINITY);
        *result = FLOAT_VAL(x - prev);
        return true;
    }
    *result = FLOAT_VAL(next - x);
    return true;
}

// ---- classification and comparison --------------------------------------------------------------

#define MATH_PRED(name, test)                                                                      \
    static bool math_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {    \
        double x;                                                                                  \
        if (!one_arg(vm, #name, nargs, kwnames) || !mod_arg_double(vm, args[0], &x)) return false; \
        *result = BOOL_VAL(test(x));                                                               \
        return true;                                                                               \
    }
static bool is_nan(double x) { return isnan(x); }
static bool is_inf(double x) { return isinf(x); }
static bool is_finite(double x) { return isfinite(x); }
MATH_PRED(isnan, is_nan)
MATH_PRED(isinf, is_inf)
MATH_PRED(isfinite, is_finite)

// isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0)
static bool math_isclose(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs > 2)
        return vm_raise(vm, vm->TypeError,
                        "isclose() takes exactly 2 positional arguments (%d given)", nargs);
    static const char *const names[] = {"a", "b", "rel_tol", "abs_tol", NULL};
    Value a[4];
    if (!parse_args(vm, "isclose", args, nargs, kwnames, names, 2, a)) return false;
    double x, y, rel_tol = 1e-09, abs_tol = 0.0;
    if (!mod_arg_double(vm, a[0], &x) || !mod_arg_double(vm, a[1], &y)) return false;
    if (!IS_EMPTY(a[2]) && !mod_arg_double(vm, a[2], &rel_tol)) return false;
    if (!IS_EMPTY(a[3]) && !mod_arg_double(vm, a[3], &abs_tol)) return false;
    if (rel_tol < 0.0 || abs_tol < 0.0)
        return vm_raise(vm, vm->ValueError, "tolerances must be non-negative");
    if (x == y) {
        *result = BOOL_VAL(true);
        return true;
    }
    if (isinf(x) || isinf(y)) {
        *result = BOOL_VAL(false);
        return true;
    }
    double diff = fabs(y - x);
    *result = BOOL_VAL(diff <= fabs(rel_tol * y) || diff <= fabs(rel_tol * x) || diff <= abs_tol);
    return true;
}

// ---- accurate sums ------------------------------------------------------------------------------

// The Euclidean norm of vec[0..n), each finite with |vec[i]| <= max, correctly rounded: the
// squares are summed as double-doubles after scaling by a power of two (so nothing overflows),
// then one Newton step corrects the square root (the method of CPython's vector_norm).
static double vector_norm(size_t n, double *vec, double max, bool found_nan) {
    if (isinf(max)) return max;
    if (found_nan) return NAN;
    if (max == 0.0 || n <= 1) return max;
    int max_e;
    frexp(max, &max_e);
    if (max_e < -1023) {  // subnormals: scale up first, since 2**-max_e would overflow
        for (size_t i = 0; i < n; i++) vec[i] /= DBL_MIN;
        return DBL_MIN * vector_norm(n, vec, max / DBL_MIN, found_nan);
    }
    double scale = ldexp(1.0, -max_e);
    // csum starts at 1.0 so every addend is smaller than it; the 1.0 is taken out at the end.
    double csum = 1.0, frac1 = 0.0, frac2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = vec[i] * scale;
        double sq = x * x, sq_lo = fma(x, x, -sq);  // exact square as sq + sq_lo
        double sum = csum + sq, sum_lo = (csum - sum) + sq;
        csum = sum;
        frac1 += sq_lo;
        frac2 += sum_lo;
    }
    double h = sqrt(csum - 1.0 + (frac1 + frac2));
    double sq = -h * h, sq_lo = fma(-h, h, -sq);
    double sum = csum + sq, sum_lo = (csum - sum) + sq;
    csum = sum;
    frac1 += sq_lo;
    frac2 += sum_lo;
    double x = csum - 1.0 + (frac1 + frac2);
    h += x / (2.0 * h);
    return h / scale;
}

// Collects |coordinates| into a malloc'd array, tracking the largest and any NaN.
typedef struct {
    double *v;
    size_t n;
    double max;
    bool nan;
} Coords;

static void coords_add(Coords *c, double x) {
    x = fabs(x);
    c->v[c->n++] = x;
    if (isnan(x)) c->nan = true;
    else if (x > c->max) c->max = x;
}

static bool math_hypot(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "math.hypot() takes no keyword arguments");
    Coords c = {malloc(sizeof(double) * (size_t)(nargs ? nargs : 1)), 0, 0.0, false};
    for (int i = 0; i < nargs; i++) {
        double x;
        if (!mod_arg_double(vm, args[i], &x)) {
            free(c.v);
            return false;
        }
        coords_add(&c, x);
    }
    *result = FLOAT_VAL(vector_norm(c.n, c.v, c.max, c.nan));
    free(c.v);
    return true;
}

static bool math_dist(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!two_args(vm, "dist", nargs, kwnames)) return false;
    ObjList *p = vm_list_from_iterable(vm, args[0]);
    if (!p) return false;
    vm_push_root(vm, OBJ_VAL(p));
    ObjList *q = vm_list_from_iterable(vm, args[1]);
    if (!q) {
        vm_pop_root(vm);
        return false;
    }
    vm_push_root(vm, OBJ_VAL(q));
    if (p->count != q->count) {
        vm_pop_roots(vm, 2);
        return vm_raise(vm, vm->ValueError, "both points must have the same number of dimensions");
    }
    Coords c = {malloc(sizeof(double) * (p->count ? p->count : 1)), 0, 0.0, false};
    for (size_t i = 0; i < p->count; i++) {
        double x, y;
        if (!mod_arg_double(vm, p->items[i], &x) || !mod_arg_double(vm, q->items[i], &y)) {
            vm_pop_roots(vm, 2);
            free(c.v);
            return false;
        }
        coords_add(&c, x - y);
    }
    vm_pop_roots(vm, 2);
    *result = FLOAT_VAL(vector_norm(c.n, c.v, c.max, c.nan));
    free(c.v);
    return true;
}

// fsum: Shewchuk's exact summation.  `partials` holds non-overlapping floats, smallest first,
// whose exact sum is the running total; the result is that sum correctly rounded.
static bool math_fsum(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!one_arg(vm, "fsum", nargs, kwnames)) return false;
    Value it;
    if (!vm_iter(vm, args[0], &it)) return false;
    vm_push_root(vm, it);
    size_t n = 0, cap = 32;
    double *p = malloc(sizeof(double) * cap);
    double special_sum = 0.0, inf_sum = 0.0;
    bool ok = true;
    for (;;) {
        Value item;
        int got = vm_next(vm, it, &item);
        if (got <= 0) {
            ok = got == 0;
            break;
        }
        double x;
        if (!mod_arg_double(vm, item, &x)) {
            ok = false;
            break;
        }
        double xsave = x;
        size_t i = 0;
        for (size_t j = 0; j < n; j++) {
            double y = p[j];
            if (fabs(x) < fabs(y)) {
                double t = x;
                x = y;
                y = t;
            }
            double hi = x + y, lo = y - (hi - x);
            if (lo != 0.0) p[i++] = lo;
            x = hi;
        }
        n = i;
        if (x != 0.0) {
            if (!isfinite(x)) {
                // An infinity or NaN: from the input (kept aside) or from overflow (an error).
                if (isfinite(xsave)) {
                    vm_raise(vm, vm->OverflowError, "intermediate overflow in fsum");
                    ok = false;
                    break;
                }
                if (isinf(xsave)) inf_sum += xsave;
                special_sum += xsave;
                n = 0;
            } else {
                if (n == cap) p = realloc(p, sizeof(double) * (cap *= 2));
                p[n++] = x;
            }
        }
    }
    vm_pop_root(vm);
    if (!ok) {
        free(p);
        return false;
    }
    if (special_sum != 0.0) {
        free(p);
        if (isnan(inf_sum)) return vm_raise(vm, vm->ValueError, "-inf + inf in fsum");
        *result = FLOAT_VAL(special_sum);
        return true;
    }
    double hi = 0.0, lo = 0.0;
    if (n > 0) {
        hi = p[--n];
        // Add the partials from the top until the sum becomes inexact.
        while (n > 0) {
            double x = hi, y = p[--n];
            hi = x + y;
            lo = y - (hi - x);
            if (lo != 0.0) break;
        }
        // Round half-even correctly when the remaining partials push the tie one way.
        if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
            double y = lo * 2.0, x = hi + y;
            if (y == x - hi) hi = x;
        }
    }
    free(p);
    *result = FLOAT_VAL(hi);
    return true;
}

// prod(iterable, *, start=1): multiplies with the `*` operator, so any numbers (or sequences).
static bool math_prod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 1)
        return vm_raise(vm, vm->TypeError, "prod() takes exactly 1 positional argument (%d given)",
                        nargs);
    static const char *const allowed[] = {"start", NULL};
    if (!mod_check_kwargs(vm, "prod", kwnames, allowed)) return false;
    Value acc = mod_kwarg(args, nargs, kwnames, "start");
    if (IS_EMPTY(acc)) acc = INT_VAL(1);
    Value it;
    if (!vm_iter(vm, args[0], &it)) return false;
    vm_push_root(vm, it);
    vm_push_root(vm, acc);
    for (;;) {
        Value item;
        int got = vm_next(vm, it, &item);
        if (got <= 0) {
            vm_pop_roots(vm, 2);
            if (got < 0) return false;
            *result = acc;
            return true;
        }
        if (!vm_binary_op(vm, BINOP_MUL, acc, item, &acc)) {
            vm_pop_roots(vm, 2);
            return false;
        }
        vm_pop_root(vm);
        vm_push_root(vm, acc);
    }
}

// ---- integer functions --------------------------------------------------------------------------
//
// On GMP, through big ints (runtime/bigint.h): results have no size limit, as in CPython.

#define C_LONG_MAX_TEXT "9223372036854775807"

static bool math_gcd(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "math.gcd() takes no keyword arguments");
    mpz_t g;
    mpz_init(g);
    for (int i = 0; i < nargs; i++) {
        Value v;
        if (!mod_arg_int(vm, args[i], &v)) {
            mpz_clear(g);
            return false;
        }
        BigScratch s;
        mpz_srcptr x = big_view(v, &s);
        if (!big_room(vm, (double)(mpz_size(g) + mpz_size(x)), BIG_PEAK_GCD)) {
            mpz_clear(g);
            return false;
        }
        mpz_gcd(g, g, x);
    }
    *result = int_from_mpz(vm, g);
    return true;
}

static bool math_lcm(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "math.lcm() takes no keyword arguments");
    mpz_t l;
    mpz_init_set_ui(l, 1);
    for (int i = 0; i < nargs; i++) {
        Value v;
        if (!mod_arg_int(vm, args[i], &v)) {
            mpz_clear(l);
            return false;
        }
        BigScratch s;
        mpz_srcptr x = big_view(v, &s);
        if (!big_room(vm, (double)(mpz_size(l) + mpz_size(x)), 2 * BIG_PEAK_GCD)) {
            mpz_clear(l);
            return false;
        }
        mpz_lcm(l, l, x); // never negative; 0 once any argument is 0
    }
    *result = int_from_mpz(vm, l);
    return true;
}

static bool factorial_of(Vm *vm, Value n, Value *result) {
    int64_t k;
    if (!big_fits_int64(n, &k))
        return mpz_sgn(AS_BIGINT(n)->value) < 0
                   ? vm_raise(vm, vm->ValueError, "factorial() not defined for negative values")
                   : vm_raise(vm, vm->OverflowError,
                              "factorial() argument should not exceed " C_LONG_MAX_TEXT);
    if (k < 0) return vm_raise(vm, vm->ValueError, "factorial() not defined for negative values");
    if (k > 1 && !big_room(vm, (double)k * log2((double)k) / 64, BIG_PEAK_POW)) return false; // k! < k**k
    mpz_t f;
    mpz_init(f);
    mpz_fac_ui(f, (unsigned long)k);
    *result = int_from_mpz(vm, f);
    return true;
}

static bool math_factorial(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value n;
    if (!one_arg(vm, "factorial", nargs, kwnames) || !mod_arg_int(vm, args[0], &n)) return false;
    return factorial_of(vm, n, result);
}

// Reads comb/perm's n and k, checking both are non-negative.
static bool n_and_k(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames,
                    int min, Value *n, Value *k, bool *has_k) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "math.%s() takes no keyword arguments", name);
    if (nargs < min || nargs > 2) {
        if (min == 2)
            return vm_raise(vm, vm->TypeError, "%s expected 2 arguments, got %d", name, nargs);
        return vm_raise(vm, vm->TypeError, "%s expected at %s %d argument%s, got %d", name,
                        nargs < min ? "least" : "most", nargs < min ? 1 : 2,
                        nargs < min ? "" : "s", nargs);
    }
    if (!mod_arg_int(vm, args[0], n)) return false;
    *has_k = nargs == 2 && (min == 2 || !IS_NONE(args[1]));  // perm(n, None) is perm(n)
    if (*has_k && !mod_arg_int(vm, args[1], k)) return false;
    if (!*has_k) return true;
    BigScratch sn, sk;
    if (mpz_sgn(big_view(*n, &sn)) < 0) return vm_raise(vm, vm->ValueError, "n must be a non-negative integer");
    if (mpz_sgn(big_view(*k, &sk)) < 0) return vm_raise(vm, vm->ValueError, "k must be a non-negative integer");
    return true;
}

static bool math_comb(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value nv, kv;
    bool has_k;
    if (!n_and_k(vm, "comb", args, nargs, kwnames, 2, &nv, &kv, &has_k)) return false;
    BigScratch sn, sk;
    mpz_srcptr n = big_view(nv, &sn), k = big_view(kv, &sk);
    if (mpz_cmp(k, n) > 0) {
        *result = INT_VAL(0);
        return true;
    }
    mpz_t r, j;
    mpz_inits(r, j, NULL);
    mpz_sub(j, n, k); // C(n, k) == C(n, n - k): use the smaller
    if (mpz_cmp(k, j) < 0) mpz_set(j, k);
    if (!mpz_fits_slong_p(j)) {
        mpz_clears(r, j, NULL);
        return vm_raise(vm, vm->OverflowError,
                        "min(n - k, k) must not exceed " C_LONG_MAX_TEXT);
    }
    // C(n, j) < n**j
    if (!big_room(vm, (double)mpz_get_ui(j) * (double)mpz_sizeinbase(n, 2) / 64, BIG_PEAK_POW)) {
        mpz_clears(r, j, NULL);
        return false;
    }
    mpz_bin_ui(r, n, mpz_get_ui(j));
    mpz_clear(j);
    *result = int_from_mpz(vm, r);
    return true;
}

static bool math_perm(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value nv, kv = INT_VAL(0);
    bool has_k;
    if (!n_and_k(vm, "perm", args, nargs, kwnames, 1, &nv, &kv, &has_k)) return false;
    if (!has_k) return factorial_of(vm, nv, result);
    BigScratch sn, sk;
    mpz_srcptr n = big_view(nv, &sn), k = big_view(kv, &sk);
    if (mpz_cmp(k, n) > 0) {
        *result = INT_VAL(0);
        return true;
    }
    if (!mpz_fits_slong_p(k))
        return vm_raise(vm, vm->OverflowError, "k must not exceed " C_LONG_MAX_TEXT);
    // P(n, k) = C(n, k) * k!, both below n**k
    if (!big_room(vm, (double)mpz_get_ui(k) * (double)mpz_sizeinbase(n, 2) / 64, 2 * BIG_PEAK_POW)) return false;
    mpz_t r, f;
    mpz_inits(r, f, NULL);
    mpz_bin_ui(r, n, mpz_get_ui(k));
    mpz_fac_ui(f, mpz_get_ui(k));
    mpz_mul(r, r, f);
    mpz_clear(f);
    *result = int_from_mpz(vm, r);
    return true;
}

static bool math_isqrt(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value n;
    if (!one_arg(vm, "isqrt", nargs, kwnames) || !mod_arg_int(vm, args[0], &n)) return false;
    BigScratch s;
    mpz_srcptr x = big_view(n, &s);
    if (mpz_sgn(x) < 0) return vm_raise(vm, vm->ValueError, "isqrt() argument must be nonnegative");
    if (!big_room(vm, (double)mpz_size(x) / 2, BIG_PEAK_ROOT)) return false;
    mpz_t r;
    mpz_init(r);
    mpz_sqrt(r, x);
    *result = int_from_mpz(vm, r);
    return true;
}

// ---- the module ---------------------------------------------------------------------------------

ObjModule *mod_math_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "math");
    vm_push_root(vm, OBJ_VAL(m));
    mod_set(vm, m, "pi", FLOAT_VAL(3.141592653589793));
    mod_set(vm, m, "e", FLOAT_VAL(2.718281828459045));
    mod_set(vm, m, "tau", FLOAT_VAL(6.283185307179586));
    mod_set(vm, m, "inf", FLOAT_VAL(INFINITY));
    mod_set(vm, m, "nan", FLOAT_VAL(NAN));
    static const MethodDef fns[] = {
        {"sqrt", math_sqrt},       {"exp", math_exp},           {"exp2", math_exp2},
        {"expm1", math_expm1},     {"log", math_log},           {"log2", math_log2},
        {"log10", math_log10},     {"log1p", math_log1p},       {"sin", math_sin},
        {"cos", math_cos},         {"tan", math_tan},           {"asin", math_asin},
        {"acos", math_acos},       {"atan", math_atan},         {"atan2", math_atan2},
        {"sinh", math_sinh},       {"cosh", math_cosh},         {"tanh", math_tanh},
        {"asinh", math_asinh},     {"acosh", math_acosh},       {"atanh", math_atanh},
        {"erf", math_erf},         {"erfc", math_erfc},         {"gamma", math_gamma},
        {"lgamma", math_lgamma},   {"fabs", math_fabs},         {"cbrt", math_cbrt},
        {"degrees", math_degrees}, {"radians", math_radians},   {"floor", math_floor},
        {"ceil", math_ceil},       {"trunc", math_trunc},       {"pow", math_pow},
        {"fmod", math_fmod},       {"copysign", math_copysign}, {"remainder", math_remainder},
        {"nextafter", math_nextafter}, {"ulp", math_ulp},       {"modf", math_modf},
        {"frexp", math_frexp},     {"ldexp", math_ldexp},       {"isnan", math_isnan},
        {"isinf", math_isinf},     {"isfinite", math_isfinite}, {"isclose", math_isclose},
        {"hypot", math_hypot},     {"dist", math_dist},         {"fsum", math_fsum},
        {"prod", math_prod},       {"gcd", math_gcd},           {"lcm", math_lcm},
        {"factorial", math_factorial}, {"comb", math_comb},     {"perm", math_perm},
        {"isqrt", math_isqrt},     {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    vm_pop_root(vm);
    return m;
}
