/* The two paths of asyncio's socket transport that run for every chunk of data, in C:
 * receiving (the reader callback the loop runs when the socket is readable) and write().
 *
 * stdlib/asyncio/socket_transport.aio is the transport, and the textbook: its _receive_in_aio()
 * and _write_in_aio() are these two functions in aio, step for step.  The class takes the C
 * versions as its _receive and write methods because an echo round trip runs each of them
 * twice, and in aio that was a fifth of the interpreter's work (bench/echo.aio).
 *
 * Only the common case is done here: a transport in its ordinary state (not ended, nothing
 * queued, write_eof() not called), bytes-like data, a recv size the scratch buffer holds.  Any
 * other case calls the aio method, which then does everything, so the rules live in one place.
 * The results of a system call are handed to the same aio methods the aio version calls:
 * _peer_finished() at the end of the input, _fail(error, what) for an error (an OSError ends
 * the connection, anything else is also reported to the loop's exception handler), and
 * _keep_unsent(data, taken) for what the socket did not take.
 *
 * The transport's state is read from its instance dict (the attributes socket_transport.aio
 * sets in __init__); a subclass that intercepts attribute access (__getattr__, properties)
 * always gets the aio versions.
 */
#include <errno.h>
#include <sys/socket.h>

#include "asyncio.h"
#include "runtime.h"

// recv() fills this buffer, then the bytes received are copied into a bytes object of their
// size (a recv asks for 256 KiB and usually gets a few bytes).  One per process: aio runs one
// thread and the copy is made before any Python code runs.
#define RECEIVE_SCRATCH_SIZE (256 * 1024)
static unsigned char *receive_scratch;

// The transport's own attribute (EMPTY when it is not set, or when the class may intercept
// attribute access: then the caller falls back to the aio method).
static Value own_attribute(Vm *vm, Value self, AsyncioName name) {
    ObjClass *cls = AS_OBJ(self)->cls;
    if (cls->has_getattr || cls->has_data_descriptors) return EMPTY_VAL();
    return dict_get_str(AS_INSTANCE(self)->dict, ASYNCIO_NAME(vm, name));
}

// What `except BaseException as error: self._fail(error, what)` does in the aio version: false
// (the exception left pending) for SystemExit and KeyboardInterrupt, which no transport catches.
static bool fail_with_pending(Vm *vm, Value self, const char *what, Value *result) {
    Value error = vm->exception;
    if (vm_is_instance(vm, error, vm->SystemExit) || vm_is_instance(vm, error, vm->KeyboardInterrupt))
        return false;
    vm_clear_exception(vm);
    vm_push_root(vm, error);
    Value args[2] = {error, OBJ_VAL(str_from_c(vm, what))};
    vm_push_root(vm, args[1]);
    bool ok = asyncio_call_attribute(vm, self, ASYNCIO_NAME(vm, AN_FAIL), args, 2, result);
    vm_pop_roots(vm, 2);
    *result = NONE_VAL();
    return ok;
}

// The descriptor a transport in its ordinary state works on, or -1: the aio method must do it
// (the connection ended, or the state is not what socket_transport.aio keeps).
static int usable_fd(Vm *vm, Value self) {
    Value gone = own_attribute(vm, self, AN_GONE);
    Value fd = own_attribute(vm, self, AN_SOCK_FD);
    if (!IS_INT(gone) || AS_INT(gone) != 0 || !IS_INT(fd) || AS_INT(fd) < 0 || AS_INT(fd) > INT32_MAX) return -1;
    return (int)AS_INT(fd);
}

static bool self_is_instance(Vm *vm, Value *args, int nargs, const char *method) {
    if (nargs >= 1 && IS_INSTANCE(args[0])) return true;
    return vm_raise(vm, vm->TypeError, "%s() needs a transport", method);
}

// _receive(): the loop calls it when the socket is readable.  One recv(); the chunk goes to
// protocol.data_received(chunk); b'' (the peer finished sending) to self._peer_finished().
static bool transport_receive(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!self_is_instance(vm, args, nargs, "_receive")) return false;
    Value self = args[0];
    *result = NONE_VAL();
    int fd = usable_fd(vm, self);
    Value size = own_attribute(vm, self, AN_MAX_SIZE);
    if (IS_EMPTY(size)) size = class_lookup(AS_OBJ(self)->cls, ASYNCIO_NAME(vm, AN_MAX_SIZE));
    Value protocol = own_attribute(vm, self, AN_PROTOCOL);
    if (fd < 0 || !IS_INT(size) || AS_INT(size) <= 0 || AS_INT(size) > RECEIVE_SCRATCH_SIZE || IS_EMPTY(protocol))
        return asyncio_call_attribute(vm, self, ASYNCIO_NAME(vm, AN_RECEIVE_IN_AIO), NULL, 0, result);
    if (!receive_scratch && !(receive_scratch = malloc(RECEIVE_SCRATCH_SIZE))) abort();
    ssize_t n;
    while ((n = recv(fd, receive_scratch, (size_t)AS_INT(size), 0)) < 0 && errno == EINTR)
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true; // not ready after all
        raise_os_errno(vm, errno, EMPTY_VAL());
        return fail_with_pending(vm, self, "read", result);
    }
    if (n == 0) return asyncio_call_attribute(vm, self, ASYNCIO_NAME(vm, AN_PEER_FINISHED), NULL, 0, result);
    Value chunk = OBJ_VAL(bytes_new(vm, receive_scratch, (size_t)n));
    vm_push_root(vm, chunk);
    Value ignored;
    bool ok = asyncio_call_attribute(vm, protocol, ASYNCIO_NAME(vm, AN_DATA_RECEIVED), &chunk, 1, &ignored);
    vm_pop_root(vm);
    return ok || fail_with_pending(vm, self, "data_received", result);
}

// write(data): in the ordinary state with nothing queued, send() at once; what the socket does
// not take goes to self._keep_unsent(data, taken), which queues it and watches for writability.
static bool transport_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!self_is_instance(vm, args, nargs, "write")) return false;
    Value self = args[0];
    *result = NONE_VAL();
    int fd = usable_fd(vm, self);
    Value queued = own_attribute(vm, self, AN_OUTGOING);
    Value eof_written = own_attribute(vm, self, AN_EOF_WRITTEN);
    ByteSpan data = {NULL, 0};
    bool ordinary = fd >= 0 && nargs == 2 && !kwnames && IS_LIST(queued) && AS_LIST(queued)->count == 0 &&
                    IS_BOOL(eof_written) && !AS_BOOL(eof_written) && bytes_like(vm, args[1], &data) == 1 &&
                    data.length > 0;
    if (!ordinary) return asyncio_call_attribute(vm, self, ASYNCIO_NAME(vm, AN_WRITE_IN_AIO), args + 1, nargs - 1, result);
    ssize_t taken;
    while ((taken = send(fd, data.data, data.length, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return false;
    if (taken < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            raise_os_errno(vm, errno, EMPTY_VAL());
            return fail_with_pending(vm, self, "write", result);
        }
        taken = 0;
    }
    if ((size_t)taken == data.length) return true;
    Value rest[2] = {args[1], INT_VAL(taken)};
    Value ignored;
    return asyncio_call_attribute(vm, self, ASYNCIO_NAME(vm, AN_KEEP_UNSENT), rest, 2, &ignored);
}

// obj.name(*args), as aio code writes it.  A plain method found on the class is called with obj
// as self directly, as the VM's LOAD_METHOD does (no bound method is made).
bool asyncio_call_attribute(Vm *vm, Value obj, ObjStr *name, Value *args, int nargs, Value *out) {
    if (IS_INSTANCE(obj) && nargs < 4 && IS_EMPTY(dict_get_str(AS_INSTANCE(obj)->dict, name))) {
        Value method = class_lookup(AS_OBJ(obj)->cls, name);
        if (IS_FUNCTION(method)) {
            Value all[4] = {obj};
            for (int i = 0; i < nargs; i++) all[i + 1] = args[i];
            return vm_call(vm, method, all, nargs + 1, NULL, out);
        }
    }
    Value callee;
    if (!vm_getattr(vm, obj, name, &callee)) return false;
    vm_push_root(vm, callee);
    bool ok = vm_call(vm, callee, args, nargs, NULL, out);
    vm_pop_root(vm);
    return ok;
}

void asyncio_define_methods(Vm *vm, ObjDict *module_globals, const MethodDef *methods) {
    for (const MethodDef *m = methods; m->name; m++) {
        ObjNative *n = native_new(vm, m->name, m->fn, NULL);
        n->is_method = true; // a class that stores it binds self, as for a def
        vm_push_root(vm, OBJ_VAL(n));
        dict_set_str(vm, module_globals, n->name, OBJ_VAL(n));
        vm_pop_root(vm);
    }
}

void asyncio_names_init(Vm *vm) {
    static const char *const names[AN_COUNT] = {
        [AN_GONE] = "_gone", [AN_SOCK_FD] = "_sock_fd", [AN_PROTOCOL] = "_protocol",
        [AN_OUTGOING] = "_outgoing", [AN_EOF_WRITTEN] = "_eof_written", [AN_MAX_SIZE] = "max_size",
        [AN_DATA_RECEIVED] = "data_received", [AN_PEER_FINISHED] = "_peer_finished", [AN_FAIL] = "_fail",
        [AN_KEEP_UNSENT] = "_keep_unsent", [AN_RECEIVE_IN_AIO] = "_receive_in_aio",
        [AN_WRITE_IN_AIO] = "_write_in_aio", [AN_ENDED] = "_ended", [AN_UNREAD] = "_unread",
        [AN_WAKEUP] = "_wakeup", [AN_HOLDING] = "_holding", [AN_LIMIT] = "_limit",
        [AN_TRANSPORT] = "_transport", [AN_LOOP] = "_loop", [AN_HOLD_TRANSPORT] = "_hold_transport",
        [AN_FEED_DATA_IN_AIO] = "_feed_data_in_aio", [AN_HAND_OUT_IN_AIO] = "_hand_out_in_aio",
        [AN_DATA_FUTURE_IN_AIO] = "_data_future_in_aio",
    };
    _Static_assert(AN_COUNT <= VM_ASYNCIO_NAME_SLOTS, "Vm.s_asyncio is too small");
    for (int i = 0; i < AN_COUNT; i++) vm->s_asyncio[i] = str_from_c(vm, names[i]);
}

void transport_define_functions(Vm *vm, ObjDict *module_globals) {
    asyncio_define_methods(vm, module_globals,
                           (MethodDef[]){{"_socket_transport_receive", transport_receive},
                                         {"_socket_transport_write", transport_write},
                                         {NULL, NULL}});
}
