/* Generators and coroutines seen from the interpreter: resuming them from C, throwing into them,
 * and the pieces of SEND, YIELD_VALUE and RETURN_VALUE that are not the inline fast path
 * (vm/gen.c).  Their Python-visible methods (send, throw, close, repr) are in runtime/gen.c.
 */
#ifndef AIO_GEN_H
#define AIO_GEN_H

#include "vm.h"

// Resumes a generator or coroutine: sends value (or throws exc when exc is not EMPTY).
RunResult gen_resume(Vm *vm, ObjGenerator *gen, Value value, Value exc, Value *out);
// throw() and close() of a generator suspended in yield from / await (runtime/gen.c): raise the
// pending exception in gen itself, dropping its delegate; or continue gen after its delegate
// returned value.
RunResult gen_throw_here(Vm *vm, ObjGenerator *gen, Value *out);
RunResult gen_delegate_returned(Vm *vm, ObjGenerator *gen, Value value, Value *out);
// What a suspended generator delegates to (yield from / await: CPython's gi_yieldfrom and
// cr_await), or EMPTY.
Value gen_awaiting(ObjGenerator *g);
// The same for any coroutine: a bytecode one, or the sleep that asyncio.sleep() makes.
RunResult coro_resume(Vm *vm, Value coro, Value value, Value exc, Value *out);

// ---- for the dispatch loop (vm.c) ---------------------------------------------------------------
// SEND to a receiver that does not run inline, `receiver v` below top: what it yielded replaces
// v, what it returned replaces the receiver.
RunResult gen_send_out_of_line(Vm *vm, Value *top);
// GET_YIELD_FROM_ITER: what `yield from v` iterates.
bool gen_yield_from_iter(Vm *vm, Frame *frame, Value v, Value *out);
// A StopIteration escaping a generator becomes a RuntimeError (PEP 479).
void gen_convert_stop_iteration(Vm *vm, ObjGenerator *gen);

#endif
