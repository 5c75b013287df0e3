/* The compiler, statements: every statement node kind, and the compile-time blocks (loops, try,
 * with, except handlers) that a break, continue or return leaving them early must unwind
 * (vm/compiler.h lists the three files of the compiler).
 *
 * A statement leaves the stack as it found it; what try, with and the handlers push and the VM's
 * blocks expect is described at compile.c's top and at each function.
 */
#include <string.h>

#include "compiler.h"
#include "opcodes.h"

// ---- blocks and unwinding -----------------------------------------------------------------------

// How much of CPython's block limit a block uses: CPython opens two blocks for an except or
// except* handler body (the handler and its cleanup), one for everything else.
static int block_weight(FBlockKind kind) { return kind == FB_HANDLER || kind == FB_STAR_HANDLER ? 2 : 1; }


// Opens a block for `node`; past CPython's limit (MAX_BLOCKS, counted as CPython counts) that is
// "too many statically nested blocks", reported at node with the caret to the end of its line.
// Every push is matched by a pop whatever happens, so the stack stays balanced after an error.
static FBlock *push_fblock(Compiler *c, FBlockKind kind, int start, const Ast *node) {
    static FBlock scratch;
    c->block_nesting += block_weight(kind);
    if (c->block_nesting > MAX_BLOCKS) compile_error_at_line(c, node, "too many statically nested blocks");
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
            compile_error_at(c, at, "%s", "'break', 'continue' and 'return' cannot appear in an except* block");
            c->err->end_col = at->col + (at->kind == AST_BREAK ? 5 : 8); // the whole keyword
            return NULL;
        }
    }
    if (i < 0) {
        compile_error_at(c, at, "%s", what);
        return NULL;
    }
    int loop_at = -1;
    unwind_blocks(c, false, true, &loop_at);
    if (c->failed || loop_at < 0) return NULL;
    return &c->fblocks[loop_at];
}

// ---- statements ---------------------------------------------------------------------------------

static void compile_stmt(Compiler *c, Ast *s);

void compile_stmts(Compiler *c, AstList *body) {
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
            compile_error_at(c, s, "%s", "'async for' outside async function");
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
            compile_error_at(c, h, "%s", "default 'except:' must be last");
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
        ends.items = compile_grow(ends.items, &ends.capacity, ends.count + 1, sizeof(int));
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
        emit(c, OP_IMPORT_NAME, compile_add_name(c, alias->str));
        if (alias->str2) {
            // import a.b.c as d: d is the innermost module
            const char *p = strchr(alias->str, '.');
            while (p) {
                const char *q = strchr(p + 1, '.');
                size_t n = q ? (size_t)(q - p - 1) : strlen(p + 1);
                char *part = malloc(n + 1);
                memcpy(part, p + 1, n);
                part[n] = 0;
                emit(c, OP_LOAD_ATTR, compile_add_name(c, part));
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
                int k = compile_add_name(c, top);
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
    int k = compile_add_const(c, OBJ_VAL(fromlist));
    for (int i = 0; i < s->list.count; i++)
        fromlist->items[i] = compile_str_const(c, s->list.items[i]->str, strlen(s->list.items[i]->str));
    emit(c, OP_LOAD_CONST, k);
    emit(c, OP_IMPORT_NAME, compile_add_name(c, s->str ? s->str : ""));
    if (s->list.count == 1 && strcmp(s->list.items[0]->str, "*") == 0) {
        if (c->scope->kind != SCOPE_MODULE) {
            compile_error_at(c, s, "%s", "import * only allowed at module level");
            return;
        }
        emit(c, OP_IMPORT_STAR, 0);
        return;
    }
    for (int i = 0; i < s->list.count; i++) {
        Ast *alias = s->list.items[i];
        emit(c, OP_IMPORT_FROM, compile_add_name(c, alias->str));
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
    bool ex = compile_has_starred(&s->list);
    for (int i = 0; i < s->list4.count; i++)
        if (!s->list4.items[i]->str) ex = true;
    if (ex) {
        compile_error_at(c, s, "%s", "star arguments in a class statement are not supported");
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
        compile_error_at(c, s, "%s", "'return' outside function");
        return;
    }
    if (s->a && c->scope->is_coroutine && c->scope->is_generator) {
        compile_error_at(c, s, "%s", "'return' with value in async generator");
        return;
    }
    for (int i = c->nfblocks - 1; i >= 0; i--)
        if (c->fblocks[i].kind == FB_STAR_HANDLER) {
            // CPython points at a constant returned value, else at the whole statement
            bool constant = s->a && (s->a->kind == AST_INT || s->a->kind == AST_FLOAT || s->a->kind == AST_STR ||
                                     s->a->kind == AST_BYTES || s->a->kind == AST_CONSTANT);
            compile_error_at_line(c, constant ? s->a : s, "'break', 'continue' and 'return' cannot appear in an except* block");
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
        loop->breaks.items = compile_grow(loop->breaks.items, &loop->breaks.capacity, loop->breaks.count + 1,
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
            compile_error_at(c, s, "%s", "'async with' outside async function");
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
    default: compile_error_at(c, s, "unsupported statement (%s)", ast_kind_name(s->kind)); break;
    }
}
