/* Frames: their layout, allocation on the frame stack or the heap, and binding a call's arguments
 * to slots.
 *
 * A Frame is one activation of a Code object.  Ordinary calls take their frames from the Vm's
 * frame stack (a bump allocator in chunks: a call costs little more than a push); a generator or
 * coroutine owns a frame of its own, allocated with the generator object, which it links into the
 * chain while it runs.  The chain from vm->frame through `caller` is every activation that is
 * running or waiting for a callee: the GC marks it as a root, and tracebacks are read from it.
 */
#ifndef AIO_FRAME_H
#define AIO_FRAME_H

#include "vm.h"

// A try/with block active in a frame: where to jump when an exception rises through it, and how
// deep the value stack was when it was set up.
typedef struct {
    uint32_t handler;
    uint32_t level;
} Block;

struct Frame {
    Frame *caller;      // the frame to return or yield to
    ObjFunction *func;  // NULL for module code
    ObjCode *code;
    uint32_t *ip;       // next instruction (saved while the frame is not the running one)
    Value *sp;          // stack top (saved likewise)
    Value *stack;       // the value stack's base: after locals and cells
    ObjDict *globals;
    ObjDict *locals;    // module and class bodies: their namespace; NULL for functions
    ObjGenerator *gen;  // the owner, for a generator or coroutine frame
    Value handled;      // the exception an except/finally block of this frame is handling, or EMPTY
    ObjTuple *kwnames;  // set by KW_NAMES for the next CALL
    uint32_t send_exit; // where SEND continues when the delegate returns
    uint16_t nblocks;   // try/with blocks entered (at most code->maxblocks)
    bool boundary;      // returning or yielding from this frame ends the run() that entered it
    Block *blocks;      // code->maxblocks entries after the slots
    Value slots[];      // locals, cells, then the value stack
};

// The frame stack: chunks of memory handed out last-in first-out.
struct FrameChunk {
    struct FrameChunk *prev;
    char *top;  // first free byte
    char *end;
    char data[];
};

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
