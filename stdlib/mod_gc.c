/* The gc module: collect() runs aio's collector now, then the finalizers it queued (__del__,
 * generators to close), then collects again so that what they finalized is freed; it returns how
 * many objects went.  disable() and enable() only change what isenabled() says: CPython frees
 * most memory by reference counting even with its collector off, aio only by collecting, so it
 * keeps collecting (a program that disables the collector and makes garbage would otherwise
 * grow until the system kills it).  garbage is always empty: every unreachable object is freed.
 */
#include "gc.h"
#include "modinit.h"

static bool enabled = true; // what isenabled() answers
static size_t heap_objects;
static void count_object(Vm *vm, Obj *o) {
    (void)vm, (void)o;
    heap_objects++;
}

static size_t count_heap(Vm *vm) {
    heap_objects = 0;
    gc_each_object(vm, count_object);
    return heap_objects;
}

// collect(generation=2): the number of objects freed.  aio has one generation; the argument is
// only checked.
static bool gc_collect_now(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"generation", NULL};
    Value a[1];
    if (!parse_args(vm, "collect", args, nargs, kwnames, names, 0, a)) return false;
    int64_t generation = 2;
    if (!IS_EMPTY(a[0]) && !mod_arg_index(vm, a[0], &generation)) return false;
    if (generation < 0 || generation > 2) return vm_raise(vm, vm->ValueError, "invalid generation");
    size_t before = count_heap(vm);
    gc_collect(vm);
    if (!vm_run_signal_handlers(vm)) return false; // the finalizers queued (and any signal's handler)
    gc_collect(vm);
    size_t after = count_heap(vm);
    *result = INT_VAL(before > after ? (int64_t)(before - after) : 0);
    return true;
}

static bool gc_enable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "gc.enable", nargs, kwnames, 0, 0)) return false;
    enabled = true;
    *result = NONE_VAL();
    return true;
}

static bool gc_disable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "gc.disable", nargs, kwnames, 0, 0)) return false;
    enabled = false;
    *result = NONE_VAL();
    return true;
}

static bool gc_isenabled(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "gc.isenabled", nargs, kwnames, 0, 0)) return false;
    *result = BOOL_VAL(enabled);
    return true;
}

ObjModule *mod_gc_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "gc");
    vm_push_root(vm, OBJ_VAL(m));
    define_native(vm, m->globals, "collect", gc_collect_now);
    define_native(vm, m->globals, "enable", gc_enable);
    define_native(vm, m->globals, "disable", gc_disable);
    define_native(vm, m->globals, "isenabled", gc_isenabled);
    mod_set(vm, m, "garbage", OBJ_VAL(list_new(vm, 0)));
    vm_pop_root(vm);
    return m;
}
