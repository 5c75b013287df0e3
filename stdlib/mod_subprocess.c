/* _subprocess: the C half of child processes, for stdlib/subprocess.aio (the plain module) and
 * stdlib/asyncio/subprocess_transport.aio (the loop's subprocess transports).
 *
 * spawn(loop, args, executable, cwd, env, stdin, stdout, stderr, on_exit) starts a child with
 * runtime/process.c and returns a Child: its pid, returncode(), poll(), wait(timeout) and
 * send_signal(sig).  `loop` is an asyncio loop (on_exit(returncode) then runs from its ready
 * queue) or None (the thread's private loop, waited on by wait()).  stdin, stdout and stderr are
 * a descriptor for the child to use, -1 (this process's own) or -2 (/dev/null).
 *
 * exchange(in_fd, data, out_fd, err_fd, timeout) is communicate()'s loop: writes data to in_fd
 * and reads the other two until their ends, or until timeout seconds pass.
 * fdopen(fd, mode) makes the file object a Popen's pipe is read or written through.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes_like.h"
#include "file.h"
#include "modinit.h"
#include "process.h"

static void child_finalize(void *data) {
    if (data) process_forget(data);
}

static Child *child_of(Vm *vm, Value v) {
    if (IS_BOX(v) && AS_BOX(v)->finalize == child_finalize && AS_BOX(v)->data) return AS_BOX(v)->data;
    vm_raise(vm, vm->TypeError, "a _subprocess.Child is required");
    return NULL;
}

// A NULL-terminated array of the strings of a list or tuple (pointing into the str objects, which
// the caller keeps alive); NULL with TypeError raised.
static char **string_array(Vm *vm, Value v, const char *what) {
    Value *items;
    size_t n;
    if (IS_LIST(v)) {
        items = AS_LIST(v)->items;
        n = AS_LIST(v)->count;
    } else if (IS_TUPLE(v)) {
        items = AS_TUPLE(v)->items;
        n = AS_TUPLE(v)->count;
    } else {
        vm_raise(vm, vm->TypeError, "%s must be a list of str", what);
        return NULL;
    }
    char **out = calloc(n + 1, sizeof *out);
    if (!out) abort();
    for (size_t i = 0; i < n; i++) {
        if (!IS_STR(items[i]) || memchr(AS_STR(items[i])->chars, '\0', AS_STR(items[i])->length)) {
            free(out);
            vm_raise(vm, IS_STR(items[i]) ? vm->ValueError : vm->TypeError,
                     IS_STR(items[i]) ? "embedded null byte" : "expected str, bytes or os.PathLike object, not %s",
                     vm_type_name(vm, items[i]));
            return NULL;
        }
        out[i] = AS_STR(items[i])->chars;
    }
    return out;
}

static bool optional_path(Vm *vm, Value v, const char **out) {
    *out = NULL;
    if (IS_NONE(v)) return true;
    if (!IS_STR(v)) return vm_raise(vm, vm->TypeError, "expected str, bytes or os.PathLike object, not %s", vm_type_name(vm, v));
    *out = AS_STR(v)->chars;
    return true;
}

// spawn(loop, args, executable, cwd, env, stdin, stdout, stderr, on_exit) -> Child
static bool sp_spawn(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "spawn", nargs, kwnames, 9, 9)) return false;
    SpawnRequest req;
    memset(&req, 0, sizeof req);
    req.loop = args[0];
    if (!IS_NONE(req.loop) && !IS_LOOP(req.loop)) return vm_raise(vm, vm->TypeError, "an event loop or None is required");
    for (int i = 0; i < 3; i++) {
        int64_t fd;
        if (!mod_arg_index(vm, args[5 + i], &fd)) return false;
        req.fds[i] = (int)fd;
    }
    req.on_exit = args[8];
    if (!optional_path(vm, args[2], &req.file) || !optional_path(vm, args[3], &req.cwd)) return false;
    req.argv = string_array(vm, args[1], "args");
    if (!req.argv) return false;
    if (!req.argv[0]) {
        free(req.argv);
        return vm_raise(vm, vm->ValueError, "args must not be empty");
    }
    if (!IS_NONE(args[4])) {
        req.env = string_array(vm, args[4], "env");
        if (!req.env) {
            free(req.argv);
            return false;
        }
    }
    ObjClass *cls = mod_find_class(vm, "_subprocess", "Child");
    Child *c = cls ? process_spawn(vm, &req) : NULL;
    free(req.argv);
    free(req.env);
    if (!c) return false;
    *result = OBJ_VAL(box_new(vm, cls, c, child_finalize));
    return true;
}

static bool return_code_or_none(Vm *vm, Child *c, Value *result) {
    int code;
    *result = process_returncode(c, &code) ? INT_VAL(code) : NONE_VAL();
    return true;
}

static bool child_pid(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Child *c = child_of(vm, args[0]);
    if (!c) return false;
    *result = INT_VAL(process_pid(c));
    return true;
}

static bool child_returncode(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Child *c = child_of(vm, args[0]);
    if (!c || !check_args(vm, "returncode", nargs - 1, kwnames, 0, 0)) return false;
    process_settle(vm, c);
    return return_code_or_none(vm, c, result);
}

static bool child_poll(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Child *c = child_of(vm, args[0]);
    if (!c || !check_args(vm, "poll", nargs - 1, kwnames, 0, 0)) return false;
    process_poll(c);
    return return_code_or_none(vm, c, result);
}

// wait(timeout): the return code, or None when timeout (None: no limit) passed first.
static bool child_wait(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Child *c = child_of(vm, args[0]);
    if (!c || !check_args(vm, "wait", nargs - 1, kwnames, 1, 1)) return false;
    double timeout = -1;
    if (!IS_NONE(args[1])) {
        if (!mod_arg_double(vm, args[1], &timeout)) return false;
        if (timeout < 0) timeout = 0;
    }
    bool exited;
    vm_push_root(vm, args[0]);
    bool ok = process_wait(vm, c, timeout, &exited);
    vm_pop_root(vm);
    if (!ok) return false;
    return return_code_or_none(vm, c, result);
}

static bool child_send_signal(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Child *c = child_of(vm, args[0]);
    int64_t sig;
    if (!c || !check_args(vm, "send_signal", nargs - 1, kwnames, 1, 1) || !mod_arg_index(vm, args[1], &sig)) return false;
    if (sig != (int)sig) return vm_raise(vm, vm->OverflowError, "signal number out of range");
    *result = NONE_VAL();
    return process_send_signal(vm, c, (int)sig);
}

static bool fd_or_none(Vm *vm, Value v, int *fd) {
    *fd = -1;
    if (IS_NONE(v)) return true;
    int64_t n;
    if (!mod_arg_index(vm, v, &n)) return false;
    *fd = (int)n;
    return true;
}

// exchange(in_fd, data, out_fd, err_fd, timeout) -> (sent, out, err, (in_fd, out_fd, err_fd), timed_out)
// A descriptor is None (absent) and comes back as None once finished; the caller closes it.
static bool sp_exchange(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "exchange", nargs, kwnames, 5, 5)) return false;
    Exchange x;
    memset(&x, 0, sizeof x);
    if (!fd_or_none(vm, args[0], &x.fds[0]) || !fd_or_none(vm, args[2], &x.fds[1]) || !fd_or_none(vm, args[3], &x.fds[2]))
        return false;
    ByteSpan data = {0};
    if (!IS_NONE(args[1]) && !bytes_like_or_raise(vm, args[1], &data)) return false;
    // the input is copied: a handler run while waiting may change a bytearray
    unsigned char *input = malloc(data.length + 1);
    if (!input) abort();
    memcpy(input, data.data, data.length);
    x.input = input;
    x.input_len = data.length;
    double timeout = -1;
    if (!IS_NONE(args[4]) && !mod_arg_double(vm, args[4], &timeout)) {
        free(input);
        return false;
    }
    if (!IS_NONE(args[4]) && timeout < 0) timeout = 0;
    bool timed_out = false;
    bool ok = process_exchange(vm, &x, timeout, &timed_out);
    free(input);
    if (ok) {
        ObjTuple *t = tuple_new(vm, 5);
        vm_push_root(vm, OBJ_VAL(t));
        t->items[0] = INT_VAL((int64_t)x.sent);
        t->items[1] = OBJ_VAL(bytes_new(vm, x.got[0] ? x.got[0] : (unsigned char *)"", x.got_len[0]));
        t->items[2] = OBJ_VAL(bytes_new(vm, x.got[1] ? x.got[1] : (unsigned char *)"", x.got_len[1]));
        ObjTuple *fds = tuple_new(vm, 3);
        for (int i = 0; i < 3; i++) fds->items[i] = x.fds[i] >= 0 ? INT_VAL(x.fds[i]) : NONE_VAL();
        t->items[3] = OBJ_VAL(fds);
        t->items[4] = BOOL_VAL(timed_out);
        vm_pop_root(vm);
        *result = OBJ_VAL(t);
    }
    free(x.got[0]);
    free(x.got[1]);
    return ok;
}

// fdopen(fd, mode): a file object over the pipe end fd ('rb', 'wb', 'r' or 'w'), which it then
// owns: closing the file closes fd.
static bool sp_fdopen(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t fd;
    ObjStr *mode;
    if (!check_args(vm, "fdopen", nargs, kwnames, 2, 2) || !mod_arg_index(vm, args[0], &fd) ||
        !arg_str(vm, "fdopen", args[1], &mode))
        return false;
    bool reading = strchr(mode->chars, 'r') != NULL, binary = strchr(mode->chars, 'b') != NULL;
    ObjFile *f = file_adopt_descriptor(vm, (int)fd, reading, binary);
    if (!f) return false;
    *result = OBJ_VAL(f);
    return true;
}

ObjModule *mod_subprocess_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "_subprocess");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *cls = mod_class(vm, m, "Child", vm->object_class, OBJ_BOX);
    define_methods(vm, cls,
                   (MethodDef[]){{"returncode", child_returncode},
                                 {"poll", child_poll},
                                 {"wait", child_wait},
                                 {"send_signal", child_send_signal},
                                 {NULL, NULL}});
    mod_property(vm, cls, "pid", child_pid);
    define_native(vm, m->globals, "spawn", sp_spawn);
    define_native(vm, m->globals, "exchange", sp_exchange);
    define_native(vm, m->globals, "fdopen", sp_fdopen);
    mod_set(vm, m, "INHERIT", INT_VAL(CHILD_FD_INHERIT));
    mod_set(vm, m, "DEVNULL", INT_VAL(CHILD_FD_DEVNULL));
    vm_pop_root(vm);
    return m;
}
