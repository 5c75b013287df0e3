/* codec: str.encode and bytes.decode for UTF-8, ASCII and Latin-1.
 *
 * The three codecs every program meets, with CPython's error handlers (strict, ignore, replace,
 * backslashreplace, xmlcharrefreplace, surrogateescape) and its exact error messages.  A failure
 * covers a range: consecutive unencodable characters are reported together ("characters in
 * position 0-1"), and a broken UTF-8 sequence spans as many bytes as CPython's decoder says
 * (its "maximal subpart" rule).  Positions count characters when encoding, bytes when decoding.
 */
#include <ctype.h>
#include <string.h>

#include "text.h"
#include "unicode.h"

typedef enum { CODEC_UTF8, CODEC_ASCII, CODEC_LATIN1 } Codec;

typedef enum {
    ERR_STRICT,
    ERR_IGNORE,
    ERR_REPLACE,
    ERR_BACKSLASH,
    ERR_XMLCHARREF,
    ERR_SURROGATEESCAPE,
    ERR_UNKNOWN,
} ErrorMode;

static const char *const CODEC_NAMES[] = {"utf-8", "ascii", "latin-1"};

// Python's normalisation: case-insensitive, '_' and ' ' read as '-'; then the usual aliases.
static bool lookup_codec(Vm *vm, ObjStr *name, Codec *out) {
    if (!name) {
        *out = CODEC_UTF8;
        return true;
    }
    char buf[32];
    size_t n = 0;
    for (size_t i = 0; i < name->length && n < sizeof buf - 1; i++) {
        char c = name->chars[i];
        buf[n++] = c == '_' || c == ' ' ? '-' : (char)tolower((unsigned char)c);
    }
    buf[n] = '\0';
    static const struct {
        const char *alias;
        Codec codec;
    } ALIASES[] = {
        {"utf-8", CODEC_UTF8},      {"utf8", CODEC_UTF8},         {"u8", CODEC_UTF8},
        {"utf", CODEC_UTF8},        {"cp65001", CODEC_UTF8},      {"ascii", CODEC_ASCII},
        {"us-ascii", CODEC_ASCII},  {"646", CODEC_ASCII},         {"us", CODEC_ASCII},
        {"latin-1", CODEC_LATIN1},  {"latin1", CODEC_LATIN1},     {"latin", CODEC_LATIN1},
        {"l1", CODEC_LATIN1},       {"iso-8859-1", CODEC_LATIN1}, {"iso8859-1", CODEC_LATIN1},
        {"8859", CODEC_LATIN1},     {"cp819", CODEC_LATIN1},      {"iso-ir-100", CODEC_LATIN1},
    };
    if (n < name->length) goto unknown; // too long to be one of ours
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (strcmp(buf, ALIASES[i].alias) == 0) {
            *out = ALIASES[i].codec;
            return true;
        }
unknown:
    return vm_raise(vm, vm->LookupError, "unknown encoding: %s", name->chars);
}

static ErrorMode error_mode(ObjStr *errors) {
    if (!errors) return ERR_STRICT;
    static const char *const NAMES[] = {"strict", "ignore", "replace", "backslashreplace",
                                        "xmlcharrefreplace", "surrogateescape"};
    for (int i = 0; i < 6; i++)
        if (strcmp(errors->chars, NAMES[i]) == 0) return (ErrorMode)i;
    return ERR_UNKNOWN;
}

static bool unknown_handler(Vm *vm, ObjStr *errors) {
    return vm_raise(vm, vm->LookupError, "unknown error handler name '%s'", errors->chars);
}

// ---- encoding -----------------------------------------------------------------------------------

static bool is_surrogate(uint32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

static bool encodable(Codec codec, uint32_t c) {
    switch (codec) {
    case CODEC_ASCII: return c < 0x80;
    case CODEC_LATIN1: return c < 0x100;
    default: return !is_surrogate(c);
    }
}

static void escape_into(StrBuf *out, uint32_t c) {
    if (c <= 0xFF) sb_printf(out, "\\x%02x", c);
    else if (c <= 0xFFFF) sb_printf(out, "\\u%04x", c);
    else sb_printf(out, "\\U%08x", c);
}

static bool encode_error(Vm *vm, Codec codec, uint32_t first, size_t start, size_t end) {
    const char *reason = codec == CODEC_ASCII    ? "ordinal not in range(128)"
                         : codec == CODEC_LATIN1 ? "ordinal not in range(256)"
                                                 : "surrogates not allowed";
    if (end == start + 1) {
        StrBuf ch;
        sb_init(&ch);
        escape_into(&ch, first);
        vm_raise(vm, vm->UnicodeEncodeError,
                 "'%s' codec can't encode character '%s' in position %zu: %s", CODEC_NAMES[codec],
                 ch.data, start, reason);
        sb_free(&ch);
        return false;
    }
    return vm_raise(vm, vm->UnicodeEncodeError,
                    "'%s' codec can't encode characters in position %zu-%zu: %s", CODEC_NAMES[codec],
                    start, end - 1, reason);
}

// Emits one character the codec cannot encode, the error handler's way.
static bool encode_replacement(Vm *vm, ErrorMode mode, uint32_t c, StrBuf *out) {
    switch (mode) {
    case ERR_IGNORE: return true;
    case ERR_REPLACE: sb_putc(out, '?'); return true;
    case ERR_BACKSLASH: escape_into(out, c); return true;
    case ERR_XMLCHARREF: sb_printf(out, "&#%u;", c); return true;
    case ERR_SURROGATEESCAPE:
        if (c < 0xDC80 || c > 0xDCFF) return false;
        sb_putc(out, (char)(c - 0xDC00));
        return true;
    default: return false;
    }
}

ObjBytes *codec_encode(Vm *vm, ObjStr *s, ObjStr *encoding, ObjStr *errors) {
    Codec codec;
    if (!lookup_codec(vm, encoding, &codec)) return NULL;
    // The common case: nothing to convert.
    bool plain = codec == CODEC_UTF8 || s->length == s->nchars;
    if (codec == CODEC_UTF8)
        for (size_t i = 0; plain && i + 1 < s->length; i++)
            plain = !((unsigned char)s->chars[i] == 0xED && (unsigned char)s->chars[i + 1] >= 0xA0);
    if (plain) return bytes_new(vm, s->chars, s->length);

    ErrorMode mode = error_mode(errors);
    StrBuf out;
    sb_init(&out);
    size_t pos = 0, index = 0;
    while (pos < s->length) {
        size_t at = pos;
        uint32_t c = uni_next(s->chars, s->length, &pos);
        if (encodable(codec, c)) {
            if (codec == CODEC_UTF8) sb_append(&out, s->chars + at, pos - at);
            else sb_putc(&out, (char)c);
            index++;
            continue;
        }
        // A run of unencodable characters [index, end).
        size_t run_end = index + 1, p = pos;
        size_t after = pos;
        while (p < s->length) {
            uint32_t d = uni_next(s->chars, s->length, &p);
            if (encodable(codec, d)) break;
            run_end++;
            after = p;
        }
        if (mode == ERR_UNKNOWN) {
            sb_free(&out);
            unknown_handler(vm, errors);
            return NULL;
        }
        // The handler converts the run from its start; where it cannot (strict, or a character
        // surrogateescape does not know), the rest of the run is reported, as CPython does.
        size_t q = at;
        for (size_t k = index; q < after; k++) {
            uint32_t d = uni_next(s->chars, s->length, &q);
            if (!encode_replacement(vm, mode, d, &out)) {
                sb_free(&out);
                encode_error(vm, codec, d, k, run_end);
                return NULL;
            }
        }
        pos = after;
        index = run_end;
    }
    ObjBytes *b = bytes_new(vm, out.data ? out.data : "", out.length);
    sb_free(&out);
    return b;
}

// ---- decoding -----------------------------------------------------------------------------------

static bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

// Checks the UTF-8 sequence at d[0..n).  Returns its length when valid; otherwise 0 with
// *bad_len set to the bytes the error covers and *reason to CPython's words.
static size_t utf8_sequence(const unsigned char *d, size_t n, size_t *bad_len, const char **reason) {
    unsigned char c = d[0];
    if (c < 0x80) return 1;
    *reason = "invalid continuation byte";
    if (c < 0xC2 || c > 0xF4) {
        *reason = "invalid start byte";
        *bad_len = 1;
        return 0;
    }
    size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (size_t k = 1; k < need; k++) {
        if (k >= n) { // the data ends inside a sequence that was valid so far
            *reason = "unexpected end of data";
            *bad_len = n;
            return 0;
        }
        unsigned char b = d[k];
        bool ok = is_cont(b);
        if (ok && k == 1) { // overlong forms, surrogates and values past U+10FFFF
            if (c == 0xE0) ok = b >= 0xA0;
            else if (c == 0xED) ok = b < 0xA0;
            else if (c == 0xF0) ok = b >= 0x90;
            else if (c == 0xF4) ok = b < 0x90;
        }
        if (!ok) {
            *bad_len = k;
            return 0;
        }
    }
    return need;
}

static bool decode_error(Vm *vm, Codec codec, const unsigned char *data, size_t start, size_t end,
                         const char *reason) {
    if (end == start + 1)
        return vm_raise(vm, vm->UnicodeDecodeError,
                        "'%s' codec can't decode byte 0x%02x in position %zu: %s", CODEC_NAMES[codec],
                        data[start], start, reason);
    return vm_raise(vm, vm->UnicodeDecodeError,
                    "'%s' codec can't decode bytes in position %zu-%zu: %s", CODEC_NAMES[codec],
                    start, end - 1, reason);
}

// The error handler's text for the undecodable bytes data[start, end).
static bool decode_replacement(ErrorMode mode, const unsigned char *data, size_t start, size_t end,
                               StrBuf *out) {
    char buf[4];
    switch (mode) {
    case ERR_IGNORE: return true;
    case ERR_REPLACE: sb_append(out, buf, (size_t)uni_encode(0xFFFD, buf)); return true;
    case ERR_BACKSLASH:
        for (size_t i = start; i < end; i++) sb_printf(out, "\\x%02x", data[i]);
        return true;
    case ERR_SURROGATEESCAPE:
        for (size_t i = start; i < end; i++) {
            if (data[i] < 0x80) return false;
            sb_append(out, buf, (size_t)uni_encode(0xDC00 + data[i], buf));
        }
        return true;
    default: return false;
    }
}

ObjStr *codec_decode(Vm *vm, const unsigned char *data, size_t len, ObjStr *encoding,
                     ObjStr *errors) {
    // Nothing to decode: CPython answers '' without looking the encoding up.
    if (len == 0) return str_from_c(vm, "");
    Codec codec;
    if (!lookup_codec(vm, encoding, &codec)) return NULL;
    ErrorMode mode = error_mode(errors);
    StrBuf out;
    sb_init(&out);
    sb_reserve(&out, len);
    char buf[4];
    size_t i = 0;
    while (i < len) {
        unsigned char c = data[i];
        if (c < 0x80) {
            sb_putc(&out, (char)c);
            i++;
            continue;
        }
        if (codec == CODEC_LATIN1) {
            sb_append(&out, buf, (size_t)uni_encode(c, buf));
            i++;
            continue;
        }
        size_t bad = 1;
        const char *reason = "ordinal not in range(128)";
        if (codec == CODEC_UTF8) {
            size_t n = utf8_sequence(data + i, len - i, &bad, &reason);
            if (n) {
                sb_append(&out, (const char *)data + i, n);
                i += n;
                continue;
            }
        }
        if (mode == ERR_UNKNOWN) {
            sb_free(&out);
            unknown_handler(vm, errors);
            return NULL;
        }
        if (!decode_replacement(mode, data, i, i + bad, &out)) {
            sb_free(&out);
            decode_error(vm, codec, data, i, i + bad, reason);
            return NULL;
        }
        i += bad;
    }
    return str_from_buf(vm, &out);
}
