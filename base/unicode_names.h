/* Unicode character names, both ways, as CPython 3.11 knows them (Unicode 14.0): what the
 * "\N{...}" escape of a str literal and the unicodedata module look up.  The data is generated at
 * build time from the Unicode Character Database (base/unicode_names_gen.py, Debian's
 * unicode-data package) into build/unicode_names_data.c; base/unicode_names.c reads it.  Nothing
 * is decoded until the first lookup, so programs that never ask pay nothing at start-up.
 */
#ifndef AIO_UNICODE_NAMES_H
#define AIO_UNICODE_NAMES_H

#include <stddef.h>
#include <stdint.h>

// Room for any name (the longest is 88 characters) and its NUL.
#define UNICODE_NAME_MAX 128

// The code point called `name` (length bytes), or UNICODE_NO_SUCH_NAME, or UNICODE_NAMES_NO_MEMORY
// when the tables could not be built.  As CPython: names and aliases match whatever their ASCII
// case; the algorithmic "CJK UNIFIED IDEOGRAPH-4E00" and "HANGUL SYLLABLE GA" only as written so.
enum { UNICODE_NO_SUCH_NAME = -1, UNICODE_NAMES_NO_MEMORY = -2 };
int32_t unicode_code_of_name(const char *name, size_t length);

// Writes the name of code point `code` into buf (UNICODE_NAME_MAX bytes) and returns its length:
// 0 when the character has no name, -1 when the tables could not be built.
int unicode_name_of_code(uint32_t code, char *buf);

// ---- the generated tables (build/unicode_names_data.c; their layout is in the generator) ----
extern const unsigned unicode_names_count, unicode_aliases_count, unicode_words_count;
extern const unsigned unicode_word_tier1;
extern const unsigned char unicode_words[], unicode_name_records[], unicode_alias_records[];
extern const uint32_t unicode_cjk_ranges[][2];
extern const unsigned unicode_cjk_range_count;
extern const char *const unicode_jamo_leading[19], *const unicode_jamo_vowels[21],
    *const unicode_jamo_trailing[28];

#endif
