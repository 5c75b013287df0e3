/* Name lookups for the event loop on libuv's resolver: loop.getaddrinfo without blocking.
 *
 * socket._getaddrinfo_start(loop, future, host, port, family, type, proto, flags) starts one
 * lookup (a Lookup: libuv's uv_getaddrinfo request and what it needs) and returns at once;
 * stdlib/asyncio/selector_events.aio calls it and awaits the future.  libuv resolves in its
 * thread pool; its callback (on_resolved, on the loop's thread, during the loop's wait) only
 * puts a prepared Handle on the ready queue, as every libuv callback of the loop does.  That
 * Handle runs `deliver` from the ready queue, which turns the answer into CPython's list of
 * (family, type, proto, canonname, sockaddr) tuples, or socket.gaierror, and completes the
 * future.  A host that is already a numeric address is looked up at once, without the thread
 * pool (and without the network, which the fuzz build's sandbox refuses); its answer still
 * arrives through the ready queue.
 *
 * Ownership: while the loop is open it holds the Handle (and through it the future and the
 * box) with loop_hold, and `deliver` frees the Lookup.  A loop closed while lookups are in flight
 * waits for them (runtime/loop.c: its libuv `data` is NULL by then, and on_resolved queues
 * nothing); the Lookup is then freed by whichever comes last of on_resolved and the box's
 * finalizer.
 */
#define _GNU_SOURCE // EAI_ADDRFAMILY, EAI_NODATA
#include <netdb.h>
#include <string.h>
#include <uv.h>

#include "asyncio.h"
#include "socket_shared.h"

typedef enum { LOOKUP_IN_FLIGHT, LOOKUP_RESOLVED } LookupState;

typedef struct {
    uv_getaddrinfo_t req;   // req.data points back here
    LookupState state;
    int status;             // 0, or libuv's (negative) error
    struct addrinfo *res;   // the answer (libuv's, or getaddrinfo's on the numeric path)
    bool from_libuv;        // which of the two freeing functions res needs
    ObjHandle *handle;      // put on the ready queue when resolved
    bool box_gone;          // the box was collected: whoever finishes last frees the Lookup
} Lookup;

static void free_lookup(Lookup *l) {
    if (l->res) {
        if (l->from_libuv) uv_freeaddrinfo(l->res);
        else freeaddrinfo(l->res);
    }
    free(l);
}

// The box's finalizer: a Lookup never delivered (the loop closed first) is freed here once
// libuv is done with it, or else by on_resolved later.
static void lookup_box_finalize(void *data) {
    Lookup *l = data;
    if (!l) return;
    if (l->state == LOOKUP_RESOLVED) free_lookup(l);
    else l->box_gone = true;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
    Lookup *l = req->data;
    l->status = status;
    l->res = res;
    l->state = LOOKUP_RESOLVED;
    ObjLoop *loop = req->loop->data; // NULL: the loop is closing and no longer runs callbacks
    if (loop) loop_ready_handle(loop, l->handle);
    else if (l->box_gone) free_lookup(l);
    // else the box's finalizer frees it
}

// The EAI_* code libuv's UV_EAI_* status stands for (socket.gaierror carries it).
static int eai_code(int status) {
    static const struct {
        int uv, eai;
    } codes[] = {
        {UV_EAI_ADDRFAMILY, EAI_ADDRFAMILY}, {UV_EAI_AGAIN, EAI_AGAIN},     {UV_EAI_BADFLAGS, EAI_BADFLAGS},
        {UV_EAI_FAIL, EAI_FAIL},             {UV_EAI_FAMILY, EAI_FAMILY},   {UV_EAI_MEMORY, EAI_MEMORY},
        {UV_EAI_NODATA, EAI_NODATA},         {UV_EAI_NONAME, EAI_NONAME},   {UV_EAI_SERVICE, EAI_SERVICE},
        {UV_EAI_SOCKTYPE, EAI_SOCKTYPE},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].uv == status) return codes[i].eai;
    return EAI_FAIL;
}

// deliver(box, future): run from the ready queue once the lookup is resolved.
static bool deliver(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    ObjBox *box = AS_BOX(args[0]);
    ObjFuture *fut = AS_FUTURE(args[1]);
    Lookup *l = box->data;
    box->data = NULL;
    if (!l) return true;
    loop_release(vm, fut->loop, OBJ_VAL(l->handle));
    bool ok = true;
    if (fut->state == FUT_PENDING) {
        if (l->status == 0) {
            ObjList *list = addrinfo_to_list(vm, l->res);
            vm_push_root(vm, OBJ_VAL(list));
            ok = future_set_result(vm, fut, OBJ_VAL(list));
            vm_pop_root(vm);
        } else {
            int code = l->from_libuv ? eai_code(l->status) : l->status;
            raise_gaierror(vm, code);
            Value exc = vm->exception;
            vm_clear_exception(vm);
            vm_push_root(vm, exc);
            ok = future_set_exception(vm, fut, exc);
            vm_pop_root(vm);
        }
    }
    free_lookup(l);
    return ok;
}

static bool optional_text(Vm *vm, Value v, const char *what, const char **out) {
    if (IS_NONE(v)) {
        *out = NULL;
        return true;
    }
    if (!IS_STR(v)) return vm_raise(vm, vm->TypeError, "%s must be str or None", what);
    *out = AS_STR(v)->chars;
    return true;
}

// _getaddrinfo_start(loop, future, host, port, family, type, proto, flags); host and port are
// str or None (the caller has converted them).
static bool getaddrinfo_start(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_getaddrinfo_start", nargs, kwnames, 8, 8)) return false;
    if (!IS_LOOP(args[0]) || !IS_FUTURE(args[1])) return vm_raise(vm, vm->TypeError, "a loop and a future are required");
    ObjLoop *loop = AS_LOOP(args[0]);
    const char *host = NULL, *port = NULL;
    int64_t opts[4];
    if (!optional_text(vm, args[2], "host", &host) || !optional_text(vm, args[3], "port", &port)) return false;
    for (int i = 0; i < 4; i++)
        if (!mod_arg_index(vm, args[4 + i], &opts[i])) return false;
    if (!loop_check_open(vm, loop)) return false;
    struct addrinfo hints = {.ai_family = (int)opts[0], .ai_socktype = (int)opts[1], .ai_protocol = (int)opts[2],
                             .ai_flags = (int)opts[3]};
    // The Handle that will deliver the answer: deliver(box, future).
    ObjBox *box = box_new(vm, vm->object_class, NULL, lookup_box_finalize);
    vm_push_root(vm, OBJ_VAL(box));
    ObjTuple *cb_args = tuple_new(vm, 2);
    cb_args->items[0] = OBJ_VAL(box);
    cb_args->items[1] = args[1];
    vm_push_root(vm, OBJ_VAL(cb_args));
    ObjNative *fn = native_new(vm, "_deliver_addrinfo", deliver, NULL);
    vm_push_root(vm, OBJ_VAL(fn));
    ObjHandle *handle = loop_handle_new(vm, args[0], OBJ_VAL(fn), OBJ_VAL(cb_args));
    vm_pop_roots(vm, 3);
    Lookup *l = calloc(1, sizeof(Lookup));
    if (!l) abort();
    l->handle = handle;
    l->req.data = l;
    box->data = l;
    loop_hold(vm, args[0], OBJ_VAL(handle));
    // A numeric host needs neither the thread pool nor the network.
    struct addrinfo numeric = hints;
    numeric.ai_flags |= AI_NUMERICHOST;
    int r = getaddrinfo(host, port, &numeric, &l->res);
    if (r != EAI_NONAME || !host || (hints.ai_flags & AI_NUMERICHOST)) {
        l->status = r;
        if (r != 0) l->res = NULL;
        l->state = LOOKUP_RESOLVED;
        loop_ready_handle(loop, handle);
    } else {
        l->res = NULL;
        if (!vm_sandbox_allows(vm, "name resolution", NULL)) {
            loop_release(vm, args[0], OBJ_VAL(handle));
            box->data = NULL;
            free(l);
            return false;
        }
        l->from_libuv = true;
        int err = uv_getaddrinfo(loop_uv(loop), &l->req, on_resolved, host, port, &hints);
        if (err != 0) { // could not even start: the answer is that error
            l->status = err;
            l->state = LOOKUP_RESOLVED;
            loop_ready_handle(loop, handle);
        }
    }
    *result = NONE_VAL();
    return true;
}

void socket_resolver_init(Vm *vm, ObjModule *m) {
    define_native(vm, m->globals, "_getaddrinfo_start", getaddrinfo_start);
}
