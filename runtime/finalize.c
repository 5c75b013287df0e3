/* Python-level finalizers: an instance's __del__, and closing a generator abandoned while
 * suspended inside try or with, so that its finally blocks run.
 *
 * aio's collector is tracing, not reference counting, so these run later than in CPython: the
 * collection that finds the object unreachable queues it (vm/gc.c), and the queue is run at the
 * interpreter's next safe point (where signal handlers run), when an event loop iterates, and at
 * exit (repl/main.c's shutdown).  Each object is finalized at most once; an error in a
 * finalizer is printed as CPython's "Exception ignored in: ..." and does not propagate.
 */
#include "runtime.h"

// What CPython prints for an exception a finalizer could not raise anywhere.
static void report_ignored(Vm *vm, Value where) {
    Value exc = vm->exception;
    vm_clear_exception(vm);
    vm_push_root(vm, exc);
    ObjStr *r = vm_repr(vm, where);
    vm_clear_exception(vm);
    fflush(stdout);
    fprintf(stderr, "Exception ignored in: %s\n", r ? r->chars : "<object>");
    if (vm->shutting_down) vm_print_exception_brief(vm, exc);
    else vm_print_exception(vm, exc);
    vm_pop_root(vm);
}

void run_python_finalizer(Vm *vm, Obj *o) {
    if (o->kind == OBJ_GENERATOR) {
        ObjGenerator *g = (ObjGenerator *)o;
        if (!gen_close_value(vm, g)) report_ignored(vm, OBJ_VAL(o));
        return;
    }
    Value del = class_lookup(o->cls, str_from_c(vm, "__del__"));
    if (IS_EMPTY(del)) return;
    vm_push_root(vm, del);
    Value self = OBJ_VAL(o), ignored;
    if (!vm_call(vm, del, &self, 1, NULL, &ignored)) report_ignored(vm, del);
    vm_pop_root(vm);
}

// Copies the list first: finalizers allocate, and a collection compacts vm->finalizable.
void run_python_finalizers_at_exit(Vm *vm) {
    ObjList *todo = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(todo));
    for (size_t i = 0; i < vm->nfinalizable; i++) {
        Obj *o = vm->finalizable[i];
        bool wanted = o->kind == OBJ_INSTANCE ? !o->finalized
                      : o->kind == OBJ_GENERATOR && ((ObjGenerator *)o)->flavor == FLAVOR_GENERATOR &&
                            ((ObjGenerator *)o)->state == GEN_SUSPENDED;
        if (wanted) list_append(vm, todo, OBJ_VAL(o));
    }
    for (size_t i = 0; i < todo->count; i++) {
        Obj *o = AS_OBJ(todo->items[i]);
        if (o->kind == OBJ_INSTANCE) {
            if (o->finalized) continue;
            o->finalized = true;
        }
        run_python_finalizer(vm, o);
        vm_clear_exception(vm);
    }
    vm_pop_root(vm);
}

// The last step of shutdown: module namespaces are emptied (the main module's first), the
// loop is dropped, and what only they kept alive is collected, so that objects with something
// to say at the end (a coroutine never awaited, a task whose exception nobody retrieved) say it.
void release_modules_at_exit(Vm *vm) {
    if (vm->main_module) dict_clear(vm, vm->main_module->globals);
    size_t pos = 0;
    Value k, v;
    while (dict_next(vm->modules, &pos, &k, &v))
        if (IS_MODULE(v) && AS_MODULE(v) != vm->main_module) dict_clear(vm, AS_MODULE(v)->globals);
    vm->event_loop = NONE_VAL();
    vm->running_loop = NONE_VAL();
    vm->exception = EMPTY_VAL();
    gc_collect(vm);
    vm_report_finalizers(vm);
}
