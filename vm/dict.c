/* The insertion-ordered hash table behind dict, instance attributes, class namespaces and module
 * globals (see dict.h).  The dict type's methods and views are in runtime/dict.c.
 *
 * Layout as CPython's compact dict: `entries` keeps key/value/hash in insertion order (deleted
 * entries leave a hole whose key is EMPTY), and `index` maps hash slots to entry positions with
 * linear probing.  Iteration walks `entries`, so order is insertion order by construction.
 */
#include "dict.h"

#include <string.h>

#include "gc.h"
#include "vm.h"

#define FREE_SLOT (-1)
#define DELETED_SLOT (-2)

// Every insertion or deletion in any dict takes a fresh number from this counter, so a (dict,
// version) pair never repeats: the interpreter's LOAD_GLOBAL and LOAD_METHOD caches rely on that.
static uint64_t last_version;

// Finds key: returns the index slot holding it (>= 0, entry position in *entry) or, when absent,
// -1 with *insert_slot set to where it would go.  -2 means an error was raised while comparing.
static int64_t lookup(Vm *vm, ObjDict *d, Value key, uint64_t hash, int64_t *insert_slot,
                      size_t *entry) {
    size_t mask = d->index_size - 1;
    size_t i = hash & mask;
    int64_t first_deleted = -1;
    for (;;) {
        int32_t ix = d->index[i];
        if (ix == FREE_SLOT) {
            *insert_slot = first_deleted >= 0 ? first_deleted : (int64_t)i;
            return -1;
        }
        if (ix == DELETED_SLOT) {
            if (first_deleted < 0) first_deleted = (int64_t)i;
        } else {
            DictEntry *e = &d->entries[ix];
            if (e->hash == hash) {
                if (value_is(e->key, key)) {
                    *entry = (size_t)ix;
                    return (int64_t)i;
                }
                // Fast path: two strings compare by content without calling into the VM.
                if (IS_STR(e->key) && IS_STR(key)) {
                    ObjStr *a = AS_STR(e->key), *b = AS_STR(key);
                    if (a->length == b->length && memcmp(a->chars, b->chars, a->length) == 0) {
                        *entry = (size_t)ix;
                        return (int64_t)i;
                    }
                } else if (!(IS_STR(e->key) || IS_STR(key))) {
                    bool eq;
                    uint64_t version = d->version;
                    if (!vm_equal(vm, e->key, key, &eq)) return -2;
                    if (version != d->version) {
                        vm_raise(vm, vm->RuntimeError, "dictionary changed size during iteration");
                        return -2;
                    }
                    if (eq) {
                        *entry = (size_t)ix;
                        return (int64_t)i;
                    }
                }
            }
        }
        i = (i + 1) & mask;
    }
}

// False with MemoryError raised (the dict unchanged) when the new index cannot be had.
static bool rebuild_index(Vm *vm, ObjDict *d, size_t index_size) {
    if (index_size > INT32_MAX) return vm_raise_memory_error(vm);
    int32_t *index = gc_try_realloc(vm, NULL, 0, sizeof(int32_t) * index_size);
    if (!index) return false;
    // Compact the entries: holes left by deletions go away.  Entries move, so the caches that
    // remember positions must see a new version.
    size_t live = 0;
    for (size_t i = 0; i < d->entry_count; i++)
        if (!IS_EMPTY(d->entries[i].key)) d->entries[live++] = d->entries[i];
    if (live != d->entry_count) d->version = ++last_version;
    d->entry_count = live;
    gc_realloc(vm, d->index, sizeof(int32_t) * d->index_size, 0);
    d->index = index;
    d->index_size = index_size;
    for (size_t i = 0; i < index_size; i++) index[i] = FREE_SLOT;
    for (size_t e = 0; e < live; e++) {
        size_t i = d->entries[e].hash & (index_size - 1);
        while (index[i] != FREE_SLOT) i = (i + 1) & (index_size - 1);
        index[i] = (int32_t)e;
    }
    return true;
}

// Ensures room for one more entry; false with MemoryError raised when memory runs out.
static bool reserve_one(Vm *vm, ObjDict *d) {
    if (d->index_size == 0 || (d->entry_count + 1) * 3 > d->index_size * 2) {
        size_t size = 8;
        while (size < (d->used + 1) * 3) size *= 2; // a third full after the rebuild
        if (!rebuild_index(vm, d, size)) return false;
    }
    if (d->entry_count == d->entry_capacity) {
        size_t cap = d->entry_capacity ? d->entry_capacity * 2 : 6;
        DictEntry *entries = gc_try_realloc(vm, d->entries, sizeof(DictEntry) * d->entry_capacity,
                                            sizeof(DictEntry) * cap);
        if (!entries) return false;
        d->entries = entries;
        d->entry_capacity = cap;
    }
    return true;
}

int dict_get(Vm *vm, ObjDict *d, Value key, Value *out) {
    if (d->used == 0) {
        uint64_t h;
        if (!vm_hash(vm, key, &h)) return -1; // unhashable keys fail even on an empty dict
        return 0;
    }
    uint64_t hash;
    if (!vm_hash(vm, key, &hash)) return -1;
    int64_t slot;
    size_t entry;
    int64_t r = lookup(vm, d, key, hash, &slot, &entry);
    if (r == -2) return -1;
    if (r < 0) return 0;
    *out = d->entries[entry].value;
    return 1;
}

// Key and value may be fresh objects held only by the caller: they stay rooted throughout, since
// the key's __hash__ and __eq__ run user code that allocates.
static bool dict_set_rooted(Vm *vm, ObjDict *d, Value key, Value value) {
    uint64_t hash;
    if (!vm_hash(vm, key, &hash)) return false;
    int64_t slot;
    size_t entry;
    if (d->index_size) {
        int64_t r = lookup(vm, d, key, hash, &slot, &entry);
        if (r == -2) return false;
        if (r >= 0) {
            d->entries[entry].value = value;
            return true;
        }
    }
    if (!reserve_one(vm, d)) return false;
    int64_t r = lookup(vm, d, key, hash, &slot, &entry);
    if (r == -2) return false;
    size_t e = d->entry_count++;
    d->entries[e] = (DictEntry){key, value, hash};
    d->index[slot] = (int32_t)e;
    d->used++;
    d->version = ++last_version;
    return true;
}

bool dict_set(Vm *vm, ObjDict *d, Value key, Value value) {
    vm_push_root(vm, key);
    vm_push_root(vm, value);
    bool ok = dict_set_rooted(vm, d, key, value);
    vm_pop_roots(vm, 2);
    return ok;
}

int dict_delete(Vm *vm, ObjDict *d, Value key, Value *old) {
    uint64_t hash;
    if (!vm_hash(vm, key, &hash)) return -1;
    if (d->used == 0) return 0;
    int64_t slot;
    size_t entry;
    int64_t r = lookup(vm, d, key, hash, &slot, &entry);
    if (r == -2) return -1;
    if (r < 0) return 0;
    if (old) *old = d->entries[entry].value;
    d->index[r] = DELETED_SLOT;
    d->entries[entry].key = EMPTY_VAL();
    d->entries[entry].value = EMPTY_VAL();
    d->used--;
    d->version = ++last_version;
    return 1;
}

int64_t dict_find_str(ObjDict *d, ObjStr *key) {
    if (d->used == 0) return -1;
    size_t mask = d->index_size - 1;
    uint64_t hash = str_hash(key);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        int32_t ix = d->index[i];
        if (ix == FREE_SLOT) return -1;
        if (ix < 0) continue;
        const DictEntry *e = &d->entries[ix];
        if (IS_STR(e->key) && (AS_STR(e->key) == key || (e->hash == hash && str_equal(AS_STR(e->key), key))))
            return ix;
    }
}

Value dict_get_str(ObjDict *d, ObjStr *key) {
    if (d->used == 0) return EMPTY_VAL();
    size_t mask = d->index_size - 1;
    uint64_t hash = str_hash(key);
    size_t i = hash & mask;
    for (;;) {
        int32_t ix = d->index[i];
        if (ix == FREE_SLOT) return EMPTY_VAL();
        if (ix >= 0) {
            DictEntry *e = &d->entries[ix];
            if (IS_OBJ(e->key) && AS_OBJ(e->key) == (Obj *)key) return e->value;
            if (e->hash == hash && IS_STR(e->key) && str_equal(AS_STR(e->key), key)) return e->value;
        }
        i = (i + 1) & mask;
    }
}

void dict_set_str(Vm *vm, ObjDict *d, ObjStr *key, Value value) {
    // String keys never fail to hash or compare.
    dict_set(vm, d, OBJ_VAL(key), value);
}

void dict_set_cstr(Vm *vm, ObjDict *d, const char *key, Value value) {
    vm_push_root(vm, value);
    ObjStr *k = str_from_c(vm, key);
    vm_push_root(vm, OBJ_VAL(k));
    dict_set(vm, d, OBJ_VAL(k), value);
    vm_pop_roots(vm, 2);
}

void dict_clear(Vm *vm, ObjDict *d) {
    gc_realloc(vm, d->entries, sizeof(DictEntry) * d->entry_capacity, 0);
    gc_realloc(vm, d->index, sizeof(int32_t) * d->index_size, 0);
    d->entries = NULL;
    d->index = NULL;
    d->entry_capacity = d->entry_count = d->used = d->index_size = 0;
    d->version = ++last_version;
}

bool dict_next(ObjDict *d, size_t *pos, Value *key, Value *value) {
    while (*pos < d->entry_count) {
        DictEntry *e = &d->entries[(*pos)++];
        if (!IS_EMPTY(e->key)) {
            *key = e->key;
            if (value) *value = e->value;
            return true;
        }
    }
    return false;
}

ObjDict *dict_copy(Vm *vm, ObjDict *d) {
    ObjDict *copy = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(copy));
    size_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v)) dict_set(vm, copy, k, v);
    vm_pop_root(vm);
    return copy;
}

bool dict_update(Vm *vm, ObjDict *d, Value other) {
    if (IS_DICT(other)) {
        ObjDict *src = AS_DICT(other);
        size_t pos = 0;
        Value k, v;
        while (dict_next(src, &pos, &k, &v))
            if (!dict_set(vm, d, k, v)) return false;
        return true;
    }
    // A mapping with keys(): d[k] = other[k]; otherwise an iterable of pairs.
    Value keys;
    int found = vm_getattr_opt(vm, other, vm->s_keys, &keys);
    if (found < 0) return false;
    if (found) {
        // keys, what it returns and the list made of that are all fresh: each stays rooted
        // while the next is made.
        Value klist;
        vm_push_root(vm, keys);
        bool called = vm_call0(vm, keys, &klist);
        vm_pop_root(vm);
        if (!called) return false;
        vm_push_root(vm, klist);
        ObjList *list = vm_list_from_iterable(vm, klist);
        vm_pop_root(vm);
        if (!list) return false;
        vm_push_root(vm, OBJ_VAL(list));
        for (size_t i = 0; i < list->count; i++) {
            Value v;
            if (!vm_getitem(vm, other, list->items[i], &v) || !dict_set(vm, d, list->items[i], v)) {
                vm_pop_root(vm);
                return false;
            }
        }
        vm_pop_root(vm);
        return true;
    }
    ObjList *items = vm_list_from_iterable(vm, other);
    if (!items) return false;
    vm_push_root(vm, OBJ_VAL(items));
    for (size_t i = 0; i < items->count; i++) {
        ObjList *pair = vm_list_from_iterable(vm, items->items[i]);
        if (!pair) {
            vm_clear_exception(vm);
            vm_pop_root(vm);
            return vm_raise(vm, vm->TypeError,
                            "cannot convert dictionary update sequence element #%zu to a sequence", i);
        }
        if (pair->count != 2) {
            vm_pop_root(vm);
            return vm_raise(vm, vm->ValueError,
                            "dictionary update sequence element #%zu has length %zu; 2 is required",
                            i, pair->count);
        }
        vm_push_root(vm, OBJ_VAL(pair));
        bool ok = dict_set(vm, d, pair->items[0], pair->items[1]);
        vm_pop_root(vm);
        if (!ok) {
            vm_pop_root(vm);
            return false;
        }
    }
    vm_pop_root(vm);
    return true;
}
