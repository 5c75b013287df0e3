/* _aiotools: the C half of aiotools (stdlib/aiotools.aio), the helpers of the interactive REPL.
 *
 * Only what aio code cannot see for itself lives here: how long the running event loop has been
 * held by callbacks without getting back to its wait (the runaway-task watchdog of Ctrl-C), and
 * where the bytecode frames on the running chain are (file, line, function), which aio has no
 * frame objects for; and the names of the modules written in C, which no directory lists.  Nothing
 * here calls Python code.
 */
#include "asyncio.h"
#include "frame.h"
#include "modinit.h"

// loop_stalled_for(): seconds the running loop has spent in callbacks since its last wait.
static bool aiotools_loop_stalled_for(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "loop_stalled_for", nargs, kwnames, 0, 0)) return false;
    *result = FLOAT_VAL(loop_stalled_seconds(vm));
    return true;
}

// The line a frame is at: the instruction before its saved ip (the one running or called from).
static int frame_line_now(Frame *f) {
    size_t at = (size_t)(f->ip - f->code->words);
    return at > 0 ? f->code->lines[at - 1] : f->code->firstline;
}

// frame_line(depth=0): (filename, line, function name) of the depth-th bytecode frame of the
// running chain, 0 being the one that called frame_line; None past the outermost.
static bool aiotools_frame_line(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "frame_line", nargs, kwnames, 0, 1)) return false;
    int64_t depth = 0;
    if (nargs == 1 && !mod_arg_index(vm, args[0], &depth)) return false;
    Frame *f = vm->frame;
    while (f && (!f->code || depth > 0)) {
        if (f->code) depth--;
        f = f->caller;
    }
    if (!f || depth < 0) {
        *result = NONE_VAL();
        return true;
    }
    ObjTuple *t = tuple_new(vm, 3);
    t->items[0] = OBJ_VAL(f->code->filename);
    t->items[1] = INT_VAL(frame_line_now(f));
    t->items[2] = OBJ_VAL(f->code->name);
    *result = OBJ_VAL(t);
    return true;
}

// builtin_modules(): the names of the modules written in C, as a tuple (for completion).
static bool aiotools_builtin_modules(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "builtin_modules", nargs, kwnames, 0, 0)) return false;
    size_t n = 0;
    while (builtin_module_name(n)) n++;
    ObjTuple *names = tuple_new(vm, n);
    vm_push_root(vm, OBJ_VAL(names));
    for (size_t i = 0; i < n; i++) names->items[i] = OBJ_VAL(str_from_c(vm, builtin_module_name(i)));
    vm_pop_root(vm);
    *result = OBJ_VAL(names);
    return true;
}

ObjModule *mod_aiotools_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "_aiotools");
    vm_push_root(vm, OBJ_VAL(m));
    static const MethodDef fns[] = {
        {"loop_stalled_for", aiotools_loop_stalled_for},
        {"frame_line", aiotools_frame_line},
        {"builtin_modules", aiotools_builtin_modules},
        {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    vm_pop_root(vm);
    return m;
}
