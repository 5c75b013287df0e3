/* The layout layer: NEWLINE, INDENT and DEDENT from the scanner's raw tokens (see layout.h).
 *
 * The algorithm is CPython's (Parser/tokenizer.c, the indentation block of tok_get), in order:
 *   1. hand out an owed INDENT or DEDENT first;
 *   2. at the start of a line outside brackets, measure its indentation and compare it with the
 *      stack: deeper pushes one level, shallower pops levels and must land exactly on one;
 *   3. otherwise pass the next raw token through, tracking brackets and dropping NEWLINEs that
 *      end no logical line (inside brackets, or after nothing);
 *   4. at end of input, close the last line, then dedent every open level.
 */
#include <stdio.h>
#include <string.h>

#include "layout.h"

void layout_init(Layout *lx, const char *text, size_t length, bool interactive, int line, int col) {
    memset(lx, 0, sizeof *lx);
    scan_init(&lx->scan, text, length, line, col);
    lx->interactive = interactive;
    lx->at_line_start = true;
}

static Token make(int kind, const char *at, int line, int col) {
    Token t = {kind, at, 0, line, col};
    return t;
}

// Records an error of `type` at an explicit position (which may be on an earlier line).
static Token fail_at(Layout *lx, const char *type, int line, int col, const char *msg) {
    SyntaxErr *e = &lx->scan.err;
    e->type = type;
    snprintf(e->message, sizeof e->message, "%s", msg);
    e->line = line;
    e->col = col;
    e->end_col = col + 1;
    return make(TOKEN_ERROR, lx->scan.cur, line, col);
}

// The words CPython uses for the block a header line opens, or NULL if the line opens none.
static const char *block_name(const Token *first, const Token *second) {
    switch (first->kind) {
    case TK_IF: return "'if' statement";
    case TK_ELIF: return "'elif' statement";
    case TK_ELSE: return "'else' statement";
    case TK_WHILE: return "'while' statement";
    case TK_FOR: return "'for' statement";
    case TK_WITH: return "'with' statement";
    case TK_TRY: return "'try' statement";
    case TK_EXCEPT: return second->kind == TK_STAR ? "'except*' statement" : "'except' statement";
    case TK_FINALLY: return "'finally' statement";
    case TK_DEF: return "function definition";
    case TK_CLASS: return "class definition";
    case TK_ASYNC: {
        Token none = {0, NULL, 0, 0, 0};
        return second->kind == TK_ASYNC ? NULL : block_name(second, &none);
    }
    default: return NULL;
    }
}

static Token missing_block(Layout *lx, int line, int col) {
    char msg[128];
    snprintf(msg, sizeof msg, "expected an indented block after %s on line %d", lx->block_kind,
             lx->block_line);
    return fail_at(lx, "IndentationError", line, col, msg);
}

// Step 2.  `cur` is at the start of a physical line outside brackets.  Blank and comment-only
// lines change nothing (at_line_start stays set).  Otherwise compares the line's indentation
// with the stack and queues INDENT/DEDENTs; returns false with an error in *err.
static bool start_line(Layout *lx, Token *err) {
    const char *p = lx->scan.cur;
    int col = 0, alt = 0;
    for (;; p++) {
        if (*p == ' ') col++, alt++;
        else if (*p == '\t') col = (col / 8 + 1) * 8, alt++;
        else if (*p == '\f') col = alt = 0;
        else break;
    }
    if (p >= lx->scan.lim || *p == '#' || *p == '\n' || *p == '\r') return true;
    lx->at_line_start = false;
    Token at = {0, p, 0, lx->scan.line, scan_column(&lx->scan, p)};
    lx->indent_at = at;
    int top = lx->indent[lx->levels], alt_top = lx->alt_indent[lx->levels];
    bool opened = lx->block_kind != NULL; // the previous line ended in ':' after if/def/...
    // The indentation is measured twice: tabs to multiples of 8 (col) and tabs as one column
    // (alt).  Both must order the line the same way against the stack, or the meaning depends
    // on the tab size: TabError.  As in CPython, the indentation errors come before a missing
    // block, and the TabError before "unexpected indent".  CPython reports them at offset 1
    // (TabError), at the first character's 0-based column ("unexpected indent") and just past
    // the line's end ("unindent does not match"); the first two print no caret.
    if (col > top) {
        if (alt <= alt_top) {
            *err = fail_at(lx, "TabError", at.line, 1, "inconsistent use of tabs and spaces in indentation");
            return false;
        }
        if (!opened) {
            *err = fail_at(lx, "IndentationError", at.line, at.col - 1, "unexpected indent");
            return false;
        }
        if (lx->levels + 1 >= LAYOUT_MAX_INDENT) { // CPython counts level 0 among its 100
            *err = fail_at(lx, "IndentationError", at.line, 1, "too many levels of indentation");
            return false;
        }
        lx->block_kind = NULL;
        lx->levels++;
        lx->indent[lx->levels] = col;
        lx->alt_indent[lx->levels] = alt;
        lx->pending = 1;
        return true;
    }
    int level = lx->levels;
    while (level > 0 && col < lx->indent[level]) level--;
    if (col != lx->indent[level]) {
        const char *eol = p;
        while (eol < lx->scan.lim && *eol != '\n' && *eol != '\r') eol++;
        *err = fail_at(lx, "IndentationError", at.line, scan_column(&lx->scan, eol),
                       "unindent does not match any outer indentation level");
        return false;
    }
    if (alt != lx->alt_indent[level]) {
        *err = fail_at(lx, "TabError", at.line, 1, "inconsistent use of tabs and spaces in indentation");
        return false;
    }
    if (opened) {
        *err = missing_block(lx, at.line, at.col);
        return false;
    }
    lx->pending -= lx->levels - level;
    lx->levels = level;
    return true;
}

// True if the text ends with a blank line: how a REPL user says "this block is finished".
static bool ends_with_blank_line(const Scanner *s) {
    const char *p = s->lim;
    while (p > s->text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\f')) p--;
    if (p == s->text || (p[-1] != '\n' && p[-1] != '\r')) return false;
    p -= (p - s->text >= 2 && p[-1] == '\n' && p[-2] == '\r') ? 2 : 1;
    while (p > s->text && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\f')) p--;
    return p == s->text || p[-1] == '\n' || p[-1] == '\r';
}

// Step 4, reached once, at the scanner's end of input: reports unclosed brackets and missing
// blocks, and queues the closing DEDENTs.  Returns the NEWLINE that ends the last line if it
// needs one, an error, or TOKEN_EOF meaning "nothing more to say before the DEDENTs".
static Token end_of_input(Layout *lx, Token eof) {
    if (lx->depth > 0) {
        Bracket *b = &lx->brackets[lx->depth - 1];
        char msg[64];
        snprintf(msg, sizeof msg, "'%c' was never closed", b->kind);
        lx->scan.err_at_eof = true;
        return fail_at(lx, "SyntaxError", b->line, b->col, msg);
    }
    lx->eof_flushed = true;
    bool open_line = lx->last_kind != 0 && lx->last_kind != TK_NEWLINE;
    if (open_line && lx->last_kind == TK_COLON) {
        lx->block_kind = block_name(&lx->line_first, &lx->line_second);
        lx->block_line = lx->line_first.line;
    }
    // A REPL keeps reading until a blank line ends the input, so without one nothing is closed.
    bool finished = !lx->interactive || ends_with_blank_line(&lx->scan);
    if (lx->block_kind && finished) return missing_block(lx, eof.line, eof.col);
    lx->eof_closed_blocks = finished;
    if (finished) {
        lx->pending = -lx->levels;
        lx->levels = 0;
    }
    lx->indent_at = eof;
    if (open_line) {
        lx->last_kind = TK_NEWLINE;
        return make(TK_NEWLINE, eof.start, eof.line, eof.col);
    }
    return make(TOKEN_EOF, eof.start, eof.line, eof.col); // caller goes on to the DEDENTs
}

static Token open_bracket(Layout *lx, Token t) {
    if (lx->depth == LAYOUT_MAX_BRACKETS)
        return fail_at(lx, "SyntaxError", t.line, t.col, "too many nested parentheses");
    Bracket b = {t.start[0], t.line, t.col};
    lx->brackets[lx->depth++] = b;
    return t;
}

static Token close_bracket(Layout *lx, Token t) {
    char close = t.start[0], msg[128];
    if (lx->depth == 0) {
        snprintf(msg, sizeof msg, "unmatched '%c'", close);
        return fail_at(lx, "SyntaxError", t.line, t.col, msg);
    }
    Bracket *b = &lx->brackets[lx->depth - 1];
    char want = b->kind == '(' ? ')' : b->kind == '[' ? ']' : '}';
    if (close != want) {
        if (b->line == t.line)
            snprintf(msg, sizeof msg, "closing parenthesis '%c' does not match opening parenthesis '%c'",
                     close, b->kind);
        else
            snprintf(msg, sizeof msg,
                     "closing parenthesis '%c' does not match opening parenthesis '%c' on line %d",
                     close, b->kind, b->line);
        return fail_at(lx, "SyntaxError", t.line, t.col, msg);
    }
    lx->depth--;
    return t;
}

// Remembers the first two tokens of each logical line, for block_name().
static void note_token(Layout *lx, Token t) {
    if (lx->last_kind == 0 || lx->last_kind == TK_NEWLINE) {
        lx->line_first = t;
        lx->line_second = make(0, NULL, 0, 0);
        lx->line_tokens = 0;
    } else if (lx->line_tokens == 1) {
        lx->line_second = t;
    }
    lx->line_tokens++;
    lx->last_kind = t.kind;
}

Token layout_next(Layout *lx) {
    for (;;) {
        if (lx->pending > 0) {
            lx->pending--;
            return make(TK_INDENT, lx->indent_at.start, lx->indent_at.line, lx->indent_at.col);
        }
        if (lx->pending < 0) {
            lx->pending++;
            return make(TK_DEDENT, lx->indent_at.start, lx->indent_at.line, lx->indent_at.col);
        }
        if (lx->at_line_start && lx->depth == 0 && !lx->eof_flushed) {
            Token err;
            if (!start_line(lx, &err)) return err;
            if (lx->pending) continue;
        }
        Token t = scan_next(&lx->scan);
        switch (t.kind) {
        case TOKEN_ERROR: return t;
        case TOKEN_EOF:
            if (lx->eof_flushed) return t;
            t = end_of_input(lx, t);
            if (t.kind == TOKEN_EOF) continue;
            return t;
        case TK_NEWLINE:
            if (lx->depth > 0) continue;
            lx->at_line_start = true;
            if (lx->last_kind == 0 || lx->last_kind == TK_NEWLINE) continue;
            if (lx->last_kind == TK_COLON) {
                lx->block_kind = block_name(&lx->line_first, &lx->line_second);
                lx->block_line = lx->line_first.line;
            }
            lx->last_kind = TK_NEWLINE;
            return t;
        case TK_LPAR: case TK_LSQB: case TK_LBRACE:
            t = open_bracket(lx, t);
            break;
        case TK_RPAR: case TK_RSQB: case TK_RBRACE:
            t = close_bracket(lx, t);
            break;
        default: break;
        }
        if (t.kind != TOKEN_ERROR) note_token(lx, t);
        return t;
    }
}
