/* bytearray: the mutable byte string, the buffer that streams and protocols fill and drain.
 *
 * The storage (ObjByteArray in vm/object.h) is a block with a dead front: deleting the first n
 * bytes (`del buf[:n]`, the way a reader consumes what it has parsed) moves `start` and copies
 * nothing; the live bytes are moved down only when the dead front is at least as long as they
 * are, so each byte is moved at most once per byte consumed before it.  Appending grows the block
 * by half again.  Every change of size goes through splice(), which refuses with BufferError while
 * a memoryview holds the array.
 *
 * What a bytearray shares with bytes (searching, splitting, case, decode, hex, comparisons, `in`)
 * is bytes.c's and text.c's code, which reads either type as a ByteSpan; this file has what
 * mutability brings: construction in place, item and slice assignment and deletion, the list-like
 * methods and the in-place operators.
 */
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "text.h"

// ---- storage ------------------------------------------------------------------------------------

static ObjByteArray *alloc_empty(Vm *vm, ObjClass *cls) {
    return (ObjByteArray *)gc_alloc_object(vm, sizeof(ObjByteArray), OBJ_BYTEARRAY, cls);
}

// Room for `length` live bytes from `start` on.  Moves the live bytes to the front when the dead
// front is at least as long as they are (the deletions that made it pay for the move); otherwise
// moves them down and grows the block by half again.  b must be rooted (growing may collect).
static bool reserve(Vm *vm, ObjByteArray *b, size_t length) {
    if (b->start + length <= b->capacity) return true;
    if (length <= b->capacity && b->start >= b->length) {
        memmove(b->data, b->data + b->start, b->length);
        b->start = 0;
        return true;
    }
    if (length > SIZE_MAX / 4) return vm_raise_memory_error(vm);
    if (b->start) {
        memmove(b->data, b->data + b->start, b->length);
        b->start = 0;
    }
    size_t capacity = length + length / 2 + 16;
    unsigned char *data = gc_try_realloc(vm, b->data, b->capacity, capacity);
    if (!data) return false;
    b->data = data;
    b->capacity = capacity;
    return true;
}

// After a deletion: an empty array starts again at the front, and a block three quarters unused
// is given back (keeping room to grow by as much again).
static void after_shrink(Vm *vm, ObjByteArray *b) {
    if (b->length == 0) b->start = 0;
    if (b->capacity > 4096 && b->length < b->capacity / 4) {
        if (b->start) memmove(b->data, b->data + b->start, b->length);
        b->start = 0;
        size_t capacity = b->length * 2 + 16;
        b->data = gc_realloc(vm, b->data, b->capacity, capacity);
        b->capacity = capacity;
    }
}

// A change of size while memoryviews look at the array is refused.  Views that died since the last
// collection still count until a collection finds them: one is run before refusing.
static bool may_resize(Vm *vm, ObjByteArray *b) {
    if (b->exports == 0) return true;
    if (vm->gc_enabled) gc_collect(vm);
    if (b->exports == 0) return true;
    return vm_raise(vm, vm->BufferError, "Existing exports of data: object cannot be re-sized");
}

// Replaces bytes [lo, hi) with the n bytes at src (which may point into b itself).
static bool splice(Vm *vm, ObjByteArray *b, size_t lo, size_t hi, const unsigned char *src, size_t n) {
    size_t removed = hi - lo;
    if (n == removed) {
        if (n) memmove(bytearray_bytes(b) + lo, src, n);
        return true;
    }
    if (!may_resize(vm, b)) return false;
    if (lo == 0 && n == 0) { // consuming from the front: O(1)
        b->start += hi;
        b->length -= hi;
        after_shrink(vm, b);
        return true;
    }
    unsigned char *copy = NULL;
    if (n && b->data && src >= b->data && src < b->data + b->capacity) { // reserve may move it
        copy = malloc(n);
        if (!copy) return vm_raise_memory_error(vm);
        memcpy(copy, src, n);
        src = copy;
    }
    size_t length = b->length - removed + n;
    bool ok = n < removed || reserve(vm, b, length);
    if (ok) {
        unsigned char *p = bytearray_bytes(b);
        memmove(p + lo + n, p + hi, b->length - hi);
        if (n) memcpy(p + lo, src, n);
        b->length = length;
        if (n < removed) after_shrink(vm, b);
    }
    free(copy);
    return ok;
}

ObjByteArray *bytearray_new(Vm *vm, const void *p, size_t n) {
    ObjByteArray *b = alloc_empty(vm, vm->bytearray_class);
    if (n == 0) return b;
    vm_push_root(vm, OBJ_VAL(b));
    if (reserve(vm, b, n)) {
        memcpy(b->data, p, n);
        b->length = n;
    } else {
        vm_clear_exception(vm); // as bytes_new: the MemoryError is owed, the array left empty
        gc_owe_memory_error();
    }
    vm_pop_root(vm);
    return b;
}

bool bytearray_append(Vm *vm, ObjByteArray *b, const void *p, size_t n) {
    return splice(vm, b, b->length, b->length, p, n);
}

bool bytearray_consume(Vm *vm, ObjByteArray *b, size_t n) {
    return splice(vm, b, 0, n, NULL, 0);
}

// ---- construction -------------------------------------------------------------------------------

// bytearray(), (n), (bytes-like), (iterable of ints), (str, encoding[, errors]) into b, replacing
// what it held.  args are the constructor's arguments after self.
static bool fill(Vm *vm, ObjByteArray *b, Value *args, int nargs, ObjTuple *kwnames) {
    static const char *const names[] = {"source", "encoding", "errors", NULL};
    Value a[3];
    if (!parse_args(vm, "bytearray", args, nargs, kwnames, names, 0, a)) return false;
    StrBuf sb;
    sb_init(&sb);
    bool ok = bytes_fill_from(vm, "bytearray", a[0], a[1], a[2], &sb) &&
              splice(vm, b, 0, b->length, (const unsigned char *)sb.data, sb.length);
    sb_free(&sb);
    return ok;
}

// Calling __init__ again refills the array, as CPython's does.
static bool bytearray_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return fill(vm, AS_BYTEARRAY(args[0]), args + 1, nargs - 1, kwnames);
}

// bytearray.__new__: an array of the class.  The VM calls the __init__ of subclasses only (list.c
// works the same way), so an exact bytearray is filled here.
static bool bytearray_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjByteArray *b = alloc_empty(vm, AS_CLASS(args[0]));
    *result = OBJ_VAL(b);
    if (AS_CLASS(args[0]) != vm->bytearray_class) return true;
    vm_push_root(vm, *result);
    bool ok = fill(vm, b, args + 1, nargs - 1, kwnames);
    vm_pop_root(vm);
    return ok;
}

// ---- repr, length, items ------------------------------------------------------------------------

// bytearray(b'...'), or the subclass's name; a ' inside is escaped even when " quotes the bytes,
// as CPython writes it.
static bool bytearray_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    StrBuf inner, sb;
    sb_init(&inner);
    bytes_repr_into(bytearray_bytes(b), b->length, &inner);
    sb_init(&sb);
    sb_puts(&sb, b->obj.cls->name->chars);
    sb_putc(&sb, '(');
    char quote = inner.data[1];
    for (size_t i = 0; i < inner.length; i++) {
        // bytes_repr_into escapes a ' only when ' is the quote: add the backslash here otherwise.
        if (quote == '"' && inner.data[i] == '\'') sb_putc(&sb, '\\');
        sb_putc(&sb, inner.data[i]);
    }
    sb_putc(&sb, ')');
    sb_free(&inner);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool bytearray_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__len__", nargs - 1, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)AS_BYTEARRAY(args[0])->length);
    return true;
}

// An index into b: in [0, length) after adding length to a negative one.
static bool position(Vm *vm, ObjByteArray *b, Value key, size_t *out) {
    int64_t i;
    if (!seq_index_key(vm, key, "bytearray", &i)) return false;
    if (i < 0) i += (int64_t)b->length;
    if (i < 0 || i >= (int64_t)b->length) return vm_raise(vm, vm->IndexError, "bytearray index out of range");
    *out = (size_t)i;
    return true;
}

// A byte value: an int (or an object with __index__) in range(0, 256).
static bool byte_value(Vm *vm, Value v, unsigned char *out) {
    int64_t x;
    if (IS_BIGINT(v)) return vm_raise(vm, vm->ValueError, "byte must be in range(0, 256)");
    if (!IS_INTLIKE(v) && IS_EMPTY(class_lookup(vm_class_of(vm, v), vm->s_index)))
        return vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer",
                        vm_type_name(vm, v));
    if (!vm_index_value(vm, v, &x)) return false;
    if (x < 0 || x > 255) return vm_raise(vm, vm->ValueError, "byte must be in range(0, 256)");
    *out = (unsigned char)x;
    return true;
}

// slice_indices for b: a slice bound's __index__ may run code that resizes b, so the bounds are
// worked out again until b's length holds still across the computation.
static bool slice_of(Vm *vm, ObjByteArray *b, ObjSlice *slice, int64_t *start, int64_t *stop,
                     int64_t *step, int64_t *count) {
    for (int attempt = 0; attempt < 8; attempt++) {
        size_t before = b->length;
        if (!slice_indices(vm, slice, (int64_t)before, start, stop, step, count)) return false;
        if (b->length == before) return true;
    }
    return vm_raise(vm, vm->RuntimeError, "bytearray changed size during slicing");
}

static bool bytearray_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__getitem__", nargs - 1, kwnames, 1, 1)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, count;
        if (!slice_of(vm, b, AS_SLICE(args[1]), &start, &stop, &step, &count))
            return false;
        if (step == 1 || count <= 0) {
            *result = OBJ_VAL(bytearray_new(vm, bytearray_bytes(b) + (count > 0 ? start : 0),
                                            count > 0 ? (size_t)count : 0));
            return true;
        }
        ObjByteArray *out = bytearray_new(vm, bytearray_bytes(b), (size_t)count); // sized, then filled
        const unsigned char *from = bytearray_bytes(b);
        unsigned char *to = bytearray_bytes(out);
        for (int64_t k = 0, i = start; k < count && k < (int64_t)out->length; k++, i += step) to[k] = from[i];
        *result = OBJ_VAL(out);
        return true;
    }
    size_t i;
    if (!position(vm, b, args[1], &i)) return false;
    *result = INT_VAL(bytearray_bytes(b)[i]);
    return true;
}

// The bytes a slice assignment puts in: a bytes-like object, or an iterable of ints; not an int
// and not a str.  Appended to sb.
static bool assigned_bytes(Vm *vm, Value v, StrBuf *sb) {
    if (IS_STR(v) || IS_INTLIKE(v) || IS_BIGINT(v))
        return vm_raise(vm, vm->TypeError,
                        "can assign only bytes, buffers, or iterables of ints in range(0, 256)");
    if (!bytes_fill_from(vm, "bytearray", v, EMPTY_VAL(), EMPTY_VAL(), sb)) {
        if (vm_exception_matches(vm, vm->TypeError) && !IS_MEMORYVIEW(v)) {
            Value probe;
            if (!vm_iter(vm, v, &probe)) {
                vm_clear_exception(vm);
                return vm_raise(vm, vm->TypeError,
                                "can assign only bytes, buffers, or iterables of ints in range(0, 256)");
            }
        }
        return false;
    }
    return true;
}

static bool assign_slice(Vm *vm, ObjByteArray *b, ObjSlice *slice, Value v) {
    StrBuf sb;
    sb_init(&sb);
    if (!assigned_bytes(vm, v, &sb)) {
        sb_free(&sb);
        return false;
    }
    int64_t start, stop, step, count;
    bool ok = slice_of(vm, b, slice, &start, &stop, &step, &count);
    const unsigned char *src = (const unsigned char *)sb.data;
    if (ok && step == 1) {
        if (stop < start) stop = start;
        ok = splice(vm, b, (size_t)start, (size_t)stop, src, sb.length);
    } else if (ok && (int64_t)sb.length != count) {
        ok = vm_raise(vm, vm->ValueError, "attempt to assign bytes of size %zu to extended slice of size %lld",
                      sb.length, (long long)count);
    } else if (ok) {
        unsigned char *p = bytearray_bytes(b);
        for (int64_t k = 0, i = start; k < count; k++, i += step) p[i] = src[k];
    }
    sb_free(&sb);
    return ok;
}

static bool bytearray_setitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__setitem__", nargs - 1, kwnames, 2, 2)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    *result = NONE_VAL();
    if (IS_SLICE(args[1])) return assign_slice(vm, b, AS_SLICE(args[1]), args[2]);
    size_t i;
    unsigned char c;
    if (!position(vm, b, args[1], &i) || !byte_value(vm, args[2], &c)) return false;
    if (i >= b->length) // the value's __index__ shrank the array
        return vm_raise(vm, vm->IndexError, "bytearray index out of range");
    bytearray_bytes(b)[i] = c;
    return true;
}

static bool bytearray_delitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__delitem__", nargs - 1, kwnames, 1, 1)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    *result = NONE_VAL();
    if (!IS_SLICE(args[1])) {
        size_t i;
        return position(vm, b, args[1], &i) && splice(vm, b, i, i + 1, NULL, 0);
    }
    int64_t start, stop, step, count;
    if (!slice_of(vm, b, AS_SLICE(args[1]), &start, &stop, &step, &count))
        return false;
    if (count <= 0) return true;
    if (step == 1) return splice(vm, b, (size_t)start, (size_t)stop, NULL, 0);
    if (!may_resize(vm, b)) return false;
    // An extended slice: keep the bytes not on it, in order, then cut the tail.
    if (step < 0) { // the same positions, walked upwards
        start += (count - 1) * step;
        step = -step;
    }
    unsigned char *p = bytearray_bytes(b);
    size_t kept = (size_t)start;
    for (size_t i = (size_t)start; i < b->length; i++) {
        bool on_slice = (int64_t)i >= start && ((int64_t)i - start) % step == 0 &&
                        ((int64_t)i - start) / step < count;
        if (!on_slice) p[kept++] = p[i];
    }
    return splice(vm, b, kept, b->length, NULL, 0);
}

static int bytearray_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjByteArray *b = AS_BYTEARRAY(it->source);
    if ((size_t)it->index >= b->length) return 0; // re-read each step: the array may change
    *out = INT_VAL(bytearray_bytes(b)[it->index++]);
    return 1;
}

static bool bytearray_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__iter__", nargs - 1, kwnames, 0, 0)) return false;
    Value cls = AS_NATIVE(dict_get_str(vm->bytearray_class->dict, vm->s_iter))->data;
    ObjIter *it = iter_new(vm, AS_CLASS(cls), bytearray_iter_next, args[0]);
    it->index = 0;
    *result = OBJ_VAL(it);
    return true;
}

// ---- operators ----------------------------------------------------------------------------------

// The bytes of the right operand of + or +=, or the refusal in CPython's words.
static bool concat_operand(Vm *vm, Value v, ByteSpan *out) {
    int r = bytes_like(vm, v, out);
    if (r < 0) return false;
    if (r == 0) return vm_raise(vm, vm->TypeError, "can't concat %s to bytearray", vm_type_name(vm, v));
    return true;
}

static bool bytearray_add(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__add__", nargs - 1, kwnames, 1, 1)) return false;
    ByteSpan other;
    if (!concat_operand(vm, args[1], &other)) return false;
    ObjByteArray *a = AS_BYTEARRAY(args[0]);
    ObjByteArray *out = bytearray_new(vm, bytearray_bytes(a), a->length);
    vm_push_root(vm, OBJ_VAL(out));
    concat_operand(vm, args[1], &other); // again: nothing resized it, but the read is cheap
    bool ok = bytearray_append(vm, out, other.data, other.length);
    vm_pop_root(vm);
    *result = OBJ_VAL(out);
    return ok;
}

static bool bytearray_iadd(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__iadd__", nargs - 1, kwnames, 1, 1)) return false;
    ByteSpan other;
    if (!concat_operand(vm, args[1], &other) ||
        !bytearray_append(vm, AS_BYTEARRAY(args[0]), other.data, other.length))
        return false;
    *result = args[0];
    return true;
}

// self repeated n times, into `into` (self itself for *=); n <= 0 empties it.
static bool repeat_into(Vm *vm, ObjByteArray *self, int64_t n, ObjByteArray *into) {
    size_t unit = self->length;
    if (n <= 0 || unit == 0) return splice(vm, into, 0, into->length, NULL, 0);
    if ((uint64_t)n > (uint64_t)(SIZE_MAX / 4) / unit) return vm_raise_memory_error(vm);
    size_t total = unit * (size_t)n;
    if (into != self && !splice(vm, into, 0, into->length, bytearray_bytes(self), unit)) return false;
    if (!may_resize(vm, into) || !reserve(vm, into, total)) return false;
    seq_fill_repeated(bytearray_bytes(into), unit, total);
    into->length = total;
    return true;
}

static bool multiply(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name, Value *result) {
    if (!check_args(vm, name, nargs - 1, kwnames, 1, 1)) return false;
    int64_t n;
    int r = seq_repeat_count(vm, args[1], &n); // the count as every sequence reads it
    if (r <= 0) {
        *result = vm->not_implemented;
        return r == 0;
    }
    ObjByteArray *self = AS_BYTEARRAY(args[0]);
    bool in_place = strcmp(name, "__imul__") == 0;
    ObjByteArray *into = in_place ? self : alloc_empty(vm, vm->bytearray_class);
    vm_push_root(vm, OBJ_VAL(into));
    bool ok = repeat_into(vm, self, n, into);
    vm_pop_root(vm);
    *result = OBJ_VAL(into);
    return ok;
}

static bool bytearray_mul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, args, nargs, kwnames, "__mul__", result);
}
static bool bytearray_rmul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, args, nargs, kwnames, "__rmul__", result);
}
static bool bytearray_imul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, args, nargs, kwnames, "__imul__", result);
}

// bytearray % args: formatted as bytes are, then made a bytearray.
static bool bytearray_mod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__mod__", nargs - 1, kwnames, 1, 1)) return false;
    ObjByteArray *self = AS_BYTEARRAY(args[0]);
    ObjBytes *fmt = bytes_new(vm, bytearray_bytes(self), self->length);
    vm_push_root(vm, OBJ_VAL(fmt));
    ObjBytes *done = bytes_percent_format(vm, fmt, args[1]);
    vm_pop_root(vm);
    if (!done) return false;
    vm_push_root(vm, OBJ_VAL(done));
    *result = OBJ_VAL(bytearray_new(vm, done->data, done->length));
    vm_pop_root(vm);
    return true;
}

// ---- list-like methods --------------------------------------------------------------------------

static bool bytearray_append_method(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "bytearray.append", nargs - 1, kwnames, 1, 1)) return false;
    unsigned char c;
    if (!byte_value(vm, args[1], &c) || !bytearray_append(vm, AS_BYTEARRAY(args[0]), &c, 1)) return false;
    *result = NONE_VAL();
    return true;
}

// extend(bytes-like or iterable of ints).
static bool bytearray_extend(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "bytearray.extend", nargs - 1, kwnames, 1, 1)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    *result = NONE_VAL();
    ByteSpan span;
    int r = bytes_like(vm, args[1], &span);
    if (r < 0) return false;
    if (r > 0) return bytearray_append(vm, b, span.data, span.length);
    Value it;
    if (!vm_iter(vm, args[1], &it)) {
        if (!vm_exception_matches(vm, vm->TypeError)) return false;
        vm_clear_exception(vm);
        return vm_raise(vm, vm->TypeError, "can't extend bytearray with %s", vm_type_name(vm, args[1]));
    }
    vm_push_root(vm, it);
    StrBuf sb;
    sb_init(&sb);
    bool ok = bytes_fill_from(vm, "bytearray", it, EMPTY_VAL(), EMPTY_VAL(), &sb) &&
              bytearray_append(vm, b, sb.data, sb.length);
    sb_free(&sb);
    vm_pop_root(vm);
    return ok;
}

static bool bytearray_pop(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "pop", nargs - 1, kwnames, 0, 1)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    int64_t i = -1;
    if (nargs == 2 && !seq_index_key(vm, args[1], "bytearray", &i)) return false;
    if (b->length == 0) return vm_raise(vm, vm->IndexError, "pop from empty bytearray");
    if (i < 0) i += (int64_t)b->length;
    if (i < 0 || i >= (int64_t)b->length) return vm_raise(vm, vm->IndexError, "pop index out of range");
    unsigned char c = bytearray_bytes(b)[i];
    if (!splice(vm, b, (size_t)i, (size_t)i + 1, NULL, 0)) return false;
    *result = INT_VAL(c);
    return true;
}

static bool bytearray_insert(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "insert", nargs - 1, kwnames, 2, 2)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    int64_t i;
    unsigned char c;
    if (!seq_index_key(vm, args[1], "bytearray", &i) || !byte_value(vm, args[2], &c)) return false;
    int64_t n = (int64_t)b->length;
    if (i < 0) i = i + n < 0 ? 0 : i + n;
    if (i > n) i = n;
    *result = NONE_VAL();
    return splice(vm, b, (size_t)i, (size_t)i, &c, 1);
}

static bool bytearray_remove(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "bytearray.remove", nargs - 1, kwnames, 1, 1)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    unsigned char c;
    if (!byte_value(vm, args[1], &c)) return false;
    unsigned char *p = bytearray_bytes(b), *at = b->length ? memchr(p, c, b->length) : NULL;
    if (!at) return vm_raise(vm, vm->ValueError, "value not found in bytearray");
    *result = NONE_VAL();
    return splice(vm, b, (size_t)(at - p), (size_t)(at - p) + 1, NULL, 0);
}

static bool bytearray_reverse(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "bytearray.reverse", nargs - 1, kwnames, 0, 0)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    unsigned char *p = bytearray_bytes(b);
    for (size_t i = 0, j = b->length; i + 1 < j; i++, j--) {
        unsigned char t = p[i];
        p[i] = p[j - 1];
        p[j - 1] = t;
    }
    *result = NONE_VAL();
    return true;
}

static bool bytearray_copy(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "bytearray.copy", nargs - 1, kwnames, 0, 0)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    *result = OBJ_VAL(bytearray_new(vm, bytearray_bytes(b), b->length));
    return true;
}

static bool bytearray_clear(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "bytearray.clear", nargs - 1, kwnames, 0, 0)) return false;
    ObjByteArray *b = AS_BYTEARRAY(args[0]);
    *result = NONE_VAL();
    return splice(vm, b, 0, b->length, NULL, 0);
}

void runtime_init_bytearray(Vm *vm) {
    ObjClass *cls = vm->bytearray_class = define_class(vm, "bytearray", vm->object_class, OBJ_BYTEARRAY);
    dict_set_str(vm, vm->builtins, cls->name, OBJ_VAL(cls));
    define_methods(vm, cls,
                   (MethodDef[]){{"__new__", bytearray_new_native},
                                 {"__init__", bytearray_init},
                                 {"__repr__", bytearray_repr},
                                 {"__str__", bytearray_repr},
                                 {"__len__", bytearray_len},
                                 {"__getitem__", bytearray_getitem},
                                 {"__setitem__", bytearray_setitem},
                                 {"__delitem__", bytearray_delitem},
                                 {"__iter__", bytearray_iter},
                                 {"__add__", bytearray_add},
                                 {"__iadd__", bytearray_iadd},
                                 {"__mul__", bytearray_mul},
                                 {"__rmul__", bytearray_rmul},
                                 {"__imul__", bytearray_imul},
                                 {"__mod__", bytearray_mod},
                                 {"append", bytearray_append_method},
                                 {"extend", bytearray_extend},
                                 {"pop", bytearray_pop},
                                 {"insert", bytearray_insert},
                                 {"remove", bytearray_remove},
                                 {"reverse", bytearray_reverse},
                                 {"copy", bytearray_copy},
                                 {"clear", bytearray_clear},
                                 {NULL, NULL}});
    dict_set_str(vm, cls->dict, vm->s_hash, NONE_VAL()); // mutable: unhashable
    bytes_define_shared_methods(vm, cls);
    ObjClass *iter_cls = define_class(vm, "bytearray_iterator", vm->iterator_class, OBJ_ITER);
    AS_NATIVE(dict_get_str(cls->dict, vm->s_iter))->data = OBJ_VAL(iter_cls);
}
