/* Frames: allocation on the frame stack or the heap, and binding a call's arguments to slots.
 * See the Frame struct in vm.h for the layout.
 */
#ifndef AIO_FRAME_H
#define AIO_FRAME_H

#include "vm.h"

// A frame for an ordinary call, from the frame stack; NULL with MemoryError pending.
Frame *frame_push(Vm *vm, ObjCode *code, ObjFunction *fn);
// A frame that outlives its call (generators, coroutines), from the C heap.
Frame *frame_new_heap(Vm *vm, ObjCode *code, ObjFunction *fn);
// Gives a frame back: pops the frame stack, or frees a heap frame.
void frame_release(Vm *vm, Frame *f);
void frame_pop(Vm *vm, Frame *f);
void frame_free_stack(Vm *vm);
// Fills the parameters (and cells) of f from a call's arguments, raising CPython's TypeErrors
// for missing, surplus, duplicate or unexpected ones.  f must already be on the frame chain.
bool frame_bind_args(Vm *vm, ObjFunction *fn, Frame *f, Value *args, int nargs, ObjTuple *kwnames);

#endif
