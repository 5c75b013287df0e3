/* The interpreter: the dispatch loop and unwinding.  Calls made from C are in call.c, generators
 * resumed from C in gen.c, and the out-of-line work of the longer instructions in instr.c; this
 * file keeps run() and the helpers that are inline on its fast paths.
 *
 * vm_run() executes the frame chain from vm->frame until a BOUNDARY frame returns, yields or raises.
 * A call from bytecode to a bytecode function, a SEND into a bytecode generator, a return and a
 * yield all just switch `frame` inside the loop (Lua's non-recursive calls), so Python-level
 * recursion never grows the C stack.  C code calls back into Python with vm_call(), which pushes a
 * boundary frame and runs a nested run(): that is the only C recursion, and it is bounded.
 *
 * Register discipline: `ip` and `sp` live in C locals while a frame runs; they are written back
 * to the frame (SAVE) before anything that can look at the frame from outside: a call, an error,
 * a switch of frames.  The GC does not need them, because it marks every slot of a frame.
 *
 * Two depths are counted.  vm->depth is the Python-level call depth (RecursionError at
 * sys.getrecursionlimit()): every frame entered adds one, and so does every C level that can
 * recurse (vm_enter_c_level: repr, comparisons, calls of natives).  vm->native_depth counts the
 * nested run()s on the C stack, which a deep chain of C -> Python -> C calls could exhaust before
 * the Python limit is reached: it has its own bound (MAX_NATIVE_DEPTH) and a check of the C
 * stack's actual use.
 *
 * How a frame's run ends.  A frame is `boundary` when a C caller (vm_call, gen_resume ...) entered
 * it with a nested run(): its RETURN_VALUE or YIELD_VALUE returns from run() to that caller.  A
 * frame entered from bytecode (CALL, inline FOR_ITER over a generator, SEND to a generator) is
 * not: its return just switches `frame` back to the caller inside the same run().  The caller's
 * saved ip tells the returning frame what the caller was doing (see RETURN_VALUE and YIELD_VALUE).
 */
#include "vm.h"

#include <math.h>
#include <string.h>

#include "compile.h"
#include "frame.h"
#include "gc.h"
#include "opcodes.h"
#include "dict.h"
#include "error.h"
#include "instr.h"
#include "set.h"
#include "hooks.h"
#ifdef AIO_TRACE_EXECUTION
#include "dis.h"
#endif

_Atomic int vm_interrupted;
bool vm_memory_error_owed;

void vm_grow_roots(Vm *vm) {
    int cap = vm->roots_capacity ? vm->roots_capacity * 2 : 64;
    Value *roots = realloc(vm->roots, sizeof(Value) * (size_t)cap);
    if (!roots) {
        fputs("aio: out of memory\n", stderr);
        exit(1);
    }
    vm->roots = roots;
    vm->roots_capacity = cap;
}

VmHooks vm_hooks;

// The check vm_interrupted asks for: first the MemoryError the GC owes (an allocation got its
// memory only by spending the reserve), then the finalizers the GC queued (__del__ methods,
// generators to close), then the signal handlers of the layer that installed them.  When the
// MemoryError goes first, vm_interrupted stays set: the rest runs at the next check.
bool vm_run_signal_handlers(Vm *vm) {
    if (vm_memory_error_owed) {
        vm_memory_error_owed = false;
        return vm_raise_memory_error(vm);
    }
    vm_interrupted = 0; // before the rest runs: what trips it again is seen at the next check
    vm_thread_checkpoint(); // wake-ups a lock release deferred (thread.c)
    if (vm_lock_drop_request) vm_lock_handover(vm); // another thread waited a switch interval
    if (vm->python_finalizers_owed && !vm->finalizing && vm_hooks.report_finalizers) {
        vm->python_finalizers_owed = false;
        vm_hooks.report_finalizers(vm);
    }
    if (!vm_hooks.run_signal_handlers || !vm_thread_may_run_signal_handlers()) return true;
    return vm_hooks.run_signal_handlers(vm);
}

// ---- exceptions during run ----------------------------------------------------------------------

// Appends f's current line to the pending exception's traceback.  Called once per frame the
// exception passes through: where it was raised, then at each caller it propagates into.
static void add_trace(Vm *vm, Frame *f) {
    if (!IS_EXCEPTION(vm->exception)) return;
    ObjException *e = AS_EXCEPTION(vm->exception);
    size_t at = (size_t)(f->ip - f->code->words);
    int line = at > 0 ? f->code->lines[at - 1] : f->code->firstline;
    if (e->ntrace == e->trace_capacity) {
        e->trace_capacity = e->trace_capacity ? e->trace_capacity * 2 : 8;
        e->trace = realloc(e->trace, sizeof(TraceEntry) * (size_t)e->trace_capacity);
        if (!e->trace) abort();
    }
    e->trace[e->ntrace++] = (TraceEntry){f->code, line};
}

// ---- the dispatch loop --------------------------------------------------------------------------

#define READ_ARG() (word >> 8)
#define PUSH(v) (*sp++ = (v))
#define POP() (*--sp)
#define PEEK(n) (sp[-(ptrdiff_t)(n)])
#define SAVE() (frame->ip = ip, frame->sp = sp)
#define LOAD()                                                                                     \
    do {                                                                                           \
        ip = frame->ip;                                                                            \
        sp = frame->sp;                                                                            \
        code = frame->code;                                                                        \
        consts = code->constants;                                                                  \
        slots = frame->slots;                                                                      \
    } while (0)
#define JUMP_TO(target) (ip = code->words + (target))

// Backward jumps and calls are checkpoints: where signal handlers run and, in fuzz builds, where
// a tick of the budget is spent (vm/fuzz_limits.c).  Normal builds test one flag.
#ifdef AIO_FUZZ
#define CHECKPOINT_DUE() (UNLIKELY(vm_interrupted) || UNLIKELY(--vm->fuzz_ticks < 0))
static bool run_checkpoint(Vm *vm) {
    if (vm->fuzz_ticks < 0) return vm_fuzz_spent(vm);
    return !vm_interrupted || vm_run_signal_handlers(vm);
}
#else
#define CHECKPOINT_DUE() UNLIKELY(vm_interrupted)
#define run_checkpoint(vm) vm_run_signal_handlers(vm)
#endif
#define THROW() goto error

// Dispatch.  Every case ends with DISPATCH().  With GCC or Clang that is the case's own indirect
// jump to the next handler (computed goto), which branch predictors follow far better than one
// shared switch.  The portable build (-DAIO_SWITCH_DISPATCH) uses the switch alone, and so do the
// AIO_DEBUG build, so that every instruction passes the loop's top where it checks the frame, and
// the trace build (-DAIO_TRACE_EXECUTION), which prints each instruction there.  The loop reads the
// same either way.
#if defined(__GNUC__) && !defined(AIO_SWITCH_DISPATCH) && !defined(AIO_DEBUG) && !defined(AIO_TRACE_EXECUTION)
#define COMPUTED_GOTO 1
#define CASE(name) case OP_##name: L_##name
#define DISPATCH()                                                                                 \
    do {                                                                                           \
        word = *ip++;                                                                              \
        goto *dispatch_table[word & 0xFF];                                                         \
    } while (0)
#else
#define CASE(name) case OP_##name
#define DISPATCH() goto next_instruction
#endif

// class_lookup through an instruction's cache.  Only a name found in the class's own dict is
// remembered: then the bases cannot matter, and the dict's version covers every change.
static inline Value cached_class_lookup(LookupCache *cache, ObjClass *cls, ObjStr *name) {
    ObjDict *d = cls->dict;
    if (cache->dict == d && cache->version == d->version) return d->entries[cache->index].value;
    int64_t at = dict_find_str(d, name);
    if (at < 0) return class_lookup(cls, name);
    *cache = (LookupCache){.dict = d, .version = d->version, .index = (int32_t)at};
    return d->entries[at].value;
}

// Binary operations on two ints, inline in the loop: the common case of every benchmark.
static inline bool int_fast_op(int op, int64_t a, int64_t b, int64_t *out) {
    switch (binop_plain(op)) {
    case BINOP_ADD: return !ADD_OVERFLOWS(a, b, out);
    case BINOP_SUB: return !SUB_OVERFLOWS(a, b, out);
    case BINOP_MUL: return !MUL_OVERFLOWS(a, b, out);
    case BINOP_BITAND: *out = a & b; return true;
    case BINOP_BITOR: *out = a | b; return true;
    case BINOP_BITXOR: *out = a ^ b; return true;
    case BINOP_RSHIFT:
        if (b < 0) return false;
        *out = b >= 64 ? (a < 0 ? -1 : 0) : a >> b;
        return true;
    case BINOP_LSHIFT:
        if (b < 0 || b >= 63 || (a != 0 && (a > (INT64_MAX >> b) || a < (INT64_MIN >> b)))) return false;
        *out = (int64_t)((uint64_t)a << b);
        return true;
    case BINOP_MOD:
        // Python's % takes the sign of the divisor.  Dividing is slow: a power of two takes the
        // low bits (in two's complement those are the floor modulo for a negative a too), and
        // operands that fit in 32 bits divide in 32 bits.
        if (b <= 0) return false;
        if ((b & (b - 1)) == 0) *out = a & (b - 1);
        else if (a >= 0 && a <= UINT32_MAX && b <= UINT32_MAX) *out = (uint32_t)a % (uint32_t)b;
        else if ((*out = a % b) < 0) *out += b;
        return true;
    case BINOP_FLOORDIV:
        if (b <= 0) return false;
        if (a >= 0 && a <= UINT32_MAX && b <= UINT32_MAX) *out = (uint32_t)a / (uint32_t)b;
        else *out = a / b - ((a % b) < 0);
        return true;
    default: return false;
    }
}

// BINARY_OP's fast paths, on the two operands on top of the stack (sp[-2] op sp[-1]): two ints
// whose result fits, or + - * with at least one float (an int operand converted as float(i)
// would, as Python does for mixed arithmetic).  The result goes in sp[-2]; an int result writes
// only the payload, since the slot already has the tag.  False: the general path must decide.
static inline bool binary_op_fast(int op, Value *sp) {
    if (IS_INT(sp[-1]) && IS_INT(sp[-2])) {
        int64_t r;
        if (!int_fast_op(op, sp[-2].as.integer, sp[-1].as.integer, &r)) return false;
        sp[-2].as.integer = r;
        return true;
    }
    if ((IS_FLOAT(sp[-1]) || IS_INT(sp[-1])) && (IS_FLOAT(sp[-2]) || IS_INT(sp[-2]))) {
        double x = AS_NUMBER(sp[-2]), y = AS_NUMBER(sp[-1]);
        BinaryOp o = binop_plain(op);
        if (o != BINOP_ADD && o != BINOP_SUB && o != BINOP_MUL) return false;
        sp[-2] = FLOAT_VAL(o == BINOP_ADD ? x + y : o == BINOP_SUB ? x - y : x * y);
        return true;
    }
    return false;
}

static inline bool int_fast_compare(int op, int64_t a, int64_t b) {
    switch (op) {
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    case CMP_GE: return a >= b;
    case CMP_EQ: return a == b;
    default: return a != b;
    }
}

// `if a < b:` is COMPARE_OP then POP_JUMP_IF_FALSE: when the next word is a conditional jump on
// the comparison's result, it is taken (or stepped over) right here, without pushing a bool only
// to pop it again.  False when the next word is anything else: the result must be pushed.
static inline bool fused_conditional_jump(uint32_t **ip_io, ObjCode *code, bool res) {
    uint32_t next = **ip_io;
    if ((next & 0xFF) != OP_POP_JUMP_IF_FALSE && (next & 0xFF) != OP_POP_JUMP_IF_TRUE) return false;
    if (res == ((next & 0xFF) == OP_POP_JUMP_IF_TRUE)) *ip_io = code->words + (next >> 8);
    else (*ip_io)++;
    return true;
}

// Calls `callable` with the arguments on the stack; pushes a new frame for bytecode functions.
// Returns the new running frame (bytecode), or frame itself when the result was pushed, or NULL on
// error.  *sp_io is the stack pointer on entry (above the args) and on exit.
// The stack on entry: [function or EMPTY] [self or callable] arg1 .. argN, with kwnames (if any)
// in frame->kwnames naming the last arguments; see the call convention in compile.c.
static Frame *do_call(Vm *vm, Frame *frame, Value **sp_io, int argc) {
    Value *sp = *sp_io;
    Value *base = sp - argc - 2;
    Value *args = base + 2;
    Value callable = base[1];
    if (!IS_EMPTY(base[0])) {
        callable = base[0];
        args = base + 1;
        argc++;
    } else if (IS_BOUND(callable)) {
        // obj.method(...) fetched as an attribute: unpack it in place, no copying
        ObjBound *b = AS_BOUND(callable);
        base[0] = b->func;
        base[1] = b->self;
        callable = b->func;
        args = base + 1;
        argc++;
    }
    ObjTuple *kwnames = frame->kwnames;
    frame->kwnames = NULL;
    int npos = argc - (kwnames ? (int)kwnames->count : 0);
    if (IS_FUNCTION(callable)) {
        ObjFunction *fn = AS_FUNCTION(callable);
        ObjCode *code = fn->code;
        if ((code->flags & CODE_SIMPLE) && !kwnames && npos == code->argcount) {
            // The common call: positional arguments straight into the new frame's slots.
            if (!vm_enter_depth(vm)) return NULL;
            Frame *f = frame_push(vm, code, fn);
            if (!f) {
                vm->depth--;
                return NULL;
            }
            for (int i = 0; i < npos; i++) f->slots[i] = args[i];
            f->caller = frame;
            vm->frame = f;
            frame->sp = base;
            return f;
        }
        if (!(code->flags & (CODE_GENERATOR | CODE_COROUTINE | CODE_ASYNC_GEN))) {
            if (!vm_enter_depth(vm)) return NULL;
            Frame *f = frame_push(vm, fn->code, fn);
            if (!f) {
                vm->depth--;
                return NULL;
            }
            f->caller = frame;
            vm->frame = f;
            bool ok = frame_bind_args(vm, fn, f, args, npos, kwnames);
            if (!ok) {
                vm->frame = frame;
                frame_pop(vm, f);
                vm->depth--;
                return NULL;
            }
            frame->sp = base; // the callable and args are consumed; the result lands at base
            return f;
        }
    }
    // kwnames is a constant of the calling code, so it needs no root of its own.
    Value result;
    if (!vm_call(vm, callable, args, npos, kwnames, &result)) return NULL;
    // `hello()` as a statement: the coroutine it made is dropped by the POP_TOP that follows.
    if (UNLIKELY(*frame->ip == OP_POP_TOP) && (IS_GENERATOR(result) || IS_SLEEP(result)) &&
        vm_hooks.coroutine_dropped)
        vm_hooks.coroutine_dropped(vm, result);
    sp = base;
    *sp++ = result;
    *sp_io = sp;
    return frame;
}

// sys.exception(): the exception being handled by the innermost frame that is handling one.  Each
// frame keeps its own (PUSH_EXC_INFO / POP_EXCEPT), so a call from inside an except block sees
// the caller's exception until it catches one of its own.
Value vm_current_handled(Vm *vm) {
    for (Frame *f = vm->frame; f; f = f->caller)
        if (!IS_EMPTY(f->handled)) return f->handled;
    return NONE_VAL();
}

// ---- the work of the longer instructions --------------------------------------------------------
// Each helper here is one instruction's work, or the fast path of one, taken out of run() so that
// the loop reads as a table of short cases; they are `static inline`, so they stay in the loop.
// (The slow paths are in instr.c.)  None sees run()'s registers: each takes what it needs (the
// frame's saved sp is current whenever a helper can allocate or raise) and returns what the case
// needs to go on.

// The namespace that STORE_NAME, DELETE_NAME and IMPORT_STAR write: the code's own dict when it has
// one, else the globals.
static inline ObjDict *name_namespace(Frame *frame) { return frame->locals ? frame->locals : frame->globals; }

// LOAD_ATTR's shortcut for self.x: an instance's own dict decides, unless its class has a data
// descriptor (a property ...), which would take precedence (see vm/attr.c).  EMPTY: the general
// lookup must decide.
//
// (This shortcut and the next ones return the Value itself rather than filling a `Value *out`,
// and the cases keep the fast path's value in a variable of its own: a Value whose address is
// taken lives in memory, written as two 8-byte stores and read back as one 16-byte load, which the
// processor cannot forward.  That stall cost a fifth of bench/method.aio's time.)
//
// The instruction's cache remembers where in the dict's entries the name was found last time:
// instances of one class mostly get their attributes in the same order (in __init__), so the
// next instance has it at the same position.  The guess is checked by the key itself (names are
// interned, so a pointer comparison), never trusted: a wrong or stale guess costs one lookup.
static inline int64_t guess_attr_entry(LookupCache *cache, ObjDict *d, ObjStr *name) {
    size_t at = (size_t)cache->index;
    if (at < d->entry_count && IS_OBJ(d->entries[at].key) && AS_OBJ(d->entries[at].key) == (Obj *)name) return (int64_t)at;
    int64_t found = dict_find_str(d, name);
    if (found >= 0) cache->index = (int32_t)found;
    return found;
}

static inline Value load_attr_from_dict(LookupCache *cache, Value obj, ObjStr *name) {
    if (!IS_INSTANCE(obj) || AS_OBJ(obj)->cls->has_data_descriptors) return EMPTY_VAL();
    ObjDict *d = AS_INSTANCE(obj)->dict;
    int64_t at = guess_attr_entry(cache, d, name);
    return at < 0 ? EMPTY_VAL() : d->entries[at].value;
}

// STORE_ATTR's shortcut for self.x = v: an attribute the instance already has, when nothing can
// intercept the store (a __setattr__, a data descriptor, a built-in class without a dict), is
// overwritten in place, with no hashing and no resizing.  False: the general store must do it.
static inline bool store_attr_in_place(LookupCache *cache, Value obj, ObjStr *name, Value value) {
    if (!IS_INSTANCE(obj)) return false;
    ObjClass *cls = AS_OBJ(obj)->cls;
    if (cls->has_setattr || cls->has_data_descriptors || (cls->flags & CLASS_BUILTIN)) return false;
    ObjDict *d = AS_INSTANCE(obj)->dict;
    int64_t at = guess_attr_entry(cache, d, name); // (as LOAD_ATTR's guess, above)
    if (at < 0) return false;
    d->entries[at].value = value;
    return true;
}

// LOAD_METHOD's shortcut: name is a plain method of obj's class (found through the instruction's
// cache), not shadowed by the instance's own dict.  The case then pushes the function and obj,
// and CALL passes obj as self: no bound method is made.  EMPTY: fetch the attribute as usual.
static inline Value find_plain_method(LookupCache *cache, Value obj, ObjStr *name) {
    if (IS_INSTANCE(obj)) {
        Value m = cached_class_lookup(cache, AS_OBJ(obj)->cls, name);
        if (!(IS_FUNCTION(m) || IS_NATIVE(m)) || !IS_EMPTY(dict_get_str(AS_INSTANCE(obj)->dict, name)))
            return EMPTY_VAL();
        return m;
    }
    // Objects of C kinds: only their C methods (classes, modules and wrappers look up their own way).
    if (!IS_OBJ(obj) || IS_CLASS(obj) || IS_MODULE(obj) || IS_WRAPPER(obj)) return EMPTY_VAL();
    Value m = cached_class_lookup(cache, AS_OBJ(obj)->cls, name);
    if (!IS_NATIVE(m) || !AS_NATIVE(m)->is_method || AS_NATIVE(m)->is_classmethod) return EMPTY_VAL();
    return m;
}

// CALL's common case, done without leaving the loop: a Python function with plain positional
// parameters (CODE_SIMPLE) called with exactly argcount positional arguments, when the running
// chunk of the frame stack has room.  The frame is set up here as frame_push and init_frame would
// do it (keep them in step), the arguments copied straight into its slots.  Returns the new frame,
// linked under caller and running (vm->frame), with the caller's stack popped down to the slot the
// result will take; NULL when the call is not of this kind, with nothing changed.  A checkpoint
// that is due sends the call the long way (do_call), where it is taken.
static inline Frame *push_simple_call(Vm *vm, Frame *caller, Value *sp, int argc) {
    Value *base = sp - argc - 2;
    Value callee = base[1];
    Value *args = base + 2;
    if (!IS_EMPTY(base[0])) { // LOAD_METHOD's function and self: self is the first argument
        callee = base[0];
        args = base + 1;
        argc++;
    }
    if (!IS_FUNCTION(callee) || caller->kwnames || CHECKPOINT_DUE()) return NULL;
    ObjFunction *fn = AS_FUNCTION(callee);
    ObjCode *code = fn->code;
    FrameChunk *chunk = vm->chunk;
    if (!(code->flags & CODE_SIMPLE) || argc != code->argcount || vm->depth >= vm->recursion_limit ||
        !chunk || (size_t)(chunk->end - chunk->top) < code->frame_bytes)
        return NULL;
    Frame *f = (Frame *)chunk->top;
    chunk->top += code->frame_bytes;
    f->caller = caller;
    f->func = fn;
    f->code = code;
    f->ip = code->words;
    f->stack = f->slots + code->nlocals; // CODE_SIMPLE: no cells
    f->sp = f->stack;
    f->globals = fn->globals;
    f->locals = NULL;
    f->gen = NULL;
    f->handled = EMPTY_VAL();
    f->kwnames = NULL;
    f->boundary = false;
    f->nblocks = 0;
    f->blocks = (Block *)(f->stack + code->stacksize);
    for (int i = 0; i < argc; i++) f->slots[i] = args[i];
    for (int i = argc; i < code->nlocals; i++) f->slots[i] = EMPTY_VAL();
    vm->depth++;
    caller->sp = base;
    vm->frame = f;
    return f;
}

// BINARY_SUBSCR's and STORE_SUBSCR's shortcut: a list indexed by an int within its bounds
// (negative counting from the end).  The position, or -1 when the general path must decide (and
// raise IndexError when it is out of range).
static inline int64_t list_index_in_range(Value obj, Value key) {
    if (!IS_LIST(obj) || !IS_INT(key)) return -1;
    int64_t i = AS_INT(key), n = (int64_t)AS_LIST(obj)->count;
    if (i < 0) i += n;
    return i >= 0 && i < n ? i : -1;
}

// Runs generator g's frame inline, linked under caller: from here on the running frame is g's,
// and its YIELD_VALUE or RETURN_VALUE comes back to the caller inside the same run() (it is not a
// boundary).  A suspended generator gets `sent` pushed, as the value of the yield it stopped at; a
// fresh one starts at its first instruction with nothing pushed.  FOR_ITER and SEND both come
// here, and `exit` is where the caller goes on when g returns (the argument of either).
//
// The SEND/RETURN linkage.  While g runs inline, the caller's saved ip tells g, when it yields or
// returns, which of the two is waiting: FOR_ITER leaves it ON the FOR_ITER (ip - 1), SEND leaves
// it after the SEND, on the YIELD_VALUE 1 that passes each yielded value up.  See
// back_from_inline_generator and the YIELD_VALUE case for the other half.
// NULL with RecursionError pending, with nothing changed, when the depth is used up.
static inline Frame *enter_generator_frame(Vm *vm, Frame *caller, ObjGenerator *g, Value sent,
                                           uint32_t exit) {
    if (!vm_enter_depth(vm)) return NULL;
    caller->send_exit = exit;
    Frame *child = g->frame;
    child->caller = caller;
    child->boundary = false;
    if (g->state != GEN_CREATED) *child->sp++ = sent;
    g->state = GEN_RUNNING;
    vm->frame = child;
    return child;
}

// FOR_ITER runs a plain generator inline unless it is already running (ValueError) or finished:
// both cases take the general path, which raises or ends the loop.
static inline bool for_iter_runs_inline(Value it) {
    return IS_GENERATOR(it) && AS_GENERATOR(it)->flavor == FLAVOR_GENERATOR &&
           AS_GENERATOR(it)->state != GEN_RUNNING && AS_GENERATOR(it)->state != GEN_CLOSED;
}

// SEND runs a bytecode generator or coroutine inline when it is suspended, or fresh and sent None;
// any other state goes the long way, where gen_resume raises the right error.  While the delegate
// runs inline, the SEND's frame keeps the receiver on top of its stack; the delegate's
// RETURN_VALUE puts its value where the receiver was and jumps to SEND's exit, as SEND itself
// does when a delegate run out of line returns.
static inline bool send_runs_inline(Value receiver, Value v) {
    return IS_GENERATOR(receiver) && (AS_GENERATOR(receiver)->state == GEN_SUSPENDED ||
                                      (AS_GENERATOR(receiver)->state == GEN_CREATED && IS_NONE(v)));
}

// A generator run inline has returned v into caller, whose ip and sp are in *ip_io and *sp_io
// (loaded from the frame, which still has g's delegate or iterator on top).  From FOR_ITER (the
// saved ip still on the FOR_ITER) the loop ends: the generator is popped and the loop's exit
// follows.  From SEND the return value replaces the generator and SEND's exit follows.
static inline void back_from_inline_generator(Frame *caller, uint32_t **ip_io, Value **sp_io, Value v) {
    uint32_t *ip = *ip_io;
    if ((*ip & 0xFF) == OP_FOR_ITER) {
        (*sp_io)--;
        *ip_io = caller->code->words + (*ip >> 8);
    } else {
        (*sp_io)[-1] = v;
        *ip_io = caller->code->words + caller->send_exit;
    }
}

// A yield: the generator's frame hands control back to whoever resumed it.  It leaves the chain
// (its next send may come from anywhere) and no longer counts in the depth; its ip and sp, saved
// by the caller of this, are where it resumes.  Returns the frame to continue in.
static inline Frame *suspend_generator_frame(Vm *vm, Frame *frame, bool plain_yield) {
    ObjGenerator *g = frame->gen;
    g->state = GEN_SUSPENDED;
    g->plain_yield = plain_yield;
    vm->depth--;
    Frame *caller = frame->caller;
    frame->caller = NULL;
    vm->frame = caller;
    return caller;
}

// A frame is done, returned from or raised out of: it gives back its depth and leaves the chain.
// A generator's frame belongs to the generator object, which is now closed; any other frame goes
// back to the frame stack.  When it raised, a StopIteration leaving a generator becomes a
// RuntimeError (PEP 479).
static inline void end_frame(Vm *vm, Frame *frame, bool raised) {
    ObjGenerator *g = frame->gen;
    Frame *caller = frame->caller;
    vm->depth--;
    if (g) {
        g->state = GEN_CLOSED;
        g->frame = NULL; // its memory goes with the generator object
        if (raised) gen_convert_stop_iteration(vm, g);
    } else {
        frame_pop(vm, frame);
    }
    vm->frame = caller;
}

#ifdef AIO_TRACE_EXECUTION
// The instruction trace (make VARIANT=trace), on stderr: before each instruction, the running
// frame's value stack from bottom to top, then the instruction with its line number, as --dis
// shows it.  A line `== name` marks each change of running frame (a call, a return, a generator
// resumed).  Values are shown by dis_brief_value, which runs no __repr__ and allocates nothing,
// so the trace cannot change what the program does.
static void trace_instruction(Vm *vm, Frame *frame, uint32_t *ip, Value *sp) {
    static Frame *last_frame;
    if (frame != last_frame) {
        fprintf(stderr, "== %s\n", frame->code->qualname->chars);
        last_frame = frame;
    }
    fputs("          ", stderr);
    for (Value *v = frame->stack; v < sp; v++) {
        fputs("[ ", stderr);
        dis_brief_value(vm, *v, stderr);
        fputs(" ]", stderr);
    }
    fputc('\n', stderr);
    size_t at = (size_t)(ip - frame->code->words);
    fprintf(stderr, "%4d      ", frame->code->lines[at]);
    dis_instruction(vm, frame->code, at, true, stderr);
}
#endif

#ifdef AIO_DEBUG
uint64_t vm_debug_op_counts[256];
uint64_t vm_debug_branch_counts[256][2];

static const char *const debug_op_names[] = {
#define OP_NAME(name, ...) [OP_##name] = #name,
    OPCODES(OP_NAME)
#undef OP_NAME
};

static void debug_fail(Frame *frame, uint32_t *ip, int last_op, const char *what, long got, long want) {
    ObjCode *code = frame->code;
    long pc = (long)(ip - code->words);
    fprintf(stderr, "aio debug check failed: %s is %ld, expected %ld\n", what, got, want);
    fprintf(stderr, "  in %s (%s) at word %ld, line %d", code->name ? code->name->chars : "?",
            code->filename ? code->filename->chars : "?", pc,
            pc >= 0 && (size_t)pc < code->nwords ? code->lines[pc] : -1);
    if (pc > 0 && (size_t)pc <= code->nwords)
        fprintf(stderr, "; the word before is %s", debug_op_names[code->words[pc - 1] & 0xFF]);
    if (last_op >= 0) fprintf(stderr, "; the last instruction run was %s", debug_op_names[last_op]);
    fputc('\n', stderr);
    abort();
}

// Before every instruction: the frame must be exactly as the compiler's flow pass computed it
// (stack depth and active blocks), inside the frame's bounds, with no exception pending; a return
// leaves exactly its value and no block.
static void debug_check_frame(Vm *vm, Frame *frame, uint32_t *ip, Value *sp, int last_op) {
    ObjCode *code = frame->code;
    long pc = (long)(ip - code->words);
    long depth = (long)(sp - frame->stack);
    if (pc < 0 || (size_t)pc >= code->nwords) debug_fail(frame, ip, last_op, "the instruction index", pc, 0);
    if (depth < 0 || depth > code->stacksize - 2)
        debug_fail(frame, ip, last_op, "the stack depth (outside [0, computed max])", depth, code->stacksize - 2);
    if (frame->nblocks > code->maxblocks)
        debug_fail(frame, ip, last_op, "the block count (above the computed max)", frame->nblocks, code->maxblocks);
    for (int i = 0; i < frame->nblocks; i++)
        if ((long)frame->blocks[i].level > depth)
            debug_fail(frame, ip, last_op, "a block's stack level (above the depth)", frame->blocks[i].level, depth);
    if (!IS_EMPTY(vm->exception))
        debug_fail(frame, ip, last_op, "the pending exception (set while running)", 1, 0);
    // A return leaves nothing behind: every loop iterator, with-exit and block was unwound.
    if ((code->words[pc] & 0xFF) == OP_RETURN_VALUE) {
        if (depth != 1) debug_fail(frame, ip, last_op, "the stack depth at RETURN_VALUE", depth, 1);
        if (frame->nblocks != 0) debug_fail(frame, ip, last_op, "the block count at RETURN_VALUE", frame->nblocks, 0);
    }
    if (code->flow) {
        FlowCheck want = code->flow[pc];
        if (want.depth < 0) debug_fail(frame, ip, last_op, "reached an instruction the flow pass calls unreachable", 1, 0);
        if (depth != want.depth) debug_fail(frame, ip, last_op, "the stack depth", depth, want.depth);
        if (frame->nblocks != want.blocks) debug_fail(frame, ip, last_op, "the block count", frame->nblocks, want.blocks);
    }
}
#endif

RunResult vm_run(Vm *vm, Value *result, bool throwing) {
    Frame *frame = vm->frame;
    uint32_t *ip;
    Value *sp;
    ObjCode *code;
    Value *consts;
    Value *slots;
    LOAD();
    uint32_t word;
#ifdef COMPUTED_GOTO
    static void *dispatch_table[256] = {
#define OP_LABEL(name, ...) [OP_##name] = &&L_##name,
        OPCODES(OP_LABEL)
#undef OP_LABEL
        [OP__COUNT... 255] = &&L_NOP, // never emitted
    };
#endif
#ifdef AIO_DEBUG
    int last_op = -1;
    Frame *last_frame = NULL;
    uint32_t *last_ip = NULL;
#endif
    if (throwing) goto error;

    for (;;) {
#ifndef COMPUTED_GOTO
    next_instruction:
#endif
#ifdef AIO_DEBUG
        debug_check_frame(vm, frame, ip, sp, last_op);
        // A conditional jump that stayed in its frame: taken unless the next word follows it.
        if (last_frame == frame && last_ip && last_op >= 0)
            vm_debug_branch_counts[last_op][ip != last_ip + 1]++;
        last_op = (int)(*ip & 0xFF);
        last_frame = frame;
        last_ip = ip;
        vm_debug_op_counts[last_op]++;
#endif
#ifdef AIO_TRACE_EXECUTION
        trace_instruction(vm, frame, ip, sp);
#endif
        word = *ip++;
#ifdef COMPUTED_GOTO
        goto *dispatch_table[word & 0xFF];
#endif
        // Every case ends in DISPATCH(), THROW(), `goto reraise` or a return from run().
        switch ((OpCode)(word & 0xFF)) {
        CASE(NOP): DISPATCH();
        CASE(POP_TOP): sp--; DISPATCH();
        CASE(PUSH_NULL): PUSH(EMPTY_VAL()); DISPATCH();
        CASE(COPY): {
            Value v = PEEK(READ_ARG());
            PUSH(v);
            DISPATCH();
        }
        CASE(SWAP): {
            int n = (int)READ_ARG();
            Value t = sp[-1];
            sp[-1] = sp[-n];
            sp[-n] = t;
            DISPATCH();
        }

        // ---- variables ----
        CASE(LOAD_CONST): PUSH(consts[READ_ARG()]); DISPATCH();
        CASE(LOAD_FAST): {
            Value v = slots[READ_ARG()];
            if (UNLIKELY(IS_EMPTY(v))) {
                SAVE();
                instr_raise_unbound_local(vm, code, READ_ARG());
                THROW();
            }
            PUSH(v);
            DISPATCH();
        }
        CASE(STORE_FAST): slots[READ_ARG()] = POP(); DISPATCH();
        CASE(DELETE_FAST):
            if (IS_EMPTY(slots[READ_ARG()])) {
                SAVE();
                instr_raise_unbound_local(vm, code, READ_ARG());
                THROW();
            }
            slots[READ_ARG()] = EMPTY_VAL();
            DISPATCH();
        CASE(LOAD_DEREF): {
            int i = (int)READ_ARG();
            Value v = AS_CELL(slots[code->nlocals + i])->value;
            if (UNLIKELY(IS_EMPTY(v))) {
                SAVE();
                instr_raise_unbound_cell(vm, code, i);
                THROW();
            }
            PUSH(v);
            DISPATCH();
        }
        CASE(LOAD_CLASSDEREF): {
            // A class body reading a variable of the function around it: its namespace first.
            int i = (int)READ_ARG();
            Value v = dict_get_str(frame->locals, code->cellnames[i]);
            if (IS_EMPTY(v)) v = AS_CELL(slots[code->nlocals + i])->value;
            if (UNLIKELY(IS_EMPTY(v))) {
                SAVE();
                instr_raise_unbound_cell(vm, code, i);
                THROW();
            }
            PUSH(v);
            DISPATCH();
        }
        CASE(STORE_DEREF): AS_CELL(slots[code->nlocals + READ_ARG()])->value = POP(); DISPATCH();
        CASE(DELETE_DEREF): AS_CELL(slots[code->nlocals + READ_ARG()])->value = EMPTY_VAL(); DISPATCH();
        CASE(LOAD_CLOSURE): PUSH(slots[code->nlocals + READ_ARG()]); DISPATCH();
        CASE(LOAD_GLOBAL): {
            // The cache remembers where the name was found.  It holds while neither the globals nor
            // (for a builtin) the builtins dict has gained or lost a key since: an assignment to an
            // existing name changes the value in place, which is read afresh here.
            LookupCache *cache = &code->caches[ip - 1 - code->words];
            ObjDict *globals = frame->globals;
            if (LIKELY(cache->dict == globals && cache->version == globals->version)) {
                if (!cache->in_builtins) {
                    PUSH(globals->entries[cache->index].value);
                    DISPATCH();
                }
                if (cache->bversion == vm->builtins->version) {
                    PUSH(vm->builtins->entries[cache->index].value);
                    DISPATCH();
                }
            }
            SAVE();
            Value v;
            if (!instr_load_global_slow(vm, globals, cache, code->names[READ_ARG()], &v)) THROW();
            PUSH(v);
            DISPATCH();
        }
        CASE(STORE_GLOBAL):
            SAVE();
            dict_set_str(vm, frame->globals, code->names[READ_ARG()], PEEK(1));
            sp--;
            DISPATCH();
        CASE(DELETE_GLOBAL):
            SAVE();
            if (!instr_delete_name(vm, frame->globals, code->names[READ_ARG()])) THROW();
            DISPATCH();
        CASE(LOAD_NAME): {
            SAVE();
            Value v;
            if (!instr_load_name(vm, frame, code->names[READ_ARG()], &v)) THROW();
            PUSH(v);
            DISPATCH();
        }
        CASE(STORE_NAME):
            SAVE();
            dict_set_str(vm, name_namespace(frame), code->names[READ_ARG()], PEEK(1));
            sp--;
            DISPATCH();
        CASE(DELETE_NAME):
            SAVE();
            if (!instr_delete_name(vm, name_namespace(frame), code->names[READ_ARG()])) THROW();
            DISPATCH();

        // ---- attributes ----
        CASE(LOAD_ATTR): {
            Value own = load_attr_from_dict(&code->caches[ip - 1 - code->words], PEEK(1), code->names[READ_ARG()]);
            if (!IS_EMPTY(own)) {
                sp[-1] = own;
                DISPATCH();
            }
            SAVE();
            Value v;
            if (!vm_getattr(vm, PEEK(1), code->names[READ_ARG()], &v)) THROW();
            sp[-1] = v;
            DISPATCH();
        }
        CASE(STORE_ATTR):
            if (store_attr_in_place(&code->caches[ip - 1 - code->words], PEEK(1), code->names[READ_ARG()], PEEK(2))) {
                sp -= 2;
                DISPATCH();
            }
            SAVE();
            if (!vm_setattr(vm, PEEK(1), code->names[READ_ARG()], PEEK(2))) THROW();
            sp -= 2;
            DISPATCH();
        CASE(DELETE_ATTR):
            SAVE();
            if (!vm_delattr(vm, PEEK(1), code->names[READ_ARG()])) THROW();
            sp--;
            DISPATCH();
        CASE(LOAD_METHOD): {
            // obj -> function obj (a plain method: CALL passes obj as self), or EMPTY attribute.
            Value obj = PEEK(1);
            SAVE();
            Value method = find_plain_method(&code->caches[ip - 1 - code->words], obj, code->names[READ_ARG()]);
            if (!IS_EMPTY(method)) {
                sp[-1] = method;
                PUSH(obj);
                DISPATCH();
            }
            Value v;
            if (!vm_getattr(vm, obj, code->names[READ_ARG()], &v)) THROW();
            sp[-1] = EMPTY_VAL();
            PUSH(v);
            DISPATCH();
        }

        // ---- calls ----
        CASE(KW_NAMES): frame->kwnames = AS_TUPLE(consts[READ_ARG()]); DISPATCH();
        CASE(CALL): {
            // The stack: function-or-EMPTY, self-or-callable, the arguments (see compile.c).
            Frame *callee = push_simple_call(vm, frame, sp, (int)READ_ARG());
            if (LIKELY(callee != NULL)) {
                frame->ip = ip;
                frame = callee;
                LOAD();
                DISPATCH();
            }
            SAVE();
            if (CHECKPOINT_DUE() && !run_checkpoint(vm)) THROW();
            Frame *next = do_call(vm, frame, &sp, (int)READ_ARG());
            if (!next) THROW();
            if (next != frame) { // a bytecode function: continue in its frame
                frame = next;
                LOAD();
            }
            DISPATCH();
        }
        CASE(CALL_FUNCTION_EX): {
            SAVE();
            Value *base = sp - 3 - (READ_ARG() & 1);
            Value r;
            if (!vm_call_function_ex(vm, base, READ_ARG() & 1, &r)) THROW();
            sp = base;
            PUSH(r);
            DISPATCH();
        }
        CASE(MAKE_FUNCTION): {
            SAVE();
            int flags = (int)READ_ARG();
            int n = (flags & 1) + ((flags >> 1) & 1) + ((flags >> 3) & 1) + 1;
            Value fn;
            if (!vm_build_function(vm, frame, flags, sp, &fn)) THROW();
            sp -= n;
            PUSH(fn);
            DISPATCH();
        }
        CASE(LOAD_BUILD_CLASS): {
            SAVE();
            Value v;
            if (!vm_load_build_class(vm, &v)) THROW();
            PUSH(v);
            DISPATCH();
        }

        // ---- operators ----
        CASE(BINARY_OP): {
            if (binary_op_fast((int)READ_ARG(), sp)) {
                sp--;
                DISPATCH();
            }
            SAVE();
            Value r;
            if (!vm_binary_op(vm, (int)READ_ARG(), sp[-2], sp[-1], &r)) THROW();
            sp[-2] = r;
            sp--;
            DISPATCH();
        }
        CASE(UNARY_NEGATIVE):
        CASE(UNARY_POSITIVE):
        CASE(UNARY_INVERT): {
            SAVE();
            Value r;
            int op = (word & 0xFF) == OP_UNARY_NEGATIVE ? UNARY_NEG
                     : (word & 0xFF) == OP_UNARY_POSITIVE ? UNARY_POS
                                                          : UNARY_INVERT;
            if (!vm_unary_op(vm, op, PEEK(1), &r)) THROW();
            sp[-1] = r;
            DISPATCH();
        }
        CASE(UNARY_NOT): {
            Value v = PEEK(1);
            bool t;
            if (IS_BOOL(v)) t = AS_BOOL(v);
            else {
                SAVE();
                if (!vm_truthy(vm, v, &t)) THROW();
            }
            sp[-1] = BOOL_VAL(!t);
            DISPATCH();
        }
        CASE(COMPARE_OP): {
            if (IS_INT(sp[-1]) && IS_INT(sp[-2])) {
                bool res = int_fast_compare((int)READ_ARG(), sp[-2].as.integer, sp[-1].as.integer);
                if (fused_conditional_jump(&ip, code, res)) {
                    sp -= 2;
                    DISPATCH();
                }
                sp[-2].tag = VAL_BOOL; // tag and payload apart: fewer instructions than a whole Value
                sp[-2].as.integer = res;
                sp--;
                DISPATCH();
            }
            SAVE();
            Value r;
            if (!vm_compare(vm, (int)READ_ARG(), sp[-2], sp[-1], &r)) THROW();
            sp[-2] = r;
            sp--;
            DISPATCH();
        }
        CASE(IS_OP): {
            bool same = value_is(PEEK(2), PEEK(1));
            sp[-2] = BOOL_VAL(READ_ARG() ? !same : same);
            sp--;
            DISPATCH();
        }
        CASE(CONTAINS_OP): {
            SAVE();
            bool in;
            if (!vm_contains(vm, PEEK(1), PEEK(2), &in)) THROW();
            sp[-2] = BOOL_VAL(READ_ARG() ? !in : in);
            sp--;
            DISPATCH();
        }

        // ---- subscripts and containers ----
        CASE(BINARY_SUBSCR): {
            Value key = PEEK(1), obj = PEEK(2);
            int64_t i = list_index_in_range(obj, key);
            if (i >= 0) {
                sp[-2] = AS_LIST(obj)->items[i];
                sp--;
                DISPATCH();
            }
            SAVE();
            Value r;
            if (!vm_getitem(vm, obj, key, &r)) THROW();
            sp[-2] = r;
            sp--;
            DISPATCH();
        }
        CASE(STORE_SUBSCR): {
            Value key = PEEK(1), obj = PEEK(2), value = PEEK(3);
            int64_t i = list_index_in_range(obj, key);
            if (i >= 0) AS_LIST(obj)->items[i] = value;
            else {
                SAVE();
                if (!vm_setitem(vm, obj, key, value)) THROW();
            }
            sp -= 3;
            DISPATCH();
        }
        CASE(DELETE_SUBSCR):
            SAVE();
            if (!vm_delitem(vm, PEEK(2), PEEK(1))) THROW();
            sp -= 2;
            DISPATCH();
        CASE(BUILD_SLICE): {
            SAVE(); // the bounds stay on the stack, rooted, while the slice is allocated
            int n = (int)READ_ARG();
            Value step = n == 3 ? PEEK(1) : NONE_VAL();
            ObjSlice *s = slice_new(vm, PEEK(n), PEEK(n - 1), step);
            sp -= n;
            PUSH(OBJ_VAL(s));
            DISPATCH();
        }
        CASE(BUILD_TUPLE): {
            SAVE();
            int n = (int)READ_ARG();
            ObjTuple *t = tuple_new(vm, (size_t)n);
            if (n) memcpy(t->items, sp - n, sizeof(Value) * (size_t)n);
            sp -= n;
            PUSH(OBJ_VAL(t));
            DISPATCH();
        }
        CASE(BUILD_LIST): {
            SAVE();
            int n = (int)READ_ARG();
            ObjList *l = list_new(vm, (size_t)n);
            if (n) memcpy(l->items, sp - n, sizeof(Value) * (size_t)n);
            l->count = (size_t)n;
            sp -= n;
            PUSH(OBJ_VAL(l));
            DISPATCH();
        }
        CASE(BUILD_SET): {
            SAVE();
            int n = (int)READ_ARG();
            Value s;
            if (!instr_build_set(vm, sp - n, n, &s)) THROW();
            sp -= n;
            PUSH(s);
            DISPATCH();
        }
        CASE(BUILD_MAP): {
            SAVE();
            int n = (int)READ_ARG();
            Value d;
            if (!instr_build_map(vm, sp - 2 * n, n, &d)) THROW();
            sp -= 2 * n;
            PUSH(d);
            DISPATCH();
        }
        CASE(BUILD_STRING): {
            SAVE();
            int n = (int)READ_ARG();
            StrBuf sb;
            sb_init(&sb);
            for (int i = n; i > 0; i--) sb_append(&sb, AS_STR(PEEK(i))->chars, AS_STR(PEEK(i))->length);
            ObjStr *s = str_from_buf(vm, &sb);
            sp -= n;
            PUSH(OBJ_VAL(s));
            DISPATCH();
        }
        // The next four add TOS to the container READ_ARG() deep below it (a comprehension's result
        // lies under its loop iterators).
        CASE(LIST_APPEND):
            SAVE();
            if (!list_try_append(vm, AS_LIST(PEEK(READ_ARG() + 1)), PEEK(1))) THROW();
            sp--;
            DISPATCH();
        CASE(SET_ADD):
            SAVE();
            if (!set_add_value(vm, AS_SET(PEEK(READ_ARG() + 1)), PEEK(1))) THROW();
            sp--;
            DISPATCH();
        CASE(MAP_ADD):
            SAVE();
            if (!dict_set(vm, AS_DICT(PEEK(READ_ARG() + 2)), PEEK(2), PEEK(1))) THROW();
            sp -= 2;
            DISPATCH();
        CASE(LIST_EXTEND): {
            SAVE();
            int depth = (int)(READ_ARG() & ~(uint32_t)LIST_EXTEND_SOLE_STAR);
            // f(*x): below the list lies f, which the error for a non-iterable x names
            Value callee = (READ_ARG() & LIST_EXTEND_SOLE_STAR) ? PEEK(depth + 2) : EMPTY_VAL();
            if (!instr_list_extend(vm, AS_LIST(PEEK(depth + 1)), PEEK(1), callee)) THROW();
            sp--;
            DISPATCH();
        }
        CASE(SET_UPDATE):
            SAVE();
            if (!set_update(vm, AS_SET(PEEK(READ_ARG() + 1)), PEEK(1))) THROW();
            sp--;
            DISPATCH();
        CASE(DICT_UPDATE):
        CASE(DICT_MERGE):
            // For DICT_MERGE (a call's **m) the callee lies below the dict being built.
            SAVE();
            if (!instr_merge_mapping(vm, AS_DICT(PEEK(READ_ARG() + 1)), &sp[-1], (word & 0xFF) == OP_DICT_MERGE,
                               (word & 0xFF) == OP_DICT_MERGE ? PEEK(READ_ARG() + 3) : NONE_VAL()))
                THROW();
            sp--;
            DISPATCH();
        CASE(LIST_TO_TUPLE): {
            SAVE();
            ObjTuple *t = tuple_try_from_list(vm, AS_LIST(PEEK(1)));
            if (!t) THROW();
            sp[-1] = OBJ_VAL(t);
            DISPATCH();
        }
        CASE(FORMAT_VALUE): {
            // value [spec] -> str; the spec, when there is one, stays on the stack while formatting.
            SAVE();
            int flags = (int)READ_ARG();
            Value spec = (flags & 4) ? PEEK(1) : EMPTY_VAL();
            Value r;
            if (!vm_hooks.format_for_fstring(vm, PEEK((flags & 4) ? 2 : 1), flags & 3, spec, &r)) THROW();
            if (flags & 4) sp--;
            sp[-1] = r;
            DISPATCH();
        }
        CASE(UNPACK_SEQUENCE): {
            SAVE();
            int n = (int)READ_ARG();
            // The items land straight in the stack slots the targets will pop.
            if (!instr_unpack_sequence(vm, PEEK(1), n, 0, false, sp - 1)) THROW();
            sp += n - 1;
            DISPATCH();
        }
        CASE(UNPACK_EX): {
            SAVE();
            int before = (int)(READ_ARG() & 0xFF), after = (int)(READ_ARG() >> 8);
            // The items land straight in the stack slots the targets will pop (the sequence's
            // slot is overwritten only once nothing more is read from it).
            if (!instr_unpack_sequence(vm, PEEK(1), before, after, true, sp - 1)) THROW();
            sp += before + after;
            DISPATCH();
        }

        // ---- loops, jumps, generators ----
        CASE(GET_ITER): {
            Value v = PEEK(1);
            if (IS_ITER(v) || IS_GENERATOR(v)) DISPATCH();
            SAVE();
            Value it;
            if (!vm_iter(vm, v, &it)) THROW();
            sp[-1] = it;
            DISPATCH();
        }
        CASE(FOR_ITER): {
            Value it = PEEK(1);
            SAVE();
            if (for_iter_runs_inline(it)) {
                // The generator's frame runs inline, under this one (see enter_generator_frame).
                Frame *child = enter_generator_frame(vm, frame, AS_GENERATOR(it), NONE_VAL(), READ_ARG());
                if (!child) THROW();
                frame->ip = ip - 1; // left ON the FOR_ITER: a yield steps past it, a return exits
                frame = child;
                LOAD();
                DISPATCH();
            }
            Value v;
            int r = IS_ITER(it) ? AS_ITER(it)->next(vm, AS_OBJ(it), &v) : vm_next(vm, it, &v);
            if (r < 0) THROW();
            if (r > 0) PUSH(v);
            else { // exhausted: pop the iterator, leave the loop
                sp--;
                JUMP_TO(READ_ARG());
            }
            DISPATCH();
        }
        CASE(JUMP): {
            uint32_t target = READ_ARG();
            // A backward jump closes a loop: the place to run signal handlers (Ctrl-C).
            if (CHECKPOINT_DUE() && code->words + target < ip) {
                SAVE();
                if (!run_checkpoint(vm)) THROW();
            }
            JUMP_TO(target);
            DISPATCH();
        }
        CASE(POP_JUMP_IF_FALSE):
        CASE(POP_JUMP_IF_TRUE): {
            Value v = POP();
            bool t;
            if (IS_BOOL(v)) t = AS_BOOL(v);
            else if (IS_INT(v)) t = AS_INT(v) != 0;
            else if (IS_NONE(v)) t = false;
            else {
                SAVE();
                if (!vm_truthy(vm, v, &t)) THROW();
            }
            if (t == ((word & 0xFF) == OP_POP_JUMP_IF_TRUE)) JUMP_TO(READ_ARG());
            DISPATCH();
        }
        CASE(POP_JUMP_IF_NONE):
            if (IS_NONE(POP())) JUMP_TO(READ_ARG());
            DISPATCH();
        CASE(JUMP_IF_FALSE_OR_POP):
        CASE(JUMP_IF_TRUE_OR_POP): {
            bool t;
            SAVE();
            if (!vm_truthy(vm, PEEK(1), &t)) THROW();
            if (t == ((word & 0xFF) == OP_JUMP_IF_TRUE_OR_POP)) JUMP_TO(READ_ARG());
            else sp--;
            DISPATCH();
        }
        CASE(RETURN_VALUE): {
            Value v = POP();
            Frame *caller = frame->caller;
            bool boundary = frame->boundary;
            ObjGenerator *g = frame->gen;
            end_frame(vm, frame, false);
            if (boundary) {
                *result = v;
                return RUN_RETURNED;
            }
            frame = caller;
            LOAD();
            if (g) back_from_inline_generator(frame, &ip, &sp, v); // it ran the generator inline
            else PUSH(v);
            DISPATCH();
        }
        CASE(YIELD_VALUE): {
            Value v = POP();
            SAVE();
            bool boundary = frame->boundary;
            Frame *caller = suspend_generator_frame(vm, frame, READ_ARG() == 0);
            if (boundary) {
                *result = v;
                return RUN_YIELDED;
            }
            frame = caller;
            LOAD();
            // Back in the frame that ran the generator inline.  After a FOR_ITER (its saved ip still
            // on the FOR_ITER) step past it: the value is the loop's next item.  After a SEND the ip
            // is already on the YIELD_VALUE 1 that passes the value further up.
            if ((*ip & 0xFF) == OP_FOR_ITER) ip++;
            PUSH(v);
            DISPATCH();
        }
        CASE(SEND): {
            // receiver v -> receiver value (it yielded value; SEND falls through to its
            // YIELD_VALUE 1), or -> result, jumping to READ_ARG() (it returned result).
            Value v = PEEK(1), receiver = PEEK(2);
            SAVE();
            if (send_runs_inline(receiver, v)) { // the common case (see send_runs_inline)
                Frame *child = enter_generator_frame(vm, frame, AS_GENERATOR(receiver), v, READ_ARG());
                if (!child) THROW();
                frame->sp = --sp;
                frame = child;
                LOAD();
                DISPATCH();
            }
            RunResult r = gen_send_out_of_line(vm, sp);
            if (r == RUN_RAISED) THROW();
            if (r == RUN_RETURNED) {
                sp--;
                JUMP_TO(READ_ARG());
            }
            DISPATCH();
        }
        CASE(GET_YIELD_FROM_ITER): {
            SAVE();
            Value it;
            if (!gen_yield_from_iter(vm, frame, PEEK(1), &it)) THROW();
            sp[-1] = it;
            DISPATCH();
        }
        CASE(GET_AWAITABLE): {
            SAVE();
            Value it;
            if (!vm_get_awaitable(vm, PEEK(1), &it)) THROW();
            sp[-1] = it;
            DISPATCH();
        }

        // ---- imports ----
        CASE(IMPORT_NAME): {
            SAVE();
            Value m;
            if (!vm_hooks.import_name(vm, code->names[READ_ARG()], PEEK(1), &m)) THROW();
            sp[-1] = m;
            DISPATCH();
        }
        CASE(IMPORT_FROM): {
            SAVE();
            Value v;
            if (!vm_hooks.import_from(vm, PEEK(1), code->names[READ_ARG()], &v)) THROW();
            PUSH(v);
            DISPATCH();
        }
        CASE(IMPORT_STAR):
            SAVE();
            if (!vm_hooks.import_star(vm, PEEK(1), name_namespace(frame))) THROW();
            sp--;
            DISPATCH();

        // ---- blocks and exceptions ----
        // A block records where its handler starts and the stack depth to cut back to; the
        // unwinding at the end of run() takes the innermost one.
        CASE(SETUP_FINALLY):
            frame->blocks[frame->nblocks++] = (Block){READ_ARG(), (uint32_t)(sp - frame->stack)};
            DISPATCH();
        CASE(SETUP_WITH): {
            // mgr -> exit enter_result, with a block whose handler finds exit below the exception.
            SAVE();
            Value exit, entered;
            if (!vm_with_enter(vm, PEEK(1), false, &exit, &entered)) THROW();
            sp[-1] = exit;
            frame->blocks[frame->nblocks++] = (Block){READ_ARG(), (uint32_t)(sp - frame->stack)};
            PUSH(entered);
            DISPATCH();
        }
        CASE(BEFORE_ASYNC_WITH): {
            SAVE();
            Value exit, awaitable;
            if (!vm_with_enter(vm, PEEK(1), true, &exit, &awaitable)) THROW();
            sp[-1] = exit;
            PUSH(awaitable);
            DISPATCH();
        }
        CASE(POP_BLOCK): frame->nblocks--; DISPATCH();
        CASE(PUSH_EXC_INFO): {
            // exc -> prev exc: the exception becomes this frame's handled one, the one it replaces
            // is kept below for POP_EXCEPT.
            Value exc = PEEK(1);
            sp[-1] = frame->handled;
            PUSH(exc);
            frame->handled = exc;
            DISPATCH();
        }
        CASE(POP_EXCEPT): frame->handled = POP(); DISPATCH();
        CASE(CHECK_EXC_MATCH): {
            SAVE();
            if (!instr_check_except_type(vm, PEEK(1))) THROW();
            sp[-1] = BOOL_VAL(instr_exception_matches(vm, PEEK(2), PEEK(1)));
            DISPATCH();
        }
        CASE(CHECK_EG_MATCH): {
            // group type -> rest match (None when nothing matched)
            SAVE();
            Value match, rest;
            if (!instr_check_except_type(vm, PEEK(1))) THROW();
            if (!vm_hooks.exception_group_match(vm, PEEK(2), PEEK(1), &match, &rest)) THROW();
            sp[-2] = rest;
            sp[-1] = match;
            DISPATCH();
        }
        CASE(PREP_RERAISE_STAR): {
            SAVE();
            Value rest = PEEK(1), raised = PEEK(2), orig = PEEK(3), out;
            if (!vm_hooks.exception_group_reraise(vm, orig, rest, AS_LIST(raised), &out)) THROW();
            sp -= 2;
            sp[-1] = out;
            DISPATCH();
        }
        CASE(RERAISE):
            vm->exception = POP();
            SAVE();
            goto reraise;
        CASE(RAISE_VARARGS): {
            // 0: re-raise the handled exception; 1: raise exc; 2: raise exc from cause.
            SAVE();
            int n = (int)READ_ARG();
            if (n == 0) {
                if (!instr_take_handled_exception(vm)) THROW();
                goto reraise;
            }
            vm_raise_with_cause(vm, PEEK(n), n == 2 ? PEEK(1) : EMPTY_VAL());
            THROW();
        }
        CASE(WITH_EXIT): {
            // exit -> (nothing), or for async with (arg 1) -> the awaitable exit returned.
            SAVE();
            Value args[3] = {NONE_VAL(), NONE_VAL(), NONE_VAL()};
            Value r;
            if (!vm_call(vm, PEEK(1), args, 3, NULL, &r)) THROW();
            if (READ_ARG()) sp[-1] = r;
            else sp--;
            DISPATCH();
        }
        CASE(WITH_EXCEPT_START): {
            // exit prev exc -> exit prev exc result of exit(type, exc, traceback)
            SAVE();
            Value exc = PEEK(1);
            Value args[3] = {OBJ_VAL(AS_OBJ(exc)->cls), exc, NONE_VAL()};
            if (IS_EXCEPTION(exc)) args[2] = vm_hooks.exception_traceback(vm, AS_EXCEPTION(exc));
            Value r;
            if (!vm_call(vm, PEEK(3), args, 3, NULL, &r)) THROW();
            PUSH(r);
            DISPATCH();
        }
        CASE(LOAD_ASSERTION_ERROR): PUSH(OBJ_VAL(vm->AssertionError)); DISPATCH();

        // ---- async for ----
        CASE(GET_AITER): {
            SAVE();
            Value it;
            if (!instr_get_aiter(vm, PEEK(1), &it)) THROW();
            sp[-1] = it;
            DISPATCH();
        }
        CASE(GET_ANEXT): {
            // it -> it awaitable
            SAVE();
            Value next;
            if (!instr_call_anext(vm, PEEK(1), &next)) THROW();
            PUSH(next);
            SAVE(); // rooted while it is turned into an awaitable
            if (!vm_get_awaitable(vm, next, &sp[-1])) THROW();
            DISPATCH();
        }
        CASE(END_ASYNC_FOR): {
            // The handler of an async for's __anext__: StopAsyncIteration ends the loop (dropping
            // the iterator and the exception); anything else goes on.
            Value exc = PEEK(1);
            SAVE();
            if (vm_is_instance(vm, exc, vm->StopAsyncIteration)) {
                sp -= 2;
                DISPATCH();
            }
            sp--;
            vm->exception = exc;
            goto reraise;
        }
        CASE(PRINT_EXPR):
            SAVE();
            if (!vm_print_expr(vm, PEEK(1))) THROW();
            sp--;
            DISPATCH();
        default: UNREACHABLE();
        }

    error:
        // A fresh exception: it gains this frame in its traceback.
        add_trace(vm, frame);
    reraise:
        // The exception in vm->exception goes to the innermost block of the frame, or, when the
        // frame has none, ends the frame and moves to its caller, which gains a traceback entry.
        for (;;) {
            if (frame->nblocks > 0) {
                Block b = frame->blocks[--frame->nblocks];
                sp = frame->stack + b.level;
                // A signal handler may raise at the check between KW_NAMES and its CALL: the
                // names belonged to a call that never happened and must not reach the handler's.
                frame->kwnames = NULL;
                PUSH(vm->exception);
                vm->exception = EMPTY_VAL();
                JUMP_TO(b.handler);
                DISPATCH();
            }
            Frame *caller = frame->caller;
            bool boundary = frame->boundary, was_generator = frame->gen != NULL;
            end_frame(vm, frame, true);
            if (boundary) return RUN_RAISED;
            frame = caller;
            LOAD();
            // Raised by a generator run inline from FOR_ITER: the error is the FOR_ITER's, so the
            // caller's ip steps past it (tracebacks show the line of the word before ip).
            if (was_generator && (*ip & 0xFF) == OP_FOR_ITER) ip++;
            add_trace(vm, frame);
        }
    }
}

// ---- the interpreter's life ---------------------------------------------------------------------

Vm *vm_new(void) {
    Vm *vm = calloc(1, sizeof(Vm));
    if (!vm) return NULL;
    char here;
    vm->stack_base = &here; // vm_new is called near the top of main's stack
#ifdef AIO_FUZZ
    vm->fuzz_ticks = AIO_FUZZ_TICKS;
    vm->fuzz_memory_limit = AIO_FUZZ_MEMORY_LIMIT;
#endif
    vm->exception = EMPTY_VAL();
    vm->recursion_limit = DEFAULT_RECURSION_LIMIT;
    vm->next_gc = GC_FIRST_THRESHOLD;
    vm->stdout_file = vm->stderr_file = vm->stdin_file = NONE_VAL();
    vm->ellipsis = vm->not_implemented = NONE_VAL();
    vm->event_loop = vm->running_loop = NONE_VAL();
    vm_threads_init(vm);
    // Nothing is collected while the object world is being built: it has no roots yet.
    // runtime_init() (runtime/init.c) builds it and turns the GC on.
    vm->gc_enabled = false;
    return vm;
}

void vm_free(Vm *vm) {
    gc_free_all(vm);
    frame_free_stack(vm);
    free(vm->interned);
    free(vm->roots);
    vm_threads_free(vm);
    free(vm);
    gc_pool_release();
}
