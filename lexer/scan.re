/* The scanner: re2c rules that turn source bytes into raw tokens (see scan.h for the contract).
 *
 * The rules read like the lexical section of the Python reference: keywords, operators, numbers,
 * string openers, names.  re2c picks the longest match and, among equally long ones, the first
 * rule, so keywords precede the rule for names.  Two things are finished by hand in C after a
 * rule matches: the body of a string literal (find the closing quote, or report it missing), and
 * the checks CPython makes on what directly follows a number ("invalid decimal literal").
 *
 * Invariant: between calls, `cur` sits at the start of a token or of skippable text, and
 * `line`/`line_start` describe the physical line `cur` is on.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scan.h"

void scan_init(Scanner *s, const char *text, size_t length, int line, int col) {
    memset(s, 0, sizeof *s);
    s->text = text;
    s->cur = text;
    s->lim = text + length;
    s->line_start = text;
    s->line = line;
    s->first_col = col;
    s->col_ptr = text;
    s->col_val = col;
}

int scan_column(Scanner *s, const char *p) {
    if (s->col_ptr < s->line_start || p < s->col_ptr) {
        s->col_ptr = s->line_start;
        s->col_val = s->line_start == s->text ? s->first_col : 1;
    }
    for (; s->col_ptr < p; s->col_ptr++)
        if (((unsigned char)*s->col_ptr & 0xC0) != 0x80) s->col_val++; // count lead bytes only
    return s->col_val;
}

static Token error_va(Scanner *s, int line, int col, int end_col, const char *fmt, va_list ap) {
    s->err.type = "SyntaxError";
    vsnprintf(s->err.message, sizeof s->err.message, fmt, ap);
    s->err.line = line;
    s->err.col = col;
    s->err.end_col = end_col > col ? end_col : col + 1;
    Token t = {TOKEN_ERROR, s->cur, 0, line, col};
    return t;
}

Token scan_error(Scanner *s, const char *at, int end_col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    Token t = error_va(s, s->line, scan_column(s, at), end_col, fmt, ap);
    va_end(ap);
    return t;
}

static Token error_at(Scanner *s, int line, int col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    Token t = error_va(s, line, col, 0, fmt, ap);
    va_end(ap);
    return t;
}

// The token [start, end) on the current line; the scanner moves past it.
static Token token(Scanner *s, int kind, const char *start, const char *end) {
    Token t = {kind, start, (int)(end - start), s->line, scan_column(s, start)};
    s->cur = end;
    return t;
}

// Moves line bookkeeping past every line break in [from, to): "\n", "\r\n" or a lone "\r".
static void count_lines(Scanner *s, const char *from, const char *to) {
    for (const char *p = from; p < to; p++) {
        if (*p == '\n' || (*p == '\r' && p[1] != '\n')) {
            s->line++;
            s->line_start = p + 1;
        }
    }
}

static bool is_newline(char c) { return c == '\n' || c == '\r'; }

// Finishes a string literal whose opening quote(s) end at `body`.  A backslash always takes the
// next character with it, so \' and \<newline> never end the literal (raw strings included).
static Token string_literal(Scanner *s, const char *start, const char *body, bool triple) {
    char quote = body[-1];
    Token t = token(s, TK_STRING, start, body);
    const char *p = body;
    for (;;) {
        if (p >= s->lim || (!triple && is_newline(*p))) {
            count_lines(s, body, p);
            s->err_at_eof = triple;
            return error_at(s, t.line, t.col, "unterminated %sstring literal (detected at line %d)",
                            triple ? "triple-quoted " : "", s->line);
        }
        if (*p == '\\' && p + 1 < s->lim) {
            p += (p[1] == '\r' && p[2] == '\n') ? 3 : 2;
        } else if (*p == quote && (!triple || (p[1] == quote && p[2] == quote))) {
            p += triple ? 3 : 1;
            break;
        } else {
            p++;
        }
    }
    count_lines(s, body, p);
    s->cur = p;
    t.length = (int)(p - start);
    return t;
}

static bool is_name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

// CPython's verify_end_of_number(): a number may touch one of these keywords (`1if x else 2`),
// but any other letter or digit right after it makes the literal invalid.
static bool number_ends_cleanly(const char *p) {
    static const char *const keywords[] = {"and", "else", "for", "if", "in", "is", "not", "or"};
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strncmp(p, keywords[i], strlen(keywords[i])) == 0) return true;
    return !is_name_char((unsigned char)*p);
}

// A NUMBER token [start, end), unless what follows it makes it one of CPython's invalid
// literals.  `kind` is "decimal", "hexadecimal", "octal" or "binary".
static Token number(Scanner *s, const char *start, const char *end, const char *kind) {
    if (number_ends_cleanly(end)) return token(s, TK_NUMBER, start, end);
    bool digit = *end >= '0' && *end <= '9';
    if (digit && (kind[0] == 'o' || kind[0] == 'b'))
        return scan_error(s, end, 0, "invalid digit '%c' in %s literal", *end, kind);
    bool all_zeros = strspn(start, "0_") == (size_t)(end - start);
    if (digit && kind[0] == 'd' && start[0] == '0' && all_zeros)
        return scan_error(s, start, scan_column(s, end) + 1,
                          "leading zeros in decimal integer literals are not permitted; "
                          "use an 0o prefix for octal integers");
    return scan_error(s, kind[0] == 'd' ? start : end, 0, "invalid %s literal", kind);
}

// "0x", "0o" or "0b" with no digit after it that belongs to the base.
static Token bare_prefix(Scanner *s, const char *end, const char *kind) {
    if (*end >= '0' && *end <= '9')
        return scan_error(s, end, 0, "invalid digit '%c' in %s literal", *end, kind);
    return scan_error(s, end - 1, 0, "invalid %s literal", kind);
}

// Decodes the (valid) UTF-8 sequence at p; *len receives its byte length.
static uint32_t decode_utf8(const unsigned char *p, int *len) {
    if (p[0] < 0xE0) { *len = 2; return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F); }
    if (p[0] < 0xF0) {
        *len = 3;
        return ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
           ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

// Spaces and format characters that Python calls non-printable.
static bool is_nonprintable(uint32_t c) {
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0xA0) || c == 0xAD ||
           (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
           (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF;
}

// aio has no Unicode tables, so every non-ASCII character may appear in a name except these
// blocks of punctuation and symbols, which cover the usual accidents: curly quotes, dashes,
// currency, arrows, maths, box drawing, emoji.
static bool is_symbol(uint32_t c) {
    return (c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 && c != 0xB7 && c != 0xBA) ||
           c == 0xD7 || c == 0xF7 || (c >= 0x2010 && c <= 0x2027) ||
           (c >= 0x2030 && c <= 0x205E && c != 0x203F && c != 0x2040 && c != 0x2054) ||
           (c >= 0x20A0 && c <= 0x20CF) || (c >= 0x2190 && c <= 0x23FF) ||
           (c >= 0x2500 && c <= 0x27BF) || (c >= 0x2900 && c <= 0x2BFF) ||
           (c >= 0x2E00 && c <= 0x2E7F) || (c >= 0x3001 && c <= 0x3003) ||
           (c >= 0x3008 && c <= 0x3011) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0x1F000 && c <= 0x1FAFF);
}

static Token invalid_character(Scanner *s, const char *at, uint32_t c, int len) {
    if (is_nonprintable(c)) return scan_error(s, at, 0, "invalid non-printable character U+%04X", c);
    return scan_error(s, at, 0, "invalid character '%.*s' (U+%04X)", len, at, c);
}

// A NAME token, after checking its non-ASCII characters.
static Token name(Scanner *s, const char *start, const char *end) {
    for (const char *p = start; p < end; p++) {
        if ((unsigned char)*p < 0x80) continue;
        int len;
        uint32_t c = decode_utf8((const unsigned char *)p, &len);
        if (is_nonprintable(c) || is_symbol(c)) return invalid_character(s, p, c, len);
        p += len - 1;
    }
    return token(s, TK_NAME, start, end);
}

static Token other_character(Scanner *s, const char *at) {
    unsigned char c = (unsigned char)*at;
    if (c < 0x20 || c == 0x7F) return invalid_character(s, at, c, 1);
    return scan_error(s, at, 0, "invalid syntax");
}

/*!re2c
    re2c:api:style = free-form;
    re2c:define:YYCTYPE = "unsigned char";
    re2c:define:YYCURSOR = cur;
    re2c:define:YYMARKER = mar;
    re2c:define:YYLIMIT = lim;
    re2c:yyfill:enable = 0;
    re2c:eof = 0;

    newline    = "\r\n" | "\n" | "\r";
    digitpart  = [0-9] ("_"? [0-9])*;
    decinteger = [1-9] ("_"? [0-9])* | "0" ("_"? "0")*;
    hexinteger = "0" [xX] ("_"? [0-9a-fA-F])+;
    octinteger = "0" [oO] ("_"? [0-7])+;
    bininteger = "0" [bB] ("_"? [01])+;
    exponent   = [eE] [+-]? digitpart;
    pointfloat = digitpart? "." digitpart | digitpart ".";
    floatnum   = pointfloat exponent? | digitpart exponent;
    imagnum    = (floatnum | digitpart) [jJ];
    strprefix  = [rRuUbBfF] | [rR] [bBfF] | [bBfF] [rR];
    namestart  = [a-zA-Z_\x80-\xff];
    namechar   = [a-zA-Z0-9_\x80-\xff];
*/

Token scan_next(Scanner *s) {
    const unsigned char *cur, *mar, *lim = (const unsigned char *)s->lim;
    (void)mar;
    for (;;) {
        const char *start = s->cur;
        cur = (const unsigned char *)start;
#define END ((const char *)cur)
        /*!re2c
        $                         { return token(s, TOKEN_EOF, start, start); }
        [ \t\f]+                  { s->cur = END; continue; }
        "#" [^\r\n]*              { s->cur = END; continue; }
        "\\" newline              {
            if (END >= s->lim) { // CPython reads past the continued line and finds nothing
                s->err_at_eof = true;
                return scan_error(s, start, 0, "unexpected EOF while parsing");
            }
            count_lines(s, start, END);
            s->cur = END;
            continue;
        }
        "\\"                      {
            if (END >= s->lim) {
                s->err_at_eof = true;
                return scan_error(s, start, 0, "unexpected EOF while parsing");
            }
            return scan_error(s, END, 0, "unexpected character after line continuation character");
        }
        newline                   {
            Token t = token(s, TK_NEWLINE, start, END);
            count_lines(s, start, END);
            return t;
        }

        "False"    { return token(s, TK_FALSE, start, END); }
        "None"     { return token(s, TK_NONE, start, END); }
        "True"     { return token(s, TK_TRUE, start, END); }
        "and"      { return token(s, TK_AND, start, END); }
        "as"       { return token(s, TK_AS, start, END); }
        "assert"   { return token(s, TK_ASSERT, start, END); }
        "async"    { return token(s, TK_ASYNC, start, END); }
        "await"    { return token(s, TK_AWAIT, start, END); }
        "break"    { return token(s, TK_BREAK, start, END); }
        "class"    { return token(s, TK_CLASS, start, END); }
        "continue" { return token(s, TK_CONTINUE, start, END); }
        "def"      { return token(s, TK_DEF, start, END); }
        "del"      { return token(s, TK_DEL, start, END); }
        "elif"     { return token(s, TK_ELIF, start, END); }
        "else"     { return token(s, TK_ELSE, start, END); }
        "except"   { return token(s, TK_EXCEPT, start, END); }
        "finally"  { return token(s, TK_FINALLY, start, END); }
        "for"      { return token(s, TK_FOR, start, END); }
        "from"     { return token(s, TK_FROM, start, END); }
        "global"   { return token(s, TK_GLOBAL, start, END); }
        "if"       { return token(s, TK_IF, start, END); }
        "import"   { return token(s, TK_IMPORT, start, END); }
        "in"       { return token(s, TK_IN, start, END); }
        "is"       { return token(s, TK_IS, start, END); }
        "lambda"   { return token(s, TK_LAMBDA, start, END); }
        "nonlocal" { return token(s, TK_NONLOCAL, start, END); }
        "not"      { return token(s, TK_NOT, start, END); }
        "or"       { return token(s, TK_OR, start, END); }
        "pass"     { return token(s, TK_PASS, start, END); }
        "raise"    { return token(s, TK_RAISE, start, END); }
        "return"   { return token(s, TK_RETURN, start, END); }
        "try"      { return token(s, TK_TRY, start, END); }
        "while"    { return token(s, TK_WHILE, start, END); }
        "with"     { return token(s, TK_WITH, start, END); }
        "yield"    { return token(s, TK_YIELD, start, END); }

        strprefix? ['"]                  { return string_literal(s, start, END, false); }
        strprefix? (['][']['] | ["]["]["]) { return string_literal(s, start, END, true); }
        namestart namechar*              { return name(s, start, END); }

        decinteger           { return number(s, start, END, "decimal"); }
        hexinteger           { return number(s, start, END, "hexadecimal"); }
        octinteger           { return number(s, start, END, "octal"); }
        bininteger           { return number(s, start, END, "binary"); }
        floatnum | imagnum   { return number(s, start, END, "decimal"); }
        "0" [xX]             { return bare_prefix(s, END, "hexadecimal"); }
        "0" [oO]             { return bare_prefix(s, END, "octal"); }
        "0" [bB]             { return bare_prefix(s, END, "binary"); }

        "("   { return token(s, TK_LPAR, start, END); }
        ")"   { return token(s, TK_RPAR, start, END); }
        "["   { return token(s, TK_LSQB, start, END); }
        "]"   { return token(s, TK_RSQB, start, END); }
        "{"   { return token(s, TK_LBRACE, start, END); }
        "}"   { return token(s, TK_RBRACE, start, END); }
        ":"   { return token(s, TK_COLON, start, END); }
        ","   { return token(s, TK_COMMA, start, END); }
        ";"   { return token(s, TK_SEMI, start, END); }
        "+"   { return token(s, TK_PLUS, start, END); }
        "-"   { return token(s, TK_MINUS, start, END); }
        "*"   { return token(s, TK_STAR, start, END); }
        "/"   { return token(s, TK_SLASH, start, END); }
        "|"   { return token(s, TK_VBAR, start, END); }
        "&"   { return token(s, TK_AMPER, start, END); }
        "<"   { return token(s, TK_LESS, start, END); }
        ">"   { return token(s, TK_GREATER, start, END); }
        "="   { return token(s, TK_EQUAL, start, END); }
        "."   { return token(s, TK_DOT, start, END); }
        "%"   { return token(s, TK_PERCENT, start, END); }
        "~"   { return token(s, TK_TILDE, start, END); }
        "^"   { return token(s, TK_CIRCUMFLEX, start, END); }
        "@"   { return token(s, TK_AT, start, END); }
        "=="  { return token(s, TK_EQEQUAL, start, END); }
        "!="  { return token(s, TK_NOTEQUAL, start, END); }
        "<="  { return token(s, TK_LESSEQUAL, start, END); }
        ">="  { return token(s, TK_GREATEREQUAL, start, END); }
        "<<"  { return token(s, TK_LEFTSHIFT, start, END); }
        ">>"  { return token(s, TK_RIGHTSHIFT, start, END); }
        "**"  { return token(s, TK_DOUBLESTAR, start, END); }
        "//"  { return token(s, TK_DOUBLESLASH, start, END); }
        "->"  { return token(s, TK_RARROW, start, END); }
        ":="  { return token(s, TK_COLONEQUAL, start, END); }
        "..." { return token(s, TK_ELLIPSIS, start, END); }
        "+="  { return token(s, TK_PLUSEQUAL, start, END); }
        "-="  { return token(s, TK_MINEQUAL, start, END); }
        "*="  { return token(s, TK_STAREQUAL, start, END); }
        "/="  { return token(s, TK_SLASHEQUAL, start, END); }
        "%="  { return token(s, TK_PERCENTEQUAL, start, END); }
        "&="  { return token(s, TK_AMPEREQUAL, start, END); }
        "|="  { return token(s, TK_VBAREQUAL, start, END); }
        "^="  { return token(s, TK_CIRCUMFLEXEQUAL, start, END); }
        "@="  { return token(s, TK_ATEQUAL, start, END); }
        "<<=" { return token(s, TK_LEFTSHIFTEQUAL, start, END); }
        ">>=" { return token(s, TK_RIGHTSHIFTEQUAL, start, END); }
        "**=" { return token(s, TK_DOUBLESTAREQUAL, start, END); }
        "//=" { return token(s, TK_DOUBLESLASHEQUAL, start, END); }

        *     { return other_character(s, start); }
        */
#undef END
    }
}
