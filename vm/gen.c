/* Generators and coroutines resumed from C, and the out-of-line parts of SEND and of a
 * generator's end (vm/gen.h describes them).
 *
 * A generator's frame lives inside the generator object.  From bytecode (FOR_ITER over a
 * generator, SEND to one) the dispatch loop runs that frame inline, under its caller, without C
 * recursion (vm.c).  Everything else -- next() and send() from C, throw() and close(), the event
 * loop stepping a task -- comes here and runs the frame in a nested vm_run() as a boundary frame,
 * which hands back control at the generator's next yield, return or escaping exception.
 *
 * Owns: resumption (gen_resume, coro_resume), throw() into a generator that is delegating
 * (yield from / await passes the exception to the delegate first), sending into iterators that
 * are not bytecode generators, and PEP 479's conversion of an escaping StopIteration.
 */
#include "frame.h"
#include "hooks.h"
#include "opcodes.h"
#include "vm.h"

// Where a suspended frame's pending SEND is, if it is suspended inside yield from / await: the
// word after its YIELD_VALUE 1 is a JUMP back to the SEND.  Returns -1 when not delegating.
static int delegating_send(Frame *f) {
    uint32_t *ip = f->ip;
    if (ip <= f->code->words) return -1;
    uint32_t prev = ip[-1];
    if ((prev & 0xFF) != OP_YIELD_VALUE || (prev >> 8) != 1) return -1;
    return (int)(ip[0] >> 8);
}

// Runs a generator's frame from C, in a nested run(), until it yields, returns or raises.  A
// suspended generator is stopped just after a YIELD_VALUE, whose result (the value sent in) it
// expects on its stack: `push` puts it there.  A generator that has not started expects nothing.
// `throwing` starts the run at the error handler, with vm->exception raised where the frame is.
static RunResult resume_frame(Vm *vm, ObjGenerator *gen, Value value, bool push, bool throwing,
                              Value *out) {
    Frame *f = gen->frame;
    if (!vm_check_c_stack(vm) || !vm_enter_depth(vm)) return RUN_RAISED;
    f->caller = vm->frame;
    f->boundary = true;
    if (push) *f->sp++ = value;
    gen->state = GEN_RUNNING;
    vm->frame = f;
    vm->native_depth++;
    RunResult r = vm_run(vm, out, throwing);
    vm->native_depth--;
    return r;
}

// What a suspended generator is delegating to (gi_yieldfrom / cr_await): the delegate sits on top
// of its stack, where SEND keeps it.  EMPTY when it is not inside yield from / await.
Value gen_awaiting(ObjGenerator *g) {
    if (g->state != GEN_SUSPENDED || delegating_send(g->frame) < 0) return EMPTY_VAL();
    return g->frame->sp[-1];
}

static const char *gen_kind_name(ObjGenerator *g) {
    return g->flavor == FLAVOR_COROUTINE ? "coroutine" : g->flavor == FLAVOR_ASYNC_GEN ? "async generator" : "generator";
}

// Raises the pending exception (vm->exception) inside gen where it is suspended, without
// passing it to a delegate: a generator suspended in yield from / await gets it at that SEND,
// and its delegate is dropped.  A generator that never started closes without running.
// Moving ip to just after the SEND makes the exception look raised by the SEND (the traceback
// shows the await's line); the handler search needs no ip, since the frame's blocks say where the
// handlers are, and the handler resets sp to its block's level, dropping the delegate.
RunResult gen_throw_here(Vm *vm, ObjGenerator *gen, Value *out) {
    if (gen->state == GEN_CREATED || gen->state == GEN_CLOSED) {
        gen->state = GEN_CLOSED;
        return RUN_RAISED;
    }
    int send_at = delegating_send(gen->frame);
    if (send_at >= 0) gen->frame->ip = gen->frame->code->words + send_at + 1;
    return resume_frame(vm, gen, NONE_VAL(), false, true, out);
}

// The delegate of suspended gen finished with value: gen continues after its SEND with it.  This
// does by hand what SEND does when its delegate returns: the value replaces the delegate on the
// stack and ip goes to SEND's exit (its argument).
RunResult gen_delegate_returned(Vm *vm, ObjGenerator *gen, Value value, Value *out) {
    Frame *f = gen->frame;
    int send_at = delegating_send(f);
    f->sp[-1] = value;
    f->ip = f->code->words + (f->code->words[send_at] >> 8);
    return resume_frame(vm, gen, value, false, false, out);
}

// send(value) or throw(exc) from C (generator.send, next(), the event loop stepping a task).
// throw() into a generator that is inside yield from / await goes to the delegate first, as in
// CPython; only when the delegate has no throw, or raises, does the exception surface in gen.
RunResult gen_resume(Vm *vm, ObjGenerator *gen, Value value, Value exc, Value *out) {
    if (gen->state == GEN_RUNNING) {
        vm_raise(vm, vm->ValueError, "%s already executing", gen_kind_name(gen));
        return RUN_RAISED;
    }
    if (gen->state == GEN_CLOSED) {
        if (!IS_EMPTY(exc)) {
            vm_raise_value(vm, exc);
            return RUN_RAISED;
        }
        if (gen->flavor == FLAVOR_COROUTINE) {
            vm_raise(vm, vm->RuntimeError, "cannot reuse already awaited coroutine");
            return RUN_RAISED;
        }
        *out = NONE_VAL();
        return RUN_RETURNED;
    }
    if (!IS_EMPTY(exc)) {
        // throw(): delegate to what the generator is awaiting first, as CPython's gen_throw.
        Value inner = gen_awaiting(gen);
        if (!IS_EMPTY(inner)) {
            Value v;
            vm_push_root(vm, OBJ_VAL(gen));
            gen->state = GEN_RUNNING; // as CPython: gi_running while the delegate handles it
            RunResult r;
            if (IS_GENERATOR(inner) || IS_SLEEP(inner)) {
                r = coro_resume(vm, inner, NONE_VAL(), exc, &v);
            } else {
                Value thrower;
                int has = vm_getattr_opt(vm, inner, vm->s_throw, &thrower);
                if (has == 0) {
                    gen->state = GEN_SUSPENDED;
                    vm_pop_root(vm);
                    vm_raise_value(vm, exc);
                    return gen_throw_here(vm, gen, out);
                }
                r = has < 0 ? RUN_RAISED : vm_call1(vm, thrower, exc, &v) ? RUN_YIELDED : RUN_RAISED;
                if (r == RUN_RAISED && vm_exception_matches(vm, vm->StopIteration)) {
                    v = AS_EXCEPTION(vm->exception)->extra;
                    vm_clear_exception(vm);
                    r = RUN_RETURNED;
                }
            }
            gen->state = GEN_SUSPENDED;
            vm_pop_root(vm);
            if (r == RUN_YIELDED) {
                *out = v;
                return RUN_YIELDED;
            }
            if (r == RUN_RETURNED) return gen_delegate_returned(vm, gen, v, out);
            return gen_throw_here(vm, gen, out);
        }
        vm_raise_value(vm, exc);
        return gen_throw_here(vm, gen, out);
    }
    if (gen->state == GEN_CREATED) {
        if (!IS_NONE(value)) {
            vm_raise(vm, vm->TypeError, "can't send non-None value to a just-started %s",
                     gen_kind_name(gen));
            return RUN_RAISED;
        }
        return resume_frame(vm, gen, value, false, false, out);
    }
    return resume_frame(vm, gen, value, true, false, out);
}

// gen_resume for anything awaitable that the VM drives itself: a bytecode coroutine, or the C
// object asyncio.sleep() returns (resumed through the hook runtime/ registered).
RunResult coro_resume(Vm *vm, Value coro, Value value, Value exc, Value *out) {
    if (IS_SLEEP(coro)) return vm_hooks.resume_sleep(vm, AS_SLEEP(coro), value, exc, out);
    return gen_resume(vm, AS_GENERATOR(coro), value, exc, out);
}

// Sends into any iterator that is not a bytecode generator: 1 yielded, 0 returned, -1 error.
static int send_generic(Vm *vm, Value receiver, Value value, Value *out) {
    if (IS_ITER(receiver) && IS_NONE(value)) {
        // An iterator that finishes may leave a return value in *out (a Future's result).
        *out = NONE_VAL();
        int r = AS_ITER(receiver)->next(vm, AS_OBJ(receiver), out);
        return r == 1 ? 1 : r == 0 ? 0 : -1;
    }
    bool ok;
    if (IS_NONE(value)) {
        // __next__ itself, so that the value of the StopIteration it raises is the result
        int r = vm_call_method(vm, receiver, vm->s_next, NULL, 0, out);
        if (r == 0) r = vm_next(vm, receiver, out);
        if (r == 1) return 1;
        if (r == 0) {
            *out = NONE_VAL();
            return 0;
        }
        ok = false;
    } else {
        Value send;
        if (!vm_getattr(vm, receiver, vm->s_send, &send)) return -1;
        ok = vm_call1(vm, send, value, out);
        if (ok) return 1;
    }
    if (vm_exception_matches(vm, vm->StopIteration)) {
        *out = AS_EXCEPTION(vm->exception)->extra;
        vm_clear_exception(vm);
        return 0;
    }
    return -1;
}

// A StopIteration escaping a generator becomes a RuntimeError (PEP 479); likewise a
// StopAsyncIteration escaping an async generator.
void gen_convert_stop_iteration(Vm *vm, ObjGenerator *gen) {
    const char *what;
    if (vm_exception_matches(vm, vm->StopIteration)) what = "StopIteration";
    else if (gen->flavor == FLAVOR_ASYNC_GEN && vm_exception_matches(vm, vm->StopAsyncIteration))
        what = "StopAsyncIteration";
    else return;
    Value cause = vm->exception;
    vm_clear_exception(vm);
    vm_push_root(vm, cause);
    vm_raise(vm, vm->RuntimeError, "%s raised %s", gen_kind_name(gen), what);
    AS_EXCEPTION(vm->exception)->cause = cause;
    AS_EXCEPTION(vm->exception)->context = cause;
    AS_EXCEPTION(vm->exception)->suppress_context = true;
    vm_pop_root(vm);
}

// SEND to a receiver that does not run inline: a generator in another state (gen_resume raises
// the right error), asyncio.sleep()'s C object, or any iterator or object with send().  The
// stack below top is `receiver v`; both stay there, rooted, while the receiver runs.  What it
// yielded replaces v (RUN_YIELDED); what it returned replaces the receiver (RUN_RETURNED: SEND
// then pops v's slot and jumps to its exit).
RunResult gen_send_out_of_line(Vm *vm, Value *top) {
    Value receiver = top[-2], v = top[-1], out;
    RunResult r;
    if (IS_GENERATOR(receiver)) r = gen_resume(vm, AS_GENERATOR(receiver), v, EMPTY_VAL(), &out);
    else if (IS_SLEEP(receiver)) r = vm_hooks.resume_sleep(vm, AS_SLEEP(receiver), v, EMPTY_VAL(), &out);
    else {
        int sent = send_generic(vm, receiver, v, &out);
        r = sent < 0 ? RUN_RAISED : sent == 1 ? RUN_YIELDED : RUN_RETURNED;
    }
    if (r == RUN_YIELDED) top[-1] = out;
    else if (r == RUN_RETURNED) top[-2] = out;
    return r;
}

// GET_YIELD_FROM_ITER: what `yield from v` iterates.  A generator (or asyncio.sleep()'s object) is
// used as it is, but a plain generator may not delegate to a coroutine; anything else is iter(v).
bool gen_yield_from_iter(Vm *vm, Frame *frame, Value v, Value *out) {
    *out = v;
    if (IS_GENERATOR(v) || IS_SLEEP(v)) {
        bool is_coroutine = IS_SLEEP(v) || AS_GENERATOR(v)->flavor == FLAVOR_COROUTINE;
        if (is_coroutine && frame->gen && frame->gen->flavor == FLAVOR_GENERATOR &&
            !(frame->code->flags & CODE_COROUTINE))
            return vm_raise(vm, vm->TypeError, "cannot 'yield from' a coroutine object in a non-coroutine generator");
        return true;
    }
    return vm_iter(vm, v, out);
}
