/* socket: BSD sockets (AF_INET, AF_INET6, AF_UNIX; SOCK_STREAM, SOCK_DGRAM) as CPython's socket
 * module has them.  This file owns the socket object and its methods; socket_addr.c converts
 * addresses and holds the module-level functions (socket_shared.h describes the split).
 *
 * A socket object is an ObjBox of class socket.socket whose data is a SockState.  The descriptor
 * is created close-on-exec (not inherited by child processes), as CPython does, and closed by
 * close(), by `with`, or when the object is collected (CPython then warns with ResourceWarning,
 * which it shows only under -W or dev mode; aio has neither, so it closes silently).
 *
 * Blocking calls work without any event loop.  A blocking socket (timeout None) waits in poll(2)
 * before each call that may wait, so a signal (Ctrl-C) interrupts the wait and its handler runs,
 * as CPython's calls do (PEP 475: after the handler returns, the call is retried).  The event
 * loop (runtime/io.c, stdlib/asyncio) uses non-blocking sockets (timeout 0.0) and calls these
 * same methods: recv, send, accept, connect, fileno.
 *
 * Errors are OSError subclasses chosen by errno (runtime/exceptions.c's table): a refused
 * connect raises ConnectionRefusedError "[Errno 111] Connection refused".  Sends pass
 * MSG_NOSIGNAL, so a peer that has gone away gives BrokenPipeError instead of SIGPIPE.
 */
#define _GNU_SOURCE // accept4
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bigint.h"
#include "file.h"
#include "socket_shared.h"

double socket_default_timeout = -1;

// ---- the object ---------------------------------------------------------------------------------

static void sock_finalize(void *data) {
    SockState *st = data;
    if (st->fd >= 0) close(st->fd);
    free(st);
}

SockState *socket_state(Value v) {
    if (!IS_BOX(v) || AS_BOX(v)->finalize != sock_finalize) return NULL;
    return AS_BOX(v)->data;
}

// The state of self, or NULL with CPython's descriptor TypeError.
static SockState *self_state(Vm *vm, const char *method, Value *args, int nargs) {
    SockState *st = nargs >= 1 ? socket_state(args[0]) : NULL;
    if (!st)
        vm_raise(vm, vm->TypeError,
                 "descriptor '%s' for '_socket.socket' objects doesn't apply to a '%s' object",
                 method, nargs < 1 ? "nothing" : vm_type_name(vm, args[0]));
    return st;
}

static ObjClass *socket_class(Vm *vm) { return mod_find_class(vm, "socket", "socket"); }

// Puts the descriptor in the mode `timeout` asks for: blocking only for None.
static bool apply_blocking_mode(Vm *vm, SockState *st) {
    int nonblocking = st->timeout >= 0;
    if (ioctl(st->fd, FIONBIO, &nonblocking) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    return true;
}

static SockState *state_new(int fd, int family, int type, int proto) {
    SockState *st = malloc(sizeof *st);
    if (!st) abort();
    *st = (SockState){fd, family, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto, socket_default_timeout};
    return st;
}

ObjBox *socket_wrap_fd(Vm *vm, int fd, int family, int type, int proto) {
    ObjClass *cls = socket_class(vm);
    SockState *st = state_new(fd, family, type, proto);
    if (!cls) {
        sock_finalize(st);
        return NULL;
    }
    if (type & SOCK_NONBLOCK) st->timeout = 0.0;
    ObjBox *box = box_new(vm, cls, st, sock_finalize);
    if (!apply_blocking_mode(vm, st)) return NULL;
    return box;
}

// ---- running out of descriptors ------------------------------------------------------------------

// The descriptor of a socket nobody references is closed when the GC sweeps the object, where
// CPython closes it the moment the last reference goes.  So when the process has no descriptor
// left, a collection gives back those of the unreachable sockets, and the caller tries once more.
static bool collect_if_out_of_descriptors(Vm *vm, int err) {
    if (err != EMFILE && err != ENFILE) return false;
    gc_collect(vm);
    return true;
}

// The errno of the pending OSError (0 when there is none).
static int pending_errno(Vm *vm) {
    Value e = vm->exception;
    if (!IS_EXCEPTION(e) || !IS_INT(AS_EXCEPTION(e)->extra)) return 0;
    return (int)AS_INT(AS_EXCEPTION(e)->extra);
}

// ---- waiting ------------------------------------------------------------------------------------

static double monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool raise_timed_out(Vm *vm) { return vm_raise(vm, vm->TimeoutError, "timed out"); }

// Waits until fd is ready for `events` or `deadline` (monotonic seconds; < 0: no deadline) passes.
// 1: ready (or in error, which the next call reports); 0: the deadline passed; -1: a signal
// handler raised.
static int wait_ready(Vm *vm, int fd, short events, double deadline) {
    struct pollfd pfd = {.fd = fd, .events = events};
#ifdef AIO_FUZZ
    // Fuzz builds never wait for ever: nothing else runs that could make the descriptor ready.
    if (deadline < 0 && vm_fuzz_would_wait(vm, fd, events)) {
        vm_fuzz_refuse_wait(vm, "a blocking socket call");
        return -1;
    }
#endif
    for (;;) {
        int ms = -1;
        if (deadline >= 0) {
            double left = deadline - monotonic_now();
            if (left <= 0) return 0;
            ms = (int)ceil(left * 1000);
        }
        vm_release_lock(vm); // other threads run while this one waits
        int r = poll(&pfd, 1, ms);
        int poll_errno = errno;
        vm_acquire_lock(vm);
        errno = poll_errno;
        if (r > 0) return 1;
        if (r == 0) {
            if (deadline >= 0 && monotonic_now() >= deadline) return 0;
            continue;
        }
        if (errno != EINTR) {
            raise_os_errno(vm, errno, EMPTY_VAL());
            return -1;
        }
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return -1;
    }
}

// One system call that may have to wait.  `op` does the call on the descriptor and returns its
// result (< 0 with errno set on failure).  The call is retried after EINTR (once the signal
// handlers have run) and, with a timeout, after waiting in poll for `events` until `deadline`.
// `flags` are the call's MSG_* flags: with MSG_DONTWAIT a blocking socket does not wait either.
typedef ssize_t (*SockOp)(int fd, void *ctx);

// Does the call.  A write on a blocking socket can still block once poll said "writable" (a send
// bigger than the room left waits for the peer to read), so it runs without the interpreter lock,
// as CPython's does: the reading thread must be able to run.  Its data cannot move meanwhile:
// the caller pinned it (SockBuffer) or it is plain C (sendfile's descriptors and offsets).
static ssize_t run_op(Vm *vm, SockState *st, short events, int flags, SockOp op, void *ctx) {
    if (events != POLLOUT || st->timeout >= 0 || (flags & MSG_DONTWAIT)) return op(st->fd, ctx);
    int fd = st->fd;
    vm_release_lock(vm);
    ssize_t n = op(fd, ctx);
    int err = errno;
    vm_acquire_lock(vm);
    errno = err;
    return n;
}

static bool sock_call(Vm *vm, SockState *st, short events, double deadline, int flags, SockOp op,
                      void *ctx, ssize_t *out) {
    for (;;) {
        if (st->timeout < 0 && st->fd >= 0 && !(flags & MSG_DONTWAIT)) {
            int ready = wait_ready(vm, st->fd, events, -1);
            if (ready < 0) return false;
        }
#ifdef AIO_FUZZ
        // Even a ready socket may block: a send bigger than the room left waits for the peer to
        // read.  Fuzz builds do the call in non-blocking mode, and refuse a wait it would need.
        ssize_t n;
        if (st->timeout < 0 && st->fd >= 0 && !vm_other_threads_alive()) {
            int on = 1, off = 0;
            ioctl(st->fd, FIONBIO, &on);
            n = op(st->fd, ctx);
            int err = errno;
            ioctl(st->fd, FIONBIO, &off);
            errno = err;
            if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK) && !(flags & MSG_DONTWAIT))
                return vm_fuzz_refuse_wait(vm, "a blocking socket call");
        } else {
            n = run_op(vm, st, events, flags, op, ctx);
        }
#else
        ssize_t n = run_op(vm, st, events, flags, op, ctx);
#endif
        if (n >= 0) {
            *out = n;
            return true;
        }
        int err = errno;
        if (err == EINTR) {
            if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
            continue;
        }
        if (st->timeout > 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
            int ready = wait_ready(vm, st->fd, events, deadline);
            if (ready < 0) return false;
            if (ready == 0) return raise_timed_out(vm);
            continue;
        }
        return raise_os_errno(vm, err, EMPTY_VAL());
    }
}

static double deadline_for(SockState *st) {
    return st->timeout > 0 ? monotonic_now() + st->timeout : -1;
}

// ---- arguments ----------------------------------------------------------------------------------

// An int argument that fits in a C int (CPython's "i" format).
static bool int_arg(Vm *vm, Value v, int *out) {
    int64_t n;
    if (!mod_arg_index(vm, v, &n)) return false;
    if (n > INT32_MAX) return vm_raise(vm, vm->OverflowError, "signed integer is greater than maximum");
    if (n < INT32_MIN) return vm_raise(vm, vm->OverflowError, "signed integer is less than minimum");
    *out = (int)n;
    return true;
}

// A buffer borrowed from an argument for the length of one call.  A bytearray behind it is
// pinned (its export count raised, as CPython's buffer protocol does), so Python code that runs
// meanwhile -- a signal handler -- cannot resize it (BufferError) while the call holds a pointer
// into it.  Every successful *_buffer_arg is paired with buffer_release.
typedef struct {
    unsigned char *data;
    size_t len;
    ObjByteArray *pinned;
} SockBuffer;

static void buffer_pin(SockBuffer *b, Value owner) {
    b->pinned = IS_BYTEARRAY(owner) ? AS_BYTEARRAY(owner) : NULL;
    if (b->pinned) b->pinned->exports++;
}

static void buffer_release(SockBuffer *b) {
    if (b->pinned && b->pinned->exports > 0) b->pinned->exports--;
    b->pinned = NULL;
}

// A readable bytes-like argument: bytes, bytearray or a contiguous memoryview.
static bool buffer_arg(Vm *vm, Value v, SockBuffer *out) {
    if (IS_MEMORYVIEW(v) && !AS_MEMORYVIEW(v)->released && AS_MEMORYVIEW(v)->step != 1 &&
        AS_MEMORYVIEW(v)->length > 1)
        return vm_raise(vm, vm->BufferError, "memoryview: underlying buffer is not C-contiguous");
    ByteSpan span;
    if (!bytes_like_or_raise(vm, v, &span)) return false;
    out->data = (unsigned char *)span.data;
    out->len = span.length;
    buffer_pin(out, IS_MEMORYVIEW(v) ? AS_MEMORYVIEW(v)->base : v);
    return true;
}

// A writable bytes-like argument (recv_into): a bytearray or a contiguous memoryview of one.
static bool writable_buffer_arg(Vm *vm, const char *fname, Value v, SockBuffer *out) {
    bool writable = IS_BYTEARRAY(v) || (IS_MEMORYVIEW(v) && !AS_MEMORYVIEW(v)->released && !AS_MEMORYVIEW(v)->readonly &&
                                        IS_BYTEARRAY(AS_MEMORYVIEW(v)->base) &&
                                        (AS_MEMORYVIEW(v)->step == 1 || AS_MEMORYVIEW(v)->length <= 1));
    if (!writable)
        return vm_raise(vm, vm->TypeError, "%s() argument 1 must be read-write bytes-like object, not %s",
                        fname, vm_type_name(vm, v));
    ByteSpan span;
    if (bytes_like(vm, v, &span) < 0) return false;
    out->data = (unsigned char *)span.data;
    out->len = span.length;
    buffer_pin(out, IS_MEMORYVIEW(v) ? AS_MEMORYVIEW(v)->base : v);
    return true;
}

// A timeout argument: None is -1; else a non-negative number of seconds.
static bool timeout_arg(Vm *vm, Value v, double *out) {
    if (IS_NONE(v)) {
        *out = -1;
        return true;
    }
    // CPython keeps timeouts as int64 nanoseconds: what does not fit is OverflowError, with
    // one message for floats and another for ints (checked before the sign).
    double t;
    if (IS_FLOAT(v)) {
        t = AS_FLOAT(v);
        if (isnan(t)) return vm_raise(vm, vm->ValueError, "Invalid value NaN (not a number)");
        if (!(fabs(t) * 1e9 < 9223372036854775808.0))
            return vm_raise(vm, vm->OverflowError, "timestamp out of range for platform time_t");
    } else { // anything but a float goes through __index__, as CPython's timeout parsing
        Value whole;
        int64_t n;
        if (!mod_arg_int(vm, v, &whole)) return false;
        if (!big_fits_int64(whole, &n) || n > INT64_MAX / 1000000000 || n < -(INT64_MAX / 1000000000))
            return vm_raise(vm, vm->OverflowError, "timestamp too large to convert to C _PyTime_t");
        t = (double)n;
    }
    if (t < 0) return vm_raise(vm, vm->ValueError, "Timeout value out of range");
    *out = t + 0.0; // -0.0 is 0.0
    return true;
}

static Value timeout_value(double t) { return t < 0 ? NONE_VAL() : FLOAT_VAL(t); }

// Checks a method's argument count (after self) with CPython's METH_O / METH_NOARGS wording.
// Methods that CPython writes in Python (socket.py: close, detach, dup, accept) take only self:
// "socket.close() takes 1 positional argument but 2 were given".
static bool self_only(Vm *vm, const char *qualname, int nargs, ObjTuple *kwnames) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s() got an unexpected keyword argument '%s'", qualname,
                        AS_STR(kwnames->items[0])->chars);
    if (nargs != 1)
        return vm_raise(vm, vm->TypeError, "%s() takes 1 positional argument but %d were given", qualname, nargs);
    return true;
}

static bool method_args(Vm *vm, const char *qualname, int nargs, ObjTuple *kwnames, int min, int max) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", qualname);
    int given = nargs - 1;
    if (given >= min && given <= max) return true;
    if (min == max && min == 0)
        return vm_raise(vm, vm->TypeError, "%s() takes no arguments (%d given)", qualname, given);
    if (min == max && min == 1)
        return vm_raise(vm, vm->TypeError, "%s() takes exactly one argument (%d given)", qualname, given);
    const char *base = strchr(qualname, '.') ? strchr(qualname, '.') + 1 : qualname;
    if (given < min)
        return vm_raise(vm, vm->TypeError, "%s() takes at least %d argument%s (%d given)", base, min,
                        min == 1 ? "" : "s", given);
    return vm_raise(vm, vm->TypeError, "%s() takes at most %d argument%s (%d given)", base, max,
                    max == 1 ? "" : "s", given);
}

// ---- construction -------------------------------------------------------------------------------

// Opens a descriptor (or adopts `fileno`): socket(family=AF_INET, type=SOCK_STREAM, proto=0,
// fileno=None).  With a descriptor, missing family/type/proto are asked from the kernel.
// (Built-in classes get no __init__ call: the constructor does all the work.)
static bool sock_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "bad call");
    static const char *const names[] = {"family", "type", "proto", "fileno", NULL};
    Value a[4];
    if (!parse_args(vm, "socket", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    // Fuzz builds make no sockets but socketpairs: no ports, and no adopting the harness's files.
    if (!vm_sandbox_allows(vm, "socket.socket", NULL)) return false;
    int family = -1, type = -1, proto = -1;
    if (!IS_EMPTY(a[0]) && !IS_NONE(a[0]) && !int_arg(vm, a[0], &family)) return false;
    if (!IS_EMPTY(a[1]) && !IS_NONE(a[1]) && !int_arg(vm, a[1], &type)) return false;
    if (!IS_EMPTY(a[2]) && !IS_NONE(a[2]) && !int_arg(vm, a[2], &proto)) return false;
    int fd;
    if (!IS_EMPTY(a[3]) && !IS_NONE(a[3])) {
        if (!int_arg(vm, a[3], &fd)) return false;
        if (fd < 0) return vm_raise(vm, vm->ValueError, "negative file descriptor");
        int value;
        socklen_t len = sizeof value;
        if (family == -1) {
            if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) != 0)
                return raise_os_errno(vm, errno, EMPTY_VAL());
            family = value;
        }
        if (type == -1) {
            len = sizeof value;
            if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0)
                return raise_os_errno(vm, errno, EMPTY_VAL());
            type = value;
        }
        if (proto == -1) {
            len = sizeof value;
            if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) != 0)
                return raise_os_errno(vm, errno, EMPTY_VAL());
            proto = value;
        }
    } else {
        if (family == -1) family = AF_INET;
        if (type == -1) type = SOCK_STREAM;
        if (proto == -1) proto = 0;
        fd = socket(family, type | SOCK_CLOEXEC, proto);
        if (fd < 0 && collect_if_out_of_descriptors(vm, errno)) fd = socket(family, type | SOCK_CLOEXEC, proto);
        if (fd < 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    }
    SockState *st = state_new(fd, family, type, proto);
    if (type & SOCK_NONBLOCK) st->timeout = 0.0;
    ObjBox *box = box_new(vm, AS_CLASS(args[0]), st, sock_finalize);
    if (!apply_blocking_mode(vm, st)) return false;
    *result = OBJ_VAL(box);
    return true;
}

// socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0): two connected sockets.
static bool socket_socketpair(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"family", "type", "proto", NULL};
    Value a[3];
    if (!parse_args(vm, "socketpair", args, nargs, kwnames, names, 0, a)) return false;
    int family = AF_UNIX, type = SOCK_STREAM, proto = 0;
    if (!IS_EMPTY(a[0]) && !IS_NONE(a[0]) && !int_arg(vm, a[0], &family)) return false;
    if (!IS_EMPTY(a[1]) && !int_arg(vm, a[1], &type)) return false;
    if (!IS_EMPTY(a[2]) && !int_arg(vm, a[2], &proto)) return false;
    int fds[2];
    int r = socketpair(family, type | SOCK_CLOEXEC, proto, fds);
    if (r != 0 && collect_if_out_of_descriptors(vm, errno)) r = socketpair(family, type | SOCK_CLOEXEC, proto, fds);
    if (r != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    ObjBox *first = socket_wrap_fd(vm, fds[0], family, type, proto);
    if (!first) {
        close(fds[1]);
        return false;
    }
    vm_push_root(vm, OBJ_VAL(first));
    ObjBox *second = socket_wrap_fd(vm, fds[1], family, type, proto);
    if (!second) {
        vm_pop_root(vm);
        return false;
    }
    vm_push_root(vm, OBJ_VAL(second));
    *result = OBJ_VAL(tuple_pair(vm, OBJ_VAL(first), OBJ_VAL(second)));
    vm_pop_roots(vm, 2);
    return true;
}

// ---- lifetime -----------------------------------------------------------------------------------

static bool close_state(Vm *vm, SockState *st) {
    int fd = st->fd;
    if (fd < 0) return true;
    st->fd = -1;
    // The descriptor is gone even when close reports an error; a reset peer is no error here.
    if (close(fd) != 0 && errno != ECONNRESET && errno != EINTR) return raise_os_errno(vm, errno, EMPTY_VAL());
    return true;
}

bool socket_close_value(Vm *vm, Value sock) {
    SockState *st = socket_state(sock);
    return !st || close_state(vm, st);
}

static bool sock_close(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "close", args, nargs);
    if (!st || !self_only(vm, "socket.close", nargs, kwnames) || !close_state(vm, st)) return false;
    *result = NONE_VAL();
    return true;
}

// detach(): the descriptor, which the object no longer owns.
static bool sock_detach(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "detach", args, nargs);
    if (!st || !self_only(vm, "socket.detach", nargs, kwnames)) return false;
    *result = INT_VAL(st->fd);
    st->fd = -1;
    return true;
}

static bool sock_fileno(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "fileno", args, nargs);
    if (!st || !method_args(vm, "socket.fileno", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL(st->fd);
    return true;
}

// dup(): a new socket object on a duplicate of the descriptor.
static bool sock_dup(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "dup", args, nargs);
    if (!st || !self_only(vm, "socket.dup", nargs, kwnames)) return false;
    int fd = fcntl(st->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0 && collect_if_out_of_descriptors(vm, errno)) fd = fcntl(st->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    ObjBox *box = socket_wrap_fd(vm, fd, st->family, st->type, st->proto);
    if (!box) return false;
    *result = OBJ_VAL(box);
    return true;
}

// get_inheritable() / set_inheritable(flag): whether child processes get the descriptor (its
// close-on-exec flag, off for every socket made here, as in CPython).
static bool sock_get_inheritable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "get_inheritable", args, nargs);
    if (!st || !self_only(vm, "socket.get_inheritable", nargs, kwnames)) return false;
    int flags = fcntl(st->fd, F_GETFD);
    if (flags < 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = BOOL_VAL(!(flags & FD_CLOEXEC));
    return true;
}

static bool sock_set_inheritable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "set_inheritable", args, nargs);
    if (!st) return false;
    if (nargs < 2 && !kwnames)
        return vm_raise(vm, vm->TypeError, "socket.set_inheritable() missing 1 required positional argument: 'inheritable'");
    if (kwnames || nargs != 2)
        return vm_raise(vm, vm->TypeError, "socket.set_inheritable() takes 2 positional arguments but %d were given", nargs);
    bool inheritable;
    if (!vm_truthy(vm, args[1], &inheritable)) return false;
    int flags = fcntl(st->fd, F_GETFD);
    if (flags < 0 || fcntl(st->fd, F_SETFD, inheritable ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC) < 0)
        return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// fromfd(fd, family, type, proto=0): a socket object on a duplicate of fd.
static bool socket_fromfd(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"fd", "family", "type", "proto", NULL};
    Value a[4];
    int fd, family, type, proto = 0;
    if (!parse_args(vm, "fromfd", args, nargs, kwnames, names, 3, a) || !int_arg(vm, a[0], &fd) ||
        !int_arg(vm, a[1], &family) || !int_arg(vm, a[2], &type) || (!IS_EMPTY(a[3]) && !int_arg(vm, a[3], &proto)))
        return false;
    if (!vm_sandbox_allows(vm, "socket.fromfd", NULL)) return false;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0 && collect_if_out_of_descriptors(vm, errno)) copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    ObjBox *box = socket_wrap_fd(vm, copy, family, type, proto);
    if (!box) return false;
    *result = OBJ_VAL(box);
    return true;
}

static bool sock_enter(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!self_state(vm, "__enter__", args, nargs)) return false;
    *result = args[0];
    return true;
}

static bool sock_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "__exit__", args, nargs);
    if (!st || !close_state(vm, st)) return false;
    *result = NONE_VAL();
    return true;
}

// ---- attributes and modes -----------------------------------------------------------------------

static bool sock_family(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "family", args, nargs);
    if (!st) return false;
    *result = socket_family_value(vm, st->family);
    return true;
}

static bool sock_type(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "type", args, nargs);
    if (!st) return false;
    *result = socket_kind_value(vm, st->type);
    return true;
}

static bool sock_proto(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "proto", args, nargs);
    if (!st) return false;
    *result = INT_VAL(st->proto);
    return true;
}

static bool sock_timeout(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "timeout", args, nargs);
    if (!st) return false;
    *result = timeout_value(st->timeout);
    return true;
}

static bool sock_gettimeout(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "gettimeout", args, nargs);
    if (!st || !method_args(vm, "socket.gettimeout", nargs, kwnames, 0, 0)) return false;
    *result = timeout_value(st->timeout);
    return true;
}

static bool sock_settimeout(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "settimeout", args, nargs);
    double t;
    if (!st || !method_args(vm, "socket.settimeout", nargs, kwnames, 1, 1) || !timeout_arg(vm, args[1], &t))
        return false;
    st->timeout = t;
    if (!apply_blocking_mode(vm, st)) return false;
    *result = NONE_VAL();
    return true;
}

// setblocking(flag): True is settimeout(None), False is settimeout(0.0).
static bool sock_setblocking(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "setblocking", args, nargs);
    int flag;
    if (!st || !method_args(vm, "socket.setblocking", nargs, kwnames, 1, 1) || !int_arg(vm, args[1], &flag))
        return false;
    st->timeout = flag ? -1 : 0.0;
    if (!apply_blocking_mode(vm, st)) return false;
    *result = NONE_VAL();
    return true;
}

static bool sock_getblocking(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "getblocking", args, nargs);
    if (!st || !method_args(vm, "socket.getblocking", nargs, kwnames, 0, 0)) return false;
    *result = BOOL_VAL(st->timeout != 0);
    return true;
}

// <socket.socket fd=3, family=2, type=1, proto=0, laddr=('127.0.0.1', 5000), raddr=(...)>: the
// addresses appear when the kernel has them (and they are not empty).
static bool sock_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "__repr__", args, nargs);
    if (!st) return false;
    ObjClass *cls = AS_OBJ(args[0])->cls;
    Value module = class_lookup(cls, vm->s_module);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "<%s.%s%s fd=%d, family=%d, type=%d, proto=%d",
              IS_STR(module) ? AS_STR(module)->chars : "socket", cls->qualname->chars,
              st->fd < 0 ? " [closed]" : "", st->fd, st->family, st->type, st->proto);
    for (int peer = 0; peer < 2 && st->fd >= 0; peer++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        memset(&ss, 0, sizeof ss);
        int r = peer ? getpeername(st->fd, (struct sockaddr *)&ss, &len)
                     : getsockname(st->fd, (struct sockaddr *)&ss, &len);
        if (r != 0) continue;
        Value addr = sockaddr_to_value(vm, (struct sockaddr *)&ss, len);
        if (IS_EMPTY(addr)) {
            sb_free(&sb);
            return false;
        }
        bool truthy = false, ok;
        ObjStr *text = NULL;
        vm_push_root(vm, addr);
        ok = vm_truthy(vm, addr, &truthy) && (!truthy || (text = vm_str(vm, addr)) != NULL);
        vm_pop_root(vm);
        if (!ok) {
            sb_free(&sb);
            return false;
        }
        if (text) sb_printf(&sb, ", %s=%s", peer ? "raddr" : "laddr", text->chars);
    }
    sb_putc(&sb, '>');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// ---- addresses ----------------------------------------------------------------------------------

static bool local_or_peer_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, bool peer, Value *result) {
    const char *name = peer ? "getpeername" : "getsockname";
    SockState *st = self_state(vm, name, args, nargs);
    if (!st || !method_args(vm, peer ? "socket.getpeername" : "socket.getsockname", nargs, kwnames, 0, 0))
        return false;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    int r = peer ? getpeername(st->fd, (struct sockaddr *)&ss, &len)
                 : getsockname(st->fd, (struct sockaddr *)&ss, &len);
    if (r != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = sockaddr_to_value(vm, (struct sockaddr *)&ss, len);
    return !IS_EMPTY(*result);
}

static bool sock_getsockname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return local_or_peer_name(vm, args, nargs, kwnames, false, result);
}

static bool sock_getpeername(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return local_or_peer_name(vm, args, nargs, kwnames, true, result);
}

static bool sock_bind(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "bind", args, nargs);
    if (!st || !method_args(vm, "socket.bind", nargs, kwnames, 1, 1)) return false;
    struct sockaddr_storage ss;
    socklen_t len;
    if (!sockaddr_from_value(vm, "bind", st->family, args[1], &ss, &len)) return false;
    if (bind(st->fd, (struct sockaddr *)&ss, len) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// listen([backlog]): without one, min(SOMAXCONN, 128) as CPython.
static bool sock_listen(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "listen", args, nargs);
    if (!st || !method_args(vm, "listen", nargs, kwnames, 0, 1)) return false;
    int backlog = SOMAXCONN < 128 ? SOMAXCONN : 128;
    if (nargs > 1 && !int_arg(vm, args[1], &backlog)) return false;
    if (backlog < 0) backlog = 0;
    if (listen(st->fd, backlog) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// ---- connecting ---------------------------------------------------------------------------------

// Connects; returns 0 or the errno of the failure (EWOULDBLOCK when the timeout ran out), or -1
// when an exception is pending (a signal handler raised).
static int connect_errno(Vm *vm, SockState *st, const struct sockaddr *sa, socklen_t len) {
    double deadline = deadline_for(st);
    int r = connect(st->fd, sa, len);
    if (r == 0) return 0;
    int err = errno;
    if (err == EINTR) {
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return -1;
        if (st->timeout == 0) return err;
    } else if (!(err == EINPROGRESS && st->timeout != 0)) {
        return err;
    }
    // The connection goes on in the kernel: wait until the descriptor is writable.
    int ready = wait_ready(vm, st->fd, POLLOUT, st->timeout > 0 ? deadline : -1);
    if (ready < 0) return -1;
    if (ready == 0) return EWOULDBLOCK;
    socklen_t errlen = sizeof err;
    if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0) return errno;
    return err;
}

static bool connect_state(Vm *vm, SockState *st, Value addr) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (!sockaddr_from_value(vm, "connect", st->family, addr, &ss, &len)) return false;
    int err = connect_errno(vm, st, (struct sockaddr *)&ss, len);
    if (err < 0) return false;
    if (err == EWOULDBLOCK && st->timeout > 0) return raise_timed_out(vm);
    if (err != 0) return raise_os_errno(vm, err, EMPTY_VAL());
    return true;
}

bool socket_connect_value(Vm *vm, Value sock, Value addr) {
    SockState *st = socket_state(sock);
    return st ? connect_state(vm, st, addr) : vm_raise(vm, vm->TypeError, "not a socket");
}

static bool sock_connect(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "connect", args, nargs);
    if (!st || !method_args(vm, "socket.connect", nargs, kwnames, 1, 1) || !connect_state(vm, st, args[1]))
        return false;
    *result = NONE_VAL();
    return true;
}

// connect_ex(address): the errno as an int instead of an exception (0 on success).
static bool sock_connect_ex(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "connect_ex", args, nargs);
    if (!st || !method_args(vm, "socket.connect_ex", nargs, kwnames, 1, 1)) return false;
    struct sockaddr_storage ss;
    socklen_t len;
    if (!sockaddr_from_value(vm, "connect_ex", st->family, args[1], &ss, &len)) return false;
    int err = connect_errno(vm, st, (struct sockaddr *)&ss, len);
    if (err < 0) return false;
    *result = INT_VAL(err);
    return true;
}

typedef struct {
    struct sockaddr_storage addr;
    socklen_t len;
} AcceptCtx;

static ssize_t accept_op(int fd, void *ctx) {
    AcceptCtx *c = ctx;
    c->len = sizeof c->addr;
    return accept4(fd, (struct sockaddr *)&c->addr, &c->len, SOCK_CLOEXEC);
}

// accept() -> (socket, address).  The new socket gets the default timeout, as CPython's.
static bool sock_accept(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "accept", args, nargs);
    if (!st || !self_only(vm, "socket.accept", nargs, kwnames)) return false;
    AcceptCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ssize_t fd;
    if (!sock_call(vm, st, POLLIN, deadline_for(st), 0, accept_op, &ctx, &fd)) {
        int err = pending_errno(vm);
        if (err != EMFILE && err != ENFILE) return false;
        vm_clear_exception(vm);
        collect_if_out_of_descriptors(vm, err);
        if (!sock_call(vm, st, POLLIN, deadline_for(st), 0, accept_op, &ctx, &fd)) return false;
    }
    ObjBox *conn = socket_wrap_fd(vm, (int)fd, st->family, st->type, st->proto);
    if (!conn) return false;
    vm_push_root(vm, OBJ_VAL(conn));
    Value addr = sockaddr_to_value(vm, (struct sockaddr *)&ctx.addr, ctx.len);
    if (IS_EMPTY(addr)) {
        vm_pop_root(vm);
        return false;
    }
    vm_push_root(vm, addr);
    *result = OBJ_VAL(tuple_pair(vm, OBJ_VAL(conn), addr));
    vm_pop_roots(vm, 2);
    return true;
}

// ---- sending ------------------------------------------------------------------------------------

typedef struct {
    const unsigned char *data;
    size_t len;
    int flags;
    const struct sockaddr *to; // sendto only
    socklen_t tolen;
    SockBuffer buffer;         // where data comes from (released after the call)
} SendCtx;

static ssize_t send_op(int fd, void *ctx) {
    SendCtx *c = ctx;
    if (c->to) return sendto(fd, c->data, c->len, c->flags | MSG_NOSIGNAL, c->to, c->tolen);
    return send(fd, c->data, c->len, c->flags | MSG_NOSIGNAL);
}

// The (data[, flags]) arguments of send and sendall.
static bool send_args(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames, SendCtx *c) {
    if (!method_args(vm, fname, nargs, kwnames, 1, 2)) return false;
    memset(c, 0, sizeof *c);
    if (nargs > 2 && !int_arg(vm, args[2], &c->flags)) return false;
    if (!buffer_arg(vm, args[1], &c->buffer)) return false;
    c->data = c->buffer.data;
    c->len = c->buffer.len;
    return true;
}

static bool sock_send(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "send", args, nargs);
    SendCtx c;
    ssize_t n;
    if (!st || !send_args(vm, "send", args, nargs, kwnames, &c)) return false;
    bool ok = sock_call(vm, st, POLLOUT, deadline_for(st), c.flags, send_op, &c, &n);
    buffer_release(&c.buffer);
    if (!ok) return false;
    *result = INT_VAL(n);
    return true;
}

// sendall(data[, flags]): sends until everything is gone; the timeout covers the whole call.
static bool sock_sendall(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "sendall", args, nargs);
    SendCtx c;
    if (!st || !send_args(vm, "sendall", args, nargs, kwnames, &c)) return false;
    double deadline = deadline_for(st);
    bool ok = true;
    while (ok && c.len > 0) {
        ssize_t n;
        ok = sock_call(vm, st, POLLOUT, deadline, c.flags, send_op, &c, &n);
        if (ok) {
            c.data += n;
            c.len -= (size_t)n;
            if (vm_interrupted) ok = vm_run_signal_handlers(vm);
        }
    }
    buffer_release(&c.buffer);
    if (!ok) return false;
    *result = NONE_VAL();
    return true;
}

// ---- makefile -----------------------------------------------------------------------------------

// makefile(mode='r', buffering=None, *, encoding=None, errors=None, newline=None): a file object
// reading and/or writing the connection ('r', 'w', 'b' in the mode; text is UTF-8).
static bool sock_makefile(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "makefile", args, nargs);
    if (!st) return false;
    static const char *const names[] = {"mode", "buffering", "encoding", "errors", "newline", NULL};
    Value a[5];
    if (!parse_args(vm, "makefile", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    const char *mode = "r";
    if (!IS_EMPTY(a[0])) {
        if (!IS_STR(a[0])) return vm_raise(vm, vm->TypeError, "'%s' object is not iterable", vm_type_name(vm, a[0]));
        mode = AS_STR(a[0])->chars;
    }
    for (const char *p = mode; *p; p++)
        if (!strchr("rwb", *p)) {
            ObjStr *shown = vm_repr(vm, a[0]);
            return shown && vm_raise(vm, vm->ValueError, "invalid mode %s (only r, w, b allowed)", shown->chars);
        }
    bool writing = strchr(mode, 'w') != NULL;
    bool reading = strchr(mode, 'r') != NULL || !writing;
    ObjFile *f = file_over_descriptor(vm, st->fd, reading, writing, strchr(mode, 'b') != NULL, st->timeout);
    if (!f) return false;
    *result = OBJ_VAL(f);
    return true;
}

// ---- sendfile ----------------------------------------------------------------------------------

typedef struct {
    int file_fd;
    off_t offset; // where the next byte comes from; sendfile(2) moves it
    size_t block;
} SendfileCtx;

static ssize_t sendfile_op(int fd, void *ctx) {
    SendfileCtx *c = ctx;
    return sendfile(fd, c->file_fd, &c->offset, c->block);
}

// Calls obj.name() with no arguments.
static bool call_method0(Vm *vm, Value obj, const char *name, Value *out) {
    Value method;
    return vm_getattr(vm, obj, str_from_c(vm, name), &method) && vm_call0(vm, method, out);
}

// sendfile(file, offset=0, count=None): sends the bytes of a binary file from `offset` (not from
// the file's position), count of them or up to its end, by sendfile(2); returns how many went and
// leaves the file positioned after them.  The checks come in CPython's order: the file's mode,
// the socket's type, count; an empty file sends nothing; then the socket must not be
// non-blocking.  A timeout covers each wait for the socket to take more.
static bool sock_sendfile(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "sendfile", args, nargs);
    if (!st) return false;
    static const char *const names[] = {"file", "offset", "count", NULL};
    Value a[3];
    if (!parse_args(vm, "sendfile", args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    Value file = a[0], mode;
    if (vm_getattr(vm, file, str_from_c(vm, "mode"), &mode)) {
        if (IS_STR(mode) && !strchr(AS_STR(mode)->chars, 'b'))
            return vm_raise(vm, vm->ValueError, "file should be opened in binary mode");
    } else if (vm_exception_matches(vm, vm->AttributeError)) {
        vm_clear_exception(vm);
    } else {
        return false;
    }
    if (!(st->type & SOCK_STREAM)) return vm_raise(vm, vm->ValueError, "only SOCK_STREAM type sockets are supported");
    int64_t count = 0; // 0: up to the end of the file
    if (!IS_EMPTY(a[2]) && !IS_NONE(a[2])) {
        ObjStr *shown = vm_repr(vm, a[2]);
        if (!shown) return false;
        if (!IS_INTLIKE(a[2])) return vm_raise(vm, vm->TypeError, "count must be a positive integer (got %s)", shown->chars);
        count = AS_INTLIKE(a[2]);
        if (count <= 0) return vm_raise(vm, vm->ValueError, "count must be a positive integer (got %s)", shown->chars);
    }
    Value fileno;
    if (!call_method0(vm, file, "fileno", &fileno)) return false;
    int file_fd;
    if (!int_arg(vm, fileno, &file_fd)) return false;
    struct stat info;
    if (fstat(file_fd, &info) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = INT_VAL(0);
    if (info.st_size == 0) return true;
    if (st->timeout == 0) return vm_raise(vm, vm->ValueError, "non-blocking sockets are not supported");
    int64_t offset = 0;
    if (!IS_EMPTY(a[1]) && !mod_arg_index(vm, a[1], &offset)) return false;
    SendfileCtx c = {file_fd, (off_t)offset, 0};
    size_t block = count ? (size_t)count : (size_t)info.st_size;
    if (block > (size_t)1 << 30) block = (size_t)1 << 30;
    int64_t total = 0;
    double deadline = deadline_for(st);
    bool ok = true;
    for (;;) {
        c.block = count && (size_t)(count - total) < block ? (size_t)(count - total) : block;
        if (c.block == 0) break;
        ssize_t sent;
        ok = sock_call(vm, st, POLLOUT, deadline, 0, sendfile_op, &c, &sent);
        if (!ok || sent == 0) break; // an error, or the end of the file
        total += sent;
        if (vm_interrupted && !(ok = vm_run_signal_handlers(vm))) break;
    }
    if (total > 0) { // the file is left after what was sent, even when an error stopped it
        Value method, ignored, where = INT_VAL(offset + total);
        Value pending = vm->exception; // the error that stopped the loop waits while seek runs
        vm->exception = EMPTY_VAL();
        vm_push_root(vm, pending);
        bool seek_ok = vm_getattr(vm, file, str_from_c(vm, "seek"), &method) && vm_call(vm, method, &where, 1, NULL, &ignored);
        vm_pop_root(vm);
        if (!ok && seek_ok) vm->exception = pending;
        if (!seek_ok) return false;
    }
    if (!ok) return false;
    *result = INT_VAL(total);
    return true;
}

// sendto(data[, flags], address)
static bool sock_sendto(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "sendto", args, nargs);
    if (!st) return false;
    if (kwnames) return vm_raise(vm, vm->TypeError, "socket.sendto() takes no keyword arguments");
    if (nargs != 3 && nargs != 4)
        return vm_raise(vm, vm->TypeError, "sendto() takes 2 or 3 arguments (%d given)", nargs - 1);
    SendCtx c;
    memset(&c, 0, sizeof c);
    if (nargs == 4 && !int_arg(vm, args[2], &c.flags)) return false;
    struct sockaddr_storage ss;
    // The address first: resolving a name may run no Python code, but it is the slower part.
    if (!sockaddr_from_value(vm, "sendto", st->family, args[nargs - 1], &ss, &c.tolen)) return false;
    if (!buffer_arg(vm, args[1], &c.buffer)) return false;
    c.data = c.buffer.data;
    c.len = c.buffer.len;
    c.to = (struct sockaddr *)&ss;
    ssize_t n;
    bool ok = sock_call(vm, st, POLLOUT, deadline_for(st), c.flags, send_op, &c, &n);
    buffer_release(&c.buffer);
    if (!ok) return false;
    *result = INT_VAL(n);
    return true;
}

// ---- receiving ----------------------------------------------------------------------------------

typedef struct {
    unsigned char *buf;
    size_t len;
    int flags;
    struct sockaddr_storage from; // recvfrom only
    socklen_t fromlen;
    bool want_from;
} RecvCtx;

static ssize_t recv_op(int fd, void *ctx) {
    RecvCtx *c = ctx;
    if (c->want_from) {
        c->fromlen = sizeof c->from;
        return recvfrom(fd, c->buf, c->len, c->flags, (struct sockaddr *)&c->from, &c->fromlen);
    }
    return recv(fd, c->buf, c->len, c->flags);
}

// The buffer recv reads into before the bytes are copied into an object of the size received
// (programs ask for 64 KiB and get a few bytes).  One per process, for the main thread only (other
// threads allocate their own): the bytes are copied out right after the read that filled them.
static unsigned char *recv_scratch;
static size_t recv_scratch_size;
#define RECV_SCRATCH_MAX (1 << 20) // larger requests get a block of their own

static unsigned char *scratch_for(size_t n) {
    if (n <= recv_scratch_size) return recv_scratch;
    if (n > RECV_SCRATCH_MAX) return NULL;
    unsigned char *grown = realloc(recv_scratch, n);
    if (!grown) return NULL;
    recv_scratch = grown;
    recv_scratch_size = n;
    return grown;
}

// Receives up to bufsize bytes into a new bytes object, allocated once at the size received.
static bool recv_bytes(Vm *vm, SockState *st, const char *fname, Value *args, int nargs, RecvCtx *c,
                       Value *result) {
    int64_t bufsize;
    if (!mod_arg_index(vm, args[1], &bufsize)) return false;
    if (nargs > 2 && !int_arg(vm, args[2], &c->flags)) return false;
    if (bufsize < 0) return vm_raise(vm, vm->ValueError, "negative buffersize in %s", fname);
    if (bufsize == 0 && !c->want_from) { // recv(0) asks nothing of the kernel, as CPython's
        *result = OBJ_VAL(bytes_new(vm, "", 0));
        return true;
    }
    // Only the main thread uses the scratch buffer: a wait releases the interpreter lock, and
    // another thread's recv could grow (move) it meanwhile.
    unsigned char *buf = vm_is_main_thread() ? scratch_for((size_t)bufsize) : NULL, *own = NULL;
    if (!buf) {
        buf = own = malloc((size_t)bufsize);
        if (!buf) return vm_raise_value(vm, OBJ_VAL(vm->memory_error));
    }
    c->buf = buf;
    c->len = (size_t)bufsize;
    ssize_t n;
    bool ok = sock_call(vm, st, POLLIN, deadline_for(st), c->flags, recv_op, c, &n);
    if (ok) *result = OBJ_VAL(bytes_new(vm, buf, (size_t)n));
    free(own);
    return ok;
}

// recv(bufsize[, flags]) -> bytes; b'' at end of stream.
static bool sock_recv(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "recv", args, nargs);
    if (!st || !method_args(vm, "recv", nargs, kwnames, 1, 2)) return false;
    RecvCtx c;
    memset(&c, 0, sizeof c);
    return recv_bytes(vm, st, "recv", args, nargs, &c, result);
}

// recvfrom(bufsize[, flags]) -> (bytes, address)
static bool sock_recvfrom(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "recvfrom", args, nargs);
    if (!st || !method_args(vm, "recvfrom", nargs, kwnames, 1, 2)) return false;
    RecvCtx c;
    memset(&c, 0, sizeof c);
    c.want_from = true;
    Value data;
    if (!recv_bytes(vm, st, "recvfrom", args, nargs, &c, &data)) return false;
    vm_push_root(vm, data);
    Value addr = c.fromlen ? sockaddr_to_value(vm, (struct sockaddr *)&c.from, c.fromlen) : NONE_VAL();
    if (IS_EMPTY(addr)) {
        vm_pop_root(vm);
        return false;
    }
    vm_push_root(vm, addr);
    *result = OBJ_VAL(tuple_pair(vm, data, addr));
    vm_pop_roots(vm, 2);
    return true;
}

// recv_into(buffer, nbytes=0, flags=0) -> n and recvfrom_into(...) -> (n, address): receive
// into the start of a bytearray or writable memoryview (all of it when nbytes is 0).
static bool recv_into_common(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, bool want_from, Value *result) {
    const char *fname = want_from ? "recvfrom_into" : "recv_into";
    SockState *st = self_state(vm, fname, args, nargs);
    static const char *const names[] = {"buffer", "nbytes", "flags", NULL};
    Value a[3];
    if (!st || !parse_args(vm, fname, args + 1, nargs - 1, kwnames, names, 1, a)) return false;
    SockBuffer buf = {NULL, 0, NULL};
    if (!writable_buffer_arg(vm, fname, a[0], &buf)) return false;
    int64_t nbytes = 0;
    RecvCtx c;
    memset(&c, 0, sizeof c);
    c.want_from = want_from;
    bool ok = (IS_EMPTY(a[1]) || mod_arg_index(vm, a[1], &nbytes)) && (IS_EMPTY(a[2]) || int_arg(vm, a[2], &c.flags));
    if (ok && nbytes < 0) ok = vm_raise(vm, vm->ValueError, "negative buffersize in %s", fname);
    if (ok && nbytes == 0) nbytes = (int64_t)buf.len;
    if (ok && (size_t)nbytes > buf.len)
        ok = vm_raise(vm, vm->ValueError, want_from ? "nbytes is greater than the length of the buffer"
                                                    : "buffer too small for requested bytes");
    ssize_t n = 0;
    if (ok && (nbytes > 0 || want_from)) {
        c.buf = buf.data;
        c.len = (size_t)nbytes;
        ok = sock_call(vm, st, POLLIN, deadline_for(st), c.flags, recv_op, &c, &n);
    }
    buffer_release(&buf);
    if (!ok) return false;
    if (!want_from) {
        *result = INT_VAL(n);
        return true;
    }
    Value addr = c.fromlen ? sockaddr_to_value(vm, (struct sockaddr *)&c.from, c.fromlen) : NONE_VAL();
    if (IS_EMPTY(addr)) return false;
    vm_push_root(vm, addr);
    *result = OBJ_VAL(tuple_pair(vm, INT_VAL(n), addr));
    vm_pop_root(vm);
    return true;
}

static bool sock_recv_into(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return recv_into_common(vm, args, nargs, kwnames, false, result);
}

static bool sock_recvfrom_into(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return recv_into_common(vm, args, nargs, kwnames, true, result);
}

// ---- options and shutdown -----------------------------------------------------------------------

// setsockopt(level, optname, value: int | bytes) or setsockopt(level, optname, None, optlen).
static bool sock_setsockopt(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "setsockopt", args, nargs);
    if (!st) return false;
    if (kwnames) return vm_raise(vm, vm->TypeError, "socket.setsockopt() takes no keyword arguments");
    if (nargs != 4 && nargs != 5)
        return vm_raise(vm, vm->TypeError, "setsockopt() takes %s (%d given)",
                        nargs < 4 ? "at least 3 arguments" : "at most 4 arguments", nargs - 1);
    int level, optname;
    if (!int_arg(vm, args[1], &level) || !int_arg(vm, args[2], &optname)) return false;
    int r;
    if (nargs == 5) {
        int optlen;
        if (!IS_NONE(args[3]))
            return vm_raise(vm, vm->TypeError, "a bytes-like object is required, not '%s'",
                            vm_type_name(vm, args[3]));
        if (!int_arg(vm, args[4], &optlen)) return false;
        r = setsockopt(st->fd, level, optname, NULL, (socklen_t)optlen);
    } else if (!IS_BYTES(args[3]) && !IS_BYTEARRAY(args[3]) && !IS_MEMORYVIEW(args[3]) && !IS_STR(args[3]) &&
               !IS_NONE(args[3])) {
        int value;
        if (!int_arg(vm, args[3], &value)) return false;
        r = setsockopt(st->fd, level, optname, &value, sizeof value);
    } else {
        SockBuffer value;
        if (!buffer_arg(vm, args[3], &value)) return false;
        r = setsockopt(st->fd, level, optname, value.data, (socklen_t)value.len);
        buffer_release(&value);
    }
    if (r != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// getsockopt(level, optname[, buflen]): an int, or buflen bytes of the raw value.
static bool sock_getsockopt(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "getsockopt", args, nargs);
    if (!st || !method_args(vm, "getsockopt", nargs, kwnames, 2, 3)) return false;
    int level, optname, buflen = 0;
    if (!int_arg(vm, args[1], &level) || !int_arg(vm, args[2], &optname)) return false;
    if (nargs > 3 && !int_arg(vm, args[3], &buflen)) return false;
    if (buflen == 0) {
        int value = 0;
        socklen_t len = sizeof value;
        if (getsockopt(st->fd, level, optname, &value, &len) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
        *result = INT_VAL(value);
        return true;
    }
    if (buflen < 0 || buflen > 1024) return vm_raise(vm, vm->OSError, "getsockopt buflen out of range");
    unsigned char buf[1024];
    socklen_t len = (socklen_t)buflen;
    if (getsockopt(st->fd, level, optname, buf, &len) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = OBJ_VAL(bytes_new(vm, buf, len));
    return true;
}

static bool sock_shutdown(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    SockState *st = self_state(vm, "shutdown", args, nargs);
    int how;
    if (!st || !method_args(vm, "socket.shutdown", nargs, kwnames, 1, 1) || !int_arg(vm, args[1], &how))
        return false;
    if (shutdown(st->fd, how) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// ---- module -------------------------------------------------------------------------------------

static bool socket_getdefaulttimeout(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_socket.getdefaulttimeout", nargs, kwnames, 0, 0)) return false;
    *result = timeout_value(socket_default_timeout);
    return true;
}

static bool socket_setdefaulttimeout(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    double t;
    if (!check_args(vm, "_socket.setdefaulttimeout", nargs, kwnames, 1, 1) || !timeout_arg(vm, args[0], &t))
        return false;
    socket_default_timeout = t;
    *result = NONE_VAL();
    return true;
}

static const MethodDef socket_methods[] = {
    {"__new__", sock_new},
    {"__repr__", sock_repr},
    {"__enter__", sock_enter},
    {"__exit__", sock_exit},
    {"close", sock_close},
    {"detach", sock_detach},
    {"fileno", sock_fileno},
    {"dup", sock_dup},
    {"get_inheritable", sock_get_inheritable},
    {"set_inheritable", sock_set_inheritable},
    {"gettimeout", sock_gettimeout},
    {"settimeout", sock_settimeout},
    {"setblocking", sock_setblocking},
    {"getblocking", sock_getblocking},
    {"getsockname", sock_getsockname},
    {"getpeername", sock_getpeername},
    {"bind", sock_bind},
    {"listen", sock_listen},
    {"connect", sock_connect},
    {"connect_ex", sock_connect_ex},
    {"accept", sock_accept},
    {"send", sock_send},
    {"sendall", sock_sendall},
    {"sendfile", sock_sendfile},
    {"makefile", sock_makefile},
    {"sendto", sock_sendto},
    {"recv", sock_recv},
    {"recvfrom", sock_recvfrom},
    {"recv_into", sock_recv_into},
    {"recvfrom_into", sock_recvfrom_into},
    {"setsockopt", sock_setsockopt},
    {"getsockopt", sock_getsockopt},
    {"shutdown", sock_shutdown},
    {NULL, NULL},
};

ObjModule *mod_socket_init(Vm *vm) {
    socket_default_timeout = -1;
    ObjModule *m = mod_new(vm, "socket");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *cls = mod_class(vm, m, "socket", vm->object_class, OBJ_BOX);
    define_methods(vm, cls, socket_methods);
    mod_property(vm, cls, "family", sock_family);
    mod_property(vm, cls, "type", sock_type);
    mod_property(vm, cls, "proto", sock_proto);
    mod_property(vm, cls, "timeout", sock_timeout);
    mod_set(vm, m, "SocketType", OBJ_VAL(cls));
    define_native(vm, m->globals, "socketpair", socket_socketpair);
    define_native(vm, m->globals, "fromfd", socket_fromfd);
    define_native(vm, m->globals, "getdefaulttimeout", socket_getdefaulttimeout);
    define_native(vm, m->globals, "setdefaulttimeout", socket_setdefaulttimeout);
    mod_set(vm, m, "error", OBJ_VAL(vm->OSError));
    mod_set(vm, m, "timeout", OBJ_VAL(vm->TimeoutError));
    socket_init_functions(vm, m);
    socket_resolver_init(vm, m);
    vm_pop_root(vm);
    return m;
}
