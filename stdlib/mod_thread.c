/* _thread: the low-level thread module under threading.aio and queue.aio.
 *
 * Starting threads (start_new_thread, and _start for threading.Thread, which also hands over the
 * lock its join() waits on), the two kinds of lock everything else is built from (lock and
 * RLock, on vm/thread.c's VmLock), thread identities, and the per-thread dictionaries of
 * threading.local.  The interpreter lock and the thread states themselves are vm/thread.c's.
 *
 * A lock is a box holding a VmLock; an RLock a box holding a VmLock with its owner's ident and
 * its recursion count.  Their state changes only under the interpreter lock.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "modinit.h"

// The longest timeout a lock wait accepts, in seconds (CPython's TIMEOUT_MAX on Linux).
#define LOCK_TIMEOUT_MAX 9223372036.0

typedef struct {
    VmLock lock;
    unsigned long owner; // ident of the owning thread, 0 when free
    int64_t count;       // how many times the owner acquired it
} RLockState;

static void plain_free(void *data) { free(data); }
static void rlock_free(void *data) { free(data); }

static unsigned long my_ident(void) {
    ThreadState *ts = vm_thread_current();
    return ts ? ts->ident : 0;
}

static bool is_lock(Value v) { return IS_BOX(v) && AS_BOX(v)->finalize == plain_free; }
static bool is_rlock(Value v) { return IS_BOX(v) && AS_BOX(v)->finalize == rlock_free; }

static Value new_lock(Vm *vm) {
    ObjClass *cls = mod_find_class(vm, "_thread", "lock");
    if (!cls) return EMPTY_VAL();
    VmLock *l = calloc(1, sizeof *l);
    if (!l) return vm_raise_memory_error(vm), EMPTY_VAL();
    return OBJ_VAL(box_new(vm, cls, l, plain_free));
}

// acquire(blocking=True, timeout=-1)'s arguments, checked as CPython checks them.
static bool acquire_args(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, bool *blocking, double *timeout) {
    static const char *const names[] = {"blocking", "timeout", NULL};
    Value a[2];
    if (!parse_args(vm, "acquire", args + 1, nargs - 1, kwnames, names, 0, a)) return false;
    *blocking = true;
    *timeout = -1;
    if (!IS_EMPTY(a[0]) && !vm_truthy(vm, a[0], blocking)) return false;
    if (!IS_EMPTY(a[1]) && !mod_arg_double(vm, a[1], timeout)) return false;
    if (!*blocking && *timeout != -1)
        return vm_raise(vm, vm->ValueError, "can't specify a timeout for a non-blocking call");
    // CPython converts the timeout to int64 nanoseconds first, then checks its sign.
    if (!(fabs(*timeout) * 1e9 < 9223372036854775807.0))
        return vm_raise(vm, vm->OverflowError, "timestamp out of range for platform time_t");
    if (*timeout < 0 && *timeout != -1) return vm_raise(vm, vm->ValueError, "timeout value must be positive");
    return true;
}

// ---- lock ---------------------------------------------------------------------------------------

static bool lock_acquire(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    bool blocking;
    double timeout;
    if (!acquire_args(vm, args, nargs, kwnames, &blocking, &timeout)) return false;
    int r = vm_lock_acquire(vm, AS_BOX(args[0])->data, blocking, timeout);
    if (r < 0) return false;
    *result = BOOL_VAL(r == 1);
    return true;
}

static bool lock_release(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "release", nargs - 1, kwnames, 0, 0)) return false;
    VmLock *l = AS_BOX(args[0])->data;
    if (!l->locked) return vm_raise(vm, vm->RuntimeError, "release unlocked lock");
    vm_lock_release(l);
    *result = NONE_VAL();
    return true;
}

static bool lock_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    VmLock *l = AS_BOX(args[0])->data;
    if (!l->locked) return vm_raise(vm, vm->RuntimeError, "release unlocked lock");
    vm_lock_release(l);
    *result = NONE_VAL();
    return true;
}

static bool lock_locked(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "locked", nargs - 1, kwnames, 0, 0)) return false;
    *result = BOOL_VAL(((VmLock *)AS_BOX(args[0])->data)->locked);
    return true;
}

static bool lock_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    VmLock *l = AS_BOX(args[0])->data;
    ObjClass *cls = AS_OBJ(args[0])->cls;
    *result = OBJ_VAL(str_printf(vm, "<%s %s.%s object at %p>", l->locked ? "locked" : "unlocked", "_thread",
                                 cls->name->chars, (void *)AS_OBJ(args[0])));
    return true;
}

static bool lock_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return vm_raise(vm, vm->TypeError, "cannot create '_thread.lock' instances");
}

// ---- RLock --------------------------------------------------------------------------------------

static bool rlock_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_CLASS(args[0])) return vm_raise(vm, vm->TypeError, "bad call");
    RLockState *st = calloc(1, sizeof *st);
    if (!st) return vm_raise_memory_error(vm);
    *result = OBJ_VAL(box_new(vm, AS_CLASS(args[0]), st, rlock_free));
    return true;
}

static bool rlock_acquire(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    bool blocking;
    double timeout;
    if (!acquire_args(vm, args, nargs, kwnames, &blocking, &timeout)) return false;
    RLockState *st = AS_BOX(args[0])->data;
    unsigned long me = my_ident();
    if (st->count > 0 && st->owner == me) {
        st->count++;
        *result = BOOL_VAL(true);
        return true;
    }
    int r = vm_lock_acquire(vm, &st->lock, blocking, timeout);
    if (r < 0) return false;
    if (r == 1) {
        st->owner = me;
        st->count = 1;
    }
    *result = BOOL_VAL(r == 1);
    return true;
}

static bool rlock_release_one(Vm *vm, RLockState *st) {
    if (st->count == 0 || st->owner != my_ident())
        return vm_raise(vm, vm->RuntimeError, "cannot release un-acquired lock");
    if (--st->count == 0) {
        st->owner = 0;
        vm_lock_release(&st->lock);
    }
    return true;
}

static bool rlock_release(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "release", nargs - 1, kwnames, 0, 0)) return false;
    *result = NONE_VAL();
    return rlock_release_one(vm, AS_BOX(args[0])->data);
}

static bool rlock_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return rlock_release_one(vm, AS_BOX(args[0])->data);
}

// Condition's helpers: is it held by this thread; release it whatever its count, giving back
// (count, owner); take it again and restore that state.
static bool rlock_is_owned(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RLockState *st = AS_BOX(args[0])->data;
    *result = BOOL_VAL(st->count > 0 && st->owner == my_ident());
    return true;
}

static bool rlock_release_save(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RLockState *st = AS_BOX(args[0])->data;
    if (st->count == 0) return vm_raise(vm, vm->RuntimeError, "cannot release un-acquired lock");
    ObjTuple *t = tuple_new(vm, 2);
    t->items[0] = INT_VAL(st->count);
    t->items[1] = INT_VAL((int64_t)st->owner);
    st->count = 0;
    st->owner = 0;
    vm_lock_release(&st->lock);
    *result = OBJ_VAL(t);
    return true;
}

static bool rlock_acquire_restore(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RLockState *st = AS_BOX(args[0])->data;
    if (nargs != 2 || !IS_TUPLE(args[1]) || AS_TUPLE(args[1])->count != 2 || !IS_INT(AS_TUPLE(args[1])->items[0]) ||
        !IS_INT(AS_TUPLE(args[1])->items[1]))
        return vm_raise(vm, vm->TypeError, "_acquire_restore expects (count, owner)");
    int64_t count = AS_INT(AS_TUPLE(args[1])->items[0]);
    unsigned long owner = (unsigned long)AS_INT(AS_TUPLE(args[1])->items[1]);
    if (vm_lock_acquire(vm, &st->lock, true, -1) < 0) return false;
    st->count = count;
    st->owner = owner;
    *result = NONE_VAL();
    return true;
}

static bool rlock_recursion_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RLockState *st = AS_BOX(args[0])->data;
    *result = INT_VAL(st->owner == my_ident() ? st->count : 0);
    return true;
}

static bool rlock_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    RLockState *st = AS_BOX(args[0])->data;
    ObjClass *cls = AS_OBJ(args[0])->cls;
    Value module = dict_get_str(cls->dict, vm->s_module);
    *result = OBJ_VAL(str_printf(vm, "<%s %s.%s object owner=%lu count=%lld at %p>", st->count ? "locked" : "unlocked",
                                 IS_STR(module) ? AS_STR(module)->chars : "_thread", cls->name->chars, st->owner,
                                 (long long)st->count, (void *)AS_OBJ(args[0])));
    return true;
}

static bool enter_acquire(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (is_rlock(args[0])) return rlock_acquire(vm, args, 1, NULL, result);
    return lock_acquire(vm, args, 1, NULL, result);
}

// ---- the module's functions ---------------------------------------------------------------------

static bool fn_allocate_lock(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "allocate_lock", nargs, kwnames, 0, 0)) return false;
    *result = new_lock(vm);
    return !IS_EMPTY(*result);
}

static bool is_callable(Vm *vm, Value v) {
    return IS_FUNCTION(v) || IS_NATIVE(v) || IS_BOUND(v) || IS_CLASS(v) ||
           (IS_OBJ(v) && !IS_EMPTY(class_lookup(AS_OBJ(v)->cls, vm->s_call)));
}

static bool start(Vm *vm, const char *fname, Value *args, int nargs, Value done_lock, Value *result) {
    if (!is_callable(vm, args[0])) return vm_raise(vm, vm->TypeError, "first arg must be callable");
    if (!IS_TUPLE(args[1])) return vm_raise(vm, vm->TypeError, "2nd arg must be a tuple");
    Value kwargs = nargs > 2 ? args[2] : EMPTY_VAL();
    if (IS_NONE(kwargs)) kwargs = EMPTY_VAL();
    if (!IS_EMPTY(kwargs) && !IS_DICT(kwargs))
        return vm_raise(vm, vm->TypeError, "optional 3rd arg must be a dictionary");
    unsigned long ident;
    if (!vm_thread_start(vm, args[0], args[1], kwargs, done_lock, &ident)) return false;
    *result = INT_VAL((int64_t)ident);
    return true;
}

// start_new_thread(function, args[, kwargs]) -> ident
static bool fn_start_new_thread(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "start_new_thread", nargs, kwnames, 2, 3)) return false;
    return start(vm, "start_new_thread", args, nargs, EMPTY_VAL(), result);
}

// _start(function, args, kwargs, done_lock) -> ident: threading.Thread's start.  done_lock (held
// by the caller) is released once the thread has ended; join() waits on it.
static bool fn_start(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_start", nargs, kwnames, 4, 4)) return false;
    if (!is_lock(args[3])) return vm_raise(vm, vm->TypeError, "_start: done_lock must be a lock");
    return start(vm, "_start", args, 3, args[3], result);
}

static bool fn_get_ident(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "get_ident", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL((int64_t)my_ident());
    return true;
}

static bool fn_get_native_id(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "get_native_id", nargs, kwnames, 0, 0)) return false;
    ThreadState *ts = vm_thread_current();
    *result = INT_VAL(ts ? ts->native_id : (int64_t)getpid());
    return true;
}

// _count(): threads started by this module and still running (the main thread not counted).
static bool fn_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_count", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL(vm_thread_count() - 1);
    return true;
}

static bool fn_is_main_thread(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = BOOL_VAL(vm_is_main_thread());
    return true;
}

// _set_thread_object(thread): the threading.Thread running on this thread (for C code that
// names the thread, as asyncio's "no current event loop in thread 'Thread-1'").
static bool fn_set_thread_object(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_set_thread_object", nargs, kwnames, 1, 1)) return false;
    ThreadState *ts = vm_thread_current();
    if (ts) ts->thread_object = args[0];
    *result = NONE_VAL();
    return true;
}

// _local_dict(local) -> (dict, created): this thread's dictionary for a threading.local object.
static bool fn_local_dict(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "_local_dict", nargs, kwnames, 1, 1)) return false;
    ThreadState *ts = vm_thread_current();
    if (IS_EMPTY(ts->local_dicts)) ts->local_dicts = OBJ_VAL(dict_new(vm));
    ObjDict *all = AS_DICT(ts->local_dicts);
    Value d;
    int found = dict_get(vm, all, args[0], &d);
    if (found < 0) return false;
    bool created = found == 0;
    if (created) {
        d = OBJ_VAL(dict_new(vm));
        vm_push_root(vm, d);
        bool ok = dict_set(vm, all, args[0], d);
        vm_pop_root(vm);
        if (!ok) return false;
    }
    vm_push_root(vm, d);
    ObjTuple *t = tuple_new(vm, 2);
    vm_pop_root(vm);
    t->items[0] = d;
    t->items[1] = BOOL_VAL(created);
    *result = OBJ_VAL(t);
    return true;
}

// stack_size([size]): aio's threads all get the same stack; 0 means "the default".
static bool fn_stack_size(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "stack_size", nargs, kwnames, 0, 1)) return false;
    if (nargs == 1) {
        int64_t n;
        if (!mod_arg_index(vm, args[0], &n)) return false;
        if (n != 0 && n < 32768) return vm_raise(vm, vm->ValueError, "size not valid: %lld bytes", (long long)n);
    }
    *result = INT_VAL(0);
    return true;
}

ObjModule *mod_thread_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "_thread");
    vm_push_root(vm, OBJ_VAL(m));
    ObjClass *lock = mod_class(vm, m, "lock", vm->object_class, OBJ_BOX);
    define_methods(vm, lock,
                   (MethodDef[]){{"__new__", lock_new},
                                 {"acquire", lock_acquire},
                                 {"acquire_lock", lock_acquire},
                                 {"release", lock_release},
                                 {"release_lock", lock_release},
                                 {"locked", lock_locked},
                                 {"locked_lock", lock_locked},
                                 {"__enter__", enter_acquire},
                                 {"__exit__", lock_exit},
                                 {"__repr__", lock_repr},
                                 {NULL, NULL}});
    mod_set(vm, m, "LockType", OBJ_VAL(lock));
    ObjClass *rlock = mod_class(vm, m, "RLock", vm->object_class, OBJ_BOX);
    define_methods(vm, rlock,
                   (MethodDef[]){{"__new__", rlock_new},
                                 {"acquire", rlock_acquire},
                                 {"release", rlock_release},
                                 {"__enter__", enter_acquire},
                                 {"__exit__", rlock_exit},
                                 {"_is_owned", rlock_is_owned},
                                 {"_release_save", rlock_release_save},
                                 {"_acquire_restore", rlock_acquire_restore},
                                 {"_recursion_count", rlock_recursion_count},
                                 {"__repr__", rlock_repr},
                                 {NULL, NULL}});
    static const MethodDef functions[] = {
        {"allocate_lock", fn_allocate_lock},
        {"allocate", fn_allocate_lock},
        {"start_new_thread", fn_start_new_thread},
        {"start_new", fn_start_new_thread},
        {"_start", fn_start},
        {"get_ident", fn_get_ident},
        {"get_native_id", fn_get_native_id},
        {"_count", fn_count},
        {"_is_main_thread", fn_is_main_thread},
        {"_set_thread_object", fn_set_thread_object},
        {"_local_dict", fn_local_dict},
        {"stack_size", fn_stack_size},
        {NULL, NULL},
    };
    for (const MethodDef *d = functions; d->name; d++) define_native(vm, m->globals, d->name, d->fn);
    mod_set(vm, m, "TIMEOUT_MAX", FLOAT_VAL(LOCK_TIMEOUT_MAX));
    mod_set(vm, m, "error", OBJ_VAL(vm->RuntimeError));
    vm_pop_root(vm);
    return m;
}
