/* The compiler, expressions: every expression node kind, constant folding of the displays that
 * CPython folds, calls and their arguments, f-strings, comprehensions, await, and the targets of
 * assignments (vm/compiler.h lists the three files of the compiler).
 *
 * An expression leaves exactly one value on the stack; a target consumes one.
 */
#include <string.h>

#include "compiler.h"
#include "opcodes.h"

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


bool compile_has_starred(AstList *list) {
    for (int i = 0; i < list->count; i++)
        if (list->items[i]->kind == AST_STARRED) return true;
    return false;
}

// Builds a list, tuple or set display; starred items are spliced in.  Without a star the items are
// pushed and BUILD_* takes them all at once; with one, an empty list (or set) is built first and
// each item appended or each starred iterable extended into it, left to right, so that the
// items are evaluated in source order either way.  A tuple is then converted from the list.
static void compile_display(Compiler *c, AstList *items, OpCode build, OpCode extend, bool tuple) {
    if (!compile_has_starred(items)) {
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
void compile_iterable(Compiler *c, Ast *e) {
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
            cleanups.items = compile_grow(cleanups.items, &cleanups.capacity, cleanups.count + 1, sizeof(int));
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
void compile_call_args(Compiler *c, Ast *e, int already) {
    bool ex = compile_has_starred(&e->list);
    for (int i = 0; i < e->list2.count; i++)
        if (!e->list2.items[i]->str) ex = true;
    if (e->list.count + e->list2.count + already > MAX_ARGS) ex = true;
    if (!ex) {
        for (int i = 0; i < e->list.count; i++) compile_expr(c, e->list.items[i]);
        if (e->list2.count) {
            ObjTuple *names = tuple_new(c->vm, (size_t)e->list2.count);
            int k = compile_add_const(c, OBJ_VAL(names));
            for (int i = 0; i < e->list2.count; i++) {
                Ast *kw = e->list2.items[i];
                names->items[i] = compile_str_const(c, kw->str, strlen(kw->str));
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
        compile_error_at(c, e, "%s", "internal error: star call on a method");
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
                emit_const(c, compile_str_const(c, kw->str, strlen(kw->str)));
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
    if (compile_has_starred(&e->list)) return false;
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
        emit(c, OP_LOAD_METHOD, compile_add_name(c, e->a->str));
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
void compile_make_function(Compiler *c, Ast *node, Ast *args, AstList *body, Ast *expr_body) {
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
            emit_const(c, compile_str_const(c, arg->str, strlen(arg->str)));
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
    int k = compile_add_const(c, OBJ_VAL(code));
    if (code->nfree) {
        for (int i = code->ncells - code->nfree; i < code->ncells; i++) {
            const char *name = code->cellnames[i]->chars;
            emit(c, OP_LOAD_CLOSURE, compile_cell_slot(c, name));
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
void compile_await_value(Compiler *c) {
    emit_const(c, NONE_VAL());
    int send = emit(c, OP_SEND, 0);
    emit(c, OP_YIELD_VALUE, 1);
    emit(c, OP_JUMP, send);
    patch(c, send);
}

void compile_expr(Compiler *c, Ast *e) {
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
        // Each operand but the last is followed by a jump to the end, taken when it decides.
        // Until the end is known each jump's argument links to the one before (its index + 1).
        int last_jump = -1;
        for (int i = 0; i + 1 < e->list.count; i++) {
            compile_expr(c, e->list.items[i]);
            last_jump = emit(c, e->op == AST_OP_AND ? OP_JUMP_IF_FALSE_OR_POP : OP_JUMP_IF_TRUE_OR_POP,
                             last_jump + 1);
        }
        compile_expr(c, e->list.items[e->list.count - 1]);
        while (last_jump >= 0) {
            int before = (int)(c->words[last_jump] >> 8) - 1;
            patch(c, last_jump);
            last_jump = before;
        }
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
        emit(c, OP_LOAD_ATTR, compile_add_name(c, e->str));
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
    case AST_STARRED: compile_error_at(c, e, "%s", "can't use starred expression here"); break;
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
            compile_error_at(c, e, "%s", c->scope->kind == SCOPE_FUNCTION && !c->scope->is_comprehension
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
            compile_error_at(c, e, "%s", "'yield' outside function");
            break;
        }
        if (e->a) compile_expr(c, e->a); else emit_const(c, NONE_VAL());
        emit(c, OP_YIELD_VALUE, 0);
        break;
    case AST_YIELDFROM:
        if (c->scope->kind != SCOPE_FUNCTION) {
            compile_error_at(c, e, "%s", "'yield' outside function");
            break;
        }
        if (c->scope->is_coroutine) {
            compile_error_at(c, e, "%s", "'yield from' inside async function");
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
    default: compile_error_at(c, e, "invalid expression (%s)", ast_kind_name(e->kind)); break;
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
                compile_error_at(c, t->list.items[i], "%s", "multiple starred expressions in assignment");
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
void compile_target(Compiler *c, Ast *t, Ctx ctx) {
    set_pos(c, t);
    switch (t->kind) {
    case AST_NAME: compile_name_op(c, t->str, ctx); break;
    case AST_ATTRIBUTE:
        compile_expr(c, t->a);
        emit(c, ctx == CTX_STORE ? OP_STORE_ATTR : OP_DELETE_ATTR, compile_add_name(c, t->str));
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
    default: compile_error_at(c, t, "%s", "cannot assign to expression"); break;
    }
}

// x OP= v.  The target's container and key are evaluated once: COPY keeps them for the store,
// and SWAPs bring them back above the result (for obj[key]: obj key -> obj key obj key -> obj key
// old -> obj key new -> new obj key, which STORE_SUBSCR takes).
void compile_augassign(Compiler *c, Ast *s) {
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
        emit(c, OP_LOAD_ATTR, compile_add_name(c, t->str));
        compile_expr(c, s->b);
        set_pos(c, s);
        emit(c, OP_BINARY_OP, op);
        emit(c, OP_SWAP, 2);
        emit(c, OP_STORE_ATTR, compile_add_name(c, t->str));
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
    default: compile_error_at(c, t, "%s", "illegal expression for augmented assignment"); break;
    }
}
