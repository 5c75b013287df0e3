/* Tree builders: the functions the grammar's actions call, and the state they share.
 *
 * Every action in parser/grammar.y is one call to a function declared here (or, for literals,
 * in parser/literal.h).  The builders live in parser/build.c (ast_*) and parser/literal.c
 * (literal_*); besides allocating nodes they make
 * the checks an LALR(1) grammar cannot express, with CPython 3.11's messages: what may be
 * assigned to or deleted, the order of arguments and parameters, and so on.  A builder that
 * finds an error records it with parse_error() and still returns a node, so actions never test
 * for NULL; the driver stops feeding tokens as soon as st->failed is set.
 *
 * ParseState is lemon's %extra_context: one per parse, owned by parse_source() (parse.c).
 */
#ifndef AIO_BUILD_H
#define AIO_BUILD_H

#include <stdbool.h>

#include "ast.h"
#include "layout.h"
#include "parse.h"
#include "token.h"

// Where the '(' of a parenthesised expression is.  CPython's positions include parentheses, so
// `(a + b) * c` starts at the '(' although the inner BINOP starts at `a`.
typedef struct {
    const Ast *node; // NULL marks a free slot
    int line, col;
} ParenStart;

typedef struct ParseState ParseState;
struct ParseState {
    Arena *arena;        // where every node goes
    const Source *src;   // the text being parsed (for f-strings: the whole enclosing file)
    SyntaxErr *err;      // the caller's error record; only the first error is kept
    bool failed;         // an error has been recorded
    bool incomplete;     // ... and it was only that the input ended too soon
    bool input_open;     // REPL input whose blocks are still open at its end (see layout.h)
    bool in_fstring;     // parsing the expression inside an f-string: prefix "f-string: "
    Ast *module;         // the result, set by the grammar's start rule

    // What the syntax-error heuristics in parse.c look at, kept up to date by the driver.
    Token prev;          // the token pushed before the current one (kind 0 at the start)
    Token line_first;    // the first token of the current logical line
    int prev_line_first; // kind of the first token of the logical line before it
    bool line_colon;     // a ':' at bracket depth 0 has been seen on this logical line
    int depth;           // bracket depth including the current token
    int blocks[LAYOUT_MAX_INDENT + 1]; // for each open indented block, its header's first kind
    int block_count;
    int closed_block;    // the header kind of the block the latest DEDENT closed
    int closed_before;   // ... and of the block the DEDENT before it closed (a DEDENT that
                         // cannot come next has already been noted when the error is chosen)
    // Per bracket depth (index 0 is outside brackets), since that bracket opened:
    char bracket[LAYOUT_MAX_BRACKETS + 1];   // which bracket it is: '(', '[' or '{'
    bool saw_for[LAYOUT_MAX_BRACKETS + 1];   // a `for` was seen: this is a comprehension
    int open_ifs[LAYOUT_MAX_BRACKETS + 1];   // inline `if`s still waiting for their `else`
    bool saw_colon[LAYOUT_MAX_BRACKETS + 1]; // a ':' was seen (in '{': this is a dict)
    int item_star[LAYOUT_MAX_BRACKETS + 1];  // TK_STAR / TK_DOUBLESTAR if the current item
                                             // started with one, else 0

    // An open-addressing hash table of ParenStarts, keyed by node; capacity is 0 or a power of 2.
    ParenStart *parens;
    int parens_count, parens_capacity;
};

// ---- errors (parse.c) ----
// Records a SyntaxError (or `type`) at line:col unless an error is already recorded.
void parse_error(ParseState *st, int line, int col, int end_col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void parse_error_node(ParseState *st, const Ast *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void parse_syntax_error(ParseState *st, int kind, Token tok); // lemon's %syntax_error
void parse_stack_overflow(ParseState *st);                    // lemon's %stack_overflow
// Parses the expression text[0..len) found inside an f-string, whose first byte sits at
// line:col of the real source.  Returns NULL after recording an error.
Ast *parse_fstring_expr(ParseState *st, const char *text, size_t len, int line, int col);

// ---- lists (build.c): AstLists are values; these return the updated list ----
AstList ast_list_empty(void);
AstList ast_list_one(ParseState *st, Ast *node);
AstList ast_list_append(ParseState *st, AstList list, Ast *node);
AstList ast_list_concat(ParseState *st, AstList a, AstList b);

// ---- statements (build.c) ----
Ast *ast_module(ParseState *st, AstList *body);
Ast *ast_expr_stmt(ParseState *st, Ast *value);
AstList ast_assign_target(ParseState *st, AstList *targets, Ast *target); // targets may be NULL
Ast *ast_assign(ParseState *st, AstList *targets, Ast *value);
Ast *ast_augassign(ParseState *st, Ast *target, int op, Ast *value);
Ast *ast_annassign(ParseState *st, Ast *target, Ast *annotation, Ast *value);
Ast *ast_walrus_stmt(ParseState *st, Ast *target, Token walrus, Ast *value); // always an error
Ast *ast_simple_stmt(ParseState *st, AstKind kind, Token keyword, Ast *a, Ast *b);
Ast *ast_delete(ParseState *st, Token keyword, AstList *targets);
Ast *ast_names_stmt(ParseState *st, AstKind kind, Token keyword, AstList *names);
Ast *ast_dotted(ParseState *st, Ast *prefix, Token name);
Ast *ast_alias(ParseState *st, Ast *name, const Token *asname);
Ast *ast_import(ParseState *st, Token keyword, AstList *aliases);
Ast *ast_import_star(ParseState *st, Token star);
Ast *ast_import_names(ParseState *st, AstList *aliases);
void ast_trailing_comma(ParseState *st, Token comma);
Ast *ast_import_from(ParseState *st, Token keyword, Ast *module, int level, Ast *names);
Ast *ast_if(ParseState *st, Token keyword, Ast *test, AstList *body);
Ast *ast_if_elif(ParseState *st, Ast *chain, Ast *elif);
Ast *ast_if_else(ParseState *st, Ast *chain, AstList *orelse);
Ast *ast_while(ParseState *st, Token keyword, Ast *test, AstList *body, AstList *orelse);
Ast *ast_for(ParseState *st, Token keyword, Ast *target, Ast *iter, AstList *body, AstList *orelse);
Ast *ast_try(ParseState *st, Token keyword, AstList *body, AstList *handlers, AstList *orelse,
             AstList *finally);
Ast *ast_handler(ParseState *st, Token keyword, Ast *type, const Token *name, AstList *body,
                 bool star);
Ast *ast_with(ParseState *st, Token keyword, AstList *items, AstList *body);
Ast *ast_withitem(ParseState *st, Ast *context, Ast *target);
Ast *ast_funcdef(ParseState *st, Token keyword, Token name, AstList *params, Ast *returns,
                 AstList *body);
Ast *ast_classdef(ParseState *st, Token keyword, Token name, AstList *args, AstList *body);
Ast *ast_decorated(ParseState *st, AstList *decorators, Ast *def);
Ast *ast_async(ParseState *st, Token keyword, Ast *stmt);

// ---- parameters (build.c) ----
// While a parameter list is being parsed, ARG.op says which kind of item it is.
enum { PARAM_PLAIN, PARAM_SLASH, PARAM_BARE_STAR, PARAM_STAR, PARAM_DOUBLESTAR };
Ast *ast_param(ParseState *st, Token at, int kind, Ast *annotation, Ast *default_value);

// ---- expressions (build.c) ----
Ast *ast_name(ParseState *st, Token name);
Ast *ast_constant(ParseState *st, Token at, int which);
Ast *ast_binop(ParseState *st, Ast *left, int op, Ast *right);
Ast *ast_unaryop(ParseState *st, Token at, int op, Ast *operand);
Ast *ast_boolop(ParseState *st, Ast *left, int op, Ast *right);
Ast *ast_compare(ParseState *st, Ast *chain, Ast *left, int op, Ast *right);
Ast *ast_ifexp(ParseState *st, Ast *body, Ast *test, Ast *orelse);
Ast *ast_lambda(ParseState *st, Token keyword, AstList *params, Ast *body);
Ast *ast_namedexpr(ParseState *st, Ast *target, Ast *value);
Ast *ast_await(ParseState *st, Token keyword, Ast *value);
Ast *ast_yield(ParseState *st, Token keyword, Ast *value, bool from);
Ast *ast_starred(ParseState *st, Token star, Ast *value);
Ast *ast_attribute(ParseState *st, Ast *object, Token name);
Ast *ast_call(ParseState *st, Ast *callee, AstList *args);
Ast *ast_call_genexp(ParseState *st, Ast *callee, Token open, Ast *element,
                     AstList *comprehensions);
Ast *ast_keyword(ParseState *st, Ast *name, Ast *value);
Ast *ast_keyword_unpack(ParseState *st, Token stars, Ast *value);
Ast *ast_subscript(ParseState *st, Ast *object, Ast *index);
Ast *ast_slice(ParseState *st, Token colon, Ast *lower, Ast *upper, Ast *step);
Ast *ast_tuple_or_item(ParseState *st, AstList *items, bool trailing_comma);
Ast *ast_paren(ParseState *st, Token open, AstList *items, bool trailing_comma);
Ast *ast_group(ParseState *st, Token open, Ast *inner); // (inner), remembering the '('
Ast *ast_display(ParseState *st, AstKind kind, Token open, AstList *items);
Ast *ast_dict(ParseState *st, Token open, Ast *dict);
Ast *ast_dict_add(ParseState *st, Ast *dict, Ast *key, Ast *value);
Ast *ast_comp(ParseState *st, AstKind kind, Token open, Ast *element, Ast *value,
              AstList *comprehensions);
Ast *ast_comprehension(ParseState *st, Token keyword, Ast *target, Ast *iter, bool is_async);
AstList ast_comp_if(ParseState *st, AstList comprehensions, Ast *condition);

// lemon's entry points, defined in build/grammar.c (generated from grammar.y, which includes this
// header; lemon writes no header of its own for them).  parse.c drives them.
void *aioParserAlloc(void *(*malloc_fn)(size_t), ParseState *st);
void aioParser(void *parser, int kind, Token token);
void aioParserFree(void *parser, void (*free_fn)(void *));

#endif
