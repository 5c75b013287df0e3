/* numfmt: CPython-exact text for numbers and strings.
 *
 * Three services, all byte-for-byte compatible with CPython 3.11:
 *   - repr()/str() of a float (shortest round-tripping digits);
 *   - the format-spec mini-language used by format(), str.format() and f-strings;
 *   - the printf-style conversions used by `str % args`.
 *
 * Everything is pure C: no objects, no exceptions.  A function that can fail returns false and
 * writes CPython's message into `err`; the caller raises the exception (ValueError unless
 * numfmt_error_is_overflow() says OverflowError).  Output is appended to a StrBuf as UTF-8.
 * Widths and precisions count code points, as CPython counts characters.
 */
#ifndef AIO_NUMFMT_H
#define AIO_NUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

// ---------------------------------------------------------------------------------------------
// Floats

// repr(x) == str(x): 'inf', '-inf', 'nan', '1.0', '0.1', '1e+16', '1.5e-05', '-0.0', ...
void numfmt_float_repr(double x, StrBuf *out);

// ---------------------------------------------------------------------------------------------
// Format-spec mini-language:  [[fill]align][sign][z][#][0][width][grouping][.precision][type]
//
// The parse does not know the type of the object being formatted, so it records what was
// written and each numfmt_format_* applies that type's defaults (alignment, default type) and
// checks.  One error is found by the parse but reported by the formatter, because its message
// names the object's type: trailing junk ("Invalid format specifier '...' for object of type
// 'int'").  `text` points into the caller's spec for that message, so keep the spec alive while
// the FormatSpec is used.
typedef struct {
    uint32_t fill;          // fill code point; ' ' when not given
    bool fill_given;        // a fill character was written (it precedes an align char)
    char align;             // '<' '>' '^' '=' or 0 when not given
    char sign;              // '+' '-' ' ' or 0 when not given
    bool no_neg_0;          // 'z': turn a negative zero (after rounding) into zero
    bool alternate;         // '#'
    bool zero;              // the '0' before width (only recognised when no fill was given)
    int64_t width;          // -1 when not given
    char grouping;          // ',' '_' or 0
    int64_t precision;      // -1 when not given
    uint32_t type;          // type code point, 0 when not given
    bool invalid;           // trailing characters after the type: reported by the formatter
    const char *text;       // the whole spec (for the "Invalid format specifier" message)
    size_t text_len;
} FormatSpec;

// Parses a UTF-8 spec.  Errors found here: "Format specifier missing precision",
// "Cannot specify both ',' and '_'.", "Too many decimal digits in format string".
bool numfmt_parse_spec(const char *spec, size_t len, FormatSpec *out, char *err, size_t errsize);

// format(int, spec): types b c d o x X n e E f F g G % and none (= d).  The float types convert
// the int to float first, as CPython does.  'c' out of range fails with an OverflowError message.
bool numfmt_format_int(int64_t v, const FormatSpec *spec, StrBuf *out, char *err, size_t errsize);
// The same, naming another type in error messages (e.g. "bool" for format(True, 's')).
bool numfmt_format_int_as(int64_t v, const char *type_name, const FormatSpec *spec, StrBuf *out,
                          char *err, size_t errsize);

// format(int, spec) for ints wider than int64, in steps, since their digits come from elsewhere:
// numfmt_check_wide_int checks the spec and answers 1 (an integer type: get the digits of |v| in
// numfmt_int_base(type) and call numfmt_format_wide_int), 2 (a float type: convert and call
// numfmt_format_float_as_int) or -1 with the error in err.
int numfmt_check_wide_int(const FormatSpec *spec, char *err, size_t errsize);
int numfmt_int_base(uint32_t type);
void numfmt_format_wide_int(bool negative, StrBuf *digits, const FormatSpec *spec, StrBuf *out);
bool numfmt_format_float_as_int(double v, const FormatSpec *spec, StrBuf *out, char *err,
                                size_t errsize);

// format(float, spec): types e E f F g G n % and none.  format(x, '') == repr(x); a precision with
// no type behaves like 'g' but keeps at least one digit after the point ('1.0', not '1').
bool numfmt_format_float(double v, const FormatSpec *spec, StrBuf *out, char *err, size_t errsize);

// format(str, spec): type s and none.  `utf8` must be valid UTF-8.
bool numfmt_format_str(const char *utf8, size_t len, const FormatSpec *spec, StrBuf *out,
                       char *err, size_t errsize);

// True when the message in `err` is one CPython raises as OverflowError rather than ValueError
// ("%c arg not in range(0x110000)").
bool numfmt_error_is_overflow(const char *err);
// True when formatting failed because the width or precision asks for more memory than the
// system gives (raise MemoryError).  numfmt_affordable is the check, for printf-style callers.
bool numfmt_error_is_memory(const char *err);
bool numfmt_affordable(int64_t width, int64_t precision);

// ---------------------------------------------------------------------------------------------
// printf-style formatting: one conversion of `fmt % args`.
//
// The VM parses "%[(key)][flags][width][.precision]type", resolves '*' widths (a negative '*'
// width sets left_adjust and uses its absolute value, as CPython does), converts the argument and
// calls one of these.  Conversions the VM must prepare:
//   d i u  int (a float argument is truncated with int() first)     -> numfmt_percent_int
//   o x X  int only (a float is a TypeError in CPython)             -> numfmt_percent_int
//   e E f F g G  float (an int is converted with float() first)     -> numfmt_percent_float
//   s r a  str(), repr() or ascii() of the argument                 -> numfmt_percent_str
//   c      an int code point, or a 1-character str                  -> numfmt_percent_char / _str
//   %%     a literal '%', handled by the VM
typedef struct {
    bool left_adjust;   // '-'
    bool plus_sign;     // '+'
    bool blank_sign;    // ' '
    bool alternate;     // '#': 0o / 0x / 0X prefixes, keep the point and zeros for e f g
    bool zero_pad;      // '0': pad numbers with zeros after the sign (ignored for strings)
    int64_t width;      // -1 when not given
    int64_t precision;  // -1 when not given
    char type;          // the conversion character
} PercentSpec;

// Types d i u o x X (and e E f F g G, which convert to float).
void numfmt_percent_int(int64_t v, const PercentSpec *ps, StrBuf *out);
// Types d i u o x X for an int beyond int64, given as its sign and the digits of its magnitude
// in the type's base (lowercase).
void numfmt_percent_wide_int(bool negative, const StrBuf *digits, const PercentSpec *ps,
                             StrBuf *out);
// Types e E f F g G.
void numfmt_percent_float(double v, const PercentSpec *ps, StrBuf *out);
// Types s r a (precision truncates) and c with a 1-character string (precision ignored).  `utf8` is the converted text.
void numfmt_percent_str(const char *utf8, size_t len, const PercentSpec *ps, StrBuf *out);
// Type c with an int: fails with "%c arg not in range(0x110000)" (an OverflowError).
bool numfmt_percent_char(int64_t code_point, const PercentSpec *ps, StrBuf *out, char *err,
                         size_t errsize);

// ---------------------------------------------------------------------------------------------
// UTF-8 helpers shared with the formatter (exposed because the VM may find them handy).

// Appends code point `cp` encoded as UTF-8.
void numfmt_put_code_point(StrBuf *out, uint32_t cp);
// Number of code points in valid UTF-8 text.
size_t numfmt_utf8_length(const char *utf8, size_t len);

#endif
