/* Tree builders called by the grammar's actions (see build.h), with the checks that make the
 * "parse wider, check later" strategy work.
 *
 * The grammar accepts any expression where Python wants a target, any `expr = expr` as a
 * keyword argument, and any sequence of parameter items; the functions here reject what CPython
 * rejects, with CPython 3.11's words.  Positions follow CPython's ast module: an operator node
 * starts where its left operand starts, a statement where its keyword is.
 */
#include <stdint.h>
#include <string.h>

#include "build.h"

// ---------------------------------------------------------------- lists

AstList ast_list_empty(void) {
    AstList list = {NULL, 0, 0};
    return list;
}

AstList ast_list_one(ParseState *st, Ast *node) {
    AstList list = ast_list_empty();
    ast_list_push(st->arena, &list, node);
    return list;
}

AstList ast_list_append(ParseState *st, AstList list, Ast *node) {
    ast_list_push(st->arena, &list, node);
    return list;
}

AstList ast_list_concat(ParseState *st, AstList a, AstList b) {
    for (int i = 0; i < b.count; i++) ast_list_push(st->arena, &a, b.items[i]);
    return a;
}

static AstList copy_list(const AstList *list) { return list ? *list : ast_list_empty(); }

static Ast *node_at(ParseState *st, AstKind kind, Token at) {
    return ast_new(st->arena, kind, at.line, at.col);
}

static unsigned paren_slot(const ParseState *st, const Ast *node) {
    uintptr_t h = (uintptr_t)node >> 3;
    return (unsigned)(h ^ (h >> 15)) & (unsigned)(st->parens_capacity - 1);
}

static ParenStart *find_paren(const ParseState *st, const Ast *node) {
    if (st->parens_count == 0) return NULL;
    for (unsigned i = paren_slot(st, node);; i = (i + 1) & (unsigned)(st->parens_capacity - 1)) {
        if (st->parens[i].node == node) return &st->parens[i];
        if (!st->parens[i].node) return NULL;
    }
}

static void remember_paren(ParseState *st, const Ast *node, Token open) {
    ParenStart *known = find_paren(st, node);
    if (known) { // ((x)): the outer '(' wins
        known->line = open.line;
        known->col = open.col;
        return;
    }
    if (2 * (st->parens_count + 1) > st->parens_capacity) { // keep the table at most half full
        ParenStart *old = st->parens;
        int old_capacity = st->parens_capacity;
        st->parens_capacity = old_capacity ? 2 * old_capacity : 64;
        st->parens = arena_alloc(st->arena, sizeof *old * (size_t)st->parens_capacity);
        st->parens_count = 0;
        for (int i = 0; i < old_capacity; i++) {
            if (!old[i].node) continue;
            unsigned j = paren_slot(st, old[i].node);
            while (st->parens[j].node) j = (j + 1) & (unsigned)(st->parens_capacity - 1);
            st->parens[j] = old[i];
            st->parens_count++;
        }
    }
    unsigned j = paren_slot(st, node);
    while (st->parens[j].node) j = (j + 1) & (unsigned)(st->parens_capacity - 1);
    ParenStart start = {node, open.line, open.col};
    st->parens[j] = start;
    st->parens_count++;
}

// A new node that starts where `first` starts, counting any parentheses around `first`.
static Ast *node_like(ParseState *st, AstKind kind, const Ast *first) {
    const ParenStart *p = find_paren(st, first);
    return p ? ast_new(st->arena, kind, p->line, p->col) : ast_new(st->arena, kind, first->line, first->col);
}

static const char *token_text(ParseState *st, Token t) {
    return arena_strndup(st->arena, t.start, (size_t)t.length);
}

// ---------------------------------------------------------------- target checks

// What CPython calls an expression in its messages (_PyPegen_get_expr_name).
static const char *expr_name(const Ast *e) {
    static const char *const constants[] = {"None", "True", "False", "ellipsis"};
    switch (e->kind) {
    case AST_ATTRIBUTE: return "attribute";
    case AST_SUBSCRIPT: return "subscript";
    case AST_STARRED: return "starred";
    case AST_NAME: return "name";
    case AST_LIST: return "list";
    case AST_TUPLE: return "tuple";
    case AST_LAMBDA: return "lambda";
    case AST_CALL: return "function call";
    case AST_BOOLOP: case AST_BINOP: case AST_UNARYOP: return "expression";
    case AST_GENEXP: return "generator expression";
    case AST_YIELD: case AST_YIELDFROM: return "yield expression";
    case AST_AWAIT: return "await expression";
    case AST_LISTCOMP: return "list comprehension";
    case AST_SETCOMP: return "set comprehension";
    case AST_DICTCOMP: return "dict comprehension";
    case AST_DICT: return "dict literal";
    case AST_SET: return "set display";
    case AST_FSTRING: case AST_FORMATTED: return "f-string expression";
    case AST_CONSTANT: return constants[e->op & 3];
    case AST_COMPARE: return "comparison";
    case AST_IFEXP: return "conditional expression";
    case AST_NAMEDEXPR: return "named expression";
    default: return "literal";
    }
}

// The first part of `e` that cannot be a target (of `del` when `del` is set), or NULL.
static const Ast *invalid_target(const Ast *e, bool del) {
    switch (e->kind) {
    case AST_NAME: case AST_ATTRIBUTE: case AST_SUBSCRIPT: return NULL;
    case AST_STARRED: return del ? e : invalid_target(e->a, del);
    case AST_TUPLE: case AST_LIST:
        for (int i = 0; i < e->list.count; i++) {
            const Ast *bad = invalid_target(e->list.items[i], del);
            if (bad) return bad;
        }
        return NULL;
    default: return e;
    }
}

// The compiler-level rules on starred targets and __debug__, checked here once and for all.
static void check_target_names(ParseState *st, const Ast *e, bool top) {
    if (e->kind == AST_NAME && strcmp(e->str, "__debug__") == 0)
        parse_error_node(st, e, "cannot assign to __debug__");
    if (e->kind == AST_STARRED) {
        if (top) parse_error_node(st, e, "starred assignment target must be in a list or tuple");
        check_target_names(st, e->a, false);
    }
    if (e->kind != AST_TUPLE && e->kind != AST_LIST) return;
    int starred = 0;
    for (int i = 0; i < e->list.count; i++) {
        starred += e->list.items[i]->kind == AST_STARRED;
        check_target_names(st, e->list.items[i], false);
    }
    if (starred > 1) parse_error_node(st, e, "multiple starred expressions in assignment");
}

// A target of `for`, `with ... as`, or a comprehension.
static void check_target(ParseState *st, const Ast *target) {
    const Ast *bad = invalid_target(target, false);
    if (bad) parse_error_node(st, bad, "cannot assign to %s", expr_name(bad));
    else check_target_names(st, target, true);
}

static void check_not_starred(ParseState *st, const Ast *e) {
    if (e && e->kind == AST_STARRED) parse_error_node(st, e, "can't use starred expression here");
}

// Expressions that sit at or below Python's bitwise-or level (where `x + 1 = 2` is caught by
// CPython's "Maybe you meant '=='" rule).
static bool is_bitwise_or_level(const Ast *e) {
    switch (e->kind) {
    case AST_BOOLOP: case AST_COMPARE: case AST_IFEXP: case AST_LAMBDA: case AST_NAMEDEXPR:
    case AST_YIELD: case AST_YIELDFROM: case AST_STARRED: case AST_TUPLE: case AST_LIST:
    case AST_GENEXP:
        return false;
    case AST_UNARYOP: return e->op != AST_OP_NOT;
    case AST_CONSTANT: return e->op == AST_CONST_ELLIPSIS;
    default: return true;
    }
}

// ---------------------------------------------------------------- statements

Ast *ast_module(ParseState *st, AstList *body) {
    Ast *m = ast_new(st->arena, AST_MODULE, 1, 1);
    m->list = copy_list(body);
    return m;
}

Ast *ast_expr_stmt(ParseState *st, Ast *value) {
    check_not_starred(st, value);
    Ast *s = node_like(st, AST_EXPR, value);
    s->a = value;
    return s;
}

AstList ast_assign_target(ParseState *st, AstList *targets, Ast *target) {
    AstList list = copy_list(targets);
    bool is_yield = target->kind == AST_YIELD || target->kind == AST_YIELDFROM;
    if (is_yield && list.count == 0 && find_paren(st, target)) { // `(yield) = 1`
        parse_error_node(st, target, "cannot assign to yield expression here. Maybe you meant '==' instead of '='?");
    } else if (is_yield) {
        parse_error_node(st, target, "assignment to yield expression not possible");
    } else {
        const Ast *bad = invalid_target(target, false);
        if (bad && bad == target && list.count == 0 && is_bitwise_or_level(bad))
            parse_error_node(st, bad, "cannot assign to %s here. Maybe you meant '==' instead of '='?",
                             expr_name(bad));
        else if (bad)
            parse_error_node(st, bad, "cannot assign to %s", expr_name(bad));
        else
            check_target_names(st, target, true);
    }
    ast_list_push(st->arena, &list, target);
    return list;
}

Ast *ast_assign(ParseState *st, AstList *targets, Ast *value) {
    check_not_starred(st, value);
    Ast *s = node_like(st, AST_ASSIGN, targets->items[0]);
    s->list = *targets;
    s->a = value;
    return s;
}

Ast *ast_augassign(ParseState *st, Ast *target, int op, Ast *value) {
    if (target->kind != AST_NAME && target->kind != AST_ATTRIBUTE && target->kind != AST_SUBSCRIPT)
        parse_error_node(st, target, "'%s' is an illegal expression for augmented assignment",
                         expr_name(target));
    else check_target_names(st, target, true);
    check_not_starred(st, value);
    Ast *s = node_like(st, AST_AUGASSIGN, target);
    s->a = target;
    s->op = op;
    s->b = value;
    return s;
}

Ast *ast_annassign(ParseState *st, Ast *target, Ast *annotation, Ast *value) {
    if (target->kind == AST_TUPLE || target->kind == AST_LIST)
        parse_error_node(st, target, "only single target (not %s) can be annotated", expr_name(target));
    else if (target->kind != AST_NAME && target->kind != AST_ATTRIBUTE && target->kind != AST_SUBSCRIPT)
        parse_error_node(st, target, "illegal target for annotation");
    else check_target_names(st, target, true);
    check_not_starred(st, value);
    Ast *s = node_like(st, AST_ANNASSIGN, target);
    s->a = target;
    s->b = annotation;
    s->c = value;
    return s;
}

// `x := 1` is not a statement; CPython still names what is wrong with the target.
Ast *ast_walrus_stmt(ParseState *st, Ast *target, Token walrus, Ast *value) {
    if (target->kind == AST_NAME)
        parse_error(st, walrus.line, walrus.col, walrus.col + 2, "invalid syntax");
    else
        parse_error_node(st, target, "cannot use assignment expressions with %s", expr_name(target));
    return ast_expr_stmt(st, value);
}

Ast *ast_simple_stmt(ParseState *st, AstKind kind, Token keyword, Ast *a, Ast *b) {
    if (kind == AST_RETURN) check_not_starred(st, a);
    Ast *s = node_at(st, kind, keyword);
    s->a = a;
    s->b = b;
    return s;
}

Ast *ast_delete(ParseState *st, Token keyword, AstList *targets) {
    for (int i = 0; i < targets->count; i++) {
        const Ast *bad = invalid_target(targets->items[i], true);
        if (bad) parse_error_node(st, bad, "cannot delete %s", expr_name(bad));
    }
    Ast *s = node_at(st, AST_DELETE, keyword);
    s->list = *targets;
    return s;
}

Ast *ast_names_stmt(ParseState *st, AstKind kind, Token keyword, AstList *names) {
    Ast *s = node_at(st, kind, keyword);
    s->list = *names;
    return s;
}

// ---------------------------------------------------------------- imports

Ast *ast_dotted(ParseState *st, Ast *prefix, Token name) {
    size_t n = strlen(prefix->str);
    char *joined = arena_alloc(st->arena, n + 1 + (size_t)name.length + 1);
    memcpy(joined, prefix->str, n);
    joined[n] = '.';
    memcpy(joined + n + 1, name.start, (size_t)name.length);
    prefix->str = joined;
    prefix->len = n + 1 + (size_t)name.length;
    return prefix;
}

Ast *ast_alias(ParseState *st, Ast *name, const Token *asname) {
    Ast *a = node_like(st, AST_ALIAS, name);
    a->str = name->str;
    a->len = name->len;
    if (asname) a->str2 = token_text(st, *asname);
    return a;
}

Ast *ast_import(ParseState *st, Token keyword, AstList *aliases) {
    Ast *s = node_at(st, AST_IMPORT, keyword);
    s->list = *aliases;
    return s;
}

// `import *` is carried to ast_import_from() as a TUPLE holding one ALIAS named "*".
Ast *ast_import_star(ParseState *st, Token star) {
    Ast *alias = node_at(st, AST_ALIAS, star);
    alias->str = "*";
    alias->len = 1;
    Ast *t = node_at(st, AST_TUPLE, star);
    t->list = ast_list_one(st, alias);
    return t;
}

// The names of `from m import a, b as c`, carried to ast_import_from() in a TUPLE.
Ast *ast_import_names(ParseState *st, AstList *aliases) {
    Ast *t = node_like(st, AST_TUPLE, aliases->items[0]);
    t->list = *aliases;
    return t;
}

void ast_trailing_comma(ParseState *st, Token comma) {
    parse_error(st, comma.line, comma.col, comma.col + 1,
                "trailing comma not allowed without surrounding parentheses");
}

Ast *ast_import_from(ParseState *st, Token keyword, Ast *module, int level, Ast *names) {
    Ast *s = node_at(st, AST_IMPORTFROM, keyword);
    if (module) {
        s->str = module->str;
        s->len = module->len;
    }
    s->ival = level;
    s->list = names->list;
    return s;
}

// ---------------------------------------------------------------- compound statements

Ast *ast_if(ParseState *st, Token keyword, Ast *test, AstList *body) {
    Ast *s = node_at(st, AST_IF, keyword);
    s->a = test;
    s->list = *body;
    return s;
}

// The last IF of an if/elif chain under construction: every orelse so far is empty or an elif.
static Ast *last_if(Ast *chain) {
    while (chain->list2.count == 1) chain = chain->list2.items[0];
    return chain;
}

Ast *ast_if_elif(ParseState *st, Ast *chain, Ast *elif) {
    Ast *last = last_if(chain);
    last->list2 = ast_list_one(st, elif);
    return chain;
}

Ast *ast_if_else(ParseState *st, Ast *chain, AstList *orelse) {
    (void)st;
    if (orelse->count) last_if(chain)->list2 = *orelse;
    return chain;
}

Ast *ast_while(ParseState *st, Token keyword, Ast *test, AstList *body, AstList *orelse) {
    Ast *s = node_at(st, AST_WHILE, keyword);
    s->a = test;
    s->list = *body;
    s->list2 = *orelse;
    return s;
}

Ast *ast_for(ParseState *st, Token keyword, Ast *target, Ast *iter, AstList *body, AstList *orelse) {
    check_target(st, target);
    check_not_starred(st, iter);
    Ast *s = node_at(st, AST_FOR, keyword);
    s->a = target;
    s->b = iter;
    s->list = *body;
    s->list2 = *orelse;
    return s;
}

Ast *ast_try(ParseState *st, Token keyword, AstList *body, AstList *handlers, AstList *orelse,
             AstList *finally) {
    Ast *s = node_at(st, AST_TRY, keyword);
    s->list = *body;
    s->list2 = copy_list(handlers);
    s->list3 = copy_list(orelse);
    s->list4 = copy_list(finally);
    for (int i = 0; i < s->list2.count; i++) {
        Ast *h = s->list2.items[i];
        if (i == 0) s->flag = h->flag;
        if (h->flag != s->flag)
            parse_error_node(st, h, "cannot have both 'except' and 'except*' on the same 'try'");
    }
    for (int i = 0; i < s->list2.count; i++) {
        Ast *h = s->list2.items[i];
        if (!h->a && i + 1 < s->list2.count) parse_error_node(st, h, "default 'except:' must be last");
        h->flag = false; // is_star lives on the TRY
    }
    return s;
}

Ast *ast_handler(ParseState *st, Token keyword, Ast *type, const Token *name, AstList *body,
                 bool star) {
    Ast *h = node_at(st, AST_EXCEPTHANDLER, keyword);
    h->a = type;
    if (name) h->str = token_text(st, *name);
    h->list = *body;
    h->flag = star; // moved to the TRY by ast_try()
    return h;
}

Ast *ast_withitem(ParseState *st, Ast *context, Ast *target) {
    if (target) check_target(st, target);
    Ast *w = node_like(st, AST_WITHITEM, context);
    w->a = context;
    w->b = target;
    return w;
}

// `with (a as b, c):` and `with (a, b):` arrive as one item whose context is the parenthesised
// group (a TUPLE, or a lone WITHITEM); CPython reads those as several items.
Ast *ast_with(ParseState *st, Token keyword, AstList *items, AstList *body) {
    Ast *s = node_at(st, AST_WITH, keyword);
    s->list = *items;
    s->list2 = *body;
    Ast *only = items->count == 1 && !items->items[0]->b ? items->items[0]->a : NULL;
    if (only && only->kind == AST_WITHITEM) {
        s->list = ast_list_one(st, only);
    } else if (only && only->kind == AST_TUPLE && only->list.count > 0) {
        s->list = ast_list_empty();
        for (int i = 0; i < only->list.count; i++) {
            Ast *e = only->list.items[i];
            ast_list_push(st->arena, &s->list, e->kind == AST_WITHITEM ? e : ast_withitem(st, e, NULL));
        }
    }
    return s;
}

static Ast *call_node(ParseState *st, Ast *callee, AstList *args); // see "expressions" below

Ast *ast_classdef(ParseState *st, Token keyword, Token name, AstList *args, AstList *body) {
    Ast *s = node_at(st, AST_CLASSDEF, keyword);
    s->str = token_text(st, name);
    if (args) {
        Ast *call = call_node(st, s, args);
        s->list = call->list;
        s->list4 = call->list2;
    }
    s->list2 = *body;
    return s;
}

Ast *ast_decorated(ParseState *st, AstList *decorators, Ast *def) {
    (void)st;
    if (def->kind == AST_CLASSDEF) def->list3 = *decorators;
    else def->list2 = *decorators;
    return def;
}

Ast *ast_async(ParseState *st, Token keyword, Ast *stmt) {
    (void)st;
    stmt->flag = true;
    stmt->line = keyword.line;
    stmt->col = keyword.col;
    return stmt;
}

// ---------------------------------------------------------------- parameters

Ast *ast_param(ParseState *st, Token at, int kind, Ast *annotation, Ast *default_value) {
    Ast *p = node_at(st, AST_ARG, at);
    if (kind != PARAM_SLASH && kind != PARAM_BARE_STAR) p->str = token_text(st, at);
    p->op = kind;
    p->a = default_value;
    p->b = annotation;
    return p;
}

static bool check_duplicates(ParseState *st, const AstList *items) {
    for (int i = 0; i < items->count; i++) {
        const Ast *p = items->items[i];
        for (int j = 0; p->str && j < i; j++) {
            const Ast *q = items->items[j];
            if (q->str && strcmp(p->str, q->str) == 0) {
                parse_error_node(st, p, "duplicate argument '%s' in function definition", p->str);
                return false;
            }
        }
    }
    return true;
}

// Sorts a flat parameter list into ARGUMENTS: positional (posonly before '/'), *vararg,
// keyword-only, **kwarg; the checks and messages are CPython's.
static Ast *arguments(ParseState *st, Token at, AstList *items) {
    Ast *args = node_at(st, AST_ARGUMENTS, at);
    bool seen_slash = false, seen_default = false;
    const Ast *star = NULL, *kwarg = NULL;
    for (int i = 0; i < items->count && !st->failed; i++) {
        Ast *p = items->items[i];
        int kind = p->op;
        p->op = 0;
        if (kwarg) {
            parse_error_node(st, p, "arguments cannot follow var-keyword argument");
        } else if (kind == PARAM_PLAIN && star) {
            ast_list_push(st->arena, &args->list2, p);
        } else if (kind == PARAM_PLAIN) {
            if (!p->a && seen_default) parse_error_node(st, p, "non-default argument follows default argument");
            seen_default |= p->a != NULL;
            ast_list_push(st->arena, &args->list, p);
        } else if (kind == PARAM_SLASH) {
            if (seen_slash) parse_error_node(st, p, "/ may appear only once");
            else if (star) parse_error_node(st, p, "/ must be ahead of *");
            else if (args->list.count == 0) parse_error_node(st, p, "at least one argument must precede /");
            seen_slash = true;
            args->ival = args->list.count;
        } else if (kind == PARAM_STAR || kind == PARAM_BARE_STAR) {
            if (star) parse_error_node(st, p, "* argument may appear only once");
            else if (p->a) parse_error_node(st, p, "var-positional argument cannot have default value");
            star = p;
            if (kind == PARAM_STAR) args->b = p;
        } else {
            if (p->a) parse_error_node(st, p, "var-keyword argument cannot have default value");
            kwarg = p;
            args->c = p;
        }
    }
    if (star && !args->b && args->list2.count == 0)
        parse_error_node(st, star, "named arguments must follow bare *");
    check_duplicates(st, items);
    return args;
}

Ast *ast_funcdef(ParseState *st, Token keyword, Token name, AstList *params, Ast *returns,
                 AstList *body) {
    Ast *s = node_at(st, AST_FUNCTIONDEF, keyword);
    s->str = token_text(st, name);
    s->a = arguments(st, name, params);
    s->b = returns;
    s->list = *body;
    return s;
}

Ast *ast_lambda(ParseState *st, Token keyword, AstList *params, Ast *body) {
    Ast *e = node_at(st, AST_LAMBDA, keyword);
    e->a = arguments(st, keyword, params);
    e->b = body;
    return e;
}

// ---------------------------------------------------------------- expressions

Ast *ast_name(ParseState *st, Token name) {
    Ast *e = node_at(st, AST_NAME, name);
    e->str = token_text(st, name);
    e->len = (size_t)name.length;
    return e;
}

Ast *ast_constant(ParseState *st, Token at, int which) {
    Ast *e = node_at(st, AST_CONSTANT, at);
    e->op = which;
    return e;
}

Ast *ast_binop(ParseState *st, Ast *left, int op, Ast *right) {
    Ast *e = node_like(st, AST_BINOP, left);
    e->op = op;
    e->a = left;
    e->b = right;
    return e;
}

Ast *ast_unaryop(ParseState *st, Token at, int op, Ast *operand) {
    Ast *e = node_at(st, AST_UNARYOP, at);
    e->op = op;
    e->a = operand;
    return e;
}

// `a and b and c` is one node with its operands in `list`, as CPython's BoolOp: a chain of
// thousands stays one level deep for the recursive walks (a parenthesized `(a and b) and c` joins
// the chain too, which evaluates the same).
Ast *ast_boolop(ParseState *st, Ast *left, int op, Ast *right) {
    Ast *e = left;
    if (left->kind != AST_BOOLOP || left->op != op) {
        e = node_like(st, AST_BOOLOP, left);
        e->op = op;
        ast_list_push(st->arena, &e->list, left);
    }
    ast_list_push(st->arena, &e->list, right);
    return e;
}

Ast *ast_compare(ParseState *st, Ast *chain, Ast *left, int op, Ast *right) {
    if (!chain) {
        chain = node_like(st, AST_COMPARE, left);
        chain->a = left;
    }
    Ast *cmp = ast_new(st->arena, AST_CMP, right->line, right->col);
    cmp->op = op;
    cmp->a = right;
    ast_list_push(st->arena, &chain->list, cmp);
    return chain;
}

Ast *ast_ifexp(ParseState *st, Ast *body, Ast *test, Ast *orelse) {
    Ast *e = node_like(st, AST_IFEXP, body);
    e->a = test;
    e->b = body;
    e->c = orelse;
    return e;
}

Ast *ast_namedexpr(ParseState *st, Ast *target, Ast *value) {
    if (target->kind != AST_NAME)
        parse_error_node(st, target, "cannot use assignment expressions with %s", expr_name(target));
    Ast *e = node_like(st, AST_NAMEDEXPR, target);
    e->a = target;
    e->b = value;
    return e;
}

Ast *ast_await(ParseState *st, Token keyword, Ast *value) {
    Ast *e = node_at(st, AST_AWAIT, keyword);
    e->a = value;
    return e;
}

Ast *ast_yield(ParseState *st, Token keyword, Ast *value, bool from) {
    check_not_starred(st, value);
    Ast *e = node_at(st, from ? AST_YIELDFROM : AST_YIELD, keyword);
    e->a = value;
    return e;
}

Ast *ast_starred(ParseState *st, Token star, Ast *value) {
    Ast *e = node_at(st, AST_STARRED, star);
    e->a = value;
    return e;
}

Ast *ast_attribute(ParseState *st, Ast *object, Token name) {
    Ast *e = node_like(st, AST_ATTRIBUTE, object);
    e->a = object;
    e->str = token_text(st, name);
    e->len = (size_t)name.length;
    return e;
}

static bool same_name(const Ast *a, const Ast *b) { return a->str && b->str && strcmp(a->str, b->str) == 0; }

// Splits call arguments into positional (list) and KEYWORD (list2), in CPython's order rules.
static Ast *call_node(ParseState *st, Ast *callee, AstList *args) {
    Ast *call = node_like(st, AST_CALL, callee);
    call->a = callee;
    bool keyword = false, unpack = false;
    for (int i = 0; i < args->count; i++) {
        Ast *arg = args->items[i];
        if (arg->kind == AST_KEYWORD) {
            for (int j = 0; arg->str && j < call->list2.count; j++)
                if (same_name(arg, call->list2.items[j]))
                    parse_error_node(st, arg, "keyword argument repeated: %s", arg->str);
            keyword |= arg->str != NULL;
            unpack |= arg->str == NULL;
            ast_list_push(st->arena, &call->list2, arg);
            continue;
        }
        if (arg->kind == AST_STARRED && unpack)
            parse_error_node(st, arg, "iterable argument unpacking follows keyword argument unpacking");
        else if (arg->kind != AST_STARRED && unpack)
            parse_error_node(st, arg, "positional argument follows keyword argument unpacking");
        else if (arg->kind != AST_STARRED && keyword)
            parse_error_node(st, arg, "positional argument follows keyword argument");
        ast_list_push(st->arena, &call->list, arg);
    }
    return call;
}

Ast *ast_call(ParseState *st, Ast *callee, AstList *args) { return call_node(st, callee, args); }

Ast *ast_call_genexp(ParseState *st, Ast *callee, Token open, Ast *element, AstList *comprehensions) {
    Ast *call = node_like(st, AST_CALL, callee);
    call->a = callee;
    call->list = ast_list_one(st, ast_comp(st, AST_GENEXP, open, element, NULL, comprehensions));
    return call;
}

Ast *ast_keyword(ParseState *st, Ast *name, Ast *value) {
    if (name->kind == AST_CONSTANT && name->op != AST_CONST_ELLIPSIS)
        parse_error_node(st, name, "cannot assign to %s", expr_name(name));
    else if (name->kind != AST_NAME)
        parse_error_node(st, name, "expression cannot contain assignment, perhaps you meant \"==\"?");
    Ast *k = node_like(st, AST_KEYWORD, name);
    k->str = name->str;
    k->len = name->len;
    k->a = value;
    return k;
}

Ast *ast_keyword_unpack(ParseState *st, Token stars, Ast *value) {
    Ast *k = node_at(st, AST_KEYWORD, stars);
    k->a = value;
    return k;
}

Ast *ast_subscript(ParseState *st, Ast *object, Ast *index) {
    if (index->kind == AST_STARRED) { // a[*b] means a[(*b,)]
        Ast *t = node_like(st, AST_TUPLE, index);
        t->list = ast_list_one(st, index);
        index = t;
    }
    Ast *e = node_like(st, AST_SUBSCRIPT, object);
    e->a = object;
    e->b = index;
    return e;
}

Ast *ast_slice(ParseState *st, Token colon, Ast *lower, Ast *upper, Ast *step) {
    Ast *e = lower ? node_like(st, AST_SLICE, lower) : node_at(st, AST_SLICE, colon);
    e->a = lower;
    e->b = upper;
    e->c = step;
    return e;
}

Ast *ast_tuple_or_item(ParseState *st, AstList *items, bool trailing_comma) {
    if (items->count == 1 && !trailing_comma) return items->items[0];
    Ast *t = node_like(st, AST_TUPLE, items->items[0]);
    t->list = *items;
    return t;
}

Ast *ast_group(ParseState *st, Token open, Ast *inner) {
    remember_paren(st, inner, open);
    return inner;
}

Ast *ast_paren(ParseState *st, Token open, AstList *items, bool trailing_comma) {
    if (items && items->count == 1 && !trailing_comma) {
        Ast *only = items->items[0];
        if (only->kind == AST_STARRED) parse_error_node(st, only, "cannot use starred expression here");
        return ast_group(st, open, only);
    }
    Ast *t = node_at(st, AST_TUPLE, open);
    t->list = copy_list(items);
    return t;
}

Ast *ast_display(ParseState *st, AstKind kind, Token open, AstList *items) {
    Ast *e = node_at(st, kind, open);
    e->list = copy_list(items);
    return e;
}

Ast *ast_dict(ParseState *st, Token open, Ast *dict) {
    if (!dict) dict = node_at(st, AST_DICT, open);
    dict->line = open.line;
    dict->col = open.col;
    return dict;
}

Ast *ast_dict_add(ParseState *st, Ast *dict, Ast *key, Ast *value) {
    if (!dict) dict = node_like(st, AST_DICT, value);
    ast_list_push(st->arena, &dict->list, key);
    ast_list_push(st->arena, &dict->list2, value);
    return dict;
}

Ast *ast_comp(ParseState *st, AstKind kind, Token open, Ast *element, Ast *value,
              AstList *comprehensions) {
    Ast *e = node_at(st, kind, open);
    e->a = element;
    e->b = value;
    e->list = *comprehensions;
    return e;
}

Ast *ast_comprehension(ParseState *st, Token keyword, Ast *target, Ast *iter, bool is_async) {
    check_target(st, target);
    Ast *c = node_at(st, AST_COMPREHENSION, keyword);
    c->a = target;
    c->b = iter;
    c->flag = is_async;
    return c;
}

AstList ast_comp_if(ParseState *st, AstList comprehensions, Ast *condition) {
    Ast *last = comprehensions.items[comprehensions.count - 1];
    ast_list_push(st->arena, &last->list, condition);
    return comprehensions;
}
