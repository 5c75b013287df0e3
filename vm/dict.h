/* The hash table behind dict, instance attributes, class namespaces and module globals.
 *
 * Lookups take a Vm because hashing and comparing keys can run user code (__hash__, __eq__); the
 * _str variants are for the interpreter's own string keys and never fail.
 */
#ifndef AIO_DICT_H
#define AIO_DICT_H

#include "vm.h"

// 1 found (*out set), 0 missing, -1 error pending.
int dict_get(Vm *vm, ObjDict *d, Value key, Value *out);
bool dict_set(Vm *vm, ObjDict *d, Value key, Value value);
// 1 deleted (*old set when old is not NULL), 0 missing, -1 error.
int dict_delete(Vm *vm, ObjDict *d, Value key, Value *old);
// String keys: EMPTY when missing.
Value dict_get_str(ObjDict *d, ObjStr *key);
void dict_set_str(Vm *vm, ObjDict *d, ObjStr *key, Value value);
// The position of a string key in d->entries, or -1.  Stays valid while d->version is unchanged.
int64_t dict_find_str(ObjDict *d, ObjStr *key);
void dict_set_cstr(Vm *vm, ObjDict *d, const char *key, Value value);
void dict_clear(Vm *vm, ObjDict *d);
bool dict_update(Vm *vm, ObjDict *d, Value other); // from a dict, or an iterable of pairs
ObjDict *dict_copy(Vm *vm, ObjDict *d);
// Iteration: *pos starts at 0; returns false after the last live entry.
bool dict_next(ObjDict *d, size_t *pos, Value *key, Value *value);

#endif
