/* The out-of-line work of the longer instructions (vm/instr.h): name lookups' slow paths,
 * unpacking, exception matching, building sets and dicts, ** merging, async for's steps.
 *
 * They are kept out of vm.c so that the dispatch loop reads as a table of short cases; none is
 * on a fast path (the fast paths stay inline in the loop).
 */
#include "dict.h"
#include "frame.h"
#include "instr.h"
#include "set.h"
#include "vm.h"

bool instr_raise_unbound_local(Vm *vm, ObjCode *code, uint32_t slot) {
    return vm_raise(vm, vm->UnboundLocalError,
                    "cannot access local variable '%s' where it is not associated with a value",
                    code->varnames[slot]->chars);
}

// An empty cell read by LOAD_DEREF: one of the frame's own cells is an unbound local; a free
// variable is unbound in the enclosing scope.
bool instr_raise_unbound_cell(Vm *vm, ObjCode *code, int i) {
    if (i < code->ncells - code->nfree)
        return vm_raise(vm, vm->UnboundLocalError,
                        "cannot access local variable '%s' where it is not associated with a value",
                        code->cellnames[i]->chars);
    return vm_raise(vm, vm->NameError,
                    "cannot access free variable '%s' where it is not associated with a value in enclosing scope",
                    code->cellnames[i]->chars);
}

// LOAD_GLOBAL when its cache does not hold (see the case): the globals, then the builtins; refills
// the cache.
bool instr_load_global_slow(Vm *vm, ObjDict *globals, LookupCache *cache, ObjStr *name, Value *out) {
    int64_t at = dict_find_str(globals, name);
    if (at >= 0) {
        *cache = (LookupCache){globals, globals->version, 0, (int32_t)at, false};
        *out = globals->entries[at].value;
        return true;
    }
    at = dict_find_str(vm->builtins, name);
    if (UNLIKELY(at < 0)) return vm_raise(vm, vm->NameError, "name '%s' is not defined", name->chars);
    *cache = (LookupCache){globals, globals->version, vm->builtins->version, (int32_t)at, true};
    *out = vm->builtins->entries[at].value;
    return true;
}

// LOAD_NAME, for code that runs with a namespace dict (class bodies): that dict, the globals, the
// builtins.
bool instr_load_name(Vm *vm, Frame *frame, ObjStr *name, Value *out) {
    Value v = frame->locals ? dict_get_str(frame->locals, name) : EMPTY_VAL();
    if (IS_EMPTY(v)) v = dict_get_str(frame->globals, name);
    if (IS_EMPTY(v)) v = dict_get_str(vm->builtins, name);
    if (UNLIKELY(IS_EMPTY(v))) return vm_raise(vm, vm->NameError, "name '%s' is not defined", name->chars);
    *out = v;
    return true;
}

// DELETE_NAME / DELETE_GLOBAL: a missing name is a NameError.
bool instr_delete_name(Vm *vm, ObjDict *ns, ObjStr *name) {
    int r = dict_delete(vm, ns, OBJ_VAL(name), NULL);
    if (r == 0) vm_raise(vm, vm->NameError, "name '%s' is not defined", name->chars);
    return r > 0;
}

// Unpacking an iterator reads it as CPython does: item by item, and for plain unpacking one item
// past the targets proves there are too many, so `a, b = itertools.count()` fails at the third.
// The items read so far are held on the temp roots (dest is above the stack pointer, unmarked).
static bool unpack_iterator(Vm *vm, Value seq, int before, int after, bool star, Value *dest) {
    Value it;
    if (!vm_iter(vm, seq, &it)) {
        ObjClass *cls = vm_class_of(vm, seq);
        if (vm_exception_matches(vm, vm->TypeError) && IS_EMPTY(class_lookup(cls, vm->s_iter)) &&
            IS_EMPTY(class_lookup(cls, vm->s_getitem))) {
            vm_clear_exception(vm);
            return vm_raise(vm, vm->TypeError, "cannot unpack non-iterable %s object",
                            vm_type_name(vm, seq));
        }
        return false;
    }
    vm_push_root(vm, it);
    int got = 0;
    bool ok = true;
    for (; got < before; got++) {
        Value item;
        int r = vm_next(vm, it, &item);
        if (r <= 0) {
            ok = false;
            if (r == 0 && star)
                vm_raise(vm, vm->ValueError, "not enough values to unpack (expected at least %d, got %d)",
                         before + after, got);
            else if (r == 0)
                vm_raise(vm, vm->ValueError, "not enough values to unpack (expected %d, got %d)", before, got);
            break;
        }
        vm_push_root(vm, item);
    }
    ObjList *rest = NULL;
    if (ok && !star) {
        Value extra;
        int r = vm_next(vm, it, &extra);
        if (r != 0) ok = false;
        if (r == 1) vm_raise(vm, vm->ValueError, "too many values to unpack (expected %d)", before);
    } else if (ok) {
        rest = vm_list_from_iterable(vm, it);
        if (!rest) ok = false;
        else if (rest->count < (size_t)after) {
            ok = false;
            vm_raise(vm, vm->ValueError, "not enough values to unpack (expected at least %d, got %zu)",
                     before + after, (size_t)before + rest->count);
        }
    }
    if (ok) {
        // The stack order: the last target's value deepest, the first target's on top.
        Value *firsts = vm->roots + vm->nroots - before;
        int k = before + (star ? after + 1 : 0) - 1;
        for (int i = 0; i < before; i++) dest[k--] = firsts[i];
        if (star) {
            size_t keep = rest->count - (size_t)after;
            dest[k--] = OBJ_VAL(rest);
            for (size_t i = keep; i < rest->count; i++) dest[k--] = rest->items[i];
            rest->count = keep; // the middle: what is left once the last targets take theirs
        }
    }
    vm_pop_roots(vm, got + 1);
    return ok;
}

// Unpacks seq into dest, which the targets then pop: exactly `before` items, or with a star
// `before` items, a list of the middle and `after` items.
bool instr_unpack_sequence(Vm *vm, Value seq, int before, int after, bool star, Value *dest) {
    if (!IS_TUPLE(seq) && !IS_LIST(seq)) return unpack_iterator(vm, seq, before, after, star, dest);
    size_t n = IS_TUPLE(seq) ? AS_TUPLE(seq)->count : AS_LIST(seq)->count;
    if (!star) {
        if (n != (size_t)before) {
            if (n < (size_t)before)
                return vm_raise(vm, vm->ValueError, "not enough values to unpack (expected %d, got %zu)",
                                before, n);
            return vm_raise(vm, vm->ValueError, "too many values to unpack (expected %d)", before);
        }
        Value *items = IS_TUPLE(seq) ? AS_TUPLE(seq)->items : AS_LIST(seq)->items;
        // items go on the stack last-first, so the first target is stored first
        for (int i = 0; i < before; i++) dest[before - 1 - i] = items[i];
        return true;
    }
    if (n < (size_t)(before + after))
        return vm_raise(vm, vm->ValueError,
                        "not enough values to unpack (expected at least %d, got %zu)", before + after, n);
    vm_push_root(vm, seq);
    ObjList *middle = list_new(vm, n - (size_t)(before + after));
    vm_pop_root(vm);
    Value *items = IS_TUPLE(seq) ? AS_TUPLE(seq)->items : AS_LIST(seq)->items; // after the allocation
    for (size_t i = (size_t)before; i < n - (size_t)after; i++) middle->items[middle->count++] = items[i];
    int total = before + after + 1;
    int k = total - 1;
    for (int i = 0; i < before; i++) dest[k--] = items[i];
    dest[k--] = OBJ_VAL(middle);
    for (size_t i = n - (size_t)after; i < n; i++) dest[k--] = items[i];
    return true;
}

// `except T:` accepts an exception class or a tuple of them (nested tuples too), else TypeError.
static bool exception_class_check(Vm *vm, Value type) {
    if (IS_CLASS(type) && class_is_subclass(AS_CLASS(type), vm->BaseException)) return true;
    if (IS_TUPLE(type)) {
        for (size_t i = 0; i < AS_TUPLE(type)->count; i++)
            if (!exception_class_check(vm, AS_TUPLE(type)->items[i])) return false;
        return true;
    }
    return false;
}

bool instr_exception_matches(Vm *vm, Value exc, Value type) {
    if (IS_TUPLE(type)) {
        for (size_t i = 0; i < AS_TUPLE(type)->count; i++)
            if (instr_exception_matches(vm, exc, AS_TUPLE(type)->items[i])) return true;
        return false;
    }
    return vm_is_instance(vm, exc, AS_CLASS(type));
}


// BUILD_SET: a set of the n values from items, added in order (a later equal key does not
// replace the first).
bool instr_build_set(Vm *vm, const Value *items, int n, Value *out) {
    ObjSet *s = set_new(vm, false);
    vm_push_root(vm, OBJ_VAL(s));
    bool ok = true;
    for (int i = 0; i < n && ok; i++) ok = set_add_value(vm, s, items[i]);
    vm_pop_root(vm);
    *out = OBJ_VAL(s);
    return ok;
}

// BUILD_MAP: a dict of the n key, value pairs laid out in items, in order (a later key wins).
bool instr_build_map(Vm *vm, const Value *items, int n, Value *out) {
    ObjDict *d = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(d));
    bool ok = true;
    for (int i = 0; i < n && ok; i++) ok = dict_set(vm, d, items[2 * i], items[2 * i + 1]);
    vm_pop_root(vm);
    *out = OBJ_VAL(d);
    return ok;
}

// LIST_EXTEND: a non-iterable that is not an object (an int ...) gets the message of a star: for
// f(*x) it names f.
bool instr_list_extend(Vm *vm, ObjList *list, Value it, Value callee) {
    if (list_extend(vm, list, it)) return true;
    if (!vm_exception_matches(vm, vm->TypeError) || IS_OBJ(it)) return false;
    vm_clear_exception(vm);
    if (IS_EMPTY(callee))
        return vm_raise(vm, vm->TypeError, "Value after * must be an iterable, not %s", vm_type_name(vm, it));
    char who[256];
    vm_describe_callee(vm, callee, who, sizeof who);
    return vm_raise(vm, vm->TypeError, "%s argument after * must be an iterable, not %s", who,
                    vm_type_name(vm, it));
}

// DICT_UPDATE ({**m} in a dict display) and DICT_MERGE (f(**m) in a call) add the mapping in
// *src_slot to d.  A call is stricter: a key given twice is an error, and so is a src that is
// not a mapping; both messages name the callee.  A mapping other than a dict is first read into
// a fresh dict, which replaces it in *src_slot (a stack slot) to stay rooted.
bool instr_merge_mapping(Vm *vm, ObjDict *d, Value *src_slot, bool for_call, Value callee) {
    Value src = *src_slot;
    if (!for_call) return dict_update(vm, d, src);
    if (!IS_DICT(src) && !IS_EMPTY(class_lookup(vm_class_of(vm, src), vm->s_keys))) {
        ObjDict *copy = dict_new(vm);
        vm_push_root(vm, OBJ_VAL(copy));
        bool ok = dict_update(vm, copy, src);
        vm_pop_root(vm);
        if (!ok) return false;
        src = *src_slot = OBJ_VAL(copy);
    }
    char who[256];
    if (!IS_DICT(src)) {
        vm_describe_callee(vm, callee, who, sizeof who);
        return vm_raise(vm, vm->TypeError, "%s argument after ** must be a mapping, not %s", who,
                        vm_type_name(vm, src));
    }
    size_t pos = 0;
    Value k, v;
    while (dict_next(AS_DICT(src), &pos, &k, &v)) {
        Value old;
        int r = dict_get(vm, d, k, &old);
        if (r < 0) return false;
        if (r == 1) {
            vm_describe_callee(vm, callee, who, sizeof who);
            ObjStr *ks = vm_str(vm, k);
            if (ks) vm_raise(vm, vm->TypeError, "%s got multiple values for keyword argument '%s'", who, ks->chars);
            return false;
        }
        if (!dict_set(vm, d, k, v)) return false;
    }
    return true;
}

// `except T` and `except* T`: T must be an exception class or a tuple of them.
bool instr_check_except_type(Vm *vm, Value type) {
    if (exception_class_check(vm, type)) return true;
    return vm_raise(vm, vm->TypeError, "catching classes that do not inherit from BaseException is not allowed");
}

// A bare `raise`: the exception being handled becomes the pending one again (no new traceback
// entry: the unwinding goes on from where it was).
bool instr_take_handled_exception(Vm *vm) {
    Value current = vm_current_handled(vm);
    if (IS_NONE(current)) return vm_raise(vm, vm->RuntimeError, "No active exception to reraise");
    vm->exception = current;
    return true;
}

// GET_AITER: `async for` calls __aiter__ on its iterable.
bool instr_get_aiter(Vm *vm, Value v, Value *out) {
    int r = vm_call_method(vm, v, vm->s_aiter, NULL, 0, out);
    if (r == 0)
        vm_raise(vm, vm->TypeError, "'async for' requires an object with __aiter__ method, got %s",
                 vm_type_name(vm, v));
    return r > 0;
}

// The first half of GET_ANEXT: each step of `async for` calls __anext__, whose result is awaited.
bool instr_call_anext(Vm *vm, Value it, Value *out) {
    int r = vm_call_method(vm, it, vm->s_anext, NULL, 0, out);
    if (r == 0)
        vm_raise(vm, vm->TypeError,
                 "'async for' received an object from __aiter__ that does not implement __anext__: %s",
                 vm_type_name(vm, it));
    return r > 0;
}
