/* The compiler's own interface, shared by its three files and included by nothing else:
 *   compile.c       the compiler state, the constant / name / local tables, variable access,
 *                   the flow pass that sizes each code's stack, and the making of code objects;
 *   compile_expr.c  expressions and assignment targets;
 *   compile_stmt.c  statements, and the compile-time blocks that break, continue and return
 *                   unwind.
 * Emission (emit, patch, set_pos) is inline here, since every file emits.
 */
#ifndef AIO_COMPILER_H
#define AIO_COMPILER_H

#include "compile.h"
#include "pos_index.h"
#include "symtable.h"

// ---- the compiler state -------------------------------------------------------------------------

// The compile-time blocks: what the compiler is inside of while it emits a statement.  They are
// not the VM's blocks (Frame.blocks, made by SETUP_FINALLY / SETUP_WITH and popped by
// POP_BLOCK), though several kinds have one active: they say what a break, continue or return
// leaving the block early must emit first (unwind_fblock), such as popping a for loop's
// iterator, calling a with's __exit__ or running a finally body.
typedef enum {
    FB_WHILE,        // a while loop: continue jumps to `start`
    FB_FOR,          // a for loop: its iterator is on the stack
    FB_TRY,          // the body of try/except: a SETUP_FINALLY block is active
    FB_FINALLY_TRY,  // the body of try/finally: leaving it runs the finally body
    FB_FINALLY_END,  // inside a finally body entered by an exception: prev, exc on the stack
    FB_HANDLER,      // inside an except body: prev, exc on the stack, a cleanup block active
    FB_WITH,         // inside a with body: exit on the stack, a block active
    FB_ASYNC_WITH,   // the same for async with
    FB_STAR_HANDLER, // inside an except* body: a SETUP_FINALLY block is active
    FB_POP_VALUE,    // a finally body run by `return`: the return value waits below
} FBlockKind;

typedef struct {
    int *items;
    int count, capacity;
} PatchList;

typedef struct {
    FBlockKind kind;
    int start;          // loops: where continue goes
    PatchList breaks;   // loops: jumps to patch to the loop's end
    AstList *finally;   // FB_FINALLY_TRY: the finally body to run on the way out
    const char *name;   // FB_HANDLER: the `as` name to delete on the way out
} FBlock;

// The block stack is never deeper than MAX_BLOCKS entries once nesting is checked (push_fblock),
// but it has room to spare: after the error, compilation unwinds the blocks already open.
#define MAX_FBLOCKS (2 * MAX_BLOCKS + 8)

// One code object under construction.  The tables (constants, names, locals, cells) each keep a
// hash index beside them, so adding an entry that already exists gives back its index; the
// instruction words and their line numbers are parallel arrays.  varnames and cellnames are C
// strings owned by the AST arena until finish_code interns them; constants and names are GC
// objects from the start, so the chain of compilers is a GC root (compile_mark_roots).
typedef struct Compiler Compiler;
struct Compiler {
    Compiler *enclosing;
    Vm *vm;
    Scope *scope;
    SyntaxErr *err;
    bool failed;
    int line;
    int col;

    uint32_t *words;
    int *lines;
    int nwords, wcap;
    Value *consts;
    int nconsts, ccap;
    ObjStr **names;
    int nnames, ncap;
    const char **varnames;
    int nlocals, vcap;
    PosIndex const_index, name_index, local_index, cell_index; // where each constant / name / local / cell is
    const char **cellnames;
    int ncells, nfree;
    int argcount, posonly, kwonly;
    int flags;

    FBlock fblocks[MAX_FBLOCKS];
    int nfblocks;
    int fblocks_dropped; // pushes past MAX_FBLOCKS after an error: pops discard them first
    int block_nesting;   // CPython's count of nested blocks (a handler counts two)
    bool in_async_comprehension;
    bool interactive; // a REPL entry's top-level code: expression statements print (PRINT_EXPR)
};


typedef enum { CTX_LOAD, CTX_STORE, CTX_DEL } Ctx;

// ---- compile.c ----------------------------------------------------------------------------------
// realloc to at least `need` items, doubling; aborts when out of memory.
void *compile_grow(void *p, int *cap, int need, size_t item);
// A SyntaxError at node (the compiler's current position when NULL): compile_error_at_line puts
// the caret from the start to the end of node's first line, compile_error_at on its first column.
// Only the first error counts; compilation goes on, and the code is discarded.
void compile_error_at_line(Compiler *c, const Ast *node, const char *msg);
void compile_error_at(Compiler *c, const Ast *node, const char *fmt, const char *arg);
// The index of v in the constant table / of name in the names table, added when new.
int compile_add_const(Compiler *c, Value v);
int compile_add_name(Compiler *c, const char *name);
// An interned str, as a constant.
Value compile_str_const(Compiler *c, const char *s, size_t len);
// The index of a cell or free variable among the code's cells.
int compile_cell_slot(Compiler *c, const char *name);
// Loads, stores or deletes a variable, with the instruction family the scope pass chose.
void compile_name_op(Compiler *c, const char *name, Ctx ctx);
// Compiles the body of a function, lambda, class or comprehension `node` into a code object of
// its own (NULL after an error).
ObjCode *compile_scope(Compiler *parent, Ast *node, AstList *body, Ast *expr_body);

// ---- compile_expr.c -----------------------------------------------------------------------------
void compile_expr(Compiler *c, Ast *e);
void compile_target(Compiler *c, Ast *t, Ctx ctx);
void compile_augassign(Compiler *c, Ast *s);
// Whether a display or call's arguments hold a *starred item.
bool compile_has_starred(AstList *list);
// The iterable of a for loop or comprehension (a set display of constants is a frozenset).
void compile_iterable(Compiler *c, Ast *e);
// A call's arguments after the `already` ones the caller pushed, then the CALL.
void compile_call_args(Compiler *c, Ast *e, int already);
// MAKE_FUNCTION for a def or lambda: defaults, annotations, the closure, the code.
void compile_make_function(Compiler *c, Ast *node, Ast *args, AstList *body, Ast *expr_body);
// The SEND loop of `await` and `yield from`, on the awaitable already on the stack.
void compile_await_value(Compiler *c);

// ---- compile_stmt.c -----------------------------------------------------------------------------
void compile_stmts(Compiler *c, AstList *body);

// ---- emission -----------------------------------------------------------------------------------

// Appends one instruction word (opcode in the low 8 bits, argument in the high 24) at the current
// source line, and returns its index, which a jump's patch needs.  An argument that does not fit
// in 24 bits is reported as a SyntaxError; emission goes on with 0 and the code is discarded.
static inline int emit(Compiler *c, OpCode op, int arg) {
    if (c->nwords == c->wcap) { // words and lines grow together, doubling
        int cap = c->wcap;
        c->words = compile_grow(c->words, &cap, c->nwords + 1, sizeof(uint32_t));
        c->lines = realloc(c->lines, sizeof(int) * (size_t)cap);
        if (!c->lines) abort();
        c->wcap = cap;
    }
    if (arg < 0 || arg >= (1 << 24)) {
        compile_error_at(c, NULL, "%s", "too many constants, names or instructions in one function");
        arg = 0;
    }
    c->words[c->nwords] = (uint32_t)op | ((uint32_t)arg << 8);
    c->lines[c->nwords] = c->line;
    return c->nwords++;
}

static inline int here(Compiler *c) { return c->nwords; }

// Sets the argument of the jump at `at` to the absolute word index `target`.
static inline void patch_to(Compiler *c, int at, int target) {
    c->words[at] = (c->words[at] & 0xFF) | ((uint32_t)target << 8);
}

static inline void patch(Compiler *c, int at) { patch_to(c, at, here(c)); }


static inline void emit_const(Compiler *c, Value v) { emit(c, OP_LOAD_CONST, compile_add_const(c, v)); }

// Makes node's line the one recorded for the next instructions: a traceback shows the line of the
// instruction that raised, so this is called for any node whose evaluation can raise.
static inline void set_pos(Compiler *c, const Ast *node) {
    if (node && node->line > 0) {
        c->line = node->line;
        c->col = node->col;
    }
}

#endif
