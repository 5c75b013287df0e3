/* Frames: allocation on the frame stack or the heap, and binding a call's arguments to slots.
 * See the Frame struct in vm.h for the layout.
 */
#ifndef AIO_FRAME_H
#define AIO_FRAME_H

#include "vm.h"

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
