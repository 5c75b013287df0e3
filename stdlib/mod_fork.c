/* _fork: the process primitives of concurrent.futures.ProcessPoolExecutor (process.aio).
 *
 * A worker process is a fork() of the interpreter: it starts with a copy of every object the
 * parent had, so it finds the function to call by its module and qualified name, and only the
 * arguments and results travel, as messages over pipes.  This module owns:
 *   fork()            -> 0 in the child, the child's pid in the parent.  stdio is flushed first,
 *                        so that text the parent printed but had not written yet is not written
 *                        twice (once by each process);
 *   exit_now(code)    ends this process at once (stdio flushed, no finalizers, no atexit): how
 *                        a worker ends, never returning into the parent's code it was forked in;
 *   waitpid(pid)      -> the child's exit code, or -N when signal N killed it (multiprocessing's
 *                        exitcode); blocks with the interpreter lock released;
 *   send(fd, data)    writes one message: its length (4 bytes, big-endian), then `data`;
 *   receive(fd)       -> the next message's bytes, or None at end of file (the other process
 *                        is gone).  Both block with the interpreter lock released, and retry
 *                        after signals.
 * Errors are OSError with errno, as os.read/os.write raise them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modinit.h"

// Until the interpreter lock exists (vm/thread.h), a blocking call simply runs.
#ifndef VM_BLOCKING
#define VM_BLOCKING(vm, block)                                                                     \
    do block while (0)
#endif

static bool raise_errno(Vm *vm, int err) {
    Value args[2] = {INT_VAL(err), OBJ_VAL(str_from_c(vm, strerror(err)))};
    vm_push_root(vm, args[1]);
    Value exc;
    bool ok = vm_call(vm, OBJ_VAL(vm->OSError), args, 2, NULL, &exc);
    vm_pop_root(vm);
    return ok ? vm_raise_value(vm, exc) : false;
}

static bool int_arg(Vm *vm, Value v, const char *what, int *out) {
    if (!IS_INT(v)) return vm_raise(vm, vm->TypeError, "%s must be an integer", what);
    *out = (int)AS_INT(v);
    return true;
}

static bool fork_fork(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    // The fuzz build's sandbox refuses: a forked libFuzzer process would run on as a second fuzzer.
    if (!check_args(vm, "fork", nargs, kwnames, 0, 0) || !vm_sandbox_allows(vm, "fork", NULL)) return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return raise_errno(vm, errno);
#ifdef VM_HAS_AFTER_FORK_CHILD
    if (pid == 0) vm_after_fork_child(vm);
#endif
    *result = INT_VAL(pid);
    return true;
}

static bool fork_exit_now(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int code = 0;
    if (!check_args(vm, "exit_now", nargs, kwnames, 1, 1) || !int_arg(vm, args[0], "code", &code)) return false;
    fflush(NULL);
    _exit(code);
}

static bool fork_waitpid(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int pid = 0;
    if (!check_args(vm, "waitpid", nargs, kwnames, 1, 1) || !int_arg(vm, args[0], "pid", &pid)) return false;
    int status = 0, got, err = 0;
    VM_BLOCKING(vm, {
        do got = waitpid(pid, &status, 0);
        while (got < 0 && errno == EINTR);
        err = errno;
    });
    if (got < 0) return raise_errno(vm, err);
    *result = INT_VAL(WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status));
    return true;
}

// Writes all `length` bytes; 0 or the errno of the failure.
static int write_all(int fd, const unsigned char *data, size_t length) {
    while (length) {
        ssize_t put = write(fd, data, length);
        if (put < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data += put;
        length -= (size_t)put;
    }
    return 0;
}

// Reads exactly `length` bytes; 0, -1 at end of file, or the errno of the failure.
static int read_all(int fd, unsigned char *data, size_t length) {
    while (length) {
        ssize_t got = read(fd, data, length);
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (got == 0) return -1;
        data += got;
        length -= (size_t)got;
    }
    return 0;
}

static bool fork_send(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int fd = -1;
    if (!check_args(vm, "send", nargs, kwnames, 2, 2) || !int_arg(vm, args[0], "fd", &fd)) return false;
    if (!IS_BYTES(args[1])) return vm_raise(vm, vm->TypeError, "send() takes bytes");
    // The bytes object is immutable and stays reachable from the caller's frame: its buffer can
    // be read with the lock released.  A copy with the length in front makes one write.
    ObjBytes *b = AS_BYTES(args[1]);
    size_t total = 4 + b->length;
    unsigned char *message = malloc(total);
    if (!message) return vm_raise(vm, vm->MemoryError, "");
    uint32_t n = (uint32_t)b->length;
    message[0] = (unsigned char)(n >> 24);
    message[1] = (unsigned char)(n >> 16);
    message[2] = (unsigned char)(n >> 8);
    message[3] = (unsigned char)n;
    memcpy(message + 4, b->data, b->length);
    int err = 0;
    VM_BLOCKING(vm, { err = write_all(fd, message, total); });
    free(message);
    if (err) return raise_errno(vm, err);
    *result = NONE_VAL();
    return true;
}

static bool fork_receive(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int fd = -1;
    if (!check_args(vm, "receive", nargs, kwnames, 1, 1) || !int_arg(vm, args[0], "fd", &fd)) return false;
    unsigned char header[4];
    unsigned char *body = NULL;
    int err = 0;
    size_t length = 0;
    VM_BLOCKING(vm, {
        err = read_all(fd, header, 4);
        if (!err) {
            length = (size_t)header[0] << 24 | (size_t)header[1] << 16 | (size_t)header[2] << 8 | header[3];
            body = malloc(length ? length : 1);
            if (!body) err = ENOMEM;
            else err = read_all(fd, body, length);
        }
    });
    if (err) {
        free(body);
        if (err < 0) {
            *result = NONE_VAL();
            return true;
        }
        return raise_errno(vm, err);
    }
    *result = OBJ_VAL(bytes_new(vm, body, length));
    free(body);
    return true;
}

ObjModule *mod_fork_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "_fork");
    vm_push_root(vm, OBJ_VAL(m));
    static const MethodDef fns[] = {
        {"fork", fork_fork},       {"exit_now", fork_exit_now}, {"waitpid", fork_waitpid},
        {"send", fork_send},       {"receive", fork_receive},   {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    vm_pop_root(vm);
    return m;
}
