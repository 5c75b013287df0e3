/* bytes: the immutable byte string type.
 *
 * Indexing a bytes gives an int, slicing gives bytes, and iteration yields ints.  The methods it
 * shares with str (find, split, strip, ...) are in text.c; this file has the constructor, the
 * operators, the ASCII-only case methods and predicates, decode, hex, fromhex, translate and
 * maketrans.
 */
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "text.h"

static ObjClass *iterator_class_of(Vm *vm, ObjClass *cls) {
    Value it = dict_get_str(cls->dict, vm->s_iter);
    return AS_CLASS(AS_NATIVE(it)->data);
}

// Makes a bytes of class cls (bytes itself, or a subclass of it) from n bytes at p.
static ObjBytes *bytes_of_class(Vm *vm, ObjClass *cls, const void *p, size_t n) {
    ObjBytes *b = bytes_new(vm, p, n);
    b->obj.cls = cls;
    return b;
}

// The bytes of self, a bytes or a bytearray (the methods both types share take either).
static ByteSpan self_span(Value self) {
    ByteSpan span;
    bytes_like(NULL, self, &span);
    return span;
}

// A new object of self's kind (bytes or bytearray) holding n bytes at p.
static Value same_kind(Vm *vm, Value self, const void *p, size_t n) {
    if (IS_BYTEARRAY(self)) return OBJ_VAL(bytearray_new(vm, p, n));
    return OBJ_VAL(bytes_new(vm, p, n));
}

// ---- repr ---------------------------------------------------------------------------------------

void bytes_repr_into(const unsigned char *data, size_t n, StrBuf *out) {
    static const char HEX[] = "0123456789abcdef";
    bool squote = memchr(data, '\'', n) != NULL, dquote = memchr(data, '"', n) != NULL;
    char quote = squote && !dquote ? '"' : '\'';
    sb_reserve(out, n + 3);
    sb_putc(out, 'b');
    sb_putc(out, quote);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = data[i];
        if (c == quote || c == '\\') {
            sb_putc(out, '\\');
            sb_putc(out, (char)c);
        } else if (c == '\t') {
            sb_puts(out, "\\t");
        } else if (c == '\n') {
            sb_puts(out, "\\n");
        } else if (c == '\r') {
            sb_puts(out, "\\r");
        } else if (c < 0x20 || c >= 0x7F) {
            char esc[4] = {'\\', 'x', HEX[c >> 4], HEX[c & 0xF]};
            sb_append(out, esc, 4);
        } else {
            sb_putc(out, (char)c);
        }
    }
    sb_putc(out, quote);
}

// ---- construction (bytes and bytearray) --------------------------------------------------------

// Appends the items of an iterable of ints, each in range(0, 256) (range_msg words the refusal).
static bool append_ints(Vm *vm, Value src, const char *range_msg, StrBuf *out) {
    Value holder, *items;
    size_t n;
    if (!text_gather(vm, src, NULL, &holder, &items, &n)) return false;
    vm_push_root(vm, holder);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        int64_t v;
        if (!IS_INTLIKE(items[i])) {
            if (IS_BIGINT(items[i])) ok = vm_raise(vm, vm->ValueError, "%s", range_msg);
            else if (IS_EMPTY(class_lookup(vm_class_of(vm, items[i]), vm->s_index)))
                ok = vm_raise(vm, vm->TypeError, "'%s' object cannot be interpreted as an integer",
                              vm_type_name(vm, items[i]));
            else if ((ok = vm_index_value(vm, items[i], &v)) && (v < 0 || v > 255))
                ok = vm_raise(vm, vm->ValueError, "%s", range_msg);
            if (!ok) break;
        } else {
            v = AS_INTLIKE(items[i]);
            if (v < 0 || v > 255) {
                ok = vm_raise(vm, vm->ValueError, "%s", range_msg);
                break;
            }
        }
        sb_putc(out, (char)v);
    }
    vm_pop_root(vm);
    return ok;
}

static bool append_or_fail(Vm *vm, StrBuf *out, const void *p, size_t n) {
    if (!sb_try_reserve(out, n)) return vm_raise_memory_error(vm);
    sb_append(out, p, n);
    return true;
}

bool bytes_fill_from(Vm *vm, const char *type_name, Value src, Value encoding, Value errors,
                     StrBuf *out) {
    static const char *const names[] = {"encoding", "errors"};
    Value extra[2] = {encoding, errors};
    for (int i = 0; i < 2; i++)
        if (!IS_EMPTY(extra[i]) && !IS_STR(extra[i]))
            return vm_raise(vm, vm->TypeError, "%s() argument '%s' must be str, not %s", type_name,
                            names[i], arg_type_name(vm, extra[i]));
    if (IS_STR(src)) {
        if (IS_EMPTY(encoding)) return vm_raise(vm, vm->TypeError, "string argument without an encoding");
        ObjBytes *b = codec_encode(vm, AS_STR(src), AS_STR(encoding),
                                   IS_EMPTY(errors) ? NULL : AS_STR(errors));
        return b && append_or_fail(vm, out, b->data, b->length);
    }
    if (!IS_EMPTY(encoding))
        return vm_raise(vm, vm->TypeError, "encoding without a string argument");
    if (!IS_EMPTY(errors))
        return vm_raise(vm, vm->TypeError, "errors without a string argument");
    if (IS_EMPTY(src)) return true;
    if (IS_BIGINT(src)) return repeat_count_too_big(vm); // CPython's same message
    if (IS_INTLIKE(src)) {
        int64_t n = AS_INTLIKE(src);
        if (n < 0) return vm_raise(vm, vm->ValueError, "negative count");
        if (!sb_try_reserve(out, (size_t)n)) return vm_raise_memory_error(vm);
        sb_repeat(out, 0, (size_t)n);
        return true;
    }
    if (IS_MEMORYVIEW(src)) return memoryview_copy_into(vm, AS_MEMORYVIEW(src), out);
    ByteSpan span;
    if (bytes_like(vm, src, &span)) return append_or_fail(vm, out, span.data, span.length);
    Value it = src;
    if (!IS_LIST(src) && !IS_TUPLE(src) && !vm_iter(vm, src, &it)) {
        if (!vm_exception_matches(vm, vm->TypeError)) return false;
        vm_clear_exception(vm);
        return vm_raise(vm, vm->TypeError, "cannot convert '%s' object to %s",
                        vm_type_name(vm, src), type_name);
    }
    vm_push_root(vm, it);
    bool ok = append_ints(vm, it, strcmp(type_name, "bytes") == 0 ? "bytes must be in range(0, 256)"
                                                                 : "byte must be in range(0, 256)", out);
    vm_pop_root(vm);
    return ok;
}

// bytes() / bytes(int) / bytes(bytes-like) / bytes(iterable) / bytes(str, encoding[, errors]).
static bool bytes_new_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"source", "encoding", "errors", NULL};
    Value a[3];
    if (!parse_args(vm, "bytes", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    ObjClass *cls = AS_CLASS(args[0]);
    Value src = a[0];
    if (IS_BYTES(src) && IS_EMPTY(a[1]) && IS_EMPTY(a[2])) {
        if (cls == vm->bytes_class && AS_OBJ(src)->cls == cls) *result = src;
        else *result = OBJ_VAL(bytes_of_class(vm, cls, AS_BYTES(src)->data, AS_BYTES(src)->length));
        return true;
    }
    ByteSpan span;
    int buffer = IS_STR(src) || !IS_EMPTY(a[1]) || !IS_EMPTY(a[2]) ? 0 : bytes_like(vm, src, &span);
    if (buffer < 0) return false;
    if (buffer > 0) {
        *result = OBJ_VAL(bytes_of_class(vm, cls, span.data, span.length));
        return true;
    }
    // An object with __bytes__ (other than the kinds bytes_fill_from knows).
    if (IS_OBJ(src) && !IS_STR(src) && !IS_BIGINT(src) && !IS_MEMORYVIEW(src)) {
        Value conv;
        int r = vm_call_method(vm, src, str_from_c(vm, "__bytes__"), NULL, 0, &conv);
        if (r < 0) return false;
        if (r > 0) {
            if (!IS_BYTES(conv))
                return vm_raise(vm, vm->TypeError, "__bytes__ returned non-bytes (type %s)",
                                vm_type_name(vm, conv));
            if (cls == vm->bytes_class) {
                *result = conv;
            } else {
                vm_push_root(vm, conv);
                *result = OBJ_VAL(bytes_of_class(vm, cls, AS_BYTES(conv)->data, AS_BYTES(conv)->length));
                vm_pop_root(vm);
            }
            return true;
        }
    }
    StrBuf sb;
    sb_init(&sb);
    if (!bytes_fill_from(vm, "bytes", src, a[1], a[2], &sb)) {
        sb_free(&sb);
        return false;
    }
    ObjBytes *b = bytes_try_alloc(vm, sb.length);
    if (b) {
        if (sb.length) memcpy(b->data, sb.data, sb.length);
        b->obj.cls = cls;
        *result = OBJ_VAL(b);
    }
    sb_free(&sb);
    return b != NULL;
}

// ---- operators ----------------------------------------------------------------------------------

static bool bytes_add(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__add__", nargs - 1, kwnames, 1, 1)) return false;
    ByteSpan other;
    int r = bytes_like(vm, args[1], &other);
    if (r < 0) vm_clear_exception(vm); // a released view: refused as CPython does, by its type
    if (r <= 0) {
        if (seq_other_may_handle(vm, args[1], "__radd__")) {
            *result = vm->not_implemented;
            return true;
        }
        return vm_raise(vm, vm->TypeError, "can't concat %s to bytes", vm_type_name(vm, args[1]));
    }
    ObjBytes *a = AS_BYTES(args[0]);
    if (other.length > SIZE_MAX / 2 - a->length) return vm_raise_memory_error(vm);
    ObjBytes *out = bytes_try_alloc(vm, a->length + other.length);
    if (!out) return false;
    a = AS_BYTES(args[0]); // (args stay rooted; the pointers stay valid: nothing moved)
    memcpy(out->data, a->data, a->length);
    if (other.length) memcpy(out->data + a->length, other.data, other.length);
    *result = OBJ_VAL(out);
    return true;
}

static bool repeat(Vm *vm, ObjBytes *b, int64_t n, Value *result) {
    if (n <= 0 || b->length == 0) {
        *result = OBJ_VAL(bytes_new(vm, "", 0));
        return true;
    }
    if ((uint64_t)n > (uint64_t)INT64_MAX / b->length)
        return vm_raise_memory_error(vm);
    size_t total = b->length * (size_t)n;
    vm_push_root(vm, OBJ_VAL(b));
    ObjBytes *out = bytes_try_alloc(vm, total);
    vm_pop_root(vm);
    if (!out) return false;
    memcpy(out->data, b->data, b->length);
    seq_fill_repeated(out->data, b->length, total);
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
    return repeat(vm, AS_BYTES(args[0]), n, result);
}

static bool bytes_mul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, "__mul__", args, nargs, kwnames, result);
}

static bool bytes_rmul(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return multiply(vm, "__rmul__", args, nargs, kwnames, result);
}

static bool bytes_mod(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__mod__", nargs - 1, kwnames, 1, 1)) return false;
    ObjBytes *b = bytes_percent_format(vm, AS_BYTES(args[0]), args[1]);
    if (!b) return false;
    *result = OBJ_VAL(b);
    return true;
}

// `x in self` for a bytes or bytearray self: x is one byte as an int, or a bytes-like needle.
static bool bytes_contains(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__contains__", nargs - 1, kwnames, 1, 1)) return false;
    ByteSpan hay = self_span(args[0]), needle;
    Value x = args[1];
    unsigned char one;
    if (IS_INTLIKE(x) || IS_BIGINT(x)) {
        int64_t v = IS_BIGINT(x) ? -1 : AS_INTLIKE(x);
        if (v < 0 || v > 255) return vm_raise(vm, vm->ValueError, "byte must be in range(0, 256)");
        one = (unsigned char)v;
        needle.data = &one;
        needle.length = 1;
    } else if (!bytes_like_or_raise(vm, x, &needle)) {
        return false;
    }
    bool found = needle.length == 0;
    for (size_t i = 0; !found && i + needle.length <= hay.length; i++)
        found = hay.data[i] == needle.data[0] && memcmp(hay.data + i, needle.data, needle.length) == 0;
    *result = BOOL_VAL(found);
    return true;
}

static bool bytes_getitem(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__getitem__", nargs - 1, kwnames, 1, 1)) return false;
    ObjBytes *b = AS_BYTES(args[0]);
    Value key = args[1];
    bool has_index = IS_OBJ(key) && !IS_SLICE(key) &&
                     !IS_EMPTY(class_lookup(vm_class_of(vm, key), vm->s_index));
    if (IS_BIGINT(key)) return seq_big_index_error(vm);
    if (IS_INTLIKE(key) || has_index) {
        int64_t i;
        if (!vm_index_value(vm, key, &i)) return false;
        if (i < 0) i += (int64_t)b->length;
        if (i < 0 || i >= (int64_t)b->length) return vm_raise(vm, vm->IndexError, "index out of range");
        *result = INT_VAL(b->data[i]);
        return true;
    }
    if (IS_SLICE(key)) {
        int64_t start, stop, step, count;
        if (!slice_indices(vm, AS_SLICE(key), (int64_t)b->length, &start, &stop, &step, &count))
            return false;
        if (count <= 0) {
            *result = OBJ_VAL(bytes_new(vm, "", 0));
        } else if (step == 1 && count == (int64_t)b->length && b->obj.cls == vm->bytes_class) {
            *result = args[0]; // b[:] is b, as in CPython: bytes never change
        } else if (step == 1) {
            *result = OBJ_VAL(bytes_new(vm, b->data + start, (size_t)count));
        } else {
            unsigned char *tmp = malloc((size_t)count);
            if (!tmp) abort();
            for (int64_t k = 0, i = start; k < count; k++, i += step) tmp[k] = b->data[i];
            *result = OBJ_VAL(bytes_new(vm, tmp, (size_t)count));
            free(tmp);
        }
        return true;
    }
    return vm_raise(vm, vm->TypeError, "byte indices must be integers or slices, not %s",
                    vm_type_name(vm, key));
}

static bool bytes_len(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__len__", nargs - 1, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)AS_BYTES(args[0])->length);
    return true;
}

static int bytes_iter_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjBytes *b = AS_BYTES(it->source);
    if ((size_t)it->index >= b->length) return 0;
    *out = INT_VAL(b->data[it->index++]);
    return 1;
}

static bool bytes_iter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__iter__", nargs - 1, kwnames, 0, 0)) return false;
    ObjIter *it = iter_new(vm, iterator_class_of(vm, vm->bytes_class), bytes_iter_next, args[0]);
    it->index = 0;
    *result = OBJ_VAL(it);
    return true;
}

int bytes_compare_spans(ByteSpan a, ByteSpan b) {
    size_t n = a.length < b.length ? a.length : b.length;
    int c = n ? memcmp(a.data, b.data, n) : 0;
    if (c != 0) return c;
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

// Comparisons between bytes and bytearray, either way round; anything else is NotImplemented.
#define BYTES_COMPARE(fname, pyname, op)                                                         \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {       \
        if (!check_args(vm, pyname, nargs - 1, kwnames, 1, 1)) return false;                     \
        if (!IS_BYTES(args[1]) && !IS_BYTEARRAY(args[1])) {                                      \
            *result = vm->not_implemented;                                                       \
            return true;                                                                         \
        }                                                                                        \
        *result = BOOL_VAL(bytes_compare_spans(self_span(args[0]), self_span(args[1])) op 0);    \
        return true;                                                                             \
    }

BYTES_COMPARE(bytes_eq, "__eq__", ==)
BYTES_COMPARE(bytes_ne, "__ne__", !=)
BYTES_COMPARE(bytes_lt, "__lt__", <)
BYTES_COMPARE(bytes_le, "__le__", <=)
BYTES_COMPARE(bytes_gt, "__gt__", >)
BYTES_COMPARE(bytes_ge, "__ge__", >=)

static bool bytes_hash(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__hash__", nargs - 1, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)bytes_hash_of(AS_BYTES(args[0])));
    return true;
}

static bool bytes_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "__repr__", nargs - 1, kwnames, 0, 0)) return false;
    StrBuf sb;
    sb_init(&sb);
    bytes_repr_into(AS_BYTES(args[0])->data, AS_BYTES(args[0])->length, &sb);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// ---- methods ------------------------------------------------------------------------------------

static bool bytes_decode(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"encoding", "errors", NULL};
    Value a[2];
    if (!parse_args(vm, "decode", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    ObjStr *enc[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        if (IS_EMPTY(a[i])) continue;
        if (!IS_STR(a[i]))
            return vm_raise(vm, vm->TypeError, "decode() argument '%s' must be str, not %s",
                            names[i], arg_type_name(vm, a[i]));
        enc[i] = AS_STR(a[i]);
    }
    ByteSpan b = self_span(args[0]);
    ObjStr *s = codec_decode(vm, b.data, b.length, enc[0], enc[1]);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// hex(sep=None, bytes_per_sep=1): groups of bytes_per_sep counted from the right (from the left
// when negative), joined by sep.
static bool bytes_hex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"sep", "bytes_per_sep", NULL};
    static const char HEX[] = "0123456789abcdef";
    Value a[2];
    if (!parse_args(vm, "hex", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    char sep = 0;
    int64_t group = 1;
    // bytes_per_sep is converted first, and an explicit None is not a separator (CPython's
    // order of errors).
    if (!IS_EMPTY(a[1]) && !arg_c_int(vm, a[1], &group)) return false;
    if (!IS_EMPTY(a[0])) {
        // Any sized object is measured first; only then must it be a str or bytes.
        int64_t len;
        if (!vm_len(vm, a[0], &len)) return false;
        if (len != 1) return vm_raise(vm, vm->ValueError, "sep must be length 1.");
        const char *p;
        if (IS_STR(a[0])) p = AS_STR(a[0])->chars;
        else if (IS_BYTES(a[0]) || IS_BYTEARRAY(a[0])) p = (const char *)self_span(a[0]).data;
        else return vm_raise(vm, vm->TypeError, "sep must be str or bytes.");
        if ((unsigned char)p[0] >= 0x80) return vm_raise(vm, vm->ValueError, "sep must be ASCII.");
        sep = p[0];
    }
    ByteSpan b = self_span(args[0]);
    StrBuf sb;
    sb_init(&sb);
    sb_reserve(&sb, b.length * 3);
    int64_t g = group < 0 ? -group : group;
    for (size_t i = 0; i < b.length; i++) {
        if (sep && g > 0 && i > 0) {
            // Positions are counted from the end for a positive group, from the start otherwise.
            size_t k = group > 0 ? b.length - i : i;
            if (k % (size_t)g == 0) sb_putc(&sb, sep);
        }
        sb_putc(&sb, HEX[b.data[i] >> 4]);
        sb_putc(&sb, HEX[b.data[i] & 0xF]);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// bytes.fromhex(string), a class method: args[0] is the class.
static bool bytes_fromhex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    bool bytearray = AS_CLASS(args[0]) == vm->bytearray_class ||
                     class_is_subclass(AS_CLASS(args[0]), vm->bytearray_class);
    if (!check_args(vm, bytearray ? "bytearray.fromhex" : "bytes.fromhex", nargs - 1, kwnames, 1, 1))
        return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "fromhex() argument must be str, not %s",
                        arg_type_name(vm, args[1]));
    ObjStr *s = AS_STR(args[1]);
    StrBuf sb;
    sb_init(&sb);
    size_t i = 0;
    while (i < s->length) {
        if (ascii_space(s->chars[i])) {
            i++;
            continue;
        }
        int hi = hex_value(s->chars[i]);
        int lo = i + 1 < s->length ? hex_value(s->chars[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            size_t at = hi < 0 ? i : i + 1;
            sb_free(&sb);
            return vm_raise(vm, vm->ValueError,
                            "non-hexadecimal number found in fromhex() arg at position %zu",
                            utf8_count(s->chars, at));
        }
        sb_putc(&sb, (char)(hi * 16 + lo));
        i += 2;
    }
    // The class's own kind is made first; a subclass is then called with it, as CPython does.
    ObjClass *cls = AS_CLASS(args[0]);
    bool mutable = class_is_subclass(cls, vm->bytearray_class);
    Value made = mutable ? OBJ_VAL(bytearray_new(vm, sb.data ? sb.data : "", sb.length))
                         : OBJ_VAL(bytes_new(vm, sb.data ? sb.data : "", sb.length));
    sb_free(&sb);
    if (cls != vm->bytes_class && cls != vm->bytearray_class) return vm_call1(vm, args[0], made, result);
    *result = made;
    return true;
}

// ---- ASCII case methods and predicates ----------------------------------------------------------

static bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool is_alpha(unsigned char c) { return is_lower(c) || is_upper(c); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static bool is_space(unsigned char c) { return ascii_space((char)c); }

typedef enum { B_UPPER, B_LOWER, B_SWAP, B_TITLE, B_CAPITALIZE } ByteCase;

// "bytes.upper" or "bytearray.upper", for the argument count errors of a method of either type.
static bool no_args(Vm *vm, Value self, const char *name, int nargs, ObjTuple *kwnames) {
    char qualified[48];
    snprintf(qualified, sizeof qualified, "%s.%s", IS_BYTEARRAY(self) ? "bytearray" : "bytes", name);
    return check_args(vm, qualified, nargs - 1, kwnames, 0, 0);
}

static bool case_method(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                        ByteCase mode, Value *result) {
    if (!no_args(vm, args[0], name, nargs, kwnames)) return false;
    ByteSpan b = self_span(args[0]);
    unsigned char *tmp = malloc(b.length + 1);
    if (!tmp) abort();
    bool prev_cased = false;
    for (size_t i = 0; i < b.length; i++) {
        unsigned char c = b.data[i];
        bool up;
        switch (mode) {
        case B_UPPER: up = true; break;
        case B_LOWER: up = false; break;
        case B_SWAP: up = is_lower(c); break;
        case B_TITLE: up = !prev_cased; break;
        default: up = i == 0; break;
        }
        if (up && is_lower(c)) c = (unsigned char)(c - 32);
        else if (!up && is_upper(c)) c = (unsigned char)(c + 32);
        prev_cased = is_alpha(b.data[i]);
        tmp[i] = c;
    }
    *result = same_kind(vm, args[0], tmp, b.length);
    free(tmp);
    return true;
}

static bool bytes_upper(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "upper", B_UPPER, result);
}
static bool bytes_lower(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "lower", B_LOWER, result);
}
static bool bytes_swapcase(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "swapcase", B_SWAP, result);
}
static bool bytes_title(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "title", B_TITLE, result);
}
static bool bytes_capitalize(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "capitalize", B_CAPITALIZE, result);
}

static bool all_bytes(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                      bool (*pred)(unsigned char), Value *result) {
    if (!no_args(vm, args[0], name, nargs, kwnames)) return false;
    ByteSpan b = self_span(args[0]);
    bool ok = b.length > 0;
    for (size_t i = 0; ok && i < b.length; i++) ok = pred(b.data[i]);
    *result = BOOL_VAL(ok);
    return true;
}

#define PREDICATE(fname, pyname, pred)                                                           \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {       \
        return all_bytes(vm, args, nargs, kwnames, pyname, pred, result);                        \
    }

PREDICATE(bytes_isalpha, "isalpha", is_alpha)
PREDICATE(bytes_isalnum, "isalnum", is_alnum)
PREDICATE(bytes_isdigit, "isdigit", is_digit)
PREDICATE(bytes_isspace, "isspace", is_space)

static bool bytes_isascii(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!no_args(vm, args[0], "isascii", nargs, kwnames)) return false;
    ByteSpan b = self_span(args[0]);
    bool ok = true;
    for (size_t i = 0; ok && i < b.length; i++) ok = b.data[i] < 0x80;
    *result = BOOL_VAL(ok);
    return true;
}

// isupper / islower: some cased byte, none of the other case.
static bool case_predicate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                           bool upper, Value *result) {
    if (!no_args(vm, args[0], name, nargs, kwnames)) return false;
    ByteSpan b = self_span(args[0]);
    bool cased = false;
    for (size_t i = 0; i < b.length; i++) {
        unsigned char c = b.data[i];
        if (upper ? is_lower(c) : is_upper(c)) {
            *result = BOOL_VAL(false);
            return true;
        }
        if (upper ? is_upper(c) : is_lower(c)) cased = true;
    }
    *result = BOOL_VAL(cased);
    return true;
}

static bool bytes_isupper(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_predicate(vm, args, nargs, kwnames, "isupper", true, result);
}
static bool bytes_islower(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_predicate(vm, args, nargs, kwnames, "islower", false, result);
}

static bool bytes_istitle(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!no_args(vm, args[0], "istitle", nargs, kwnames)) return false;
    ByteSpan b = self_span(args[0]);
    bool cased = false, prev_cased = false, ok = true;
    for (size_t i = 0; ok && i < b.length; i++) {
        unsigned char c = b.data[i];
        if (is_upper(c)) {
            ok = !prev_cased;
            prev_cased = cased = true;
        } else if (is_lower(c)) {
            ok = prev_cased;
            prev_cased = cased = true;
        } else {
            prev_cased = false;
        }
    }
    *result = BOOL_VAL(ok && cased);
    return true;
}

// ---- translate and maketrans -------------------------------------------------------------------

// A bytes-like argument, or CPython's TypeError naming what was given instead.
static bool byte_span_arg(Vm *vm, Value v, ByteSpan *out) {
    int r = bytes_like(vm, v, out);
    if (r > 0) return true;
    if (r == 0)
        vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'", vm_type_name(vm, v));
    return false;
}

// translate(table, /, delete=b''): the bytes in delete are dropped, then each remaining byte is
// replaced by table[byte] (a table of None keeps it).  The table is checked, length included,
// before delete is looked at.
static bool bytes_translate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int npos = nargs - 1, nkw = kwnames ? (int)kwnames->count : 0;
    if (npos + nkw > 2)
        return vm_raise(vm, vm->TypeError, "translate() takes at most 2 arguments (%d given)", npos + nkw);
    if (npos < 1)
        return vm_raise(vm, vm->TypeError, "translate() takes at least 1 positional argument (0 given)");
    Value delete = npos == 2 ? args[2] : EMPTY_VAL();
    for (int i = 0; i < nkw; i++) {
        const char *kw = AS_STR(kwnames->items[i])->chars;
        if (strcmp(kw, "delete") != 0)
            return vm_raise(vm, vm->TypeError, "'%s' is an invalid keyword argument for translate()", kw);
        delete = args[nargs + i];
    }
    ByteSpan table = {0}, drop = {0};
    if (!IS_NONE(args[1])) {
        if (!byte_span_arg(vm, args[1], &table)) return false;
        if (table.length != 256)
            return vm_raise(vm, vm->ValueError, "translation table must be 256 characters long");
    }
    if (!IS_EMPTY(delete) && !byte_span_arg(vm, delete, &drop)) return false;
    bool dropped[256] = {false};
    for (size_t i = 0; i < drop.length; i++) dropped[drop.data[i]] = true;
    ByteSpan self = self_span(args[0]);
    unsigned char *out = malloc(self.length + 1);
    if (!out) abort();
    size_t n = 0;
    for (size_t i = 0; i < self.length; i++) {
        unsigned char c = self.data[i];
        if (!dropped[c]) out[n++] = table.data ? table.data[c] : c;
    }
    if (IS_BYTES(args[0]) && AS_OBJ(args[0])->cls == vm->bytes_class && n == self.length &&
        memcmp(out, self.data, n) == 0)
        *result = args[0]; // unchanged: the same object, as CPython gives
    else
        *result = same_kind(vm, args[0], out, n);
    free(out);
    return true;
}

// bytes.maketrans(frm, to) (a class method here, so args[0] is the class): the 256-byte table
// that maps each byte of frm to the byte of to at the same place and every other byte to itself.
static bool bytes_maketrans(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s.maketrans() takes no keyword arguments",
                        class_is_subclass(cls, vm->bytearray_class) ? "bytearray" : "bytes");
    if (nargs != 3) return vm_raise(vm, vm->TypeError, "maketrans expected 2 arguments, got %d", nargs - 1);
    ByteSpan from, to;
    if (!byte_span_arg(vm, args[1], &from) || !byte_span_arg(vm, args[2], &to)) return false;
    if (from.length != to.length)
        return vm_raise(vm, vm->ValueError, "maketrans arguments must have same length");
    unsigned char table[256];
    for (int i = 0; i < 256; i++) table[i] = (unsigned char)i;
    for (size_t i = 0; i < from.length; i++) table[from.data[i]] = to.data[i];
    *result = OBJ_VAL(bytes_new(vm, table, 256));
    return true;
}

// The methods bytes and bytearray share: each reads self through self_span and makes its result
// of self's kind.
void bytes_define_shared_methods(Vm *vm, ObjClass *cls) {
    define_methods(vm, cls,
                   (MethodDef[]){{"__contains__", bytes_contains},
                                 {"__eq__", bytes_eq},
                                 {"__ne__", bytes_ne},
                                 {"__lt__", bytes_lt},
                                 {"__le__", bytes_le},
                                 {"__gt__", bytes_gt},
                                 {"__ge__", bytes_ge},
                                 {"decode", bytes_decode},
                                 {"hex", bytes_hex},
                                 {"fromhex", bytes_fromhex},
                                 {"translate", bytes_translate},
                                 {"maketrans", bytes_maketrans},
                                 {"upper", bytes_upper},
                                 {"lower", bytes_lower},
                                 {"swapcase", bytes_swapcase},
                                 {"title", bytes_title},
                                 {"capitalize", bytes_capitalize},
                                 {"isalpha", bytes_isalpha},
                                 {"isalnum", bytes_isalnum},
                                 {"isdigit", bytes_isdigit},
                                 {"isspace", bytes_isspace},
                                 {"isascii", bytes_isascii},
                                 {"isupper", bytes_isupper},
                                 {"islower", bytes_islower},
                                 {"istitle", bytes_istitle},
                                 {NULL, NULL}});
    AS_NATIVE(dict_get_str(cls->dict, str_from_c(vm, "fromhex")))->is_classmethod = true;
    AS_NATIVE(dict_get_str(cls->dict, str_from_c(vm, "maketrans")))->is_classmethod = true;
    text_define_methods(vm, cls);
}

void runtime_init_bytes(Vm *vm) {
    ObjClass *cls = vm->bytes_class;
    define_methods(vm, cls,
                   (MethodDef[]){{"__new__", bytes_new_native},
                                 {"__add__", bytes_add},
                                 {"__mul__", bytes_mul},
                                 {"__rmul__", bytes_rmul},
                                 {"__mod__", bytes_mod},
                                 {"__getitem__", bytes_getitem},
                                 {"__len__", bytes_len},
                                 {"__iter__", bytes_iter},
                                 {"__hash__", bytes_hash},
                                 {"__repr__", bytes_repr},
                                 {"__str__", bytes_repr},
                                 {NULL, NULL}});
    bytes_define_shared_methods(vm, cls);
    ObjClass *iter_cls = define_class(vm, "bytes_iterator", vm->iterator_class, OBJ_ITER);
    AS_NATIVE(dict_get_str(cls->dict, vm->s_iter))->data = OBJ_VAL(iter_cls);
}
