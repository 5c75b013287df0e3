/* unicode: what str needs to know about code points, beyond utf8proc.
 *
 * CPython 3.11 answers every character question from its own Unicode 14.0 database.  We ask
 * utf8proc (general category and one-to-one case mappings) and correct it with small tables for
 * what utf8proc does not carry: the full case mappings of SpecialCasing ('ß'.upper() == 'SS'),
 * the derived properties Lowercase/Uppercase/Cased/Case_Ignorable, Numeric_Type, XID_Start and
 * XID_Continue, and the characters utf8proc's newer Unicode assigns but 14.0 does not.  Every
 * predicate here is true exactly when CPython's Py_UNICODE_IS* is for the same code point.
 *
 * Also the lenient UTF-8 reader every text function uses: str objects hold UTF-8, where a lone
 * surrogate (which Python strings may contain) is stored as its 3-byte pattern.
 */
#ifndef AIO_UNICODE_H
#define AIO_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Decodes the code point at s[*pos] and advances *pos past it.  The text is assumed to be a str's
// (well-formed UTF-8 plus encoded surrogates); a stray byte reads as itself, one byte long.
uint32_t uni_next(const char *s, size_t len, size_t *pos);
// Decodes the code point that ends just before s[*pos] and moves *pos back to its first byte.
uint32_t uni_prev(const char *s, size_t *pos);
// Writes cp as UTF-8 into buf (at least 4 bytes); returns the byte count.
int uni_encode(uint32_t cp, char *buf);

// Character classes, as CPython's str predicates see single characters.
bool uni_is_lower(uint32_t c);     // Lowercase
bool uni_is_upper(uint32_t c);     // Uppercase
bool uni_is_title(uint32_t c);     // category Lt
bool uni_is_cased(uint32_t c);     // Lowercase | Uppercase | Lt
bool uni_is_case_ignorable(uint32_t c);
bool uni_is_alpha(uint32_t c);     // L*
bool uni_is_decimal(uint32_t c);   // Nd
bool uni_is_digit(uint32_t c);     // Numeric_Type Decimal or Digit
bool uni_is_numeric(uint32_t c);   // any Numeric_Type
bool uni_is_space(uint32_t c);     // bidi WS, B, S or category Zs
bool uni_is_printable(uint32_t c); // not Cc Cf Cs Co Cn Zl Zp Zs, except ' '
bool uni_is_xid_start(uint32_t c);
bool uni_is_xid_continue(uint32_t c);

// Full case mappings: write up to 3 code points into out and return how many.  Lowercasing a
// capital sigma depends on its neighbours; str.lower() handles that itself (uni_final_sigma).
int uni_to_upper(uint32_t c, uint32_t out[3]);
int uni_to_lower(uint32_t c, uint32_t out[3]);
int uni_to_title(uint32_t c, uint32_t out[3]);
int uni_casefold(uint32_t c, uint32_t out[3]);
// For U+03A3 at byte offset pos of s: true when it ends a word (it lowercases to 'ς'), by the
// Final_Sigma rule CPython applies (a cased letter before, none after, skipping case-ignorables).
bool uni_final_sigma(const char *s, size_t len, size_t pos);

#endif
