/* The checks a C method gets from vm_call before its own code runs, whatever its name: that it
 * has a self, and that self is an instance of the class it was defined on (list.__len__(1) must
 * not read an int as a list); and, for the dunders that CPython implements as "slot wrappers"
 * (__len__, __add__, __setitem__ ...), the number of arguments the slot takes and no keywords.
 *
 * A slot's arity follows from its name alone, so it is looked up once, when the native is made
 * (native_slot_kind), and stored in ObjNative.slot.  The C functions behind them may then trust
 * args[0] and, for slots, nargs.  Messages are CPython's, word for word, including the leading
 * space its argument unpacker prints for the slots it unpacks with an empty name (__setitem__,
 * __setattr__, __pow__, and a sequence's __mul__).  A few dunders that CPython makes ordinary
 * methods (__format__, __reversed__, list.__getitem__ ...) are counted here too, with the
 * messages of methods.
 */
#include "vm.h"

#include <stdlib.h>
#include <string.h>

#include "attr.h"

// One slot kind per way CPython's wrapper counts arguments.
typedef struct {
    const char *name;
    uint8_t kind;
} SlotName;

// Sorted by name on first use (binary search: natives are made by the hundred at start-up).
static SlotName slot_names[] = {
    {"__len__", SLOT_NO_ARGS},        {"__iter__", SLOT_NO_ARGS},      {"__next__", SLOT_NO_ARGS},
    {"__repr__", SLOT_NO_ARGS},       {"__str__", SLOT_NO_ARGS},       {"__hash__", SLOT_NO_ARGS},
    {"__bool__", SLOT_NO_ARGS},       {"__neg__", SLOT_NO_ARGS},       {"__pos__", SLOT_NO_ARGS},
    {"__abs__", SLOT_NO_ARGS},        {"__invert__", SLOT_NO_ARGS},    {"__index__", SLOT_NO_ARGS},
    {"__int__", SLOT_NO_ARGS},        {"__float__", SLOT_NO_ARGS},     {"__await__", SLOT_NO_ARGS},
    {"__aiter__", SLOT_NO_ARGS},      {"__anext__", SLOT_NO_ARGS},     {"__del__", SLOT_NO_ARGS},
    {"__add__", SLOT_ONE_ARG},        {"__sub__", SLOT_ONE_ARG},       {"__mul__", SLOT_ONE_ARG},
    {"__truediv__", SLOT_ONE_ARG},    {"__floordiv__", SLOT_ONE_ARG},  {"__mod__", SLOT_ONE_ARG},
    {"__divmod__", SLOT_ONE_ARG},     {"__lshift__", SLOT_ONE_ARG},    {"__rshift__", SLOT_ONE_ARG},
    {"__and__", SLOT_ONE_ARG},        {"__or__", SLOT_ONE_ARG},        {"__xor__", SLOT_ONE_ARG},
    {"__matmul__", SLOT_ONE_ARG},     {"__radd__", SLOT_ONE_ARG},      {"__rsub__", SLOT_ONE_ARG},
    {"__rmul__", SLOT_ONE_ARG},       {"__rtruediv__", SLOT_ONE_ARG},  {"__rfloordiv__", SLOT_ONE_ARG},
    {"__rmod__", SLOT_ONE_ARG},       {"__rdivmod__", SLOT_ONE_ARG},   {"__rlshift__", SLOT_ONE_ARG},
    {"__rrshift__", SLOT_ONE_ARG},    {"__rand__", SLOT_ONE_ARG},      {"__ror__", SLOT_ONE_ARG},
    {"__rxor__", SLOT_ONE_ARG},       {"__rmatmul__", SLOT_ONE_ARG},   {"__iadd__", SLOT_ONE_ARG},
    {"__isub__", SLOT_ONE_ARG},       {"__imul__", SLOT_ONE_ARG},      {"__itruediv__", SLOT_ONE_ARG},
    {"__ifloordiv__", SLOT_ONE_ARG},  {"__imod__", SLOT_ONE_ARG},      {"__ilshift__", SLOT_ONE_ARG},
    {"__irshift__", SLOT_ONE_ARG},    {"__iand__", SLOT_ONE_ARG},      {"__ior__", SLOT_ONE_ARG},
    {"__ixor__", SLOT_ONE_ARG},       {"__imatmul__", SLOT_ONE_ARG},   {"__lt__", SLOT_ONE_ARG},
    {"__le__", SLOT_ONE_ARG},         {"__eq__", SLOT_ONE_ARG},        {"__ne__", SLOT_ONE_ARG},
    {"__gt__", SLOT_ONE_ARG},         {"__ge__", SLOT_ONE_ARG},        {"__contains__", SLOT_ONE_ARG},
    {"__getitem__", SLOT_ONE_ARG},    {"__delitem__", SLOT_ONE_ARG},   {"__getattribute__", SLOT_ONE_ARG},
    {"__getattr__", SLOT_ONE_ARG},    {"__delattr__", SLOT_ONE_ARG},   {"__delete__", SLOT_ONE_ARG},
    {"__setitem__", SLOT_TWO_ARGS},   {"__setattr__", SLOT_TWO_ARGS},  {"__set__", SLOT_TWO_ARGS},
    {"__pow__", SLOT_ONE_OR_TWO},     {"__rpow__", SLOT_ONE_OR_TWO},   {"__init__", SLOT_ANY_ARGS},
    {"__call__", SLOT_ANY_ARGS},      {"__format__", METHOD_ONE_ARG},  {"__reversed__", METHOD_NO_ARGS},
    {"__length_hint__", METHOD_NO_ARGS}, {"__sizeof__", METHOD_NO_ARGS}, {"__ceil__", METHOD_NO_ARGS},
    {"__floor__", METHOD_NO_ARGS},    {"__trunc__", METHOD_NO_ARGS},   {"__enter__", METHOD_NO_ARGS},
};

static int compare_slot_names(const void *a, const void *b) {
    return strcmp(((const SlotName *)a)->name, ((const SlotName *)b)->name);
}

static bool is_sequence_repeat(const char *name) {
    return strcmp(name, "__mul__") == 0 || strcmp(name, "__rmul__") == 0 || strcmp(name, "__imul__") == 0;
}

uint8_t native_slot_kind(Vm *vm, const char *name, ObjClass *owner) {
    if (!owner || name[0] != '_' || name[1] != '_') return SLOT_NONE;
    // Where CPython defines these as ordinary methods, they count as methods do
    // ("list.__getitem__() takes exactly one argument").
    if (strcmp(name, "__getitem__") == 0 && (owner == vm->list_class || owner == vm->dict_class))
        return METHOD_ONE_ARG;
    if (strcmp(name, "__contains__") == 0 &&
        (owner == vm->dict_class || owner == vm->set_class || owner == vm->frozenset_class))
        return METHOD_ONE_ARG;
    // A sequence's repetition is another slot than a number's product, unpacked another way.
    if (is_sequence_repeat(name) &&
        (owner == vm->list_class || owner == vm->tuple_class || owner == vm->str_class ||
         owner == vm->bytes_class || owner == vm->bytearray_class))
        return SLOT_SEQUENCE_REPEAT;
    static bool sorted;
    size_t count = sizeof slot_names / sizeof slot_names[0];
    if (!sorted) {
        qsort(slot_names, count, sizeof slot_names[0], compare_slot_names);
        sorted = true;
    }
    SlotName key = {name, SLOT_NONE};
    SlotName *hit = bsearch(&key, slot_names, count, sizeof slot_names[0], compare_slot_names);
    return hit ? hit->kind : SLOT_NONE;
}

static bool arity_error(Vm *vm, const char *space, int min, int max, int given) {
    if (min == max)
        return vm_raise(vm, vm->TypeError, "%sexpected %d argument%s, got %d", space, min,
                        min == 1 ? "" : "s", given);
    if (given < min)
        return vm_raise(vm, vm->TypeError, "%sexpected at least %d argument%s, got %d", space, min,
                        min == 1 ? "" : "s", given);
    return vm_raise(vm, vm->TypeError, "%sexpected at most %d argument%s, got %d", space, max,
                    max == 1 ? "" : "s", given);
}

bool native_check_args(Vm *vm, ObjNative *n, Value *args, int nargs, ObjTuple *kwnames) {
    const char *name = n->name->chars, *cls = n->owner->name->chars;
    bool slot = n->slot != SLOT_NONE && n->slot < METHOD_NO_ARGS;
    if (nargs == 0)
        return slot ? vm_raise(vm, vm->TypeError, "descriptor '%s' of '%s' object needs an argument", name, cls)
                    : vm_raise(vm, vm->TypeError, "unbound method %s.%s() needs an argument", cls, name);
    if (!class_is_subclass(vm_class_of(vm, args[0]), n->owner))
        return slot ? vm_raise(vm, vm->TypeError, "descriptor '%s' requires a '%s' object but received a '%s'",
                               name, cls, vm_type_name(vm, args[0]))
                    : vm_raise(vm, vm->TypeError, "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                               name, cls, vm_type_name(vm, args[0]));
    if (n->slot == SLOT_NONE || n->slot == SLOT_ANY_ARGS) return true;
    int given = nargs - 1;
    if (!slot) { // a method, named after its class (a bound one fetched first says type(self))
        const char *type = cls;
        if (kwnames && kwnames->count)
            return vm_raise(vm, vm->TypeError, "%s.%s() takes no keyword arguments", type, name);
        if (n->slot == METHOD_NO_ARGS && given != 0)
            return vm_raise(vm, vm->TypeError, "%s.%s() takes no arguments (%d given)", type, name, given);
        if (n->slot == METHOD_ONE_ARG && given != 1)
            return vm_raise(vm, vm->TypeError, "%s.%s() takes exactly one argument (%d given)", type,
                            name, given);
        return true;
    }
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "wrapper %s() takes no keyword arguments", name);
    switch (n->slot) {
    case SLOT_NO_ARGS: return given == 0 || arity_error(vm, "", 0, 0, given);
    case SLOT_ONE_ARG: return given == 1 || arity_error(vm, "", 1, 1, given);
    case SLOT_SEQUENCE_REPEAT: {
        // The count is converted before the sequence is looked at: any non-index is refused here.
        if (given != 1) return arity_error(vm, " ", 1, 1, given);
        int64_t count;
        return IS_INTEGER(args[1]) || vm_index_value(vm, args[1], &count);
    }
    case SLOT_TWO_ARGS: return given == 2 || arity_error(vm, " ", 2, 2, given);
    case SLOT_ONE_OR_TWO: return (given >= 1 && given <= 2) || arity_error(vm, " ", 1, 2, given);
    default: return true;
    }
}

// An operator's dunder, found on the class of args[0] by the interpreter: a C one is run as
// CPython runs a type's slot, without the checks of a call by name.  Its self is right by
// construction, and the operator's own rules hold (`'ab' * 1.5` is "can't multiply sequence by
// non-int", where 'ab'.__mul__(1.5) refuses the float as a count first).
bool vm_call_operator_dunder(Vm *vm, Value method, Value *args, int nargs, Value *out) {
    if (!IS_NATIVE(method)) return vm_call(vm, method, args, nargs, NULL, out);
    if (!vm_fuzz_tick(vm) || !vm_enter_c_level(vm, CALL_WHERE)) return false;
    bool ok = AS_NATIVE(method)->fn(vm, args, nargs, NULL, out);
    vm_leave_c_level(vm);
    return ok;
}
