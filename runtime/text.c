/* text: the methods str and bytes share — searching, splitting, stripping, replacing, joining,
 * partitioning and padding.
 *
 * Each native serves both types and looks at self to know which: a Text describes self as bytes
 * plus, for a str, how to count characters.  All searching happens on bytes (text.h says why);
 * positions cross the boundary in characters for str and in bytes for bytes, so every start/end
 * argument is converted on the way in (char_to_byte) and every position on the way out
 * (byte_to_char).  Error messages differ between the two types exactly where CPython's do.
 */
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "unicode.h"

// Self, seen as bytes.  For a str, `ascii` means byte offsets are character indices.
typedef struct {
    Value self;
    bool is_str;
    bool is_bytearray; // results are bytearrays (else bytes, for a non-str)
    bool ascii;
    const char *data;
    size_t len;    // bytes
    size_t nchars; // characters (== len for bytes)
} Text;

static Text text_of(Value self) {
    Text t = {.self = self};
    if (IS_STR(self)) {
        ObjStr *s = AS_STR(self);
        t.is_str = true;
        t.data = s->chars;
        t.len = s->length;
        t.nchars = s->nchars;
        t.ascii = s->length == s->nchars;
    } else {
        ByteSpan b;
        bytes_like(NULL, self, &b);
        t.is_bytearray = IS_BYTEARRAY(self);
        t.data = (const char *)b.data;
        t.len = t.nchars = b.length;
        t.ascii = true;
    }
    return t;
}

static size_t char_to_byte(const Text *t, size_t i) {
    return t->ascii ? i : utf8_offset(t->data, t->len, i);
}

static size_t byte_to_char(const Text *t, size_t off) {
    return t->ascii ? off : utf8_count(t->data, off);
}

// A new str, bytes or bytearray (self's kind) holding n bytes at p.
static Value make_piece(Vm *vm, const Text *t, const char *p, size_t n) {
    if (t->is_str) return OBJ_VAL(str_new(vm, p, n));
    if (t->is_bytearray) return OBJ_VAL(bytearray_new(vm, p, n));
    return OBJ_VAL(bytes_new(vm, p, n));
}

// Builders of results whose size the program chooses (replace, join, padding): appends that
// raise MemoryError instead of aborting when memory runs out (each frees sb when it fails).
static bool put_bytes(Vm *vm, StrBuf *sb, const char *p, size_t n) {
    if (!sb_try_reserve(sb, n)) {
        sb_free(sb);
        return vm_raise_memory_error(vm);
    }
    sb_append(sb, p, n);
    return true;
}

static bool put_repeat(Vm *vm, StrBuf *sb, char c, size_t n) {
    if (!sb_try_reserve(sb, n)) {
        sb_free(sb);
        return vm_raise_memory_error(vm);
    }
    sb_repeat(sb, c, n);
    return true;
}

// The str, bytes or bytearray made of what sb holds; sb is freed.  False with MemoryError raised.
static bool buf_result(Vm *vm, const Text *t, StrBuf *sb, Value *result) {
    if (t->is_bytearray) {
        *result = OBJ_VAL(bytearray_new(vm, sb->data, sb->length));
        sb_free(sb);
        return true;
    }
    if (t->is_str) {
        ObjStr *s = str_try_from_buf(vm, sb);
        if (!s) return false;
        *result = OBJ_VAL(s);
        return true;
    }
    ObjBytes *b = bytes_try_alloc(vm, sb->length);
    if (b) {
        if (sb->length) memcpy(b->data, sb->data, sb->length);
        b->hash = hash_bytes(b->data, b->length);
        *result = OBJ_VAL(b);
    }
    sb_free(sb);
    return b != NULL;
}

// A new str or bytes holding the n bytes at p, a part of self: a part of ASCII text is ASCII, so
// its characters need no counting.
static Value piece_of(Vm *vm, const Text *t, const char *p, size_t n) {
    if (t->is_str && t->ascii) return OBJ_VAL(str_new_counted(vm, p, n, n));
    return make_piece(vm, t, p, n);
}

// Self unchanged: the object itself unless it is an instance of a subclass, or a copy when it is
// mutable.
static Value self_exact(Vm *vm, const Text *t) {
    if (t->is_str) return OBJ_VAL(str_exact(vm, AS_STR(t->self)));
    if (AS_OBJ(t->self)->cls == vm->bytes_class) return t->self;
    return make_piece(vm, t, t->data, t->len);
}

static Value empty_of(Vm *vm, const Text *t) {
    return t->is_str ? OBJ_VAL(vm->s_empty) : make_piece(vm, t, "", 0);
}

// Appends a new piece of self to a rooted list, keeping the piece rooted while the list grows.
// False with MemoryError raised when memory runs out (see list_try_append).
static bool push_piece(Vm *vm, ObjList *list, const Text *t, const char *p, size_t n) {
    Value v = piece_of(vm, t, p, n);
    vm_push_root(vm, v);
    bool ok = list_try_append(vm, list, v);
    vm_pop_root(vm);
    return ok;
}

// The character starting at *pos for a str, the byte for bytes; advances *pos.
static inline uint32_t next_unit(const Text *t, size_t *pos) {
    if (t->ascii) return (unsigned char)t->data[(*pos)++];
    return uni_next(t->data, t->len, pos);
}

static inline uint32_t prev_unit(const Text *t, size_t *pos) {
    if (t->ascii) return (unsigned char)t->data[--(*pos)];
    return uni_prev(t->data, pos);
}

// str's whitespace is Unicode's (ASCII's plus \x1c-\x1f and more); bytes' is ASCII's only.  The
// answers for bytes and ASCII come from a table, so the splitting and stripping loops stay tight:
// bit 0 whitespace for bytes, bit 1 for str.
static const unsigned char BYTE_SPACE[256] = {
    ['\t'] = 3, ['\n'] = 3, ['\v'] = 3, ['\f'] = 3, ['\r'] = 3, [' '] = 3,
    [0x1C] = 2, [0x1D] = 2, [0x1E] = 2, [0x1F] = 2,
};

static inline bool unit_is_space(const Text *t, uint32_t c) {
    if (c < 0x80) return BYTE_SPACE[c] & (t->is_str ? 2 : 1);
    return t->is_str && uni_is_space(c);
}

// ---- arguments ----------------------------------------------------------------------------------

typedef struct {
    const char *p;
    size_t n;      // bytes
    size_t nchars; // characters (== n for bytes)
    char byte;     // storage when a bytes method is given an int
} Needle;

// A str for a str method; any bytes-like object for a bytes or bytearray method (a released
// memoryview counts as not bytes-like here).
static bool needle_from(Value v, bool is_str, Needle *out) {
    if (is_str) {
        if (!IS_STR(v)) return false;
        out->p = AS_STR(v)->chars;
        out->n = AS_STR(v)->length;
        out->nchars = AS_STR(v)->nchars;
        return true;
    }
    ByteSpan span;
    if (IS_MEMORYVIEW(v) && AS_MEMORYVIEW(v)->released) return false;
    if (bytes_like(NULL, v, &span) <= 0) return false;
    out->p = (const char *)span.data;
    out->n = out->nchars = span.length;
    return true;
}

// A str method's argument must be a str ("must be str, not int"); a bytes method's, bytes.
static bool needle_arg(Vm *vm, Value v, bool is_str, Needle *out) {
    if (needle_from(v, is_str, out)) return true;
    if (is_str) return vm_raise(vm, vm->TypeError, "must be str, not %s", vm_type_name(vm, v));
    return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                    vm_type_name(vm, v));
}

// find/count/index: a bytes method also takes an int, meaning that one byte.
static bool search_arg(Vm *vm, Value v, bool is_str, Needle *out) {
    if (!is_str && (IS_INTLIKE(v) || IS_BIGINT(v))) {
        int64_t b = IS_BIGINT(v) ? -1 : AS_INTLIKE(v);
        if (b < 0 || b > 255) return vm_raise(vm, vm->ValueError, "byte must be in range(0, 256)");
        out->byte = (char)b;
        out->p = &out->byte;
        out->n = out->nchars = 1;
        return true;
    }
    if (needle_from(v, is_str, out)) return true;
    if (is_str) return vm_raise(vm, vm->TypeError, "must be str, not %s", vm_type_name(vm, v));
    return vm_raise(vm, vm->TypeError, "argument should be integer or bytes-like object, not '%s'",
                    vm_type_name(vm, v));
}

// One of the optional start/end arguments: absent or None keeps the default.
static bool slice_arg(Vm *vm, Value *args, int nargs, int i, int64_t *out) {
    if (i >= nargs || IS_NONE(args[i])) return true;
    if (IS_INTLIKE(args[i])) {
        *out = AS_INTLIKE(args[i]);
        return true;
    }
    if (IS_BIGINT(args[i])) { // clamped, as CPython clips slice indices
        *out = mpz_sgn(AS_BIGINT(args[i])->value) < 0 ? -INT64_MAX : INT64_MAX;
        return true;
    }
    if (IS_OBJ(args[i]) && !IS_EMPTY(class_lookup(vm_class_of(vm, args[i]), vm->s_index)))
        return vm_index_value(vm, args[i], out);
    return vm_raise(vm, vm->TypeError,
                    "slice indices must be integers or None or have an __index__ method");
}

// start and end (in characters) after CPython's ADJUST_INDICES.  An __index__ method may run and
// resize a bytearray self: t is read again afterwards, and callers borrow needles only after this.
static bool range_args(Vm *vm, Text *t, Value *args, int nargs, int first, int64_t *start,
                       int64_t *end) {
    *start = 0;
    *end = INT64_MAX;
    if (!slice_arg(vm, args, nargs, first, start) || !slice_arg(vm, args, nargs, first + 1, end))
        return false;
    *t = text_of(t->self);
    int64_t len = (int64_t)t->nchars;
    if (*end > len) {
        *end = len;
    } else if (*end < 0) {
        *end += len;
        if (*end < 0) *end = 0;
    }
    if (*start < 0) {
        *start += len;
        if (*start < 0) *start = 0;
    }
    return true;
}

bool text_check_args(Vm *vm, Value self, const char *name, ArgStyle style, int nargs,
                     ObjTuple *kwnames, int min, int max) {
    const char *type = IS_STR(self) ? "str" : IS_BYTEARRAY(self) ? "bytearray" : "bytes";
    bool kw = kwnames && kwnames->count;
    if (style == ARGS_METHOD) {
        char qualified[64];
        snprintf(qualified, sizeof qualified, "%s.%s", type, name);
        return check_args(vm, qualified, nargs, kwnames, min, max);
    }
    if (style == ARGS_CLINIC) {
        if (kw) return vm_raise(vm, vm->TypeError, "%s.%s() takes no keyword arguments", type, name);
        return check_args(vm, name, nargs, NULL, min, max);
    }
    if (kw) return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", name);
    if (nargs < min)
        return vm_raise(vm, vm->TypeError, "%s() takes at least %d argument%s (%d given)", name, min,
                        min == 1 ? "" : "s", nargs);
    if (nargs > max)
        return vm_raise(vm, vm->TypeError, "%s() takes at most %d argument%s (%d given)", name, max,
                        max == 1 ? "" : "s", nargs);
    return true;
}

// ---- searching ----------------------------------------------------------------------------------

// First byte offset in [from, to) where the needle starts, or -1.
static int64_t find_bytes(const char *hay, size_t from, size_t to, const char *p, size_t n) {
    if (n == 0) return (int64_t)from;
    if (to < from || to - from < n) return -1;
    const char *s = hay + from, *last = hay + to - n;
    while (s <= last) {
        s = memchr(s, p[0], (size_t)(last - s) + 1);
        if (!s) return -1;
        if (memcmp(s, p, n) == 0) return s - hay;
        s++;
    }
    return -1;
}

// Last byte offset in [from, to) where the needle starts, or -1.
static int64_t rfind_bytes(const char *hay, size_t from, size_t to, const char *p, size_t n) {
    if (to < from || to - from < n) return -1;
    for (size_t i = to - n + 1; i-- > from;)
        if (hay[i] == p[0] && memcmp(hay + i, p, n) == 0) return (int64_t)i;
    return -1;
}

// find/rfind/index/rindex.  `reverse` searches from the right; `raise` makes a miss an error.
static bool find_impl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                      bool reverse, bool raise, Value *result) {
    if (!text_check_args(vm, args[0], name, ARGS_LEGACY, nargs - 1, kwnames, 1, 3)) return false;
    Text t = text_of(args[0]);
    Needle nd = {0};
    int64_t start, end;
    // start and end are converted before the needle is looked at (CPython's order of errors).
    if (!range_args(vm, &t, args, nargs, 2, &start, &end) || !search_arg(vm, args[1], t.is_str, &nd))
        return false;
    int64_t at = -1;
    if (end - start >= (int64_t)nd.nchars) {
        size_t from = char_to_byte(&t, (size_t)start), to = char_to_byte(&t, (size_t)end);
        int64_t off = reverse ? rfind_bytes(t.data, from, to, nd.p, nd.n)
                              : find_bytes(t.data, from, to, nd.p, nd.n);
        if (off >= 0) at = (int64_t)byte_to_char(&t, (size_t)off);
    }
    if (at < 0 && raise)
        return vm_raise(vm, vm->ValueError, t.is_str ? "substring not found" : "subsection not found");
    *result = INT_VAL(at);
    return true;
}

static bool text_find(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return find_impl(vm, args, nargs, kwnames, "find", false, false, result);
}
static bool text_rfind(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return find_impl(vm, args, nargs, kwnames, "rfind", true, false, result);
}
static bool text_index(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return find_impl(vm, args, nargs, kwnames, "index", false, true, result);
}
static bool text_rindex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return find_impl(vm, args, nargs, kwnames, "rindex", true, true, result);
}

static bool text_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!text_check_args(vm, args[0], "count", ARGS_LEGACY, nargs - 1, kwnames, 1, 3)) return false;
    Text t = text_of(args[0]);
    Needle nd = {0};
    int64_t start, end;
    // start and end are converted before the needle is looked at (CPython's order of errors).
    if (!range_args(vm, &t, args, nargs, 2, &start, &end) || !search_arg(vm, args[1], t.is_str, &nd))
        return false;
    int64_t count = 0;
    if (end - start < (int64_t)nd.nchars) {
        count = 0;
    } else if (nd.n == 0) {
        count = end - start + 1;
    } else {
        size_t from = char_to_byte(&t, (size_t)start), to = char_to_byte(&t, (size_t)end);
        int64_t off;
        while ((off = find_bytes(t.data, from, to, nd.p, nd.n)) >= 0) {
            count++;
            from = (size_t)off + nd.n;
        }
    }
    *result = INT_VAL(count);
    return true;
}

// Does the needle match at the start (or end) of t's characters [start, end)?
static bool tail_match(const Text *t, const Needle *nd, int64_t start, int64_t end, bool at_end) {
    if (end - start < (int64_t)nd->nchars) return false;
    if (nd->n == 0) return true;
    size_t from = char_to_byte(t, (size_t)start), to = char_to_byte(t, (size_t)end);
    if (to - from < nd->n) return false;
    size_t at = at_end ? to - nd->n : from;
    return memcmp(t->data + at, nd->p, nd->n) == 0;
}

static bool starts_ends(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                        bool at_end, Value *result) {
    if (!text_check_args(vm, args[0], name, ARGS_LEGACY, nargs - 1, kwnames, 1, 3)) return false;
    Text t = text_of(args[0]);
    int64_t start, end;
    if (!range_args(vm, &t, args, nargs, 2, &start, &end)) return false;
    Needle nd = {0};
    if (IS_TUPLE(args[1])) {
        ObjTuple *tup = AS_TUPLE(args[1]);
        for (size_t i = 0; i < tup->count; i++) {
            if (!needle_from(tup->items[i], t.is_str, &nd)) {
                if (t.is_str)
                    return vm_raise(vm, vm->TypeError, "tuple for %s must only contain str, not %s",
                                    name, vm_type_name(vm, tup->items[i]));
                return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                                vm_type_name(vm, tup->items[i]));
            }
            if (tail_match(&t, &nd, start, end, at_end)) {
                *result = BOOL_VAL(true);
                return true;
            }
        }
        *result = BOOL_VAL(false);
        return true;
    }
    if (!needle_from(args[1], t.is_str, &nd)) {
        const char *type = t.is_str ? "str" : t.is_bytearray ? "bytearray" : "bytes";
        if (!t.is_str) type = "bytes"; // CPython says bytes for a bytearray too
        return vm_raise(vm, vm->TypeError, "%s first arg must be %s or a tuple of %s, not %s", name,
                        type, type, vm_type_name(vm, args[1]));
    }
    *result = BOOL_VAL(tail_match(&t, &nd, start, end, at_end));
    return true;
}

static bool text_startswith(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return starts_ends(vm, args, nargs, kwnames, "startswith", false, result);
}
static bool text_endswith(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return starts_ends(vm, args, nargs, kwnames, "endswith", true, result);
}

// ---- splitting ----------------------------------------------------------------------------------

// sep and maxsplit of split/rsplit; a NULL *sep (with true returned) means "split on whitespace".
static bool split_args(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                       const Text *t, Needle *sep, bool *whitespace, int64_t *maxsplit) {
    static const char *const names[] = {"sep", "maxsplit", NULL};
    Value a[2];
    if (!parse_args(vm, name, args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    *maxsplit = -1;
    if (!IS_EMPTY(a[1]) && !arg_int(vm, a[1], maxsplit)) return false;
    if (*maxsplit < 0) *maxsplit = INT64_MAX;
    *whitespace = IS_EMPTY(a[0]) || IS_NONE(a[0]);
    if (*whitespace) return true;
    if (!needle_from(a[0], t->is_str, sep)) {
        if (t->is_str)
            return vm_raise(vm, vm->TypeError, "must be str or None, not %s", vm_type_name(vm, a[0]));
        return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                        vm_type_name(vm, a[0]));
    }
    if (sep->n == 0) return vm_raise(vm, vm->ValueError, "empty separator");
    return true;
}

// Where the run of spaces (spaces true) or of non-spaces that starts at byte i ends.  A byte is a
// unit in ASCII text and in bytes: that case skips decoding and reads the table directly.
static size_t run_end(const Text *t, size_t i, bool spaces) {
    if (t->ascii) {
        unsigned mask = t->is_str ? 2 : 1;
        while (i < t->len && (BYTE_SPACE[(unsigned char)t->data[i]] & mask ? spaces : !spaces)) i++;
        return i;
    }
    while (i < t->len) {
        size_t next = i;
        if (unit_is_space(t, next_unit(t, &next)) != spaces) break;
        i = next;
    }
    return i;
}

// The same backwards: where the run that ends just before byte i starts.
static size_t run_start(const Text *t, size_t i, bool spaces) {
    if (t->ascii) {
        unsigned mask = t->is_str ? 2 : 1;
        while (i > 0 && (BYTE_SPACE[(unsigned char)t->data[i - 1]] & mask ? spaces : !spaces)) i--;
        return i;
    }
    while (i > 0) {
        size_t prev = i;
        if (unit_is_space(t, prev_unit(t, &prev)) != spaces) break;
        i = prev;
    }
    return i;
}

static bool split_whitespace(Vm *vm, const Text *t, int64_t maxsplit, ObjList *out) {
    size_t i = 0, n = t->len;
    while (maxsplit-- > 0) {
        i = run_end(t, i, true);
        if (i >= n) return true;
        size_t k = run_end(t, i, false);
        if (!push_piece(vm, out, t, t->data + i, k - i)) return false;
        i = k;
    }
    // Out of splits: the rest, after its leading spaces, is the last piece.
    i = run_end(t, i, true);
    return i >= n || push_piece(vm, out, t, t->data + i, n - i);
}

// The same from the right; the pieces come out last first and are reversed by the caller.
static bool rsplit_whitespace(Vm *vm, const Text *t, int64_t maxsplit, ObjList *out) {
    size_t i = t->len;
    while (maxsplit-- > 0) {
        i = run_start(t, i, true); // one past the piece's last character
        if (i == 0) return true;
        size_t k = run_start(t, i, false);
        if (!push_piece(vm, out, t, t->data + k, i - k)) return false;
        i = k;
    }
    i = run_start(t, i, true);
    return i == 0 || push_piece(vm, out, t, t->data, i);
}

static void reverse_list(ObjList *list) {
    for (size_t a = 0, b = list->count; a + 1 < b; a++, b--) {
        Value tmp = list->items[a];
        list->items[a] = list->items[b - 1];
        list->items[b - 1] = tmp;
    }
}

static bool split_impl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, bool right,
                       Value *result) {
    Text t = text_of(args[0]);
    Needle sep = {0};
    bool whitespace;
    int64_t maxsplit;
    if (!split_args(vm, args, nargs, kwnames, right ? "rsplit" : "split", &t, &sep, &whitespace,
                    &maxsplit))
        return false;
    t = text_of(args[0]); // maxsplit's __index__ may have resized a bytearray self
    ObjList *list = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(list));
    bool ok = true;
    if (whitespace) {
        ok = right ? rsplit_whitespace(vm, &t, maxsplit, list) : split_whitespace(vm, &t, maxsplit, list);
    } else if (!right) {
        size_t i = 0;
        int64_t off;
        while (ok && maxsplit-- > 0 && (off = find_bytes(t.data, i, t.len, sep.p, sep.n)) >= 0) {
            ok = push_piece(vm, list, &t, t.data + i, (size_t)off - i);
            i = (size_t)off + sep.n;
        }
        if (ok && i == 0) {
            Value whole = self_exact(vm, &t);
            vm_push_root(vm, whole);
            ok = list_try_append(vm, list, whole);
            vm_pop_root(vm);
        } else if (ok) {
            ok = push_piece(vm, list, &t, t.data + i, t.len - i);
        }
    } else {
        size_t j = t.len;
        int64_t off;
        while (ok && maxsplit-- > 0 && (off = rfind_bytes(t.data, 0, j, sep.p, sep.n)) >= 0) {
            ok = push_piece(vm, list, &t, t.data + off + sep.n, j - (size_t)off - sep.n);
            j = (size_t)off;
        }
        ok = ok && push_piece(vm, list, &t, t.data, j);
    }
    vm_pop_root(vm);
    if (!ok) return false;
    if (right) reverse_list(list);
    *result = OBJ_VAL(list);
    return true;
}

static bool text_split(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return split_impl(vm, args, nargs, kwnames, false, result);
}
static bool text_rsplit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return split_impl(vm, args, nargs, kwnames, true, result);
}

// str breaks lines at \n \r \v \f \x1c-\x1e \x85 \u2028 \u2029 (and \r\n); bytes only at \n \r.
static bool is_line_break(const Text *t, uint32_t c) {
    if (c == '\n' || c == '\r') return true;
    if (!t->is_str) return false;
    return c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 ||
           c == 0x2028 || c == 0x2029;
}

static bool text_splitlines(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"keepends", NULL};
    Value a[1];
    if (!parse_args(vm, "splitlines", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    int64_t keepends = 0;
    if (!IS_EMPTY(a[0]) && !arg_c_int(vm, a[0], &keepends)) return false;
    Text t = text_of(args[0]);
    ObjList *list = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(list));
    size_t i = 0;
    while (i < t.len) {
        size_t start = i, eol = i;
        bool found = false;
        while (i < t.len) {
            eol = i;
            uint32_t c = next_unit(&t, &i);
            if (is_line_break(&t, c)) {
                if (c == '\r' && i < t.len && t.data[i] == '\n') i++;
                found = true;
                break;
            }
        }
        if (!found) eol = i;
        if (!push_piece(vm, list, &t, t.data + start, (keepends ? i : eol) - start)) {
            vm_pop_root(vm);
            return false;
        }
    }
    vm_pop_root(vm);
    *result = OBJ_VAL(list);
    return true;
}

static bool partition_impl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, bool right,
                           Value *result) {
    if (!text_check_args(vm, args[0], right ? "rpartition" : "partition", ARGS_METHOD, nargs - 1,
                         kwnames, 1, 1))
        return false;
    Text t = text_of(args[0]);
    Needle sep = {0};
    if (!needle_arg(vm, args[1], t.is_str, &sep)) return false;
    if (sep.n == 0) return vm_raise(vm, vm->ValueError, "empty separator");
    int64_t off = right ? rfind_bytes(t.data, 0, t.len, sep.p, sep.n)
                        : find_bytes(t.data, 0, t.len, sep.p, sep.n);
    ObjTuple *tup = tuple_new(vm, 3);
    vm_push_root(vm, OBJ_VAL(tup));
    if (off < 0) {
        Value whole = self_exact(vm, &t);
        tup->items[right ? 2 : 0] = whole;
        tup->items[1] = empty_of(vm, &t);
        tup->items[right ? 0 : 2] = empty_of(vm, &t);
    } else {
        size_t at = (size_t)off;
        tup->items[0] = piece_of(vm, &t, t.data, at);
        // bytes.partition gives back the separator object it was given (bytes or bytearray).
        if (t.is_str) tup->items[1] = OBJ_VAL(str_exact(vm, AS_STR(args[1])));
        else if (!t.is_bytearray && (IS_BYTES(args[1]) || IS_BYTEARRAY(args[1]))) tup->items[1] = args[1];
        else tup->items[1] = make_piece(vm, &t, sep.p, sep.n);
        tup->items[2] = piece_of(vm, &t, t.data + at + sep.n, t.len - at - sep.n);
    }
    vm_pop_root(vm);
    *result = OBJ_VAL(tup);
    return true;
}

static bool text_partition(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return partition_impl(vm, args, nargs, kwnames, false, result);
}
static bool text_rpartition(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return partition_impl(vm, args, nargs, kwnames, true, result);
}

// ---- stripping ----------------------------------------------------------------------------------

// Is c among the characters of `chars` (NULL: whitespace)?
static bool in_strip_set(const Text *t, const Needle *chars, uint32_t c) {
    if (!chars) return unit_is_space(t, c);
    if (!t->is_str || c < 0x80) {
        for (size_t i = 0; i < chars->n; i++)
            if ((unsigned char)chars->p[i] == c) return true;
        return false;
    }
    size_t pos = 0;
    while (pos < chars->n)
        if (uni_next(chars->p, chars->n, &pos) == c) return true;
    return false;
}

// which: 1 left, 2 right, 3 both.
static bool strip_impl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                       int which, Value *result) {
    if (!text_check_args(vm, args[0], name, ARGS_CLINIC, nargs - 1, kwnames, 0, 1)) return false;
    Text t = text_of(args[0]);
    Needle set = {0}, *chars = NULL;
    if (nargs > 1 && !IS_NONE(args[1])) {
        if (!needle_from(args[1], t.is_str, &set)) {
            if (t.is_str) return vm_raise(vm, vm->TypeError, "%s arg must be None or str", name);
            return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                            vm_type_name(vm, args[1]));
        }
        chars = &set;
    }
    size_t i = 0, j = t.len;
    if (which & 1) {
        while (i < j) {
            size_t before = i;
            if (!in_strip_set(&t, chars, next_unit(&t, &i))) {
                i = before;
                break;
            }
        }
    }
    if (which & 2) {
        while (j > i) {
            size_t before = j;
            if (!in_strip_set(&t, chars, prev_unit(&t, &j))) {
                j = before;
                break;
            }
        }
    }
    *result = i == 0 && j == t.len ? self_exact(vm, &t) : piece_of(vm, &t, t.data + i, j - i);
    return true;
}

static bool text_strip(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return strip_impl(vm, args, nargs, kwnames, "strip", 3, result);
}
static bool text_lstrip(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return strip_impl(vm, args, nargs, kwnames, "lstrip", 1, result);
}
static bool text_rstrip(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return strip_impl(vm, args, nargs, kwnames, "rstrip", 2, result);
}

static bool affix_impl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                       bool suffix, Value *result) {
    if (!text_check_args(vm, args[0], name, ARGS_METHOD, nargs - 1, kwnames, 1, 1)) return false;
    Text t = text_of(args[0]);
    Needle nd = {0};
    if (!needle_from(args[1], t.is_str, &nd)) {
        if (t.is_str)
            return vm_raise(vm, vm->TypeError, "%s() argument must be str, not %s", name,
                            arg_type_name(vm, args[1]));
        return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                        vm_type_name(vm, args[1]));
    }
    if (nd.n > 0 && nd.n <= t.len &&
        memcmp(t.data + (suffix ? t.len - nd.n : 0), nd.p, nd.n) == 0) {
        *result = piece_of(vm, &t, t.data + (suffix ? 0 : nd.n), t.len - nd.n);
        return true;
    }
    *result = self_exact(vm, &t);
    return true;
}

static bool text_removeprefix(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return affix_impl(vm, args, nargs, kwnames, "removeprefix", false, result);
}
static bool text_removesuffix(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return affix_impl(vm, args, nargs, kwnames, "removesuffix", true, result);
}

// ---- replace and join ---------------------------------------------------------------------------

static bool text_replace(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!text_check_args(vm, args[0], "replace", ARGS_CLINIC, nargs - 1, kwnames, 2, 3)) return false;
    Text t = text_of(args[0]);
    Needle old = {0}, new = {0};
    for (int i = 1; i <= 2; i++) {
        if (needle_from(args[i], t.is_str, i == 1 ? &old : &new)) continue;
        if (t.is_str)
            return vm_raise(vm, vm->TypeError, "replace() argument %d must be str, not %s", i,
                            arg_type_name(vm, args[i]));
        return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                        vm_type_name(vm, args[i]));
    }
    int64_t count = -1;
    if (nargs > 3) {
        if (!arg_int(vm, args[3], &count)) return false;
        // count's __index__ may have resized a bytearray self or needle: read them again.
        t = text_of(args[0]);
        needle_from(args[1], t.is_str, &old);
        needle_from(args[2], t.is_str, &new);
    }
    if (count < 0) count = INT64_MAX;
    StrBuf sb;
    sb_init(&sb);
    size_t i = 0;
    int64_t done = 0;
    if (old.n == 0) {
        // An empty pattern matches before every character and at the end.
        while (done < count) {
            if (!put_bytes(vm, &sb, new.p, new.n)) return false;
            done++;
            if (i >= t.len) break;
            size_t start = i;
            next_unit(&t, &i);
            if (!put_bytes(vm, &sb, t.data + start, i - start)) return false;
        }
    } else {
        int64_t off;
        while (done < count && (off = find_bytes(t.data, i, t.len, old.p, old.n)) >= 0) {
            if (!put_bytes(vm, &sb, t.data + i, (size_t)off - i) || !put_bytes(vm, &sb, new.p, new.n))
                return false;
            i = (size_t)off + old.n;
            done++;
        }
    }
    if (done == 0) {
        sb_free(&sb);
        *result = self_exact(vm, &t);
        return true;
    }
    if (!put_bytes(vm, &sb, t.data + i, t.len - i)) return false;
    return buf_result(vm, &t, &sb, result);
}

bool text_gather(Vm *vm, Value iterable, const char *what, Value *holder, Value **items, size_t *n) {
    if (IS_LIST(iterable)) {
        *holder = iterable;
        *items = AS_LIST(iterable)->items;
        *n = AS_LIST(iterable)->count;
        return true;
    }
    if (IS_TUPLE(iterable)) {
        *holder = iterable;
        *items = AS_TUPLE(iterable)->items;
        *n = AS_TUPLE(iterable)->count;
        return true;
    }
    Value it;
    if (!vm_iter(vm, iterable, &it)) {
        if (what && vm_exception_matches(vm, vm->TypeError)) {
            vm_clear_exception(vm);
            vm_raise(vm, vm->TypeError, "%s", what);
        }
        return false;
    }
    vm_push_root(vm, it);
    ObjList *list = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(list));
    for (;;) {
        Value v;
        int r = vm_next(vm, it, &v);
        if (r < 0) {
            vm_pop_roots(vm, 2);
            return false;
        }
        if (r == 0) break;
        vm_push_root(vm, v);
        bool ok = list_try_append(vm, list, v);
        vm_pop_root(vm);
        if (!ok) {
            vm_pop_roots(vm, 2);
            return false;
        }
    }
    vm_pop_roots(vm, 2);
    *holder = OBJ_VAL(list);
    *items = list->items;
    *n = list->count;
    return true;
}

static bool text_join(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Text t = text_of(args[0]);
    if (!text_check_args(vm, args[0], "join", ARGS_METHOD, nargs - 1, kwnames, 1, 1)) return false;
    Value holder, *items;
    size_t n;
    if (!text_gather(vm, args[1], "can only join an iterable", &holder, &items, &n)) return false;
    t = text_of(args[0]); // iterating ran code, which may have resized a bytearray self
    if (n == 1 && t.is_str && IS_STR(items[0]) && AS_OBJ(items[0])->cls == vm->str_class) {
        *result = items[0];
        return true;
    }
    // One pass over the items (which may lie anywhere in memory): the buffer grows by doubling,
    // and the characters are counted on the way, so the final str needs no counting pass.
    vm_push_root(vm, holder);
    StrBuf sb;
    sb_init(&sb);
    size_t nchars = 0;
    for (size_t i = 0; i < n; i++) {
        Needle piece = {0};
        if (!needle_from(items[i], t.is_str, &piece)) {
            sb_free(&sb);
            vm_pop_root(vm);
            if (t.is_str)
                return vm_raise(vm, vm->TypeError, "sequence item %zu: expected str instance, %s found",
                                i, vm_type_name(vm, items[i]));
            return vm_raise(vm, vm->TypeError,
                            "sequence item %zu: expected a bytes-like object, %s found", i,
                            vm_type_name(vm, items[i]));
        }
        if ((i > 0 && !put_bytes(vm, &sb, t.data, t.len)) || !put_bytes(vm, &sb, piece.p, piece.n)) {
            vm_pop_root(vm);
            return false;
        }
        if (i > 0) nchars += t.nchars;
        nchars += piece.nchars;
    }
    vm_pop_root(vm);
    if (!t.is_str) return buf_result(vm, &t, &sb, result);
    ObjStr *s = str_try_alloc(vm, sb.length, nchars);
    if (s && sb.length) memcpy(s->chars, sb.data, sb.length);
    sb_free(&sb);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// ---- padding ------------------------------------------------------------------------------------

// The fill character of center/ljust/rjust, as UTF-8 in buf; returns its byte length or -1.
static int fill_arg(Vm *vm, const Text *t, const char *name, Value *args, int nargs, char *buf) {
    if (nargs < 3) {
        buf[0] = ' ';
        return 1;
    }
    Value f = args[2];
    if (t->is_str) {
        if (!IS_STR(f)) {
            vm_raise(vm, vm->TypeError, "The fill character must be a unicode character, not %s",
                     vm_type_name(vm, f));
            return -1;
        }
        if (AS_STR(f)->nchars != 1) {
            vm_raise(vm, vm->TypeError, "The fill character must be exactly one character long");
            return -1;
        }
        memcpy(buf, AS_STR(f)->chars, AS_STR(f)->length);
        return (int)AS_STR(f)->length;
    }
    ByteSpan fill;
    if ((!IS_BYTES(f) && !IS_BYTEARRAY(f)) || (bytes_like(vm, f, &fill), fill.length != 1)) {
        vm_raise(vm, vm->TypeError, "%s() argument 2 must be a byte string of length 1, not %s",
                 name, vm_type_name(vm, f));
        return -1;
    }
    buf[0] = (char)fill.data[0];
    return 1;
}

static bool put_fill(Vm *vm, StrBuf *sb, const char *fill, int fill_len, int64_t n) {
    if (fill_len == 1) return put_repeat(vm, sb, fill[0], (size_t)n);
    if ((uint64_t)n > SIZE_MAX / 8 || !sb_try_reserve(sb, (size_t)n * (size_t)fill_len)) {
        sb_free(sb);
        return vm_raise_memory_error(vm);
    }
    for (int64_t i = 0; i < n; i++) sb_append(sb, fill, (size_t)fill_len);
    return true;
}

// align: '<' ljust, '>' rjust, '^' center.
static bool pad_impl(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                     char align, Value *result) {
    if (!text_check_args(vm, args[0], name, ARGS_CLINIC, nargs - 1, kwnames, 1, 2)) return false;
    int64_t width = 0;
    if (!arg_int(vm, args[1], &width)) return false;
    Text t = text_of(args[0]); // read after width's __index__, which may resize a bytearray
    char fill[4];
    int fill_len = fill_arg(vm, &t, name, args, nargs, fill);
    if (fill_len < 0) return false;
    if (width <= (int64_t)t.nchars) {
        *result = self_exact(vm, &t);
        return true;
    }
    int64_t marg = width - (int64_t)t.nchars, left;
    if (align == '<') left = 0;
    else if (align == '>') left = marg;
    else left = marg / 2 + (marg & width & 1);
    StrBuf sb;
    sb_init(&sb);
    if (!put_fill(vm, &sb, fill, fill_len, left) || !put_bytes(vm, &sb, t.data, t.len) ||
        !put_fill(vm, &sb, fill, fill_len, marg - left))
        return false;
    return buf_result(vm, &t, &sb, result);
}

static bool text_center(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return pad_impl(vm, args, nargs, kwnames, "center", '^', result);
}
static bool text_ljust(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return pad_impl(vm, args, nargs, kwnames, "ljust", '<', result);
}
static bool text_rjust(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return pad_impl(vm, args, nargs, kwnames, "rjust", '>', result);
}

static bool text_zfill(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!text_check_args(vm, args[0], "zfill", ARGS_METHOD, nargs - 1, kwnames, 1, 1)) return false;
    int64_t width = 0;
    if (!arg_int(vm, args[1], &width)) return false;
    Text t = text_of(args[0]); // read after width's __index__, which may resize a bytearray
    if (width <= (int64_t)t.nchars) { // compared first: width - nchars could overflow
        *result = self_exact(vm, &t);
        return true;
    }
    int64_t zeros = width - (int64_t)t.nchars;
    StrBuf sb;
    sb_init(&sb);
    size_t skip = 0;
    if (t.len > 0 && (t.data[0] == '+' || t.data[0] == '-')) {
        sb_putc(&sb, t.data[0]); // the sign stays in front of the zeros
        skip = 1;
    }
    if (!put_repeat(vm, &sb, '0', (size_t)zeros) || !put_bytes(vm, &sb, t.data + skip, t.len - skip))
        return false;
    return buf_result(vm, &t, &sb, result);
}

static bool text_expandtabs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"tabsize", NULL};
    Value a[1];
    if (!parse_args(vm, "expandtabs", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    int64_t tabsize = 8;
    if (!IS_EMPTY(a[0]) && !arg_c_int(vm, a[0], &tabsize)) return false;
    Text t = text_of(args[0]);
    if (!memchr(t.data, '\t', t.len)) {
        *result = self_exact(vm, &t);
        return true;
    }
    StrBuf sb;
    sb_init(&sb);
    int64_t col = 0;
    size_t i = 0;
    while (i < t.len) {
        size_t start = i;
        uint32_t c = next_unit(&t, &i);
        if (c == '\t') {
            if (tabsize > 0) {
                int64_t incr = tabsize - (col % tabsize);
                col += incr;
                if (!put_repeat(vm, &sb, ' ', (size_t)incr)) return false;
            }
        } else {
            col++;
            if (!put_bytes(vm, &sb, t.data + start, i - start)) return false;
            if (c == '\n' || c == '\r') col = 0;
        }
    }
    return buf_result(vm, &t, &sb, result);
}

void text_define_methods(Vm *vm, ObjClass *cls) {
    define_methods(vm, cls,
                   (MethodDef[]){{"find", text_find},
                                 {"rfind", text_rfind},
                                 {"index", text_index},
                                 {"rindex", text_rindex},
                                 {"count", text_count},
                                 {"startswith", text_startswith},
                                 {"endswith", text_endswith},
                                 {"split", text_split},
                                 {"rsplit", text_rsplit},
                                 {"splitlines", text_splitlines},
                                 {"partition", text_partition},
                                 {"rpartition", text_rpartition},
                                 {"strip", text_strip},
                                 {"lstrip", text_lstrip},
                                 {"rstrip", text_rstrip},
                                 {"removeprefix", text_removeprefix},
                                 {"removesuffix", text_removesuffix},
                                 {"replace", text_replace},
                                 {"join", text_join},
                                 {"center", text_center},
                                 {"ljust", text_ljust},
                                 {"rjust", text_rjust},
                                 {"zfill", text_zfill},
                                 {"expandtabs", text_expandtabs},
                                 {NULL, NULL}});
}
