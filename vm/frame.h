/* Frames: allocation on the frame stack or the heap, and binding a call's arguments to slots.
 * See the Frame struct in vm.h for the layout.
 */
#ifndef AIO_FRAME_H
#define AIO_FRAME_H

#include "vm.h"

// How many bytes a frame needs.  A frame is one piece of memory, laid out as
//     Frame header | slots[]: locals, cells, value stack | Block[maxblocks]
// nlocals and ncells come from the scope pass; stacksize and maxblocks from the compiler's flow
// pass (compute_sizes in compile.c), which finds the deepest the value stack and the block stack
// get on any path through the code and adds two spare stack slots.  A running frame never grows:
// what the flow pass computed is all the room it has.  The compiler stores this size, rounded
// with frame_stack_bytes, in ObjCode.frame_bytes for the VM's inlined calls; frame_push computes
// the same.  A generator's frame, allocated with the generator, is not rounded.
static inline size_t frame_size_for(int nlocals, int ncells, int stacksize, int maxblocks) {
    return sizeof(Frame) + sizeof(Value) * (size_t)(nlocals + ncells + stacksize) + sizeof(Block) * (size_t)maxblocks;
}
// On the frame stack every frame starts 16-byte aligned: sizes are rounded up to that.
static inline size_t frame_stack_bytes(size_t size) { return (size + 15) & ~(size_t)15; }

// A frame for an ordinary call, from the frame stack; NULL with MemoryError pending.
Frame *frame_push(Vm *vm, ObjCode *code, ObjFunction *fn);
// A generator's frame lives right after its ObjGenerator, in one block of this size.
size_t generator_alloc_size(ObjCode *code);
// Sets up the frame in such a block (f points just past the ObjGenerator).
Frame *frame_init_owned(Frame *f, ObjCode *code, ObjFunction *fn);
void frame_pop(Vm *vm, Frame *f);
void frame_free_stack(Vm *vm);
// Fills the parameters (and cells) of f from a call's arguments, raising CPython's TypeErrors
// for missing, surplus, duplicate or unexpected ones.  f must already be on the frame chain.
bool frame_bind_args(Vm *vm, ObjFunction *fn, Frame *f, Value *args, int nargs, ObjTuple *kwnames);

#endif
