/* I/O readiness on the event loop: loop.add_reader, remove_reader, add_writer, remove_writer.
 *
 * Owns the loop's table of watched descriptors (IoTable): for each descriptor one Watcher, which
 * holds the reader's Handle, the writer's Handle and one libuv uv_poll_t whose event mask is
 * started, changed and stopped as readers and writers come and go.  This is the counterpart of
 * the selector and its keys in CPython's SelectorEventLoop.
 *
 * When libuv reports a descriptor ready (on_poll, during the loop's wait) the reader's Handle
 * and then the writer's join the ready queue, nothing more: they run from the ready queue like
 * every other callback, in the order the poll reported them and before the timers that are due
 * (as CPython's _run_once processes the selector's events before it moves due timers).
 *
 * The descriptors belong to the program, which may close one while it is watched.  epoll then
 * forgets it silently, and CPython's selector raises OSError only at the next change of that
 * registration (EBADF when the number is free, ENOENT when it now names another file).  libuv,
 * though, aborts the process if it cannot register a descriptor it was asked to watch, and it
 * registers lazily, at the start of its next poll.  So:
 *   - a registration starting from nothing is checked at once (by libuv's uv_poll_init for a new
 *     watcher, by our own epoll_ctl probe for a reused one), giving CPython's errors
 *     (EBADF, EPERM for a regular file), and the file's identity (device, inode) is noted;
 *   - a change of a live registration first checks the identity (EBADF / ENOENT as above, and
 *     the registration is dropped, as CPython's selector drops the key);
 *   - just before each wait (io_before_wait) every watcher changed since the last wait is checked
 *     again: one whose descriptor was closed meanwhile is stopped quietly, as epoll would have
 *     forgotten it.
 * Watchers are malloc'ed and never inside a GC object; their Handles are marked through the
 * loop (io_mark).  A watcher whose descriptor has no reader or writer left stays in the table
 * with its poll stopped, ready for the next registration of that number; all are closed with
 * the loop (io_close) and freed in libuv's close callback.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <uv.h>

#include "asyncio.h"
#include "runtime.h"

typedef struct Watcher {
    uv_poll_t poll;             // poll.data points back to the watcher
    ObjLoop *loop;
    int fd;
    ObjHandle *reader, *writer; // NULL when there is none
    int events;                 // UV_READABLE | UV_WRITABLE the poll is started with; 0: stopped
    bool lost;                  // its descriptor was closed while watched: epoll forgot it
    bool unchecked;             // started since the last wait: on the `unchecked` list
    struct Watcher *next_unchecked;
} Watcher;

struct IoTable {
    Watcher **by_fd;            // indexed by descriptor; NULL where none was ever watched
    size_t capacity;
    Watcher *unchecked;         // started since the last wait (io_before_wait checks them)
};

// ---- the table ----------------------------------------------------------------------------------

static IoTable *table_of(ObjLoop *loop) {
    IoTable **slot = loop_io_table(loop);
    if (!*slot) {
        *slot = calloc(1, sizeof(IoTable));
        if (!*slot) abort();
    }
    return *slot;
}

static Watcher *find_watcher(ObjLoop *loop, int fd) {
    IoTable *io = *loop_io_table(loop);
    return io && (size_t)fd < io->capacity ? io->by_fd[fd] : NULL;
}

void io_mark(Vm *vm, IoTable *io) {
    if (!io) return;
    for (size_t i = 0; i < io->capacity; i++) {
        Watcher *w = io->by_fd[i];
        if (!w) continue;
        if (w->reader) gc_mark_object(vm, (Obj *)w->reader);
        if (w->writer) gc_mark_object(vm, (Obj *)w->writer);
    }
}

static void free_watcher(uv_handle_t *h) { free(h->data); }

void io_close(IoTable *io) {
    if (!io) return;
    for (size_t i = 0; i < io->capacity; i++) {
        Watcher *w = io->by_fd[i];
        if (!w) continue;
        uv_close((uv_handle_t *)&w->poll, free_watcher);
        io->by_fd[i] = NULL;
    }
    io->unchecked = NULL;
}

void io_free(IoTable *io) {
    if (!io) return;
    free(io->by_fd);
    free(io);
}

bool io_watching(IoTable *io) {
    if (!io) return false;
    for (size_t i = 0; i < io->capacity; i++)
        if (io->by_fd[i] && io->by_fd[i]->events) return true;
    return false;
}

// ---- readiness ----------------------------------------------------------------------------------

static int start_poll(Watcher *w, int events);

static void ready_unless_cancelled(ObjLoop *loop, ObjHandle *h) {
    if (h && !h->timer.cancelled) loop_ready_handle(loop, h);
}

static void on_poll(uv_poll_t *poll, int status, int events) {
    Watcher *w = poll->data;
    if (status < 0) {
        // POLLERR: libuv has stopped the poll.  An epoll selector reports an error as readiness
        // for whatever is registered, again at every wait until it is cleared or unregistered:
        // start the poll again, to be checked before the next wait.
        events = w->events;
        if (start_poll(w, events) != 0) w->lost = true;
    }
    if (events & UV_READABLE) ready_unless_cancelled(w->loop, w->reader);
    if (events & UV_WRITABLE) ready_unless_cancelled(w->loop, w->writer);
}

// ---- starting and stopping a watcher ------------------------------------------------------------

static void mark_unchecked(IoTable *io, Watcher *w) {
    if (w->unchecked) return;
    w->unchecked = true;
    w->next_unchecked = io->unchecked;
    io->unchecked = w;
}

// epoll_ctl(op, fd) on the libuv loop's own epoll set, with the events and data libuv itself
// gives it; 0 or the errno.  This is how the registration happens at once (libuv would make it
// at its next poll, which changes the order in which epoll reports descriptors that are ready
// together, and could find the descriptor closed by then).  libuv's own later ADD finds the
// entry present and turns into a MOD with the same values.
static int epoll_register(Watcher *w, int op, int events) {
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = (events & UV_READABLE ? EPOLLIN : 0) | (events & UV_WRITABLE ? EPOLLOUT : 0);
    e.data.fd = w->fd;
    return epoll_ctl(uv_backend_fd(loop_uv(w->loop)), op, w->fd, &e) == 0 ? 0 : errno;
}

// Starts w's poll for `events` and registers fd now; 0 or the errno of the registration (the
// poll is then stopped again, so that libuv never tries to register fd itself).
static int start_poll(Watcher *w, int events) {
    int r = uv_poll_start(&w->poll, events, on_poll); // removes fd from epoll, then queues an ADD
    if (r != 0) return -r;
    int err = epoll_register(w, EPOLL_CTL_ADD, events);
    if (err) {
        uv_poll_stop(&w->poll);
        w->events = 0;
        return err;
    }
    w->events = events;
    mark_unchecked(table_of(w->loop), w);
    return 0;
}

// A new watcher for fd.  uv_poll_init checks fd (EBADF, EPERM for regular files) and makes it
// non-blocking; the program's blocking flag is put back, since watching must not change it
// (CPython's selector leaves it alone).  NULL with the errno in *err.
static Watcher *new_watcher(ObjLoop *loop, int fd, int *err) {
    IoTable *io = table_of(loop);
    if ((size_t)fd >= io->capacity) {
        size_t cap = io->capacity ? io->capacity : 16;
        while (cap <= (size_t)fd) cap *= 2;
        Watcher **grown = realloc(io->by_fd, cap * sizeof(Watcher *));
        if (!grown) abort();
        memset(grown + io->capacity, 0, (cap - io->capacity) * sizeof(Watcher *));
        io->by_fd = grown;
        io->capacity = cap;
    }
    Watcher *w = calloc(1, sizeof(Watcher));
    if (!w) abort();
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        *err = errno;
        free(w);
        return NULL;
    }
    int r = uv_poll_init(loop_uv(loop), &w->poll, fd);
    if (r != 0) {
        *err = -r;
        free(w);
        return NULL;
    }
    fcntl(fd, F_SETFL, flags);
    w->poll.data = w;
    w->loop = loop;
    w->fd = fd;
    io->by_fd[fd] = w;
    return w;
}

static void stop_watcher(Watcher *w) {
    uv_poll_stop(&w->poll); // also removes fd from epoll, quietly if it is no longer there
    w->events = 0;
    w->lost = false;
}

// OSError, or the subclass CPython picks for err (PermissionError, FileNotFoundError ...).
static bool raise_errno(Vm *vm, int err) { return raise_os_errno(vm, err, EMPTY_VAL()); }

// Starts, changes or stops w's poll so that it watches `events`.  When a change of a live
// registration fails, the registration is dropped (reader and writer forgotten, as CPython's
// selector forgets the key) and OSError is raised.
//
// A change is made as epoll_ctl MOD first, for CPython's errors (EBADF: fd was closed meanwhile,
// ENOENT: the number now names a file that was never registered); libuv then registers fd
// afresh.  Unlike a plain MOD, that moves fd to the end of epoll's list of ready descriptors.
static bool set_events(Vm *vm, Watcher *w, int events) {
    if (events == w->events && !w->lost) return true;
    if (events == 0) {
        stop_watcher(w);
        return true;
    }
    if (w->events || w->lost) {
        int err = epoll_register(w, EPOLL_CTL_MOD, events);
        if (err) {
            stop_watcher(w);
            w->reader = w->writer = NULL;
            return raise_errno(vm, err);
        }
    }
    w->lost = false;
    int err = start_poll(w, events);
    return err ? raise_errno(vm, err) : true;
}

// The registrations made since the last wait are still there, unless the program closed their
// descriptor meanwhile: then libuv must not see them.
void io_before_wait(IoTable *io) {
    if (!io) return;
    for (Watcher *w = io->unchecked; w; w = w->next_unchecked) {
        w->unchecked = false;
        if (w->events && epoll_register(w, EPOLL_CTL_MOD, w->events) != 0) {
            uv_poll_stop(&w->poll);
            w->events = 0;
            w->lost = true;
        }
    }
    io->unchecked = NULL;
}

// ---- the loop's methods -------------------------------------------------------------------------

// The descriptor of an int or of an object with fileno(), as CPython's selectors accept them.
static bool fileobj_to_fd(Vm *vm, Value obj, int *fd) {
    Value v = obj;
    if (!IS_INTLIKE(obj) && !IS_BIGINT(obj)) {
        Value method, got;
        if (!vm_getattr(vm, obj, str_from_c(vm, "fileno"), &method) || !vm_call0(vm, method, &got) ||
            !vm_call(vm, OBJ_VAL(vm->int_class), &got, 1, NULL, &v)) {
            if (!vm_exception_matches(vm, vm->AttributeError) && !vm_exception_matches(vm, vm->TypeError) &&
                !vm_exception_matches(vm, vm->ValueError))
                return false;
            vm_clear_exception(vm);
            ObjStr *r = vm_repr(vm, obj);
            if (!r) return false;
            return vm_raise(vm, vm->ValueError, "Invalid file object: %s", r->chars);
        }
    }
    if (IS_BIGINT(v)) {
        ObjStr *s = vm_str(vm, v);
        if (!s) return false;
        if (s->chars[0] == '-') return vm_raise(vm, vm->ValueError, "Invalid file descriptor: %s", s->chars);
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C int");
    }
    int64_t n = AS_INTLIKE(v);
    if (n < 0) return vm_raise(vm, vm->ValueError, "Invalid file descriptor: %lld", (long long)n);
    if (n > INT32_MAX) return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C int");
    *fd = (int)n;
    return true;
}

static bool loop_self(Vm *vm, Value v, ObjLoop **loop) {
    if (!IS_LOOP(v) || !AS_LOOP(v)->state) return vm_raise(vm, vm->TypeError, "an event loop is required");
    *loop = AS_LOOP(v);
    return true;
}

// add_reader(fd, callback, *args) and add_writer: a Handle for callback(*args) runs whenever fd
// is ready.  A callback already registered for fd is replaced, and its Handle cancelled.
static bool add_callback(Vm *vm, const char *method, bool reading, Value *args, int nargs, ObjTuple *kwnames,
                         Value *handle) {
    ObjLoop *loop = NULL;
    if (!loop_self(vm, args[0], &loop)) return false;
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "BaseSelectorEventLoop.%s() got an unexpected keyword argument '%s'", method,
                        AS_STR(kwnames->items[0])->chars);
    if (nargs < 3)
        return vm_raise(vm, vm->TypeError,
                        nargs == 1 ? "BaseSelectorEventLoop.%s() missing 2 required positional arguments: 'fd' and 'callback'"
                                   : "BaseSelectorEventLoop.%s() missing 1 required positional argument: 'callback'",
                        method);
    if (!loop_check_open(vm, loop)) return false;
    int fd;
    if (!fileobj_to_fd(vm, args[1], &fd)) return false;
    ObjTuple *cb_args = tuple_from_values(vm, args + 3, (size_t)(nargs - 3));
    vm_push_root(vm, OBJ_VAL(cb_args));
    ObjHandle *h = loop_handle_new(vm, OBJ_VAL(loop), args[2], OBJ_VAL(cb_args));
    vm_pop_root(vm);
    Watcher *w = find_watcher(loop, fd);
    if (!w) {
        int err = 0;
        vm_push_root(vm, OBJ_VAL(h));
        w = new_watcher(loop, fd, &err);
        vm_pop_root(vm);
        if (!w) return raise_errno(vm, err);
    }
    ObjHandle *old = reading ? w->reader : w->writer;
    int events = (reading || w->reader ? UV_READABLE : 0) | (!reading || w->writer ? UV_WRITABLE : 0);
    vm_push_root(vm, OBJ_VAL(h));
    bool ok = set_events(vm, w, events);
    vm_pop_root(vm);
    if (!ok) return false;
    if (reading) w->reader = h;
    else w->writer = h;
    if (old) loop_handle_cancel(vm, old);
    *handle = OBJ_VAL(h);
    return true;
}

// remove_reader(fd) / remove_writer(fd): True when a callback was registered (its Handle is
// cancelled), False otherwise and on a closed loop.
static bool remove_callback(Vm *vm, const char *method, bool reading, Value *args, int nargs, ObjTuple *kwnames,
                            Value *result) {
    ObjLoop *loop = NULL;
    if (!loop_self(vm, args[0], &loop)) return false;
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "BaseSelectorEventLoop.%s() got an unexpected keyword argument '%s'", method,
                        AS_STR(kwnames->items[0])->chars);
    if (nargs != 2)
        return vm_raise(vm, vm->TypeError,
                        nargs < 2 ? "BaseSelectorEventLoop.%s() missing 1 required positional argument: 'fd'"
                                  : "BaseSelectorEventLoop.%s() takes 2 positional arguments but %d were given",
                        method, nargs);
    *result = BOOL_VAL(false);
    if (loop_closed(loop)) return true;
    int fd;
    if (!fileobj_to_fd(vm, args[1], &fd)) return false;
    Watcher *w = find_watcher(loop, fd);
    ObjHandle *h = w ? (reading ? w->reader : w->writer) : NULL;
    if (!h) return true;
    ObjHandle *other = reading ? w->writer : w->reader;
    int events = other ? (reading ? UV_WRITABLE : UV_READABLE) : 0;
    if (reading) w->reader = NULL;
    else w->writer = NULL;
    vm_push_root(vm, OBJ_VAL(h));
    bool ok = set_events(vm, w, events);
    vm_pop_root(vm);
    if (!ok) return false;
    loop_handle_cancel(vm, h);
    *result = BOOL_VAL(true);
    return true;
}

static bool loop_add_reader(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value ignored;
    *result = NONE_VAL();
    return add_callback(vm, "add_reader", true, args, nargs, kwnames, &ignored);
}

static bool loop_add_writer(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value ignored;
    *result = NONE_VAL();
    return add_callback(vm, "add_writer", false, args, nargs, kwnames, &ignored);
}

// _add_reader / _add_writer: the same, returning the Handle (for the loop's own code in
// stdlib/asyncio, which removes a reader only while its Handle is the one registered).
static bool loop_add_reader_handle(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return add_callback(vm, "_add_reader", true, args, nargs, kwnames, result);
}

static bool loop_add_writer_handle(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return add_callback(vm, "_add_writer", false, args, nargs, kwnames, result);
}

static bool loop_remove_reader(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return remove_callback(vm, "remove_reader", true, args, nargs, kwnames, result);
}

static bool loop_remove_writer(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return remove_callback(vm, "remove_writer", false, args, nargs, kwnames, result);
}

void io_define_loop_methods(Vm *vm, ObjClass *loop_class) {
    define_methods(vm, loop_class, (MethodDef[]){{"add_reader", loop_add_reader},
                                                 {"remove_reader", loop_remove_reader},
                                                 {"add_writer", loop_add_writer},
                                                 {"remove_writer", loop_remove_writer},
                                                 {"_add_reader", loop_add_reader_handle},
                                                 {"_add_writer", loop_add_writer_handle},
                                                 {NULL, NULL}});
}
