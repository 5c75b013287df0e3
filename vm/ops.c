/* The object protocol: truth, equality, hashing, repr/str, operators, subscripts, iteration.
 *
 * Each operation has an inline path for the values that dominate real programs (numbers go to
 * number.c, strings are compared and hashed here) and otherwise dispatches to the dunder methods
 * of the value's class, in the order CPython documents: a.__add__(b), then b.__radd__(a);
 * NotImplemented from a method means "try the other side".
 *
 * Three rules hold for every dunder lookup in this file, and a newcomer cannot guess them:
 *   - Dunders are looked up on the CLASS (class_lookup, along the bases), never in the instance's
 *     own __dict__: `obj.__len__ = f` does not change what len(obj) does, as in CPython.
 *   - The function found is called unbound, with the object as its first argument: no bound
 *     method is made, so an operator costs one call and no allocation.
 *   - `__hash__ = None` marks an unhashable class (vm_hash); the operator helpers (try_binary,
 *     try_compare) likewise treat a dunder set to None as missing.  Elsewhere None is found and
 *     called, and the call fails ("'NoneType' object is not callable").
 * The bytecode loop (vm/vm.c) has its own fast paths for int and float operands before it calls
 * vm_binary_op or vm_compare; the paths here must give the same answers for those operands.
 */
#include <string.h>

#include "dict.h"
#include "error.h"
#include "frame.h"
#include "hash.h"
#include "hooks.h"

// The class of any value.  Immediates (None, bools, small ints, floats) carry no header, so their
// class comes from the Vm; heap objects point at theirs.
ObjClass *vm_class_of(Vm *vm, Value v) {
    switch (v.tag) {
    case VAL_NONE: return vm->none_class;
    case VAL_BOOL: return vm->bool_class;
    case VAL_INT: return vm->int_class;
    case VAL_FLOAT: return vm->float_class;
    case VAL_OBJ: return AS_OBJ(v)->cls;
    default: return vm->none_class;
    }
}

const char *vm_type_name(Vm *vm, Value v) { return vm_class_of(vm, v)->name->chars; }

bool vm_is_instance(Vm *vm, Value v, ObjClass *cls) { return class_is_subclass(vm_class_of(vm, v), cls); }

// Calls a dunder found on the class of `self` (not in its instance dict).  0: the class has none;
// 1 called; -1 error.  Used where a missing method has a fallback of its own (__bool__ falls back
// on __len__, __contains__ on iteration ...), so "none" must not raise.
static int call_dunder(Vm *vm, Value self, ObjStr *name, Value *args, int nargs, Value *out) {
    return vm_call_method(vm, self, name, args, nargs, out);
}

// ---- truth, equality, hashing -------------------------------------------------------------------

// bool(v).  The order is the language's: a built-in value by its own rule, else __bool__ (which
// must return a bool), else __len__ (nonzero is true), else every object is true.
bool vm_truthy(Vm *vm, Value v, bool *out) {
    switch (v.tag) {
    case VAL_NONE:
    case VAL_EMPTY: *out = false; return true;
    case VAL_BOOL: *out = AS_BOOL(v); return true;
    case VAL_INT: *out = AS_INT(v) != 0; return true;
    case VAL_FLOAT: *out = AS_FLOAT(v) != 0.0; return true;
    case VAL_OBJ: break;
    }
    Obj *o = AS_OBJ(v);
    switch (o->kind) {
    case OBJ_STR: *out = ((ObjStr *)o)->length != 0; return true;
    case OBJ_BYTES: *out = ((ObjBytes *)o)->length != 0; return true;
    case OBJ_LIST: *out = ((ObjList *)o)->count != 0; return true;
    case OBJ_TUPLE: *out = ((ObjTuple *)o)->count != 0; return true;
    case OBJ_DICT: *out = ((ObjDict *)o)->used != 0; return true;
    case OBJ_SET: *out = ((ObjSet *)o)->used != 0; return true;
    case OBJ_BIGINT: *out = true; return true; // never zero: zero is an immediate int
    default: break;
    }
    Value r;
    int found = call_dunder(vm, v, vm->s_bool, NULL, 0, &r);
    if (found < 0) return false;
    if (found) {
        if (!IS_BOOL(r))
            return vm_raise(vm, vm->TypeError, "__bool__ should return bool, returned %s", vm_type_name(vm, r));
        *out = AS_BOOL(r);
        return true;
    }
    found = call_dunder(vm, v, vm->s_len, NULL, 0, &r);
    if (found < 0) return false;
    if (found) {
        if (!IS_INTLIKE(r))
            return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer", vm_type_name(vm, r));
        if (AS_INTLIKE(r) < 0) return vm_raise(vm, vm->ValueError, "__len__() should return >= 0");
        *out = AS_INTLIKE(r) != 0;
        return true;
    }
    *out = true;
    return true;
}

// a == b as a C bool, for containers (list.index, `in`, dict keys ...).  Identity implies
// equality here, as in CPython's containers, except for floats: nan is not equal to itself, and
// a float is an immediate whose identity is its bits.  An __eq__ returning a non-bool is asked
// for its truth.
bool vm_equal(Vm *vm, Value a, Value b, bool *out) {
    if (value_is(a, b) && !IS_FLOAT(a)) {
        *out = true;
        return true;
    }
    if (IS_STR(a) && IS_STR(b)) {
        *out = str_equal(AS_STR(a), AS_STR(b));
        return true;
    }
    Value r;
    if (!vm_compare(vm, CMP_EQ, a, b, &r)) return false;
    if (IS_BOOL(r)) {
        *out = AS_BOOL(r);
        return true;
    }
    return vm_truthy(vm, r, out);
}

// The default hash of an object: its address, rotated so that the low bits, always zero from
// alignment, do not make every such hash land in the same dict buckets.
static uint64_t pointer_hash(const void *p) {
    uint64_t v = (uint64_t)(uintptr_t)p;
    return (v >> 4) | (v << 60);
}

// hash(v).  Equal values must hash equal across types (1 == 1.0 == True), which is why ints,
// bools, floats and big ints share the numeric hash of number.c.  Mutable containers are
// unhashable; objects of C kinds that compare by identity hash by address.  For instances the
// class decides: __hash__ = None (set by __build_class__ when a class defines __eq__ but not
// __hash__) means unhashable, object's own __hash__ means the address, anything else is called.
bool vm_hash(Vm *vm, Value v, uint64_t *out) {
    switch (v.tag) {
    case VAL_NONE: *out = 0xFCA86420u; return true;
    case VAL_BOOL:
    case VAL_INT: *out = hash_int(v.as.integer); return true;
    case VAL_FLOAT: *out = hash_float(AS_FLOAT(v)); return true;
    case VAL_EMPTY: *out = 0; return true;
    case VAL_OBJ: break;
    }
    Obj *o = AS_OBJ(v);
    switch (o->kind) {
    case OBJ_STR: *out = str_hash((ObjStr *)o); return true;
    case OBJ_BYTES: *out = bytes_hash_of((ObjBytes *)o); return true;
    case OBJ_BIGINT: *out = hash_mpz(AS_BIGINT(v)->value); return true;
    case OBJ_TUPLE: return hash_tuple(vm, (ObjTuple *)o, out);
    case OBJ_SET:
        if (((ObjSet *)o)->frozen) {
            *out = hash_frozenset((ObjSet *)o);
            return true;
        }
        /* fall through */
    case OBJ_LIST:
    case OBJ_DICT:
        return vm_raise(vm, vm->TypeError, "unhashable type: '%s'", o->cls->name->chars);
    case OBJ_CLASS:
    case OBJ_FUNCTION:
    case OBJ_NATIVE:
    case OBJ_MODULE:
    case OBJ_CODE:
    case OBJ_GENERATOR:
    case OBJ_CELL:
        *out = pointer_hash(o);
        return true;
    default: break;
    }
    Value h = class_lookup(o->cls, vm->s_hash);
    if (IS_NONE(h)) return vm_raise(vm, vm->TypeError, "unhashable type: '%s'", o->cls->name->chars);
    if (IS_EMPTY(h) || (IS_NATIVE(h) && AS_NATIVE(h)->owner == vm->object_class)) {
        *out = pointer_hash(o);
        return true;
    }
    Value r;
    if (!vm_call1(vm, h, v, &r)) return false;
    if (!IS_INTEGER(r)) return vm_raise(vm, vm->TypeError, "__hash__ method should return an integer");
    // As in CPython, the int __hash__ returns IS the hash, not re-hashed: only -1 (CPython's error
    // marker) becomes -2.  An int that does not fit in 64 bits is reduced as its own hash would be.
    if (IS_BIGINT(r)) {
        *out = hash_mpz(AS_BIGINT(r)->value);
        return true;
    }
    int64_t value = AS_INTLIKE(r);
    *out = (uint64_t)(value == -1 ? -2 : value);
    return true;
}

// ---- repr and str -------------------------------------------------------------------------------

// The result of a __repr__ or __str__ must be a str; `what` names the method in the error.
static ObjStr *checked_str(Vm *vm, Value r, const char *what) {
    if (!IS_STR(r)) {
        vm_raise(vm, vm->TypeError, "%s returned non-string (type %s)", what, vm_type_name(vm, r));
        return NULL;
    }
    return AS_STR(r);
}

// repr(v).  The built-in values are formatted here directly; everything else calls __repr__,
// counted as a recursion level (REPR_WHERE) because a __repr__ can call repr on itself, and a
// list that contains itself would otherwise recurse until the C stack ends.
ObjStr *vm_repr(Vm *vm, Value v) {
    StrBuf sb;
    switch (v.tag) {
    case VAL_NONE: return str_from_c(vm, "None");
    case VAL_EMPTY: return str_from_c(vm, "<empty>");
    case VAL_BOOL: return str_from_c(vm, AS_BOOL(v) ? "True" : "False");
    case VAL_INT: return str_printf(vm, "%lld", (long long)AS_INT(v));
    case VAL_FLOAT:
        sb_init(&sb);
        vm_hooks.float_repr_into(AS_FLOAT(v), &sb);
        return str_from_buf(vm, &sb);
    case VAL_OBJ: break;
    }
    if (IS_STR(v)) {
        sb_init(&sb);
        vm_hooks.str_repr_into(AS_STR(v), &sb);
        return str_from_buf(vm, &sb);
    }
    if (IS_BIGINT(v)) return vm_hooks.bigint_repr(vm, v);
    if (!vm_enter_c_level(vm, REPR_WHERE)) return NULL;
    ObjStr *s = vm_repr_by_method(vm, v);
    vm_leave_c_level(vm);
    return s;
}

// __repr__ of v's class, without vm_repr's shortcuts (object.__str__ uses it for instances).
ObjStr *vm_repr_by_method(Vm *vm, Value v) {
    Value r;
    int found = call_dunder(vm, v, vm->s_repr, NULL, 0, &r);
    if (found < 0) return NULL;
    if (found == 0) return str_from_c(vm, "<object>");
    return checked_str(vm, r, "__repr__");
}

// str(v): a class's own __str__ if it has one; object's __str__ (inherited by nearly every class)
// would only call __repr__, so that case goes to vm_repr directly.
ObjStr *vm_str(Vm *vm, Value v) {
    if (IS_STR(v)) return AS_STR(v);
    if (!IS_OBJ(v)) return vm_repr(vm, v);
    Value m = class_lookup(AS_OBJ(v)->cls, vm->s_str);
    if (IS_EMPTY(m) || (IS_NATIVE(m) && AS_NATIVE(m)->owner == vm->object_class)) return vm_repr(vm, v);
    Value r;
    if (!vm_call1(vm, m, v, &r)) return NULL;
    return checked_str(vm, r, "__str__");
}

// ---- operators ----------------------------------------------------------------------------------
//
// How `a OP b` is decided (vm_binary_op), for operands the VM's inline int/float paths did not
// take:
//   1. str + str is joined here (the most common non-numeric operator);
//   2. number_binary_op (runtime/number.c, through vm_hooks) handles every pair of numbers: int, bool, float and big
//      int, in any mix.  It returns 0 when an operand is not a number, and then the dunders decide;
//   3. for `a OP= b` only: a.__iOP__(b), when a's class has it (list += extends in place);
//   4. a.__OP__(b), then b.__rOP__(a) when b's class differs from a's.  When b's class is a
//      subclass of a's and has a reflected method of its own (not the one a's class has), that
//      method is asked FIRST, so a subclass can override how it combines with its parent class.
//      A method that returns NotImplemented passes the turn on;
//   5. when nobody answered, TypeError with CPython's wording, which for sequences is special
//      ("can only concatenate", "can't multiply sequence by non-int").
// Comparisons (vm_compare) follow the same steps with the reflected operator (a < b asks
// b.__gt__(a)), and == / != fall back on identity instead of raising.

static const char *const binop_names[][3] = {
    // by BinaryOp: forward, reflected, in-place
    [BINOP_ADD] = {"__add__", "__radd__", "__iadd__"},
    [BINOP_SUB] = {"__sub__", "__rsub__", "__isub__"},
    [BINOP_MUL] = {"__mul__", "__rmul__", "__imul__"},
    [BINOP_MATMUL] = {"__matmul__", "__rmatmul__", "__imatmul__"},
    [BINOP_DIV] = {"__truediv__", "__rtruediv__", "__itruediv__"},
    [BINOP_FLOORDIV] = {"__floordiv__", "__rfloordiv__", "__ifloordiv__"},
    [BINOP_MOD] = {"__mod__", "__rmod__", "__imod__"},
    [BINOP_POW] = {"__pow__", "__rpow__", "__ipow__"},
    [BINOP_LSHIFT] = {"__lshift__", "__rlshift__", "__ilshift__"},
    [BINOP_RSHIFT] = {"__rshift__", "__rrshift__", "__irshift__"},
    [BINOP_BITOR] = {"__or__", "__ror__", "__ior__"},
    [BINOP_BITXOR] = {"__xor__", "__rxor__", "__ixor__"},
    [BINOP_BITAND] = {"__and__", "__rand__", "__iand__"},
};

static const char *const binop_symbols[] = {
    [BINOP_ADD] = "+", [BINOP_SUB] = "-", [BINOP_MUL] = "*", [BINOP_MATMUL] = "@",
    [BINOP_DIV] = "/", [BINOP_FLOORDIV] = "//", [BINOP_MOD] = "%", [BINOP_POW] = "** or pow()",
    [BINOP_LSHIFT] = "<<", [BINOP_RSHIFT] = ">>", [BINOP_BITOR] = "|", [BINOP_BITXOR] = "^",
    [BINOP_BITAND] = "&",
};

// The dunder name as an interned ObjStr, from a small cache in the Vm: class_lookup wants an
// ObjStr, and interning the C name again for every `a + b` on instances would hash it each time.
// The cache is a short list searched by text; names past its capacity are interned each time.
static ObjStr *binop_name(Vm *vm, const char *name) {
    for (int i = 0; i < vm->nbinop_names; i++)
        if (strcmp(vm->binop_names[i]->chars, name) == 0)
            return vm->binop_names[i];
    ObjStr *s = str_from_c(vm, name);
    if (vm->nbinop_names < (int)(sizeof vm->binop_names / sizeof vm->binop_names[0]))
        vm->binop_names[vm->nbinop_names++] = s;
    return s;
}

// Tries one dunder of self's class with (self, other): 1 gave a result, 0 not there (or None) or
// returned NotImplemented, -1 error.
static int try_binary(Vm *vm, Value self, const char *name, Value other, Value *out) {
    Value m = class_lookup(vm_class_of(vm, self), binop_name(vm, name));
    if (IS_EMPTY(m)) return 0; // one set to None is called, and fails, as in CPython
    Value args[2] = {self, other};
    if (!vm_call_operator_dunder(vm, m, args, 2, out)) return -1;
    return value_is(*out, vm->not_implemented) ? 0 : 1;
}

// a OP b, where op is BINARY_OP's argument (a BinaryOp, plus BINOP_INPLACE for `a OP= b`).  The
// order of the attempts is described above the operator tables.
bool vm_binary_op(Vm *vm, int op, Value a, Value b, Value *out) {
    if (binop_plain(op) == BINOP_ADD && IS_STR(a) && IS_STR(b)) {
        ObjStr *joined = str_concat(vm, AS_STR(a), AS_STR(b));
        if (!joined) return false;
        *out = OBJ_VAL(joined);
        return true;
    }
    int r = vm_hooks.number_binary_op(vm, op, a, b, out);
    if (r) return r > 0;
    bool inplace = binop_is_inplace(op);
    BinaryOp base = binop_plain(op);
    if (op < 0 || base >= BINOP_INPLACE) return vm_raise(vm, vm->TypeError, "bad operator");
    if (inplace) {
        r = try_binary(vm, a, binop_names[base][2], b, out);
        if (r) return r > 0;
    }
    ObjClass *ca = vm_class_of(vm, a), *cb = vm_class_of(vm, b);
    // A subclass's reflected method goes first, but only when the subclass has one that differs
    // from what the left operand's class has (a subclass that merely inherits __radd__ waits its
    // turn, as in CPython).  Comparisons have no such condition (compare_by_methods).
    bool reflected_first = false;
    if (ca != cb && class_is_subclass(cb, ca)) {
        ObjStr *reflected = binop_name(vm, binop_names[base][1]);
        Value in_b = class_lookup(cb, reflected);
        reflected_first = !IS_EMPTY(in_b) && !value_is(in_b, class_lookup(ca, reflected));
    }
    if (reflected_first) {
        r = try_binary(vm, b, binop_names[base][1], a, out);
        if (r) return r > 0;
    }
    r = try_binary(vm, a, binop_names[base][0], b, out);
    if (r) return r > 0;
    if (ca != cb && !reflected_first) {
        r = try_binary(vm, b, binop_names[base][1], a, out);
        if (r) return r > 0;
    }
    const char *sym = binop_symbols[base];
    char isym[16];
    if (inplace) {
        snprintf(isym, sizeof isym, "%s=", base == BINOP_POW ? "**" : sym);
        sym = isym;
    }
    if (base == BINOP_ADD && (IS_STR(a) || IS_LIST(a) || IS_TUPLE(a) || IS_BYTES(a)) && !inplace)
        return vm_raise(vm, vm->TypeError, "can only concatenate %s (not \"%s\") to %s", ca->name->chars,
                        cb->name->chars, ca->name->chars);
    if (base == BINOP_MUL && (IS_STR(a) || IS_LIST(a) || IS_TUPLE(a) || IS_BYTES(a)) && !IS_INTEGER(b))
        return vm_raise(vm, vm->TypeError, "can't multiply sequence by non-int of type '%s'", cb->name->chars);
    if (base == BINOP_MUL && (IS_STR(b) || IS_LIST(b) || IS_TUPLE(b) || IS_BYTES(b)) && !IS_INTEGER(a))
        return vm_raise(vm, vm->TypeError, "can't multiply sequence by non-int of type '%s'", ca->name->chars);
    return vm_raise(vm, vm->TypeError, "unsupported operand type(s) for %s: '%s' and '%s'", sym,
                    ca->name->chars, cb->name->chars);
}

bool vm_unary_op(Vm *vm, int op, Value a, Value *out) {
    int r = vm_hooks.number_unary_op(vm, op, a, out);
    if (r) return r > 0;
    ObjStr *name = op == UNARY_NEG ? vm->s_neg : op == UNARY_POS ? vm->s_pos : vm->s_invert;
    int found = call_dunder(vm, a, name, NULL, 0, out);
    if (found) return found > 0;
    const char *sym = op == UNARY_NEG ? "-" : op == UNARY_POS ? "+" : "~";
    return vm_raise(vm, vm->TypeError, "bad operand type for unary %s: '%s'", sym, vm_type_name(vm, a));
}

static ObjStr *compare_name(Vm *vm, int op) {
    switch (op) {
    case CMP_EQ: return vm->s_eq;
    case CMP_NE: return vm->s_ne;
    case CMP_LT: return vm->s_lt;
    case CMP_LE: return vm->s_le;
    case CMP_GT: return vm->s_gt;
    default: return vm->s_ge;
    }
}

// The operator that asks the same question with the operands swapped: a < b is b > a.  == and
// != are their own reflection.
static int reflect(int op) {
    switch (op) {
    case CMP_LT: return CMP_GT;
    case CMP_LE: return CMP_GE;
    case CMP_GT: return CMP_LT;
    case CMP_GE: return CMP_LE;
    default: return op;
    }
}

static const char *compare_symbol(int op) {
    switch (op) {
    case CMP_EQ: return "==";
    case CMP_NE: return "!=";
    case CMP_LT: return "<";
    case CMP_LE: return "<=";
    case CMP_GT: return ">";
    default: return ">=";
    }
}

// Tries one rich-comparison dunder of self's class: 1 answered, 0 missing or NotImplemented, -1
// error.  Any value may be returned (`a < b` need not give a bool); callers that need a truth
// value ask vm_truthy.
static int try_compare(Vm *vm, Value self, int op, Value other, Value *out) {
    Value m = class_lookup(vm_class_of(vm, self), compare_name(vm, op));
    if (IS_EMPTY(m)) return 0; // one set to None is called, and fails, as in CPython
    Value args[2] = {self, other};
    if (!vm_call(vm, m, args, 2, NULL, out)) return -1;
    return value_is(*out, vm->not_implemented) ? 0 : 1;
}

static bool compare_by_methods(Vm *vm, int op, Value a, Value b, Value *out);

// a OP b for the six comparisons (op is a CmpOp).  Numbers and strings are compared here; other
// values go through their dunders, one recursion level deep (a list's __eq__ compares its items,
// which may be lists).
bool vm_compare(Vm *vm, int op, Value a, Value b, Value *out) {
    int r = vm_hooks.number_compare(vm, op, a, b, out);
    if (r) return r > 0;
    if (IS_STR(a) && IS_STR(b)) {
        ObjStr *x = AS_STR(a), *y = AS_STR(b);
        if (op == CMP_EQ || op == CMP_NE) {
            bool eq = str_equal(x, y);
            *out = BOOL_VAL(op == CMP_EQ ? eq : !eq);
            return true;
        }
        size_t n = x->length < y->length ? x->length : y->length;
        int c = memcmp(x->chars, y->chars, n); // UTF-8 byte order is code point order
        if (c == 0) c = x->length < y->length ? -1 : x->length > y->length ? 1 : 0;
        bool res = op == CMP_LT ? c < 0 : op == CMP_LE ? c <= 0 : op == CMP_GT ? c > 0 : c >= 0;
        *out = BOOL_VAL(res);
        return true;
    }
    if (!vm_enter_c_level(vm, COMPARE_WHERE)) return false;
    bool ok = compare_by_methods(vm, op, a, b, out);
    vm_leave_c_level(vm);
    return ok;
}

// Comparison through __eq__, __lt__ ... of either operand, the reflected one first when b's class
// is a subclass of a's.
static bool compare_by_methods(Vm *vm, int op, Value a, Value b, Value *out) {
    int r;
    ObjClass *ca = vm_class_of(vm, a), *cb = vm_class_of(vm, b);
    bool reflected_first = ca != cb && class_is_subclass(cb, ca);
    if (reflected_first) {
        r = try_compare(vm, b, reflect(op), a, out);
        if (r) return r > 0;
    }
    r = try_compare(vm, a, op, b, out);
    if (r) return r > 0;
    if (!reflected_first) {
        r = try_compare(vm, b, reflect(op), a, out);
        if (r) return r > 0;
    }
    if (op == CMP_EQ || op == CMP_NE) {
        bool same = value_is(a, b);
        *out = BOOL_VAL(op == CMP_EQ ? same : !same);
        return true;
    }
    return vm_raise(vm, vm->TypeError, "'%s' not supported between instances of '%s' and '%s'",
                    compare_symbol(op), ca->name->chars, cb->name->chars);
}

// ---- containers ---------------------------------------------------------------------------------

// `item in container`: dicts directly, else __contains__, else iterate (__iter__, or the old
// __getitem__ protocol) and compare each item with ==, as CPython does.
bool vm_contains(Vm *vm, Value container, Value item, bool *out) {
    if (IS_DICT(container)) {
        Value v;
        int r = dict_get(vm, AS_DICT(container), item, &v);
        if (r < 0) return false;
        *out = r == 1;
        return true;
    }
    // `__contains__ = None` says "not a container", with no fallback on iteration.
    if (IS_INSTANCE(container) && IS_NONE(class_lookup(AS_OBJ(container)->cls, vm->s_contains)))
        return vm_raise(vm, vm->TypeError, "'%s' object is not a container", vm_type_name(vm, container));
    Value r;
    int found = call_dunder(vm, container, vm->s_contains, &item, 1, &r);
    if (found < 0) return false;
    if (found) return vm_truthy(vm, r, out);
    // Fall back on iteration, as CPython does for objects with __iter__ only.
    Value iter_m = class_lookup(vm_class_of(vm, container), vm->s_iter);
    if (IS_EMPTY(iter_m) && !IS_ITER(container) && !IS_GENERATOR(container) &&
        IS_EMPTY(class_lookup(vm_class_of(vm, container), vm->s_getitem)))
        return vm_raise(vm, vm->TypeError, "argument of type '%s' is not iterable", vm_type_name(vm, container));
    Value it;
    if (!vm_iter(vm, container, &it)) return false;
    vm_push_root(vm, it);
    for (;;) {
        Value x;
        int n = vm_next(vm, it, &x);
        if (n <= 0) {
            vm_pop_root(vm);
            *out = false;
            return n == 0;
        }
        bool eq;
        if (!vm_equal(vm, x, item, &eq)) {
            vm_pop_root(vm);
            return false;
        }
        if (eq) {
            vm_pop_root(vm);
            *out = true;
            return true;
        }
    }
}

// The C classes CPython lets one subscript (list[int]): a user class cannot have these names and
// be built in, so the name is enough.
static bool builtin_is_generic(ObjClass *cls) {
    static const char *const generic[] = {"list", "dict", "tuple", "set", "frozenset", "type",
                                          "enumerate", "BaseExceptionGroup", "ExceptionGroup",
                                          "Future", "Task", "deque", NULL};
    for (int i = 0; generic[i]; i++)
        if (strcmp(cls->name->chars, generic[i]) == 0) return true;
    return false;
}

// obj[key].  Subscripting a class is different: `cls[key]` calls the class's __class_getitem__
// with the class first (it is a classmethod whether or not it was decorated as one), and
// list[int] and the like give back the class itself, which is all aio's type hints need.
bool vm_getitem(Vm *vm, Value obj, Value key, Value *out) {
    if (IS_DICT(obj)) {
        int r = dict_get(vm, AS_DICT(obj), key, out);
        if (r == 1) return true;
        if (r < 0) return false;
        // a dict subclass with __missing__ would go here
        return vm_raise_obj(vm, vm->KeyError, key);
    }
    int found = call_dunder(vm, obj, vm->s_getitem, &key, 1, out);
    if (found) return found > 0;
    if (IS_CLASS(obj)) {
        Value m = class_lookup(AS_CLASS(obj), vm->s_class_getitem);
        if (!IS_EMPTY(m)) {
            Value args[2] = {obj, key};
            return vm_call(vm, IS_WRAPPER(m) ? AS_WRAPPER(m)->a : m, args, 2, NULL, out);
        }
        // list[int] and friends: generic aliases are the class itself for our purposes (spec.md),
        // but only for the built-in classes that are generic in CPython.
        if ((AS_CLASS(obj)->flags & CLASS_BUILTIN) && builtin_is_generic(AS_CLASS(obj))) {
            *out = obj;
            return true;
        }
        return vm_raise(vm, vm->TypeError, "type '%s' is not subscriptable", AS_CLASS(obj)->name->chars);
    }
    return vm_raise(vm, vm->TypeError, "'%s' object is not subscriptable", vm_type_name(vm, obj));
}

bool vm_setitem(Vm *vm, Value obj, Value key, Value value) {
    if (IS_DICT(obj)) return dict_set(vm, AS_DICT(obj), key, value);
    Value args[2] = {key, value};
    Value ignored;
    int found = call_dunder(vm, obj, vm->s_setitem, args, 2, &ignored);
    if (found) return found > 0;
    return vm_raise(vm, vm->TypeError, "'%s' object does not support item assignment", vm_type_name(vm, obj));
}

bool vm_delitem(Vm *vm, Value obj, Value key) {
    if (IS_DICT(obj)) {
        int r = dict_delete(vm, AS_DICT(obj), key, NULL);
        if (r < 0) return false;
        if (r == 0) return vm_raise_obj(vm, vm->KeyError, key);
        return true;
    }
    Value ignored;
    int found = call_dunder(vm, obj, vm->s_delitem, &key, 1, &ignored);
    if (found) return found > 0;
    return vm_raise(vm, vm->TypeError, "'%s' object doesn't support item deletion", vm_type_name(vm, obj));
}

// len(obj).  A str's length is its number of code points (nchars), not its UTF-8 bytes.
bool vm_len(Vm *vm, Value obj, int64_t *out) {
    if (IS_OBJ(obj)) {
        Obj *o = AS_OBJ(obj);
        switch (o->kind) {
        case OBJ_STR: *out = (int64_t)((ObjStr *)o)->nchars; return true;
        case OBJ_BYTES: *out = (int64_t)((ObjBytes *)o)->length; return true;
        case OBJ_LIST: *out = (int64_t)((ObjList *)o)->count; return true;
        case OBJ_TUPLE: *out = (int64_t)((ObjTuple *)o)->count; return true;
        case OBJ_DICT: *out = (int64_t)((ObjDict *)o)->used; return true;
        case OBJ_SET: *out = (int64_t)((ObjSet *)o)->used; return true;
        default: break;
        }
    }
    Value r;
    int found = call_dunder(vm, obj, vm->s_len, NULL, 0, &r);
    if (found < 0) return false;
    if (!found) return vm_raise(vm, vm->TypeError, "object of type '%s' has no len()", vm_type_name(vm, obj));
    if (!IS_INTLIKE(r))
        return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer", vm_type_name(vm, r));
    if (AS_INTLIKE(r) < 0) return vm_raise(vm, vm->ValueError, "__len__() should return >= 0");
    *out = AS_INTLIKE(r);
    return true;
}

// The next() of an iterator over the old sequence protocol: obj[0], obj[1], ... until obj[i]
// raises IndexError (or StopIteration).  Once exhausted the source is dropped (set to None), so
// the iterator stays exhausted and the object can be collected.
static int sequence_next(Vm *vm, Obj *self, Value *out) {
    ObjIter *it = (ObjIter *)self;
    if (IS_NONE(it->source)) return 0;
    if (!vm_getitem(vm, it->source, INT_VAL(it->index), out)) {
        if (vm_exception_matches(vm, vm->IndexError) || vm_exception_matches(vm, vm->StopIteration)) {
            vm_clear_exception(vm);
            it->source = NONE_VAL();
            return 0;
        }
        return -1;
    }
    it->index++;
    return 1;
}

// iter(obj).  C iterators and plain generators are their own iterators; coroutines and async
// generators are not iterable at all.  Otherwise __iter__, whose result must be an iterator
// (something with __next__); without __iter__, a class with __getitem__ is iterated by index.
bool vm_iter(Vm *vm, Value obj, Value *out) {
    if (IS_ITER(obj) || IS_GENERATOR(obj)) {
        if (IS_GENERATOR(obj) && AS_GENERATOR(obj)->flavor != FLAVOR_GENERATOR)
            return vm_raise(vm, vm->TypeError, "'%s' object is not iterable", vm_type_name(vm, obj));
        *out = obj;
        return true;
    }
    // `__iter__ = None` says "not iterable", with no fallback on __getitem__.
    if (IS_INSTANCE(obj) && IS_NONE(class_lookup(AS_OBJ(obj)->cls, vm->s_iter)))
        return vm_raise(vm, vm->TypeError, "'%s' object is not iterable", vm_type_name(vm, obj));
    int found = call_dunder(vm, obj, vm->s_iter, NULL, 0, out);
    if (found < 0) return false;
    if (!found && IS_OBJ(obj) && !IS_CLASS(obj) && !IS_EMPTY(class_lookup(AS_OBJ(obj)->cls, vm->s_getitem))) {
        // The old sequence protocol: obj[0], obj[1], ... until IndexError.
        *out = OBJ_VAL(iter_new(vm, vm->iterator_class, sequence_next, obj));
        return true;
    }
    if (found) {
        if (IS_ITER(*out) || IS_GENERATOR(*out)) return true;
        if (IS_EMPTY(class_lookup(vm_class_of(vm, *out), vm->s_next)))
            return vm_raise(vm, vm->TypeError, "iter() returned non-iterator of type '%s'", vm_type_name(vm, *out));
        return true;
    }
    return vm_raise(vm, vm->TypeError, "'%s' object is not iterable", vm_type_name(vm, obj));
}

// next(it) for the C side: 1 a value in *out, 0 exhausted (StopIteration is swallowed here, so
// callers never see it), -1 error.  A generator runs through gen_resume: a nested run() on the
// C stack.  (The bytecode's FOR_ITER does not come here for generators: it runs them inline.)
int vm_next(Vm *vm, Value it, Value *out) {
    if (!vm_fuzz_tick(vm)) return -1; // nothing in normal builds
    if (IS_ITER(it)) {
        // C iterators over C iterators (zip(zip(...)), chain, islice, enumerate...) nest their
        // next() calls on the C stack with no Python frame between them to count.
        if (UNLIKELY(vm_c_stack_exhausted(vm))) {
            vm_raise(vm, vm->RecursionError, "maximum recursion depth exceeded");
            return -1;
        }
        return AS_ITER(it)->next(vm, AS_OBJ(it), out);
    }
    if (IS_GENERATOR(it) && AS_GENERATOR(it)->flavor == FLAVOR_GENERATOR) {
        RunResult r = gen_resume(vm, AS_GENERATOR(it), NONE_VAL(), EMPTY_VAL(), out);
        return r == RUN_YIELDED ? 1 : r == RUN_RETURNED ? 0 : -1;
    }
    int found = call_dunder(vm, it, vm->s_next, NULL, 0, out);
    if (found == 1) return 1;
    if (found == 0) {
        vm_raise(vm, vm->TypeError, "'%s' object is not an iterator", vm_type_name(vm, it));
        return -1;
    }
    if (vm_exception_matches(vm, vm->StopIteration)) {
        vm_clear_exception(vm);
        return 0;
    }
    return -1;
}

// list(iterable) as a fresh list; NULL with the exception pending.  The list and the iterator
// are rooted while items are read: vm_next may run any code, including a collection.
ObjList *vm_list_from_iterable(Vm *vm, Value iterable) {
    if (IS_LIST(iterable) || IS_TUPLE(iterable)) {
        size_t n = IS_LIST(iterable) ? AS_LIST(iterable)->count : AS_TUPLE(iterable)->count;
        vm_push_root(vm, iterable);
        ObjList *l = list_try_new(vm, n);
        vm_pop_root(vm);
        if (!l) return NULL;
        Value *src = IS_LIST(iterable) ? AS_LIST(iterable)->items : AS_TUPLE(iterable)->items;
        if (n) memcpy(l->items, src, sizeof(Value) * n);
        l->count = n;
        return l;
    }
    Value it;
    if (!vm_iter(vm, iterable, &it)) return NULL;
    vm_push_root(vm, it);
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    for (;;) {
        Value x;
        int r = vm_next(vm, it, &x);
        if (r < 0) {
            vm_pop_roots(vm, 2);
            return NULL;
        }
        if (r == 0) break;
        if (!list_try_append(vm, l, x)) {
            vm_pop_roots(vm, 2);
            return NULL;
        }
    }
    vm_pop_roots(vm, 2);
    return l;
}

// operator.index(v) as a C int64: ints and bools directly, else __index__.  A big int (one that
// does not fit in an int64) is an OverflowError here, as CPython's Py_ssize_t conversion is.
bool vm_index_value(Vm *vm, Value v, int64_t *out) {
    if (IS_INTLIKE(v)) {
        *out = AS_INTLIKE(v);
        return true;
    }
    Value r = v;
    int found = IS_BIGINT(v) ? 1 : call_dunder(vm, v, vm->s_index, NULL, 0, &r);
    if (found < 0) return false;
    if (found && IS_INTLIKE(r)) {
        *out = AS_INTLIKE(r);
        return true;
    }
    if (found && IS_BIGINT(r))
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C ssize_t");
    return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer", vm_type_name(vm, v));
}

// ---- support for the interpreter's compound instructions ----------------------------------------

// MAKE_FUNCTION's work.  The stack holds, from the bottom, the optional pieces its flags name,
// then the code object on top: defaults tuple (flag 1), keyword-only defaults dict (flag 2),
// closure tuple of cells (flag 8).  They are read from the top down, so the last pushed comes
// first.  The new function shares the frame's globals; its docstring is the code's first
// constant when that is a str (lambdas, modules and comprehensions have none).  The pieces need
// no rooting while function_new allocates: they are still on the stack, below the saved sp.
bool vm_build_function(Vm *vm, Frame *frame, int flags, Value *sp, Value *out) {
    ObjCode *code = AS_CODE(sp[-1]);
    Value *p = sp - 1;
    ObjTuple *closure = (flags & 8) ? AS_TUPLE(*--p) : NULL;
    ObjDict *kwdefaults = (flags & 2) ? AS_DICT(*--p) : NULL;
    ObjTuple *defaults = (flags & 1) ? AS_TUPLE(*--p) : NULL;
    ObjFunction *fn = function_new(vm, code, frame->globals);
    fn->closure = closure;
    fn->kwdefaults = kwdefaults;
    fn->defaults = defaults;
    Value modname = dict_get_str(frame->globals, vm->s_module_name);
    fn->module = IS_EMPTY(modname) ? NONE_VAL() : modname;
    if (code->nconstants > 0 && IS_STR(code->constants[0]) && code->name != vm->s_lambda &&
        !(code->flags & CODE_MODULE) && code->name->chars[0] != '<')
        fn->doc = code->constants[0];
    *out = OBJ_VAL(fn);
    return true;
}

// The first half of `with` (SETUP_WITH) and `async with` (BEFORE_ASYNC_WITH): checks that both
// __enter__ and __exit__ exist BEFORE calling __enter__, as CPython does, binds __exit__ to the
// manager for WITH_EXIT / WITH_EXCEPT_START to call later, then calls __enter__ (for async with,
// the result is the awaitable that __aenter__ returned).
bool vm_with_enter(Vm *vm, Value mgr, bool is_async, Value *exit, Value *enter_result) {
    ObjClass *cls = vm_class_of(vm, mgr);
    Value enter = class_lookup(cls, is_async ? vm->s_aenter : vm->s_enter);
    Value ex = class_lookup(cls, is_async ? vm->s_aexit : vm->s_exit);
    if (IS_EMPTY(enter) || IS_EMPTY(ex)) {
        vm_raise(vm, vm->TypeError, "'%s' object does not support the %scontext manager protocol",
                 cls->name->chars, is_async ? "asynchronous " : "");
        // The manager's class, which the program cannot see, for the hint (runtime/hints.c) that
        // tells `with` and `async with` apart.
        if (IS_EXCEPTION(vm->exception)) AS_EXCEPTION(vm->exception)->extra = OBJ_VAL(cls);
        return false;
    }
    vm_push_root(vm, mgr);
    ObjBound *b = bound_new(vm, mgr, ex);
    vm_push_root(vm, OBJ_VAL(b));
    bool ok = vm_call1(vm, enter, mgr, enter_result);
    vm_pop_roots(vm, 2);
    *exit = OBJ_VAL(b);
    return ok;
}

// GET_AWAITABLE: what `await v` iterates.  A coroutine is awaited directly, once (awaiting it a
// second time while it is suspended in another await is an error); asyncio.sleep's C object
// likewise.  Anything else must have __await__ returning an iterator, which SEND then drives.
bool vm_get_awaitable(Vm *vm, Value v, Value *out) {
    if (IS_GENERATOR(v) && AS_GENERATOR(v)->flavor == FLAVOR_COROUTINE) {
        ObjGenerator *g = AS_GENERATOR(v);
        if (g->state == GEN_RUNNING || (g->was_awaited && !IS_EMPTY(gen_awaiting(g))))
            return vm_raise(vm, vm->RuntimeError, "coroutine is being awaited already");
        g->was_awaited = true;
        *out = v;
        return true;
    }
    if (IS_SLEEP(v)) {
        vm_hooks.sleep_awaited(AS_SLEEP(v));
        *out = v;
        return true;
    }
    Value r;
    int found = vm_call_method(vm, v, vm->s_await, NULL, 0, &r);
    if (found < 0) return false;
    if (found) {
        if (IS_GENERATOR(r) && AS_GENERATOR(r)->flavor == FLAVOR_COROUTINE)
            return vm_raise(vm, vm->TypeError, "__await__() returned a coroutine");
        if (!IS_ITER(r) && !IS_GENERATOR(r) && IS_EMPTY(class_lookup(vm_class_of(vm, r), vm->s_next)))
            return vm_raise(vm, vm->TypeError, "__await__() returned non-iterator of type '%s'", vm_type_name(vm, r));
        *out = r;
        return true;
    }
    return vm_raise(vm, vm->TypeError, "object %s can't be used in 'await' expression", vm_type_name(vm, v));
}

// PRINT_EXPR, the interactive echo: repr of a non-None value, which is also kept as builtins._.
bool vm_print_expr(Vm *vm, Value v) {
    if (IS_NONE(v)) return true;
    dict_set_cstr(vm, vm->builtins, "_", v);
    ObjStr *s = vm_repr(vm, v);
    if (!s) return false;
    vm_push_root(vm, OBJ_VAL(s));
    Value write, ignored;
    bool ok = vm_getattr(vm, vm->stdout_file, str_from_c(vm, "write"), &write);
    if (ok) {
        vm_push_root(vm, write);
        ok = vm_call1(vm, write, OBJ_VAL(s), &ignored) &&
             vm_call1(vm, write, OBJ_VAL(str_from_c(vm, "\n")), &ignored);
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    return ok;
}
