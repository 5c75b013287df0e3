/* The float class: construction (float(x), float('1.5')), the dunders, the methods hex, fromhex,
 * is_integer, as_integer_ratio, conjugate and the real / imag properties.
 *
 * Unlike int's, float's binary dunders accept any number as the other operand (float.__radd__
 * is what makes 1 + 2.5 work in CPython): the int is converted to float first.  The arithmetic
 * itself is num_float_op in number.c.
 */
#include "number.h"

#include <float.h>
#include <math.h>
#include <string.h>


// ---- construction -------------------------------------------------------------------------------

// float(x) for one argument: numbers, text, then __float__, then __index__.
static bool float_convert(Vm *vm, Value x, double *out) {
    if (IS_NUMBER(x)) {
        *out = AS_NUMBER(x);
        return true;
    }
    if (IS_BIGINT(x)) return big_to_double(vm, x, out);
    if (IS_STR(x)) return float_from_str(vm, AS_STR(x), out);
    ByteSpan b;
    int is_buffer = IS_OBJ(x) ? bytes_like(vm, x, &b) : 0;
    if (is_buffer < 0) return false;
    if (is_buffer) {
        if (num_parse_float((const char *)b.data, b.length, out)) return true;
        StrBuf sb;
        sb_init(&sb);
        sb_puts(&sb, "could not convert string to float: ");
        bytes_repr_into(b.data, b.length, &sb);
        vm_raise(vm, vm->ValueError, "%s", sb.data);
        sb_free(&sb);
        return false;
    }
    ObjClass *cls = vm_class_of(vm, x);
    Value fn = class_lookup(cls, vm->s_float);
    if (!IS_EMPTY(fn)) { // None is called, and fails, as in CPython
        Value r;
        if (!vm_call1(vm, fn, x, &r)) return false;
        if (!IS_FLOAT(r))
            return vm_raise(vm, vm->TypeError, "%s.__float__ returned non-float (type %s)",
                            cls->name->chars, vm_type_name(vm, r));
        *out = AS_FLOAT(r);
        return true;
    }
    if (IS_OBJ(x) && !IS_EMPTY(class_lookup(cls, vm->s_index))) {
        Value i;
        if (!num_index_value(vm, x, &i)) return false;
        return big_to_double(vm, i, out);
    }
    return vm_raise(vm, vm->TypeError,
                    "float() argument must be a string or a real number, not '%s'",
                    vm_type_name(vm, x));
}

// float(x=0.0, /)
static bool float_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_new_class(vm, vm->float_class, args, nargs)) return false;
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "float() takes no keyword arguments");
    if (nargs > 2)
        return vm_raise(vm, vm->TypeError, "float expected at most 1 argument, got %d", nargs - 1);
    double d = 0.0;
    if (nargs == 2 && !float_convert(vm, args[1], &d)) return false;
    *result = FLOAT_VAL(d);
    return true;
}

// ---- binary dunders -----------------------------------------------------------------------------

// The other operand of a float dunder as a double: 1 done, 0 not a number (NotImplemented), -1
// a big int too large for a float (OverflowError pending).
static int other_as_double(Vm *vm, Value v, double *out) {
    if (IS_NUMBER(v)) {
        *out = AS_NUMBER(v);
        return 1;
    }
    if (!IS_BIGINT(v)) return 0;
    return big_to_double(vm, v, out) ? 1 : -1;
}

// self <op> other, or other <op> self when reflected; any number is accepted as other.
static bool float_binary(Vm *vm, const char *name, int op, bool reflected, Value *args, int nargs,
                         ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->float_class, args, nargs, kwnames, 1, 1)) return false;
    double a = AS_FLOAT(args[0]), b;
    int k = other_as_double(vm, args[1], &b);
    if (k <= 0) {
        *result = vm->not_implemented;
        return k == 0;
    }
    if (reflected) return num_float_op(vm, op, b, a, result) > 0;
    return num_float_op(vm, op, a, b, result) > 0;
}

#define FLOAT_BINARY(fn, name, op, reflected)                                                      \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return float_binary(vm, name, op, reflected, args, nargs, kwnames, result);                \
    }
FLOAT_BINARY(float_add, "__add__", BINOP_ADD, false)
FLOAT_BINARY(float_radd, "__radd__", BINOP_ADD, true)
FLOAT_BINARY(float_sub, "__sub__", BINOP_SUB, false)
FLOAT_BINARY(float_rsub, "__rsub__", BINOP_SUB, true)
FLOAT_BINARY(float_mul, "__mul__", BINOP_MUL, false)
FLOAT_BINARY(float_rmul, "__rmul__", BINOP_MUL, true)
FLOAT_BINARY(float_truediv, "__truediv__", BINOP_DIV, false)
FLOAT_BINARY(float_rtruediv, "__rtruediv__", BINOP_DIV, true)
FLOAT_BINARY(float_floordiv, "__floordiv__", BINOP_FLOORDIV, false)
FLOAT_BINARY(float_rfloordiv, "__rfloordiv__", BINOP_FLOORDIV, true)
FLOAT_BINARY(float_mod, "__mod__", BINOP_MOD, false)
FLOAT_BINARY(float_rmod, "__rmod__", BINOP_MOD, true)

static bool float_divmod_impl(Vm *vm, const char *name, bool reflected, Value *args, int nargs,
                              ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->float_class, args, nargs, kwnames, 1, 1)) return false;
    double a = AS_FLOAT(args[0]), b, q, r;
    int k = other_as_double(vm, args[1], &b);
    if (k <= 0) {
        *result = vm->not_implemented;
        return k == 0;
    }
    if (reflected ? !num_float_divmod(vm, b, a, &q, &r) : !num_float_divmod(vm, a, b, &q, &r))
        return false;
    *result = OBJ_VAL(tuple_pair(vm, FLOAT_VAL(q), FLOAT_VAL(r)));
    return true;
}

static bool float_divmod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_divmod_impl(vm, "__divmod__", false, args, nargs, kwnames, result);
}

static bool float_rdivmod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_divmod_impl(vm, "__rdivmod__", true, args, nargs, kwnames, result);
}

// __pow__(self, other, mod=None): a modulus is only allowed with ints.
static bool float_pow_impl(Vm *vm, const char *name, bool reflected, Value *args, int nargs,
                           ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->float_class, args, nargs, kwnames, 1, 2)) return false;
    double a = AS_FLOAT(args[0]), b;
    int k = other_as_double(vm, args[1], &b);
    if (k <= 0) {
        *result = vm->not_implemented;
        return k == 0;
    }
    if (nargs > 2 && !IS_NONE(args[2]))
        return vm_raise(vm, vm->TypeError,
                        "pow() 3rd argument not allowed unless all arguments are integers");
    if (reflected) return num_float_op(vm, BINOP_POW, b, a, result) > 0;
    return num_float_op(vm, BINOP_POW, a, b, result) > 0;
}

static bool float_pow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_pow_impl(vm, "__pow__", false, args, nargs, kwnames, result);
}

static bool float_rpow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_pow_impl(vm, "__rpow__", true, args, nargs, kwnames, result);
}

static bool float_compare(Vm *vm, const char *name, int op, Value *args, int nargs,
                          ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->float_class, args, nargs, kwnames, 1, 1)) return false;
    if (!num_is_number(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    return number_compare(vm, op, args[0], args[1], result) > 0;
}

#define FLOAT_COMPARE(fn, name, op)                                                                \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return float_compare(vm, name, op, args, nargs, kwnames, result);                          \
    }
FLOAT_COMPARE(float_eq, "__eq__", CMP_EQ)
FLOAT_COMPARE(float_ne, "__ne__", CMP_NE)
FLOAT_COMPARE(float_lt, "__lt__", CMP_LT)
FLOAT_COMPARE(float_le, "__le__", CMP_LE)
FLOAT_COMPARE(float_gt, "__gt__", CMP_GT)
FLOAT_COMPARE(float_ge, "__ge__", CMP_GE)

// ---- unary dunders and conversions --------------------------------------------------------------

// The no-argument dunders, one kernel with a switch on which one.
typedef enum { F_NEG, F_POS, F_ABS, F_BOOL, F_FLOAT, F_HASH, F_REPR, F_INT } FloatUnary;

static bool float_unary(Vm *vm, const char *name, FloatUnary which, Value *args, int nargs,
                        ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->float_class, args, nargs, kwnames, 0, 0)) return false;
    double d = AS_FLOAT(args[0]);
    switch (which) {
    case F_NEG: *result = FLOAT_VAL(-d); break;
    case F_POS:
    case F_FLOAT: *result = FLOAT_VAL(d); break;
    case F_ABS: *result = FLOAT_VAL(fabs(d)); break;
    case F_BOOL: *result = BOOL_VAL(d != 0.0); break;
    case F_HASH: *result = INT_VAL((int64_t)hash_float(d)); break;
    case F_REPR: *result = OBJ_VAL(num_repr(vm, args[0])); break;
    case F_INT:
        if (!num_float_to_int(vm, d, result)) return false;
        break;
    }
    return true;
}

#define FLOAT_UNARY(fn, name, which)                                                               \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return float_unary(vm, name, which, args, nargs, kwnames, result);                         \
    }
FLOAT_UNARY(float_neg, "__neg__", F_NEG)
FLOAT_UNARY(float_pos, "__pos__", F_POS)
FLOAT_UNARY(float_abs, "__abs__", F_ABS)
FLOAT_UNARY(float_bool, "__bool__", F_BOOL)
FLOAT_UNARY(float_float, "__float__", F_FLOAT)
FLOAT_UNARY(float_hash, "__hash__", F_HASH)
FLOAT_UNARY(float_repr, "__repr__", F_REPR)
FLOAT_UNARY(float_int, "__int__", F_INT)

// __trunc__, __floor__ and __ceil__: the int toward zero, below, or above.
static bool float_to_int_method(Vm *vm, const char *name, double (*fn)(double), Value *args,
                                int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, name, vm->float_class, args, nargs, kwnames, 0, 0)) return false;
    return num_float_to_int(vm, fn(AS_FLOAT(args[0])), result);
}

static bool float_trunc(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_to_int_method(vm, "__trunc__", trunc, args, nargs, kwnames, result);
}

static bool float_floor(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_to_int_method(vm, "__floor__", floor, args, nargs, kwnames, result);
}

static bool float_ceil(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return float_to_int_method(vm, "__ceil__", ceil, args, nargs, kwnames, result);
}

// __round__(ndigits=None): an int without ndigits (or None), else a float.
static bool float_round(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "__round__", vm->float_class, args, nargs, kwnames, 0, 1))
        return false;
    double d = AS_FLOAT(args[0]);
    if (nargs < 2 || IS_NONE(args[1])) return num_round_float_to_int(vm, d, result);
    int64_t ndigits;
    if (!num_round_digits(vm, args[1], &ndigits)) return false;
    if (!num_round_float(vm, d, ndigits, &d)) return false;
    *result = FLOAT_VAL(d);
    return true;
}

static bool float_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "__format__", vm->float_class, args, nargs, kwnames, 1, 1))
        return false;
    return num_format(vm, args[0], args[1], result);
}

static bool float_getnewargs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "__getnewargs__", vm->float_class, args, nargs, kwnames, 0, 0))
        return false;
    ObjTuple *t = tuple_new(vm, 1);
    t->items[0] = args[0];
    *result = OBJ_VAL(t);
    return true;
}

// ---- methods ------------------------------------------------------------------------------------

static bool float_conjugate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "conjugate", vm->float_class, args, nargs, kwnames, 0, 0))
        return false;
    *result = args[0];
    return true;
}

static bool float_is_integer(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "is_integer", vm->float_class, args, nargs, kwnames, 0, 0))
        return false;
    double d = AS_FLOAT(args[0]);
    *result = BOOL_VAL(isfinite(d) && d == floor(d));
    return true;
}

// The exact fraction of a float, in lowest terms (CPython's float_as_integer_ratio).
static bool float_as_integer_ratio(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                   Value *result) {
    if (!num_check_method(vm, "as_integer_ratio", vm->float_class, args, nargs, kwnames, 0, 0))
        return false;
    double d = AS_FLOAT(args[0]);
    if (isinf(d))
        return vm_raise(vm, vm->OverflowError, "cannot convert Infinity to integer ratio");
    if (isnan(d)) return vm_raise(vm, vm->ValueError, "cannot convert NaN to integer ratio");
    Value num, den = INT_VAL(1);
    if (d == floor(d)) {
        // An integral float is its own numerator.
        if (!num_float_to_int(vm, d, &num)) return false;
    } else {
        // Scale the mantissa by 2 until it is whole (at most 53 steps); the fraction is then
        // num / 2**k, already reduced because num is odd.
        int e;
        double m = frexp(d, &e);
        int k = 0;
        for (; m != floor(m); k++) m *= 2.0;
        k -= e;
        if (!num_float_to_int(vm, m, &num)) return false;
        if (num_int_op(vm, BINOP_LSHIFT, 1, k, &den) < 0) return false;
    }
    *result = OBJ_VAL(tuple_pair(vm, num, den));
    return true;
}

// float.hex(): '0x1.8000000000000p+1', as CPython's float_hex (13 hex digits, subnormals kept
// as 0x0.xxx with exponent -1022).
static bool float_hex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "hex", vm->float_class, args, nargs, kwnames, 0, 0)) return false;
    double x = AS_FLOAT(args[0]);
    StrBuf sb;
    sb_init(&sb);
    if (isnan(x) || isinf(x)) {
        float_repr_into(x, &sb);
    } else if (x == 0.0) {
        sb_puts(&sb, signbit(x) ? "-0x0.0p+0" : "0x0.0p+0");
    } else {
        int e;
        double m = frexp(fabs(x), &e);
        int shift = 1 - (DBL_MIN_EXP - e > 0 ? DBL_MIN_EXP - e : 0);
        m = ldexp(m, shift);
        e -= shift;
        static const char hexdigits[] = "0123456789abcdef";
        sb_puts(&sb, x < 0 ? "-0x" : "0x");
        sb_putc(&sb, hexdigits[(int)m]);
        m -= (int)m;
        sb_putc(&sb, '.');
        for (int i = 0; i < (DBL_MANT_DIG - 1) / 4; i++) {
            m *= 16.0;
            sb_putc(&sb, hexdigits[(int)m]);
            m -= (int)m;
        }
        sb_printf(&sb, "p%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// float.fromhex(string), a classmethod.
static bool float_fromhex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "float.fromhex() takes no keyword arguments");
    if (nargs != 2)
        return vm_raise(vm, vm->TypeError, "float.fromhex() takes exactly one argument (%d given)",
                        nargs - 1);
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "bad argument type for built-in operation");
    double d;
    if (!float_from_hex(vm, AS_STR(args[1])->chars, AS_STR(args[1])->length, &d)) return false;
    *result = FLOAT_VAL(d);
    return true;
}

// ---- properties ---------------------------------------------------------------------------------

static bool float_get_self(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = args[0];
    return true;
}

static bool float_get_zero(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = FLOAT_VAL(0.0);
    return true;
}

// clang-format off
// The natives of float's class dict: CPython's float.__dict__ less __getformat__ and
// __getattribute__.
static const MethodDef float_methods[] = {
    {"__new__", float_new}, {"__repr__", float_repr}, {"__hash__", float_hash},
    {"__bool__", float_bool}, {"__int__", float_int}, {"__float__", float_float},
    {"__format__", float_format}, {"__getnewargs__", float_getnewargs},
    {"__add__", float_add}, {"__radd__", float_radd}, {"__sub__", float_sub},
    {"__rsub__", float_rsub}, {"__mul__", float_mul}, {"__rmul__", float_rmul},
    {"__truediv__", float_truediv}, {"__rtruediv__", float_rtruediv},
    {"__floordiv__", float_floordiv}, {"__rfloordiv__", float_rfloordiv},
    {"__mod__", float_mod}, {"__rmod__", float_rmod}, {"__divmod__", float_divmod},
    {"__rdivmod__", float_rdivmod}, {"__pow__", float_pow}, {"__rpow__", float_rpow},
    {"__neg__", float_neg}, {"__pos__", float_pos}, {"__abs__", float_abs},
    {"__eq__", float_eq}, {"__ne__", float_ne}, {"__lt__", float_lt}, {"__le__", float_le},
    {"__gt__", float_gt}, {"__ge__", float_ge}, {"__trunc__", float_trunc},
    {"__floor__", float_floor}, {"__ceil__", float_ceil}, {"__round__", float_round},
    {"conjugate", float_conjugate}, {"is_integer", float_is_integer},
    {"as_integer_ratio", float_as_integer_ratio}, {"hex", float_hex}, {NULL, NULL}};
// clang-format on

void float_init_class(Vm *vm) {
    ObjClass *cls = vm->float_class;
    define_methods(vm, cls, float_methods);
    num_define_classmethod(vm, cls, "fromhex", float_fromhex);
    num_define_property(vm, cls, "real", float_get_self);
    num_define_property(vm, cls, "imag", float_get_zero);
}
