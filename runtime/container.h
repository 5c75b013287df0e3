/* What the container files share beyond runtime.h: list.c, tuple.c, dict.c, set.c, range.c,
 * iter.c and sort.c.
 *
 * - The repr guard: a container whose repr reaches itself again prints `[...]`, `{...}`, `(...)`
 *   instead of recursing forever (CPython's Py_ReprEnter).  One stack serves every kind, because a
 *   cycle may pass through several kinds (a list inside a dict inside that list).
 * - Lexicographic comparison of two lists or two tuples.
 * - The stable sort behind list.sort() and sorted().
 * - Arity checks that produce CPython's exact wording, which differs by how the C function was
 *   declared in CPython: METH_O ("list.append() takes exactly one argument (0 given)"), METH_NOARGS
 *   ("set.pop() takes no arguments (1 given)") and Argument Clinic ("insert expected 2 arguments,
 *   got 1").
 */
#ifndef AIO_CONTAINER_H
#define AIO_CONTAINER_H

#include <string.h>

#include "runtime.h"

// ---- repr guard (list.c) ------------------------------------------------------------------------
// Returns 1 when obj is already being repr'd further up (print the ellipsis form), 0 after pushing
// it (call list_repr_leave when done, on every path), -1 with RecursionError pending when the
// nesting is too deep.
int list_repr_enter(Vm *vm, Obj *obj);
void list_repr_leave(Vm *vm, Obj *obj);

// ---- sequences (list.c) -------------------------------------------------------------------------
// a OP b for two lists or two tuples (a CompareOp): the first unequal pair decides, else the
// lengths.  Items are re-read on every step because __eq__ may mutate a list.
bool list_seq_compare(Vm *vm, int op, Value a, Value b, Value *out);
// Index of `value` in items[start:stop] (ints normalised as list.index does): -1 when absent, -2
// on error.
int64_t list_seq_find(Vm *vm, Value seq, Value value, int64_t start, int64_t stop);
// Normalises the optional start/stop arguments of index() as CPython's slice-like arguments.
bool list_index_bounds(Vm *vm, Value start, Value stop, int64_t len, int64_t *lo, int64_t *hi);

// ---- sorting (sort.c) ---------------------------------------------------------------------------
// Sorts list in place, stably, comparing with `<` (or key(x) < key(y) when key is not None), as
// CPython 3.11's list.sort.  reverse keeps stability (equal items stay in order).  The list must be
// rooted by the caller.  While sorting, the list appears empty; mutating it raises ValueError.
bool sort_list(Vm *vm, ObjList *list, Value key, bool reverse);

// ---- shared small helpers ------------------------------------------------------------------------

// seq[i] for an int i beyond int64: no sequence is that long, and CPython says so as IndexError.
static inline bool seq_big_index_error(Vm *vm) {
    return vm_raise(vm, vm->IndexError, "cannot fit 'int' into an index-sized integer");
}

// seq * n for an int n beyond int64 (either sign), as CPython refuses it.
static inline bool repeat_count_too_big(Vm *vm) {
    return vm_raise(vm, vm->OverflowError, "cannot fit 'int' into an index-sized integer");
}

// An index in seq[key]: an int, a bool, or an object with __index__.  Anything else raises
// "<what> indices must be integers or slices, not <type>".  Slices are the caller's business.
static inline bool seq_index_key(Vm *vm, Value key, const char *what, int64_t *out) {
    if (IS_INTLIKE(key)) {
        *out = AS_INTLIKE(key);
        return true;
    }
    if (IS_BIGINT(key)) return seq_big_index_error(vm);
    if (IS_EMPTY(class_lookup(vm_class_of(vm, key), vm->s_index)))
        return vm_raise(vm, vm->TypeError, "%s indices must be integers or slices, not %s", what,
                        vm_type_name(vm, key));
    return vm_index_value(vm, key, out);
}

// True when `other` is an instance of a user class that defines `name` (__radd__, __rmul__): a
// sequence's + or * then returns NotImplemented so that method gets its turn, as CPython tries the
// number slots of both operands before the sequence ones.  Otherwise the sequence raises its own
// message ("can only concatenate list (not "int") to list").
static inline bool seq_other_may_handle(Vm *vm, Value other, const char *name) {
    ObjClass *cls = vm_class_of(vm, other);
    if (cls->flags & CLASS_BUILTIN) return false;
    return !IS_EMPTY(class_lookup(cls, str_from_c(vm, name)));
}

// The count n of `seq * n` and `n * seq` for every built-in sequence (list, tuple, str, bytes,
// bytearray): an int, or an object with __index__; a negative count is 0.  1: *out is the count.
// 0: n is no integer, but its class is one written in Python that may answer through __rmul__, so
// the caller returns NotImplemented.  -1: an error is raised (a count beyond int64, which no
// sequence could hold, or "can't multiply sequence by non-int").
int seq_repeat_count(Vm *vm, Value n, int64_t *out);

// The bytes of a repetition: dst[0, unit) holds one copy; fills dst up to total with more, each
// memcpy doubling what is already there (log2(n) copies instead of n).
static inline void seq_fill_repeated(void *dst, size_t unit, size_t total) {
    char *p = dst;
    for (size_t done = unit; done < total;) {
        size_t chunk = done <= total - done ? done : total - done;
        memcpy(p + done, p, chunk);
        done += chunk;
    }
}

// Makes a built-in iterator class (list_iterator, ...) and hangs it on the `data` of the native
// `method` of owner (its __iter__ or __reversed__): the class dict keeps it alive without it being
// visible from Python, and container_iter_class_of finds it again (no Vm field holds it).
static inline ObjClass *container_iter_class(Vm *vm, const char *name, ObjClass *owner,
                                             const char *method) {
    ObjClass *cls = define_class(vm, name, vm->iterator_class, OBJ_ITER);
    vm_push_root(vm, OBJ_VAL(cls));
    Value native = dict_get_str(owner->dict, str_from_c(vm, method));
    AS_NATIVE(native)->data = OBJ_VAL(cls);
    vm_pop_root(vm);
    return cls;
}

static inline ObjClass *container_iter_class_of(Vm *vm, ObjClass *owner, ObjStr *method) {
    return AS_CLASS(AS_NATIVE(dict_get_str(owner->dict, method))->data);
}

// ---- arity checks with CPython's wording --------------------------------------------------------
// For args of a method, nargs counts self: pass nargs - 1.

// Inline fast paths: when a check fails, args.c raises the error (check_args, check_args_clinic).

static inline bool arity_no_kw(Vm *vm, const char *fname, ObjTuple *kwnames) {
    return !(kwnames && kwnames->count) || check_args(vm, fname, 0, kwnames, 0, 0);
}

// METH_O: exactly one argument.
static inline bool arity_one(Vm *vm, const char *fname, int n, ObjTuple *kwnames) {
    return (n == 1 && !(kwnames && kwnames->count)) || check_args(vm, fname, n, kwnames, 1, 1);
}

// METH_NOARGS.
static inline bool arity_none(Vm *vm, const char *fname, int n, ObjTuple *kwnames) {
    return (n == 0 && !(kwnames && kwnames->count)) || check_args(vm, fname, n, kwnames, 0, 0);
}

// Argument Clinic's positional-only forms: "insert expected 2 arguments, got 1" (the count message
// names the function without its class, the keyword message with it: "list.insert() takes no
// keyword arguments").
static inline bool arity_range(Vm *vm, const char *fname, int n, ObjTuple *kwnames, int min, int max) {
    return (n >= min && n <= max && !(kwnames && kwnames->count)) ||
           check_args_clinic(vm, fname, n, kwnames, min, max);
}

// Keyword arguments of a C function with named parameters: kwvalues[i] belongs to kwnames[i], and
// lands in out[j] for names[j] (out entries not given stay as they were).  Unknown names raise
// "'x' is an invalid keyword argument for f()".
static inline bool arity_keywords(Vm *vm, const char *fname, ObjTuple *kwnames, const Value *kwvalues,
                                  const char *const *names, Value *out) {
    if (!kwnames) return true;
    for (size_t i = 0; i < kwnames->count; i++) {
        ObjStr *k = AS_STR(kwnames->items[i]);
        int j = 0;
        while (names[j] && strcmp(names[j], k->chars) != 0) j++;
        if (!names[j])
            return vm_raise(vm, vm->TypeError, "'%s' is an invalid keyword argument for %s()", k->chars, fname);
        out[j] = kwvalues[i];
    }
    return true;
}

static inline int kw_count(ObjTuple *kwnames) { return kwnames ? (int)kwnames->count : 0; }

#endif
