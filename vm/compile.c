/* The compiler: AST -> Code (see compile.h).  This file holds the compiler's state, its tables,
 * variable access, the flow pass and the making of code objects; expressions are compiled in
 * compile_expr.c, statements in compile_stmt.c, and vm/compiler.h is what the three share.
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
 *     code); constant 0 of a function's code is its docstring, or None (vm_build_function in
 *     vm/ops.c reads it).
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
#include <string.h>

#include "compiler.h"
#include "dict.h"
#include "error.h"
#include "frame.h"
#include "gc.h"
#include "opcodes.h"

// ---- the compiler state -------------------------------------------------------------------------

// The compiler chain is a GC root while compiling (constants already made are live objects).
void compile_mark_roots(Vm *vm) {
    for (Compiler *c = vm->compiler_roots; c; c = c->enclosing) {
        for (int i = 0; i < c->nconsts; i++) gc_mark_value(vm, c->consts[i]);
        for (int i = 0; i < c->nnames; i++) gc_mark_object(vm, (Obj *)c->names[i]);
    }
}

void *compile_grow(void *p, int *cap, int need, size_t item) {
    if (need <= *cap) return p;
    int n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    void *q = realloc(p, (size_t)n * item);
    if (!q) abort();
    *cap = n;
    return q;
}

// An error about a whole statement: the caret runs from its start to the end of its first line
// (end_col -1 asks vm_raise_syntax_error to find that end in the source).
void compile_error_at_line(Compiler *c, const Ast *node, const char *msg) {
    if (c->failed) return;
    c->failed = true;
    c->err->type = "SyntaxError";
    snprintf(c->err->message, sizeof c->err->message, "%s", msg);
    c->err->line = node ? node->line : c->line;
    c->err->col = node ? node->col : c->col;
    c->err->end_col = -1;
}

void compile_error_at(Compiler *c, const Ast *node, const char *fmt, const char *arg) {
    if (c->failed) return;
    c->failed = true;
    c->err->type = "SyntaxError";
    snprintf(c->err->message, sizeof c->err->message, fmt, arg);
    c->err->line = node ? node->line : c->line;
    c->err->col = node ? node->col : c->col;
    c->err->end_col = c->err->col + 1;
}

// ---- the constant, name and local tables, each with a hash index ---------------------------------

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
int compile_add_const(Compiler *c, Value v) {
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
    c->consts = compile_grow(c->consts, &c->ccap, c->nconsts + 1, sizeof(Value));
    c->consts[c->nconsts] = v;
    if (indexed) {
        c->const_index.slots[slot] = c->nconsts + 1;
        c->const_index.count++;
    }
    return c->nconsts++;
}


static bool name_hash_at(Compiler *c, int i, uint64_t *h) {
    *h = pos_index_hash(c->names[i]->chars, c->names[i]->length);
    return true;
}

// The index of name in the names table (attribute, global and imported names), interned as an
// ObjStr so that the VM's lookups and caches compare pointers.
int compile_add_name(Compiler *c, const char *name) {
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
    c->names = compile_grow(c->names, &c->ncap, c->nnames + 1, sizeof(ObjStr *));
    c->names[c->nnames] = s;
    c->name_index.slots[slot] = c->nnames + 1;
    c->name_index.count++;
    return c->nnames++;
}

Value compile_str_const(Compiler *c, const char *s, size_t len) {
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
    c->varnames = compile_grow(c->varnames, &c->vcap, c->nlocals + 1, sizeof(char *));
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
int compile_cell_slot(Compiler *c, const char *name) {
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
    compile_error_at(c, NULL, "internal error: no cell for '%s'", name);
    return 0;
}

// ---- names --------------------------------------------------------------------------------------


// Loads, stores or deletes a variable, with the instruction family the scope pass chose: FAST
// for a function's plain locals (a slot), DEREF for variables in cells (captured by an inner
// function, or free here), GLOBAL for module-level names, both in functions and in the module's
// own code (whose namespace is its globals), NAME for class bodies, which run with a dict of
// their own.  LOAD_CLASSDEREF is a class body
// reading a variable of an enclosing function: its namespace first, then the cell.
void compile_name_op(Compiler *c, const char *name, Ctx ctx) {
    NameScope ns = scope_resolve(c->scope, name);
    static const OpCode fast[] = {OP_LOAD_FAST, OP_STORE_FAST, OP_DELETE_FAST};
    static const OpCode deref[] = {OP_LOAD_DEREF, OP_STORE_DEREF, OP_DELETE_DEREF};
    static const OpCode global[] = {OP_LOAD_GLOBAL, OP_STORE_GLOBAL, OP_DELETE_GLOBAL};
    static const OpCode named[] = {OP_LOAD_NAME, OP_STORE_NAME, OP_DELETE_NAME};
    switch (ns) {
    case NAME_LOCAL: emit(c, fast[ctx], local_slot(c, name)); break;
    case NAME_CELL:
    case NAME_FREE: emit(c, deref[ctx], compile_cell_slot(c, name)); break;
    case NAME_GLOBAL_EXPLICIT:
    case NAME_GLOBAL_IMPLICIT: emit(c, global[ctx], compile_add_name(c, name)); break;
    case NAME_NAMESPACE:
        if (c->scope->kind == SCOPE_MODULE) {
            emit(c, global[ctx], compile_add_name(c, name));
        } else {
            Symbol *s = scope_find(c->scope, name);
            if (ctx == CTX_LOAD && s && (s->flags & SYM_FREE_CLASS))
                emit(c, OP_LOAD_CLASSDEREF, compile_cell_slot(c, name));
            else
                emit(c, named[ctx], compile_add_name(c, name));
        }
        break;
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
ObjCode *compile_scope(Compiler *parent, Ast *node, AstList *body, Ast *expr_body) {
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
                compile_add_const(&c, OBJ_VAL(str_new(c.vm, body->items[0]->a->str, body->items[0]->a->len)));
            else
                compile_add_const(&c, NONE_VAL());
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
            emit(&c, OP_LOAD_CLOSURE, compile_cell_slot(&c, "__class__"));
            emit(&c, OP_STORE_NAME, compile_add_name(&c, "__classcell__"));
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
    compile_add_const(&c, OBJ_VAL(str_intern(vm, filename, strlen(filename)))); // constant 0: the filename
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
    if (!code && status != PARSE_INCOMPLETE) vm_raise_syntax_error(vm, filename, text, &err);
    return code;
}

ObjCode *vm_compile_source(Vm *vm, const char *filename, const char *text, size_t length) {
    return compile_text(vm, filename, text, length, false, NULL);
}

ObjCode *vm_compile_entry(Vm *vm, const char *filename, const char *text, size_t length, bool *incomplete) {
    return compile_text(vm, filename, text, length, true, incomplete);
}
