/* How the garbage collector sees asyncio's C objects: Futures and Tasks, Handles, asyncio.sleep's
 * coroutines and event loops.  Their layouts belong to runtime/asyncio.h, so vm/gc.c does not
 * know their fields; it calls these three functions through vm_hooks (vm/hooks.h), registered by
 * runtime_init().
 */
#include "asyncio.h"
#include "gc.h"

// Marks every object a Future, Task, Handle, sleep or loop refers to.
void async_gc_mark(Vm *vm, Obj *obj) {
    switch (obj->kind) {
    case OBJ_FUTURE: {
        ObjFuture *f = (ObjFuture *)obj;
        gc_mark_object(vm, (Obj *)f->dict);
        gc_mark_value(vm, f->loop);
        gc_mark_value(vm, f->result);
        gc_mark_value(vm, f->exception);
        gc_mark_value(vm, f->callback0);
        gc_mark_object(vm, (Obj *)f->callbacks);
        gc_mark_value(vm, f->cancel_message);
        gc_mark_value(vm, f->cancelled_exc);
        gc_mark_value(vm, f->awaited_by);
        if (f->is_task) {
            gc_mark_value(vm, f->coro);
            gc_mark_value(vm, f->fut_waiter);
            gc_mark_value(vm, f->name);
            gc_mark_object(vm, (Obj *)f->created_code);
        }
        break;
    }
    case OBJ_HANDLE: {
        ObjHandle *h = (ObjHandle *)obj;
        gc_mark_value(vm, h->callback);
        gc_mark_value(vm, h->args);
        gc_mark_value(vm, h->loop);
        break;
    }
    case OBJ_LOOP:
        gc_mark_object(vm, (Obj *)((ObjLoop *)obj)->dict);
        loop_mark(vm, (ObjLoop *)obj); // the ready queue, timers, tasks and I/O watchers
        break;
    case OBJ_SLEEP: {
        ObjSleep *s = (ObjSleep *)obj;
        gc_mark_value(vm, s->delay);
        gc_mark_value(vm, s->result);
        gc_mark_object(vm, (Obj *)s->waiter);
        gc_mark_object(vm, (Obj *)s->loop);
        gc_mark_object(vm, (Obj *)s->origin_code);
        break;
    }
    default: break;
    }
}

// Releases what such an object holds outside the GC's heap (a loop's libuv handles and queues)
// and returns the size of its allocation, which the GC then frees.
size_t async_gc_free(Obj *obj) {
    switch (obj->kind) {
    case OBJ_FUTURE: return ((ObjFuture *)obj)->is_task ? TASK_SIZE : FUTURE_SIZE;
    case OBJ_HANDLE: return sizeof(ObjHandle);
    case OBJ_LOOP:
        loop_free_state((ObjLoop *)obj);
        return sizeof(ObjLoop);
    case OBJ_SLEEP: return sizeof(ObjSleep);
    default: return 0;
    }
}

// Whether a Future, Task or sleep has something to report when it is collected.  Unreachable:
// does it now (a sleep never awaited, an exception nobody retrieved, a task destroyed while
// pending)?  Reachable: might it still come to (a sleep not started, a future not yet done or
// holding an unretrieved exception)?  The GC keeps checking only the objects that might.
bool async_gc_wants_finalizer(Obj *obj, bool unreachable) {
    if (obj->kind == OBJ_SLEEP) return ((ObjSleep *)obj)->state == SLEEP_CREATED && !((ObjSleep *)obj)->was_awaited;
    if (obj->kind != OBJ_FUTURE) return false;
    ObjFuture *f = (ObjFuture *)obj;
    if (unreachable)
        return (f->log_traceback && f->state == FUT_FINISHED) ||
               (f->is_task && f->state == FUT_PENDING && f->log_destroy_pending);
    return f->state == FUT_PENDING || f->log_traceback;
}
