/* Literals: number and string tokens decoded into AST values (see literal.h).
 *
 * A STRING token is the whole literal as written: prefix, quotes and body.  Its body is decoded
 * here, never in the scanner, so the scanner stays a pure recogniser.  f-strings are split the
 * way CPython 3.11 does it (Python/ast.c and Parser/string_parser.c): literal text and `{{`/`}}`
 * become STR parts, each replacement field `{expr=!c:spec}` becomes a FORMATTED part whose
 * expression is parsed by a nested call into the parser, with positions in the real source.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "literal.h"
#include "strbuf.h"
#include "unicode_names.h"

enum { FSTRING_MAX_NESTING = 2, FSTRING_MAX_BRACKETS = 200 };

// ---------------------------------------------------------------- numbers

static Ast *int_node(ParseState *st, Token t, int64_t value) {
    Ast *n = ast_new(st->arena, AST_INT, t.line, t.col);
    n->ival = value;
    return n;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

// The scanner has already checked the digits; only the size can be wrong here.
static bool parse_int(const char *digits, int base, int64_t *out) {
    uint64_t value = 0;
    for (const char *p = digits; *p; p++) {
        uint64_t d = (uint64_t)digit_value(*p);
        if (value > (UINT64_MAX - d) / (uint64_t)base) return false;
        value = value * (uint64_t)base + d;
    }
    if (value > INT64_MAX) return false;
    *out = (int64_t)value;
    return true;
}

int64_t literal_max_str_digits = 4300;

Ast *literal_number(ParseState *st, Token t) {
    char *text = arena_alloc(st->arena, (size_t)t.length + 1);
    size_t n = 0;
    for (int i = 0; i < t.length; i++)
        if (t.start[i] != '_') text[n++] = t.start[i];
    text[n] = '\0';
    char last = text[n - 1];
    if (last == 'j' || last == 'J') {
        parse_error(st, t.line, t.col, t.col + t.length, "imaginary (complex) literals are not supported");
        return int_node(st, t, 0);
    }
    int base = 10;
    if (n > 2 && text[0] == '0' && strchr("xXoObB", text[1]))
        base = strchr("xX", text[1]) ? 16 : strchr("oO", text[1]) ? 8 : 2;
    if (base == 10 && strpbrk(text, ".eE")) {
        Ast *f = ast_new(st->arena, AST_FLOAT, t.line, t.col);
        f->fval = strtod(text, NULL); // the C locale: '.' is the decimal point
        return f;
    }
    Ast *node = int_node(st, t, 0);
    if (!parse_int(base == 10 ? text : text + 2, base, &node->ival)) {
        // Beyond int64: the compiler makes a big int from the digits.
        size_t ndigits = strlen(text);
        if (base == 10 && literal_max_str_digits > 0 && ndigits > (size_t)literal_max_str_digits)
            parse_error(st, t.line, t.col, t.col + t.length,
                        "Exceeds the limit (%lld digits) for integer string conversion: value has "
                        "%zu digits; use sys.set_int_max_str_digits() to increase the limit - "
                        "Consider hexadecimal for huge integer literals to avoid decimal "
                        "conversion limits.",
                        (long long)literal_max_str_digits, ndigits);
        node->str = base == 10 ? text : text + 2;
        node->len = strlen(node->str);
        node->op = base;
    }
    return node;
}

// ---------------------------------------------------------------- escapes

// Appends code point c as UTF-8.  Lone surrogates (from "\ud800") are encoded like any other
// code point, as CPython's "surrogatepass" would.
static void put_utf8(StrBuf *out, uint32_t c) {
    char b[4];
    int n;
    if (c < 0x80) b[0] = (char)c, n = 1;
    else if (c < 0x800) b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), n = 2;
    else if (c < 0x10000)
        b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
        b[2] = (char)(0x80 | (c & 0x3F)), n = 3;
    else
        b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((c >> 6) & 0x3F)), b[3] = (char)(0x80 | (c & 0x3F)), n = 4;
    sb_append(out, b, (size_t)n);
}

// Reads exactly `count` hex digits at p (stopping at end); returns how many were there.
static int read_hex(const char *p, const char *end, int count, uint32_t *value) {
    int i = 0;
    *value = 0;
    for (; i < count && p + i < end && isxdigit((unsigned char)p[i]); i++)
        *value = *value * 16 + (uint32_t)digit_value(p[i]);
    return i;
}

// "\N{NAME}": p is just past the N.  The messages and the positions in them are CPython's: the
// range runs from the backslash to the closing brace, or to the last byte read when the escape is
// malformed (no brace, an empty name, or no closing brace before the end of the text).
static const char *decode_named_escape(ParseState *st, Token t, const char *p, const char *end,
                                       long pos, StrBuf *out) {
    const char *name = p + 1, *close = name;
    if (p < end && *p == '{')
        while (close < end && *close != '}') close++;
    if (p >= end || *p != '{' || close >= end || close == name) {
        long last = p >= end || *p != '{' ? pos + 1 : close >= end ? pos + 1 + (long)(end - p) : pos + 2;
        parse_error(st, t.line, t.col, 0,
                    "(unicode error) 'unicodeescape' codec can't decode bytes in position %ld-%ld: "
                    "malformed \\N character escape", pos, last);
        return NULL;
    }
    int32_t code = unicode_code_of_name(name, (size_t)(close - name));
    if (code < 0) {
        parse_error(st, t.line, t.col, 0,
                    "(unicode error) 'unicodeescape' codec can't decode bytes in position %ld-%ld: %s",
                    pos, pos + 2 + (long)(close - p),
                    code == UNICODE_NAMES_NO_MEMORY ? "out of memory" : "unknown Unicode character name");
        return NULL;
    }
    put_utf8(out, (uint32_t)code);
    return close + 1;
}

// Decodes one escape sequence; p points just after the backslash, `pos` is the backslash's
// offset in the body (for CPython's messages).  Returns the position after the escape, or NULL
// after recording an error.
static const char *decode_escape(ParseState *st, Token t, const char *p, const char *end,
                                 bool bytes, long pos, StrBuf *out) {
    static const char simple_from[] = "\\'\"abfnrtv", simple_to[] = "\\'\"\a\b\f\n\r\t\v";
    char c = *p;
    const char *hit = strchr(simple_from, c);
    if (c && hit) {
        sb_putc(out, simple_to[hit - simple_from]);
        return p + 1;
    }
    if (c == '\n') return p + 1;                       // line continuation
    if (c == '\r') return p + (p[1] == '\n' ? 2 : 1);
    if (c >= '0' && c <= '7') {
        uint32_t v = 0;
        int i = 0;
        for (; i < 3 && p + i < end && p[i] >= '0' && p[i] <= '7'; i++) v = v * 8 + (uint32_t)(p[i] - '0');
        if (bytes) sb_putc(out, (char)(v & 0xFF));
        else put_utf8(out, v);
        return p + i;
    }
    int width = c == 'x' ? 2 : (c == 'u' && !bytes) ? 4 : (c == 'U' && !bytes) ? 8 : 0;
    if (width) {
        uint32_t v;
        int got = read_hex(p + 1, end, width, &v);
        const char *what = c == 'x' ? "\\xXX escape" : c == 'u' ? "\\uXXXX escape" : "\\UXXXXXXXX escape";
        if (got < width && bytes) {
            parse_error(st, t.line, t.col, 0, "(value error) invalid \\x escape at position %ld", pos);
            return NULL;
        }
        if (got < width || v > 0x10FFFF) {
            parse_error(st, t.line, t.col, 0,
                        "(unicode error) 'unicodeescape' codec can't decode bytes in position "
                        "%ld-%ld: %s%s",
                        pos, pos + 1 + got, got < width ? "truncated " : "illegal Unicode character",
                        got < width ? what : "");
            return NULL;
        }
        if (bytes) sb_putc(out, (char)v);
        else put_utf8(out, v);
        return p + 1 + width;
    }
    if (c == 'N' && !bytes) return decode_named_escape(st, t, p + 1, end, pos, out);
    sb_putc(out, '\\'); // unknown escapes stay as written, as in CPython
    return p;
}

// Decodes the literal text [p, end) of one string body into out: escapes (unless raw) and line
// breaks, which are always "\n" in the value whatever the file used.
static bool decode(ParseState *st, Token t, const char *body, const char *p, const char *end,
                   bool raw, bool bytes, StrBuf *out) {
    while (p < end) {
        if (*p == '\r') {
            sb_putc(out, '\n');
            p += p + 1 < end && p[1] == '\n' ? 2 : 1;
        } else if (*p == '\\' && !raw) {
            p = decode_escape(st, t, p + 1, end, bytes, (long)(p - body), out);
            if (!p) return false;
        } else if (*p == '\\' && p + 1 < end) {
            sb_append(out, p, 2); // raw: the backslash and the character it protects
            p += 2;
        } else {
            sb_putc(out, *p++);
        }
    }
    return true;
}

static Ast *text_node(ParseState *st, AstKind kind, int line, int col, const StrBuf *sb) {
    Ast *n = ast_new(st->arena, kind, line, col);
    n->str = arena_strndup(st->arena, sb->data ? sb->data : "", sb->length);
    n->len = sb->length;
    return n;
}

// ---------------------------------------------------------------- f-strings

// The source position of a byte inside an f-string token, found by walking forward from the
// last position asked about (fields are visited in order, so the walk is linear overall).
typedef struct {
    const char *p;
    int line, col;
} SourcePos;

static void advance(SourcePos *pos, const char *target) {
    for (; pos->p < target; pos->p++) {
        unsigned char c = (unsigned char)*pos->p;
        if (c == '\n' || (c == '\r' && pos->p[1] != '\n')) pos->line++, pos->col = 1;
        else if ((c & 0xC0) != 0x80 && c != '\r') pos->col++;
    }
}

// Everything one f-string token's split needs to know.
typedef struct {
    ParseState *st;
    Token t;          // the STRING token
    const char *body; // first byte after the opening quotes
    const char *end;  // the closing quotes
    bool raw;
    SourcePos pos;
} FString;

// CPython 3.11 reports every error found while splitting an f-string at the end of the whole
// string token (the caret goes just past its closing quote), whatever byte caused it.
static void ferror_at(FString *fs, const char *at, const char *msg) {
    (void)at;
    SourcePos end = fs->pos;
    advance(&end, fs->t.start + fs->t.length);
    parse_error(fs->st, end.line, end.col, 0, "%s", msg);
}

static AstList fstring_parts(FString *fs, const char **p, int level);

// Finds the end of the expression in a replacement field: the first '}', '!', ':' or debug '='
// outside brackets and nested strings.  Returns NULL after an error.
static const char *expression_end(FString *fs, const char *q) {
    char stack[FSTRING_MAX_BRACKETS];
    int depth = 0;
    for (; q < fs->end; q++) {
        char c = *q;
        if (c == '\\') return ferror_at(fs, q, "f-string expression part cannot include a backslash"), NULL;
        if (c == '#') return ferror_at(fs, q, "f-string expression part cannot include '#'"), NULL;
        if (c == '\'' || c == '"') { // a string inside the expression: skip to its end
            bool triple = q + 2 < fs->end && q[1] == c && q[2] == c;
            const char *r = q + (triple ? 3 : 1);
            while (r < fs->end && !(*r == c && (!triple || (r + 2 < fs->end && r[1] == c && r[2] == c)))) {
                // 3.11 forbids a backslash anywhere in the expression, inside its strings too
                if (*r == '\\')
                    return ferror_at(fs, r, "f-string expression part cannot include a backslash"), NULL;
                r++;
            }
            if (r >= fs->end) return ferror_at(fs, q, "f-string: unterminated string"), NULL;
            q = r + (triple ? 2 : 0);
            continue;
        }
        if (c == '(' || c == '[' || c == '{') {
            if (depth == FSTRING_MAX_BRACKETS) return ferror_at(fs, q, "f-string: too many nested parenthesis"), NULL;
            stack[depth++] = c;
            continue;
        }
        if (c == ')' || c == ']' || c == '}') {
            if (depth == 0 && c == '}') return q;
            char msg[96];
            if (depth == 0) {
                snprintf(msg, sizeof msg, "f-string: unmatched '%c'", c);
                return ferror_at(fs, q, msg), NULL;
            }
            char open = stack[--depth];
            if ((open == '(') != (c == ')') || (open == '[') != (c == ']')) {
                snprintf(msg, sizeof msg,
                         "f-string: closing parenthesis '%c' does not match opening parenthesis '%c'",
                         c, open);
                return ferror_at(fs, q, msg), NULL;
            }
            continue;
        }
        if (depth > 0) continue;
        if (c == '!' && q[1] != '=') return q;
        if (c == ':') return q;
        if (c == '=' && q[1] != '=' && !strchr("=!<>", q[-1])) return q;
        if ((c == '!' || c == '=' || c == '<' || c == '>') && q[1] == '=') q++; // !=, ==, <=, >=
    }
    if (depth > 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "f-string: unmatched '%c'", stack[depth - 1]);
        return ferror_at(fs, q, msg), NULL;
    }
    return ferror_at(fs, q, "f-string: expecting '}'"), NULL;
}

// Parses one replacement field; *p is at its '{' and moves past its '}'.
static Ast *fstring_field(FString *fs, const char **p, int level) {
    ParseState *st = fs->st;
    const char *start = *p + 1;
    if (level >= FSTRING_MAX_NESTING) return ferror_at(fs, *p, "f-string: expressions nested too deeply"), NULL;
    const char *q = expression_end(fs, start);
    if (!q) return NULL;
    const char *s = start;
    while (s < q && strchr(" \t\n\r\f", *s)) s++;
    if (s == q) return ferror_at(fs, q, "f-string: empty expression not allowed"), NULL;
    advance(&fs->pos, start);
    Ast *field = ast_new(st->arena, AST_FORMATTED, fs->pos.line, fs->pos.col);
    field->a = parse_fstring_expr(st, start, (size_t)(q - start), fs->pos.line, fs->pos.col);
    if (!field->a) return NULL;
    if (*q == '=') { // f'{x = }': keep the text, '=' and the spaces after it
        q++;
        while (q < fs->end && strchr(" \t\n\r\f", *q)) q++;
        field->str = arena_strndup(st->arena, start, (size_t)(q - start));
        field->len = (size_t)(q - start);
    }
    if (q < fs->end && *q == '!') {
        if (q + 1 >= fs->end) return ferror_at(fs, q, "f-string: expecting '}'"), NULL;
        if (!strchr("rsa", q[1]) || q[1] == '\0')
            return ferror_at(fs, q + 1, "f-string: invalid conversion character: expected 's', 'r', or 'a'"), NULL;
        field->ival = q[1];
        q += 2;
    }
    if (q < fs->end && *q == ':') {
        q++;
        Ast *spec = ast_new(st->arena, AST_FSTRING, fs->pos.line, fs->pos.col);
        spec->list = fstring_parts(fs, &q, level + 1);
        if (st->failed) return NULL;
        field->b = spec;
    }
    if (q >= fs->end || *q != '}') return ferror_at(fs, q, "f-string: expecting '}'"), NULL;
    if (field->str && !field->ival && !field->b) field->ival = 'r';
    *p = q + 1;
    return field;
}

// Splits f-string text starting at *p into STR and FORMATTED parts.  At level 0 that is the
// whole body, where {{ and }} stand for braces; in a format spec (level > 0) a single '}' ends
// the text and braces are never doubled.
static AstList fstring_parts(FString *fs, const char **p, int level) {
    ParseState *st = fs->st;
    AstList parts = ast_list_empty();
    StrBuf text;
    sb_init(&text);
    const char *q = *p;
    while (q < fs->end && !st->failed) {
        const char *chunk = q;
        while (q < fs->end && *q != '{' && *q != '}') {
            if (*q == '\\' && !fs->raw && q + 2 < fs->end && q[1] == 'N' && q[2] == '{') {
                q += 3; // the braces of "\N{NAME}" are the escape's (decode reports one left open)
                while (q < fs->end && *q != '}') q++;
                if (q < fs->end) q++;
                continue;
            }
            if (*q == '\\' && q + 1 < fs->end) q++; // never split an escape
            q++;
        }
        // CPython decodes each piece of literal text on its own: positions in its messages count
        // from the piece's start.
        if (!decode(st, fs->t, chunk, chunk, q, fs->raw, false, &text)) break;
        if (q >= fs->end) break;
        if (level == 0 && q + 1 < fs->end && q[1] == *q) { // {{ or }}
            sb_putc(&text, *q);
            q += 2;
            continue;
        }
        if (*q == '}') {
            if (level > 0) break;
            ferror_at(fs, q, "f-string: single '}' is not allowed");
            break;
        }
        if (text.length) parts = ast_list_append(st, parts, text_node(st, AST_STR, fs->t.line, fs->t.col, &text));
        text.length = 0;
        Ast *field = fstring_field(fs, &q, level);
        if (!field) break;
        parts = ast_list_append(st, parts, field);
    }
    if (text.length && !st->failed)
        parts = ast_list_append(st, parts, text_node(st, AST_STR, fs->t.line, fs->t.col, &text));
    sb_free(&text);
    *p = q;
    return parts;
}

// ---------------------------------------------------------------- string tokens

Ast *literal_string(ParseState *st, Token t) {
    bool raw = false, bytes = false, fstr = false;
    const char *p = t.start;
    for (; *p != '\'' && *p != '"'; p++) {
        char c = (char)tolower((unsigned char)*p);
        raw |= c == 'r', bytes |= c == 'b', fstr |= c == 'f';
    }
    int quotes = p + 2 < t.start + t.length && p[1] == p[0] && p[2] == p[0] && t.length - (p - t.start) >= 6 ? 3 : 1;
    const char *body = p + quotes, *end = t.start + t.length - quotes;
    if (fstr) {
        FString fs = {st, t, body, end, raw, {t.start, t.line, t.col}};
        Ast *n = ast_new(st->arena, AST_FSTRING, t.line, t.col);
        const char *q = body;
        n->list = fstring_parts(&fs, &q, 0);
        return n;
    }
    if (bytes) {
        for (const char *q = body; q < end; q++)
            if ((unsigned char)*q >= 0x80) {
                parse_error(st, t.line, t.col, 0, "bytes can only contain ASCII literal characters");
                break;
            }
    }
    StrBuf sb;
    sb_init(&sb);
    decode(st, t, body, body, end, raw, bytes, &sb);
    Ast *n = text_node(st, bytes ? AST_BYTES : AST_STR, t.line, t.col, &sb);
    sb_free(&sb);
    return n;
}

// Appends the parts of a STR or FSTRING to `parts`, gluing neighbouring text together and
// dropping empty text, as CPython's JoinedStr does.
static void join_parts(ParseState *st, AstList *parts, StrBuf *text, const Ast *n, int line, int col) {
    if (n->kind == AST_STR) {
        sb_append(text, n->str, n->len);
        return;
    }
    for (int i = 0; i < n->list.count; i++) {
        Ast *part = n->list.items[i];
        if (part->kind == AST_STR) {
            sb_append(text, part->str, part->len);
            continue;
        }
        if (text->length) *parts = ast_list_append(st, *parts, text_node(st, AST_STR, line, col, text));
        text->length = 0;
        *parts = ast_list_append(st, *parts, part);
    }
}

Ast *literal_join(ParseState *st, AstList *nodes) {
    Ast *first = nodes->items[0];
    bool any_fstring = false;
    for (int i = 0; i < nodes->count; i++) {
        Ast *n = nodes->items[i];
        any_fstring |= n->kind == AST_FSTRING;
        if ((n->kind == AST_BYTES) != (first->kind == AST_BYTES)) {
            parse_error_node(st, first, "cannot mix bytes and nonbytes literals");
            return first;
        }
    }
    if (nodes->count == 1 && !any_fstring) return first;
    StrBuf text;
    sb_init(&text);
    Ast *result;
    if (!any_fstring) { // all STR or all BYTES
        for (int i = 0; i < nodes->count; i++) sb_append(&text, nodes->items[i]->str, nodes->items[i]->len);
        result = text_node(st, first->kind, first->line, first->col, &text);
    } else {
        result = ast_new(st->arena, AST_FSTRING, first->line, first->col);
        for (int i = 0; i < nodes->count; i++)
            join_parts(st, &result->list, &text, nodes->items[i], first->line, first->col);
        if (text.length)
            result->list = ast_list_append(st, result->list,
                                           text_node(st, AST_STR, first->line, first->col, &text));
    }
    sb_free(&text);
    return result;
}
