/* I/O readiness on the event loop: loop.add_reader, remove_reader, add_writer, remove_writer.
 *
 * Owns the loop's selector (IoTable): an epoll set of its own, as CPython's SelectorEventLoop
 * has one, and for each descriptor the reader's Handle, the writer's Handle and the events it is
 * registered for.  Registrations change at once, by epoll_ctl on that set, exactly when CPython's
 * selector would change them.  libuv watches only the set's own descriptor (one uv_poll_t): when
 * it is readable some descriptor in the set is ready, and one epoll_wait on the set (on_ready)
 * says which.
 *
 * Why not a uv_poll_t per descriptor: libuv registers lazily, and changing a poll's events
 * removes the descriptor from epoll and adds it again at the next poll.  Either moves the
 * descriptor within epoll's list of ready descriptors, whose order is the order callbacks run in
 * when several descriptors are ready together; with our own set the order is CPython's (a
 * descriptor joins the list when it becomes ready or when a change of its registration finds it
 * ready, and the level-triggered ones still ready go back to the end after each wait).
 *
 * When the set reports descriptors ready, the reader's Handle and then the writer's join the
 * ready queue, nothing more: they run from the ready queue like every other callback, in the
 * order the wait reported them and before the timers that are due (as CPython's _run_once
 * processes the selector's events before it moves due timers).  An error or hang-up counts as
 * both readable and writable, for whichever is registered, as CPython's EpollSelector reports it.
 *
 * The descriptors belong to the program, which may close one while it is watched: epoll then
 * forgets it, and the next change of its registration fails as it does in CPython (EBADF when
 * the number is free, ENOENT when it now names another file), which drops the registration.
 * Handles are marked through the loop (io_mark); the table is C memory, freed with the loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

#include "asyncio.h"
#include "events.h"
#include "runtime.h"

typedef struct Watcher {
    ObjHandle *reader, *writer; // NULL when there is none
    int events;                 // EPOLLIN | EPOLLOUT as registered in the set; 0: not in it
    Value transport;            // the transport that owns the descriptor (_set_transport), or 0
} Watcher;

struct IoTable {
    ObjLoop *loop;
    int epfd;                   // the selector: our own epoll set; -1 if it could not be made
    uv_poll_t set_ready;        // libuv's watch on epfd (readable: something in the set is ready)
    bool set_watched;           // set_ready was initialised (it must be closed with the loop)
    Watcher *by_fd;             // indexed by descriptor
    size_t capacity;
    size_t registered;          // descriptors in the set: how many one wait may report
    struct epoll_event *reported;
    size_t reported_capacity;
};

// ---- the table ----------------------------------------------------------------------------------

static void on_ready(uv_poll_t *poll, int status, int events);

// The loop's table, made with its epoll set by io_open when the loop is made; NULL with the errno
// in *err when the set cannot be made (out of descriptors).
static IoTable *table_of(ObjLoop *loop, int *err) {
    IoTable **slot = loop_io_table(loop);
    if (*slot) return *slot;
    IoTable *io = calloc(1, sizeof(IoTable));
    if (!io) abort();
    io->loop = loop;
    io->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (io->epfd < 0) {
        *err = errno;
        free(io);
        return NULL;
    }
    int r = uv_poll_init(loop_uv(loop), &io->set_ready, io->epfd);
    if (r != 0) {
        *err = -r;
        close(io->epfd);
        free(io);
        return NULL;
    }
    io->set_ready.data = io;
    io->set_watched = true;
    *slot = io;
    return io;
}

int io_open(ObjLoop *loop) {
    int err = 0;
    return table_of(loop, &err) ? 0 : err;
}

static Watcher *find_watcher(ObjLoop *loop, int fd) {
    IoTable *io = *loop_io_table(loop);
    return io && (size_t)fd < io->capacity ? &io->by_fd[fd] : NULL;
}

static Watcher *watcher_for(IoTable *io, int fd) {
    if ((size_t)fd >= io->capacity) {
        size_t cap = io->capacity ? io->capacity : 16;
        while (cap <= (size_t)fd) cap *= 2;
        Watcher *grown = realloc(io->by_fd, cap * sizeof(Watcher));
        if (!grown) abort();
        for (size_t i = io->capacity; i < cap; i++) grown[i] = (Watcher){NULL, NULL, 0, EMPTY_VAL()};
        io->by_fd = grown;
        io->capacity = cap;
    }
    return &io->by_fd[fd];
}

void io_mark(Vm *vm, IoTable *io) {
    if (!io) return;
    for (size_t i = 0; i < io->capacity; i++) {
        Watcher *w = &io->by_fd[i];
        if (w->reader) gc_mark_object(vm, (Obj *)w->reader);
        if (w->writer) gc_mark_object(vm, (Obj *)w->writer);
        if (IS_OBJ(w->transport)) gc_mark_value(vm, w->transport);
    }
}

void io_close(IoTable *io) {
    if (!io) return;
    if (io->set_watched) uv_close((uv_handle_t *)&io->set_ready, NULL);
    io->set_watched = false;
    for (size_t i = 0; i < io->capacity; i++) {
        io->by_fd[i].reader = io->by_fd[i].writer = NULL;
        io->by_fd[i].transport = EMPTY_VAL();
    }
}

void io_free(IoTable *io) {
    if (!io) return;
    if (io->epfd >= 0) close(io->epfd);
    free(io->by_fd);
    free(io->reported);
    free(io);
}

bool io_watching(IoTable *io) { return io && io->registered > 0; }

size_t io_watched_count(IoTable *io) { return io ? io->registered : 0; }

static bool callback_refers_to(Value callback, Value fut) {
    if (IS_BOUND(callback)) return value_is(AS_BOUND(callback)->self, fut);
    if (!IS_FUNCTION(callback) || !AS_FUNCTION(callback)->closure) return false;
    ObjTuple *cells = AS_FUNCTION(callback)->closure;
    for (size_t i = 0; i < cells->count; i++)
        if (IS_CELL(cells->items[i]) && value_is(AS_CELL(cells->items[i])->value, fut)) return true;
    return false;
}

static bool handle_refers_to(ObjHandle *h, Value fut) {
    if (!h || h->timer.cancelled) return false;
    if (callback_refers_to(h->callback, fut)) return true;
    if (!IS_TUPLE(h->args)) return false;
    ObjTuple *args = AS_TUPLE(h->args);
    for (size_t i = 0; i < args->count; i++)
        if (value_is(args->items[i], fut)) return true;
    return false;
}

int io_descriptor_for(IoTable *io, Value fut, bool *reading) {
    if (!io || !io->registered) return -1;
    for (size_t fd = 0; fd < io->capacity; fd++) {
        Watcher *w = &io->by_fd[fd];
        if (handle_refers_to(w->reader, fut)) {
            *reading = true;
            return (int)fd;
        }
        if (handle_refers_to(w->writer, fut)) {
            *reading = false;
            return (int)fd;
        }
    }
    return -1;
}

// ---- readiness ----------------------------------------------------------------------------------

static void ready_unless_cancelled(ObjLoop *loop, ObjHandle *h) {
    if (h && !h->timer.cancelled) loop_ready_handle(loop, h);
}

// For the event stream: fd is ready, 1 to read, 2 to write, 3 both.
static void record_ready(int fd, uint32_t got) {
    long how = (got & ~(uint32_t)EPOLLOUT ? 1 : 0) | (got & ~(uint32_t)EPOLLIN ? 2 : 0);
    events_emit(NULL, &(Event){.kind = EV_IO_READY, .counts = {fd, how}});
}

// libuv saw the set readable: one wait on it, as CPython's selector.select() makes one, for as
// many events as there are registered descriptors.
static void on_ready(uv_poll_t *poll, int status, int events) {
    IoTable *io = poll->data;
    if (!io->registered) return;
    if (io->reported_capacity < io->registered) {
        free(io->reported);
        io->reported_capacity = io->registered * 2;
        io->reported = malloc(io->reported_capacity * sizeof(struct epoll_event));
        if (!io->reported) abort();
    }
    int n;
    do n = epoll_wait(io->epfd, io->reported, (int)io->registered, 0);
    while (n < 0 && errno == EINTR);
    for (int i = 0; i < n; i++) {
        int fd = io->reported[i].data.fd;
        uint32_t got = io->reported[i].events;
        if ((size_t)fd >= io->capacity) continue;
        Watcher *w = &io->by_fd[fd];
        if (EVENTS_ON) record_ready(fd, got);
        // anything but "readable" counts as writable, anything but "writable" as readable
        if ((got & ~(uint32_t)EPOLLOUT) && (w->events & EPOLLIN)) ready_unless_cancelled(io->loop, w->reader);
        if ((got & ~(uint32_t)EPOLLIN) && (w->events & EPOLLOUT)) ready_unless_cancelled(io->loop, w->writer);
    }
}

// ---- registering --------------------------------------------------------------------------------

// OSError, or the subclass CPython picks for err (PermissionError, FileNotFoundError ...).
static bool raise_errno(Vm *vm, int err) { return raise_os_errno(vm, err, EMPTY_VAL()); }

static int epoll_change(IoTable *io, int op, int fd, int events) {
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = (uint32_t)events;
    e.data.fd = fd;
    return epoll_ctl(io->epfd, op, fd, &e) == 0 ? 0 : errno;
}

// Registers, changes or unregisters fd so that the set watches `events`, as CPython's selector
// register / modify / unregister.  A failed registration raises OSError (EBADF, EPERM for a
// regular file); a failed change drops the registration (reader and writer forgotten, as
// CPython's selector forgets the key) and raises; unregistering never fails (a closed descriptor
// has left the set by itself).
static bool set_events(Vm *vm, IoTable *io, int fd, Watcher *w, int events) {
    if (events == w->events) return true;
    int err = 0;
    if (events == 0) {
        epoll_change(io, EPOLL_CTL_DEL, fd, 0);
    } else {
        err = epoll_change(io, w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, events);
        if (err && w->events) {
            epoll_change(io, EPOLL_CTL_DEL, fd, 0);
            w->reader = w->writer = NULL;
        }
        if (err) events = 0;
    }
    if (!w->events && events && io->registered++ == 0 && uv_poll_start(&io->set_ready, UV_READABLE, on_ready) != 0)
        abort();
    if (w->events && !events && --io->registered == 0) uv_poll_stop(&io->set_ready);
    w->events = events;
    return err ? raise_errno(vm, err) : true;
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

// The public add_/remove_ methods refuse a descriptor that a transport still uses (one not
// closing), with CPython's RuntimeError; the transports themselves use the _-prefixed forms.
static bool check_no_transport(Vm *vm, ObjLoop *loop, int fd, Value fileobj) {
    Watcher *w = find_watcher(loop, fd);
    if (!w || !IS_OBJ(w->transport)) return true;
    Value transport = w->transport, closing;
    bool is_closing;
    vm_push_root(vm, transport);
    bool ok = vm_getattr(vm, transport, str_from_c(vm, "is_closing"), &closing) && vm_call0(vm, closing, &closing) &&
              vm_truthy(vm, closing, &is_closing);
    vm_pop_root(vm);
    if (!ok || is_closing) return ok;
    ObjStr *fd_text = vm_repr(vm, fileobj);
    if (!fd_text) return false;
    vm_push_root(vm, OBJ_VAL(fd_text));
    ObjStr *transport_text = vm_repr(vm, transport);
    vm_pop_root(vm);
    if (!transport_text) return false;
    return vm_raise(vm, vm->RuntimeError, "File descriptor %s is used by transport %s", fd_text->chars,
                    transport_text->chars);
}

// add_reader(fd, callback, *args) and add_writer: a Handle for callback(*args) runs whenever fd
// is ready.  A callback already registered for fd is replaced, and its Handle cancelled.
static bool add_callback(Vm *vm, const char *method, bool reading, Value *args, int nargs, ObjTuple *kwnames,
                         Value *handle) {
    bool public = method[0] != '_';
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
    if (public && !check_no_transport(vm, loop, fd, args[1])) return false;
    ObjTuple *cb_args = tuple_from_values(vm, args + 3, (size_t)(nargs - 3));
    vm_push_root(vm, OBJ_VAL(cb_args));
    ObjHandle *h = loop_handle_new(vm, OBJ_VAL(loop), args[2], OBJ_VAL(cb_args));
    vm_pop_root(vm);
    int err = 0;
    vm_push_root(vm, OBJ_VAL(h));
    IoTable *io = table_of(loop, &err);
    vm_pop_root(vm);
    if (!io) return raise_errno(vm, err);
    Watcher *w = watcher_for(io, fd);
    ObjHandle *old = reading ? w->reader : w->writer;
    int events = (reading || w->reader ? EPOLLIN : 0) | (!reading || w->writer ? EPOLLOUT : 0);
    vm_push_root(vm, OBJ_VAL(h));
    bool ok = set_events(vm, io, fd, w, events);
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
    if (method[0] != '_' && !check_no_transport(vm, loop, fd, args[1])) return false;
    Watcher *w = find_watcher(loop, fd);
    ObjHandle *h = w ? (reading ? w->reader : w->writer) : NULL;
    if (!h) return true;
    ObjHandle *other = reading ? w->writer : w->reader;
    int events = other ? (reading ? EPOLLOUT : EPOLLIN) : 0;
    if (reading) w->reader = NULL;
    else w->writer = NULL;
    vm_push_root(vm, OBJ_VAL(h));
    bool ok = set_events(vm, *loop_io_table(loop), fd, w, events);
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

// _remove_reader / _remove_writer: the transports' own forms, without the ownership check.
static bool loop_remove_reader_own(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return remove_callback(vm, "_remove_reader", true, args, nargs, kwnames, result);
}

static bool loop_remove_writer_own(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return remove_callback(vm, "_remove_writer", false, args, nargs, kwnames, result);
}

// _ensure_fd_no_transport(fd): the check alone, for the sock_* coroutines before they wait.
static bool loop_ensure_fd_no_transport(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjLoop *loop = NULL;
    if (!loop_self(vm, args[0], &loop)) return false;
    if (nargs != 2) return vm_raise(vm, vm->TypeError, "_ensure_fd_no_transport() takes 1 argument");
    int fd;
    if (!fileobj_to_fd(vm, args[1], &fd) || !check_no_transport(vm, loop, fd, args[1])) return false;
    *result = NONE_VAL();
    return true;
}

// _set_transport(fd, transport): the transport now owns fd (None: nobody does).  CPython keeps
// the same in the loop's _transports mapping.
static bool loop_set_transport(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjLoop *loop = NULL;
    if (!loop_self(vm, args[0], &loop)) return false;
    if (nargs != 3) return vm_raise(vm, vm->TypeError, "_set_transport() takes 2 arguments");
    int fd;
    if (!fileobj_to_fd(vm, args[1], &fd)) return false;
    *result = NONE_VAL();
    IoTable *io = *loop_io_table(loop);
    if (!io || loop_closed(loop)) return true;
    watcher_for(io, fd)->transport = IS_NONE(args[2]) ? EMPTY_VAL() : args[2];
    return true;
}

void io_define_loop_methods(Vm *vm, ObjClass *loop_class) {
    define_methods(vm, loop_class, (MethodDef[]){{"add_reader", loop_add_reader},
                                                 {"remove_reader", loop_remove_reader},
                                                 {"add_writer", loop_add_writer},
                                                 {"remove_writer", loop_remove_writer},
                                                 {"_add_reader", loop_add_reader_handle},
                                                 {"_add_writer", loop_add_writer_handle},
                                                 {"_remove_reader", loop_remove_reader_own},
                                                 {"_remove_writer", loop_remove_writer_own},
                                                 {"_set_transport", loop_set_transport},
                                                 {"_ensure_fd_no_transport", loop_ensure_fd_no_transport},
                                                 {NULL, NULL}});
}
