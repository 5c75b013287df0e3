/* The parser driver: source text in, AST or SyntaxError out (see parse.h).
 *
 * parse_source() is the SQLite-style loop: it pulls tokens from the layout layer and pushes
 * each into the lemon engine until the input ends or something fails.  Around that loop sit
 * three jobs that need the whole picture:
 *   - choosing CPython 3.11's message for a syntax error (parse_syntax_error), from a few
 *     facts about where the parser stopped ("expected ':'", "Perhaps you forgot a comma?");
 *   - after a parser error, reading on to the end like CPython does, because a later tokenizer
 *     error or an unclosed bracket explains the problem better than "invalid syntax";
 *   - a final walk over the tree for the rules that need context: 'return' outside function,
 *     'break' outside loop, 'await' outside async function, and a limit on nesting depth.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "layout.h"

// The tree depth every returned AST stays under, so that recursive walks (this file's checker,
// ast_dump, the compiler) cannot overflow the C stack.
enum { PARSE_MAX_DEPTH = 3002 };

// ---------------------------------------------------------------- recording errors

static void verror(ParseState *st, const char *type, int line, int col, int end_col, const char *fmt,
                   va_list ap) {
    if (st->failed) return; // the first error is the one reported
    st->failed = true;
    SyntaxErr *e = st->err;
    e->type = type;
    const char *prefix = st->in_fstring && strncmp(fmt, "f-string", 8) != 0 ? "f-string: " : "";
    size_t n = strlen(prefix);
    memcpy(e->message, prefix, n);
    vsnprintf(e->message + n, sizeof e->message - n, fmt, ap);
    e->line = line;
    e->col = col;
    e->end_col = end_col > col ? end_col : col + 1;
}

void parse_error(ParseState *st, int line, int col, int end_col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(st, "SyntaxError", line, col, end_col, fmt, ap);
    va_end(ap);
}

void parse_error_node(ParseState *st, const Ast *node, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(st, "SyntaxError", node->line, node->col, 0, fmt, ap);
    va_end(ap);
}

static void token_error(ParseState *st, const char *type, Token t, const char *msg) {
    parse_error(st, t.line, t.col, t.col + (t.length > 0 ? t.length : 1), "%s", msg);
    st->err->type = type;
}

void parse_stack_overflow(ParseState *st) {
    token_error(st, "SyntaxError", st->prev, "too many nested expressions");
}

// ---------------------------------------------------------------- choosing the message

static bool ends_operand(int kind) {
    switch (kind) {
    case TK_NAME: case TK_NUMBER: case TK_STRING: case TK_RPAR: case TK_RSQB: case TK_RBRACE:
    case TK_NONE: case TK_TRUE: case TK_FALSE: case TK_ELLIPSIS:
        return true;
    default: return false;
    }
}

static bool starts_operand(int kind) {
    switch (kind) {
    case TK_NAME: case TK_NUMBER: case TK_STRING: case TK_LPAR: case TK_LSQB: case TK_LBRACE:
    case TK_NONE: case TK_TRUE: case TK_FALSE: case TK_ELLIPSIS: case TK_TILDE: case TK_LAMBDA:
    case TK_AWAIT: case TK_NOT:
        return true;
    default: return false;
    }
}

static bool is_block_keyword(int kind) {
    switch (kind) {
    case TK_IF: case TK_ELIF: case TK_ELSE: case TK_WHILE: case TK_FOR: case TK_WITH: case TK_TRY:
    case TK_EXCEPT: case TK_FINALLY: case TK_DEF: case TK_CLASS: case TK_ASYNC:
        return true;
    default: return false;
    }
}

static bool token_is(Token t, const char *text) {
    return t.length == (int)strlen(text) && memcmp(t.start, text, (size_t)t.length) == 0;
}

// Whether `kind` comes right after a try block's body.  A DEDENT that cannot come next has already
// closed its own block in note_token(), so then the body was closed by the DEDENT before it.
static bool after_try_block(const ParseState *st, int kind) {
    int closed = kind == TK_DEDENT ? st->closed_before : st->closed_block;
    return (st->prev.kind == TK_DEDENT && closed == TK_TRY) ||
           (st->prev.kind == TK_NEWLINE && st->prev_line_first == TK_TRY);
}

// Where CPython shows an error found at a DEDENT or at the end of the input: the DEDENT's line (that
// of the statement after the block) or, at the end, the file's last line (blank lines and comments
// count), with no caret (column -1).
static Token block_end_place(const ParseState *st, int kind, Token tok) {
    const char *text = st->src->text, *end = text + st->src->length;
    if (kind == TOKEN_EOF || tok.start >= end) {
        int lines = 0;
        for (const char *p = text; p < end; p++) lines += *p == '\n';
        if (end > text && end[-1] != '\n') lines++;
        tok.line = lines > 0 ? lines : 1;
    }
    tok.col = -1;
    tok.length = 0;
    return tok;
}

// lemon's %syntax_error: `tok` (of `kind`) cannot come next.  The rules mirror the commonest of
// CPython's "invalid_*" grammar rules; anything else is plain "invalid syntax".
void parse_syntax_error(ParseState *st, int kind, Token tok) {
    int d = st->depth, p = st->prev.kind;
    if (kind == TOKEN_EOF && st->input_open) {
        st->incomplete = true;
        token_error(st, "SyntaxError", tok, "incomplete input");
    } else if (after_try_block(st, kind) && kind != TK_EXCEPT && kind != TK_FINALLY) {
        token_error(st, "SyntaxError", kind == TK_DEDENT || kind == TOKEN_EOF ? block_end_place(st, kind, tok) : tok,
                    "expected 'except' or 'finally' block");
    } else if (kind == TOKEN_EOF) {
        token_error(st, "SyntaxError", tok, "invalid syntax");
    } else if (kind == TK_INDENT) {
        token_error(st, "IndentationError", tok, "unexpected indent");
    } else if (kind == TK_DEDENT) {
        token_error(st, "IndentationError", tok, "unexpected unindent");
    } else if (kind == TK_NEWLINE && is_block_keyword(st->line_first.kind) && !st->line_colon) {
        token_error(st, "SyntaxError", tok, "expected ':'");
    } else if (kind == TK_COLON && st->prev.kind == TK_STAR && st->line_first.kind == TK_EXCEPT) {
        token_error(st, "SyntaxError", tok, "expected one or more exception types");
    } else if ((p == TK_ELSE || p == TK_TRY || p == TK_FINALLY) && st->prev.start == st->line_first.start) {
        token_error(st, "SyntaxError", tok, "expected ':'");
    } else if (kind == TK_EQUAL && p == TK_NAME &&
               (d > 0 || st->line_first.kind == TK_IF || st->line_first.kind == TK_ELIF ||
                st->line_first.kind == TK_WHILE)) {
        token_error(st, "SyntaxError", tok, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
    } else if (kind == TK_FOR && d > 0 && st->bracket[d] != '(' && st->item_star[d] == TK_STAR) {
        token_error(st, "SyntaxError", tok, "iterable unpacking cannot be used in comprehension");
    } else if (kind == TK_FOR && st->bracket[d] == '{' && st->item_star[d] == TK_DOUBLESTAR) {
        token_error(st, "SyntaxError", tok, "dict unpacking cannot be used in dict comprehension");
    } else if ((kind == TK_COMMA || kind == TK_RBRACE) && st->bracket[d] == '{' && st->saw_colon[d] &&
               ends_operand(p)) {
        token_error(st, "SyntaxError", st->prev, "':' expected after dictionary key");
    } else if (st->open_ifs[d] > 0 && kind != TK_ELSE) {
        token_error(st, "SyntaxError", tok, "expected 'else' after 'if' expression");
    } else if (kind == TK_COMMA && d > 0 && st->saw_for[d] && st->bracket[d] == '(') {
        token_error(st, "SyntaxError", tok, "Generator expression must be parenthesized");
    } else if (d == 0 && st->prev.start == st->line_first.start && starts_operand(kind) &&
               (token_is(st->line_first, "print") || token_is(st->line_first, "exec"))) {
        char msg[96];
        snprintf(msg, sizeof msg, "Missing parentheses in call to '%.*s'. Did you mean %.*s(...)?",
                 st->prev.length, st->prev.start, st->prev.length, st->prev.start);
        token_error(st, "SyntaxError", st->prev, msg);
    } else if (d > 0 && ends_operand(p) && starts_operand(kind) && !(p == TK_NAME && kind == TK_STRING) &&
               st->line_first.kind != TK_DEF && st->line_first.kind != TK_ASYNC &&
               st->line_first.kind != TK_FROM) {
        token_error(st, "SyntaxError", st->prev, "invalid syntax. Perhaps you forgot a comma?");
    } else {
        token_error(st, "SyntaxError", tok, "invalid syntax");
    }
}

// Keeps the facts parse_syntax_error() looks at up to date; called before `tok` is pushed.
static void note_token(ParseState *st, Token tok, const Layout *lx) {
    int kind = tok.kind;
    if (kind == TK_INDENT) {
        st->blocks[st->block_count++] = st->line_first.kind;
        return;
    }
    if (kind == TK_DEDENT) {
        st->closed_before = st->closed_block;
        st->closed_block = st->block_count ? st->blocks[--st->block_count] : 0;
        return;
    }
    int p = st->prev.kind;
    if ((p == 0 || p == TK_NEWLINE || p == TK_INDENT || p == TK_DEDENT) && kind != TK_NEWLINE) {
        st->prev_line_first = st->line_first.kind;
        st->line_first = tok;
        st->line_colon = false;
        st->saw_for[0] = false;
        st->open_ifs[0] = 0;
    }
    bool closing = kind == TK_RPAR || kind == TK_RSQB || kind == TK_RBRACE;
    int d = st->depth = lx->depth + closing; // a closing bracket still belongs inside
    if (kind == TK_LPAR || kind == TK_LSQB || kind == TK_LBRACE) {
        st->bracket[d] = tok.start[0];
        st->saw_for[d] = false;
        st->open_ifs[d] = 0;
        st->saw_colon[d] = false;
        st->item_star[d] = 0;
    }
    bool item_start = p == TK_COMMA || p == TK_LPAR || p == TK_LSQB || p == TK_LBRACE;
    if (kind == TK_COMMA) st->item_star[d] = 0;
    if ((kind == TK_STAR || kind == TK_DOUBLESTAR) && item_start) st->item_star[d] = kind;
    st->saw_colon[d] |= kind == TK_COLON;
    st->line_colon |= kind == TK_COLON && d == 0;
    st->saw_for[d] |= kind == TK_FOR;
    if (kind == TK_IF && tok.start != st->line_first.start && !st->saw_for[d] && p != TK_ELSE)
        st->open_ifs[d]++;
    if (kind == TK_ELSE && st->open_ifs[d] > 0) st->open_ifs[d]--;
}

// Tokenizer errors and "never closed" brackets found after a parser error take precedence, as
// in CPython's _PyPegen_tokenize_full_source_to_check_for_errors().  Indentation problems the
// layer reports on CPython's parser's behalf do not.
// `error_line` is the line of the token the parser stopped at.
static void read_on_after_error(ParseState *st, Layout *lx, int error_line) {
    for (;;) {
        Token t = layout_next(lx);
        if (t.kind == TOKEN_EOF) return;
        if (t.kind != TOKEN_ERROR) continue;
        const SyntaxErr *e = &lx->scan.err;
        bool never_closed = strstr(e->message, "was never closed") != NULL;
        bool parser_level = strcmp(e->message, "unexpected indent") == 0 ||
                            strncmp(e->message, "expected an indented block", 26) == 0;
        if (parser_level || (never_closed && e->line >= error_line)) return;
        *st->err = *e;
        st->incomplete = false;
        return;
    }
}

// ---------------------------------------------------------------- the loop

// Runs one parse of text[0..length) into st->module; position (line, col) is text[0]'s.
static void run_parser(ParseState *st, const char *text, size_t length, int line, int col) {
    Layout *lx = malloc(sizeof *lx);
    if (!lx) abort();
    layout_init(lx, text, length, st->src->interactive && !st->in_fstring, line, col);
    void *engine = aioParserAlloc(malloc, st);
    if (!engine) abort();
    for (;;) {
        Token tok = layout_next(lx);
        if (tok.kind == TOKEN_ERROR) {
            *st->err = lx->scan.err;
            st->failed = true;
            st->incomplete = lx->scan.err_at_eof && lx->interactive;
            if (st->in_fstring) {
                char msg[sizeof st->err->message];
                snprintf(msg, sizeof msg, "f-string: %.240s", st->err->message);
                memcpy(st->err->message, msg, sizeof msg);
            }
            break;
        }
        note_token(st, tok, lx);
        st->input_open = tok.kind == TOKEN_EOF && lx->interactive && !lx->eof_closed_blocks;
        aioParser(engine, tok.kind, tok);
        if (st->failed) {
            if (!st->incomplete && tok.kind != TOKEN_EOF && !st->in_fstring) read_on_after_error(st, lx, tok.line);
            break;
        }
        if (tok.kind == TOKEN_EOF) break;
        st->prev = tok;
    }
    aioParserFree(engine, free);
    free(lx);
}

Ast *parse_fstring_expr(ParseState *st, const char *text, size_t len, int line, int col) {
    char *wrapped = malloc(len + 3); // "(" text ")": lemon has one start symbol, a module
    if (!wrapped) abort();
    wrapped[0] = '(';
    memcpy(wrapped + 1, text, len);
    wrapped[len + 1] = ')';
    wrapped[len + 2] = '\0';
    ParseState sub = {.arena = st->arena, .src = st->src, .err = st->err, .in_fstring = true};
    run_parser(&sub, wrapped, len + 2, line, col - 1);
    free(wrapped);
    if (sub.failed) {
        st->failed = true;
        return NULL;
    }
    Ast *expr = sub.module->list.items[0]->a;
    if (expr->kind == AST_STARRED) parse_error_node(st, expr, "f-string: cannot use starred expression here");
    return st->failed ? NULL : expr;
}

// ---------------------------------------------------------------- context checks

// Where a node sits: which scope, and whether a loop encloses it within that scope.
typedef struct {
    enum { SCOPE_MODULE, SCOPE_CLASS, SCOPE_FUNCTION, SCOPE_LAMBDA } scope;
    bool is_async;        // the enclosing function is `async def`
    bool in_loop;         // inside a for/while body (not its else) in this scope
    const char *comp;     // innermost enclosing comprehension ("list comprehension"), or NULL
    bool comp_is_genexp;
    bool in_with_header;  // children are the WITHITEMs of a WITH statement
} Context;

typedef struct {
    ParseState *st;
    bool top_level_await; // the REPL lets module code await
    int depth;
} Checker;

static void check(Checker *ck, const Ast *n, Context cx);

static void check_list(Checker *ck, const AstList *list, Context cx) {
    for (int i = 0; i < list->count && !ck->st->failed; i++)
        if (list->items[i]) check(ck, list->items[i], cx);
}

static void check_children(Checker *ck, const Ast *n, Context cx) {
    if (n->a) check(ck, n->a, cx);
    if (n->b) check(ck, n->b, cx);
    if (n->c) check(ck, n->c, cx);
    check_list(ck, &n->list, cx);
    check_list(ck, &n->list2, cx);
    check_list(ck, &n->list3, cx);
    check_list(ck, &n->list4, cx);
}

static const char *comp_name(AstKind kind) {
    switch (kind) {
    case AST_LISTCOMP: return "list comprehension";
    case AST_SETCOMP: return "set comprehension";
    case AST_DICTCOMP: return "dict comprehension";
    default: return "generator expression";
    }
}

static bool in_function(Context cx) { return cx.scope == SCOPE_FUNCTION || cx.scope == SCOPE_LAMBDA; }

// The body of a def or lambda: a new scope; decorators, defaults and annotations stay outside.
static void check_function(Checker *ck, const Ast *n, Context cx) {
    check_list(ck, &n->list2, cx); // decorators (FUNCTIONDEF)
    const Ast *args = n->a;
    for (int i = 0; i < args->list.count; i++) check_children(ck, args->list.items[i], cx);
    for (int i = 0; i < args->list2.count; i++) check_children(ck, args->list2.items[i], cx);
    if (n->kind == AST_FUNCTIONDEF && n->b) check(ck, n->b, cx);
    Context inner = {.scope = n->kind == AST_LAMBDA ? SCOPE_LAMBDA : SCOPE_FUNCTION,
                     .is_async = n->kind == AST_FUNCTIONDEF && n->flag};
    if (n->kind == AST_LAMBDA) check(ck, n->b, inner);
    else check_list(ck, &n->list, inner);
}

static void check_comprehension(Checker *ck, const Ast *n, Context cx) {
    Context inner = cx;
    inner.comp = comp_name(n->kind);
    inner.comp_is_genexp = n->kind == AST_GENEXP;
    bool async_ok = cx.is_async || (cx.scope == SCOPE_MODULE && ck->top_level_await);
    for (int i = 0; i < n->list.count; i++) {
        const Ast *c = n->list.items[i];
        if (c->flag && !async_ok && n->kind != AST_GENEXP) {
            parse_error_node(ck->st, n, "asynchronous comprehension outside of an asynchronous function");
            return;
        }
        check_children(ck, c, i == 0 ? cx : inner); // the first iterable belongs to the outside
    }
    if (n->a) check(ck, n->a, inner);
    if (n->b) check(ck, n->b, inner);
}

static void check_await(Checker *ck, const Ast *n, Context cx) {
    ParseState *st = ck->st;
    if (cx.comp && !cx.comp_is_genexp && !cx.is_async && in_function(cx))
        parse_error_node(st, n, "asynchronous comprehension outside of an asynchronous function");
    else if (cx.scope == SCOPE_MODULE && !ck->top_level_await)
        parse_error_node(st, n, "'await' outside function");
    else if (cx.scope == SCOPE_CLASS)
        parse_error_node(st, n, "'await' outside function");
    else if (in_function(cx) && !cx.is_async && !(cx.comp && cx.comp_is_genexp))
        parse_error_node(st, n, "'await' outside async function");
}

static void check_statement_rules(Checker *ck, const Ast *n, Context cx) {
    ParseState *st = ck->st;
    switch (n->kind) {
    case AST_RETURN:
        if (!in_function(cx)) parse_error_node(st, n, "'return' outside function");
        break;
    case AST_BREAK:
        if (!cx.in_loop) parse_error_node(st, n, "'break' outside loop");
        break;
    case AST_CONTINUE:
        if (!cx.in_loop) parse_error_node(st, n, "'continue' not properly in loop");
        break;
    case AST_NONLOCAL:
        if (cx.scope == SCOPE_MODULE) parse_error_node(st, n, "nonlocal declaration not allowed at module level");
        break;
    case AST_FOR: case AST_WITH:
        if (n->flag && !cx.is_async && !(cx.scope == SCOPE_MODULE && ck->top_level_await))
            parse_error_node(st, n, n->kind == AST_FOR ? "'async for' outside async function"
                                                       : "'async with' outside async function");
        break;
    case AST_YIELD: case AST_YIELDFROM:
        if (cx.comp) parse_error_node(st, n, "'yield' inside %s", cx.comp);
        else if (!in_function(cx)) parse_error_node(st, n, "'yield' outside function");
        break;
    case AST_AWAIT: check_await(ck, n, cx); break;
    case AST_WITHITEM:
        if (!cx.in_with_header) parse_error_node(st, n->b ? n->b : n, "invalid syntax");
        break;
    default: break;
    }
}

static void check(Checker *ck, const Ast *n, Context cx) {
    if (ck->st->failed) return;
    if (++ck->depth >= PARSE_MAX_DEPTH) {
        // CPython's compiler runs out of recursion at about the same depth, with these words.
        parse_error_node(ck->st, n, "maximum recursion depth exceeded during compilation");
        ck->st->err->type = "RecursionError";
        ck->depth--;
        return;
    }
    check_statement_rules(ck, n, cx);
    cx.in_with_header = false;
    switch (n->kind) {
    case AST_FUNCTIONDEF: case AST_LAMBDA: check_function(ck, n, cx); break;
    case AST_CLASSDEF: {
        check_list(ck, &n->list, cx);
        check_list(ck, &n->list3, cx);
        check_list(ck, &n->list4, cx);
        Context inner = {.scope = SCOPE_CLASS};
        check_list(ck, &n->list2, inner);
        break;
    }
    case AST_FOR: case AST_WHILE: {
        Context loop = cx;
        loop.in_loop = true;
        if (n->a) check(ck, n->a, cx);
        if (n->b) check(ck, n->b, cx);
        check_list(ck, &n->list, loop);
        check_list(ck, &n->list2, cx);
        break;
    }
    case AST_WITH: {
        Context header = cx;
        header.in_with_header = true;
        check_list(ck, &n->list, header);
        check_list(ck, &n->list2, cx);
        break;
    }
    case AST_LISTCOMP: case AST_SETCOMP: case AST_DICTCOMP: case AST_GENEXP:
        check_comprehension(ck, n, cx);
        break;
    default:
        check_children(ck, n, cx);
        break;
    }
    ck->depth--;
}

// ---------------------------------------------------------------- the entry point

// CPython refuses NUL bytes and text that is not UTF-8 before it tokenizes anything.
static bool check_encoding(ParseState *st) {
    const unsigned char *p = (const unsigned char *)st->src->text, *end = p + st->src->length;
    int line = 1;
    for (; p < end; p++) {
        if (*p == '\n') line++;
        if (*p == 0) {
            parse_error(st, line, 1, 0, "source code cannot contain null bytes");
            return false;
        }
        if (*p < 0x80) continue;
        int n = *p >= 0xC2 && *p <= 0xDF ? 1 : *p >= 0xE0 && *p <= 0xEF ? 2 : *p >= 0xF0 && *p <= 0xF4 ? 3 : -1;
        bool ok = n > 0 && end - p > n;
        for (int i = 1; ok && i <= n; i++) ok = (p[i] & 0xC0) == 0x80;
        if (ok && n == 2) ok = !(*p == 0xE0 && p[1] < 0xA0) && !(*p == 0xED && p[1] >= 0xA0);
        if (ok && n == 3) ok = !(*p == 0xF0 && p[1] < 0x90) && !(*p == 0xF4 && p[1] >= 0x90);
        if (!ok) {
            parse_error(st, line, 1, 0,
                        "Non-UTF-8 code starting with '\\x%02x' in file %s on line %d, but no encoding "
                        "declared; see https://peps.python.org/pep-0263/ for details",
                        *p, st->src->filename ? st->src->filename : "<string>", line);
            return false;
        }
        p += n;
    }
    return true;
}

Ast *parse_source(Arena *arena, const Source *src, ParseStatus *status, SyntaxErr *err) {
    memset(err, 0, sizeof *err);
    ParseState st = {.arena = arena, .src = src, .err = err};
    if (check_encoding(&st)) {
        const char *text = src->text;
        size_t length = src->length;
        if (length >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3, length -= 3; // BOM
        run_parser(&st, text, length, 1, 1);
    }
    if (!st.failed) {
        Checker ck = {.st = &st, .top_level_await = src->interactive};
        Context cx = {.scope = SCOPE_MODULE};
        check(&ck, st.module, cx);
    }
    *status = !st.failed ? PARSE_OK : st.incomplete ? PARSE_INCOMPLETE : PARSE_ERROR;
    return st.failed ? NULL : st.module;
}
