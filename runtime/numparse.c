/* Numbers as text: the parsers behind int('...'), float('...') and float.fromhex, and float repr.
 *
 * CPython first rewrites a str argument into ASCII (_PyUnicode_TransformDecimalAndSpaceToASCII):
 * every non-ASCII whitespace character becomes ' ' and every non-ASCII decimal digit ('٣', '５')
 * its ASCII digit; then it parses bytes.  We do the same, so int('\u0663') == 3 and
 * int('\u2003 5 ') == 5, while the parsers below only ever see ASCII.  The accepted syntax is
 * CPython's: surrounding whitespace, one sign, base prefixes, and single underscores between
 * digits ('1_000', '0x_ff'); errors carry the repr of the original argument.
 */
#include "number.h"

#include <math.h>
#include <string.h>

#include "numfmt.h"
#include "unicode.h"

static bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The value of a decimal digit (Unicode category Nd).  Unicode keeps every such digit in a run
// '0'..'9' of ten consecutive code points, and adjacent runs are whole runs, so the count of Nd
// code points just before c, modulo 10, is its value.
static int decimal_value(uint32_t c) {
    int k = 0;
    while (k < 64 && c > (uint32_t)k && uni_is_decimal(c - (uint32_t)k - 1)) k++;
    return k % 10;
}

// Rewrites UTF-8 text into a fresh ASCII buffer (the caller frees it).  A non-ASCII character
// that is neither whitespace nor a digit becomes '?', which no parser accepts.
static char *to_ascii(const char *s, size_t len, size_t *out_len) {
    char *buf = malloc(len + 1);
    if (!buf) abort();
    size_t n = 0, pos = 0;
    while (pos < len) {
        if ((unsigned char)s[pos] < 0x80) {
            buf[n++] = s[pos++];
            continue;
        }
        uint32_t c = uni_next(s, len, &pos);
        if (uni_is_space(c))
            buf[n++] = ' ';
        else if (uni_is_decimal(c))
            buf[n++] = (char)('0' + decimal_value(c));
        else
            buf[n++] = '?';
    }
    buf[n] = '\0';
    *out_len = n;
    return buf;
}

// Narrows [*start, *end) past ASCII whitespace at both ends.
static void strip(const char *s, size_t *start, size_t *end) {
    while (*start < *end && is_ascii_space(s[*start])) (*start)++;
    while (*end > *start && is_ascii_space(s[*end - 1])) (*end)--;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

// Does s[i..] start with the prefix of `base` ("0x", "0o", "0b", either case)?
static bool has_prefix(const char *s, size_t i, size_t end, int base) {
    if (i + 1 >= end || s[i] != '0') return false;
    char p = (char)(s[i + 1] | 0x20);
    return (base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b');
}

// Scans int syntax.  With `wide` NULL: the value into *out when it fits int64 (1), else -1; 0
// for invalid syntax.  With `wide`: the sign and digits (no prefix, no underscores) are copied
// into it for GMP, *base_out gets the base in effect, and the result is 1 or 0.
static int scan_int(const char *s, size_t len, int base, int64_t *out, StrBuf *wide,
                    int *base_out) {
    size_t i = 0, end = len;
    strip(s, &i, &end);
    bool negative = false;
    if (i < end && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    if (wide && negative) sb_putc(wide, '-');
    // Base 0 reads the base from the prefix.  Without one, a leading 0 is the old C octal
    // spelling, now invalid: only an all-zero number may start with it.
    bool zero_only = false;
    if (base == 0) {
        if (has_prefix(s, i, end, 16))
            base = 16;
        else if (has_prefix(s, i, end, 8))
            base = 8;
        else if (has_prefix(s, i, end, 2))
            base = 2;
        else {
            zero_only = i < end && s[i] == '0';
            base = 10;
        }
    }
    if (has_prefix(s, i, end, base)) {
        i += 2;
        if (i < end && s[i] == '_') i++; // one underscore may follow the prefix
    }
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t acc = 0;
    bool too_big = false, after_digit = false;
    size_t ndigits = 0;
    for (; i < end; i++) {
        if (s[i] == '_') {
            if (!after_digit) return 0; // leading or doubled underscore
            after_digit = false;
            continue;
        }
        int d = digit_value(s[i]);
        if (d >= base) return 0;
        after_digit = true;
        ndigits++;
        if (wide) sb_putc(wide, s[i]);
        // Keep scanning after an overflow: a later bad character makes it a ValueError instead.
        if (too_big || acc > (limit - (uint64_t)d) / (uint64_t)base)
            too_big = true;
        else
            acc = acc * (uint64_t)base + (uint64_t)d;
    }
    if (!after_digit) return 0; // no digits, or a trailing underscore
    if (zero_only && (acc != 0 || too_big)) return 0;
    if (base_out) *base_out = base;
    if (wide) return 1;
    // More digits than an int64 has (leading zeros too) go the wide way, whose conversion applies
    // CPython's limit on digits (sys.set_int_max_str_digits), which counts every digit.
    if (too_big || ndigits > 19) return -1;
    *out = negative ? (int64_t)(0 - acc) : (int64_t)acc;
    return 1;
}

int num_parse_int(const char *s, size_t len, int base, int64_t *out) {
    return scan_int(s, len, base, out, NULL, NULL);
}

bool num_parse_wide_int(Vm *vm, const char *s, size_t len, int base, Value *out) {
    StrBuf digits;
    sb_init(&digits);
    int64_t unused;
    int effective = base;
    scan_int(s, len, base, &unused, &digits, &effective);
    sb_putc(&digits, '\0');
    bool ok = big_from_digits(vm, digits.data, effective, out);
    sb_free(&digits);
    return ok;
}

// Copies a run of digits with single underscores between them into *dst; returns how many
// digits it copied (0 when none), or -1 on a misplaced underscore.
static int copy_digits(const char *s, size_t *i, size_t end, char **dst) {
    int n = 0;
    while (*i < end) {
        char c = s[*i];
        if (c >= '0' && c <= '9') {
            *(*dst)++ = c;
            n++;
            (*i)++;
        } else if (c == '_' && n > 0 && *i + 1 < end && s[*i + 1] >= '0' && s[*i + 1] <= '9') {
            (*i)++;
        } else if (c == '_') {
            return -1;
        } else {
            break;
        }
    }
    return n;
}

static bool equals_nocase(const char *s, size_t n, const char *word) {
    if (strlen(word) != n) return false;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i]) return false;
    return true;
}

bool num_parse_float(const char *s, size_t len, double *out) {
    size_t i = 0, end = len;
    strip(s, &i, &end);
    double sign = 1.0;
    if (i < end && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1.0 : 1.0;
    const char *word = s + i;
    size_t wlen = end - i;
    if (equals_nocase(word, wlen, "inf") || equals_nocase(word, wlen, "infinity")) {
        *out = sign * INFINITY;
        return true;
    }
    if (equals_nocase(word, wlen, "nan")) {
        *out = copysign(NAN, sign);
        return true;
    }
    // Validate digits [. digits] [e [sign] digits] while copying them without underscores.
    char *clean = malloc(end - i + 2);
    if (!clean) abort();
    char *p = clean;
    int whole = copy_digits(s, &i, end, &p), frac = 0;
    bool ok = whole >= 0;
    if (ok && i < end && s[i] == '.') {
        *p++ = s[i++];
        frac = copy_digits(s, &i, end, &p);
        ok = frac >= 0;
    }
    ok = ok && whole + frac > 0;
    if (ok && i < end && (s[i] == 'e' || s[i] == 'E')) {
        *p++ = s[i++];
        if (i < end && (s[i] == '+' || s[i] == '-')) *p++ = s[i++];
        ok = copy_digits(s, &i, end, &p) > 0;
    }
    ok = ok && i == end;
    *p = '\0';
    if (ok) *out = sign * strtod(clean, NULL);
    free(clean);
    return ok;
}

// Raises ValueError(prefix + repr(s)), the repr cut to `max_chars` code points as "%.200R" does.
static bool raise_with_repr(Vm *vm, const char *prefix, const char *s, size_t len,
                            size_t max_chars) {
    ObjStr *str = str_new(vm, s, len);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, prefix);
    size_t start = sb.length;
    str_repr_into(str, &sb);
    size_t pos = start, chars = 0;
    while (pos < sb.length && chars < max_chars) {
        pos++;
        while (pos < sb.length && ((unsigned char)sb.data[pos] & 0xC0) == 0x80) pos++;
        chars++;
    }
    sb.data[pos] = '\0';
    vm_raise(vm, vm->ValueError, "%s", sb.data);
    sb_free(&sb);
    return false;
}

bool int_from_str(Vm *vm, const char *s, size_t len, int base, Value *out) {
    size_t n;
    char *ascii = to_ascii(s, len, &n);
    int64_t small;
    int r = num_parse_int(ascii, n, base, &small);
    if (r > 0) *out = INT_VAL(small);
    bool ok = r >= 0 || num_parse_wide_int(vm, ascii, n, base, out);
    free(ascii);
    if (r != 0) return ok;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "invalid literal for int() with base %d: ", base);
    return raise_with_repr(vm, prefix, s, len, 200);
}

bool float_from_str(Vm *vm, ObjStr *s, double *out) {
    size_t n;
    char *ascii = to_ascii(s->chars, s->length, &n);
    bool ok = num_parse_float(ascii, n, out);
    free(ascii);
    if (ok) return true;
    return raise_with_repr(vm, "could not convert string to float: ", s->chars, s->length,
                           SIZE_MAX);
}

void float_repr_into(double d, StrBuf *out) { numfmt_float_repr(d, out); }

// float.fromhex: [sign] (inf | infinity | nan) or [sign] [0x] hex [. hex] [p [sign] decimal],
// with optional ASCII whitespace around.  The checked text is handed to strtod, which reads C99
// hex floats and rounds them half-even like CPython's own reader.
bool float_from_hex(Vm *vm, const char *s, size_t len, double *out) {
    size_t i = 0, end = len;
    strip(s, &i, &end);
    const char *sign = "";
    if (i < end && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? "-" : "";
    if (equals_nocase(s + i, end - i, "inf") || equals_nocase(s + i, end - i, "infinity") ||
        equals_nocase(s + i, end - i, "nan")) {
        double v = (s[i] | 0x20) == 'n' ? NAN : INFINITY;
        *out = *sign ? -v : v;
        return true;
    }
    if (has_prefix(s, i, end, 16)) i += 2;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s0x", sign);
    size_t digits = 0;
    for (; i < end && digit_value(s[i]) < 16; i++, digits++) sb_putc(&sb, s[i]);
    if (i < end && s[i] == '.') {
        sb_putc(&sb, s[i++]);
        for (; i < end && digit_value(s[i]) < 16; i++, digits++) sb_putc(&sb, s[i]);
    }
    bool ok = digits > 0;
    if (ok && i < end && (s[i] == 'p' || s[i] == 'P')) {
        sb_putc(&sb, s[i++]);
        if (i < end && (s[i] == '+' || s[i] == '-')) sb_putc(&sb, s[i++]);
        size_t from = i;
        for (; i < end && s[i] >= '0' && s[i] <= '9'; i++) sb_putc(&sb, s[i]);
        ok = i > from;
    }
    ok = ok && i == end;
    double v = ok ? strtod(sb.data, NULL) : 0.0;
    sb_free(&sb);
    if (!ok) return vm_raise(vm, vm->ValueError, "invalid hexadecimal floating-point string");
    if (isinf(v))
        return vm_raise(vm, vm->OverflowError,
                        "hexadecimal value too large to represent as a float");
    *out = v;
    return true;
}
