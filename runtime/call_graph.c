/* call_graph: what stdlib/asyncio/graph.aio (CPython 3.14's capture_call_graph and friends) needs
 * from C: who awaits a future, and the live frames of the running task.
 *
 * Who awaits a future: the tasks whose fut_waiter it is (a task records what it waits on anyway,
 * so a switch between tasks pays nothing for the graph), the tasks waiting on a future that its
 * done callbacks pass its outcome to (gather()'s and shield()'s), plus the waiters recorded by
 * future_add_to_awaited_by (TaskGroup records its parent task there).  Those live in
 * ObjFuture.awaited_by: None, one future, or a list of them (no list is made for just one).
 */
#include <string.h>

#include "args.h"
#include "asyncio.h"
#include "attr.h"
#include "frame.h"
#include "runtime.h"

// future_add_to_awaited_by(future, waiter, /): both must be futures, else nothing happens.
static bool fn_add_to_awaited_by(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "future_add_to_awaited_by", nargs, kwnames, 2, 2)) return false;
    *result = NONE_VAL();
    if (!IS_FUTURE(args[0]) || !IS_FUTURE(args[1])) return true;
    ObjFuture *f = AS_FUTURE(args[0]);
    Value waiter = args[1];
    if (IS_NONE(f->awaited_by) || IS_EMPTY(f->awaited_by)) {
        f->awaited_by = waiter;
    } else if (IS_LIST(f->awaited_by)) {
        list_append(vm, AS_LIST(f->awaited_by), waiter);
    } else {
        ObjList *several = list_new(vm, 2);
        list_append(vm, several, f->awaited_by);
        list_append(vm, several, waiter);
        f->awaited_by = OBJ_VAL(several);
    }
    return true;
}

// future_discard_from_awaited_by(future, waiter, /): forgets one record of waiter, if any.
static bool fn_discard_from_awaited_by(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "future_discard_from_awaited_by", nargs, kwnames, 2, 2)) return false;
    *result = NONE_VAL();
    if (!IS_FUTURE(args[0]) || !IS_FUTURE(args[1])) return true;
    ObjFuture *f = AS_FUTURE(args[0]);
    if (value_is(f->awaited_by, args[1])) {
        f->awaited_by = NONE_VAL();
    } else if (IS_LIST(f->awaited_by)) {
        ObjList *several = AS_LIST(f->awaited_by);
        for (size_t i = 0; i < several->count; i++) {
            if (!value_is(several->items[i], args[1])) continue;
            memmove(&several->items[i], &several->items[i + 1], (several->count - i - 1) * sizeof(Value));
            several->count--;
            break;
        }
    }
    return true;
}

static bool append_unless_there(Vm *vm, ObjList *list, Value v) {
    for (size_t i = 0; i < list->count; i++)
        if (value_is(list->items[i], v)) return false;
    list_append(vm, list, v);
    return true;
}

// The tasks of f's loop waiting on f, oldest first, appended to out.
static void append_waiting_tasks(Vm *vm, ObjFuture *f, ObjList *out) {
    if (!IS_LOOP(f->loop)) return;
    size_t first_task = out->count;
    for (ObjFuture *t = loop_pending_tasks(AS_LOOP(f->loop)); t; t = t->next_task)
        if (value_is(t->fut_waiter, OBJ_VAL(f)) && append_unless_there(vm, out, OBJ_VAL(t))) {
            // the loop's list is newest first: each one found goes before the newer ones
            memmove(&out->items[first_task + 1], &out->items[first_task], (out->count - 1 - first_task) * sizeof(Value));
            out->items[first_task] = OBJ_VAL(t);
        }
}

// The future (not a task) that a done callback of f passes f's outcome on to: the callback is
// one of its methods, or a function closing over it (gather()'s and shield()'s callbacks close
// over the future they return); NULL when there is none.
static ObjFuture *relayed_to(Value callback, ObjFuture *f) {
    Value target = EMPTY_VAL();
    if (IS_BOUND(callback)) {
        target = AS_BOUND(callback)->self;
    } else if (IS_FUNCTION(callback) && AS_FUNCTION(callback)->closure) {
        ObjTuple *cells = AS_FUNCTION(callback)->closure;
        for (size_t i = 0; i < cells->count && IS_EMPTY(target); i++) {
            Value v = IS_CELL(cells->items[i]) ? AS_CELL(cells->items[i])->value : EMPTY_VAL();
            if (IS_FUTURE(v) && !AS_FUTURE(v)->is_task && AS_FUTURE(v) != f) target = v;
        }
    }
    return IS_FUTURE(target) && !AS_FUTURE(target)->is_task && AS_FUTURE(target) != f ? AS_FUTURE(target) : NULL;
}

// _awaited_by(future): a list of what awaits it: the waiters recorded for it, the tasks of its
// loop waiting on it (oldest first), and the tasks waiting on a future its done callbacks pass
// its outcome to (a gather() child is awaited by the task awaiting the gather, as in CPython 3.14,
// where gather records that; here it costs gather nothing).
static bool fn_awaited_by(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "_awaited_by", nargs, kwnames, 1, 1)) return false;
    ObjList *out = list_new(vm, 0);
    *result = OBJ_VAL(out);
    if (!IS_FUTURE(args[0])) return true;
    vm_push_root(vm, OBJ_VAL(out));
    ObjFuture *f = AS_FUTURE(args[0]);
    if (IS_LIST(f->awaited_by)) {
        ObjList *several = AS_LIST(f->awaited_by);
        for (size_t i = 0; i < several->count; i++) append_unless_there(vm, out, several->items[i]);
    } else if (IS_FUTURE(f->awaited_by)) {
        list_append(vm, out, f->awaited_by);
    }
    append_waiting_tasks(vm, f, out);
    size_t ncallbacks = IS_EMPTY(f->callback0) ? 0 : 1 + (f->callbacks ? f->callbacks->count : 0);
    for (size_t i = 0; i < ncallbacks; i++) {
        ObjFuture *relay = relayed_to(i == 0 ? f->callback0 : f->callbacks->items[i - 1], f);
        if (relay) append_waiting_tasks(vm, relay, out);
    }
    vm_pop_root(vm);
    return true;
}

static int frame_line(Frame *f) {
    size_t at = (size_t)(f->ip - f->code->words);
    return at > 0 ? f->code->lines[at - 1] : f->code->firstline;
}

// _live_stack(task, skip): frame snapshots of the running code, innermost first, from the frame
// `skip` callers above the one calling this down to the frame of task's coroutine.
static bool fn_live_stack(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "_live_stack", nargs, kwnames, 2, 2)) return false;
    ObjGenerator *coro = IS_FUTURE(args[0]) && AS_FUTURE(args[0])->is_task && IS_GENERATOR(AS_FUTURE(args[0])->coro)
                             ? AS_GENERATOR(AS_FUTURE(args[0])->coro) : NULL;
    int64_t skip = IS_INT(args[1]) ? AS_INT(args[1]) : 0;
    ObjList *out = list_new(vm, 0);
    *result = OBJ_VAL(out);
    vm_push_root(vm, OBJ_VAL(out));
    for (Frame *f = vm->frame; f; f = f->caller) {
        if (!f->code) continue;
        if (skip > 0) {
            skip--;
        } else {
            Value snapshot = vm_frame_snapshot(vm, f->code, frame_line(f), f->gen);
            vm_push_root(vm, snapshot);
            list_append(vm, out, snapshot);
            vm_pop_root(vm);
        }
        if (coro && f->gen == coro) break;
    }
    vm_pop_root(vm);
    return true;
}

void call_graph_define_functions(Vm *vm, ObjDict *module_globals) {
    define_native(vm, module_globals, "future_add_to_awaited_by", fn_add_to_awaited_by);
    define_native(vm, module_globals, "future_discard_from_awaited_by", fn_discard_from_awaited_by);
    define_native(vm, module_globals, "_awaited_by", fn_awaited_by);
    define_native(vm, module_globals, "_live_stack", fn_live_stack);
}
