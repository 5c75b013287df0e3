/* Integer enumerations written in C, for modules whose CPython constants are IntEnum members
 * (socket.AddressFamily, socket.SocketKind): `socket.AF_INET` prints as 2 but its repr is
 * `<AddressFamily.AF_INET: 2>`.
 *
 * aio's ints are immediate values without a class, so a member cannot be an int.  It is an
 * instance of the enum class whose dict holds `_name_` and `_value_` (an int), and the class
 * gives it the int behaviour programs rely on: ==, ordering and hash as its value (so members
 * and ints mix as dict keys), __index__ and __int__ (so every int argument accepts it), str()
 * and format() as the number, and the bitwise and arithmetic operators returning plain ints.
 * `isinstance(AF_INET, int)` is False, unlike CPython.
 *
 * Each class keeps `_value2member_map_` (value -> member); calling the class with a value returns
 * that member, as Enum's lookup does, and intenum_member() converts values in C.
 */
#include <string.h>

#include "bigint.h"
#include "modinit.h"

static ObjClass *intenum_marker_owner(Value v) { return IS_INSTANCE(v) ? AS_OBJ(v)->cls : NULL; }

// The value of a member, or false when v is not a member of an enum made here.
static bool member_value(Vm *vm, Value v, int64_t *out) {
    ObjClass *cls = intenum_marker_owner(v);
    if (!cls || IS_EMPTY(class_lookup(cls, str_from_c(vm, "_value2member_map_")))) return false;
    Value value = dict_get_str(AS_INSTANCE(v)->dict, str_from_c(vm, "_value_"));
    if (!IS_INT(value)) return false;
    *out = AS_INT(value);
    return true;
}

static bool self_value(Vm *vm, Value *args, int nargs, int64_t *out) {
    *out = 0; // set on every path, so that gcc sees the callers' locals initialized
    if (nargs >= 1 && member_value(vm, args[0], out)) return true;
    return vm_raise(vm, vm->TypeError, "descriptor requires an enum member");
}

static Value member_name(Vm *vm, Value member) {
    return dict_get_str(AS_INSTANCE(member)->dict, str_from_c(vm, "_name_"));
}

Value intenum_member(Vm *vm, ObjClass *cls, int64_t value) {
    Value map = class_lookup(cls, str_from_c(vm, "_value2member_map_"));
    Value member;
    if (IS_DICT(map) && dict_get(vm, AS_DICT(map), INT_VAL(value), &member) == 1) return member;
    return INT_VAL(value);
}

// ---- the methods --------------------------------------------------------------------------------

// Cls(value): the member with that value.
static bool enum_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2 || kwnames || !IS_CLASS(args[0]))
        return vm_raise(vm, vm->TypeError, "an enum lookup takes exactly one value");
    ObjClass *cls = AS_CLASS(args[0]);
    int64_t value;
    if (member_value(vm, args[1], &value) || (IS_INTLIKE(args[1]) && (value = AS_INTLIKE(args[1]), true))) {
        Value member = intenum_member(vm, cls, value);
        if (!IS_INTLIKE(member)) {
            *result = member;
            return true;
        }
    }
    ObjStr *r = vm_repr(vm, args[1]);
    if (!r) return false;
    return vm_raise(vm, vm->ValueError, "%s is not a valid %s", r->chars, cls->qualname->chars);
}

static bool enum_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    Value name = member_name(vm, args[0]);
    *result = OBJ_VAL(str_printf(vm, "<%s.%s: %lld>", AS_OBJ(args[0])->cls->name->chars,
                                 IS_STR(name) ? AS_STR(name)->chars : "?", (long long)value));
    return true;
}

static bool enum_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = OBJ_VAL(str_printf(vm, "%lld", (long long)value));
    return true;
}

static bool enum_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    if (nargs != 2 || !IS_STR(args[1])) return vm_raise(vm, vm->TypeError, "format spec must be a str");
    ObjStr *s = format_value(vm, INT_VAL(value), AS_STR(args[1]));
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

static bool enum_int(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = INT_VAL(value);
    return true;
}

static bool enum_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = INT_VAL((int64_t)hash_int(value));
    return true;
}

static bool enum_bool(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = BOOL_VAL(value != 0);
    return true;
}

static bool enum_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = member_name(vm, args[0]);
    return true;
}

// The other operand as an int: a member's value, an int or a bool; else the operator answers
// NotImplemented.
static bool operand_value(Vm *vm, Value v, Value *out) {
    int64_t value;
    if (member_value(vm, v, &value)) {
        *out = INT_VAL(value);
        return true;
    }
    if (IS_INTEGER(v) || IS_FLOAT(v)) {
        *out = v;
        return true;
    }
    return false;
}

// Every binary operator and comparison: the same operation on the plain values.
static bool enum_binary(Vm *vm, Value *args, int nargs, bool reflected, int op, bool compare, Value *result) {
    int64_t value;
    Value other;
    if (!self_value(vm, args, nargs, &value)) return false;
    if (nargs != 2 || !operand_value(vm, args[1], &other)) {
        *result = vm->not_implemented;
        return true;
    }
    Value a = INT_VAL(value), b = other;
    if (reflected) {
        a = other;
        b = INT_VAL(value);
    }
    int r = compare ? number_compare(vm, op, a, b, result) : number_binary_op(vm, op, a, b, result);
    if (r < 0) return false;
    if (r == 0) *result = vm->not_implemented;
    return true;
}

#define ENUM_OP(fname, op, reflected, compare)                                                     \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {          \
        return enum_binary(vm, args, nargs, reflected, op, compare, result);                       \
    }
ENUM_OP(enum_eq, CMP_EQ, false, true)
ENUM_OP(enum_ne, CMP_NE, false, true)
ENUM_OP(enum_lt, CMP_LT, false, true)
ENUM_OP(enum_le, CMP_LE, false, true)
ENUM_OP(enum_gt, CMP_GT, false, true)
ENUM_OP(enum_ge, CMP_GE, false, true)
ENUM_OP(enum_or, BINOP_BITOR, false, false)
ENUM_OP(enum_ror, BINOP_BITOR, true, false)
ENUM_OP(enum_and, BINOP_BITAND, false, false)
ENUM_OP(enum_rand, BINOP_BITAND, true, false)
ENUM_OP(enum_xor, BINOP_BITXOR, false, false)
ENUM_OP(enum_rxor, BINOP_BITXOR, true, false)
ENUM_OP(enum_add, BINOP_ADD, false, false)
ENUM_OP(enum_radd, BINOP_ADD, true, false)
ENUM_OP(enum_sub, BINOP_SUB, false, false)
ENUM_OP(enum_rsub, BINOP_SUB, true, false)

// -member, +member, abs(member): plain ints, as on an IntEnum (-signal.SIGTERM is -15).
static bool enum_neg(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = INT_VAL(-value);
    return true;
}

static bool enum_pos(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = INT_VAL(value);
    return true;
}

static bool enum_abs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t value;
    if (!self_value(vm, args, nargs, &value)) return false;
    *result = INT_VAL(value < 0 ? -value : value);
    return true;
}

static const MethodDef enum_methods[] = {
    {"__new__", enum_new},   {"__repr__", enum_repr}, {"__str__", enum_str},   {"__format__", enum_format},
    {"__int__", enum_int},   {"__index__", enum_int}, {"__hash__", enum_hash}, {"__bool__", enum_bool},
    {"__eq__", enum_eq},     {"__ne__", enum_ne},     {"__lt__", enum_lt},     {"__le__", enum_le},
    {"__gt__", enum_gt},     {"__ge__", enum_ge},     {"__or__", enum_or},     {"__ror__", enum_ror},
    {"__and__", enum_and},   {"__rand__", enum_rand}, {"__xor__", enum_xor},   {"__rxor__", enum_rxor},
    {"__add__", enum_add},   {"__radd__", enum_radd}, {"__sub__", enum_sub},   {"__rsub__", enum_rsub},
    {"__neg__", enum_neg},   {"__pos__", enum_pos},   {"__abs__", enum_abs},
    {NULL, NULL},
};

ObjClass *intenum_class(Vm *vm, ObjModule *m, const char *name, const IntEnumMember *members) {
    ObjClass *cls = mod_class(vm, m, name, vm->object_class, OBJ_INSTANCE);
    cls->flags &= ~CLASS_BUILTIN; // members are plain instances with a dict
    vm_push_root(vm, OBJ_VAL(cls));
    define_methods(vm, cls, enum_methods);
    mod_property(vm, cls, "name", enum_name);
    mod_property(vm, cls, "value", enum_int);
    ObjDict *map = dict_new(vm);
    dict_set_cstr(vm, cls->dict, "_value2member_map_", OBJ_VAL(map));
    for (const IntEnumMember *e = members; e->name; e++) {
        Value existing;
        if (dict_get(vm, map, INT_VAL(e->value), &existing) == 1) { // an alias: the first name wins
            dict_set_cstr(vm, cls->dict, e->name, existing);
            mod_set(vm, m, e->name, existing);
            continue;
        }
        ObjInstance *member = instance_new(vm, cls);
        vm_push_root(vm, OBJ_VAL(member));
        dict_set_cstr(vm, member->dict, "_name_", OBJ_VAL(str_from_c(vm, e->name)));
        dict_set_cstr(vm, member->dict, "_value_", INT_VAL(e->value));
        dict_set(vm, map, INT_VAL(e->value), OBJ_VAL(member));
        dict_set_cstr(vm, cls->dict, e->name, OBJ_VAL(member));
        mod_set(vm, m, e->name, OBJ_VAL(member));
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return cls;
}
