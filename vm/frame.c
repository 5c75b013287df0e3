/* Frames: the frame stack for ordinary calls, frames inside generators, and argument binding.
 *
 * An ordinary call's frame is carved from the Vm's frame stack (chunks handed out last-in
 * first-out), because a call must cost little more than a push.  A generator's frame outlives the
 * call that made it, so it is allocated with the generator object, in the same block.  Either way
 * the locals and cells start out EMPTY (zero bytes, meaning unbound); the value stack is not
 * cleared, because the GC reads it only below sp.
 */
#include "frame.h"

#include <string.h>

#include "gc.h"
#include "dict.h"

// The frame stack grows by chunks of this size (a frame larger than a chunk gets a chunk of its
// own).  Frames never straddle chunks, so a frame is always one contiguous block; the last frame
// of a chunk may leave its tail unused.
#define CHUNK_SIZE (256 * 1024)

// See frame_size_for in frame.h for the layout and where the sizes come from.
static size_t frame_size(ObjCode *code) {
    return frame_size_for(code->nlocals, code->ncells, code->stacksize, code->maxblocks);
}

// Sets the header and clears the locals and cells (EMPTY means unbound).  The value stack is
// left as it is: the GC reads it only below sp.
static void init_frame(Frame *f, ObjCode *code, ObjFunction *fn) {
    f->caller = NULL;
    f->func = fn;
    f->code = code;
    f->ip = code->words;
    f->stack = f->slots + code->nlocals + code->ncells;
    f->sp = f->stack;
    f->globals = fn ? fn->globals : NULL;
    f->locals = NULL;
    f->gen = NULL;
    f->handled = EMPTY_VAL();
    f->kwnames = NULL;
    f->send_exit = 0;
    f->boundary = false;
    f->nblocks = 0;
    f->blocks = (Block *)(f->slots + code->nlocals + code->ncells + code->stacksize);
    memset(f->slots, 0, sizeof(Value) * (size_t)(code->nlocals + code->ncells));
}

// The bump allocation of the frame stack.  Keep this in step with the inlined copy in vm.c's
// CALL, which takes the same bytes (ObjCode.frame_bytes) from the same chunk without calling here.
Frame *frame_push(Vm *vm, ObjCode *code, ObjFunction *fn) {
    size_t size = frame_stack_bytes(frame_size(code));
    FrameChunk *chunk = vm->chunk;
    if (!chunk || (size_t)(chunk->end - chunk->top) < size) {
        size_t bytes = size > CHUNK_SIZE ? size : CHUNK_SIZE;
        FrameChunk *fresh = malloc(sizeof(FrameChunk) + bytes);
        if (!fresh) {
            vm_raise_memory_error(vm);
            return NULL;
        }
        fresh->prev = chunk;
        fresh->top = fresh->data;
        fresh->end = fresh->data + bytes;
        vm->chunk = chunk = fresh;
    }
    Frame *f = (Frame *)chunk->top;
    chunk->top += size;
    init_frame(f, code, fn);
    return f;
}

// Frees f and every frame above it (they are gone already: frames are popped in the reverse order
// of their pushes).  A chunk left empty is freed at once, except the first one, so a loop of calls
// that crosses a chunk boundary pays a malloc and free per call; CHUNK_SIZE makes that rare.
void frame_pop(Vm *vm, Frame *f) {
    FrameChunk *chunk = vm->chunk;
    chunk->top = (char *)f;
    if (chunk->top == chunk->data && chunk->prev) {
        vm->chunk = chunk->prev;
        free(chunk);
    }
}

size_t generator_alloc_size(ObjCode *code) { return sizeof(ObjGenerator) + frame_size(code); }

Frame *frame_init_owned(Frame *f, ObjCode *code, ObjFunction *fn) {
    init_frame(f, code, fn);
    return f;
}

void frame_free_stack(Vm *vm) {
    while (vm->chunk) {
        FrameChunk *prev = vm->chunk->prev;
        free(vm->chunk);
        vm->chunk = prev;
    }
}

// ---- argument binding ---------------------------------------------------------------------------
//
// The slots of a frame, as the compiler's scope pass numbers them (code->varnames):
//     [0, argcount)                     positional parameters (the first posonlycount of them
//                                       positional-only)
//     [argcount, argcount+kwonlycount)  keyword-only parameters
//     next                              *args (a tuple), when CODE_VARARGS
//     next                              **kwargs (a dict), when CODE_VARKW
//     up to nlocals                     the other local variables
//     [nlocals, nlocals+ncells)         cells: first the frame's own captured variables, then the
//                                       free variables that come from the closure
// A call's arguments arrive as nargs positional values followed by one value per name in
// kwnames (the CALL instruction's layout).

static const char *fname(ObjFunction *fn) { return fn->qualname->chars; }

// "'a'", "'a' and 'b'", "'a', 'b', and 'c'": CPython's list of missing names.
static void missing_names(StrBuf *sb, ObjStr **names, int n) {
    for (int i = 0; i < n; i++) {
        if (i > 0) sb_puts(sb, n == 2 ? " and " : (i == n - 1 ? ", and " : ", "));
        sb_printf(sb, "'%s'", names[i]->chars);
    }
}

static bool raise_missing(Vm *vm, ObjFunction *fn, Frame *f, int from, int to, const char *kind) {
    ObjCode *code = fn->code;
    ObjStr *names[MAX_ARGS];
    int n = 0;
    for (int i = from; i < to; i++)
        if (IS_EMPTY(f->slots[i])) names[n++] = code->varnames[i];
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s() missing %d required %s argument%s: ", fname(fn), n, kind, n == 1 ? "" : "s");
    missing_names(&sb, names, n);
    bool r = vm_raise(vm, vm->TypeError, "%s", sb.data);
    sb_free(&sb);
    return r;
}

static bool raise_too_many(Vm *vm, ObjFunction *fn, int given, int kwgiven) {
    ObjCode *code = fn->code;
    int ndefaults = fn->defaults ? (int)fn->defaults->count : 0;
    int max = code->argcount, min = code->argcount - ndefaults;
    StrBuf takes;
    sb_init(&takes);
    if (min < max) sb_printf(&takes, "from %d to %d positional arguments", min, max);
    else sb_printf(&takes, "%d positional argument%s", max, max == 1 ? "" : "s");
    char extra[96] = "";
    if (kwgiven)
        snprintf(extra, sizeof extra, " positional argument%s (and %d keyword-only argument%s)",
                 given == 1 ? "" : "s", kwgiven, kwgiven == 1 ? "" : "s");
    bool r = vm_raise(vm, vm->TypeError, "%s() takes %s but %d%s %s given", fname(fn), takes.data,
                      given, extra, (given == 1 && !kwgiven) ? "was" : "were");
    sb_free(&takes);
    return r;
}

// The checks run in CPython's order, so that a call wrong in several ways reports what CPython
// reports: too many positional arguments, then each keyword (unexpected, positional-only passed by
// keyword, given twice), then missing positional parameters (after defaults fill what they can),
// then missing keyword-only ones.  Until binding ends, slots that were not given hold EMPTY: that
// is how "given twice" and "missing" are told apart.  f is on the frame chain, so the values
// already bound are GC roots while *args and **kwargs are allocated.
bool frame_bind_args(Vm *vm, ObjFunction *fn, Frame *f, Value *args, int nargs, ObjTuple *kwnames) {
    ObjCode *code = fn->code;
    Value *slots = f->slots;
    if ((code->flags & CODE_SIMPLE) && nargs == code->argcount && !kwnames) {
        // The common case: nothing to check.  args may be NULL when nargs is 0 (calls made from C).
        if (nargs) memcpy(slots, args, sizeof(Value) * (size_t)nargs);
        return true;
    }
    int npos = code->argcount;
    int nkw = kwnames ? (int)kwnames->count : 0;
    int positional = nargs < npos ? nargs : npos;
    for (int i = 0; i < positional; i++) slots[i] = args[i];

    int next_slot = npos + code->kwonlycount;
    if (code->flags & CODE_VARARGS) {
        int extra = nargs > npos ? nargs - npos : 0;
        ObjTuple *rest = tuple_new(vm, (size_t)extra);
        for (int i = 0; i < extra; i++) rest->items[i] = args[npos + i];
        slots[next_slot++] = OBJ_VAL(rest);
    } else if (nargs > npos) {
        int kwonly_given = 0;
        for (int k = 0; k < nkw; k++)
            for (int i = npos; i < npos + code->kwonlycount; i++)
                if (code->varnames[i] == AS_STR(kwnames->items[k])) kwonly_given++;
        return raise_too_many(vm, fn, nargs, kwonly_given);
    }
    ObjDict *kwdict = NULL;
    if (code->flags & CODE_VARKW) {
        kwdict = dict_new(vm);
        slots[next_slot] = OBJ_VAL(kwdict);
    }
    for (int k = 0; k < nkw; k++) {
        ObjStr *name = AS_STR(kwnames->items[k]);
        Value value = args[nargs + k];
        // Names are interned, so pointers usually match; the byte comparison covers names made at
        // run time (f(**{"x": 1}) builds its keys from a dict).
        int found = -1;
        for (int i = code->posonlycount; i < npos + code->kwonlycount; i++) {
            ObjStr *v = code->varnames[i];
            if (v == name || (v->length == name->length && memcmp(v->chars, name->chars, v->length) == 0)) {
                found = i;
                break;
            }
        }
        if (found < 0) {
            if (kwdict) {
                if (!dict_set(vm, kwdict, OBJ_VAL(name), value)) return false;
                continue;
            }
            for (int i = 0; i < code->posonlycount; i++)
                if (code->varnames[i] == name)
                    return vm_raise(vm, vm->TypeError,
                                    "%s() got some positional-only arguments passed as keyword "
                                    "arguments: '%s'", fname(fn), name->chars);
            return vm_raise(vm, vm->TypeError, "%s() got an unexpected keyword argument '%s'",
                            fname(fn), name->chars);
        }
        if (!IS_EMPTY(slots[found]))
            return vm_raise(vm, vm->TypeError, "%s() got multiple values for argument '%s'", fname(fn),
                            name->chars);
        slots[found] = value;
    }
    if (nargs < npos) {
        int ndefaults = fn->defaults ? (int)fn->defaults->count : 0;
        int first_default = npos - ndefaults;
        for (int i = nargs; i < npos; i++) {
            if (!IS_EMPTY(slots[i])) continue;
            if (i >= first_default) slots[i] = fn->defaults->items[i - first_default];
        }
        for (int i = 0; i < npos; i++)
            if (IS_EMPTY(slots[i])) return raise_missing(vm, fn, f, 0, npos, "positional");
    }
    bool kw_missing = false;
    for (int i = npos; i < npos + code->kwonlycount; i++) {
        if (!IS_EMPTY(slots[i])) continue;
        Value d = fn->kwdefaults ? dict_get_str(fn->kwdefaults, code->varnames[i]) : EMPTY_VAL();
        if (IS_EMPTY(d)) kw_missing = true;
        else slots[i] = d;
    }
    if (kw_missing) return raise_missing(vm, fn, f, npos, npos + code->kwonlycount, "keyword-only");
    // Cells: captured locals get fresh cells (holding the argument when it is one); free
    // variables come from the closure.
    int own = code->ncells - code->nfree;
    for (int i = 0; i < code->ncells; i++) {
        Value v;
        if (i < own) {
            int a = code->cell_args[i];
            ObjCell *cell = cell_new(vm, a >= 0 ? slots[a] : EMPTY_VAL());
            v = OBJ_VAL(cell);
        } else {
            v = fn->closure->items[i - own];
        }
        slots[code->nlocals + i] = v;
    }
    return true;
}
