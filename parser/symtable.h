/* The scope pass: which names are local, global, free or cell in each scope.
 *
 * Python decides a name's scope from the whole function body (an assignment anywhere makes it
 * local everywhere), so this pass runs over the finished AST before any code is generated.  Every
 * node that opens a scope (MODULE, FUNCTIONDEF, LAMBDA, CLASSDEF, the comprehensions and GENEXP)
 * gets a Scope in its `scope` field.  The compiler then asks scope_resolve() for each name.
 */
#ifndef AIO_SYMTABLE_H
#define AIO_SYMTABLE_H

#include "ast.h"
#include "pos_index.h"
#include "parse.h"

typedef enum { SCOPE_MODULE, SCOPE_CLASS, SCOPE_FUNCTION } ScopeKind;

// Where a name lives, as the compiler sees it.
typedef enum {
    NAME_LOCAL,           // a fast local slot of a function
    NAME_CELL,            // a local captured by an inner function: lives in a cell
    NAME_FREE,            // a variable of an enclosing function, reached through the closure
    NAME_GLOBAL_EXPLICIT, // declared `global`
    NAME_GLOBAL_IMPLICIT, // never assigned here: globals, then builtins
    NAME_NAMESPACE,       // module or class body: the namespace dict
} NameScope;

// Flags of one name in one scope, as the pass collects them.
enum {
    SYM_ASSIGNED = 1 << 0,
    SYM_PARAM = 1 << 1,
    SYM_USED = 1 << 2,
    SYM_GLOBAL = 1 << 3,
    SYM_NONLOCAL = 1 << 4,
    SYM_FREE = 1 << 5,     // resolved: comes from an enclosing function
    SYM_CELL = 1 << 6,     // resolved: captured by an inner function
    SYM_FREE_CLASS = 1 << 7, // class body: also a free variable (LOAD_CLASSDEREF)
};

typedef struct {
    const char *name;
    int flags;
} Symbol;

typedef struct Scope Scope;
struct Scope {
    ScopeKind kind;
    Ast *node;
    const char *name;     // function or class name; "<module>", "<lambda>", "<listcomp>", ...
    const char *qualname; // dotted path as CPython's __qualname__
    Scope *parent;
    Symbol *symbols;
    int nsymbols, capacity;
    PosIndex index;       // symbols by name (in the arena, like the symbols)
    bool is_generator;    // contains yield
    bool is_coroutine;    // async def
    bool is_comprehension;
    bool needs_class_cell; // a class whose methods use super() or __class__
    bool uses_class_cell;  // a function that uses super() or __class__
};

// Runs the pass over a MODULE.  Returns false with *err filled for scope errors (e.g. "name 'x'
// is assigned to before global declaration", "nonlocal declaration not allowed at module level",
// "no binding for nonlocal 'x' found").
bool symtable_build(Arena *arena, Ast *module, SyntaxErr *err);

NameScope scope_resolve(Scope *scope, const char *name);
Symbol *scope_find(Scope *scope, const char *name);

#endif
