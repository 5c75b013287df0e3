/* The scope pass (see symtable.h): collect, then resolve.
 *
 * Collection walks each scope's body recording how every name is used.  Resolution then runs from
 * the innermost scopes outward: a name used but not bound in a function is looked for in the
 * enclosing functions (class scopes are skipped, as in Python); when found there it becomes FREE
 * here, CELL where it is bound, and FREE in every function in between.
 */
#include "symtable.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    Arena *arena;
    SyntaxErr *err;
    bool failed;
} Pass;

static void fail(Pass *p, const Ast *node, const char *fmt, const char *name) {
    if (p->failed) return;
    p->failed = true;
    p->err->type = "SyntaxError";
    snprintf(p->err->message, sizeof p->err->message, fmt, name);
    p->err->line = node ? node->line : 1;
    p->err->col = node ? node->col : 1;
    p->err->end_col = p->err->col + 1;
}

// Where `name` is in scope->index: its symbol's position, or -1 with *slot the empty slot.
static int find_slot(const Scope *scope, const char *name, uint32_t *slot) {
    *slot = 0;
    if (!scope->index.capacity) return -1;
    uint64_t h = pos_index_hash(name, strlen(name));
    uint32_t probe = 0;
    for (;;) {
        *slot = pos_index_next(&scope->index, h, &probe);
        int32_t at = scope->index.slots[*slot];
        if (!at) return -1;
        if (strcmp(scope->symbols[at - 1].name, name) == 0) return at - 1;
    }
}

Symbol *scope_find(Scope *scope, const char *name) {
    uint32_t slot;
    int at = find_slot(scope, name, &slot);
    return at < 0 ? NULL : &scope->symbols[at];
}

// The index doubles in the arena (the old table is left there): O(n) memory over a scope's life.
static void grow_index(Pass *p, Scope *scope) {
    PosIndex *ix = &scope->index;
    ix->capacity = pos_index_next_capacity(ix);
    ix->slots = arena_alloc(p->arena, sizeof(int32_t) * ix->capacity);
    ix->count = 0;
    for (int i = 0; i < scope->nsymbols; i++) {
        uint64_t h = pos_index_hash(scope->symbols[i].name, strlen(scope->symbols[i].name));
        uint32_t probe = 0, slot;
        do slot = pos_index_next(ix, h, &probe); while (ix->slots[slot]);
        ix->slots[slot] = i + 1;
        ix->count++;
    }
}

static Symbol *add_symbol(Pass *p, Scope *scope, const char *name, int flags) {
    Symbol *s = scope_find(scope, name);
    if (s) {
        s->flags |= flags;
        return s;
    }
    if (scope->nsymbols == scope->capacity) {
        int cap = scope->capacity ? scope->capacity * 2 : 8;
        Symbol *syms = arena_alloc(p->arena, sizeof(Symbol) * (size_t)cap);
        if (scope->nsymbols) memcpy(syms, scope->symbols, sizeof(Symbol) * (size_t)scope->nsymbols);
        scope->symbols = syms;
        scope->capacity = cap;
    }
    if (pos_index_needs_growth(&scope->index)) grow_index(p, scope);
    uint32_t slot;
    find_slot(scope, name, &slot);
    s = &scope->symbols[scope->nsymbols++];
    s->name = name;
    s->flags = flags;
    scope->index.slots[slot] = scope->nsymbols;
    scope->index.count++;
    return s;
}

static char *join_qualname(Pass *p, Scope *parent, const char *name) {
    if (!parent || parent->kind == SCOPE_MODULE) return arena_strndup(p->arena, name, strlen(name));
    const char *base = parent->qualname;
    size_t n = strlen(base) + strlen(name) + 16;
    char *q = arena_alloc(p->arena, n);
    if (parent->kind == SCOPE_FUNCTION)
        snprintf(q, n, "%s.<locals>.%s", base, name);
    else
        snprintf(q, n, "%s.%s", base, name);
    return q;
}

static Scope *new_scope(Pass *p, ScopeKind kind, Ast *node, const char *name, Scope *parent) {
    Scope *s = arena_alloc(p->arena, sizeof(Scope));
    s->kind = kind;
    s->node = node;
    s->name = name;
    s->parent = parent;
    s->qualname = kind == SCOPE_MODULE ? name : join_qualname(p, parent, name);
    node->scope = s;
    return s;
}

static void visit(Pass *p, Scope *scope, Ast *node);
static void visit_list(Pass *p, Scope *scope, AstList *list) {
    for (int i = 0; i < list->count; i++) visit(p, scope, list->items[i]);
}

static void bind(Pass *p, Scope *scope, Ast *at, const char *name) {
    (void)at;
    add_symbol(p, scope, name, SYM_ASSIGNED);
}

// Visits an assignment target: names in it are bound, everything else is evaluated.
static void visit_target(Pass *p, Scope *scope, Ast *t) {
    if (!t) return;
    switch (t->kind) {
    case AST_NAME: bind(p, scope, t, t->str); break;
    case AST_TUPLE:
    case AST_LIST:
        for (int i = 0; i < t->list.count; i++) visit_target(p, scope, t->list.items[i]);
        break;
    case AST_STARRED: visit_target(p, scope, t->a); break;
    default: visit(p, scope, t); break;
    }
}

static void visit_arguments_defaults(Pass *p, Scope *scope, Ast *args) {
    if (!args) return;
    for (int i = 0; i < args->list.count; i++) {
        visit(p, scope, args->list.items[i]->a);
        visit(p, scope, args->list.items[i]->b);
    }
    for (int i = 0; i < args->list2.count; i++) {
        visit(p, scope, args->list2.items[i]->a);
        visit(p, scope, args->list2.items[i]->b);
    }
    if (args->b) visit(p, scope, args->b->b);
    if (args->c) visit(p, scope, args->c->b);
}

static void declare_params(Pass *p, Scope *fn, Ast *args) {
    if (!args) return;
    for (int i = 0; i < args->list.count; i++) add_symbol(p, fn, args->list.items[i]->str, SYM_PARAM);
    for (int i = 0; i < args->list2.count; i++) add_symbol(p, fn, args->list2.items[i]->str, SYM_PARAM);
    if (args->b) add_symbol(p, fn, args->b->str, SYM_PARAM);
    if (args->c) add_symbol(p, fn, args->c->str, SYM_PARAM);
}

// An await (or async for/with, or an async comprehension) makes the comprehensions around it
// asynchronous, and when they lead up to the module, the module too: only the REPL's parser lets
// module code await (top-level await), and there the entry's code becomes a coroutine.
static void mark_awaiting(Scope *scope) {
    Scope *s = scope;
    for (; s && s->is_comprehension; s = s->parent) s->is_coroutine = true;
    if (s && s->kind == SCOPE_MODULE) s->is_coroutine = true;
}

static void visit_comprehension(Pass *p, Scope *scope, Ast *node, const char *name) {
    // The first iterable is evaluated in the enclosing scope; everything else in the new one.
    Ast *first = node->list.items[0];
    visit(p, scope, first->b);
    Scope *comp = new_scope(p, SCOPE_FUNCTION, node, name, scope);
    comp->is_comprehension = true;
    comp->is_generator = node->kind == AST_GENEXP;
    add_symbol(p, comp, ".0", SYM_PARAM);
    for (int i = 0; i < node->list.count; i++) {
        Ast *gen = node->list.items[i];
        if (gen->flag) mark_awaiting(comp);
        if (i > 0) visit(p, comp, gen->b);
        visit_target(p, comp, gen->a);
        visit_list(p, comp, &gen->list);
    }
    visit(p, comp, node->a);
    visit(p, comp, node->b);
}

static void visit(Pass *p, Scope *scope, Ast *node) {
    if (!node || p->failed) return;
    switch (node->kind) {
    case AST_FUNCTIONDEF: {
        visit_list(p, scope, &node->list2); // decorators
        visit_arguments_defaults(p, scope, node->a);
        bind(p, scope, node, node->str);
        Scope *fn = new_scope(p, SCOPE_FUNCTION, node, node->str, scope);
        fn->is_coroutine = node->flag;
        declare_params(p, fn, node->a);
        visit_list(p, fn, &node->list);
        break;
    }
    case AST_LAMBDA: {
        visit_arguments_defaults(p, scope, node->a);
        Scope *fn = new_scope(p, SCOPE_FUNCTION, node, "<lambda>", scope);
        declare_params(p, fn, node->a);
        visit(p, fn, node->b);
        break;
    }
    case AST_CLASSDEF: {
        visit_list(p, scope, &node->list3);
        visit_list(p, scope, &node->list);
        for (int i = 0; i < node->list4.count; i++) visit(p, scope, node->list4.items[i]->a);
        bind(p, scope, node, node->str);
        Scope *cls = new_scope(p, SCOPE_CLASS, node, node->str, scope);
        visit_list(p, cls, &node->list2);
        break;
    }
    case AST_LISTCOMP: visit_comprehension(p, scope, node, "<listcomp>"); break;
    case AST_SETCOMP: visit_comprehension(p, scope, node, "<setcomp>"); break;
    case AST_DICTCOMP: visit_comprehension(p, scope, node, "<dictcomp>"); break;
    case AST_GENEXP: visit_comprehension(p, scope, node, "<genexpr>"); break;
    case AST_NAME:
        add_symbol(p, scope, node->str, SYM_USED);
        if (strcmp(node->str, "super") == 0 && scope->kind == SCOPE_FUNCTION)
            scope->uses_class_cell = true;
        break;
    case AST_NAMEDEXPR: {
        // The target of := in a comprehension binds in the enclosing function.
        Scope *target = scope;
        while (target->is_comprehension) target = target->parent;
        visit(p, scope, node->b);
        bind(p, target, node, node->a->str);
        if (target != scope) add_symbol(p, scope, node->a->str, SYM_USED);
        break;
    }
    case AST_ASSIGN:
        visit(p, scope, node->a);
        for (int i = 0; i < node->list.count; i++) visit_target(p, scope, node->list.items[i]);
        break;
    case AST_AUGASSIGN:
        visit(p, scope, node->b);
        if (node->a->kind == AST_NAME) add_symbol(p, scope, node->a->str, SYM_USED | SYM_ASSIGNED);
        else visit(p, scope, node->a);
        break;
    case AST_ANNASSIGN:
        visit(p, scope, node->c);
        if (node->c || node->a->kind != AST_NAME) visit_target(p, scope, node->a);
        else if (scope->kind == SCOPE_FUNCTION) bind(p, scope, node, node->a->str);
        break;
    case AST_DELETE:
        for (int i = 0; i < node->list.count; i++) visit_target(p, scope, node->list.items[i]);
        break;
    case AST_FOR:
        if (node->flag && scope->kind == SCOPE_MODULE) scope->is_coroutine = true; // top-level async for
        visit(p, scope, node->b);
        visit_target(p, scope, node->a);
        visit_list(p, scope, &node->list);
        visit_list(p, scope, &node->list2);
        break;
    case AST_WITHITEM:
        visit(p, scope, node->a);
        visit_target(p, scope, node->b);
        break;
    case AST_EXCEPTHANDLER:
        visit(p, scope, node->a);
        if (node->str) bind(p, scope, node, node->str);
        visit_list(p, scope, &node->list);
        break;
    case AST_IMPORT:
    case AST_IMPORTFROM:
        for (int i = 0; i < node->list.count; i++) {
            Ast *alias = node->list.items[i];
            const char *name = alias->str2 ? alias->str2 : alias->str;
            if (strcmp(name, "*") == 0) continue;
            if (node->kind == AST_IMPORT && !alias->str2) {
                // `import a.b` binds a
                const char *dot = strchr(name, '.');
                if (dot) name = arena_strndup(p->arena, name, (size_t)(dot - name));
            }
            bind(p, scope, alias, name);
        }
        break;
    case AST_GLOBAL:
    case AST_NONLOCAL:
        for (int i = 0; i < node->list.count; i++) {
            Ast *n = node->list.items[i];
            Symbol *s = scope_find(scope, n->str);
            const char *what = node->kind == AST_GLOBAL ? "global" : "nonlocal";
            if (s && (s->flags & (SYM_ASSIGNED | SYM_USED))) {
                char fmt[128];
                snprintf(fmt, sizeof fmt, "name '%%s' is %s before %s declaration",
                         (s->flags & SYM_ASSIGNED) ? "assigned to" : "used prior to", what);
                fail(p, n, fmt, n->str);
                return;
            }
            if (node->kind == AST_NONLOCAL && scope->kind == SCOPE_MODULE) {
                fail(p, node, "nonlocal declaration not allowed at module level%s", "");
                return;
            }
            add_symbol(p, scope, n->str, node->kind == AST_GLOBAL ? SYM_GLOBAL : SYM_NONLOCAL);
        }
        break;
    case AST_AWAIT:
        mark_awaiting(scope);
        visit(p, scope, node->a);
        break;
    case AST_YIELD:
    case AST_YIELDFROM:
        if (scope->kind == SCOPE_FUNCTION) scope->is_generator = true;
        visit(p, scope, node->a);
        break;
    default:
        visit(p, scope, node->a);
        visit(p, scope, node->b);
        visit(p, scope, node->c);
        visit_list(p, scope, &node->list);
        visit_list(p, scope, &node->list2);
        visit_list(p, scope, &node->list3);
        visit_list(p, scope, &node->list4);
        if (node->kind == AST_WITH && node->flag && scope->kind == SCOPE_MODULE) scope->is_coroutine = true;
        break;
    }
}

// ---- resolution ---------------------------------------------------------------------------------

static bool binds_locally(const Symbol *s) {
    return s && (s->flags & (SYM_ASSIGNED | SYM_PARAM)) && !(s->flags & (SYM_GLOBAL | SYM_NONLOCAL));
}

// Marks `name` free in every function from `from` up to (not including) `owner`, and cell in owner.
static void make_free_path(Pass *p, Scope *from, Scope *owner, const char *name) {
    for (Scope *s = from; s && s != owner; s = s->parent) {
        if (s->kind == SCOPE_CLASS) {
            add_symbol(p, s, name, SYM_FREE_CLASS);
            continue;
        }
        add_symbol(p, s, name, SYM_FREE);
    }
    add_symbol(p, owner, name, SYM_CELL);
}

// Finds the function scope that binds `name` for a use in `scope`, skipping class scopes.
static Scope *find_binding(Scope *scope, const char *name) {
    for (Scope *s = scope->parent; s && s->kind != SCOPE_MODULE; s = s->parent) {
        if (s->kind == SCOPE_CLASS) continue;
        Symbol *sym = scope_find(s, name);
        if (sym && (sym->flags & SYM_GLOBAL)) return NULL;
        if (binds_locally(sym) || (sym && (sym->flags & SYM_NONLOCAL))) return s;
    }
    return NULL;
}

// Resolves one scope: free uses inside it are traced to their binding function.  Children are
// resolved first (from the visit of the subtree), so their free names reach this scope as FREE.
static void resolve_scope(Pass *p, Scope *scope) {
    for (int i = 0; i < scope->nsymbols && !p->failed; i++) {
        Symbol *s = &scope->symbols[i];
        if (s->flags & SYM_GLOBAL) continue;
        if (s->flags & SYM_NONLOCAL) {
            Scope *owner = find_binding(scope, s->name);
            if (!owner) {
                fail(p, scope->node, "no binding for nonlocal '%s' found", s->name);
                return;
            }
            make_free_path(p, scope, owner, s->name);
            continue;
        }
        if (scope->kind == SCOPE_FUNCTION && binds_locally(s)) continue;
        if (!(s->flags & (SYM_USED | SYM_FREE))) continue;
        if (scope->kind == SCOPE_MODULE) continue;
        if (scope->kind == SCOPE_CLASS && binds_locally(s) && !(s->flags & SYM_FREE)) continue;
        Scope *owner = find_binding(scope, s->name);
        if (owner) make_free_path(p, scope, owner, s->name);
    }
    if (scope->uses_class_cell) {
        // super() needs __class__: a cell of the nearest enclosing class body.
        Scope *cls = scope->parent;
        while (cls && cls->kind == SCOPE_FUNCTION) cls = cls->parent;
        if (cls && cls->kind == SCOPE_CLASS) {
            cls->needs_class_cell = true;
            for (Scope *s = scope; s != cls; s = s->parent) add_symbol(p, s, "__class__", SYM_FREE);
        }
    }
}

// Post-order: inner scopes resolve before outer ones, so a free name propagates outward.
static void resolve_tree(Pass *p, Ast *node) {
    if (!node || p->failed) return;
    resolve_tree(p, node->a);
    resolve_tree(p, node->b);
    resolve_tree(p, node->c);
    AstList *lists[] = {&node->list, &node->list2, &node->list3, &node->list4};
    for (int l = 0; l < 4; l++)
        for (int i = 0; i < lists[l]->count; i++) resolve_tree(p, lists[l]->items[i]);
    if (node->scope) resolve_scope(p, node->scope);
}

bool symtable_build(Arena *arena, Ast *module, SyntaxErr *err) {
    Pass p = {arena, err, false};
    Scope *top = new_scope(&p, SCOPE_MODULE, module, "<module>", NULL);
    top->qualname = "<module>";
    visit_list(&p, top, &module->list);
    resolve_tree(&p, module);
    return !p.failed;
}

NameScope scope_resolve(Scope *scope, const char *name) {
    Symbol *s = scope_find(scope, name);
    if (scope->kind == SCOPE_MODULE) return NAME_NAMESPACE;
    if (s && (s->flags & SYM_GLOBAL)) return NAME_GLOBAL_EXPLICIT;
    if (scope->kind == SCOPE_CLASS) {
        if (strcmp(name, "__class__") == 0 && scope->needs_class_cell) return NAME_CELL;
        return NAME_NAMESPACE; // free names in class bodies are handled by the compiler
    }
    if (!s) return NAME_GLOBAL_IMPLICIT;
    if (s->flags & SYM_FREE) return NAME_FREE;
    if (s->flags & SYM_NONLOCAL) return NAME_FREE;
    if (s->flags & SYM_CELL) return NAME_CELL;
    if (binds_locally(s)) return NAME_LOCAL;
    return NAME_GLOBAL_IMPLICIT;
}
