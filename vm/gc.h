/* The garbage collector: one allocation funnel and a precise mark-and-sweep (clox's design).
 *
 * Every heap object and every array an object owns is allocated through gc_alloc_object or
 * gc_realloc, which count bytes and decide when to collect.  Roots are the frame chain, the temp
 * roots, the VM's tables (builtins, modules, classes, names) and whatever the runtime registers.
 * Marking is iterative (a gray stack), so deep structures cannot overflow the C stack.  The intern
 * table is weak: it is cleaned of unmarked strings before the sweep frees them.  Small objects
 * live in pages by size class and are swept page by page; big ones are malloc'd and listed.
 */
#ifndef AIO_GC_H
#define AIO_GC_H

#include "vm.h"

// A new object, zeroed past its header.
Obj *gc_alloc_object(Vm *vm, size_t size, ObjKind kind, ObjClass *cls);
// The same with the rest of the block left as garbage: for kinds whose constructor sets every
// field itself (strings, whose bytes are copied in anyway).
Obj *gc_alloc_object_uninit(Vm *vm, size_t size, ObjKind kind, ObjClass *cls);
// Resizes a block owned by an object (new_size 0 frees).  Growing may collect first.
void *gc_realloc(Vm *vm, void *ptr, size_t old_size, size_t new_size);
// For sizes the program chooses: when memory runs out these raise MemoryError and return NULL
// (a failed resize leaves ptr as it was) instead of spending the reserve (see gc.c).
void *gc_try_realloc(Vm *vm, void *ptr, size_t old_size, size_t new_size);
Obj *gc_try_alloc_object(Vm *vm, size_t size, ObjKind kind, ObjClass *cls, bool zero);
// The same without raising: NULL when memory runs out.
Obj *gc_alloc_object_or_null(Vm *vm, size_t size, ObjKind kind, ObjClass *cls, bool zero);
// For constructors that cannot fail: a MemoryError is owed (raised at the interpreter's next
// check) and they return a stand-in (an empty str, ...).
void gc_owe_memory_error(void);
// For code that cannot fail once started (GMP's functions, whose allocations must succeed):
// true if `bytes` more can be allocated now; else MemoryError is raised (after a collection) and
// the code must not start.  Small amounts pass unchecked while the reserve can cover them.
bool gc_make_room(Vm *vm, size_t bytes);
// Sets aside the reserve spent when memory runs out (again after each collection).
void gc_take_reserve(void);
void gc_collect(Vm *vm);
void gc_mark_value(Vm *vm, Value v);
void gc_mark_object(Vm *vm, Obj *obj);
// Marks everything reachable from the objects marked since the last trace (for the hooks that
// mark in the middle of a collection: vm_hooks.after_marking).
void gc_trace(Vm *vm);
void gc_free_all(Vm *vm);
// Calls fn on every object in the heap, reachable or not yet swept; fn must not allocate.
void gc_each_object(Vm *vm, void (*fn)(Vm *vm, Obj *obj));
// Registers a coroutine or future: if it becomes unreachable while it still has something to say
// ("never awaited", "never retrieved", "destroyed but pending"), it is queued for the message.
void gc_track_finalizable(Vm *vm, Obj *obj);
// Registers a memoryview of a bytearray: when it is collected without release(), the collection
// decrements its bytearray's exports (CPython does that when the view's last reference goes).
void gc_track_view(Vm *vm, ObjMemoryView *view);
// Gives the pool's spare blocks back to the C library (at exit).
void gc_pool_release(void);

#define GC_ARRAY(vm, type, ptr, old, new) \
    ((type *)gc_realloc(vm, ptr, sizeof(type) * (old), sizeof(type) * (new)))

#endif
