/* Code objects: what the compiler (compile.c) produces and the dispatch loop (vm.c) runs -- the
 * instruction words, their source lines, the constants and names they refer to, the sizes a frame
 * needs, and one inline cache per word for LOAD_GLOBAL and LOAD_METHOD.  Made by code_new
 * (object.h), filled by the compiler, freed by the GC.
 */
#ifndef AIO_CODE_H
#define AIO_CODE_H

#include "object.h"

enum {
    CODE_GENERATOR = 1 << 0, // calling makes a generator
    CODE_COROUTINE = 1 << 1, // async def: calling makes a coroutine
    CODE_ASYNC_GEN = 1 << 2, // async def with yield
    CODE_VARARGS = 1 << 3,   // has *args
    CODE_VARKW = 1 << 4,     // has **kwargs
    CODE_MODULE = 1 << 5,    // module or class body: names live in a dict, not in slots
    CODE_SIMPLE = 1 << 6,    // positional parameters only, no cells: calls take the fast path
    // A cache the runtime keeps (runtime/events.c, events_in_stdlib): whether the code is the
    // standard library's, once asked (task creation asks it of each frame it walks).
    CODE_PLACE_KNOWN = 1 << 7,
    CODE_IN_STDLIB = 1 << 8,
};

// What a LOAD_GLOBAL or LOAD_METHOD instruction found last time, by position in a dict's entries:
// valid while the dicts keep their versions.  Versions never repeat (vm/dict.c), so a dict
// freed and another allocated at its address cannot pass for it.
typedef struct {
    ObjDict *dict;      // the globals, or the class dict the method was found in (NULL: empty)
    uint64_t version;   // dict->version then
    uint64_t bversion;  // LOAD_GLOBAL: builtins->version then, when found in builtins
    int32_t index;      // position in that dict's (or the builtins') entries; LOAD_ATTR/STORE_ATTR:
                        // where the instance dict last had the name (a guess, checked)
    bool in_builtins;
} LookupCache;

// What the compiler's flow pass found at one instruction word: the value-stack depth and the
// number of active try/with blocks on entry (depth -1: the pass never reaches the word).  Kept
// only in AIO_DEBUG builds, where the VM checks the real frame against it before every
// instruction, so a wrong stack effect in vm/opcodes.h fails at the first instruction it skews.
typedef struct {
    int32_t depth;
    int32_t blocks;
} FlowCheck;

// A compiled function body (clox's Chunk, CPython's code object).  Slots of a frame are laid out
// as: arguments, other locals, cells (captured or free variables), then the value stack.
struct ObjCode {
    Obj obj;
    uint32_t *words;      // instructions: opcode in the low 8 bits, argument in the high 24
    size_t nwords;
    int *lines;           // source line of every instruction word
    LookupCache *caches;  // one per instruction word, used by LOAD_GLOBAL and LOAD_METHOD, and by
                          // LOAD_ATTR and STORE_ATTR for their guess of an instance dict's entry
    Value *constants;
    size_t nconstants;
    ObjStr **names;       // attribute and global names
    size_t nnames;
    ObjStr **varnames;    // locals, arguments first
    int nlocals;
    ObjStr **cellnames;   // cells: locals captured by inner functions, then free variables
    int ncells;
    int nfree;            // the last nfree cells come from the closure
    int *cell_args;       // for each cell that is also an argument: its local slot, else -1
    int argcount;         // positional parameters (incl. positional-only)
    int posonlycount;
    int kwonlycount;
    int stacksize;        // the deepest the value stack gets
    int maxblocks;        // the deepest nesting of try/with blocks
    FlowCheck *flow;      // AIO_DEBUG only (else NULL): what the flow pass computed per word
    size_t frame_bytes;   // what a frame for it occupies on the frame stack (16-byte aligned)
    int flags;            // CODE_*
    int firstline;
    ObjStr *name;
    ObjStr *qualname;
    ObjStr *filename;
};

#endif
