/* str: the immutable Unicode string type, its operators, and the builtins ord, chr and ascii.
 *
 * A str is UTF-8 with its code point count beside it (vm/object.h).  Indexing counts code
 * points: O(1) when the string is ASCII, a walk over the bytes otherwise.  Everything that reads
 * characters goes through unicode.h, which knows CPython's answers for every code point.
 *
 * The methods live in neighbouring files (text.h lists them); this file builds the class.
 */
#include <string.h>

#include "container.h"
#include "text.h"
#include "unicode.h"

// ---- small helpers ------------------------------------------------------------------------------

size_t str_offset(ObjStr *s, size_t i) {
    if (s->length == s->nchars) return i;
    return utf8_offset(s->chars, s->length, i);
}

ObjStr *str_from_code_point(Vm *vm, uint32_t c) {
    char buf[4];
    int n = uni_encode(c, buf);
    return c < 0x80 ? str_intern(vm, buf, 1) : str_new(vm, buf, (size_t)n);
}

ObjStr *str_exact(Vm *vm, ObjStr *s) {
    if (s->obj.cls == vm->str_class) return s;
    return str_new(vm, s->chars, s->length);
}

// The classes of str's iterators, as CPython 3.11 names them: str_ascii_iterator for ASCII
// text, str_iterator otherwise.  They hang off the `data` of str.__iter__ (a pair), so the class
// dict keeps them alive without them being visible from Python.
static ObjClass *iterator_class_for(Vm *vm, ObjStr *s) {
    ObjTuple *pair = AS_TUPLE(AS_NATIVE(dict_get_str(vm->str_class->dict, vm->s_iter))->data);
    return AS_CLASS(pair->items[s->length == s->nchars ? 0 : 1]);
}

// ---- repr ---------------------------------------------------------------------------------------

static const char HEX[] = "0123456789abcdef";

// One escape: \xhh, \uhhhh or \Uhhhhhhhh, the shortest that holds c.
static void put_escape(uint32_t c, StrBuf *out) {
    char buf[10];
    int digits = c <= 0xFF ? 2 : c <= 0xFFFF ? 4 : 8;
    buf[0] = '\\';
    buf[1] = digits == 2 ? 'x' : digits == 4 ? 'u' : 'U';
    for (int i = 0; i < digits; i++) buf[2 + i] = HEX[(c >> (4 * (digits - 1 - i))) & 0xF];
    sb_append(out, buf, (size_t)(2 + digits));
}

void str_repr_to(ObjStr *s, bool ascii, StrBuf *out) {
    // CPython's choice: single quotes unless the text has a ' and no ".
    bool squote = memchr(s->chars, '\'', s->length) != NULL;
    bool dquote = memchr(s->chars, '"', s->length) != NULL;
    char quote = squote && !dquote ? '"' : '\'';
    sb_reserve(out, s->length + 2);
    sb_putc(out, quote);
    size_t pos = 0;
    while (pos < s->length) {
        size_t start = pos;
        uint32_t c = uni_next(s->chars, s->length, &pos);
        if (c == (uint32_t)quote || c == '\\') {
            sb_putc(out, '\\');
            sb_putc(out, (char)c);
        } else if (c == '\t') {
            sb_puts(out, "\\t");
        } else if (c == '\n') {
            sb_puts(out, "\\n");
        } else if (c == '\r') {
            sb_puts(out, "\\r");
        } else if (c < 0x20 || c == 0x7F) {
            put_escape(c, out);
        } else if (c < 0x7F) {
            sb_putc(out, (char)c);
        } else if (ascii || !uni_is_printable(c)) {
            put_escape(c, out);
        } else {
            sb_append(out, s->chars + start, pos - start);
        }
    }
    sb_putc(out, quote);
}

void str_repr_into(ObjStr *s, StrBuf *out) { str_repr_to(s, false, out); }

ObjStr *str_ascii_of(Vm *vm, Value v) {
    ObjStr *r = vm_repr(vm, v);
    if (!r) return NULL;
    if (r->length == r->nchars) return r; // already ASCII
    // Escape the non-ASCII characters of the repr, leaving everything else as it was.
    StrBuf sb;
    sb_init(&sb);
    size_t pos = 0;
    while (pos < r->length) {
        size_t start = pos;
        uint32_t c = uni_next(r->chars, r->length, &pos);
        if (c < 0x80) sb_append(&sb, r->chars + start, 1);
        else put_escape(c, &sb);
    }
    return str_from_buf(vm, &sb);
}

// ---- indexing -----------------------------------------------------------------------------------

// Indexing a non-ASCII str walks its bytes, so a loop over s[0], s[1], ... would be quadratic.
// The last position found is remembered and the next lookup in the same string walks from
// there (or from whichever end is nearer).  The string is kept alive by the `data` of the
// str.__getitem__ native, so its address cannot be reused while the cache names it; the cache
// is trusted only while that native still holds the same string.
static struct {
    ObjStr *s;
    size_t index, offset; // character `index` of s starts at byte `offset`
} position_cache;

static size_t cached_offset(Vm *vm, ObjStr *s, size_t i) {
    ObjNative *getitem = AS_NATIVE(dict_get_str(vm->str_class->dict, vm->s_getitem));
    if (position_cache.s != s || !value_is(getitem->data, OBJ_VAL(s))) {
        getitem->data = OBJ_VAL(s);
        position_cache.s = s;
        position_cache.index = position_cache.offset = 0;
    }
    size_t ci = position_cache.index, off = position_cache.offset;
    size_t from_cache = ci > i ? ci - i : i - ci;
    if (i < from_cache) {
        ci = off = 0;
    } else if (s->nchars - i < from_cache) {
        ci = s->nchars;
        off = s->length;
    }
    for (; ci < i; ci++) uni_next(s->chars, s->length, &off);
    for (; ci > i; ci--) uni_prev(s->chars, &off);
    position_cache.index = ci;
    position_cache.offset = off;
    return off;
}

// The character at index i (0 <= i < nchars), as a new 1-character str.
static ObjStr *char_at(Vm *vm, ObjStr *s, size_t i) {
    if (s->length == s->nchars) return str_intern(vm, s->chars + i, 1);
    size_t off = s->length < 64 ? utf8_offset(s->chars, s->length, i) : cached_offset(vm, s, i);
    size_t end = off;
    uni_next(s->chars, s->length, &end);
    return end - off == 1 ? str_intern(vm, s->chars + off, 1) : str_new(vm, s->chars + off, end - off);
}

static bool get_slice(Vm *vm, ObjStr *s, ObjSlice *slice, Value *out) {
    int64_t start, stop, step, count;
    if (!slice_indices(vm, slice, (int64_t)s->nchars, &start, &stop, &step, &count)) return false;
    if (count <= 0) {
        *out = OBJ_VAL(vm->s_empty);
        return true;
    }
    if (step == 1) {
        if ((size_t)count == s->nchars && s->obj.cls == vm->str_class) {
            *out = OBJ_VAL(s);
            return true;
        }
        size_t from = str_offset(s, (size_t)start), to = str_offset(s, (size_t)(start + count));
        *out = OBJ_VAL(str_new(vm, s->chars + from, to - from));
        return true;
    }
    StrBuf sb;
    sb_init(&sb);
    if (s->length == s->nchars) {
        for (int64_t k = 0, i = start; k < count; k++, i += step) sb_putc(&sb, s->chars[i]);
    } else {
        // Record where every character starts, then copy the chosen ones.
        size_t *offs = malloc(sizeof(size_t) * (s->nchars + 1));
        if (!offs) abort();
        size_t pos = 0, n = 0;
        while (pos < s->length) {
            offs[n++] = pos;
            uni_next(s->chars, s->length, &pos);
        }
        offs[n] = pos;
        for (int64_t k = 0, i = start; k < count; k++, i += step)
            sb_append(&sb, s->chars + offs[i], offs[i + 1] - offs[i]);
        free(offs);
    }
    *out = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

bool str_getitem(Vm *vm, ObjStr *s, Value key, Value *out) {
    bool has_index = IS_OBJ(key) && !IS_SLICE(key) &&
                     !IS_EMPTY(class_lookup(vm_class_of(vm, key), vm->s_index));
    if (IS_BIGINT(key)) return seq_big_index_error(vm);
    if (IS_INTLIKE(key) || has_index) {
        int64_t i;
        if (!vm_index_value(vm, key, &i)) return false;
        if (i < 0) i += (int64_t)s->nchars;
        if (i < 0 || i >= (int64_t)s->nchars)
            return vm_raise(vm, vm->IndexError, "string index out of range");
        *out = OBJ_VAL(char_at(vm, s, (size_t)i));
        return true;
    }
    if (IS_SLICE(key)) return get_slice(vm, s, AS_SLICE(key), out);
    return vm_raise(vm, vm->TypeError, "string indices must be integers, not '%s'",
                    vm_type_name(vm, key));
}

// ---- construction -------------------------------------------------------------------------------

// str(object='') / str(object=b'', encoding='utf-8', errors='strict').
static bool str_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"object", "encoding", "errors", NULL};
    Value a[3];
    if (!parse_args(vm, "str", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    ObjClass *cls = AS_CLASS(args[0]);
    ObjStr *s;
    if (IS_EMPTY(a[1]) && IS_EMPTY(a[2])) {
        s = IS_EMPTY(a[0]) ? vm->s_empty : vm_str(vm, a[0]);
        if (!s) return false;
    } else {
        ObjStr *encoding = NULL, *errors = NULL;
        if (!IS_EMPTY(a[1]) && !IS_STR(a[1]))
            return vm_raise(vm, vm->TypeError, "str() argument 'encoding' must be str, not %s",
                            arg_type_name(vm, a[1]));
        if (!IS_EMPTY(a[2]) && !IS_STR(a[2]))
            return vm_raise(vm, vm->TypeError, "str() argument 'errors' must be str, not %s",
                            arg_type_name(vm, a[2]));
        if (!IS_EMPTY(a[1])) encoding = AS_STR(a[1]);
        if (!IS_EMPTY(a[2])) errors = AS_STR(a[2]);
        if (IS_EMPTY(a[0])) {
            s = vm->s_empty;
        } else if (IS_BYTES(a[0]) || IS_BYTEARRAY(a[0]) || IS_MEMORYVIEW(a[0])) {
            ByteSpan span;
            int r = bytes_like(vm, a[0], &span);
            if (r < 0) return false;
            if (r == 0) // a strided view: decoded from a copy of its items
                return vm_raise(vm, vm->TypeError, "decoding to str: need a bytes-like object, memoryview found");
            s = codec_decode(vm, span.data, span.length, encoding, errors);
            if (!s) return false;
        } else if (IS_STR(a[0])) {
            return vm_raise(vm, vm->TypeError, "decoding str is not supported");
        } else {
            return vm_raise(vm, vm->TypeError, "decoding to str: need a bytes-like object, %s found",
                            vm_type_name(vm, a[0]));
        }
    }
    if (cls != vm->str_class) {
        // An instance of a subclass of str: a copy of its own, whose class is cls.
        vm_push_root(vm, OBJ_VAL(s));
        ObjStr *copy = str_new(vm, s->chars, s->length);
        vm_pop_root(vm);
        copy->obj.cls = cls;
        s = copy;
    }
    *result = OBJ_VAL(s);
    return true;
}

// ---- operators ----------------------------------------------------------------------------------

static bool str_add(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__add__", nargs - 1, kwnames, 1, 1)) return false;
    if (IS_STR(args[1])) {
        ObjStr *joined = str_concat(vm, AS_STR(args[0]), AS_STR(args[1]));
        if (!joined) return false;
        *result = OBJ_VAL(joined);
        return true;
    }
    if (seq_other_may_handle(vm, args[1], "__radd__")) {
        *result = vm->not_implemented;
        return true;
    }
    return vm_raise(vm, vm->TypeError, "can only concatenate str (not \"%s\") to str",
                    vm_type_name(vm, args[1]));
}

// s * n for an int n; n <= 0 gives ''.
static bool repeat(Vm *vm, ObjStr *s, int64_t n, Value *result) {
    if (n <= 0 || s->length == 0) {
        *result = OBJ_VAL(vm->s_empty);
        return true;
    }
    if (n == 1 && s->obj.cls == vm->str_class) {
        *result = OBJ_VAL(s);
        return true;
    }
    if ((uint64_t)n > (uint64_t)INT64_MAX / s->length)
        return vm_raise(vm, vm->OverflowError, "repeated string is too long");
    size_t total = s->length * (size_t)n;
    vm_push_root(vm, OBJ_VAL(s));
    ObjStr *out = str_try_alloc(vm, total, s->nchars * (size_t)n);
    vm_pop_root(vm);
    if (!out) return false;
    if (s->length == 1) {
        memset(out->chars, s->chars[0], total);
    } else {
        memcpy(out->chars, s->chars, s->length);
        seq_fill_repeated(out->chars, s->length, total);
    }
    *result = OBJ_VAL(out);
    return true;
}

// __mul__ and __rmul__ (`name`): the count as every sequence reads it (seq_repeat_count).
static bool multiply(Vm *vm, const char *name, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, name, nargs - 1, kwnames, 1, 1)) return false;
    int64_t n;
    int r = seq_repeat_count(vm, args[1], &n);
    if (r <= 0) {
        *result = vm->not_implemented;
        return r == 0;
    }
    return repeat(vm, AS_STR(args[0]), n, result);
}

static bool str_mul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, "__mul__", args, nargs, kwnames, result);
}

static bool str_rmul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, "__rmul__", args, nargs, kwnames, result);
}

static bool str_mod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__mod__", nargs - 1, kwnames, 1, 1)) return false;
    ObjStr *s = str_percent_format(vm, AS_STR(args[0]), args[1]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// Finds needle in haystack by bytes (see text.h on why bytes suffice).
static bool contains(ObjStr *hay, ObjStr *needle) {
    if (needle->length == 0) return true;
    if (needle->length > hay->length) return false;
    const char *p = hay->chars, *end = hay->chars + hay->length - needle->length;
    while (p <= end) {
        p = memchr(p, needle->chars[0], (size_t)(end - p) + 1);
        if (!p) return false;
        if (memcmp(p, needle->chars, needle->length) == 0) return true;
        p++;
    }
    return false;
}

static bool str_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__contains__", nargs - 1, kwnames, 1, 1)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "'in <string>' requires string as left operand, not %s",
                        vm_type_name(vm, args[1]));
    *result = BOOL_VAL(contains(AS_STR(args[0]), AS_STR(args[1])));
    return true;
}

static bool str_getitem_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__getitem__", nargs - 1, kwnames, 1, 1)) return false;
    return str_getitem(vm, AS_STR(args[0]), args[1], result);
}

static bool str_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__len__", nargs - 1, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)AS_STR(args[0])->nchars);
    return true;
}

// A str_iterator walks the bytes: `index` is the byte offset of the next character.
static int str_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjStr *s = AS_STR(it->source);
    if ((size_t)it->index >= s->length) return 0;
    size_t pos = (size_t)it->index;
    uint32_t c = uni_next(s->chars, s->length, &pos);
    ObjStr *ch = c < 0x80 ? str_intern(vm, s->chars + it->index, 1)
                          : str_new(vm, s->chars + it->index, pos - (size_t)it->index);
    it->index = (int64_t)pos;
    *out = OBJ_VAL(ch);
    return 1;
}

static bool str_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__iter__", nargs - 1, kwnames, 0, 0)) return false;
    ObjIter *it = iter_new(vm, iterator_class_for(vm, AS_STR(args[0])), str_iter_next, args[0]);
    it->index = 0;
    *result = OBJ_VAL(it);
    return true;
}

// Compares two strs by code point, which for UTF-8 is the order of their bytes.
static int compare(ObjStr *a, ObjStr *b) {
    size_t n = a->length < b->length ? a->length : b->length;
    int c = memcmp(a->chars, b->chars, n);
    if (c != 0) return c;
    return a->length < b->length ? -1 : a->length > b->length ? 1 : 0;
}

// The six comparisons share one shape: NotImplemented unless both are strs.
#define STR_COMPARE(fname, pyname, expr)                                                         \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {       \
        if (!check_args(vm, pyname, nargs - 1, kwnames, 1, 1)) return false;                     \
        if (!IS_STR(args[1])) {                                                                  \
            *result = vm->not_implemented;                                                       \
            return true;                                                                         \
        }                                                                                        \
        ObjStr *a = AS_STR(args[0]), *b = AS_STR(args[1]);                                       \
        *result = BOOL_VAL(expr);                                                                \
        return true;                                                                             \
    }

STR_COMPARE(str_eq, "__eq__", str_equal(a, b))
STR_COMPARE(str_ne, "__ne__", !str_equal(a, b))
STR_COMPARE(str_lt, "__lt__", compare(a, b) < 0)
STR_COMPARE(str_le, "__le__", compare(a, b) <= 0)
STR_COMPARE(str_gt, "__gt__", compare(a, b) > 0)
STR_COMPARE(str_ge, "__ge__", compare(a, b) >= 0)

static bool str_hash_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__hash__", nargs - 1, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)str_hash(AS_STR(args[0])));
    return true;
}

static bool str_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__repr__", nargs - 1, kwnames, 0, 0)) return false;
    StrBuf sb;
    sb_init(&sb);
    str_repr_to(AS_STR(args[0]), false, &sb);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool str_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__str__", nargs - 1, kwnames, 0, 0)) return false;
    *result = OBJ_VAL(str_exact(vm, AS_STR(args[0])));
    return true;
}

static bool str_encode(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"encoding", "errors", NULL};
    Value a[2];
    if (!parse_args(vm, "encode", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    ObjStr *enc[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        if (IS_EMPTY(a[i])) continue;
        if (!IS_STR(a[i]))
            return vm_raise(vm, vm->TypeError, "encode() argument '%s' must be str, not %s",
                            names[i], arg_type_name(vm, a[i]));
        enc[i] = AS_STR(a[i]);
    }
    ObjBytes *b = codec_encode(vm, AS_STR(args[0]), enc[0], enc[1]);
    if (!b) return false;
    *result = OBJ_VAL(b);
    return true;
}

// ---- builtins -----------------------------------------------------------------------------------

static bool builtin_ord(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "ord", nargs, kwnames, 1, 1)) return false;
    if (IS_STR(args[0])) {
        ObjStr *s = AS_STR(args[0]);
        if (s->nchars != 1)
            return vm_raise(vm, vm->TypeError,
                            "ord() expected a character, but string of length %zu found", s->nchars);
        size_t pos = 0;
        *result = INT_VAL(uni_next(s->chars, s->length, &pos));
        return true;
    }
    if (IS_BYTES(args[0]) || IS_BYTEARRAY(args[0])) {
        ByteSpan b;
        bytes_like(vm, args[0], &b);
        if (b.length != 1)
            return vm_raise(vm, vm->TypeError,
                            "ord() expected a character, but string of length %zu found", b.length);
        *result = INT_VAL(b.data[0]);
        return true;
    }
    return vm_raise(vm, vm->TypeError, "ord() expected string of length 1, but %s found",
                    vm_type_name(vm, args[0]));
}

static bool builtin_chr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "chr", nargs, kwnames, 1, 1)) return false;
    int64_t c;
    if (!arg_c_int(vm, args[0], &c)) return false;
    if (c < 0 || c > 0x10FFFF) return vm_raise(vm, vm->ValueError, "chr() arg not in range(0x110000)");
    *result = OBJ_VAL(str_from_code_point(vm, (uint32_t)c));
    return true;
}

static bool builtin_ascii(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "ascii", nargs, kwnames, 1, 1)) return false;
    ObjStr *s = str_ascii_of(vm, args[0]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// ---- the class ----------------------------------------------------------------------------------

void runtime_init_str(Vm *vm) {
    ObjClass *cls = vm->str_class;
    define_methods(vm, cls,
                   (MethodDef[]){{"__new__", str_new_native},
                                 {"__add__", str_add},
                                 {"__mul__", str_mul},
                                 {"__rmul__", str_rmul},
                                 {"__mod__", str_mod},
                                 {"__contains__", str_contains},
                                 {"__getitem__", str_getitem_native},
                                 {"__len__", str_len},
                                 {"__iter__", str_iter},
                                 {"__eq__", str_eq},
                                 {"__ne__", str_ne},
                                 {"__lt__", str_lt},
                                 {"__le__", str_le},
                                 {"__gt__", str_gt},
                                 {"__ge__", str_ge},
                                 {"__hash__", str_hash_native},
                                 {"__repr__", str_repr},
                                 {"__str__", str_str},
                                 {"encode", str_encode},
                                 {NULL, NULL}});
    ObjTuple *iter_classes = tuple_new(vm, 2);
    vm_push_root(vm, OBJ_VAL(iter_classes));
    iter_classes->items[0] = OBJ_VAL(define_class(vm, "str_ascii_iterator", vm->iterator_class, OBJ_ITER));
    iter_classes->items[1] = OBJ_VAL(define_class(vm, "str_iterator", vm->iterator_class, OBJ_ITER));
    AS_NATIVE(dict_get_str(cls->dict, vm->s_iter))->data = OBJ_VAL(iter_classes);
    vm_pop_root(vm);

    text_define_methods(vm, cls);
    str_define_case_methods(vm, cls);
    format_define(vm, cls);

    define_native(vm, vm->builtins, "ord", builtin_ord);
    define_native(vm, vm->builtins, "chr", builtin_chr);
    define_native(vm, vm->builtins, "ascii", builtin_ascii);
}
