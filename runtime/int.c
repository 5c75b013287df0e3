/* The int and bool classes: construction (int(x), int(s, base), bool(x)), the dunders, and the
 * methods and properties of int.
 *
 * An int or bool is an immediate Value, or a big int object past int64 (bigint.h); self and
 * the other operand of every dunder may be either form.  The classes only hold natives.  The
 * operators reach the arithmetic through number_binary_op without looking at these dunders; they
 * exist for explicit calls ((5).__add__(3)), for the reflected path of mixed operations
 * (5 + obj tries int.__add__ first, which declines with NotImplemented), and for dir() and
 * introspection.  Like CPython's, int's binary dunders accept only ints: (5).__add__(2.5) is
 * NotImplemented, and float.__radd__ does the work.
 */
#include "number.h"

#include <string.h>


// ---- construction -------------------------------------------------------------------------------

// Raises ValueError("invalid literal for int() with base 10: b'x'") for a bytes argument.
static bool invalid_bytes_literal(Vm *vm, ObjBytes *b, int base) {
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "invalid literal for int() with base %d: ", base);
    bytes_repr_into(b->data, b->length, &sb);
    vm_raise(vm, vm->ValueError, "%s", sb.data);
    sb_free(&sb);
    return false;
}

static bool int_from_text(Vm *vm, Value x, int base, Value *out) {
    if (IS_STR(x)) return int_from_str(vm, AS_STR(x)->chars, AS_STR(x)->length, base, out);
    if (!IS_BYTES(x)) { // a bytearray or memoryview: read as the bytes it holds
        ByteSpan span;
        if (bytes_like(vm, x, &span) < 0) return false;
        Value copy = OBJ_VAL(bytes_new(vm, span.data, span.length));
        vm_push_root(vm, copy);
        bool ok = int_from_text(vm, copy, base, out);
        vm_pop_root(vm);
        return ok;
    }
    ObjBytes *b = AS_BYTES(x);
    int64_t small;
    int r = num_parse_int((const char *)b->data, b->length, base, &small);
    if (r > 0) *out = INT_VAL(small);
    if (r < 0) return num_parse_wide_int(vm, (const char *)b->data, b->length, base, out);
    return r > 0 || invalid_bytes_literal(vm, b, base);
}

// Calls the special method `name` of v's class; EMPTY *out when the class has none.
static bool call_special(Vm *vm, Value v, const char *name, Value *out) {
    Value fn = class_lookup(vm_class_of(vm, v), str_from_c(vm, name));
    if (IS_EMPTY(fn)) { // None is called, and fails, as in CPython
        *out = EMPTY_VAL();
        return true;
    }
    return vm_call1(vm, fn, v, out);
}

// int(x) for one argument, in CPython's order: __int__, __index__, __trunc__, then text.
static bool int_convert(Vm *vm, Value x, Value *out) {
    if (IS_INTLIKE(x)) {
        *out = INT_VAL(AS_INTLIKE(x));
        return true;
    }
    if (IS_BIGINT(x)) {
        *out = x;
        return true;
    }
    if (IS_FLOAT(x)) return num_float_to_int(vm, AS_FLOAT(x), out);
    if (IS_STR(x) || IS_BYTES(x) || IS_BYTEARRAY(x)) return int_from_text(vm, x, 10, out);
    Value r;
    if (!call_special(vm, x, "__int__", &r)) return false;
    if (!IS_EMPTY(r)) {
        if (!IS_INTEGER(r))
            return vm_raise(vm, vm->TypeError, "__int__ returned non-int (type %s)",
                            vm_type_name(vm, r));
        *out = IS_BOOL(r) ? INT_VAL(AS_INTLIKE(r)) : r;
        return true;
    }
    if (IS_OBJ(x) && !IS_EMPTY(class_lookup(vm_class_of(vm, x), vm->s_index)))
        return num_index_value(vm, x, out);
    if (!call_special(vm, x, "__trunc__", &r)) return false;
    if (!IS_EMPTY(r)) {
        if (IS_INTEGER(r)) {
            *out = IS_BOOL(r) ? INT_VAL(AS_INTLIKE(r)) : r;
            return true;
        }
        if (IS_OBJ(r) && !IS_EMPTY(class_lookup(vm_class_of(vm, r), vm->s_index)))
            return num_index_value(vm, r, out);
        return vm_raise(vm, vm->TypeError, "__trunc__ returned non-Integral (type %s)",
                        vm_type_name(vm, r));
    }
    return vm_raise(
        vm, vm->TypeError,
        "int() argument must be a string, a bytes-like object or a real number, not '%s'",
        vm_type_name(vm, x));
}

bool num_check_new_class(Vm *vm, ObjClass *own, Value *args, int nargs) {
    const char *name = own->name->chars;
    if (nargs == 0) return vm_raise(vm, vm->TypeError, "%s.__new__(): not enough arguments", name);
    if (!IS_CLASS(args[0]))
        return vm_raise(vm, vm->TypeError, "%s.__new__(X): X is not a type object (%s)", name,
                        vm_type_name(vm, args[0]));
    ObjClass *cls = AS_CLASS(args[0]);
    if (!class_is_subclass(cls, own))
        return vm_raise(vm, vm->TypeError, "%s.__new__(%s): %s is not a subtype of %s", name,
                        cls->name->chars, cls->name->chars, name);
    if (own == vm->int_class && cls == vm->bool_class)
        return vm_raise(vm, vm->TypeError, "int.__new__(bool) is not safe, use bool.__new__()");
    return true;
}

// int(x=0, /, base=10).  Subclasses of int get a plain int: aio ints carry no class of their own.
static bool int_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_new_class(vm, vm->int_class, args, nargs)) return false;
    Value x = EMPTY_VAL(), base_arg = EMPTY_VAL();
    int given = nargs - 1 + (kwnames ? (int)kwnames->count : 0);
    if (given > 2)
        return vm_raise(vm, vm->TypeError, "int() takes at most 2 arguments (%d given)", given);
    if (nargs > 1) x = args[1];
    if (nargs > 2) base_arg = args[2];
    for (size_t i = 0; kwnames && i < kwnames->count; i++) {
        const char *kw = AS_STR(kwnames->items[i])->chars;
        if (strcmp(kw, "base") != 0 || !IS_EMPTY(base_arg))
            return vm_raise(vm, vm->TypeError, "'%s' is an invalid keyword argument for int()", kw);
        base_arg = args[nargs + (int)i];
    }
    if (IS_EMPTY(base_arg)) {
        *result = INT_VAL(0);
        return IS_EMPTY(x) || int_convert(vm, x, result);
    }
    if (IS_EMPTY(x)) return vm_raise(vm, vm->TypeError, "int() missing string argument");
    int64_t base = -1; // a huge base is only out of range
    if (!IS_BIGINT(base_arg) && !num_index(vm, base_arg, &base)) return false;
    if (base != 0 && (base < 2 || base > 36))
        return vm_raise(vm, vm->ValueError, "int() base must be >= 2 and <= 36, or 0");
    if (!IS_STR(x) && !IS_BYTES(x) && !IS_BYTEARRAY(x))
        return vm_raise(vm, vm->TypeError, "int() can't convert non-string with explicit base");
    return int_from_text(vm, x, (int)base, result);
}

// bool(x=False, /): the truth value of x.
static bool bool_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_new_class(vm, vm->bool_class, args, nargs)) return false;
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "bool() takes no keyword arguments");
    if (nargs > 2)
        return vm_raise(vm, vm->TypeError, "bool expected at most 1 argument, got %d", nargs - 1);
    bool t = false;
    if (nargs == 2 && !vm_truthy(vm, args[1], &t)) return false;
    *result = BOOL_VAL(t);
    return true;
}

// ---- binary dunders -----------------------------------------------------------------------------

// self <op> other (or other <op> self when reflected), for int's dunders: a bool operand counts
// as a plain int here, so int.__and__(True, False) is 0 as in CPython.
static bool int_binary(Vm *vm, const char *name, int op, bool reflected, Value *args, int nargs,
                       ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->int_class, args, nargs, kwnames, 1, 1)) return false;
    if (!IS_INTEGER(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    if (reflected) return num_int_values_op(vm, op, args[1], args[0], result) > 0;
    return num_int_values_op(vm, op, args[0], args[1], result) > 0;
}

// One line per dunder: the C name, the Python name, the operator and whether it is reflected.
#define INT_BINARY(fn, name, op, reflected)                                                        \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return int_binary(vm, name, op, reflected, args, nargs, kwnames, result);                  \
    }
INT_BINARY(int_add, "__add__", BINOP_ADD, false)
INT_BINARY(int_radd, "__radd__", BINOP_ADD, true)
INT_BINARY(int_sub, "__sub__", BINOP_SUB, false)
INT_BINARY(int_rsub, "__rsub__", BINOP_SUB, true)
INT_BINARY(int_mul, "__mul__", BINOP_MUL, false)
INT_BINARY(int_rmul, "__rmul__", BINOP_MUL, true)
INT_BINARY(int_truediv, "__truediv__", BINOP_DIV, false)
INT_BINARY(int_rtruediv, "__rtruediv__", BINOP_DIV, true)
INT_BINARY(int_floordiv, "__floordiv__", BINOP_FLOORDIV, false)
INT_BINARY(int_rfloordiv, "__rfloordiv__", BINOP_FLOORDIV, true)
INT_BINARY(int_mod, "__mod__", BINOP_MOD, false)
INT_BINARY(int_rmod, "__rmod__", BINOP_MOD, true)
INT_BINARY(int_lshift, "__lshift__", BINOP_LSHIFT, false)
INT_BINARY(int_rlshift, "__rlshift__", BINOP_LSHIFT, true)
INT_BINARY(int_rshift, "__rshift__", BINOP_RSHIFT, false)
INT_BINARY(int_rrshift, "__rrshift__", BINOP_RSHIFT, true)
INT_BINARY(int_and, "__and__", BINOP_BITAND, false)
INT_BINARY(int_rand, "__rand__", BINOP_BITAND, true)
INT_BINARY(int_or, "__or__", BINOP_BITOR, false)
INT_BINARY(int_ror, "__ror__", BINOP_BITOR, true)
INT_BINARY(int_xor, "__xor__", BINOP_BITXOR, false)
INT_BINARY(int_rxor, "__rxor__", BINOP_BITXOR, true)

static bool int_divmod_impl(Vm *vm, const char *name, bool reflected, Value *args, int nargs,
                            ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->int_class, args, nargs, kwnames, 1, 1)) return false;
    if (!IS_INTEGER(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    Value q, r;
    if (!big_divmod(vm, args[reflected ? 1 : 0], args[reflected ? 0 : 1], &q, &r)) return false;
    vm_push_root(vm, q);
    vm_push_root(vm, r);
    tuple_pair_result(vm, q, r, result);
    vm_pop_roots(vm, 2);
    return true;
}

static bool int_divmod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_divmod_impl(vm, "__divmod__", false, args, nargs, kwnames, result);
}

static bool int_rdivmod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_divmod_impl(vm, "__rdivmod__", true, args, nargs, kwnames, result);
}

// __pow__(self, other, mod=None) and __rpow__(self, other, mod=None).
static bool int_pow_impl(Vm *vm, const char *name, bool reflected, Value *args, int nargs,
                         ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, name, vm->int_class, args, nargs, kwnames, 1, 2)) return false;
    Value mod = nargs > 2 ? args[2] : NONE_VAL();
    if (!IS_INTEGER(args[1]) || !(IS_NONE(mod) || IS_INTEGER(mod))) {
        *result = vm->not_implemented;
        return true;
    }
    Value a = args[0], b = args[1];
    if (reflected) {
        a = args[1];
        b = args[0];
    }
    if (IS_NONE(mod)) return num_int_values_op(vm, BINOP_POW, a, b, result) > 0;
    return big_powmod(vm, a, b, mod, result);
}

static bool int_pow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_pow_impl(vm, "__pow__", false, args, nargs, kwnames, result);
}

static bool int_rpow(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return int_pow_impl(vm, "__rpow__", true, args, nargs, kwnames, result);
}

// Comparisons: only against another int (int.__lt__(1, 2.5) is NotImplemented; the reflected
// float.__gt__ answers).
static bool int_compare(Vm *vm, const char *name, int op, Value *args, int nargs, ObjTuple *kwnames,
                        Value *result) {
    if (!num_check_dunder(vm, name, vm->int_class, args, nargs, kwnames, 1, 1)) return false;
    if (!IS_INTEGER(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    return number_compare(vm, op, args[0], args[1], result) > 0;
}

#define INT_COMPARE(fn, name, op)                                                                  \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return int_compare(vm, name, op, args, nargs, kwnames, result);                            \
    }
INT_COMPARE(int_eq, "__eq__", CMP_EQ)
INT_COMPARE(int_ne, "__ne__", CMP_NE)
INT_COMPARE(int_lt, "__lt__", CMP_LT)
INT_COMPARE(int_le, "__le__", CMP_LE)
INT_COMPARE(int_gt, "__gt__", CMP_GT)
INT_COMPARE(int_ge, "__ge__", CMP_GE)

// bool's own &, | and ^: a bool with a bool stays a bool, with any other int it is int's.
static bool bool_binary(Vm *vm, const char *name, int op, Value *args, int nargs, ObjTuple *kwnames,
                        Value *result) {
    if (!num_check_dunder(vm, name, vm->bool_class, args, nargs, kwnames, 1, 1)) return false;
    if (!IS_INTEGER(args[1])) {
        *result = vm->not_implemented;
        return true;
    }
    return number_binary_op(vm, op, args[0], args[1], result) > 0; // the operators commute
}

#define BOOL_BINARY(fn, name, op)                                                                  \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return bool_binary(vm, name, op, args, nargs, kwnames, result);                            \
    }
BOOL_BINARY(bool_and, "__and__", BINOP_BITAND)
BOOL_BINARY(bool_rand, "__rand__", BINOP_BITAND)
BOOL_BINARY(bool_or, "__or__", BINOP_BITOR)
BOOL_BINARY(bool_ror, "__ror__", BINOP_BITOR)
BOOL_BINARY(bool_xor, "__xor__", BINOP_BITXOR)
BOOL_BINARY(bool_rxor, "__rxor__", BINOP_BITXOR)

static bool bool_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__repr__", vm->bool_class, args, nargs, kwnames, 0, 0)) return false;
    *result = OBJ_VAL(num_repr(vm, args[0]));
    return true;
}

// ---- unary dunders and conversions --------------------------------------------------------------

static bool int_neg(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__neg__", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    return number_unary_op(vm, UNARY_NEG, args[0], result) > 0;
}

static bool int_invert(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__invert__", vm->int_class, args, nargs, kwnames, 0, 0))
        return false;
    if (IS_BIGINT(args[0])) return big_unary_op(vm, UNARY_INVERT, args[0], result) > 0;
    *result = INT_VAL(~AS_INTLIKE(args[0]));
    return true;
}

static bool int_abs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__abs__", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    return big_abs(vm, args[0], result);
}

static bool int_bool(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__bool__", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    *result = BOOL_VAL(IS_BIGINT(args[0]) || AS_INTLIKE(args[0]) != 0);
    return true;
}

static bool int_float(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__float__", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    double d;
    if (!big_to_double(vm, args[0], &d)) return false;
    *result = FLOAT_VAL(d);
    return true;
}

static bool int_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__hash__", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)big_hash(args[0]));
    return true;
}

static bool int_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_dunder(vm, "__repr__", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    ObjStr *s = num_repr(vm, IS_BOOL(args[0]) ? INT_VAL(AS_INTLIKE(args[0])) : args[0]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// self as a plain int (a bool becomes 0 or 1).
static Value plain_int(Value v) { return IS_BOOL(v) ? INT_VAL(AS_INTLIKE(v)) : v; }

// The dunders that return the int itself (as an int, never a bool): __pos__, __int__,
// __index__, __trunc__, __floor__, __ceil__.
static bool int_identity(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames,
                         Value *result) {
    if (!num_check_dunder(vm, name, vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    *result = plain_int(args[0]);
    return true;
}

// __trunc__, __floor__ and __ceil__ are methods, not wrappers, in CPython: their messages differ.
static bool int_identity_method(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames,
                                Value *result) {
    if (!num_check_method(vm, name, vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    *result = plain_int(args[0]);
    return true;
}

#define INT_IDENTITY(fn, name, check)                                                              \
    static bool fn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {             \
        return check(vm, name, args, nargs, kwnames, result);                                      \
    }
INT_IDENTITY(int_pos, "__pos__", int_identity)
INT_IDENTITY(int_int, "__int__", int_identity)
INT_IDENTITY(int_index, "__index__", int_identity)
INT_IDENTITY(int_trunc, "__trunc__", int_identity_method)
INT_IDENTITY(int_floor, "__floor__", int_identity_method)
INT_IDENTITY(int_ceil, "__ceil__", int_identity_method)
INT_IDENTITY(int_conjugate, "conjugate", int_identity_method)

static bool int_round(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "__round__", vm->int_class, args, nargs, kwnames, 0, 1)) return false;
    Value ndigits = INT_VAL(0);
    if (nargs > 1 && !num_index_value(vm, args[1], &ndigits)) return false;
    return big_round(vm, plain_int(args[0]), ndigits, result);
}

static bool int_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "__format__", vm->int_class, args, nargs, kwnames, 1, 1))
        return false;
    return num_format(vm, args[0], args[1], result);
}

static bool int_getnewargs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "__getnewargs__", vm->int_class, args, nargs, kwnames, 0, 0))
        return false;
    ObjTuple *t = tuple_new(vm, 1);
    t->items[0] = plain_int(args[0]);
    *result = OBJ_VAL(t);
    return true;
}

// ---- methods ------------------------------------------------------------------------------------

static bool int_bit_length(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "bit_length", vm->int_class, args, nargs, kwnames, 0, 0))
        return false;
    *result = INT_VAL((int64_t)big_bit_length(args[0]));
    return true;
}

static bool int_bit_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "bit_count", vm->int_class, args, nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)big_bit_count(args[0]));
    return true;
}

static bool int_as_integer_ratio(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!num_check_method(vm, "as_integer_ratio", vm->int_class, args, nargs, kwnames, 0, 0))
        return false;
    return tuple_pair_result(vm, plain_int(args[0]), INT_VAL(1), result);
}

// The byteorder argument of to_bytes and from_bytes ('big' when omitted): true for little-endian.
static bool byteorder_arg(Vm *vm, const char *fname, Value v, bool *little) {
    if (IS_EMPTY(v)) {
        *little = false;
        return true;
    }
    if (!IS_STR(v))
        return vm_raise(vm, vm->TypeError, "%s() argument 'byteorder' must be str, not %s", fname,
                        arg_type_name(vm, v));
    const char *s = AS_STR(v)->chars;
    if (strcmp(s, "little") != 0 && strcmp(s, "big") != 0)
        return vm_raise(vm, vm->ValueError, "byteorder must be either 'little' or 'big'");
    *little = s[0] == 'l';
    return true;
}

// Splits the arguments of to_bytes / from_bytes: two positional-or-keyword, then keyword-only
// `signed`.
static bool bytes_args(Vm *vm, const char *fname, const char *first, Value *args, int nargs,
                       ObjTuple *kwnames, Value out[3]) {
    if (nargs > 3)
        return vm_raise(vm, vm->TypeError, "%s() takes at most 2 positional arguments (%d given)",
                        fname, nargs - 1);
    const char *const names[] = {first, "byteorder", "signed", NULL};
    return parse_args(vm, fname, args + 1, nargs - 1, kwnames, names, 0, out);
}

// int.to_bytes(length=1, byteorder='big', *, signed=False)
static bool int_to_bytes(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs == 0 || !IS_INTEGER(args[0])) // no self, or not an int: the check raises
        return num_check_method(vm, "to_bytes", vm->int_class, args, nargs, NULL, 0, 0);
    Value a[3];
    if (!bytes_args(vm, "to_bytes", "length", args, nargs, kwnames, a)) return false;
    int64_t length = 1;
    bool little, is_signed = false;
    if (IS_BIGINT(a[0]))
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C ssize_t");
    if (!IS_EMPTY(a[0]) && !num_index(vm, a[0], &length)) return false;
    if (!byteorder_arg(vm, "to_bytes", a[1], &little)) return false;
    if (!IS_EMPTY(a[2]) && !vm_truthy(vm, a[2], &is_signed)) return false;
    if (length < 0) return vm_raise(vm, vm->ValueError, "length argument must be non-negative");
    // The bytes are allocated first, as in CPython: a length memory cannot hold is MemoryError
    // whatever the value.  A terabyte or more is refused before asking (AddressSanitizer aborts
    // on such a request).
    unsigned char *buf = (uint64_t)length < ((uint64_t)1 << 40) ? calloc((size_t)length + 1, 1) : NULL;
    if (!buf) return vm_raise_value(vm, OBJ_VAL(vm->MemoryError));
    BigScratch scratch;
    mpz_srcptr v = big_view(args[0], &scratch);
    if (mpz_sgn(v) < 0 && !is_signed) {
        free(buf);
        return vm_raise(vm, vm->OverflowError, "can't convert negative int to unsigned");
    }
    // Does v fit in `length` bytes?  Unsigned needs its bits; signed one more for the sign.  A
    // negative v needs the bits of -v-1 (~v), as two's complement stores it.
    if (!big_room(vm, (double)mpz_size(v), BIG_PEAK_COPY)) {
        free(buf);
        return false;
    }
    mpz_t t;
    mpz_init(t);
    if (mpz_sgn(v) < 0) mpz_com(t, v);
    else mpz_set(t, v);
    uint64_t bits = mpz_sgn(t) == 0 ? 0 : mpz_sizeinbase(t, 2);
    if (is_signed) bits++;
    if ((bits + 7) / 8 > (uint64_t)length) { // (a huge length would overflow length * 8)
        mpz_clear(t);
        free(buf);
        return vm_raise(vm, vm->OverflowError, "int too big to convert");
    }
    // Two's complement: a negative v is stored as 2**(8*length) + v, that is ~(-v-1) byte by byte.
    size_t count = 0;
    if (mpz_sgn(t) != 0) {
        size_t need = (mpz_sizeinbase(t, 2) + 7) / 8;
        mpz_export(buf + (size_t)length - need, &count, 1, 1, 1, 0, t); // most significant first
    }
    mpz_clear(t);
    if (mpz_sgn(v) < 0)
        for (int64_t i = 0; i < length; i++) buf[i] = (unsigned char)~buf[i];
    if (little)
        for (int64_t i = 0, j = length - 1; i < j; i++, j--) {
            unsigned char c = buf[i];
            buf[i] = buf[j];
            buf[j] = c;
        }
    ObjBytes *b = bytes_new(vm, buf, (size_t)length);
    free(buf);
    *result = OBJ_VAL(b);
    return true;
}

// The bytes of from_bytes' argument: a bytes object, or any iterable of ints in range(256).
static ObjBytes *bytes_of(Vm *vm, Value v) {
    if (IS_BYTES(v)) return AS_BYTES(v);
    ByteSpan span;
    int r = bytes_like(vm, v, &span);
    if (r < 0) return NULL;
    if (r > 0) return bytes_new(vm, span.data, span.length);
    // A str, or anything that cannot be iterated, is refused with the same message.
    Value it = v;
    bool iterable = !IS_STR(v) && vm_iter(vm, v, &it);
    if (!iterable && !IS_STR(v)) {
        if (!vm_exception_matches(vm, vm->TypeError)) return NULL;
        vm_clear_exception(vm);
    }
    if (!iterable) {
        vm_raise(vm, vm->TypeError, "cannot convert '%s' object to bytes", vm_type_name(vm, v));
        return NULL;
    }
    vm_push_root(vm, it);
    ObjList *items = vm_list_from_iterable(vm, it);
    vm_pop_root(vm);
    if (!items) return NULL;
    vm_push_root(vm, OBJ_VAL(items));
    unsigned char *buf = malloc(items->count + 1);
    if (!buf) abort();
    ObjBytes *b = NULL;
    size_t i = 0;
    for (; i < items->count; i++) {
        int64_t n;
        if (!num_index(vm, items->items[i], &n)) break;
        if (n < 0 || n > 255) {
            vm_raise(vm, vm->ValueError, "bytes must be in range(0, 256)");
            break;
        }
        buf[i] = (unsigned char)n;
    }
    if (i == items->count) b = bytes_new(vm, buf, items->count);
    free(buf);
    vm_pop_root(vm);
    return b;
}

// int.from_bytes(bytes, byteorder='big', *, signed=False), a classmethod.
static bool int_from_bytes(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[3];
    if (!bytes_args(vm, "from_bytes", "bytes", args, nargs, kwnames, a)) return false;
    if (IS_EMPTY(a[0]))
        return vm_raise(vm, vm->TypeError,
                        "from_bytes() missing required argument 'bytes' (pos 1)");
    bool little, is_signed = false;
    if (!byteorder_arg(vm, "from_bytes", a[1], &little)) return false;
    if (!IS_EMPTY(a[2]) && !vm_truthy(vm, a[2], &is_signed)) return false;
    ObjBytes *b = bytes_of(vm, a[0]);
    if (!b) return false;
    size_t n = b->length;
    // Read most significant first.  A negative number is read inverted (so it has leading
    // zeros like a positive one) and turned back with -u - 1.
    bool negative = is_signed && n > 0 && (b->data[little ? n - 1 : 0] & 0x80);
    if (!big_room(vm, (double)n / 8, BIG_PEAK_BITS)) return false;
    mpz_t z;
    mpz_init(z);
    vm_push_root(vm, OBJ_VAL(b)); // GMP's allocation may collect
    if (n > 0) mpz_import(z, n, little ? -1 : 1, 1, 1, 0, b->data);
    vm_pop_root(vm);
    if (negative) { // the bytes held 2**(8n) + v
        mpz_t unit;
        mpz_init(unit);
        mpz_setbit(unit, 8 * n);
        mpz_sub(z, z, unit);
        mpz_clear(unit);
    }
    bool as_bool = IS_CLASS(args[0]) && AS_CLASS(args[0]) == vm->bool_class;
    if (as_bool) {
        *result = BOOL_VAL(mpz_sgn(z) != 0);
        mpz_clear(z);
        return true;
    }
    *result = int_from_mpz(vm, z);
    return true;
}

// ---- properties ---------------------------------------------------------------------------------

static bool int_get_self(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = plain_int(args[0]);
    return true;
}

static bool int_get_zero(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL(0);
    return true;
}

static bool int_get_one(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = INT_VAL(1);
    return true;
}

void num_define_property(Vm *vm, ObjClass *cls, const char *name, NativeFn getter) {
    ObjNative *fn = native_new(vm, name, getter, cls);
    vm_push_root(vm, OBJ_VAL(fn));
    ObjWrapper *p =
        wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(fn), NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(p));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(p));
    vm_pop_roots(vm, 2);
}

void num_define_classmethod(Vm *vm, ObjClass *cls, const char *name, NativeFn fn) {
    ObjNative *n = native_new(vm, name, fn, cls);
    n->is_classmethod = true;
    vm_push_root(vm, OBJ_VAL(n));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(n));
    vm_pop_root(vm);
}

// clang-format off
// The natives of int's class dict: CPython's int.__dict__ less __sizeof__ and __getattribute__.
static const MethodDef int_methods[] = {
    {"__new__", int_new}, {"__repr__", int_repr}, {"__hash__", int_hash},
    {"__bool__", int_bool}, {"__int__", int_int}, {"__float__", int_float},
    {"__index__", int_index}, {"__format__", int_format}, {"__getnewargs__", int_getnewargs},
    {"__add__", int_add}, {"__radd__", int_radd}, {"__sub__", int_sub}, {"__rsub__", int_rsub},
    {"__mul__", int_mul}, {"__rmul__", int_rmul}, {"__truediv__", int_truediv},
    {"__rtruediv__", int_rtruediv}, {"__floordiv__", int_floordiv},
    {"__rfloordiv__", int_rfloordiv}, {"__mod__", int_mod}, {"__rmod__", int_rmod},
    {"__divmod__", int_divmod}, {"__rdivmod__", int_rdivmod}, {"__pow__", int_pow},
    {"__rpow__", int_rpow}, {"__lshift__", int_lshift}, {"__rlshift__", int_rlshift},
    {"__rshift__", int_rshift}, {"__rrshift__", int_rrshift}, {"__and__", int_and},
    {"__rand__", int_rand}, {"__or__", int_or}, {"__ror__", int_ror}, {"__xor__", int_xor},
    {"__rxor__", int_rxor}, {"__neg__", int_neg}, {"__pos__", int_pos},
    {"__invert__", int_invert}, {"__abs__", int_abs}, {"__eq__", int_eq}, {"__ne__", int_ne},
    {"__lt__", int_lt}, {"__le__", int_le}, {"__gt__", int_gt}, {"__ge__", int_ge},
    {"__trunc__", int_trunc}, {"__floor__", int_floor}, {"__ceil__", int_ceil},
    {"__round__", int_round}, {"conjugate", int_conjugate}, {"bit_length", int_bit_length},
    {"bit_count", int_bit_count}, {"as_integer_ratio", int_as_integer_ratio},
    {"to_bytes", int_to_bytes}, {NULL, NULL}};

// bool adds only its own repr and the &, |, ^ that keep two bools a bool.
static const MethodDef bool_methods[] = {
    {"__new__", bool_new}, {"__repr__", bool_repr}, {"__and__", bool_and},
    {"__rand__", bool_rand}, {"__or__", bool_or}, {"__ror__", bool_ror},
    {"__xor__", bool_xor}, {"__rxor__", bool_rxor}, {NULL, NULL}};
// clang-format on

void int_init_class(Vm *vm) {
    ObjClass *cls = vm->int_class;
    define_methods(vm, cls, int_methods);
    num_define_classmethod(vm, cls, "from_bytes", int_from_bytes);
    num_define_property(vm, cls, "real", int_get_self);
    num_define_property(vm, cls, "imag", int_get_zero);
    num_define_property(vm, cls, "numerator", int_get_self);
    num_define_property(vm, cls, "denominator", int_get_one);

    define_methods(vm, vm->bool_class, bool_methods);
}
