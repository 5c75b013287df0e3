/* StrBuf: a growable byte buffer for building text (reprs, formatting, tracebacks, f-strings).
 *
 * It lives on the C heap, not the GC heap: build the bytes here, then make one string object from
 * them.  The data is always NUL-terminated so it can be handed to C functions directly.
 * It is in base/, below the lexer, because it needs nothing but libc (and common.h's build knobs)
 * and every layer builds text.
 *
 * Running out of memory: code whose sizes the program chooses (paddings, repetitions, joins)
 * reserves with sb_try_reserve and raises MemoryError itself when that fails.  Elsewhere a StrBuf
 * that cannot grow turns `failed`: it keeps what it has, drops every later append, and calls
 * sb_out_of_memory, with which the VM owes a MemoryError that the interpreter raises at its next
 * check (vm/gc.c).  The text made from a failed StrBuf is cut short, and is never seen by a
 * program that lets the MemoryError propagate.
 */
#ifndef AIO_STRBUF_H
#define AIO_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;      // NUL-terminated; NULL until the first append
    size_t length;   // bytes used, not counting the NUL
    size_t capacity; // bytes allocated
    bool failed;     // a growth was refused: later appends are dropped
} StrBuf;

// What happens when a StrBuf cannot grow.  The VM defines it (vm/gc.c, which sets
// STRBUF_OWN_OUT_OF_MEMORY: a MemoryError is owed); programs without one, such as the unit tests,
// get this default, which gives up.
void sb_out_of_memory(void);
#if defined(__GNUC__) && !defined(STRBUF_OWN_OUT_OF_MEMORY)
__attribute__((weak)) void sb_out_of_memory(void) {
    fputs("aio: out of memory\n", stderr);
    abort();
}
#endif

static inline void sb_init(StrBuf *sb) {
    sb->data = NULL;
    sb->length = 0;
    sb->capacity = 0;
    sb->failed = false;
}

static inline void sb_free(StrBuf *sb) {
    free(sb->data);
    sb_init(sb);
}

// Makes room for `extra` more bytes plus the NUL; false (sb unchanged) when memory runs out.
static inline bool sb_try_reserve(StrBuf *sb, size_t extra) {
    if (sb->failed || extra > SIZE_MAX / 4 - sb->length) return false;
    size_t need = sb->length + extra + 1;
    if (need <= sb->capacity) return true;
#ifdef AIO_FUZZ
    // The fuzz build's memory ends at vm/common.h's AIO_FUZZ_MEMORY_LIMIT (base/ sees no vm/).
    if (need > ((size_t)256 << 20)) return false;
#endif
    size_t cap = sb->capacity ? sb->capacity : 32;
    while (cap < need) cap *= 2;
    char *data = realloc(sb->data, cap);
    if (!data && cap > need) data = realloc(sb->data, cap = need); // doubling may ask too much
    if (!data) return false;
    sb->data = data;
    sb->capacity = cap;
    return true;
}

// Makes room for `extra` more bytes plus the NUL; false once the buffer has failed (see above).
static inline bool sb_reserve(StrBuf *sb, size_t extra) {
    if (sb->failed) return false;
    if (sb_try_reserve(sb, extra)) return true;
    sb->failed = true;
    sb_out_of_memory();
    return false;
}

static inline void sb_append(StrBuf *sb, const char *bytes, size_t n) {
    if (!sb_reserve(sb, n)) return;
    if (n) memcpy(sb->data + sb->length, bytes, n);
    sb->length += n;
    sb->data[sb->length] = '\0';
}

static inline void sb_puts(StrBuf *sb, const char *s) { sb_append(sb, s, strlen(s)); }

static inline void sb_putc(StrBuf *sb, char c) { sb_append(sb, &c, 1); }

static inline void sb_repeat(StrBuf *sb, char c, size_t n) {
    if (!sb_reserve(sb, n)) return;
    memset(sb->data + sb->length, c, n);
    sb->length += n;
    sb->data[sb->length] = '\0';
}

static inline void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || !sb_reserve(sb, (size_t)n)) return;
    vsnprintf(sb->data + sb->length, (size_t)n + 1, fmt, ap);
    sb->length += (size_t)n;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void sb_printf(StrBuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

#endif
