/* percent: printf-style formatting, `fmt % args`, for str and for bytes.
 *
 * A port of CPython 3.11's PyUnicode_Format (and _PyBytes_FormatEx for bytes): the same argument
 * cursor (a tuple is consumed item by item, any other value is the one argument, a mapping serves
 * %(name)s), the same parse of "%[(key)][flags][width][.precision][hlL]type", and the same
 * errors.  This file prepares each argument; runtime/numfmt lays the text out.
 */
#include <math.h>
#include <string.h>

#include "bigint.h"
#include "numfmt.h"
#include "text.h"
#include "unicode.h"

// The formatter's state: the template and where the next argument comes from.
typedef struct {
    bool is_bytes;
    const char *fmt;
    size_t len, pos;     // the template and the byte position of the next character to read
    Value args;          // the current argument source (a tuple, a single value, a dict value)
    int64_t arglen;      // tuple length, or -1 for a single value
    int64_t argidx;      // next tuple index; -2 before a single value is used, -1 after
    Value dict;          // the mapping for %(key)s, or EMPTY
    int root;            // the temp-root slot that keeps `args` alive
    StrBuf out;
} Formatter;

// unicode_format_getnextarg.
static bool next_arg(Vm *vm, Formatter *f, Value *out) {
    if (f->argidx < f->arglen) {
        int64_t i = f->argidx++;
        *out = f->arglen < 0 ? f->args : AS_TUPLE(f->args)->items[i];
        return true;
    }
    return vm_raise(vm, vm->TypeError, "not enough arguments for format string");
}

// The character index of byte offset `pos` in the template (for error messages).
static size_t char_index(const Formatter *f, size_t pos) {
    return f->is_bytes ? pos : utf8_count(f->fmt, pos);
}

// ---- argument conversions -----------------------------------------------------------------------

// %d %i %u: an int, or a float truncated; %o %x %X: an int only.  0 ok, -1 error.
// The int comes in either form (bigint.h).
static bool int_of(Vm *vm, Value v, char type, Value *out) {
    if (IS_INTEGER(v)) {
        *out = v;
        return true;
    }
    bool integer_only = type == 'o' || type == 'x' || type == 'X';
    if (IS_FLOAT(v) && !integer_only) {
        double d = AS_FLOAT(v);
        if (isnan(d)) return vm_raise(vm, vm->ValueError, "cannot convert float NaN to integer");
        if (isinf(d)) return vm_raise(vm, vm->OverflowError, "cannot convert float infinity to integer");
        *out = big_from_double(vm, trunc(d));
        return true;
    }
    if (!IS_FLOAT(v)) { // an object that converts itself
        int found = vm_call_method(vm, v, integer_only ? vm->s_index : vm->s_int, NULL, 0, out);
        if (found == 0 && !integer_only) found = vm_call_method(vm, v, vm->s_index, NULL, 0, out); // as int(v)
        if (found < 0) return false;
        if (found > 0 && IS_INTEGER(*out)) return true;
    }
    if (integer_only)
        return vm_raise(vm, vm->TypeError, "%%%c format: an integer is required, not %s", type,
                        vm_type_name(vm, v));
    return vm_raise(vm, vm->TypeError, "%%%c format: a real number is required, not %s", type,
                    vm_type_name(vm, v));
}

// %e %f %g and friends: a float, an int, or an object with __float__.
static bool float_of(Vm *vm, Value v, double *out) {
    if (IS_NUMBER(v)) {
        *out = AS_NUMBER(v);
        return true;
    }
    if (IS_BIGINT(v)) return big_to_double(vm, v, out);
    Value r;
    int found = vm_call_method(vm, v, vm->s_float, NULL, 0, &r);
    if (found < 0) return false;
    if (found > 0 && IS_FLOAT(r)) {
        *out = AS_FLOAT(r);
        return true;
    }
    return vm_raise(vm, vm->TypeError, "must be real number, not %s", vm_type_name(vm, v));
}

// %s %r %a for str; for bytes %s/%b need bytes (or __bytes__), %r/%a mean ascii().
static bool text_of_arg(Vm *vm, Formatter *f, Value v, char type, StrBuf *text) {
    if (f->is_bytes && (type == 's' || type == 'b')) {
        Value r = v;
        ByteSpan span;
        int buffer = bytes_like(vm, v, &span);
        if (buffer < 0) return false;
        if (buffer > 0) {
            sb_append(text, (const char *)span.data, span.length);
            return true;
        }
        int found = vm_call_method(vm, v, str_from_c(vm, "__bytes__"), NULL, 0, &r);
        if (found < 0) return false;
        if (found > 0 && IS_BYTES(r)) {
            ObjBytes *b = AS_BYTES(r);
            sb_append(text, (const char *)b->data, b->length);
            return true;
        }
        return vm_raise(vm, vm->TypeError,
                        "%%b requires a bytes-like object, or an object that implements __bytes__, not '%s'",
                        vm_type_name(vm, v));
    }
    ObjStr *s;
    if (type == 's') s = IS_STR(v) ? AS_STR(v) : vm_str(vm, v);
    else if (type == 'r' && !f->is_bytes) s = vm_repr(vm, v);
    else s = str_ascii_of(vm, v);
    if (!s) return false;
    sb_append(text, s->chars, s->length);
    return true;
}

// Pads bytes to the width (numfmt counts UTF-8 characters, which bytes are not).
static void pad_bytes(const char *p, size_t n, const PercentSpec *ps, StrBuf *out) {
    size_t pad = ps->width > (int64_t)n ? (size_t)ps->width - n : 0;
    if (!ps->left_adjust) sb_repeat(out, ' ', pad);
    sb_append(out, p ? p : "", n);
    if (ps->left_adjust) sb_repeat(out, ' ', pad);
}

// %c: a code point (or byte) from an int, or a 1-character str (1-byte bytes).
static bool char_of(Vm *vm, Formatter *f, Value v, const PercentSpec *ps) {
    char err[128];
    if (f->is_bytes) {
        if ((IS_BYTES(v) || IS_BYTEARRAY(v)) && (IS_BYTES(v) ? AS_BYTES(v)->length : AS_BYTEARRAY(v)->length) == 1) {
            ByteSpan one;
            bytes_like(vm, v, &one);
            pad_bytes((const char *)one.data, 1, ps, &f->out);
            return true;
        }
        if (!IS_INTLIKE(v))
            return vm_raise(vm, vm->TypeError, "%%c requires an integer in range(256) or a single byte");
        int64_t b = AS_INTLIKE(v);
        if (b < 0 || b > 255) return vm_raise(vm, vm->OverflowError, "%%c arg not in range(256)");
        char c = (char)b;
        pad_bytes(&c, 1, ps, &f->out);
        return true;
    }
    if (IS_STR(v)) {
        if (AS_STR(v)->nchars != 1) return vm_raise(vm, vm->TypeError, "%%c requires int or char");
        numfmt_percent_str(AS_STR(v)->chars, AS_STR(v)->length, ps, &f->out);
        return true;
    }
    if (IS_BIGINT(v)) return vm_raise(vm, vm->OverflowError, "%%c arg not in range(0x110000)");
    if (!IS_INTLIKE(v)) return vm_raise(vm, vm->TypeError, "%%c requires int or char");
    if (!numfmt_percent_char(AS_INTLIKE(v), ps, &f->out, err, sizeof err))
        return vm_raise(vm, vm->OverflowError, "%s", err);
    return true;
}

// ---- one conversion -----------------------------------------------------------------------------

static bool at_end(const Formatter *f) { return f->pos >= f->len; }

// Reads a '*' argument for a width (a C ssize_t in CPython) or a precision (a C int).
static bool star_arg(Vm *vm, Formatter *f, bool precision, int64_t *out) {
    Value v = NONE_VAL();
    if (!next_arg(vm, f, &v)) return false;
    if (!IS_INTLIKE(v) && !IS_BIGINT(v)) return vm_raise(vm, vm->TypeError, "* wants int");
    if (IS_BIGINT(v) || (precision && (AS_INTLIKE(v) > INT32_MAX || AS_INTLIKE(v) < INT32_MIN)))
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C %s",
                        precision ? "int" : "ssize_t");
    *out = AS_INTLIKE(v);
    return true;
}

// Reads decimal digits (the first one already seen as c) into *out.
// A width may be as big as a Py_ssize_t, a precision as an int, as in CPython.
static bool read_number(Vm *vm, Formatter *f, char *c, int64_t *out, int64_t limit, const char *too_big) {
    int64_t n = *c - '0';
    while (!at_end(f)) {
        *c = f->fmt[f->pos++];
        if (*c < '0' || *c > '9') return (*out = n), true;
        if (n > (limit - (*c - '0')) / 10) return vm_raise(vm, vm->ValueError, "%s", too_big);
        n = n * 10 + (*c - '0');
    }
    *c = 0; // ran off the end: "incomplete format"
    *out = n;
    return true;
}

// One conversion; f->pos is just past the '%'.
static bool format_arg(Vm *vm, Formatter *f) {
    if (at_end(f)) return vm_raise(vm, vm->ValueError, "incomplete format");
    char c = f->fmt[f->pos];
    if (c == '%') {
        f->pos++;
        sb_putc(&f->out, '%');
        return true;
    }
    if (c == '(') {
        if (IS_EMPTY(f->dict)) return vm_raise(vm, vm->TypeError, "format requires a mapping");
        size_t start = ++f->pos;
        int depth = 1;
        while (depth > 0 && !at_end(f)) {
            char k = f->fmt[f->pos++];
            if (k == ')') depth--;
            else if (k == '(') depth++;
        }
        if (depth > 0) return vm_raise(vm, vm->ValueError, "incomplete format key");
        Value key = f->is_bytes ? OBJ_VAL(bytes_new(vm, f->fmt + start, f->pos - 1 - start))
                                : OBJ_VAL(str_new(vm, f->fmt + start, f->pos - 1 - start));
        vm_push_root(vm, key);
        Value v;
        bool ok = vm_getitem(vm, f->dict, key, &v);
        vm_pop_root(vm);
        if (!ok) return false;
        f->args = v;
        vm->roots[f->root] = v;
        f->arglen = -1;
        f->argidx = -2;
    }
    PercentSpec ps = {.width = -1, .precision = -1};
    c = 0;
    for (;;) {
        if (at_end(f)) return vm_raise(vm, vm->ValueError, "incomplete format");
        c = f->fmt[f->pos++];
        if (c == '-') ps.left_adjust = true;
        else if (c == '+') ps.plus_sign = true;
        else if (c == ' ') ps.blank_sign = true;
        else if (c == '#') ps.alternate = true;
        else if (c == '0') ps.zero_pad = true;
        else break;
    }
    if (c == '*') {
        if (!star_arg(vm, f, false, &ps.width)) return false;
        if (ps.width < 0) {
            ps.left_adjust = true;
            ps.width = -ps.width;
        }
        c = at_end(f) ? 0 : f->fmt[f->pos++];
    } else if (c >= '0' && c <= '9') {
        if (!read_number(vm, f, &c, &ps.width, INT64_MAX, "width too big")) return false;
    }
    if (c == '.') {
        ps.precision = 0;
        c = at_end(f) ? 0 : f->fmt[f->pos++];
        if (c == '*') {
            if (!star_arg(vm, f, true, &ps.precision)) return false;
            if (ps.precision < 0) ps.precision = 0;
            c = at_end(f) ? 0 : f->fmt[f->pos++];
        } else if (c >= '0' && c <= '9') {
            if (!read_number(vm, f, &c, &ps.precision, INT32_MAX,
                             f->is_bytes ? "prec too big" : "precision too big"))
                return false;
        }
    }
    if ((c == 'h' || c == 'l' || c == 'L') && !at_end(f)) c = f->fmt[f->pos++];
    if (c == 0 || ((c == 'h' || c == 'l' || c == 'L') && at_end(f)))
        return vm_raise(vm, vm->ValueError, "incomplete format");
    ps.type = c;

    Value v = NONE_VAL();
    if (!next_arg(vm, f, &v)) return false;
    bool textual = c == 's' || c == 'r' || c == 'a' || c == 'b' || c == 'c'; // a precision only cuts
    if (!numfmt_affordable(ps.width, textual ? -1 : ps.precision))
        return vm_raise_memory_error(vm);
    switch (c) {
    case 's': case 'r': case 'a': case 'b': {
        if (c == 'b' && !f->is_bytes) break;
        StrBuf text;
        sb_init(&text);
        if (!text_of_arg(vm, f, v, c, &text)) {
            sb_free(&text);
            return false;
        }
        if (f->is_bytes) {
            if (ps.precision >= 0 && (int64_t)text.length > ps.precision)
                text.length = (size_t)ps.precision;
            pad_bytes(text.data, text.length, &ps, &f->out);
        } else {
            numfmt_percent_str(text.data ? text.data : "", text.length, &ps, &f->out);
        }
        sb_free(&text);
        goto done;
    }
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
        Value n;
        if (!int_of(vm, v, c, &n)) return false;
        if (!IS_BIGINT(n)) {
            numfmt_percent_int(AS_INTLIKE(n), &ps, &f->out);
            goto done;
        }
        StrBuf digits;
        sb_init(&digits);
        vm_push_root(vm, n);
        bool ok = big_magnitude_digits(vm, n, c == 'o' ? 8 : c == 'x' || c == 'X' ? 16 : 10, &digits);
        vm_pop_root(vm);
        if (ok) numfmt_percent_wide_int(mpz_sgn(AS_BIGINT(n)->value) < 0, &digits, &ps, &f->out);
        sb_free(&digits);
        if (!ok) return false;
        goto done;
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': {
        double d = 0;
        if (!float_of(vm, v, &d)) return false;
        numfmt_percent_float(d, &ps, &f->out);
        goto done;
    }
    case 'c':
        if (!char_of(vm, f, v, &ps)) return false;
        goto done;
    default:
        break;
    }
    {
        // Report the character as CPython does: itself when printable ASCII, else '?'.
        size_t at = f->pos - 1;
        uint32_t ch = (unsigned char)c;
        if (!f->is_bytes && ch >= 0x80) {
            size_t p = at;
            while (p > 0 && ((unsigned char)f->fmt[p] & 0xC0) == 0x80) p--;
            at = p;
            ch = uni_next(f->fmt, f->len, &p);
        }
        return vm_raise(vm, vm->ValueError, "unsupported format character '%c' (0x%x) at index %zu",
                        ch >= 31 && ch <= 126 ? (char)ch : '?', (unsigned)ch, char_index(f, at));
    }
done:
    if (!IS_EMPTY(f->dict) && f->argidx < f->arglen)
        return vm_raise(vm, vm->TypeError, "not all arguments converted during %s formatting",
                        f->is_bytes ? "bytes" : "string");
    return true;
}

// ---- the whole template -------------------------------------------------------------------------

static bool run(Vm *vm, Formatter *f, Value args) {
    if (IS_TUPLE(args)) {
        f->arglen = (int64_t)AS_TUPLE(args)->count;
        f->argidx = 0;
    } else {
        f->arglen = -1;
        f->argidx = -2;
    }
    // Anything subscriptable except a tuple or str serves %(key)s (PyMapping_Check).
    bool mapping = IS_DICT(args) ||
                   (!IS_TUPLE(args) && !IS_STR(args) && !(f->is_bytes && IS_BYTES(args)) &&
                    !IS_EMPTY(class_lookup(vm_class_of(vm, args), vm->s_getitem)));
    f->dict = mapping ? args : EMPTY_VAL();
    f->args = args;
    vm_push_root(vm, f->args); // the slot is updated when %(key) replaces the argument source
    f->root = vm->nroots - 1;
    sb_init(&f->out);
    while (f->pos < f->len) {
        const char *pct = memchr(f->fmt + f->pos, '%', f->len - f->pos);
        size_t stop = pct ? (size_t)(pct - f->fmt) : f->len;
        sb_append(&f->out, f->fmt + f->pos, stop - f->pos);
        f->pos = stop;
        if (!pct) break;
        f->pos++;
        if (!format_arg(vm, f)) {
            vm_pop_root(vm);
            sb_free(&f->out);
            return false;
        }
    }
    vm_pop_root(vm);
    if (f->argidx < f->arglen && IS_EMPTY(f->dict)) {
        sb_free(&f->out);
        return vm_raise(vm, vm->TypeError, "not all arguments converted during %s formatting",
                        f->is_bytes ? "bytes" : "string");
    }
    return true;
}

ObjStr *str_percent_format(Vm *vm, ObjStr *fmt, Value args) {
    Formatter f = {.fmt = fmt->chars, .len = fmt->length};
    if (!run(vm, &f, args)) return NULL;
    return str_from_buf(vm, &f.out);
}

ObjBytes *bytes_percent_format(Vm *vm, ObjBytes *fmt, Value args) {
    Formatter f = {.is_bytes = true, .fmt = (const char *)fmt->data, .len = fmt->length};
    if (!run(vm, &f, args)) return NULL;
    ObjBytes *b = bytes_new(vm, f.out.data ? f.out.data : "", f.out.length);
    sb_free(&f.out);
    return b;
}
