/* The compiler: AST -> Code (see compile.h).
 *
 * Emission is a plain walk: every node kind has one compile_* function that appends instructions.
 * Jumps are emitted with a placeholder and patched once the target is known; targets are absolute
 * word offsets, and every word has room for a 24-bit argument, so patching never moves code.
 * The value-stack size and the block depth a Code needs are computed at the end by a flow pass
 * over the finished instructions (compute_sizes), the way CPython's stackdepth() does, rather
 * than tracked by hand during emission.
 *
 * Conventions the VM relies on (vm/vm.c reads the code with these assumptions):
 *   - Constant 0 of a module's code is its file name (finish_code reads it back for every nested
 *     code); constant 0 of a function's code is its docstring, or None (build_function in
 *     runtime/ops.c reads it).
 *   - A call pushes two values before its arguments: PUSH_NULL then the callable, or LOAD_METHOD's
 *     pair (the function then self, or EMPTY then the attribute).  CALL n finds the pair n+2 and
 *     n+1 below the top: when the lower one is not EMPTY it is the function, and the upper one,
 *     self, becomes the first argument.  Keyword
 *     arguments come last, their names in a constant tuple that KW_NAMES sets just before CALL.
 *   - `await x` and `yield from x` compile to GET_AWAITABLE (or GET_YIELD_FROM_ITER), then
 *     LOAD_CONST None; SEND exit; YIELD_VALUE 1; JUMP back to the SEND (compile_await_value).  The
 *     VM finds a suspended delegation by that shape: the word after a YIELD_VALUE 1 is the JUMP
 *     whose argument is the SEND (delegating_send in vm/gen.c).
 *   - A handler's stack, on entry, is the stack of the SETUP_FINALLY that made it, plus the
 *     exception; PUSH_EXC_INFO then puts the previously handled exception below it (prev exc),
 *     and every way out of the handler ends with POP_EXCEPT, which restores prev.
 *   - Every code ends with RETURN_VALUE, and every path leaves the stack as the flow pass says:
 *     the debug build (AIO_DEBUG) checks the depth before each instruction.
 */
#include "compile.h"

#include <string.h>

#include "error.h"
#include "frame.h"
#include "gc.h"
#include "opcodes.h"
#include "pos_index.h"
#include "dict.h"
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

// The compiler chain is a GC root while compiling (constants already made are live objects).
void compile_mark_roots(Vm *vm) {
    for (Compiler *c = vm->compiler_roots; c; c = c->enclosing) {
        for (int i = 0; i < c->nconsts; i++) gc_mark_value(vm, c->consts[i]);
        for (int i = 0; i < c->nnames; i++) gc_mark_object(vm, (Obj *)c->names[i]);
    }
}

static void *grow(void *p, int *cap, int need, size_t item) {
    if (need <= *cap) return p;
    int n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    void *q = realloc(p, (size_t)n * item);
    if (!q) abort();
    *cap = n;
    return q;
}

// An error about a whole statement: the caret runs from its start to the end of its first line
// (end_col -1 asks raise_syntax_error to find that end in the source).
static void error_at_line(Compiler *c, const Ast *node, const char *msg) {
    if (c->failed) return;
    c->failed = true;
    c->err->type = "SyntaxError";
    snprintf(c->err->message, sizeof c->err->message, "%s", msg);
    c->err->line = node ? node->line : c->line;
    c->err->col = node ? node->col : c->col;
    c->err->end_col = -1;
}

static void error_at(Compiler *c, const Ast *node, const char *fmt, const char *arg) {
    if (c->failed) return;
    c->failed = true;
    c->err->type = "SyntaxError";
    snprintf(c->err->message, sizeof c->err->message, fmt, arg);
    c->err->line = node ? node->line : c->line;
    c->err->col = node ? node->col : c->col;
    c->err->end_col = c->err->col + 1;
}

// ---- emission -----------------------------------------------------------------------------------

// Appends one instruction word (opcode in the low 8 bits, argument in the high 24) at the current
// source line, and returns its index, which a jump's patch needs.  An argument that does not fit
// in 24 bits is reported as a SyntaxError; emission goes on with 0 and the code is discarded.
static int emit(Compiler *c, OpCode op, int arg) {
    if (c->nwords == c->wcap) { // words and lines grow together, doubling
        int cap = c->wcap;
        c->words = grow(c->words, &cap, c->nwords + 1, sizeof(uint32_t));
        c->lines = realloc(c->lines, sizeof(int) * (size_t)cap);
        if (!c->lines) abort();
        c->wcap = cap;
    }
    if (arg < 0 || arg >= (1 << 24)) {
        error_at(c, NULL, "%s", "too many constants, names or instructions in one function");
        arg = 0;
    }
    c->words[c->nwords] = (uint32_t)op | ((uint32_t)arg << 8);
    c->lines[c->nwords] = c->line;
    return c->nwords++;
}

static int here(Compiler *c) { return c->nwords; }

// Sets the argument of the jump at `at` to the absolute word index `target`.
static void patch_to(Compiler *c, int at, int target) {
    c->words[at] = (c->words[at] & 0xFF) | ((uint32_t)target << 8);
}

static void patch(Compiler *c, int at) { patch_to(c, at, here(c)); }

// ---- the constant, name and local tables, each with a hash index ---------------------------------

// Rebuilds `ix` with `capacity` slots holding positions 0..n-1 (those hash_of accepts).
static void index_rebuild(Compiler *c, PosIndex *ix, uint32_t capacity, int n,
                          bool (*hash_of)(Compiler *, int, uint64_t *)) {
    free(ix->slots);
    ix->capacity = capacity;
    ix->slots = calloc(capacity, sizeof(int32_t));
    if (!ix->slots) abort();
    ix->count = 0;
    for (int i = 0; i < n; i++) {
        uint64_t h;
        if (!hash_of(c, i, &h)) continue;
        uint32_t probe = 0, slot;
        do slot = pos_index_next(ix, h, &probe); while (ix->slots[slot]);
        ix->slots[slot] = i + 1;
        ix->count++;
    }
}

// Makes room for one more position in `ix`, which indexes positions 0..n-1.
static void index_reserve(Compiler *c, PosIndex *ix, int n, bool (*hash_of)(Compiler *, int, uint64_t *)) {
    if (pos_index_needs_growth(ix)) index_rebuild(c, ix, pos_index_next_capacity(ix), n, hash_of);
}

// Constants are shared when they are the same str, int, bool, None or float (bit for bit, so 0.0
// and -0.0 stay apart); other kinds are never looked up, so they are not in the index.
static bool const_hash(Value v, uint64_t *h) {
    uint64_t bits;
    if (IS_STR(v)) bits = str_hash(AS_STR(v));
    else if (IS_INT(v) || IS_BOOL(v) || IS_NONE(v)) bits = (uint64_t)v.as.integer;
    else if (IS_FLOAT(v)) memcpy(&bits, &v.as.number, sizeof bits);
    else return false;
    *h = (bits ^ ((uint64_t)v.tag << 56)) * 0x9E3779B97F4A7C15ULL;
    return true;
}

static bool const_hash_at(Compiler *c, int i, uint64_t *h) { return const_hash(c->consts[i], h); }

static bool same_const(Value k, Value v) {
    if (k.tag != v.tag) return false;
    if (IS_STR(k))
        return IS_STR(v) && AS_STR(k)->length == AS_STR(v)->length &&
               memcmp(AS_STR(k)->chars, AS_STR(v)->chars, AS_STR(k)->length) == 0;
    if (IS_INT(k) || IS_BOOL(k) || IS_NONE(k)) return k.as.integer == v.as.integer;
    if (IS_FLOAT(k)) return memcmp(&k.as.number, &v.as.number, sizeof(double)) == 0;
    return false;
}

// The index of v in the constant table, adding it when it is new.  Constants of other kinds (code
// objects, tuples of keyword names, big ints) are always added fresh.
static int add_const(Compiler *c, Value v) {
    uint64_t h;
    bool indexed = const_hash(v, &h);
    uint32_t slot = 0;
    if (indexed) {
        index_reserve(c, &c->const_index, c->nconsts, const_hash_at);
        uint32_t probe = 0;
        for (;;) {
            slot = pos_index_next(&c->const_index, h, &probe);
            int32_t at = c->const_index.slots[slot];
            if (!at) break;
            if (same_const(c->consts[at - 1], v)) return at - 1;
        }
    }
    c->consts = grow(c->consts, &c->ccap, c->nconsts + 1, sizeof(Value));
    c->consts[c->nconsts] = v;
    if (indexed) {
        c->const_index.slots[slot] = c->nconsts + 1;
        c->const_index.count++;
    }
    return c->nconsts++;
}

static void emit_const(Compiler *c, Value v) { emit(c, OP_LOAD_CONST, add_const(c, v)); }

// An int literal, negated for `-literal`; one beyond int64 becomes a big int (vm/object.h).
static void emit_int_literal(Compiler *c, Ast *e, bool negate) {
    if (!e->str) {
        emit_const(c, INT_VAL(negate ? (int64_t)(0 - (uint64_t)e->ival) : e->ival));
        return;
    }
    mpz_t z;
    mpz_init_set_str(z, e->str, e->op); // the scanner checked the digits
    if (negate) mpz_neg(z, z);
    emit_const(c, int_from_mpz(c->vm, z));
}

static bool name_hash_at(Compiler *c, int i, uint64_t *h) {
    *h = pos_index_hash(c->names[i]->chars, c->names[i]->length);
    return true;
}

// The index of name in the names table (attribute, global and imported names), interned as an
// ObjStr so that the VM's lookups and caches compare pointers.
static int add_name(Compiler *c, const char *name) {
    size_t len = strlen(name);
    uint64_t h = pos_index_hash(name, len);
    index_reserve(c, &c->name_index, c->nnames, name_hash_at);
    uint32_t probe = 0, slot;
    for (;;) {
        slot = pos_index_next(&c->name_index, h, &probe);
        int32_t at = c->name_index.slots[slot];
        if (!at) break;
        ObjStr *s = c->names[at - 1];
        if (s->length == len && memcmp(s->chars, name, len) == 0) return at - 1;
    }
    ObjStr *s = str_intern(c->vm, name, len);
    c->names = grow(c->names, &c->ncap, c->nnames + 1, sizeof(ObjStr *));
    c->names[c->nnames] = s;
    c->name_index.slots[slot] = c->nnames + 1;
    c->name_index.count++;
    return c->nnames++;
}

static Value str_const(Compiler *c, const char *s, size_t len) {
    return OBJ_VAL(str_intern(c->vm, s, len));
}

static bool local_hash_at(Compiler *c, int i, uint64_t *h) {
    *h = pos_index_hash(c->varnames[i], strlen(c->varnames[i]));
    return true;
}

// The slot of a local variable, numbered in order of first use after the parameters
// (declare_layout adds those first, so they take slots 0.. as argument binding expects).
static int local_slot(Compiler *c, const char *name) {
    uint64_t h = pos_index_hash(name, strlen(name));
    index_reserve(c, &c->local_index, c->nlocals, local_hash_at);
    uint32_t probe = 0, slot;
    for (;;) {
        slot = pos_index_next(&c->local_index, h, &probe);
        int32_t at = c->local_index.slots[slot];
        if (!at) break;
        if (strcmp(c->varnames[at - 1], name) == 0) return at - 1;
    }
    c->varnames = grow(c->varnames, &c->vcap, c->nlocals + 1, sizeof(char *));
    c->varnames[c->nlocals] = name;
    c->local_index.slots[slot] = c->nlocals + 1;
    c->local_index.count++;
    return c->nlocals++;
}

static bool cell_hash_at(Compiler *c, int i, uint64_t *h) {
    *h = pos_index_hash(c->cellnames[i], strlen(c->cellnames[i]));
    return true;
}

// The cells are all declared before the body is compiled (declare_layout): the index is built
// at the first lookup.
static int cell_slot(Compiler *c, const char *name) {
    if (!c->cell_index.slots || c->cell_index.count != (uint32_t)c->ncells) {
        uint32_t cap = 16;
        while (cap < 2 * (uint32_t)c->ncells + 2) cap *= 2;
        index_rebuild(c, &c->cell_index, cap, c->ncells, cell_hash_at);
    }
    uint64_t h = pos_index_hash(name, strlen(name));
    uint32_t probe = 0;
    for (;;) {
        int32_t at = c->cell_index.slots[pos_index_next(&c->cell_index, h, &probe)];
        if (!at) break;
        if (strcmp(c->cellnames[at - 1], name) == 0) return at - 1;
    }
    error_at(c, NULL, "internal error: no cell for '%s'", name);
    return 0;
}

// Makes node's line the one recorded for the next instructions: a traceback shows the line of the
// instruction that raised, so this is called for any node whose evaluation can raise.
static void set_pos(Compiler *c, const Ast *node) {
    if (node && node->line > 0) {
        c->line = node->line;
        c->col = node->col;
    }
}

// ---- names --------------------------------------------------------------------------------------

typedef enum { CTX_LOAD, CTX_STORE, CTX_DEL } Ctx;

// Loads, stores or deletes a variable, with the instruction family the scope pass chose: FAST
// for a function's plain locals (a slot), DEREF for variables in cells (captured by an inner
// function, or free here), GLOBAL for module-level names, both in functions and in the module's
// own code (whose namespace is its globals), NAME for class bodies, which run with a dict of
// their own.  LOAD_CLASSDEREF is a class body
// reading a variable of an enclosing function: its namespace first, then the cell.
static void compile_name_op(Compiler *c, const char *name, Ctx ctx) {
    NameScope ns = scope_resolve(c->scope, name);
    static const OpCode fast[] = {OP_LOAD_FAST, OP_STORE_FAST, OP_DELETE_FAST};
    static const OpCode deref[] = {OP_LOAD_DEREF, OP_STORE_DEREF, OP_DELETE_DEREF};
    static const OpCode global[] = {OP_LOAD_GLOBAL, OP_STORE_GLOBAL, OP_DELETE_GLOBAL};
    static const OpCode named[] = {OP_LOAD_NAME, OP_STORE_NAME, OP_DELETE_NAME};
    switch (ns) {
    case NAME_LOCAL: emit(c, fast[ctx], local_slot(c, name)); break;
    case NAME_CELL:
    case NAME_FREE: emit(c, deref[ctx], cell_slot(c, name)); break;
    case NAME_GLOBAL_EXPLICIT:
    case NAME_GLOBAL_IMPLICIT: emit(c, global[ctx], add_name(c, name)); break;
    case NAME_NAMESPACE:
        if (c->scope->kind == SCOPE_MODULE) {
            emit(c, global[ctx], add_name(c, name));
        } else {
            Symbol *s = scope_find(c->scope, name);
            if (ctx == CTX_LOAD && s && (s->flags & SYM_FREE_CLASS))
                emit(c, OP_LOAD_CLASSDEREF, cell_slot(c, name));
            else
                emit(c, named[ctx], add_name(c, name));
        }
        break;
    }
}

// ---- expressions --------------------------------------------------------------------------------

static void compile_expr(Compiler *c, Ast *e);
static void compile_stmts(Compiler *c, AstList *body);
static ObjCode *compile_scope(Compiler *parent, Ast *node, AstList *body, Ast *expr_body);
static void compile_target(Compiler *c, Ast *t, Ctx ctx);

static bool has_starred(AstList *list) {
    for (int i = 0; i < list->count; i++)
        if (list->items[i]->kind == AST_STARRED) return true;
    return false;
}

// Builds a list, tuple or set display; starred items are spliced in.  Without a star the items are
// pushed and BUILD_* takes them all at once; with one, an empty list (or set) is built first and
// each item appended or each starred iterable extended into it, left to right, so that the
// items are evaluated in source order either way.  A tuple is then converted from the list.
static void compile_display(Compiler *c, AstList *items, OpCode build, OpCode extend, bool tuple) {
    if (!has_starred(items)) {
        for (int i = 0; i < items->count; i++) compile_expr(c, items->items[i]);
        emit(c, build, items->count);
        return;
    }
    emit(c, build == OP_BUILD_SET ? OP_BUILD_SET : OP_BUILD_LIST, 0);
    for (int i = 0; i < items->count; i++) {
        Ast *item = items->items[i];
        if (item->kind == AST_STARRED) {
            compile_expr(c, item->a);
            emit(c, extend, 1);
        } else {
            compile_expr(c, item);
            emit(c, build == OP_BUILD_SET ? OP_SET_ADD : OP_LIST_APPEND, 1);
        }
    }
    if (tuple) emit(c, OP_LIST_TO_TUPLE, 0);
}

// ---- set displays of constants ------------------------------------------------------------------
//
// CPython folds constant expressions before compiling.  A set display of three or more constants
// becomes a frozenset constant that an empty set is updated from, and a set display of constants
// iterated by a for loop or comprehension becomes the frozenset itself.  The compiler also rebuilds
// every frozenset constant from its own iteration order when it merges equal constants.  Each of
// these steps reinserts keys, so the result can iterate in another order than a set built key by
// key.  aio reproduces the order, not the constant: the steps are done at run time with ordinary
// sets (their keys are constants, so nothing observable runs twice).

#define FOLD_MAX_INT_BITS 128 // CPython does not fold int results wider than this

static bool is_folded_constant(Ast *e);

// The int value of a literal int, bool or negated int literal, as folding sees it.
static bool literal_int(Ast *e, int64_t *out) {
    if (e->kind == AST_INT) {
        *out = e->ival;
        return true;
    }
    if (e->kind == AST_CONSTANT && (e->op == AST_CONST_TRUE || e->op == AST_CONST_FALSE)) {
        *out = e->op == AST_CONST_TRUE;
        return true;
    }
    if (e->kind == AST_UNARYOP && e->op == AST_OP_NEG && e->a->kind == AST_INT) {
        *out = (int64_t)(0 - (uint64_t)e->a->ival);
        return true;
    }
    return false;
}

static bool is_numeric_literal(Ast *e) {
    int64_t ignored;
    if (literal_int(e, &ignored) || e->kind == AST_FLOAT) return true;
    return e->kind == AST_UNARYOP && (e->op == AST_OP_NEG || e->op == AST_OP_POS) && e->a->kind == AST_FLOAT;
}

static int bit_length(int64_t v) {
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int bits = 0;
    while (m) {
        bits++;
        m >>= 1;
    }
    return bits;
}

// Whether CPython folds `a op b` of two constants: it refuses results that could be huge
// (wide ints from ** and <<, repeated sequences, str % formatting); an operation that would
// raise is not folded either, but then the display raises whichever way it is built.
static bool binop_folds(Ast *e) {
    Ast *a = e->a, *b = e->b;
    if (!is_folded_constant(a) || !is_folded_constant(b)) return false;
    int64_t x, y;
    switch (e->op) {
    case AST_OP_MATMUL: return false;
    case AST_OP_MOD: return a->kind != AST_STR && a->kind != AST_BYTES;
    case AST_OP_MUL: return is_numeric_literal(a) && is_numeric_literal(b);
    case AST_OP_POW:
        if (!is_numeric_literal(a) || !is_numeric_literal(b)) return false;
        if (!literal_int(a, &x) || !literal_int(b, &y) || x == 0 || y <= 0) return true;
        return bit_length(x) <= FOLD_MAX_INT_BITS / y;
    case AST_OP_LSHIFT:
        if (!literal_int(a, &x) || !literal_int(b, &y)) return false;
        if (x == 0 || y <= 0) return true;
        return y <= FOLD_MAX_INT_BITS && bit_length(x) <= FOLD_MAX_INT_BITS - y;
    default: return true;
    }
}

// Whether CPython's constant folding turns e into a single constant.
static bool is_folded_constant(Ast *e) {
    switch (e->kind) {
    case AST_INT:
    case AST_FLOAT:
    case AST_STR:
    case AST_BYTES:
    case AST_CONSTANT: return true;
    case AST_UNARYOP:
        if (e->op == AST_OP_NOT) return is_folded_constant(e->a);
        if (e->op == AST_OP_INVERT) {
            int64_t ignored;
            return literal_int(e->a, &ignored);
        }
        return is_numeric_literal(e->a) || (e->a->kind == AST_UNARYOP && is_numeric_literal(e->a->a));
    case AST_BINOP: return binop_folds(e);
    case AST_TUPLE:
        for (int i = 0; i < e->list.count; i++)
            if (!is_folded_constant(e->list.items[i])) return false;
        return true;
    default: return false;
    }
}

static bool all_folded_constants(AstList *items) {
    for (int i = 0; i < items->count; i++)
        if (!is_folded_constant(items->items[i])) return false;
    return true;
}

// Leaves on the stack a set laid out as CPython's frozenset constant for these keys: the keys
// added one by one, then re-added one by one (through a list) in that set's iteration order.
static void compile_frozenset_standin(Compiler *c, AstList *items) {
    emit(c, OP_BUILD_SET, 0);
    emit(c, OP_BUILD_LIST, 0);
    compile_display(c, items, OP_BUILD_SET, OP_SET_UPDATE, false);
    emit(c, OP_LIST_EXTEND, 1);
    emit(c, OP_SET_UPDATE, 1);
}

static void compile_set_display(Compiler *c, Ast *e) {
    if (e->list.count > 2 && all_folded_constants(&e->list)) {
        emit(c, OP_BUILD_SET, 0);
        compile_frozenset_standin(c, &e->list);
        emit(c, OP_SET_UPDATE, 1);
    } else {
        compile_display(c, &e->list, OP_BUILD_SET, OP_SET_UPDATE, false);
    }
}

// The iterable of a for loop or comprehension.
static void compile_iterable(Compiler *c, Ast *e) {
    if (e->kind == AST_SET && all_folded_constants(&e->list)) compile_frozenset_standin(c, &e->list);
    else compile_expr(c, e);
}

// The right operand of `in` / `not in`: only membership is seen, so a plain display will do.
static void compile_container(Compiler *c, Ast *e) {
    if (e->kind == AST_SET) compile_display(c, &e->list, OP_BUILD_SET, OP_SET_UPDATE, false);
    else compile_expr(c, e);
}

// A dict display.  `**m` entries (a NULL key in the AST) switch to building an empty dict and
// adding each entry or merging each mapping in order, so later keys override earlier ones.
static void compile_dict(Compiler *c, Ast *e) {
    bool splat = false;
    for (int i = 0; i < e->list.count; i++)
        if (!e->list.items[i]) splat = true;
    if (!splat) {
        for (int i = 0; i < e->list.count; i++) {
            compile_expr(c, e->list.items[i]);
            compile_expr(c, e->list2.items[i]);
        }
        emit(c, OP_BUILD_MAP, e->list.count);
        return;
    }
    emit(c, OP_BUILD_MAP, 0);
    for (int i = 0; i < e->list.count; i++) {
        if (!e->list.items[i]) {
            compile_expr(c, e->list2.items[i]);
            emit(c, OP_DICT_UPDATE, 1);
        } else {
            compile_expr(c, e->list.items[i]);
            compile_expr(c, e->list2.items[i]);
            emit(c, OP_MAP_ADD, 1);
        }
    }
}

// The parser's operators renumbered as the VM's (opcodes.h): the runtime never sees an AstOp.
static BinaryOp binary_op_of(int ast_op) {
    switch (ast_op) {
    case AST_OP_ADD: return BINOP_ADD;
    case AST_OP_SUB: return BINOP_SUB;
    case AST_OP_MUL: return BINOP_MUL;
    case AST_OP_MATMUL: return BINOP_MATMUL;
    case AST_OP_DIV: return BINOP_DIV;
    case AST_OP_FLOORDIV: return BINOP_FLOORDIV;
    case AST_OP_MOD: return BINOP_MOD;
    case AST_OP_POW: return BINOP_POW;
    case AST_OP_LSHIFT: return BINOP_LSHIFT;
    case AST_OP_RSHIFT: return BINOP_RSHIFT;
    case AST_OP_BITOR: return BINOP_BITOR;
    case AST_OP_BITXOR: return BINOP_BITXOR;
    case AST_OP_BITAND: return BINOP_BITAND;
    default: abort(); // the grammar builds no other binary operator
    }
}

static CompareOp compare_op_of(int ast_op) {
    switch (ast_op) {
    case AST_OP_LT: return CMP_LT;
    case AST_OP_LE: return CMP_LE;
    case AST_OP_EQ: return CMP_EQ;
    case AST_OP_NE: return CMP_NE;
    case AST_OP_GT: return CMP_GT;
    case AST_OP_GE: return CMP_GE;
    default: abort(); // is, is not, in, not in have instructions of their own
    }
}

// A comparison, possibly chained: `a < b < c` evaluates b once and stops at the first false.  For
// every link but the last, SWAP 2 / COPY 2 keep a copy of the right operand below the result
// (b a b -> b res), and JUMP_IF_FALSE_OR_POP leaves the false result and the copy for the
// cleanup at the end, which drops the copy (SWAP 2, POP_TOP) so only the result remains.
static void compile_compare(Compiler *c, Ast *e) {
    compile_expr(c, e->a);
    int n = e->list.count;
    PatchList cleanups = {0};
    for (int i = 0; i < n; i++) {
        Ast *cmp = e->list.items[i];
        if (cmp->op == AST_OP_IN || cmp->op == AST_OP_NOT_IN) compile_container(c, cmp->a);
        else compile_expr(c, cmp->a);
        bool last = i == n - 1;
        if (!last) {
            emit(c, OP_SWAP, 2);
            emit(c, OP_COPY, 2);
        }
        switch (cmp->op) {
        case AST_OP_IS: emit(c, OP_IS_OP, 0); break;
        case AST_OP_IS_NOT: emit(c, OP_IS_OP, 1); break;
        case AST_OP_IN: emit(c, OP_CONTAINS_OP, 0); break;
        case AST_OP_NOT_IN: emit(c, OP_CONTAINS_OP, 1); break;
        default: emit(c, OP_COMPARE_OP, compare_op_of(cmp->op)); break;
        }
        if (!last) {
            cleanups.items = grow(cleanups.items, &cleanups.capacity, cleanups.count + 1, sizeof(int));
            cleanups.items[cleanups.count++] = emit(c, OP_JUMP_IF_FALSE_OR_POP, 0);
        }
    }
    if (cleanups.count) {
        int end = emit(c, OP_JUMP, 0);
        for (int i = 0; i < cleanups.count; i++) patch(c, cleanups.items[i]);
        emit(c, OP_SWAP, 2);
        emit(c, OP_POP_TOP, 0);
        patch(c, end);
    }
    free(cleanups.items);
}

// Emits the arguments of a call whose callable (and self or EMPTY) are already pushed, then the
// CALL.  `already` counts arguments pushed before (__build_class__'s function and name).  A call
// with *args or **kwargs, or with more arguments than MAX_ARGS, builds one tuple of positional
// arguments and one dict of keywords and uses CALL_FUNCTION_EX.
static void compile_call_args(Compiler *c, Ast *e, int already) {
    bool ex = has_starred(&e->list);
    for (int i = 0; i < e->list2.count; i++)
        if (!e->list2.items[i]->str) ex = true;
    if (e->list.count + e->list2.count + already > MAX_ARGS) ex = true;
    if (!ex) {
        for (int i = 0; i < e->list.count; i++) compile_expr(c, e->list.items[i]);
        if (e->list2.count) {
            ObjTuple *names = tuple_new(c->vm, (size_t)e->list2.count);
            int k = add_const(c, OBJ_VAL(names));
            for (int i = 0; i < e->list2.count; i++) {
                Ast *kw = e->list2.items[i];
                names->items[i] = str_const(c, kw->str, strlen(kw->str));
                compile_expr(c, kw->a);
            }
            emit(c, OP_KW_NAMES, k);
        }
        emit(c, OP_CALL, e->list.count + e->list2.count + already);
        return;
    }
    // f(*a, **k): positional args as one tuple, keywords as one dict.
    emit(c, OP_BUILD_LIST, 0);
    if (already) {
        // the self of a method call was pushed as an argument: move it into the list
        error_at(c, e, "%s", "internal error: star call on a method");
    }
    for (int i = 0; i < e->list.count; i++) {
        Ast *arg = e->list.items[i];
        if (arg->kind == AST_STARRED) {
            compile_expr(c, arg->a);
            // The call's only positional part (f(*x)): its error names the callee, as CPython's.
            emit(c, OP_LIST_EXTEND, e->list.count == 1 ? LIST_EXTEND_SOLE_STAR | 1 : 1);
        } else {
            compile_expr(c, arg);
            emit(c, OP_LIST_APPEND, 1);
        }
    }
    emit(c, OP_LIST_TO_TUPLE, 0);
    if (e->list2.count) {
        emit(c, OP_BUILD_MAP, 0);
        for (int i = 0; i < e->list2.count; i++) {
            Ast *kw = e->list2.items[i];
            if (kw->str) {
                emit_const(c, str_const(c, kw->str, strlen(kw->str)));
                compile_expr(c, kw->a);
                emit(c, OP_MAP_ADD, 1);
            } else {
                compile_expr(c, kw->a);
                emit(c, OP_DICT_MERGE, 1);
            }
        }
    }
    emit(c, OP_CALL_FUNCTION_EX, e->list2.count ? 1 : 0);
}

static bool is_simple_call(Ast *e) {
    if (has_starred(&e->list)) return false;
    for (int i = 0; i < e->list2.count; i++)
        if (!e->list2.items[i]->str) return false;
    return e->list.count + e->list2.count + 1 <= MAX_ARGS;
}

// obj.name(args) becomes LOAD_METHOD + CALL, which avoids making a bound method; any other call
// pushes EMPTY (PUSH_NULL) below the callable so the stack has the same shape.
static void compile_call(Compiler *c, Ast *e) {
    if (e->a->kind == AST_ATTRIBUTE && is_simple_call(e)) {
        compile_expr(c, e->a->a);
        set_pos(c, e->a);
        emit(c, OP_LOAD_METHOD, add_name(c, e->a->str));
        compile_call_args(c, e, 0);
        return;
    }
    emit(c, OP_PUSH_NULL, 0);
    compile_expr(c, e->a);
    compile_call_args(c, e, 0);
}

// Pushes a new function object for a def or lambda (defaults, kw-defaults and closure included).
// The defaults are evaluated here, once, at definition time, in the enclosing code.  MAKE_FUNCTION's
// flags say which pieces lie below the code object: 1 a tuple of defaults, 2 a dict of
// keyword-only defaults, 8 a tuple of the cells the new function closes over, taken from this
// code's own cells in the order of the inner code's free variables.
static void compile_make_function(Compiler *c, Ast *node, Ast *args, AstList *body, Ast *expr_body) {
    int flags = 0;
    if (args) {
        int ndef = 0;
        for (int i = 0; i < args->list.count; i++)
            if (args->list.items[i]->a) {
                compile_expr(c, args->list.items[i]->a);
                ndef++;
            }
        if (ndef) {
            emit(c, OP_BUILD_TUPLE, ndef);
            flags |= 1;
        }
        int nkw = 0;
        for (int i = 0; i < args->list2.count; i++) {
            Ast *arg = args->list2.items[i];
            if (!arg->a) continue;
            emit_const(c, str_const(c, arg->str, strlen(arg->str)));
            compile_expr(c, arg->a);
            nkw++;
        }
        if (nkw) {
            emit(c, OP_BUILD_MAP, nkw);
            flags |= 2;
        }
    }
    ObjCode *code = compile_scope(c, node, body, expr_body);
    if (!code) return;
    int k = add_const(c, OBJ_VAL(code));
    if (code->nfree) {
        for (int i = code->ncells - code->nfree; i < code->ncells; i++) {
            const char *name = code->cellnames[i]->chars;
            emit(c, OP_LOAD_CLOSURE, cell_slot(c, name));
        }
        emit(c, OP_BUILD_TUPLE, code->nfree);
        flags |= 8;
    }
    emit(c, OP_LOAD_CONST, k);
    emit(c, OP_MAKE_FUNCTION, flags);
}

// A comprehension is a function of its own, called at once with one argument: the iterator of its
// first `for`, which is evaluated in the enclosing scope (the rest are evaluated inside).  An
// async comprehension returns a coroutine, awaited here.
static void compile_comprehension_call(Compiler *c, Ast *e) {
    emit(c, OP_PUSH_NULL, 0);
    compile_make_function(c, e, NULL, NULL, NULL);
    compile_iterable(c, e->list.items[0]->b);
    emit(c, e->list.items[0]->flag ? OP_GET_AITER : OP_GET_ITER, 0);
    emit(c, OP_CALL, 1);
    if (e->kind != AST_GENEXP && c->scope->is_coroutine && ((Scope *)e->scope)->is_coroutine) {
        emit(c, OP_GET_AWAITABLE, 0);
        emit_const(c, NONE_VAL());
        int send = emit(c, OP_SEND, 0);
        emit(c, OP_YIELD_VALUE, 1);
        emit(c, OP_JUMP, send);
        patch(c, send);
    }
}

// An f-string: each literal part is a constant, each replacement field FORMAT_VALUE (its argument:
// the conversion 0 none, 1 !s, 2 !r, 3 !a, plus 4 when a format spec, itself an f-string, is on
// the stack above the value); BUILD_STRING joins the parts.
static void compile_fstring(Compiler *c, Ast *e) {
    int n = 0;
    for (int i = 0; i < e->list.count; i++) {
        Ast *part = e->list.items[i];
        if (part->kind == AST_STR) {
            if (part->len == 0) continue;
            emit_const(c, OBJ_VAL(str_new(c->vm, part->str, part->len)));
        } else {
            if (part->str) { // f'{x=}': the source text comes first
                emit_const(c, OBJ_VAL(str_new(c->vm, part->str, strlen(part->str))));
                n++;
            }
            compile_expr(c, part->a);
            int conv = part->ival == 's' ? 1 : part->ival == 'r' ? 2 : part->ival == 'a' ? 3 : 0;
            if (part->b) {
                compile_fstring(c, part->b);
                conv |= 4;
            }
            emit(c, OP_FORMAT_VALUE, conv);
        }
        n++;
    }
    if (n == 0) emit_const(c, OBJ_VAL(str_new(c->vm, "", 0)));
    else if (n > 1) emit(c, OP_BUILD_STRING, n);
    else if (e->list.items[0]->kind == AST_STR) {
        // a lone literal part is already a str
    }
}

// The delegation loop of await and yield from (see the conventions at the top of this file).
// SEND resumes the delegate with the value on top (None to start); while the delegate yields,
// YIELD_VALUE 1 passes each value up to our caller, and what the caller sends in comes back to
// the SEND through the JUMP.  When the delegate returns, SEND jumps to its exit with the return
// value, the value of the whole expression, in the delegate's place.
static void compile_await_value(Compiler *c) {
    emit_const(c, NONE_VAL());
    int send = emit(c, OP_SEND, 0);
    emit(c, OP_YIELD_VALUE, 1);
    emit(c, OP_JUMP, send);
    patch(c, send);
}

static void compile_expr(Compiler *c, Ast *e) {
    if (c->failed || !e) return;
    set_pos(c, e);
    switch (e->kind) {
    case AST_NAME: compile_name_op(c, e->str, CTX_LOAD); break;
    case AST_INT: emit_int_literal(c, e, false); break;
    case AST_FLOAT: emit_const(c, FLOAT_VAL(e->fval)); break;
    case AST_STR: emit_const(c, OBJ_VAL(str_new(c->vm, e->str, e->len))); break;
    case AST_BYTES: emit_const(c, OBJ_VAL(bytes_new(c->vm, e->str, e->len))); break;
    case AST_CONSTANT:
        switch (e->op) {
        case AST_CONST_NONE: emit_const(c, NONE_VAL()); break;
        case AST_CONST_TRUE: emit_const(c, BOOL_VAL(true)); break;
        case AST_CONST_FALSE: emit_const(c, BOOL_VAL(false)); break;
        default: emit_const(c, c->vm->ellipsis); break;
        }
        break;
    case AST_FSTRING: compile_fstring(c, e); break;
    case AST_BINOP:
        compile_expr(c, e->a);
        compile_expr(c, e->b);
        set_pos(c, e);
        emit(c, OP_BINARY_OP, binary_op_of(e->op));
        break;
    case AST_UNARYOP:
        // -5 is a constant in CPython too: fold it so `-9223372036854775808` works
        if (e->op == AST_OP_NEG && e->a->kind == AST_INT) {
            emit_int_literal(c, e->a, true);
            break;
        }
        if (e->op == AST_OP_NEG && e->a->kind == AST_FLOAT) {
            emit_const(c, FLOAT_VAL(-e->a->fval));
            break;
        }
        compile_expr(c, e->a);
        emit(c, e->op == AST_OP_NEG      ? OP_UNARY_NEGATIVE
                : e->op == AST_OP_POS    ? OP_UNARY_POSITIVE
                : e->op == AST_OP_INVERT ? OP_UNARY_INVERT
                                         : OP_UNARY_NOT,
             0);
        break;
    case AST_BOOLOP: {
        compile_expr(c, e->a);
        int j = emit(c, e->op == AST_OP_AND ? OP_JUMP_IF_FALSE_OR_POP : OP_JUMP_IF_TRUE_OR_POP, 0);
        compile_expr(c, e->b);
        patch(c, j);
        break;
    }
    case AST_COMPARE: compile_compare(c, e); break;
    case AST_IFEXP: {
        compile_expr(c, e->a);
        int jf = emit(c, OP_POP_JUMP_IF_FALSE, 0);
        compile_expr(c, e->b);
        int end = emit(c, OP_JUMP, 0);
        patch(c, jf);
        compile_expr(c, e->c);
        patch(c, end);
        break;
    }
    case AST_LAMBDA: compile_make_function(c, e, e->a, NULL, e->b); break;
    case AST_CALL: compile_call(c, e); break;
    case AST_ATTRIBUTE:
        compile_expr(c, e->a);
        set_pos(c, e);
        emit(c, OP_LOAD_ATTR, add_name(c, e->str));
        break;
    case AST_SUBSCRIPT:
        compile_expr(c, e->a);
        compile_expr(c, e->b);
        set_pos(c, e);
        emit(c, OP_BINARY_SUBSCR, 0);
        break;
    case AST_SLICE: {
        if (e->a) compile_expr(c, e->a); else emit_const(c, NONE_VAL());
        if (e->b) compile_expr(c, e->b); else emit_const(c, NONE_VAL());
        if (e->c) compile_expr(c, e->c);
        emit(c, OP_BUILD_SLICE, e->c ? 3 : 2);
        break;
    }
    case AST_STARRED: error_at(c, e, "%s", "can't use starred expression here"); break;
    case AST_TUPLE: compile_display(c, &e->list, OP_BUILD_TUPLE, OP_LIST_EXTEND, true); break;
    case AST_LIST: compile_display(c, &e->list, OP_BUILD_LIST, OP_LIST_EXTEND, false); break;
    case AST_SET: compile_set_display(c, e); break;
    case AST_DICT: compile_dict(c, e); break;
    case AST_LISTCOMP:
    case AST_SETCOMP:
    case AST_DICTCOMP:
    case AST_GENEXP: compile_comprehension_call(c, e); break;
    case AST_AWAIT:
        if (!c->scope->is_coroutine) {
            error_at(c, e, "%s", c->scope->kind == SCOPE_FUNCTION && !c->scope->is_comprehension
                                     ? "'await' outside async function"
                                     : "'await' outside function");
            break;
        }
        compile_expr(c, e->a);
        emit(c, OP_GET_AWAITABLE, 0);
        compile_await_value(c);
        break;
    case AST_YIELD:
        if (c->scope->kind != SCOPE_FUNCTION) {
            error_at(c, e, "%s", "'yield' outside function");
            break;
        }
        if (e->a) compile_expr(c, e->a); else emit_const(c, NONE_VAL());
        emit(c, OP_YIELD_VALUE, 0);
        break;
    case AST_YIELDFROM:
        if (c->scope->kind != SCOPE_FUNCTION) {
            error_at(c, e, "%s", "'yield' outside function");
            break;
        }
        if (c->scope->is_coroutine) {
            error_at(c, e, "%s", "'yield from' inside async function");
            break;
        }
        compile_expr(c, e->a);
        emit(c, OP_GET_YIELD_FROM_ITER, 0);
        compile_await_value(c);
        break;
    case AST_NAMEDEXPR:
        compile_expr(c, e->b);
        emit(c, OP_COPY, 1);
        compile_name_op(c, e->a->str, CTX_STORE);
        break;
    default: error_at(c, e, "invalid expression (%s)", ast_kind_name(e->kind)); break;
    }
}

// ---- assignment targets -------------------------------------------------------------------------

// a, b = x / a, *b, c = x: UNPACK_SEQUENCE n (or UNPACK_EX with the counts before and after the
// star) leaves the items on the stack with the first on top, so the targets store left to right.
static void compile_unpack(Compiler *c, Ast *t) {
    int star = -1;
    for (int i = 0; i < t->list.count; i++)
        if (t->list.items[i]->kind == AST_STARRED) {
            if (star >= 0) {
                error_at(c, t->list.items[i], "%s", "multiple starred expressions in assignment");
                return;
            }
            star = i;
        }
    if (star < 0) {
        emit(c, OP_UNPACK_SEQUENCE, t->list.count);
    } else {
        int after = t->list.count - star - 1;
        emit(c, OP_UNPACK_EX, star | (after << 8));
    }
    for (int i = 0; i < t->list.count; i++) {
        Ast *item = t->list.items[i];
        compile_target(c, item->kind == AST_STARRED ? item->a : item, CTX_STORE);
    }
}

// Stores TOS into a target (or deletes the target).
static void compile_target(Compiler *c, Ast *t, Ctx ctx) {
    set_pos(c, t);
    switch (t->kind) {
    case AST_NAME: compile_name_op(c, t->str, ctx); break;
    case AST_ATTRIBUTE:
        compile_expr(c, t->a);
        emit(c, ctx == CTX_STORE ? OP_STORE_ATTR : OP_DELETE_ATTR, add_name(c, t->str));
        break;
    case AST_SUBSCRIPT:
        compile_expr(c, t->a);
        compile_expr(c, t->b);
        emit(c, ctx == CTX_STORE ? OP_STORE_SUBSCR : OP_DELETE_SUBSCR, 0);
        break;
    case AST_TUPLE:
    case AST_LIST:
        if (ctx == CTX_DEL) {
            for (int i = 0; i < t->list.count; i++) compile_target(c, t->list.items[i], CTX_DEL);
        } else {
            compile_unpack(c, t);
        }
        break;
    default: error_at(c, t, "%s", "cannot assign to expression"); break;
    }
}

// x OP= v.  The target's container and key are evaluated once: COPY keeps them for the store,
// and SWAPs bring them back above the result (for obj[key]: obj key -> obj key obj key -> obj key
// old -> obj key new -> new obj key, which STORE_SUBSCR takes).
static void compile_augassign(Compiler *c, Ast *s) {
    Ast *t = s->a;
    int op = binary_op_of(s->op) + BINOP_INPLACE;
    switch (t->kind) {
    case AST_NAME:
        compile_name_op(c, t->str, CTX_LOAD);
        compile_expr(c, s->b);
        set_pos(c, s);
        emit(c, OP_BINARY_OP, op);
        compile_name_op(c, t->str, CTX_STORE);
        break;
    case AST_ATTRIBUTE:
        compile_expr(c, t->a);
        emit(c, OP_COPY, 1);
        emit(c, OP_LOAD_ATTR, add_name(c, t->str));
        compile_expr(c, s->b);
        set_pos(c, s);
        emit(c, OP_BINARY_OP, op);
        emit(c, OP_SWAP, 2);
        emit(c, OP_STORE_ATTR, add_name(c, t->str));
        break;
    case AST_SUBSCRIPT:
        compile_expr(c, t->a);
        compile_expr(c, t->b);
        emit(c, OP_COPY, 2);
        emit(c, OP_COPY, 2);
        emit(c, OP_BINARY_SUBSCR, 0);
        compile_expr(c, s->b);
        set_pos(c, s);
        emit(c, OP_BINARY_OP, op);
        emit(c, OP_SWAP, 3);
        emit(c, OP_SWAP, 2);
        emit(c, OP_STORE_SUBSCR, 0);
        break;
    default: error_at(c, t, "%s", "illegal expression for augmented assignment"); break;
    }
}

// ---- blocks and unwinding -----------------------------------------------------------------------

// How much of CPython's block limit a block uses: CPython opens two blocks for an except or
// except* handler body (the handler and its cleanup), one for everything else.
static int block_weight(FBlockKind kind) { return kind == FB_HANDLER || kind == FB_STAR_HANDLER ? 2 : 1; }

static void error_at_line(Compiler *c, const Ast *node, const char *msg);

// Opens a block for `node`; past CPython's limit (MAX_BLOCKS, counted as CPython counts) that is
// "too many statically nested blocks", reported at node with the caret to the end of its line.
// Every push is matched by a pop whatever happens, so the stack stays balanced after an error.
static FBlock *push_fblock(Compiler *c, FBlockKind kind, int start, const Ast *node) {
    static FBlock scratch;
    c->block_nesting += block_weight(kind);
    if (c->block_nesting > MAX_BLOCKS) error_at_line(c, node, "too many statically nested blocks");
    FBlock *fb = &scratch;
    if (c->nfblocks < MAX_FBLOCKS) fb = &c->fblocks[c->nfblocks++];
    else c->fblocks_dropped++;
    memset(fb, 0, sizeof *fb);
    fb->kind = kind;
    fb->start = start;
    return fb;
}

// Closes the innermost block, handing back a copy (a loop's caller patches its breaks).
static FBlock pop_fblock_keep(Compiler *c) {
    FBlock fb = {0};
    if (c->fblocks_dropped > 0) {
        c->fblocks_dropped--;
        c->block_nesting--;
        return fb;
    }
    fb = c->fblocks[--c->nfblocks];
    c->block_nesting -= block_weight(fb.kind);
    return fb;
}

static void pop_fblock(Compiler *c) {
    FBlock fb = pop_fblock_keep(c);
    free(fb.breaks.items);
}

static void unwind_blocks(Compiler *c, bool preserve_tos, bool to_loop, int *loop_at);
static void compile_stmts(Compiler *c, AstList *body);

// Emits what leaving one block early needs (the block is already off the stack, so a finally
// body compiled here sees only the blocks around it).  With preserve_tos a return value sits on
// top and stays there.
static void unwind_fblock(Compiler *c, FBlock *fb, bool preserve_tos) {
    switch (fb->kind) {
    case FB_WHILE: break;
    case FB_FOR:
        if (preserve_tos) emit(c, OP_SWAP, 2);
        emit(c, OP_POP_TOP, 0);
        break;
    case FB_TRY:
    case FB_STAR_HANDLER: emit(c, OP_POP_BLOCK, 0); break;
    case FB_FINALLY_TRY:
        emit(c, OP_POP_BLOCK, 0);
        // A return value waits below while the finally body runs; a break, continue or return
        // in that body drops it (FB_POP_VALUE), as the body's own outcome wins.
        if (preserve_tos) push_fblock(c, FB_POP_VALUE, 0, NULL);
        compile_stmts(c, fb->finally);
        if (preserve_tos) pop_fblock(c);
        break;
    case FB_POP_VALUE:
        if (preserve_tos) emit(c, OP_SWAP, 2);
        emit(c, OP_POP_TOP, 0);
        break;
    case FB_FINALLY_END:
    case FB_HANDLER:
        // stack: prev exc [value]; a cleanup block is active
        emit(c, OP_POP_BLOCK, 0);
        if (preserve_tos) {
            emit(c, OP_SWAP, 2);  // prev value exc
            emit(c, OP_POP_TOP, 0);
            emit(c, OP_SWAP, 2);  // value prev
        } else {
            emit(c, OP_POP_TOP, 0);
        }
        emit(c, OP_POP_EXCEPT, 0);
        if (fb->name) {
            emit_const(c, NONE_VAL());
            compile_name_op(c, fb->name, CTX_STORE);
            compile_name_op(c, fb->name, CTX_DEL);
        }
        break;
    case FB_WITH:
    case FB_ASYNC_WITH:
        emit(c, OP_POP_BLOCK, 0);
        if (preserve_tos) emit(c, OP_SWAP, 2);
        if (fb->kind == FB_ASYNC_WITH) {
            // exit is an async method: call it and await the result
            emit(c, OP_WITH_EXIT, 1);
            emit(c, OP_GET_AWAITABLE, 0);
            compile_await_value(c);
            emit(c, OP_POP_TOP, 0);
        } else {
            emit(c, OP_WITH_EXIT, 0);
        }
        break;
    }
}

// Emits the exits of the open blocks, innermost first: all of them (return), or those inside the
// innermost loop (break, continue; *loop_at is then that loop's index, or -1 if there is none).
// Each block is taken off the stack while its exit is emitted and put back afterwards.
static void unwind_blocks(Compiler *c, bool preserve_tos, bool to_loop, int *loop_at) {
    if (c->nfblocks == 0 || c->failed) {
        if (loop_at) *loop_at = -1;
        return;
    }
    FBlock *top = &c->fblocks[c->nfblocks - 1];
    if (to_loop && (top->kind == FB_WHILE || top->kind == FB_FOR)) {
        *loop_at = c->nfblocks - 1;
        return;
    }
    FBlock saved = *top;
    c->nfblocks--;
    c->block_nesting -= block_weight(saved.kind);
    unwind_fblock(c, &saved, preserve_tos);
    unwind_blocks(c, preserve_tos, to_loop, loop_at);
    c->fblocks[c->nfblocks++] = saved;
    c->block_nesting += block_weight(saved.kind);
}

// break and continue: CPython 3.11 rejects them in an except* body before anything else.
static FBlock *unwind_to_loop(Compiler *c, Ast *at, const char *what) {
    int i = c->nfblocks - 1;
    for (; i >= 0; i--) {
        FBlockKind k = c->fblocks[i].kind;
        if (k == FB_WHILE || k == FB_FOR) break;
        if (k == FB_STAR_HANDLER) {
            error_at(c, at, "%s", "'break', 'continue' and 'return' cannot appear in an except* block");
            c->err->end_col = at->col + (at->kind == AST_BREAK ? 5 : 8); // the whole keyword
            return NULL;
        }
    }
    if (i < 0) {
        error_at(c, at, "%s", what);
        return NULL;
    }
    int loop_at = -1;
    unwind_blocks(c, false, true, &loop_at);
    if (c->failed || loop_at < 0) return NULL;
    return &c->fblocks[loop_at];
}

// ---- statements ---------------------------------------------------------------------------------

static void compile_stmt(Compiler *c, Ast *s);

static void compile_stmts(Compiler *c, AstList *body) {
    if (!body) return;
    for (int i = 0; i < body->count && !c->failed; i++) compile_stmt(c, body->items[i]);
}

// if/else: the test's false branch jumps past the body (and the body jumps past the else).
static void compile_if(Compiler *c, Ast *s) {
    compile_expr(c, s->a);
    int jf = emit(c, OP_POP_JUMP_IF_FALSE, 0);
    compile_stmts(c, &s->list);
    if (s->list2.count) {
        int end = emit(c, OP_JUMP, 0);
        patch(c, jf);
        compile_stmts(c, &s->list2);
        patch(c, end);
    } else {
        patch(c, jf);
    }
}

static void patch_breaks(Compiler *c, FBlock *fb) {
    for (int i = 0; i < fb->breaks.count; i++) patch(c, fb->breaks.items[i]);
}

// while/else: the test at the top, a JUMP back at the end of the body.  The else body runs when
// the test fails; break jumps past it (the loop's breaks are patched after it).
static void compile_while(Compiler *c, Ast *s) {
    int top = here(c);
    compile_expr(c, s->a);
    int exit = emit(c, OP_POP_JUMP_IF_FALSE, 0);
    push_fblock(c, FB_WHILE, top, s);
    compile_stmts(c, &s->list);
    emit(c, OP_JUMP, top);
    FBlock fb = pop_fblock_keep(c);
    patch(c, exit);
    compile_stmts(c, &s->list2);
    patch_breaks(c, &fb);
    free(fb.breaks.items);
}

// for target in iterable: GET_ITER, then FOR_ITER at the top of the loop pushes the next item or,
// when the iterator is exhausted, pops it and jumps to the exit.  The iterator stays on the stack
// for the whole loop (so break pops it).  async for awaits __anext__ inside a SETUP_FINALLY whose
// handler, END_ASYNC_FOR, ends the loop on StopAsyncIteration and re-raises anything else.
static void compile_for(Compiler *c, Ast *s) {
    if (s->flag) {
        // async for: the iterator's __anext__ is awaited; StopAsyncIteration ends the loop
        if (!c->scope->is_coroutine) {
            error_at(c, s, "%s", "'async for' outside async function");
            return;
        }
        compile_expr(c, s->b);
        emit(c, OP_GET_AITER, 0);
        int top = here(c);
        int setup = emit(c, OP_SETUP_FINALLY, 0);
        emit(c, OP_GET_ANEXT, 0);
        compile_await_value(c);
        emit(c, OP_POP_BLOCK, 0);
        compile_target(c, s->a, CTX_STORE);
        push_fblock(c, FB_FOR, top, s);
        compile_stmts(c, &s->list);
        emit(c, OP_JUMP, top);
        FBlock fb = pop_fblock_keep(c);
        patch(c, setup);
        emit(c, OP_END_ASYNC_FOR, 0);
        compile_stmts(c, &s->list2);
        patch_breaks(c, &fb);
        free(fb.breaks.items);
        return;
    }
    compile_iterable(c, s->b);
    emit(c, OP_GET_ITER, 0);
    int top = here(c);
    int exit = emit(c, OP_FOR_ITER, 0);
    compile_target(c, s->a, CTX_STORE);
    push_fblock(c, FB_FOR, top, s);
    compile_stmts(c, &s->list);
    emit(c, OP_JUMP, top);
    FBlock fb = pop_fblock_keep(c);
    patch(c, exit);
    compile_stmts(c, &s->list2);
    patch_breaks(c, &fb);
    free(fb.breaks.items);
}

// The end of a handler that lets its exception go on: with `prev exc` on the stack, makes prev
// the handled exception again (POP_EXCEPT) and raises exc further.
static void emit_restore_and_reraise(Compiler *c) {
    emit(c, OP_SWAP, 2);
    emit(c, OP_POP_EXCEPT, 0);
    emit(c, OP_RERAISE, 0);
}

// The shared tail of every exception handler: an exception raised inside it is re-raised after
// the handled-exception state is restored.  Stack on entry: prev exc exc2.
static void emit_cleanup_handler(Compiler *c) {
    emit(c, OP_SWAP, 2);
    emit(c, OP_POP_TOP, 0);
    emit_restore_and_reraise(c);
}

// try/except/else.  The layout:
//     SETUP_FINALLY handlers; body; POP_BLOCK; else-body; JUMP end
//   handlers:                      stack: exc
//     PUSH_EXC_INFO                stack: prev exc (exc is now the handled exception)
//     SETUP_FINALLY cleanup        an exception inside a handler must still restore prev
//     per clause: match the type (CHECK_EXC_MATCH), bind `as` name, body, POP_BLOCK, POP_TOP,
//                 POP_EXCEPT, delete the name, JUMP end
//     no clause matched: POP_BLOCK, restore prev (POP_EXCEPT), RERAISE exc
//   cleanup: restore prev and re-raise the new exception (emit_cleanup_handler)
static void compile_try_except(Compiler *c, Ast *s) {
    int setup = emit(c, OP_SETUP_FINALLY, 0);
    push_fblock(c, FB_TRY, 0, s);
    compile_stmts(c, &s->list);
    pop_fblock(c);
    emit(c, OP_POP_BLOCK, 0);
    compile_stmts(c, &s->list3); // else
    int to_end = emit(c, OP_JUMP, 0);
    PatchList ends = {0};

    patch(c, setup);
    emit(c, OP_PUSH_EXC_INFO, 0); // prev exc
    int cleanup = emit(c, OP_SETUP_FINALLY, 0);
    for (int i = 0; i < s->list2.count && !c->failed; i++) {
        Ast *h = s->list2.items[i];
        set_pos(c, h);
        if (!h->a && i != s->list2.count - 1) {
            error_at(c, h, "%s", "default 'except:' must be last");
            break;
        }
        int next = -1;
        if (h->a) {
            compile_expr(c, h->a);
            emit(c, s->flag ? OP_CHECK_EG_MATCH : OP_CHECK_EXC_MATCH, 0);
            next = emit(c, OP_POP_JUMP_IF_FALSE, 0);
        }
        if (h->str) {
            emit(c, OP_COPY, 1);
            compile_name_op(c, h->str, CTX_STORE);
        }
        FBlock *fb = push_fblock(c, FB_HANDLER, 0, h);
        fb->name = h->str;
        compile_stmts(c, &h->list);
        pop_fblock(c);
        emit(c, OP_POP_BLOCK, 0);
        emit(c, OP_POP_TOP, 0);
        emit(c, OP_POP_EXCEPT, 0);
        if (h->str) {
            emit_const(c, NONE_VAL());
            compile_name_op(c, h->str, CTX_STORE);
            compile_name_op(c, h->str, CTX_DEL);
        }
        ends.items = grow(ends.items, &ends.capacity, ends.count + 1, sizeof(int));
        ends.items[ends.count++] = emit(c, OP_JUMP, 0);
        if (next >= 0) patch(c, next);
    }
    // No handler matched: restore the previous exception and re-raise.
    emit(c, OP_POP_BLOCK, 0);
    emit_restore_and_reraise(c);
    patch(c, cleanup);
    emit_cleanup_handler(c);
    patch(c, to_end);
    for (int i = 0; i < ends.count; i++) patch(c, ends.items[i]);
    free(ends.items);
}

// try/except*: each clause takes the part of the exception group its type matches; what no
// clause took, and whatever the handlers raised, is raised again at the end.
// Stack in the handler: prev orig raised_list rest.
static void compile_try_star(Compiler *c, Ast *s) {
    int setup = emit(c, OP_SETUP_FINALLY, 0);
    push_fblock(c, FB_TRY, 0, s);
    compile_stmts(c, &s->list);
    pop_fblock(c);
    emit(c, OP_POP_BLOCK, 0);
    compile_stmts(c, &s->list3); // else
    int to_end = emit(c, OP_JUMP, 0);

    patch(c, setup);
    emit(c, OP_PUSH_EXC_INFO, 0);         // prev orig
    int cleanup = emit(c, OP_SETUP_FINALLY, 0);
    emit(c, OP_BUILD_LIST, 0);            // prev orig raised
    emit(c, OP_COPY, 2);                  // prev orig raised rest
    for (int i = 0; i < s->list2.count && !c->failed; i++) {
        Ast *h = s->list2.items[i];
        set_pos(c, h);
        compile_expr(c, h->a);
        emit(c, OP_CHECK_EG_MATCH, 0);    // ... rest match
        emit(c, OP_COPY, 1);
        int no_match = emit(c, OP_POP_JUMP_IF_NONE, 0);
        if (h->str) compile_name_op(c, h->str, CTX_STORE);
        else emit(c, OP_POP_TOP, 0);      // ... rest
        int body = emit(c, OP_SETUP_FINALLY, 0);
        push_fblock(c, FB_STAR_HANDLER, 0, h);
        compile_stmts(c, &h->list);
        pop_fblock(c);
        emit(c, OP_POP_BLOCK, 0);
        int next = emit(c, OP_JUMP, 0);
        patch(c, body);                   // ... rest exc2: keep it for the end
        emit(c, OP_LIST_APPEND, 2);
        int next2 = emit(c, OP_JUMP, 0);
        patch(c, no_match);               // ... rest None
        emit(c, OP_POP_TOP, 0);
        patch(c, next);
        patch(c, next2);
        if (h->str) {
            emit_const(c, NONE_VAL());
            compile_name_op(c, h->str, CTX_STORE);
            compile_name_op(c, h->str, CTX_DEL);
        }
    }
    emit(c, OP_PREP_RERAISE_STAR, 0);     // prev orig_slot result
    emit(c, OP_POP_BLOCK, 0);
    emit(c, OP_COPY, 1);
    int handled = emit(c, OP_POP_JUMP_IF_NONE, 0);
    emit_restore_and_reraise(c);
    patch(c, handled);
    emit(c, OP_POP_TOP, 0);
    emit(c, OP_POP_EXCEPT, 0);
    int done = emit(c, OP_JUMP, 0);
    patch(c, cleanup);
    emit_cleanup_handler(c);
    patch(c, to_end);
    patch(c, done);
}

// try with a finally: the finally body is emitted twice.  Once inline, for leaving the try
// normally; once as the handler (FB_FINALLY_END), which runs it with the exception held below
// and re-raises it afterwards.  break / continue / return inside the try emit it a third time
// on their way out (unwind_fblock).
static void compile_try(Compiler *c, Ast *s) {
    if (s->flag && !s->list4.count) {
        compile_try_star(c, s);
        return;
    }
    if (!s->list4.count) {
        compile_try_except(c, s);
        return;
    }
    // try/finally around (try/except if there are handlers)
    int setup = emit(c, OP_SETUP_FINALLY, 0);
    FBlock *fb = push_fblock(c, FB_FINALLY_TRY, 0, s);
    fb->finally = &s->list4;
    if (s->list2.count && s->flag) compile_try_star(c, s);
    else if (s->list2.count) compile_try_except(c, s);
    else compile_stmts(c, &s->list);
    pop_fblock(c);
    emit(c, OP_POP_BLOCK, 0);
    compile_stmts(c, &s->list4);
    int end = emit(c, OP_JUMP, 0);
    patch(c, setup);
    emit(c, OP_PUSH_EXC_INFO, 0);
    int cleanup = emit(c, OP_SETUP_FINALLY, 0);
    push_fblock(c, FB_FINALLY_END, 0, s);
    compile_stmts(c, &s->list4);
    pop_fblock(c);
    emit(c, OP_POP_BLOCK, 0);
    emit_restore_and_reraise(c);
    patch(c, cleanup);
    emit_cleanup_handler(c);
    patch(c, end);
}

// `with a as x, b as y:` is compiled as nested withs, one item per call.  SETUP_WITH calls
// __enter__, leaves the bound __exit__ on the stack, and opens a block whose handler calls
// __exit__(type, exc, tb) (WITH_EXCEPT_START); a true result swallows the exception.  A normal
// exit calls __exit__(None, None, None) (WITH_EXIT).  The async form awaits both calls.
static void compile_with_items(Compiler *c, Ast *s, int index) {
    Ast *item = s->list.items[index];
    bool is_async = s->flag;
    set_pos(c, item);
    compile_expr(c, item->a);
    int setup;
    if (is_async) {
        // The result of __aenter__ is stored before the block is set up, so the block's depth
        // covers just `exit`, as SETUP_WITH's does.
        emit(c, OP_BEFORE_ASYNC_WITH, 0); // exit awaitable
        emit(c, OP_GET_AWAITABLE, 0);
        compile_await_value(c);           // exit enter_result
        if (item->b) compile_target(c, item->b, CTX_STORE);
        else emit(c, OP_POP_TOP, 0);
        setup = emit(c, OP_SETUP_FINALLY, 0);
    } else {
        setup = emit(c, OP_SETUP_WITH, 0);
        if (item->b) compile_target(c, item->b, CTX_STORE);
        else emit(c, OP_POP_TOP, 0);
    }
    push_fblock(c, is_async ? FB_ASYNC_WITH : FB_WITH, 0, s);
    if (index + 1 < s->list.count) compile_with_items(c, s, index + 1);
    else compile_stmts(c, &s->list2);
    pop_fblock(c);
    emit(c, OP_POP_BLOCK, 0);
    if (is_async) {
        emit(c, OP_WITH_EXIT, 1);
        emit(c, OP_GET_AWAITABLE, 0);
        compile_await_value(c);
        emit(c, OP_POP_TOP, 0);
    } else {
        emit(c, OP_WITH_EXIT, 0);
    }
    int end = emit(c, OP_JUMP, 0);
    patch(c, setup);
    // stack: exit exc
    emit(c, OP_PUSH_EXC_INFO, 0); // exit prev exc
    int cleanup = emit(c, OP_SETUP_FINALLY, 0);
    emit(c, OP_WITH_EXCEPT_START, 0); // exit prev exc result
    if (is_async) {
        emit(c, OP_GET_AWAITABLE, 0);
        compile_await_value(c);
    }
    int suppress = emit(c, OP_POP_JUMP_IF_TRUE, 0);
    emit(c, OP_POP_BLOCK, 0);
    emit_restore_and_reraise(c);
    patch(c, suppress);
    emit(c, OP_POP_BLOCK, 0);
    emit(c, OP_POP_TOP, 0);
    emit(c, OP_POP_EXCEPT, 0);
    emit(c, OP_POP_TOP, 0);
    int end2 = emit(c, OP_JUMP, 0);
    patch(c, cleanup);
    emit_cleanup_handler(c);
    patch(c, end);
    patch(c, end2);
}

// import a.b.c binds `a` (IMPORT_NAME returns the top package when there is no from-list);
// import a.b.c as d walks down to c with LOAD_ATTR and binds that.
static void compile_import(Compiler *c, Ast *s) {
    for (int i = 0; i < s->list.count; i++) {
        Ast *alias = s->list.items[i];
        emit_const(c, NONE_VAL());
        emit(c, OP_IMPORT_NAME, add_name(c, alias->str));
        if (alias->str2) {
            // import a.b.c as d: d is the innermost module
            const char *p = strchr(alias->str, '.');
            while (p) {
                const char *q = strchr(p + 1, '.');
                size_t n = q ? (size_t)(q - p - 1) : strlen(p + 1);
                char *part = malloc(n + 1);
                memcpy(part, p + 1, n);
                part[n] = 0;
                emit(c, OP_LOAD_ATTR, add_name(c, part));
                free(part);
                p = q;
            }
            compile_name_op(c, alias->str2, CTX_STORE);
        } else {
            const char *dot = strchr(alias->str, '.');
            if (dot) {
                char *top = malloc((size_t)(dot - alias->str) + 1);
                memcpy(top, alias->str, (size_t)(dot - alias->str));
                top[dot - alias->str] = 0;
                // the name must outlive this call: intern it through the names table
                int k = add_name(c, top);
                free(top);
                compile_name_op(c, c->names[k]->chars, CTX_STORE);
            } else {
                compile_name_op(c, alias->str, CTX_STORE);
            }
        }
    }
}

// from m import x, y: IMPORT_NAME gets the from-list as a constant tuple (so the module itself,
// not its top package, comes back), then IMPORT_FROM reads each name off the module, which stays
// on the stack until the last one is bound.
static void compile_import_from(Compiler *c, Ast *s) {
    ObjTuple *fromlist = tuple_new(c->vm, (size_t)s->list.count);
    int k = add_const(c, OBJ_VAL(fromlist));
    for (int i = 0; i < s->list.count; i++)
        fromlist->items[i] = str_const(c, s->list.items[i]->str, strlen(s->list.items[i]->str));
    emit(c, OP_LOAD_CONST, k);
    emit(c, OP_IMPORT_NAME, add_name(c, s->str ? s->str : ""));
    if (s->list.count == 1 && strcmp(s->list.items[0]->str, "*") == 0) {
        if (c->scope->kind != SCOPE_MODULE) {
            error_at(c, s, "%s", "import * only allowed at module level");
            return;
        }
        emit(c, OP_IMPORT_STAR, 0);
        return;
    }
    for (int i = 0; i < s->list.count; i++) {
        Ast *alias = s->list.items[i];
        emit(c, OP_IMPORT_FROM, add_name(c, alias->str));
        compile_name_op(c, alias->str2 ? alias->str2 : alias->str, CTX_STORE);
    }
    emit(c, OP_POP_TOP, 0);
}

// Decorators are evaluated before the function they decorate (top to bottom), each with an EMPTY
// below it so that, once the function is on the stack, each CALL 1 applies the innermost
// decorator first.
static void compile_decorated(Compiler *c, AstList *decorators) {
    for (int i = 0; i < decorators->count; i++) {
        emit(c, OP_PUSH_NULL, 0);
        compile_expr(c, decorators->items[i]);
    }
}

static void apply_decorators(Compiler *c, AstList *decorators) {
    for (int i = 0; i < decorators->count; i++) emit(c, OP_CALL, 1);
}

// class C(B): body -> C = __build_class__(<function running body>, "C", B), decorated.  The body
// is a function of its own whose code has CODE_MODULE: it runs with a dict as its namespace (see
// build_class in runtime/class.c).
static void compile_class(Compiler *c, Ast *s) {
    compile_decorated(c, &s->list3);
    emit(c, OP_PUSH_NULL, 0);
    emit(c, OP_LOAD_BUILD_CLASS, 0);
    compile_make_function(c, s, NULL, &s->list2, NULL);
    emit_const(c, OBJ_VAL(str_new(c->vm, s->str, strlen(s->str))));
    Ast call = {0};
    call.kind = AST_CALL;
    call.list = s->list;
    call.list2 = s->list4;
    // bases and keywords follow the function and the name
    bool ex = has_starred(&s->list);
    for (int i = 0; i < s->list4.count; i++)
        if (!s->list4.items[i]->str) ex = true;
    if (ex) {
        error_at(c, s, "%s", "star arguments in a class statement are not supported");
        return;
    }
    compile_call_args(c, &call, 2);
    apply_decorators(c, &s->list3);
    compile_name_op(c, s->str, CTX_STORE);
}

// return v: the value is computed first, then every open block is unwound with the value kept on
// top (finally bodies run, with-statements exit, loop iterators are dropped), then RETURN_VALUE.
static void compile_return(Compiler *c, Ast *s) {
    if (c->scope->kind != SCOPE_FUNCTION || c->scope->is_comprehension) {
        error_at(c, s, "%s", "'return' outside function");
        return;
    }
    if (s->a && c->scope->is_coroutine && c->scope->is_generator) {
        error_at(c, s, "%s", "'return' with value in async generator");
        return;
    }
    for (int i = c->nfblocks - 1; i >= 0; i--)
        if (c->fblocks[i].kind == FB_STAR_HANDLER) {
            // CPython points at a constant returned value, else at the whole statement
            bool constant = s->a && (s->a->kind == AST_INT || s->a->kind == AST_FLOAT || s->a->kind == AST_STR ||
                                     s->a->kind == AST_BYTES || s->a->kind == AST_CONSTANT);
            error_at_line(c, constant ? s->a : s, "'break', 'continue' and 'return' cannot appear in an except* block");
            if (!s->a) c->err->end_col = s->col + 6;
            return;
        }
    if (s->a) compile_expr(c, s->a); else emit_const(c, NONE_VAL());
    unwind_blocks(c, true, false, NULL);
    emit(c, OP_RETURN_VALUE, 0);
}

static void compile_stmt(Compiler *c, Ast *s) {
    if (c->failed) return;
    set_pos(c, s);
    switch (s->kind) {
    case AST_EXPR:
        compile_expr(c, s->a);
        emit(c, c->interactive ? OP_PRINT_EXPR : OP_POP_TOP, 0);
        break;
    case AST_ASSIGN: // a = b = v: v once, a copy for every target but the last, stored left to right
        compile_expr(c, s->a);
        for (int i = 0; i < s->list.count; i++) {
            if (i < s->list.count - 1) emit(c, OP_COPY, 1);
            compile_target(c, s->list.items[i], CTX_STORE);
        }
        break;
    case AST_AUGASSIGN: compile_augassign(c, s); break;
    case AST_ANNASSIGN:
        if (s->c) {
            compile_expr(c, s->c);
            compile_target(c, s->a, CTX_STORE);
        }
        break;
    case AST_DELETE:
        for (int i = 0; i < s->list.count; i++) compile_target(c, s->list.items[i], CTX_DEL);
        break;
    case AST_PASS: break;
    case AST_IF: compile_if(c, s); break;
    case AST_WHILE: compile_while(c, s); break;
    case AST_FOR: compile_for(c, s); break;
    case AST_BREAK: {
        FBlock *loop = unwind_to_loop(c, s, "'break' outside loop");
        if (!loop) break;
        if (loop->kind == FB_FOR) emit(c, OP_POP_TOP, 0);
        loop->breaks.items = grow(loop->breaks.items, &loop->breaks.capacity, loop->breaks.count + 1,
                                  sizeof(int));
        loop->breaks.items[loop->breaks.count++] = emit(c, OP_JUMP, 0);
        break;
    }
    case AST_CONTINUE: {
        FBlock *loop = unwind_to_loop(c, s, "'continue' not properly in loop");
        if (loop) emit(c, OP_JUMP, loop->start);
        break;
    }
    case AST_RETURN: compile_return(c, s); break;
    case AST_RAISE:
        if (s->a) compile_expr(c, s->a);
        if (s->b) compile_expr(c, s->b);
        emit(c, OP_RAISE_VARARGS, s->a ? (s->b ? 2 : 1) : 0);
        break;
    case AST_TRY: compile_try(c, s); break;
    case AST_WITH:
        if (s->flag && !c->scope->is_coroutine) {
            error_at(c, s, "%s", "'async with' outside async function");
            break;
        }
        compile_with_items(c, s, 0);
        break;
    case AST_ASSERT: {
        compile_expr(c, s->a);
        int ok = emit(c, OP_POP_JUMP_IF_TRUE, 0);
        if (s->b) {
            emit(c, OP_PUSH_NULL, 0);
            emit(c, OP_LOAD_ASSERTION_ERROR, 0);
            compile_expr(c, s->b);
            emit(c, OP_CALL, 1);
        } else {
            emit(c, OP_LOAD_ASSERTION_ERROR, 0);
        }
        emit(c, OP_RAISE_VARARGS, 1);
        patch(c, ok);
        break;
    }
    case AST_IMPORT: compile_import(c, s); break;
    case AST_IMPORTFROM: compile_import_from(c, s); break;
    case AST_GLOBAL:
    case AST_NONLOCAL: break;
    case AST_FUNCTIONDEF:
        compile_decorated(c, &s->list2);
        compile_make_function(c, s, s->a, &s->list, NULL);
        apply_decorators(c, &s->list2);
        compile_name_op(c, s->str, CTX_STORE);
        break;
    case AST_CLASSDEF: compile_class(c, s); break;
    default: error_at(c, s, "unsupported statement (%s)", ast_kind_name(s->kind)); break;
    }
}

// ---- the flow pass: stack size and block depth --------------------------------------------------

// How an instruction changes the stack depth, for the flow pass; `jump` asks for the effect on
// the jump's target path, which differs for conditional jumps and handlers (SETUP_FINALLY's
// handler starts with the exception pushed; FOR_ITER's exit has popped the iterator).  Fixed
// effects come from the table in opcodes.h; those that depend on the argument are computed here.
static int stack_effect(uint32_t word, bool jump) {
    OpCode op = (OpCode)(word & 0xFF);
    int arg = (int)(word >> 8);
    switch (op) {
    case OP_CALL: return -(arg + 1);
    case OP_CALL_FUNCTION_EX: return -(2 + (arg & 1));
    case OP_BUILD_SLICE: return -(arg - 1);
    case OP_BUILD_TUPLE:
    case OP_BUILD_LIST:
    case OP_BUILD_SET:
    case OP_BUILD_STRING: return 1 - arg;
    case OP_BUILD_MAP: return 1 - 2 * arg;
    case OP_FORMAT_VALUE: return (arg & 4) ? -1 : 0;
    case OP_UNPACK_SEQUENCE: return arg - 1;
    case OP_UNPACK_EX: return (arg & 0xFF) + (arg >> 8);
    case OP_MAKE_FUNCTION: return -((arg & 1) + ((arg >> 1) & 1) + ((arg >> 3) & 1));
    case OP_RAISE_VARARGS: return -arg;
    case OP_FOR_ITER: return jump ? -1 : 1;
    case OP_SEND: return jump ? -1 : 0;
    case OP_JUMP_IF_FALSE_OR_POP:
    case OP_JUMP_IF_TRUE_OR_POP: return jump ? 0 : -1;
    case OP_SETUP_FINALLY: return jump ? 1 : 0;
    case OP_SETUP_WITH: return 1; // mgr -> exit result; the handler gets exit exc
    case OP_WITH_EXIT: return arg ? 0 : -1; // async: the awaitable stays
    default: break;
    }
#define OP_EFFECT(name, effect, kind) case OP_##name: return effect;
    switch (op) { OPCODES(OP_EFFECT) default: return 0; }
#undef OP_EFFECT
}

// Whether the next word can run after op: not after an unconditional jump, a return or a raise.
static bool falls_through(OpCode op) {
    return op != OP_JUMP && op != OP_RETURN_VALUE && op != OP_RERAISE && op != OP_RAISE_VARARGS;
}

// The flow pass walks every path through the code once, from the entry and from every jump and
// handler target, carrying the stack depth and the number of active blocks.  Every word must be
// reached with one state whatever the path (the compiler guarantees it); a word reached twice
// with different states is a compiler bug, reported at once in AIO_DEBUG builds.  The states are
// kept in `flow` (one per word, depth -1 where no path leads) for the debug VM's checks.
static void flow_merge(Compiler *c, FlowCheck *flow, int at, FlowCheck st, int *work, int *nwork) {
    if (flow[at].depth < 0) {
        flow[at] = st;
        work[(*nwork)++] = at;
        return;
    }
#ifdef AIO_DEBUG
    if (flow[at].depth != st.depth || flow[at].blocks != st.blocks) {
        fprintf(stderr, "aio compiler: word %d reached with stack depth %d and %d blocks, and also %d and %d\n",
                at, flow[at].depth, flow[at].blocks, st.depth, st.blocks);
        abort();
    }
#else
    (void)c;
#endif
}

// The flow pass proper: a worklist of words whose entry state is known.  A run of straight-line
// words is followed until it jumps away, ends, or reaches a word already visited (whose state
// must then agree).  The result fixes the frame's size (frame_size_for in frame.h).
static void compute_sizes(Compiler *c, int *stacksize, int *maxblocks, FlowCheck **flow_out) {
    int n = c->nwords;
    FlowCheck *flow = malloc(sizeof(FlowCheck) * (size_t)(n + 1));
    int *work = malloc(sizeof(int) * (size_t)(n + 1));
    if (!flow || !work) abort();
    for (int i = 0; i <= n; i++) flow[i] = (FlowCheck){-1, 0};
    int nwork = 0, maxd = 0, maxb = 0;
    flow_merge(c, flow, 0, (FlowCheck){0, 0}, work, &nwork);
    while (nwork) {
        int i = work[--nwork];
        if (i >= n) continue; // a jump to the very end
        FlowCheck st = flow[i];
        for (;;) {
            uint32_t w = c->words[i];
            OpCode op = (OpCode)(w & 0xFF);
            if (op_is_jump(op)) {
                int target = (int)(w >> 8);
                FlowCheck to = {st.depth + stack_effect(w, true), st.blocks};
                if (op == OP_SETUP_WITH) to.depth = st.depth + 1;
                if (to.depth > maxd) maxd = to.depth;
                if (target <= n) flow_merge(c, flow, target, to, work, &nwork);
            }
            if (op == OP_SETUP_FINALLY || op == OP_SETUP_WITH) st.blocks++;
            if (op == OP_POP_BLOCK) st.blocks--;
            if (st.blocks > maxb) maxb = st.blocks;
            st.depth += stack_effect(w, false);
            if (st.depth > maxd) maxd = st.depth;
            if (!falls_through(op) || i + 1 >= n) break;
            i++;
            if (flow[i].depth >= 0) {
                flow_merge(c, flow, i, st, work, &nwork);
                break;
            }
            flow[i] = st;
        }
    }
    free(work);
    *stacksize = maxd + 2; // two spare slots: CALL's EMPTY and a pushed exception
    *maxblocks = maxb;
#ifdef AIO_DEBUG
    *flow_out = flow;
#else
    *flow_out = NULL;
    free(flow);
#endif
}

// ---- code objects -------------------------------------------------------------------------------

static void init_compiler(Compiler *c, Compiler *parent, Vm *vm, Scope *scope, SyntaxErr *err) {
    memset(c, 0, sizeof *c);
    c->enclosing = parent;
    c->vm = vm;
    c->scope = scope;
    c->err = err;
    c->line = scope->node->line > 0 ? scope->node->line : 1;
    vm->compiler_roots = c;
}

static void free_compiler(Compiler *c) {
    free(c->words);
    free(c->lines);
    free(c->consts);
    free(c->names);
    free(c->varnames);
    free(c->cellnames);
    free(c->const_index.slots);
    free(c->name_index.slots);
    free(c->local_index.slots);
    free(c->cell_index.slots);
    for (int i = 0; i < c->nfblocks; i++) free(c->fblocks[i].breaks.items);
    c->vm->compiler_roots = c->enclosing;
}

static void add_param(Compiler *c, Ast *arg) { local_slot(c, arg->str); }

// Lays out parameters, then cells (captured locals first, then free variables).  Parameters take
// the first local slots in the order argument binding fills them (frame_bind_args in frame.c):
// positional, keyword-only, *args, **kwargs.  A class body has no cells of its own except
// __class__ (when a method uses super() or __class__), which __build_class__ fills.
static void declare_layout(Compiler *c, Ast *args) {
    if (args) {
        for (int i = 0; i < args->list.count; i++) add_param(c, args->list.items[i]);
        for (int i = 0; i < args->list2.count; i++) add_param(c, args->list2.items[i]);
        if (args->b) add_param(c, args->b);
        if (args->c) add_param(c, args->c);
        c->argcount = args->list.count;
        c->posonly = (int)args->ival;
        c->kwonly = args->list2.count;
        if (args->b) c->flags |= CODE_VARARGS;
        if (args->c) c->flags |= CODE_VARKW;
    }
    Scope *s = c->scope;
    int cap = s->nsymbols + 1;
    c->cellnames = malloc(sizeof(char *) * (size_t)cap);
    for (int i = 0; i < s->nsymbols; i++) {
        Symbol *sym = &s->symbols[i];
        bool cell = (sym->flags & SYM_CELL) && !(sym->flags & (SYM_FREE | SYM_NONLOCAL));
        if (s->kind == SCOPE_CLASS) cell = false;
        if (cell) c->cellnames[c->ncells++] = sym->name;
    }
    if (s->kind == SCOPE_CLASS && s->needs_class_cell) c->cellnames[c->ncells++] = "__class__";
    for (int i = 0; i < s->nsymbols; i++) {
        Symbol *sym = &s->symbols[i];
        if (sym->flags & (SYM_FREE | SYM_FREE_CLASS)) {
            if (s->kind == SCOPE_CLASS && strcmp(sym->name, "__class__") == 0) continue;
            c->cellnames[c->ncells++] = sym->name;
            c->nfree++;
        }
    }
}

// Turns the compiler's tables into an ObjCode: runs the flow pass, copies the tables, interns the
// local and cell names, maps each own cell to the argument it starts from (cell_args: a captured
// parameter's cell is filled with the argument at call time), and marks CODE_SIMPLE the codes
// that the VM may call by copying positional arguments straight into slots when exactly argcount
// of them come: no keyword-only parameters, no *args or **kwargs, no cells to make, no generator
// to create.  Defaults are allowed: when every argument is given they are not needed.
static ObjCode *finish_code(Compiler *c, const char *name) {
    Vm *vm = c->vm;
    ObjCode *code = code_new(vm);
    vm_push_root(vm, OBJ_VAL(code));
    compute_sizes(c, &code->stacksize, &code->maxblocks, &code->flow);
    code->words = c->words;
    code->frame_bytes = frame_stack_bytes(frame_size_for(c->nlocals, c->ncells, code->stacksize, code->maxblocks));
    code->nwords = (size_t)c->nwords;
    code->lines = c->lines;
    c->words = NULL;
    c->lines = NULL;
    code->constants = malloc(sizeof(Value) * (size_t)(c->nconsts + 1));
    if (c->nconsts) memcpy(code->constants, c->consts, sizeof(Value) * (size_t)c->nconsts);
    code->nconstants = (size_t)c->nconsts;
    code->names = malloc(sizeof(ObjStr *) * (size_t)(c->nnames + 1));
    if (c->nnames) memcpy(code->names, c->names, sizeof(ObjStr *) * (size_t)c->nnames);
    code->nnames = (size_t)c->nnames;
    // varnames and cellnames become interned strings
    code->varnames = calloc((size_t)c->nlocals + 1, sizeof(ObjStr *));
    code->cellnames = calloc((size_t)c->ncells + 1, sizeof(ObjStr *));
    code->cell_args = malloc(sizeof(int) * (size_t)(c->ncells + 1));
    code->nlocals = 0;
    for (int i = 0; i < c->nlocals; i++) {
        code->varnames[i] = str_intern(vm, c->varnames[i], strlen(c->varnames[i]));
        code->nlocals = i + 1;
    }
    code->ncells = 0;
    int nargs = c->argcount + c->kwonly + ((c->flags & CODE_VARARGS) ? 1 : 0) +
                ((c->flags & CODE_VARKW) ? 1 : 0);
    for (int i = 0; i < c->ncells; i++) {
        code->cellnames[i] = str_intern(vm, c->cellnames[i], strlen(c->cellnames[i]));
        code->ncells = i + 1;
        code->cell_args[i] = -1;
        if (i < c->ncells - c->nfree)
            for (int a = 0; a < nargs; a++)
                if (strcmp(c->varnames[a], c->cellnames[i]) == 0) code->cell_args[i] = a;
    }
    code->nfree = c->nfree;
    code->argcount = c->argcount;
    code->posonlycount = c->posonly;
    code->kwonlycount = c->kwonly;
    code->flags = c->flags;
    if (!(c->flags & (CODE_VARARGS | CODE_VARKW | CODE_GENERATOR | CODE_COROUTINE | CODE_ASYNC_GEN | CODE_MODULE)) &&
        c->kwonly == 0 && c->ncells == 0)
        code->flags |= CODE_SIMPLE;
    code->caches = calloc(code->nwords ? code->nwords : 1, sizeof(LookupCache));
    code->firstline = c->scope->node->line > 0 ? c->scope->node->line : 1;
    code->name = str_intern(vm, name, strlen(name));
    code->qualname = str_intern(vm, c->scope->qualname, strlen(c->scope->qualname));
    Compiler *top = c;
    while (top->enclosing) top = top->enclosing;
    code->filename = AS_STR(top->consts[0]);
    vm_pop_root(vm);
    return code;
}

// Compiles the body of a function, lambda, class or comprehension into a new Code.
static ObjCode *compile_scope(Compiler *parent, Ast *node, AstList *body, Ast *expr_body) {
    Scope *scope = node->scope;
    Compiler c;
    init_compiler(&c, parent, parent->vm, scope, parent->err);
    const char *name = scope->name;
    if (scope->is_generator) c.flags |= CODE_GENERATOR;
    if (scope->is_coroutine) c.flags |= scope->is_generator ? CODE_ASYNC_GEN : CODE_COROUTINE;
    if (scope->is_generator && scope->is_coroutine) c.flags &= ~CODE_GENERATOR;

    switch (node->kind) {
    case AST_FUNCTIONDEF:
    case AST_LAMBDA:
        declare_layout(&c, node->a);
        if (node->kind == AST_LAMBDA) {
            compile_expr(&c, expr_body);
            if (scope->is_generator) {
                emit(&c, OP_POP_TOP, 0);
                emit_const(&c, NONE_VAL());
            }
            emit(&c, OP_RETURN_VALUE, 0);
        } else {
            // A docstring is the function's first constant, as in CPython.
            if (body->count && body->items[0]->kind == AST_EXPR && body->items[0]->a->kind == AST_STR)
                add_const(&c, OBJ_VAL(str_new(c.vm, body->items[0]->a->str, body->items[0]->a->len)));
            else
                add_const(&c, NONE_VAL());
            compile_stmts(&c, body);
            emit_const(&c, NONE_VAL());
            emit(&c, OP_RETURN_VALUE, 0);
        }
        break;
    case AST_CLASSDEF: {
        c.flags |= CODE_MODULE;
        declare_layout(&c, NULL);
        compile_name_op(&c, "__name__", CTX_LOAD);
        compile_name_op(&c, "__module__", CTX_STORE);
        emit_const(&c, OBJ_VAL(str_new(c.vm, scope->qualname, strlen(scope->qualname))));
        compile_name_op(&c, "__qualname__", CTX_STORE);
        // A docstring is stored as the class's __doc__, as CPython's compiler does (a class
        // without one gets __doc__ None when it is made: runtime/class.c).
        if (body->count && body->items[0]->kind == AST_EXPR && body->items[0]->a->kind == AST_STR) {
            emit_const(&c, OBJ_VAL(str_new(c.vm, body->items[0]->a->str, body->items[0]->a->len)));
            compile_name_op(&c, "__doc__", CTX_STORE);
        }
        compile_stmts(&c, body);
        if (scope->needs_class_cell) {
            emit(&c, OP_LOAD_CLOSURE, cell_slot(&c, "__class__"));
            emit(&c, OP_STORE_NAME, add_name(&c, "__classcell__"));
        }
        emit_const(&c, NONE_VAL());
        emit(&c, OP_RETURN_VALUE, 0);
        break;
    }
    default: {
        // A comprehension: one parameter (".0", a name no program can write), the iterator of
        // the first `for`.  Each `for` is a FOR_ITER loop (or an awaited __anext__ for async for)
        // nested in the previous one, its `if`s jumping back to its own top; the innermost body
        // adds the element to the result, which lies below all the iterators (hence elt_depth),
        // or yields it for a generator expression.
        c.argcount = 1;
        local_slot(&c, ".0");
        declare_layout(&c, NULL);
        AstKind kind = node->kind;
        if (kind != AST_GENEXP) emit(&c, kind == AST_LISTCOMP ? OP_BUILD_LIST : kind == AST_SETCOMP ? OP_BUILD_SET : OP_BUILD_MAP, 0);
        int depth = node->list.count;
        int *tops = malloc(sizeof(int) * (size_t)depth);
        int *exits = malloc(sizeof(int) * (size_t)depth);
        bool *async = malloc(sizeof(bool) * (size_t)depth);
        for (int i = 0; i < depth; i++) {
            Ast *gen = node->list.items[i];
            async[i] = gen->flag;
            if (i == 0) emit(&c, OP_LOAD_FAST, 0);
            else {
                compile_iterable(&c, gen->b);
                emit(&c, gen->flag ? OP_GET_AITER : OP_GET_ITER, 0);
            }
            tops[i] = here(&c);
            if (gen->flag) {
                exits[i] = emit(&c, OP_SETUP_FINALLY, 0);
                emit(&c, OP_GET_ANEXT, 0);
                compile_await_value(&c);
                emit(&c, OP_POP_BLOCK, 0);
            } else {
                exits[i] = emit(&c, OP_FOR_ITER, 0);
            }
            compile_target(&c, gen->a, CTX_STORE);
            for (int k = 0; k < gen->list.count; k++) {
                compile_expr(&c, gen->list.items[k]);
                emit(&c, OP_POP_JUMP_IF_FALSE, tops[i]);
            }
        }
        int elt_depth = depth + 1; // the result container is below the iterators
        switch (kind) {
        case AST_LISTCOMP: compile_expr(&c, node->a); emit(&c, OP_LIST_APPEND, elt_depth); break;
        case AST_SETCOMP: compile_expr(&c, node->a); emit(&c, OP_SET_ADD, elt_depth); break;
        case AST_DICTCOMP:
            compile_expr(&c, node->a);
            compile_expr(&c, node->b);
            emit(&c, OP_MAP_ADD, elt_depth);
            break;
        default:
            compile_expr(&c, node->a);
            emit(&c, OP_YIELD_VALUE, 0);
            emit(&c, OP_POP_TOP, 0);
            break;
        }
        for (int i = depth - 1; i >= 0; i--) {
            emit(&c, OP_JUMP, tops[i]);
            patch(&c, exits[i]);
            if (async[i]) emit(&c, OP_END_ASYNC_FOR, 0);
        }
        free(tops);
        free(exits);
        free(async);
        if (kind == AST_GENEXP) emit_const(&c, NONE_VAL());
        emit(&c, OP_RETURN_VALUE, 0);
        break;
    }
    }
    ObjCode *code = c.failed ? NULL : finish_code(&c, name);
    if (c.failed) parent->failed = true;
    free_compiler(&c);
    return code;
}

// The top-level code of a module: it runs with the module's globals as its namespace
// (CODE_MODULE), and its constant 0 is the file name, which every nested code copies.  A REPL
// entry (`interactive`) prints the value of its expression statements, and when it awaits at
// top level its code is also a coroutine's: calling it makes a coroutine that runs in the globals.
static ObjCode *compile_top_level(Vm *vm, Ast *module, const char *filename, SyntaxErr *err, bool interactive) {
    Compiler c;
    init_compiler(&c, NULL, vm, module->scope, err);
    c.flags = CODE_MODULE;
    c.interactive = interactive;
    if (interactive && ((Scope *)module->scope)->is_coroutine) c.flags |= CODE_COROUTINE;
    add_const(&c, OBJ_VAL(str_intern(vm, filename, strlen(filename)))); // constant 0: the filename
    declare_layout(&c, NULL);
    compile_stmts(&c, &module->list);
    emit_const(&c, NONE_VAL());
    emit(&c, OP_RETURN_VALUE, 0);
    ObjCode *code = c.failed ? NULL : finish_code(&c, "<module>");
    free_compiler(&c);
    return code;
}

ObjCode *compile_module(Vm *vm, Ast *module, const char *filename, SyntaxErr *err) {
    return compile_top_level(vm, module, filename, err, false);
}

// Parses and compiles source, turning a syntax error into a pending SyntaxError.  For a REPL
// entry (`interactive`, vm_compile_entry) an unfinished block is not an error: NULL with
// *incomplete set and nothing pending.
static ObjCode *compile_text(Vm *vm, const char *filename, const char *text, size_t length, bool interactive,
                             bool *incomplete) {
    Arena arena;
    arena_init(&arena);
    Source src = {filename, text, length, interactive};
    ParseStatus status;
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    Ast *module = parse_source(&arena, &src, &status, &err);
    ObjCode *code = NULL;
    if (module && symtable_build(&arena, module, &err))
        code = compile_top_level(vm, module, filename, &err, interactive);
    arena_free(&arena);
    if (incomplete) *incomplete = status == PARSE_INCOMPLETE;
    if (!code && status != PARSE_INCOMPLETE) raise_syntax_error(vm, filename, text, &err);
    return code;
}

ObjCode *vm_compile_source(Vm *vm, const char *filename, const char *text, size_t length) {
    return compile_text(vm, filename, text, length, false, NULL);
}

ObjCode *vm_compile_entry(Vm *vm, const char *filename, const char *text, size_t length, bool *incomplete) {
    return compile_text(vm, filename, text, length, true, incomplete);
}
