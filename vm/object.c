/* Constructors of the core objects and their small mutators (list append/extend/reserve, tuples
 * from values, strs from a StrBuf), the string intern table, and UTF-8 / hashing helpers.  The
 * methods Python code sees are in runtime/<type>.c. */
#include "object.h"

#include <stdarg.h>
#include <string.h>

#include "gc.h"
#include "strbuf.h"
#include "vm.h"

#define TOMBSTONE ((ObjStr *)1)
#define NEW(vm, type, kind, cls) ((type *)gc_alloc_object(vm, sizeof(type), kind, cls))

uint64_t hash_bytes(const void *data, size_t length) {
    // FNV-1a, folded to stay clear of -1 (which CPython reserves as an error marker; we keep the
    // habit so hashes look like CPython's in spirit).
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < length; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    h &= 0x1fffffffffffffffull;
    return h ? h : 1; // 0 is ObjStr's "not hashed yet"
}

size_t utf8_count(const char *s, size_t length) {
    size_t n = 0;
    for (size_t i = 0; i < length; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

size_t utf8_offset(const char *s, size_t length, size_t index) {
    size_t i = 0;
    while (index > 0 && i < length) {
        i++;
        while (i < length && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        index--;
    }
    return i;
}

// Sets every header field of a fresh string; the caller writes its bytes.
static ObjStr *str_init_header(ObjStr *s, size_t length, size_t nchars) {
    s->length = length;
    s->nchars = nchars;
    s->hash = 0;
    s->interned = false;
    s->chars[length] = '\0';
    return s;
}

ObjStr *str_alloc(Vm *vm, size_t length, size_t nchars) {
    // Every field is set here and the caller writes the bytes: no need to zero the block.
    ObjStr *s = (ObjStr *)gc_alloc_object_uninit(vm, sizeof(ObjStr) + length + 1, OBJ_STR,
                                                 vm->str_class);
    return str_init_header(s, length, nchars);
}

ObjStr *str_try_alloc(Vm *vm, size_t length, size_t nchars) {
    if (length > SIZE_MAX / 2) {
        vm_raise_memory_error(vm);
        return NULL;
    }
    ObjStr *s = (ObjStr *)gc_try_alloc_object(vm, sizeof(ObjStr) + length + 1, OBJ_STR, vm->str_class, false);
    if (!s) return NULL;
    return str_init_header(s, length, nchars);
}

// Big strings may not be had: then a MemoryError is owed and the string is cut short to empty
// (callers of str_new never write into the result, so they cannot tell).
ObjStr *str_new_counted(Vm *vm, const char *chars, size_t length, size_t nchars) {
    if (length < 4096) {
        ObjStr *s = str_alloc(vm, length, nchars);
        if (length) memcpy(s->chars, chars, length);
        return s;
    }
    ObjStr *s = (ObjStr *)gc_alloc_object_or_null(vm, sizeof(ObjStr) + length + 1, OBJ_STR, vm->str_class, false);
    if (!s) {
        gc_owe_memory_error();
        return str_alloc(vm, 0, 0);
    }
    s->length = length;
    s->nchars = nchars;
    s->hash = 0;
    s->interned = false;
    memcpy(s->chars, chars, length);
    s->chars[length] = '\0';
    return s;
}

ObjStr *str_new(Vm *vm, const char *chars, size_t length) {
    return str_new_counted(vm, chars, length, utf8_count(chars, length));
}

// ---- the intern table ---------------------------------------------------------------------------

static ObjStr **intern_find(ObjStr **table, size_t capacity, const char *chars, size_t length,
                            uint64_t hash) {
    size_t i = hash & (capacity - 1);
    ObjStr **tomb = NULL;
    for (;;) {
        ObjStr *s = table[i];
        if (s == NULL) return tomb ? tomb : &table[i];
        if (s == TOMBSTONE) {
            if (!tomb) tomb = &table[i];
        } else if (s->hash == hash && s->length == length && memcmp(s->chars, chars, length) == 0) {
            return &table[i];
        }
        i = (i + 1) & (capacity - 1);
    }
}

static void intern_grow(Vm *vm) {
    size_t capacity = vm->intern_capacity ? vm->intern_capacity * 2 : 1024;
    ObjStr **table = calloc(capacity, sizeof(ObjStr *));
    if (!table) abort();
    size_t count = 0;
    for (size_t i = 0; i < vm->intern_capacity; i++) {
        ObjStr *s = vm->interned[i];
        if (!s || s == TOMBSTONE) continue;
        *intern_find(table, capacity, s->chars, s->length, s->hash) = s;
        count++;
    }
    free(vm->interned);
    vm->interned = table;
    vm->intern_capacity = capacity;
    vm->intern_count = count;
}

ObjStr *str_intern(Vm *vm, const char *chars, size_t length) {
    uint64_t hash = hash_bytes(chars, length);
    if (vm->intern_capacity) {
        ObjStr **slot = intern_find(vm->interned, vm->intern_capacity, chars, length, hash);
        if (*slot && *slot != TOMBSTONE) return *slot;
    }
    ObjStr *s = str_new(vm, chars, length); // may collect: look the slot up again after
    s->hash = hash;
    s->interned = true;
    if ((vm->intern_count + 1) * 4 > vm->intern_capacity * 3) intern_grow(vm);
    ObjStr **slot = intern_find(vm->interned, vm->intern_capacity, chars, length, hash);
    if (*slot == NULL) vm->intern_count++;
    *slot = s;
    return s;
}

ObjStr *str_from_c(Vm *vm, const char *cstr) { return str_intern(vm, cstr, strlen(cstr)); }

ObjStr *str_printf(Vm *vm, const char *fmt, ...) {
    StrBuf sb;
    sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    ObjStr *s = str_new(vm, sb.data ? sb.data : "", sb.length);
    sb_free(&sb);
    return s;
}

// ---- other constructors -------------------------------------------------------------------------

ObjBytes *bytes_new(Vm *vm, const void *data, size_t length) {
    ObjBytes *b = (ObjBytes *)gc_alloc_object_or_null(vm, sizeof(ObjBytes) + length + 1, OBJ_BYTES,
                                                      vm->bytes_class, true);
    if (!b) { // as str_new_counted: a MemoryError is owed, the bytes are cut short
        gc_owe_memory_error();
        length = 0;
        b = (ObjBytes *)gc_alloc_object(vm, sizeof(ObjBytes) + 1, OBJ_BYTES, vm->bytes_class);
    }
    b->length = length;
    if (length) memcpy(b->data, data, length);
    b->data[length] = 0;
    b->hash = 0; // computed on first use (bytes_hash_of)
    return b;
}

ObjList *list_new(Vm *vm, size_t capacity) {
    ObjList *list = NEW(vm, ObjList, OBJ_LIST, vm->list_class);
    if (capacity) {
        vm_push_root(vm, OBJ_VAL(list));
        list->items = GC_ARRAY(vm, Value, NULL, 0, capacity);
        list->capacity = capacity;
        vm_pop_root(vm);
    }
    return list;
}

ObjBytes *bytes_try_alloc(Vm *vm, size_t length) {
    if (length > SIZE_MAX / 2) {
        vm_raise_memory_error(vm);
        return NULL;
    }
    ObjBytes *b = (ObjBytes *)gc_try_alloc_object(vm, sizeof(ObjBytes) + length + 1, OBJ_BYTES,
                                                  vm->bytes_class, false);
    if (!b) return NULL;
    b->length = length;
    b->data[length] = 0;
    b->hash = 0;
    return b;
}

ObjList *list_try_new(Vm *vm, size_t capacity) {
    if (capacity > SIZE_MAX / (2 * sizeof(Value))) {
        vm_raise_memory_error(vm);
        return NULL;
    }
    ObjList *list = NEW(vm, ObjList, OBJ_LIST, vm->list_class);
    if (capacity) {
        vm_push_root(vm, OBJ_VAL(list));
        list->items = gc_try_realloc(vm, NULL, 0, sizeof(Value) * capacity);
        vm_pop_root(vm);
        if (!list->items) return NULL;
        list->capacity = capacity;
    }
    return list;
}

ObjTuple *tuple_try_new(Vm *vm, size_t count) {
    if (count > SIZE_MAX / (2 * sizeof(Value))) {
        vm_raise_memory_error(vm);
        return NULL;
    }
    ObjTuple *t = (ObjTuple *)gc_try_alloc_object(vm, sizeof(ObjTuple) + sizeof(Value) * count, OBJ_TUPLE,
                                                  vm->tuple_class, false);
    if (!t) return NULL;
    t->count = count;
    for (size_t i = 0; i < count; i++) t->items[i] = NONE_VAL();
    return t;
}

ObjTuple *tuple_new(Vm *vm, size_t count) {
    ObjTuple *t = (ObjTuple *)gc_alloc_object_uninit(vm, sizeof(ObjTuple) + sizeof(Value) * count,
                                                     OBJ_TUPLE, vm->tuple_class);
    t->count = count;
    for (size_t i = 0; i < count; i++) t->items[i] = NONE_VAL();
    return t;
}

ObjDict *dict_new(Vm *vm) { return NEW(vm, ObjDict, OBJ_DICT, vm->dict_class); }

ObjSet *set_new(Vm *vm, bool frozen) {
    ObjSet *s = NEW(vm, ObjSet, OBJ_SET, frozen ? vm->frozenset_class : vm->set_class);
    s->frozen = frozen;
    return s;
}

ObjCode *code_new(Vm *vm) { return NEW(vm, ObjCode, OBJ_CODE, vm->code_class); }

ObjFunction *function_new(Vm *vm, ObjCode *code, ObjDict *globals) {
    ObjFunction *f = NEW(vm, ObjFunction, OBJ_FUNCTION, vm->function_class);
    f->code = code;
    f->globals = globals;
    f->name = code->name;
    f->qualname = code->qualname;
    f->module = NONE_VAL();
    f->doc = NONE_VAL();
    return f;
}

ObjCell *cell_new(Vm *vm, Value value) {
    ObjCell *c = NEW(vm, ObjCell, OBJ_CELL, vm->cell_class);
    c->value = value;
    return c;
}

ObjNative *native_new(Vm *vm, const char *name, NativeFn fn, ObjClass *owner) {
    ObjStr *s = str_from_c(vm, name);
    vm_push_root(vm, OBJ_VAL(s));
    ObjNative *n = NEW(vm, ObjNative, OBJ_NATIVE, vm->builtin_function_class);
    vm_pop_root(vm);
    n->fn = fn;
    n->name = s;
    n->owner = owner;
    n->data = NONE_VAL();
    n->is_method = owner != NULL;
    n->slot = native_slot_kind(vm, name, owner);
    return n;
}

ObjBound *bound_new(Vm *vm, Value self, Value func) {
    ObjBound *b = NEW(vm, ObjBound, OBJ_BOUND, vm->method_class);
    b->self = self;
    b->func = func;
    return b;
}

ObjClass *class_new(Vm *vm, ObjStr *name, ObjClass *base) {
    vm_push_root(vm, OBJ_VAL(name));
    ObjDict *dict = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(dict));
    ObjClass *c = NEW(vm, ObjClass, OBJ_CLASS, vm->type_class);
    vm_pop_roots(vm, 2);
    c->name = name;
    c->qualname = name;
    c->base = base;
    c->dict = dict;
    c->instance_kind = base ? base->instance_kind : OBJ_INSTANCE;
    c->flags = base ? (base->flags & (CLASS_EXCEPTION | CLASS_EXC_GROUP)) : 0;
    c->depth = base ? base->depth + 1 : 0;
    if (base) {
        c->has_getattr = base->has_getattr;
        c->has_del = base->has_del;
        c->has_setattr = base->has_setattr;
        c->has_data_descriptors = base->has_data_descriptors;
    }
    return c;
}

ObjInstance *instance_new(Vm *vm, ObjClass *cls) {
    ObjInstance *inst = NEW(vm, ObjInstance, OBJ_INSTANCE, cls);
    vm_push_root(vm, OBJ_VAL(inst));
    inst->dict = dict_new(vm);
    vm_pop_root(vm);
    if (cls->has_del) gc_track_finalizable(vm, (Obj *)inst);
    return inst;
}

ObjException *exception_new(Vm *vm, ObjClass *cls, ObjTuple *args) {
    vm_push_root(vm, OBJ_VAL(args));
    ObjException *e = NEW(vm, ObjException, OBJ_EXCEPTION, cls);
    vm_pop_root(vm);
    e->args = args;
    e->cause = NONE_VAL();
    e->context = NONE_VAL();
    e->extra = NONE_VAL();
    e->traceback = NONE_VAL();
    e->async_trail = NONE_VAL();
    return e;
}

ObjModule *module_new(Vm *vm, ObjStr *name) {
    vm_push_root(vm, OBJ_VAL(name));
    ObjDict *globals = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(globals));
    ObjModule *m = NEW(vm, ObjModule, OBJ_MODULE, vm->module_class);
    vm_pop_roots(vm, 2);
    m->name = name;
    m->globals = globals;
    return m;
}

ObjIter *iter_new(Vm *vm, ObjClass *cls, IterNextFn next, Value source) {
    vm_push_root(vm, source);
    ObjIter *it = NEW(vm, ObjIter, OBJ_ITER, cls);
    vm_pop_root(vm);
    it->next = next;
    it->source = source;
    it->extra = NONE_VAL();
    return it;
}

ObjWrapper *wrapper_new(Vm *vm, ObjClass *cls, WrapperKind wrap, Value a, Value b, Value c) {
    vm_push_root(vm, a);
    vm_push_root(vm, b);
    vm_push_root(vm, c);
    ObjWrapper *w = NEW(vm, ObjWrapper, OBJ_WRAPPER, cls);
    vm_pop_roots(vm, 3);
    w->wrap = wrap;
    w->a = a;
    w->b = b;
    w->c = c;
    return w;
}

ObjRange *range_new(Vm *vm, int64_t start, int64_t stop, int64_t step) {
    ObjRange *r = NEW(vm, ObjRange, OBJ_RANGE, vm->range_class);
    r->start = start;
    r->stop = stop;
    r->step = step;
    r->wide = NULL;
    return r;
}

Value int_from_mpz(Vm *vm, mpz_ptr z) {
    if (mpz_fits_slong_p(z)) {
        long small = mpz_get_si(z); // long is 64 bits on every platform aio builds on
        mpz_clear(z);
        return INT_VAL((int64_t)small);
    }
    ObjBigInt *b = NEW(vm, ObjBigInt, OBJ_BIGINT, vm->int_class);
    mpz_init(b->value); // no allocation: the swap hands over z's limbs
    mpz_swap(b->value, z);
    mpz_clear(z);
    return OBJ_VAL(b);
}

ObjSlice *slice_new(Vm *vm, Value start, Value stop, Value step) {
    vm_push_root(vm, start);
    vm_push_root(vm, stop);
    vm_push_root(vm, step);
    ObjSlice *s = NEW(vm, ObjSlice, OBJ_SLICE, vm->slice_class);
    vm_pop_roots(vm, 3);
    s->start = start;
    s->stop = stop;
    s->step = step;
    return s;
}

ObjBox *box_new(Vm *vm, ObjClass *cls, void *data, void (*finalize)(void *)) {
    ObjBox *b = NEW(vm, ObjBox, OBJ_BOX, cls);
    b->data = data;
    b->finalize = finalize;
    return b;
}

// ---- lists: growing in place -------------------------------------------------------------------

// Makes room for n items in total; false with MemoryError raised when memory runs out (the list
// is unchanged).  May collect: the list must be rooted by the caller.
bool list_reserve(Vm *vm, ObjList *list, size_t n) {
    if (n <= list->capacity) return true;
    if (n > SIZE_MAX / (2 * sizeof(Value))) return vm_raise_memory_error(vm);
    size_t cap = n + (n >> 3) + 6; // CPython's over-allocation
    cap &= ~(size_t)3;
    Value *items = gc_try_realloc(vm, list->items, sizeof(Value) * list->capacity, sizeof(Value) * cap);
    if (!items) return false;
    list->items = items;
    list->capacity = cap;
    return true;
}

// Also the place where C loops that build a list (split, list(iterable), ...) notice a
// MemoryError owed by a small allocation (vm/gc.c), and stop.
bool list_try_append(Vm *vm, ObjList *list, Value v) {
    if (UNLIKELY(vm_memory_error_owed)) {
        vm_memory_error_owed = false;
        return vm_raise_memory_error(vm);
    }
    if (list->count == list->capacity) {
        vm_push_root(vm, v);
        bool ok = list_reserve(vm, list, list->count + 1);
        vm_pop_root(vm);
        if (!ok) return false;
    }
    list->items[list->count++] = v;
    return true;
}

void list_append(Vm *vm, ObjList *list, Value v) {
    if (list->count == list->capacity) {
        vm_push_root(vm, v);
        size_t cap = (list->count + 1) + ((list->count + 1) >> 3) + 6;
        cap &= ~(size_t)3;
        list->items = GC_ARRAY(vm, Value, list->items, list->capacity, cap);
        list->capacity = cap;
        vm_pop_root(vm);
    }
    list->items[list->count++] = v;
}

bool list_extend(Vm *vm, ObjList *list, Value iterable) {
    if (IS_LIST(iterable) || IS_TUPLE(iterable)) {
        // Snapshot the source length first: a.extend(a) doubles a once.
        size_t n = IS_LIST(iterable) ? AS_LIST(iterable)->count : AS_TUPLE(iterable)->count;
        if (n == 0) return true;
        vm_push_root(vm, iterable);
        bool ok = list_reserve(vm, list, list->count + n);
        vm_pop_root(vm);
        if (!ok) return false;
        Value *src = IS_LIST(iterable) ? AS_LIST(iterable)->items : AS_TUPLE(iterable)->items;
        values_move(&list->items[list->count], src, n);
        list->count += n;
        return true;
    }
    Value it;
    if (!vm_iter(vm, iterable, &it)) return false;
    vm_push_root(vm, it);
    Value v;
    int r;
    while ((r = vm_next(vm, it, &v)) == 1)
        if (!list_try_append(vm, list, v)) {
            r = -1;
            break;
        }
    vm_pop_root(vm);
    return r == 0;
}

// ---- tuples and strs from other values ---------------------------------------------------------

ObjTuple *tuple_from_values(Vm *vm, const Value *items, size_t n) {
    ObjTuple *t = tuple_new(vm, n);
    values_move(t->items, items, n);
    return t;
}

ObjTuple *tuple_from_list(Vm *vm, ObjList *list) {
    ObjTuple *t = tuple_new(vm, list->count);
    values_move(t->items, list->items, list->count);
    return t;
}

ObjTuple *tuple_try_from_list(Vm *vm, ObjList *list) {
    vm_push_root(vm, OBJ_VAL(list));
    ObjTuple *t = tuple_try_new(vm, list->count);
    vm_pop_root(vm);
    if (t) values_move(t->items, list->items, list->count);
    return t;
}

ObjTuple *tuple_pair(Vm *vm, Value a, Value b) {
    vm_push_root(vm, a);
    vm_push_root(vm, b);
    ObjTuple *t = tuple_new(vm, 2);
    vm_pop_roots(vm, 2);
    t->items[0] = a;
    t->items[1] = b;
    return t;
}

ObjStr *str_from_buf(Vm *vm, StrBuf *sb) {
    // A failed buffer has already owed its MemoryError (vm/strbuf.h): its text is cut short.
    ObjStr *s = sb->failed ? str_new(vm, "", 0) : str_new(vm, sb->data ? sb->data : "", sb->length);
    sb_free(sb);
    return s;
}

ObjStr *str_try_from_buf(Vm *vm, StrBuf *sb) {
    if (sb->failed) {
        // The buffer owed a MemoryError when it failed: raised here and now instead.
        vm_memory_error_owed = false;
        sb_free(sb);
        vm_raise_memory_error(vm);
        return NULL;
    }
    const char *chars = sb->data ? sb->data : "";
    ObjStr *s = str_try_alloc(vm, sb->length, utf8_count(chars, sb->length));
    if (s && sb->length) memcpy(s->chars, chars, sb->length);
    sb_free(sb);
    return s;
}

ObjStr *str_concat(Vm *vm, ObjStr *a, ObjStr *b) {
    if (b->length == 0 && a->obj.cls == vm->str_class) return a;
    if (a->length == 0 && b->obj.cls == vm->str_class) return b;
    vm_push_root(vm, OBJ_VAL(a));
    vm_push_root(vm, OBJ_VAL(b));
    ObjStr *s = str_try_alloc(vm, a->length + b->length, a->nchars + b->nchars);
    vm_pop_roots(vm, 2);
    if (!s) return NULL;
    memcpy(s->chars, a->chars, a->length);
    memcpy(s->chars + a->length, b->chars, b->length);
    return s;
}
