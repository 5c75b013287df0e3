/* numfmt: CPython 3.11's number and string formatting, ported to plain C.
 *
 * The layout code follows CPython closely so that edge cases agree by construction:
 *   float_to_string   <- Python/pystrtod.c format_float_short / PyOS_double_to_string
 *   layout_number     <- Python/formatter_unicode.c calc_number_widths + fill_number
 *   group_digits      <- Objects/stringlib/localeutil.h _PyUnicode_InsertThousandsGrouping
 *   percent_output    <- Objects/unicodeobject.c unicode_format_arg_output
 * CPython gets its digits from David Gay's dtoa; here make_digits gets the same digits from the
 * C library, whose printf is correctly rounded (glibc), plus strtod for the shortest repr.
 */
#include "numfmt.h"

#include "common.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

// =============================================================================================
// UTF-8

// Decodes the code point at *pos (valid UTF-8 assumed) and advances *pos past it.
static uint32_t utf8_next(const char *s, size_t len, size_t *pos) {
    const unsigned char *p = (const unsigned char *)s + *pos;
    size_t avail = len - *pos;
    uint32_t c = p[0];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n > avail) n = avail;  // truncated input: take what is there
    if (n == 2) c &= 0x1F;
    else if (n == 3) c &= 0x0F;
    else if (n == 4) c &= 0x07;
    for (size_t i = 1; i < n; i++) c = (c << 6) | (p[i] & 0x3F);
    *pos += n;
    return c;
}

void numfmt_put_code_point(StrBuf *out, uint32_t cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_append(out, b, n);
}

size_t numfmt_utf8_length(const char *utf8, size_t len) {
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)utf8[i] & 0xC0) != 0x80) count++;
    return count;
}

// Byte offset of the first `chars` code points of `utf8` (all of it if shorter).
static size_t utf8_prefix_bytes(const char *utf8, size_t len, int64_t chars) {
    size_t pos = 0;
    for (int64_t i = 0; i < chars && pos < len; i++) utf8_next(utf8, len, &pos);
    return pos;
}

static void put_fill(StrBuf *out, uint32_t fill, int64_t n) {
    if (n <= 0) return;
    if (fill < 0x80) {
        sb_repeat(out, (char)fill, (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++) numfmt_put_code_point(out, fill);
}

// =============================================================================================
// Decimal digits of a double, as _Py_dg_dtoa returns them

typedef enum { DIGITS_FINITE, DIGITS_INF, DIGITS_NAN } DigitsKind;

// The value is 0.<digits> * 10**decpt.  `digits` has no trailing zeros and is never empty: a value
// that is (or rounds to) zero is "0" with decpt 1.  This differs from dtoa only in that dtoa may
// return "" for a rounded-away value, and format_float_short lays both out identically.
typedef struct {
    DigitsKind kind;
    bool negative;   // the sign bit (so -0.0 and -inf are negative); unused for nan
    int64_t decpt;
    StrBuf digits;
} Digits;

// Drops trailing zeros, keeping at least one digit; a lone "0" gets decpt 1.
static void trim_digits(Digits *d) {
    while (d->digits.length > 1 && d->digits.data[d->digits.length - 1] == '0')
        d->digits.data[--d->digits.length] = '\0';
    if (d->digits.length == 1 && d->digits.data[0] == '0') d->decpt = 1;
}

// Reads "D.DDDe+XX" (from "%.*e" of a non-negative finite value) into digits and decpt,
// trimming trailing zeros if `trim`.
static void digits_from_e(const char *text, Digits *d, bool trim) {
    const char *p = text;
    for (; *p && *p != 'e'; p++)
        if (*p != '.') sb_putc(&d->digits, *p);
    d->decpt = strtol(p + 1, NULL, 10) + 1;
    if (trim) trim_digits(d);
}

// Reads "DDD.DDD" (from "%.*f" of a non-negative finite value) into digits and decpt.
static void digits_from_f(const char *text, Digits *d) {
    int64_t int_digits = 0;
    bool seen_point = false, seen_nonzero = false;
    d->decpt = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '.') {
            seen_point = true;
            continue;
        }
        if (!seen_point) int_digits++;
        if (!seen_nonzero && *p == '0') {  // a leading zero moves the point, not the digits
            d->decpt--;
            continue;
        }
        seen_nonzero = true;
        sb_putc(&d->digits, *p);
    }
    d->decpt += int_digits;
    if (!seen_nonzero) sb_putc(&d->digits, '0');
    trim_digits(d);
}

// Adds one unit in the last place to the decimal digits (a carry out of the first digit makes
// them 1000... with decpt one higher, so the length stays the same).
static void increment_digits(Digits *d) {
    size_t i = d->digits.length;
    while (i > 0 && d->digits.data[i - 1] == '9') d->digits.data[--i] = '0';
    if (i > 0) {
        d->digits.data[i - 1]++;
    } else {
        d->digits.data[0] = '1';
        d->decpt++;
    }
}

// Reads 0.<digits> * 10**decpt back as a double.
static double digits_value(const Digits *d) {
    StrBuf text;
    sb_init(&text);
    sb_printf(&text, "0.%se%" PRId64, d->digits.data, d->decpt);
    double v = strtod(text.data, NULL);
    sb_free(&text);
    return v;
}

// Shortest digits that read back as x (x finite, >= 0), the closest such string, as dtoa mode 0
// gives.  For each length p, the correctly rounded "%.*e" is the closest p-digit decimal; if it
// lies below x but outside x's rounding interval, the next p-digit decimal above x may still lie
// inside, because at a power of two the interval reaches twice as far above x as below.
static void shortest_digits(double x, Digits *d) {
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        double y = strtod(buf, NULL);
        sb_free(&d->digits);
        digits_from_e(buf, d, false);
        if (y == x) break;
        if (y < x) {
            increment_digits(d);
            if (digits_value(d) == x) break;
        }
    }
    trim_digits(d);
}

// Fills d with dtoa's output for x: mode 0 shortest, mode 2 `ndigits` significant digits,
// mode 3 `ndigits` digits after the decimal point.
static void make_digits(double x, int mode, int ndigits, Digits *d) {
    sb_init(&d->digits);
    d->negative = signbit(x) != 0;
    d->decpt = 0;
    if (isnan(x)) {
        d->kind = DIGITS_NAN;
        return;
    }
    if (isinf(x)) {
        d->kind = DIGITS_INF;
        return;
    }
    d->kind = DIGITS_FINITE;
    double ax = fabs(x);
    if (mode == 0) {
        shortest_digits(ax, d);
        return;
    }
    StrBuf text;
    sb_init(&text);
    if (mode == 2) {
        sb_printf(&text, "%.*e", ndigits > 0 ? ndigits - 1 : 0, ax);
        digits_from_e(text.data ? text.data : "0e+00", d, true); // no text: out of memory
    } else {
        sb_printf(&text, "%.*f", ndigits, ax);
        digits_from_f(text.data ? text.data : "0", d);
    }
    sb_free(&text);
}

// =============================================================================================
// format_float_short

enum {
    DTSF_ADD_DOT_0 = 1,  // '1.0' rather than '1' when there is no exponent
    DTSF_ALT = 2,        // keep the trailing point and zeros
    DTSF_NO_NEG_0 = 4,   // 'z'
};

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Appends `d` laid out as CPython's format_float_short does for code 'e', 'f', 'g' or 'r'.
static void layout_digits(const Digits *d, char code, int64_t precision, unsigned flags,
                          bool upper, StrBuf *out) {
    bool negative = d->negative;
    if (d->kind == DIGITS_NAN) {  // never signed, even when a sign is requested
        sb_puts(out, upper ? "NAN" : "nan");
        return;
    }
    if (d->kind == DIGITS_INF) {
        if (negative) sb_putc(out, '-');
        sb_puts(out, upper ? "INF" : "inf");
        return;
    }
    const char *digits = d->digits.data;
    int64_t digits_len = (int64_t)d->digits.length;
    bool is_zero = digits_len == 1 && digits[0] == '0';
    if ((flags & DTSF_NO_NEG_0) && is_zero) negative = false;
    bool add_dot_0 = flags & DTSF_ADD_DOT_0, alt = flags & DTSF_ALT;

    // The output is the slice vdigits[vdigits_start:vdigits_end] of the digits padded with
    // zeros on both sides, with the point after index decpt.
    int64_t decpt = d->decpt, vdigits_end = digits_len, exp = 0;
    bool use_exp = false;
    switch (code) {
    case 'e':
        use_exp = true;
        vdigits_end = precision;
        break;
    case 'f':
        vdigits_end = decpt + precision;
        break;
    case 'g':
        if (decpt <= -4 || decpt > (add_dot_0 ? precision - 1 : precision)) use_exp = true;
        if (alt) vdigits_end = precision;
        break;
    default:  // 'r': exponent from 1e16 on
        if (decpt <= -4 || decpt > 16) use_exp = true;
        break;
    }
    if (use_exp) {
        exp = decpt - 1;
        decpt = 1;
    }
    // Invariant: vdigits_start < decpt <= vdigits_end (strictly below when a '.0' is added).
    int64_t vdigits_start = decpt <= 0 ? decpt - 1 : 0;
    if (!use_exp && add_dot_0) vdigits_end = max64(vdigits_end, decpt + 1);
    else vdigits_end = max64(vdigits_end, decpt);

    if (negative) sb_putc(out, '-');
    if (decpt <= 0) {
        sb_repeat(out, '0', (size_t)(decpt - vdigits_start));
        sb_putc(out, '.');
        sb_repeat(out, '0', (size_t)(0 - decpt));
    } else {
        sb_repeat(out, '0', (size_t)(0 - vdigits_start));
    }
    if (0 < decpt && decpt <= digits_len) {
        sb_append(out, digits, (size_t)decpt);
        sb_putc(out, '.');
        sb_append(out, digits + decpt, (size_t)(digits_len - decpt));
    } else {
        sb_append(out, digits, (size_t)digits_len);
    }
    if (digits_len < decpt) {
        sb_repeat(out, '0', (size_t)(decpt - digits_len));
        sb_putc(out, '.');
        sb_repeat(out, '0', (size_t)(vdigits_end - decpt));
    } else {
        sb_repeat(out, '0', (size_t)(vdigits_end - digits_len));
    }
    if (out->data[out->length - 1] == '.' && !alt) out->data[--out->length] = '\0';
    if (use_exp) sb_printf(out, "%c%+.02" PRId64, upper ? 'E' : 'e', exp);
}

// PyOS_double_to_string: code is one of e E f F g G r; precision >= 0 (0 for 'r').
static void float_to_string(double x, char code, int64_t precision, unsigned flags, StrBuf *out) {
    bool upper = code == 'E' || code == 'F' || code == 'G';
    char lower = upper ? (char)(code - 'A' + 'a') : code;
    int mode = 0;
    if (lower == 'e') {
        mode = 2;
        precision++;
    } else if (lower == 'f') {
        mode = 3;
    } else if (lower == 'g') {
        mode = 2;
        if (precision == 0) precision = 1;  // 0 significant digits makes no sense
    }
    Digits d;
    make_digits(x, mode, (int)precision, &d);
    layout_digits(&d, lower, precision, flags, upper, out);
    sb_free(&d.digits);
}

void numfmt_float_repr(double x, StrBuf *out) { float_to_string(x, 'r', 0, DTSF_ADD_DOT_0, out); }

// =============================================================================================
// Parsing the format spec

static bool is_align(uint32_t c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

// Reads decimal digits at *pos into *value; returns the count read, or -1 on overflow.
static int get_integer(const char *s, size_t len, size_t *pos, int64_t *value) {
    int count = 0;
    int64_t acc = 0;
    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
        int digit = s[*pos] - '0';
        if (acc > (INT64_MAX - digit) / 10) return -1;
        acc = acc * 10 + digit;
        (*pos)++;
        count++;
    }
    *value = acc;
    return count;
}

// The code point at pos, or 0 at the end.
static uint32_t peek(const char *s, size_t len, size_t pos) {
    return pos < len ? utf8_next(s, len, &pos) : 0;
}

static bool fail(char *err, size_t errsize, const char *msg) {
    snprintf(err, errsize, "%s", msg);
    return false;
}

bool numfmt_parse_spec(const char *spec, size_t len, FormatSpec *out, char *err, size_t errsize) {
    *out = (FormatSpec){.fill = ' ', .width = -1, .precision = -1, .text = spec, .text_len = len};
    size_t pos = 0, second = 0;
    if (len > 0) utf8_next(spec, len, &second);  // `second` = offset of the second code point
    if (second < len && is_align(peek(spec, len, second))) {
        out->fill = peek(spec, len, 0);
        out->fill_given = true;
        out->align = spec[second];
        pos = second + 1;
    } else if (is_align(peek(spec, len, 0))) {
        out->align = spec[0];
        pos = 1;
    }
    if (pos < len && (spec[pos] == '+' || spec[pos] == '-' || spec[pos] == ' ')) out->sign = spec[pos++];
    if (pos < len && spec[pos] == 'z') out->no_neg_0 = true, pos++;
    if (pos < len && spec[pos] == '#') out->alternate = true, pos++;
    if (!out->fill_given && pos < len && spec[pos] == '0') out->zero = true, pos++;

    int consumed = get_integer(spec, len, &pos, &out->width);
    if (consumed < 0) return fail(err, errsize, "Too many decimal digits in format string");
    if (consumed == 0) out->width = -1;

    if (pos < len && spec[pos] == ',') out->grouping = ',', pos++;
    if (pos < len && spec[pos] == '_') {
        if (out->grouping) return fail(err, errsize, "Cannot specify both ',' and '_'.");
        out->grouping = '_';
        pos++;
    }
    if (pos < len && spec[pos] == ',' && out->grouping == '_')
        return fail(err, errsize, "Cannot specify both ',' and '_'.");

    if (pos < len && spec[pos] == '.') {
        pos++;
        consumed = get_integer(spec, len, &pos, &out->precision);
        if (consumed < 0) return fail(err, errsize, "Too many decimal digits in format string");
        if (consumed == 0) return fail(err, errsize, "Format specifier missing precision");
    }
    if (pos < len) {
        size_t after = pos;
        out->type = utf8_next(spec, len, &after);
        out->invalid = after < len;  // more than one character left
    }
    return true;
}

// Formats a code point for a message as CPython does: 'x' when printable ASCII, else '\x..'.
static void describe_code(uint32_t c, char *buf, size_t size) {
    if (c > 32 && c < 128) snprintf(buf, size, "%c", (char)c);
    else snprintf(buf, size, "\\x%x", (unsigned)c);
}

// The checks every formatter starts with, in CPython's order.  `type` is the resolved type.
// On success *group is the digit group size for the grouping character (0 if none).
static bool check_common(const FormatSpec *spec, uint32_t type, const char *type_name, int *group,
                         char *err, size_t errsize) {
    if (spec->invalid) {
        snprintf(err, errsize, "Invalid format specifier '%.*s' for object of type '%s'",
                 (int)spec->text_len, spec->text, type_name);
        return false;
    }
    *group = 0;
    if (!spec->grouping) return true;
    switch (type) {
    case 'd': case 'e': case 'f': case 'g': case 'E': case 'G': case '%': case 'F': case 0:
        *group = 3;
        return true;
    case 'b': case 'o': case 'x': case 'X':
        if (spec->grouping == '_') {  // PEP 515: underscores every four digits
            *group = 4;
            return true;
        }
        break;
    default:
        break;
    }
    char code[16];
    describe_code(type, code, sizeof code);
    snprintf(err, errsize, "Cannot specify '%c' with '%s'.", spec->grouping, code);
    return false;
}

static bool unknown_code(uint32_t type, const char *type_name, char *err, size_t errsize) {
    char code[16];
    describe_code(type, code, sizeof code);
    snprintf(err, errsize, "Unknown format code '%s' for object of type '%s'", code, type_name);
    return false;
}

// =============================================================================================
// Laying out a number

// A number split the way calc_number_widths sees it:
//   <sign><prefix><digits>[.]<rest>
// Only `digits` is grouped and zero-padded; `rest` is copied (fraction, exponent, "inf", '%', or
// the character of a 'c' conversion).
typedef struct {
    bool negative;
    const char *prefix;
    size_t n_prefix;
    const char *digits;
    size_t n_digits;
    bool has_decimal;
    const char *rest;
    size_t n_rest;   // bytes
} NumberParts;

// The spec resolved for numbers: default alignment '>', and the '0' flag meaning fill '0'
// with '=' alignment unless an alignment was given.
typedef struct {
    uint32_t fill;
    char align;
    char sign;
    int64_t width;
    int group;  // digits per group, 0 for no grouping
    char sep;
} Layout;

static Layout number_layout(const FormatSpec *spec, int group) {
    Layout lo = {spec->fill, spec->align ? spec->align : '>', spec->sign, spec->width, group,
                 spec->grouping};
    if (spec->zero) {
        lo.fill = '0';
        if (!spec->align) lo.align = '=';
    }
    return lo;
}

// Appends one group chunk right-to-left into the reversed buffer `rev`.
static void push_chunk(StrBuf *rev, const char **end, int64_t n_chars, int64_t n_zeros, char sep) {
    if (sep) sb_putc(rev, sep);
    for (int64_t i = 0; i < n_chars; i++) sb_putc(rev, *--(*end));
    sb_repeat(rev, '0', (size_t)n_zeros);
}

// _PyUnicode_InsertThousandsGrouping: appends the digits in groups of `group` (0: no grouping)
// joined by `sep`, left-padded with zero digits until at least min_width characters are used.
static void group_digits(const char *digits, int64_t n_digits, int64_t min_width, int group,
                         char sep, StrBuf *out) {
    StrBuf rev;
    sb_init(&rev);
    const char *end = digits + n_digits;
    int64_t remaining = n_digits, len, n_zeros, n_chars;
    bool use_sep = false, done = false;
    min_width = max64(0, min_width);
    if (group > 0) {
        for (;;) {
            len = min64(group, max64(max64(remaining, min_width), 1));
            n_zeros = max64(0, len - remaining);
            n_chars = max64(0, min64(remaining, len));
            push_chunk(&rev, &end, n_chars, n_zeros, use_sep ? sep : 0);
            use_sep = true;
            remaining -= n_chars;
            min_width -= len;
            if (remaining <= 0 && min_width <= 0) {
                done = true;
                break;
            }
            min_width -= 1;  // the separator
        }
    }
    if (!done) {
        len = max64(max64(remaining, min_width), 1);
        n_zeros = max64(0, len - remaining);
        n_chars = max64(0, min64(remaining, len));
        push_chunk(&rev, &end, n_chars, n_zeros, use_sep ? sep : 0);
    }
    for (size_t i = rev.length; i > 0; i--) sb_putc(out, rev.data[i - 1]);
    sb_free(&rev);
}

// calc_number_widths + fill_number:
//   <lpadding><sign><prefix><spadding><grouped digits><.><rest><rpadding>
static void layout_number(const NumberParts *np, const Layout *lo, StrBuf *out) {
    char sign = 0;
    if (np->negative) sign = '-';
    else if (lo->sign == '+' || lo->sign == ' ') sign = lo->sign;
    int64_t n_fixed = (sign ? 1 : 0) + (int64_t)np->n_prefix + (np->has_decimal ? 1 : 0) +
                      (int64_t)numfmt_utf8_length(np->rest, np->n_rest);
    int64_t min_width = lo->fill == '0' && lo->align == '=' ? lo->width - n_fixed : 0;

    StrBuf grouped;
    sb_init(&grouped);
    if (np->n_digits > 0)  // only 'c' has no digits
        group_digits(np->digits, (int64_t)np->n_digits, min_width, lo->group, lo->sep, &grouped);

    int64_t padding = lo->width - (n_fixed + (int64_t)grouped.length);
    int64_t lpad = 0, spad = 0, rpad = 0;
    if (padding > 0) {
        switch (lo->align) {
        case '<': rpad = padding; break;
        case '^': lpad = padding / 2; rpad = padding - lpad; break;
        case '=': spad = padding; break;
        default: lpad = padding; break;
        }
    }
    put_fill(out, lo->fill, lpad);
    if (sign) sb_putc(out, sign);
    sb_append(out, np->prefix, np->n_prefix);
    put_fill(out, lo->fill, spad);
    sb_append(out, grouped.data ? grouped.data : "", grouped.length);
    if (np->has_decimal) sb_putc(out, '.');
    sb_append(out, np->rest, np->n_rest);
    put_fill(out, lo->fill, rpad);
    sb_free(&grouped);
}

// =============================================================================================
// format(float, spec)

// format_float_internal, for a spec whose type is none or one of e E f F g G n %.
static bool check_affordable(int64_t width, int64_t precision, char *err, size_t errsize);

static bool format_float_internal(double v, const FormatSpec *spec, int group, StrBuf *out,
                                  char *err, size_t errsize) {
    unsigned flags = 0;
    char type = (char)spec->type;
    int64_t default_precision = 6;
    bool add_pct = false;
    if (spec->alternate) flags |= DTSF_ALT;
    if (spec->no_neg_0) flags |= DTSF_NO_NEG_0;
    if (type == 0) {  // like repr, or like 'g' (keeping a '.0') when a precision is given
        flags |= DTSF_ADD_DOT_0;
        type = 'r';
        default_precision = 0;
    }
    if (type == 'n') type = 'g';  // C locale
    if (type == '%') {
        type = 'f';
        v *= 100;
        add_pct = true;
    }
    int64_t precision = spec->precision;
    if (precision < 0) precision = default_precision;
    else if (type == 'r') type = 'g';
    if (precision > INT_MAX - 1) return fail(err, errsize, "precision too big");
    if (!check_affordable(spec->width, precision, err, errsize)) return false;

    StrBuf text;
    sb_init(&text);
    float_to_string(v, type, precision, flags, &text);
    if (add_pct) sb_putc(&text, '%');

    // Split "[-]digits[.rest]" for the layout.
    NumberParts np = {0};
    const char *p = text.data, *end = text.data + text.length;
    if (*p == '-') np.negative = true, p++;
    np.digits = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    np.n_digits = (size_t)(p - np.digits);
    if (p < end && *p == '.') np.has_decimal = true, p++;
    np.rest = p;
    np.n_rest = (size_t)(end - p);

    Layout lo = number_layout(spec, spec->type == 'n' ? 0 : group);
    layout_number(&np, &lo, out);
    sb_free(&text);
    return true;
}

bool numfmt_format_float(double v, const FormatSpec *spec, StrBuf *out, char *err, size_t errsize) {
    int group;
    if (!check_common(spec, spec->type, "float", &group, err, errsize)) return false;
    switch (spec->type) {
    case 0: case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'n': case '%':
        return format_float_internal(v, spec, group, out, err, errsize);
    default:
        return unknown_code(spec->type, "float", err, errsize);
    }
}

// =============================================================================================
// format(int, spec)

// Appends the digits of |v| in `base` (lowercase), no sign or prefix.
static void put_magnitude(int64_t v, int base, StrBuf *out) {
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;  // exact for INT64_MIN
    char buf[64];
    size_t n = 0;
    do {
        buf[n++] = "0123456789abcdef"[m % (uint64_t)base];
        m /= (uint64_t)base;
    } while (m);
    while (n) sb_putc(out, buf[--n]);
}

// format(n, 'c'): the character, laid out as a number with no digits.
static bool format_int_char(int64_t v, const FormatSpec *spec, StrBuf *out, char *err,
                            size_t errsize) {
    if (spec->sign)
        return fail(err, errsize, "Sign not allowed with integer format specifier 'c'");
    if (spec->alternate)
        return fail(err, errsize, "Alternate form (#) not allowed with integer format specifier 'c'");
    if (v < 0 || v > 0x10FFFF) return fail(err, errsize, "%c arg not in range(0x110000)");
    StrBuf ch;
    sb_init(&ch);
    numfmt_put_code_point(&ch, (uint32_t)v);
    NumberParts np = {.rest = ch.data, .n_rest = ch.length};
    Layout lo = number_layout(spec, 0);
    layout_number(&np, &lo, out);
    sb_free(&ch);
    return true;
}

static bool check_int_spec(const FormatSpec *spec, char *err, size_t errsize) {
    if (spec->precision != -1)
        return fail(err, errsize, "Precision not allowed in integer format specifier");
    if (spec->no_neg_0)
        return fail(err, errsize,
                    "Negative zero coercion (z) not allowed in integer format specifier");
    return true;
}

// Lays out the digits of an int's magnitude (lowercase, in the type's base) for types
// b d o x X n.  `digits` is modified (upper-cased for X).
static void layout_int_digits(bool negative, StrBuf *digits, const FormatSpec *spec, int group,
                              StrBuf *out) {
    uint32_t type = spec->type ? spec->type : 'd';
    char prefix[3] = {0};
    if (spec->alternate && type != 'd' && type != 'n') {
        prefix[0] = '0';
        prefix[1] = type == 'b' ? 'b' : type == 'o' ? 'o' : type == 'X' ? 'X' : 'x';
    }
    if (type == 'X')
        for (size_t i = 0; i < digits->length; i++)
            if (digits->data[i] >= 'a') digits->data[i] = (char)(digits->data[i] - 'a' + 'A');
    NumberParts np = {.negative = negative, .prefix = prefix, .n_prefix = strlen(prefix),
                      .digits = digits->data, .n_digits = digits->length, .rest = ""};
    Layout lo = number_layout(spec, type == 'n' ? 0 : group);
    layout_number(&np, &lo, out);
}

// format_long_internal for types b c d o x X n.
static bool format_int_internal(int64_t v, const FormatSpec *spec, int group, StrBuf *out,
                                char *err, size_t errsize) {
    if (!check_int_spec(spec, err, errsize)) return false;
    uint32_t type = spec->type ? spec->type : 'd';
    if (type == 'c') return format_int_char(v, spec, out, err, errsize);
    StrBuf digits;
    sb_init(&digits);
    put_magnitude(v, numfmt_int_base(type), &digits);
    layout_int_digits(v < 0, &digits, spec, group, out);
    sb_free(&digits);
    return true;
}

int numfmt_int_base(uint32_t type) {
    return type == 'b' ? 2 : type == 'o' ? 8 : type == 'x' || type == 'X' ? 16 : 10;
}

int numfmt_check_wide_int(const FormatSpec *spec, char *err, size_t errsize) {
    uint32_t type = spec->type ? spec->type : 'd';
    int group;
    if (!check_common(spec, type, "int", &group, err, errsize)) return -1;
    switch (type) {
    case 'b': case 'd': case 'o': case 'x': case 'X': case 'n':
        return check_int_spec(spec, err, errsize) ? 1 : -1;
    case 'c':
        if (!check_int_spec(spec, err, errsize)) return -1;
        if (spec->sign) return fail(err, errsize, "Sign not allowed with integer format specifier 'c'"), -1;
        if (spec->alternate)
            return fail(err, errsize, "Alternate form (#) not allowed with integer format specifier 'c'"), -1;
        return fail(err, errsize, "Python int too large to convert to C long"), -1;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%':
        return 2;
    default:
        return unknown_code(type, "int", err, errsize) ? 0 : -1;
    }
}

void numfmt_format_wide_int(bool negative, StrBuf *digits, const FormatSpec *spec, StrBuf *out) {
    uint32_t type = spec->type ? spec->type : 'd';
    int group;
    char err[256];
    check_common(spec, type, "int", &group, err, sizeof err); // already checked: sets group
    layout_int_digits(negative, digits, spec, group, out);
}

bool numfmt_format_float_as_int(double v, const FormatSpec *spec, StrBuf *out, char *err,
                                size_t errsize) {
    uint32_t type = spec->type ? spec->type : 'd';
    int group;
    if (!check_common(spec, type, "int", &group, err, errsize)) return false;
    return format_float_internal(v, spec, group, out, err, errsize);
}

bool numfmt_format_int_as(int64_t v, const char *type_name, const FormatSpec *spec, StrBuf *out,
                          char *err, size_t errsize) {
    uint32_t type = spec->type ? spec->type : 'd';
    int group;
    if (!check_common(spec, type, type_name, &group, err, errsize)) return false;
    switch (type) {
    case 'b': case 'c': case 'd': case 'o': case 'x': case 'X': case 'n':
        if (!check_affordable(spec->width, -1, err, errsize)) return false;
        return format_int_internal(v, spec, group, out, err, errsize);
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%':
        return format_float_internal((double)v, spec, group, out, err, errsize);
    default:
        return unknown_code(type, type_name, err, errsize);
    }
}

bool numfmt_format_int(int64_t v, const FormatSpec *spec, StrBuf *out, char *err, size_t errsize) {
    return numfmt_format_int_as(v, "int", spec, out, err, errsize);
}

// =============================================================================================
// format(str, spec)

bool numfmt_format_str(const char *utf8, size_t len, const FormatSpec *spec, StrBuf *out,
                       char *err, size_t errsize) {
    uint32_t type = spec->type ? spec->type : 's';
    int group;
    if (!check_common(spec, type, "str", &group, err, errsize)) return false;
    if (type != 's') return unknown_code(type, "str", err, errsize);
    if (!check_affordable(spec->width, -1, err, errsize)) return false; // a precision only cuts
    if (spec->sign == ' ') return fail(err, errsize, "Space not allowed in string format specifier");
    if (spec->sign) return fail(err, errsize, "Sign not allowed in string format specifier");
    if (spec->no_neg_0)
        return fail(err, errsize,
                    "Negative zero coercion (z) not allowed in string format specifier");
    if (spec->alternate)
        return fail(err, errsize, "Alternate form (#) not allowed in string format specifier");
    if (spec->align == '=')
        return fail(err, errsize, "'=' alignment not allowed in string format specifier");

    // The '0' flag only changes the fill for strings; the default alignment stays '<'.
    uint32_t fill = spec->zero ? '0' : spec->fill;
    char align = spec->align ? spec->align : '<';
    int64_t chars = (int64_t)numfmt_utf8_length(utf8, len);
    size_t bytes = len;
    if (spec->precision >= 0 && chars > spec->precision) {
        chars = spec->precision;
        bytes = utf8_prefix_bytes(utf8, len, chars);
    }
    int64_t total = spec->width > chars ? spec->width : chars;
    int64_t lpad = align == '>' ? total - chars : align == '^' ? (total - chars) / 2 : 0;
    put_fill(out, fill, lpad);
    sb_append(out, utf8, bytes);
    put_fill(out, fill, total - chars - lpad);
    return true;
}

bool numfmt_error_is_overflow(const char *err) {
    return strcmp(err, "%c arg not in range(0x110000)") == 0 ||
           strcmp(err, "Python int too large to convert to C long") == 0;
}

// A huge width or precision must end in MemoryError, not in an abort deep inside a StrBuf.  The
// formatting of one value needs a few buffers of about width + precision bytes (a fill character
// takes up to 4): a probe allocation of that much, freed at once, tells whether the system would
// give it.  Small requests are not probed.
#define NO_MEMORY "out of memory"

bool numfmt_affordable(int64_t width, int64_t precision) {
    uint64_t need = (uint64_t)(width > 0 ? width : 0) + (uint64_t)(precision > 0 ? precision : 0);
    if (need < ((uint64_t)1 << 20)) return true;
    if (need > SIZE_MAX / 16) return false;
#ifdef AIO_FUZZ
    if (need * 4 > AIO_FUZZ_MEMORY_LIMIT) return false; // the fuzz build's memory ends there
#endif
    void *probe = malloc((size_t)need * 4 + 4096);
    free(probe);
    return probe != NULL;
}

bool numfmt_error_is_memory(const char *err) { return strcmp(err, NO_MEMORY) == 0; }

static bool check_affordable(int64_t width, int64_t precision, char *err, size_t errsize) {
    return numfmt_affordable(width, precision) || fail(err, errsize, NO_MEMORY);
}

// =============================================================================================
// printf-style formatting

// unicode_format_arg_output: pads the converted text `str` of one conversion.  `numeric` is
// CPython's arg->sign (true for d i u o x X e E f F g G): a leading sign is kept in front of
// zero padding, and the '+' / ' ' flags add one.
static void percent_output(const char *str, size_t len, const PercentSpec *ps, bool numeric,
                           StrBuf *out) {
    uint32_t fill = numeric && ps->zero_pad ? '0' : ' ';
    int64_t chars = (int64_t)numfmt_utf8_length(str, len);
    bool has_prefix = ps->alternate && (ps->type == 'x' || ps->type == 'X' || ps->type == 'o');
    int64_t width = ps->width;
    char signchar = 0;

    if (ps->type == 's' || ps->type == 'r' || ps->type == 'a') {
        if (ps->precision >= 0 && chars > ps->precision) {
            chars = ps->precision;
            len = utf8_prefix_bytes(str, len, chars);
        }
    }
    if (numeric) {
        if (str[0] == '-' || str[0] == '+') {
            signchar = str[0];
            str++, len--, chars--;
        } else if (ps->plus_sign) {
            signchar = '+';
        } else if (ps->blank_sign) {
            signchar = ' ';
        } else {
            numeric = false;  // no sign to place
        }
    }
    if (width < chars) width = chars;
    if (numeric) {
        if (fill != ' ') sb_putc(out, signchar);
        if (width > chars) width--;
    }
    if (has_prefix) {  // "0x" / "0X" / "0o" stays in front of zero padding
        if (fill != ' ') sb_append(out, str, 2), str += 2;
        width = max64(0, width - 2);
        chars -= 2, len -= 2;
    }
    if (width > chars && !ps->left_adjust) {
        put_fill(out, fill, width - chars);
        width = chars;
    }
    if (fill == ' ') {
        if (numeric) sb_putc(out, signchar);
        if (has_prefix) sb_append(out, str, 2), str += 2;
    }
    sb_append(out, str, len);
    if (width > chars) sb_repeat(out, ' ', (size_t)(width - chars));
}

// _PyUnicode_FormatLong: digits of v with the 0o/0x/0X prefix when '#', zero-extended to
// `precision` digits.
static void percent_digits_text(bool negative, const StrBuf *digits, const PercentSpec *ps,
                                StrBuf *text) {
    char t = ps->type;
    int base = t == 'o' ? 8 : t == 'x' || t == 'X' ? 16 : 10;
    if (negative) sb_putc(text, '-');
    if (ps->alternate && base != 10) {
        sb_putc(text, '0');
        sb_putc(text, t);
    }
    if (ps->precision > (int64_t)digits->length)
        sb_repeat(text, '0', (size_t)(ps->precision - (int64_t)digits->length));
    for (size_t i = 0; i < digits->length; i++) {
        char c = digits->data[i];
        sb_putc(text, t == 'X' && c >= 'a' ? (char)(c - 'a' + 'A') : c);
    }
}

static void percent_int_text(int64_t v, const PercentSpec *ps, StrBuf *text) {
    char t = ps->type;
    StrBuf digits;
    sb_init(&digits);
    put_magnitude(v, t == 'o' ? 8 : t == 'x' || t == 'X' ? 16 : 10, &digits);
    percent_digits_text(v < 0, &digits, ps, text);
    sb_free(&digits);
}

void numfmt_percent_wide_int(bool negative, const StrBuf *digits, const PercentSpec *ps,
                             StrBuf *out) {
    StrBuf text;
    sb_init(&text);
    percent_digits_text(negative, digits, ps, &text);
    percent_output(text.data, text.length, ps, true, out);
    sb_free(&text);
}

void numfmt_percent_int(int64_t v, const PercentSpec *ps, StrBuf *out) {
    switch (ps->type) {
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
        numfmt_percent_float((double)v, ps, out);
        return;
    default:
        break;
    }
    StrBuf text;
    sb_init(&text);
    percent_int_text(v, ps, &text);
    percent_output(text.data, text.length, ps, true, out);
    sb_free(&text);
}

void numfmt_percent_float(double v, const PercentSpec *ps, StrBuf *out) {
    int64_t precision = ps->precision < 0 ? 6 : ps->precision;
    if (precision > INT_MAX - 1) precision = INT_MAX - 1;
    StrBuf text;
    sb_init(&text);
    float_to_string(v, ps->type, precision, ps->alternate ? DTSF_ALT : 0, &text);
    percent_output(text.data, text.length, ps, true, out);
    sb_free(&text);
}

void numfmt_percent_str(const char *utf8, size_t len, const PercentSpec *ps, StrBuf *out) {
    percent_output(utf8, len, ps, false, out);
}

bool numfmt_percent_char(int64_t code_point, const PercentSpec *ps, StrBuf *out, char *err,
                         size_t errsize) {
    if (code_point < 0 || code_point > 0x10FFFF)
        return fail(err, errsize, "%c arg not in range(0x110000)");
    StrBuf ch;
    sb_init(&ch);
    numfmt_put_code_point(&ch, (uint32_t)code_point);
    percent_output(ch.data, ch.length, ps, false, out);
    sb_free(&ch);
    return true;
}
