/* memoryview: windows on the bytes of a bytes or bytearray, and the one helper that reads any
 * bytes-like object (bytes_like, declared in runtime.h).
 *
 * A view (ObjMemoryView in vm/object.h) holds its base object, not an address: the address is
 * computed at each use, so the GC needs nothing special and a view of a view simply points at
 * the same base with its own offset and step.  Slicing a view makes a view and copies nothing.
 * Only the one-dimensional format 'B' exists (items are ints in range(0, 256)).
 *
 * Exports: while a view of a bytearray is unreleased and alive, the bytearray must not change
 * size (bytearray.c refuses with BufferError).  release() and `with` give the export back at
 * once; a view that is simply dropped gives it back when the GC collects it (vm/gc.c,
 * gc_track_view), and bytearray.c runs a collection before refusing a resize.
 */
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "text.h"

// ---- reading bytes-like objects -----------------------------------------------------------------

// The address of a view's first item (valid while its base does not change size).
static unsigned char *view_start(ObjMemoryView *v) {
    Value base = v->base;
    unsigned char *p = IS_BYTES(base) ? AS_BYTES(base)->data : bytearray_bytes(AS_BYTEARRAY(base));
    return p + v->offset;
}

static bool forbidden(Vm *vm) {
    return vm_raise(vm, vm->ValueError, "operation forbidden on released memoryview object");
}

int bytes_like(Vm *vm, Value v, ByteSpan *out) {
    if (!IS_OBJ(v)) return 0;
    switch (AS_OBJ(v)->kind) {
    case OBJ_BYTES:
        *out = (ByteSpan){AS_BYTES(v)->data, AS_BYTES(v)->length};
        return 1;
    case OBJ_BYTEARRAY:
        *out = (ByteSpan){bytearray_bytes(AS_BYTEARRAY(v)), AS_BYTEARRAY(v)->length};
        return 1;
    case OBJ_MEMORYVIEW: {
        ObjMemoryView *view = AS_MEMORYVIEW(v);
        if (view->released) return forbidden(vm) ? -1 : -1;
        // A strided view is not C-contiguous: CPython's byte-oriented functions refuse it as
        // not bytes-like (bytes() and tobytes() copy it item by item instead).
        if (view->step != 1 && view->length > 1) return 0;
        *out = (ByteSpan){view_start(view), view->length};
        return 1;
    }
    default: return 0;
    }
}

bool bytes_like_or_raise(Vm *vm, Value v, ByteSpan *out) {
    int r = bytes_like(vm, v, out);
    if (r > 0) return true;
    if (r == 0)
        vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'", vm_type_name(vm, v));
    return false;
}

int bytes_like_writable(Vm *vm, Value v, ByteSpan *out) {
    if (!IS_BYTEARRAY(v) && !(IS_MEMORYVIEW(v) && !AS_MEMORYVIEW(v)->readonly)) return 0;
    return bytes_like(vm, v, out);
}

bool memoryview_copy_into(Vm *vm, ObjMemoryView *view, StrBuf *out) {
    if (view->released) return forbidden(vm);
    if (!sb_try_reserve(out, view->length)) return vm_raise_memory_error(vm);
    const unsigned char *p = view_start(view);
    for (size_t i = 0; i < view->length; i++) sb_putc(out, (char)p[(int64_t)i * view->step]);
    return true;
}

// ---- construction and release -------------------------------------------------------------------

static ObjMemoryView *view_new(Vm *vm, Value base, size_t offset, size_t length, int64_t step,
                               bool readonly) {
    ObjMemoryView *v = (ObjMemoryView *)gc_alloc_object(vm, sizeof(ObjMemoryView), OBJ_MEMORYVIEW,
                                                        vm->memoryview_class);
    v->base = base;
    v->offset = offset;
    v->length = length;
    v->step = step;
    v->readonly = readonly;
    if (IS_BYTEARRAY(base)) {
        AS_BYTEARRAY(base)->exports++;
        gc_track_view(vm, v);
    }
    return v;
}

static bool memoryview_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"object", NULL};
    Value a[1];
    if (!parse_args(vm, "memoryview", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    Value src = a[0];
    if (IS_BYTES(src)) {
        *result = OBJ_VAL(view_new(vm, src, 0, AS_BYTES(src)->length, 1, true));
    } else if (IS_BYTEARRAY(src)) {
        *result = OBJ_VAL(view_new(vm, src, 0, AS_BYTEARRAY(src)->length, 1, false));
    } else if (IS_MEMORYVIEW(src)) {
        ObjMemoryView *o = AS_MEMORYVIEW(src);
        if (o->released) return forbidden(vm);
        *result = OBJ_VAL(view_new(vm, o->base, o->offset, o->length, o->step, o->readonly));
    } else {
        return vm_raise(vm, vm->TypeError, "memoryview: a bytes-like object is required, not '%s'",
                        vm_type_name(vm, src));
    }
    return true;
}

// Gives the export back; again is harmless.
static void release(ObjMemoryView *v) {
    if (v->released) return;
    v->released = true;
    if (IS_BYTEARRAY(v->base) && AS_BYTEARRAY(v->base)->exports > 0) AS_BYTEARRAY(v->base)->exports--;
}

static ObjMemoryView *self_view(Vm *vm, Value self) {
    ObjMemoryView *v = AS_MEMORYVIEW(self);
    if (v->released) {
        forbidden(vm);
        return NULL;
    }
    return v;
}

static bool memoryview_release(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "memoryview.release", nargs - 1, kwnames, 0, 0)) return false;
    release(AS_MEMORYVIEW(args[0]));
    *result = NONE_VAL();
    return true;
}

static bool memoryview_enter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "memoryview.__enter__", nargs - 1, kwnames, 0, 0)) return false;
    if (!self_view(vm, args[0])) return false;
    *result = args[0];
    return true;
}

static bool memoryview_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    release(AS_MEMORYVIEW(args[0]));
    *result = NONE_VAL();
    return true;
}

// ---- items --------------------------------------------------------------------------------------

static bool memoryview_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    *result = INT_VAL((int64_t)v->length);
    return true;
}

// The item index of an int key, or IndexError.
static bool item_index(Vm *vm, ObjMemoryView *v, Value key, size_t *out) {
    int64_t i;
    if (IS_BIGINT(key)) return vm_raise(vm, vm->IndexError, "cannot fit 'int' into an index-sized integer");
    if (!IS_INTLIKE(key) && (!IS_OBJ(key) || IS_EMPTY(class_lookup(vm_class_of(vm, key), vm->s_index))))
        return vm_raise(vm, vm->TypeError, "memoryview: invalid slice key");
    if (!vm_index_value(vm, key, &i)) return false;
    if (i < 0) i += (int64_t)v->length;
    if (i < 0 || i >= (int64_t)v->length)
        return vm_raise(vm, vm->IndexError, "index out of bounds on dimension 1");
    *out = (size_t)i;
    return true;
}

// Where item i of a view lives, as a byte offset from the base's first byte.
static size_t item_offset(ObjMemoryView *v, size_t i) {
    return (size_t)((int64_t)v->offset + (int64_t)i * v->step);
}

static bool memoryview_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__getitem__", nargs - 1, kwnames, 1, 1)) return false;
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, count;
        if (!slice_indices(vm, AS_SLICE(args[1]), (int64_t)v->length, &start, &stop, &step, &count) ||
            !self_view(vm, args[0])) // __index__ code may have released the view
            return false;
        size_t n = count > 0 ? (size_t)count : 0;
        size_t offset = n ? item_offset(v, (size_t)start) : v->offset;
        *result = OBJ_VAL(view_new(vm, v->base, offset, n, v->step * step, v->readonly));
        return true;
    }
    size_t i;
    if (!item_index(vm, v, args[1], &i) || !self_view(vm, args[0])) return false; // (code ran)
    *result = INT_VAL(view_start(v)[(int64_t)i * v->step]);
    return true;
}

static bool memoryview_setitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__setitem__", nargs - 1, kwnames, 2, 2)) return false;
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    if (v->readonly) return vm_raise(vm, vm->TypeError, "cannot modify read-only memory");
    *result = NONE_VAL();
    Value value = args[2];
    if (IS_SLICE(args[1])) {
        int64_t start, stop, step, count;
        if (!slice_indices(vm, AS_SLICE(args[1]), (int64_t)v->length, &start, &stop, &step, &count))
            return false;
        // The source is read through a copy: it may be this very memory.
        StrBuf src;
        sb_init(&src);
        bool ok;
        if (IS_MEMORYVIEW(value)) ok = memoryview_copy_into(vm, AS_MEMORYVIEW(value), &src);
        else {
            ByteSpan span;
            ok = bytes_like_or_raise(vm, value, &span);
            if (ok) sb_append(&src, (const char *)span.data, span.length);
        }
        if (ok && !self_view(vm, args[0])) ok = false; // released by code the slice or value ran
        if (ok && (int64_t)src.length != (count > 0 ? count : 0))
            ok = vm_raise(vm, vm->ValueError,
                          "memoryview assignment: lvalue and rvalue have different structures");
        if (ok) {
            unsigned char *p = view_start(v);
            for (int64_t k = 0; k < count; k++) p[(start + k * step) * v->step] = (unsigned char)src.data[k];
        }
        sb_free(&src);
        return ok;
    }
    size_t i;
    if (!item_index(vm, v, args[1], &i)) return false;
    if (!IS_INTLIKE(value)) {
        if (IS_BIGINT(value))
            return vm_raise(vm, vm->ValueError, "memoryview: invalid value for format 'B'");
        return vm_raise(vm, vm->TypeError, "memoryview: invalid type for format 'B'");
    }
    int64_t x = AS_INTLIKE(value);
    if (x < 0 || x > 255) return vm_raise(vm, vm->ValueError, "memoryview: invalid value for format 'B'");
    if (!self_view(vm, args[0])) return false; // the key's __index__ released it
    view_start(v)[(int64_t)i * v->step] = (unsigned char)x;
    return true;
}

static int memoryview_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjMemoryView *v = AS_MEMORYVIEW(it->source);
    if (v->released) return forbidden(vm) ? -1 : -1;
    if ((size_t)it->index >= v->length) return 0;
    *out = INT_VAL(view_start(v)[it->index++ * v->step]);
    return 1;
}

static bool memoryview_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!self_view(vm, args[0])) return false;
    Value cls = AS_NATIVE(dict_get_str(vm->memoryview_class->dict, vm->s_iter))->data;
    ObjIter *it = iter_new(vm, AS_CLASS(cls), memoryview_iter_next, args[0]);
    it->index = 0;
    *result = OBJ_VAL(it);
    return true;
}

// ---- conversions --------------------------------------------------------------------------------

static bool memoryview_tobytes(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"order", NULL};
    Value a[1];
    if (!parse_args(vm, "tobytes", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    StrBuf sb;
    sb_init(&sb);
    if (!memoryview_copy_into(vm, v, &sb)) {
        sb_free(&sb);
        return false;
    }
    *result = OBJ_VAL(bytes_new(vm, sb.data ? sb.data : "", sb.length));
    sb_free(&sb);
    return true;
}

static bool memoryview_tolist(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "memoryview.tolist", nargs - 1, kwnames, 0, 0)) return false;
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    ObjList *list = list_try_new(vm, v->length);
    if (!list) return false;
    const unsigned char *p = view_start(v);
    for (size_t i = 0; i < v->length; i++) list->items[i] = INT_VAL(p[(int64_t)i * v->step]);
    list->count = v->length;
    *result = OBJ_VAL(list);
    return true;
}

// hex(sep, bytes_per_sep): bytes.hex on a copy of the items, with the same arguments.
static bool memoryview_hex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    int total = nargs + (kwnames ? (int)kwnames->count : 0);
    if (total > 3) return vm_raise(vm, vm->TypeError, "hex() takes at most 2 arguments (%d given)", total - 1);
    StrBuf sb;
    sb_init(&sb);
    if (!memoryview_copy_into(vm, v, &sb)) {
        sb_free(&sb);
        return false;
    }
    Value call_args[3];
    call_args[0] = OBJ_VAL(bytes_new(vm, sb.data ? sb.data : "", sb.length));
    sb_free(&sb);
    for (int i = 1; i < total; i++) call_args[i] = args[i];
    vm_push_root(vm, call_args[0]);
    Value hex = dict_get_str(vm->bytes_class->dict, str_from_c(vm, "hex"));
    bool ok = vm_call(vm, hex, call_args, nargs, kwnames, result);
    vm_pop_root(vm);
    return ok;
}

static bool memoryview_toreadonly(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "memoryview.toreadonly", nargs - 1, kwnames, 0, 0)) return false;
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    *result = OBJ_VAL(view_new(vm, v->base, v->offset, v->length, v->step, true));
    return true;
}

// ---- comparison, hash, repr ---------------------------------------------------------------------

// view == other: equal items, for another view or a bytes-like object; else NotImplemented.
static bool memoryview_eq(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__eq__", nargs - 1, kwnames, 1, 1)) return false;
    ObjMemoryView *v = AS_MEMORYVIEW(args[0]);
    Value other = args[1];
    if (value_is(args[0], other)) {
        *result = BOOL_VAL(true);
        return true;
    }
    if (!IS_MEMORYVIEW(other) && !IS_BYTES(other) && !IS_BYTEARRAY(other)) {
        *result = vm->not_implemented;
        return true;
    }
    if (v->released || (IS_MEMORYVIEW(other) && AS_MEMORYVIEW(other)->released)) {
        *result = BOOL_VAL(false);
        return true;
    }
    StrBuf mine, theirs;
    sb_init(&mine);
    sb_init(&theirs);
    memoryview_copy_into(vm, v, &mine);
    if (IS_MEMORYVIEW(other)) {
        memoryview_copy_into(vm, AS_MEMORYVIEW(other), &theirs);
    } else {
        ByteSpan span;
        bytes_like(vm, other, &span);
        sb_append(&theirs, (const char *)span.data, span.length);
    }
    *result = BOOL_VAL(mine.length == theirs.length &&
                       (mine.length == 0 || memcmp(mine.data, theirs.data, mine.length) == 0));
    sb_free(&mine);
    sb_free(&theirs);
    return true;
}

static bool memoryview_ne(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!memoryview_eq(vm, args, nargs, kwnames, result)) return false;
    if (IS_BOOL(*result)) *result = BOOL_VAL(!AS_BOOL(*result));
    return true;
}

// A read-only view hashes as the bytes it shows; a writable one refuses.
static bool memoryview_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    if (!v->readonly) return vm_raise(vm, vm->ValueError, "cannot hash writable memoryview object");
    StrBuf sb;
    sb_init(&sb);
    memoryview_copy_into(vm, v, &sb);
    *result = INT_VAL((int64_t)hash_bytes(sb.data ? sb.data : "", sb.length));
    sb_free(&sb);
    return true;
}

static bool memoryview_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = AS_MEMORYVIEW(args[0]);
    *result = OBJ_VAL(str_printf(vm, "<%smemory at %p>", v->released ? "released " : "", (void *)v));
    return true;
}

// ---- attributes ---------------------------------------------------------------------------------

static bool attr_obj(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    *result = v->base;
    return true;
}

static bool attr_nbytes(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    *result = INT_VAL((int64_t)v->length);
    return true;
}

static bool attr_readonly(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    *result = BOOL_VAL(v->readonly);
    return true;
}

static bool attr_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!self_view(vm, args[0])) return false;
    *result = OBJ_VAL(str_from_c(vm, "B"));
    return true;
}

static bool attr_one(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!self_view(vm, args[0])) return false;
    *result = INT_VAL(1); // itemsize and ndim
    return true;
}

static bool attr_shape(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    Value n = INT_VAL((int64_t)v->length);
    *result = OBJ_VAL(tuple_from_values(vm, &n, 1));
    return true;
}

static bool attr_strides(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    Value step = INT_VAL(v->step);
    *result = OBJ_VAL(tuple_from_values(vm, &step, 1));
    return true;
}

static bool attr_contiguous(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjMemoryView *v = self_view(vm, args[0]);
    if (!v) return false;
    *result = BOOL_VAL(v->step == 1 || v->length <= 1);
    return true;
}

void runtime_init_memoryview(Vm *vm) {
    ObjClass *cls = vm->memoryview_class = define_class(vm, "memoryview", vm->object_class, OBJ_MEMORYVIEW);
    cls->flags |= CLASS_FINAL;
    dict_set_str(vm, vm->builtins, cls->name, OBJ_VAL(cls));
    define_methods(vm, cls,
                   (MethodDef[]){{"__new__", memoryview_new_native},
                                 {"__len__", memoryview_len},
                                 {"__getitem__", memoryview_getitem},
                                 {"__setitem__", memoryview_setitem},
                                 {"__iter__", memoryview_iter},
                                 {"__eq__", memoryview_eq},
                                 {"__ne__", memoryview_ne},
                                 {"__hash__", memoryview_hash},
                                 {"__repr__", memoryview_repr},
                                 {"__enter__", memoryview_enter},
                                 {"__exit__", memoryview_exit},
                                 {"release", memoryview_release},
                                 {"tobytes", memoryview_tobytes},
                                 {"tolist", memoryview_tolist},
                                 {"hex", memoryview_hex},
                                 {"toreadonly", memoryview_toreadonly},
                                 {NULL, NULL}});
    define_getters(vm, cls,
                   (MethodDef[]){{"obj", attr_obj},
                                 {"nbytes", attr_nbytes},
                                 {"readonly", attr_readonly},
                                 {"format", attr_format},
                                 {"itemsize", attr_one},
                                 {"ndim", attr_one},
                                 {"shape", attr_shape},
                                 {"strides", attr_strides},
                                 {"contiguous", attr_contiguous},
                                 {"c_contiguous", attr_contiguous},
                                 {NULL, NULL}});
    ObjClass *iter_cls = define_class(vm, "memory_iterator", vm->iterator_class, OBJ_ITER);
    AS_NATIVE(dict_get_str(cls->dict, vm->s_iter))->data = OBJ_VAL(iter_cls);
}
