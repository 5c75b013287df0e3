/* The set table (vm/set.c): what the interpreter's BUILD_SET / SET_ADD / SET_UPDATE and the
 * methods of set and frozenset (runtime/set.c) do to an ObjSet.  vm/set.c's opening comment
 * describes the layout.
 *
 * Lookups take a Vm because hashing and comparing keys can run user code (__hash__, __eq__).  The
 * *_entry variants take a hash already known (from another set or a dict) instead of computing it.
 */
#ifndef AIO_SET_H
#define AIO_SET_H

#include "vm.h"

#define SET_MINSIZE 8              // slots of the smallest table
#define DUMMY_HASH ((uint64_t)-1)  // the hash stored in a deleted slot

static inline bool set_entry_active(const SetEntry *e) { return !IS_EMPTY(e->key); }
// The table's mask; a set without a table acts as an empty one of SET_MINSIZE slots.
static inline size_t set_mask(const ObjSet *so) { return so->table ? so->mask : SET_MINSIZE - 1; }

// Adds key (a set key is not turned into a frozenset: unhashable is a TypeError).
bool set_add_value(Vm *vm, ObjSet *set, Value key);
bool set_add_entry(Vm *vm, ObjSet *so, Value key, uint64_t hash);
// key in set / set.discard(key), where a set key is looked up as the equal frozenset, as CPython
// does: 1 yes (removed), 0 no (absent), -1 error.
int set_contains_value(Vm *vm, ObjSet *set, Value key);
int set_discard_value(Vm *vm, ObjSet *set, Value key);
// The same without the frozenset retry.
int set_contains_key(Vm *vm, ObjSet *so, Value key);
int set_contains_entry(Vm *vm, ObjSet *so, Value key, uint64_t hash);
int set_discard_entry(Vm *vm, ObjSet *so, Value key, uint64_t hash);
// Adds every item of an iterable (a set or dict is merged without rehashing).
bool set_update(Vm *vm, ObjSet *set, Value iterable);
// Rebuilds the table with the smallest size above minused, dropping dummies.  False with
// MemoryError raised (the table unchanged) when memory runs out.
bool set_table_resize(Vm *vm, ObjSet *so, size_t minused);
void set_clear_table(Vm *vm, ObjSet *so); // frees the table: the set is empty again
// Iteration: *pos starts at 0; false after the last key.  set_next_entry also gives the hash.
bool set_next(ObjSet *set, size_t *pos, Value *key);
bool set_next_entry(ObjSet *set, size_t *pos, Value *key, uint64_t *hash);

#endif
