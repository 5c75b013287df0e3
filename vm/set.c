/* The hash table behind set and frozenset (see set.h): open addressing, laid out and probed
 * exactly as CPython 3.11's Objects/setobject.c, so that iteration order matches CPython's for
 * values whose hash is the same in both (ints, floats, tuples and frozensets of those).
 *
 * The table (ObjSet.table, mask + 1 slots, a power of two, at least 8) holds three kinds of slot:
 *   unused  key EMPTY, dummy false, hash 0
 *   dummy   key EMPTY, dummy true, hash -1    (a deleted key: probe chains continue through it)
 *   active  key set
 * `used` counts active slots, `fill` active + dummy.  A probe looks at slot hash & mask and the 9
 * slots after it (LINEAR_PROBES), then jumps with i = i * 5 + 1 + (perturb >>= 5).  An insertion
 * that takes an unused slot resizes when fill * 5 >= mask * 3, to the smallest power of two above
 * used * 4 (used * 2 past 50000 keys), dropping the dummies.  A new set has no table yet: it
 * behaves as an empty 8-slot table until the first insertion allocates one.
 *
 * ObjSet.version serves as CPython's `finger`: where pop() resumes its scan, so that successive
 * pops walk the table instead of rescanning its start.  Iterators detect changes by `used`, as
 * CPython does ("Set changed size during iteration").
 *
 * The methods of set and frozenset, which work on the table through set.h, are in runtime/set.c.
 */
#include "set.h"

#include <string.h>

#include "gc.h"

#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5

// ---- the table ----------------------------------------------------------------------------------

static bool is_unused(const SetEntry *e) { return IS_EMPTY(e->key) && !e->dummy; }

// The mask the set behaves as having: a set without a table is an empty 8-slot one.

static SetEntry *alloc_table(Vm *vm, size_t size) {
    SetEntry *t = GC_ARRAY(vm, SetEntry, NULL, 0, size);
    memset(t, 0, sizeof(SetEntry) * size);
    return t;
}

// Gives the set its first table.  May collect: the set must be rooted.
static void ensure_table(Vm *vm, ObjSet *so) {
    if (so->table) return;
    SetEntry *t = alloc_table(vm, SET_MINSIZE);
    so->table = t;
    so->mask = SET_MINSIZE - 1;
}

// Puts a key known to be absent into a table without dummies (no comparisons needed).
static void insert_clean(SetEntry *table, size_t mask, Value key, uint64_t hash) {
    size_t perturb = hash;
    size_t i = hash & mask;
    for (;;) {
        if (is_unused(&table[i])) break;
        if (i + LINEAR_PROBES <= mask) {
            size_t j;
            for (j = 1; j <= LINEAR_PROBES; j++)
                if (is_unused(&table[i + j])) break;
            if (j <= LINEAR_PROBES) {
                i += j;
                break;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
    table[i] = (SetEntry){key, hash, false};
}

// Rebuilds the table with the smallest size above minused, dropping dummies.  False with
// MemoryError raised (the table unchanged) when memory runs out.
bool set_table_resize(Vm *vm, ObjSet *so, size_t minused) {
    size_t newsize = SET_MINSIZE;
    while (newsize <= minused) newsize <<= 1;
    if (newsize == SET_MINSIZE && set_mask(so) == SET_MINSIZE - 1 && so->fill == so->used) {
        ensure_table(vm, so);
        return true; // already the smallest table, and nothing to purge
    }
    // Allocate first: a collection here still sees the old, consistent table.
    if (newsize > SIZE_MAX / (2 * sizeof(SetEntry))) return vm_raise_memory_error(vm);
    SetEntry *table = gc_try_realloc(vm, NULL, 0, sizeof(SetEntry) * newsize);
    if (!table) return false;
    memset(table, 0, sizeof(SetEntry) * newsize);
    SetEntry *old = so->table;
    size_t oldsize = old ? so->mask + 1 : 0;
    for (size_t i = 0; i < oldsize; i++)
        if (set_entry_active(&old[i])) insert_clean(table, newsize - 1, old[i].key, old[i].hash);
    so->table = table;
    so->mask = newsize - 1;
    so->fill = so->used;
    if (old) gc_realloc(vm, old, sizeof(SetEntry) * oldsize, 0);
    return true;
}

// Compares an active slot's key with key: 1 equal, 0 not, -1 error, 2 the table changed while
// user code ran (the caller restarts its probe).
static int compare_entry(Vm *vm, ObjSet *so, size_t j, Value key) {
    Value startkey = so->table[j].key;
    if (value_is(startkey, key)) return 1;
    if (IS_STR(startkey) && IS_STR(key)) {
        ObjStr *a = AS_STR(startkey), *b = AS_STR(key);
        return a->length == b->length && memcmp(a->chars, b->chars, a->length) == 0;
    }
    SetEntry *table = so->table;
    bool eq;
    if (!vm_equal(vm, startkey, key, &eq)) return -1;
    if (table != so->table || !value_is(so->table[j].key, startkey)) return 2;
    return eq;
}

// Finds key: 1 found (*slot set), 0 absent, -1 error.  key must be rooted.
static int set_lookkey(Vm *vm, ObjSet *so, Value key, uint64_t hash, size_t *slot) {
    if (!so->table) return 0;
restart:;
    size_t mask = so->mask;
    size_t perturb = hash;
    size_t i = hash & mask;
    for (;;) {
        int probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
        size_t j = i;
        do {
            SetEntry *e = &so->table[j];
            if (is_unused(e)) return 0;
            if (set_entry_active(e) && e->hash == hash) {
                int r = compare_entry(vm, so, j, key);
                if (r < 0) return -1;
                if (r == 2) goto restart;
                if (r) {
                    *slot = j;
                    return 1;
                }
                mask = so->mask;
            }
            j++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

// Adds key with a known hash; key must be rooted (set_add_entry does that).
static bool add_entry_rooted(Vm *vm, ObjSet *so, Value key, uint64_t hash) {
    ensure_table(vm, so);
restart:;
    size_t mask = so->mask;
    size_t perturb = hash;
    size_t i = hash & mask;
    size_t freeslot = SIZE_MAX; // the last dummy passed: reused when the key is absent
    size_t j;
    for (;;) {
        int probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
        j = i;
        do {
            SetEntry *e = &so->table[j];
            if (is_unused(e)) goto found_unused_or_dummy;
            if (set_entry_active(e)) {
                if (e->hash == hash) {
                    int r = compare_entry(vm, so, j, key);
                    if (r < 0) return false;
                    if (r == 2) goto restart;
                    if (r) return true; // already present
                    mask = so->mask;
                }
            } else {
                freeslot = j;
            }
            j++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
found_unused_or_dummy:
    if (freeslot != SIZE_MAX) {
        so->used++;
        so->table[freeslot] = (SetEntry){key, hash, false};
        return true;
    }
    so->fill++;
    so->used++;
    so->table[j] = (SetEntry){key, hash, false};
    if (so->fill * 5 < mask * 3) return true;
    return set_table_resize(vm, so, so->used > 50000 ? so->used * 2 : so->used * 4);
}

// Adds key with a known hash.  The key is rooted meanwhile: __eq__ may run, and may even remove
// the key from the set it was taken from.
bool set_add_entry(Vm *vm, ObjSet *so, Value key, uint64_t hash) {
    vm_push_root(vm, key);
    bool ok = add_entry_rooted(vm, so, key, hash);
    vm_pop_root(vm);
    return ok;
}

bool set_add_value(Vm *vm, ObjSet *so, Value key) {
    uint64_t hash;
    if (!vm_hash(vm, key, &hash)) return false;
    return set_add_entry(vm, so, key, hash);
}

// 1 removed, 0 absent, -1 error.
int set_discard_entry(Vm *vm, ObjSet *so, Value key, uint64_t hash) {
    size_t slot;
    vm_push_root(vm, key);
    int r = set_lookkey(vm, so, key, hash, &slot);
    vm_pop_root(vm);
    if (r <= 0) return r;
    so->table[slot] = (SetEntry){EMPTY_VAL(), DUMMY_HASH, true};
    so->used--;
    return 1;
}

int set_contains_entry(Vm *vm, ObjSet *so, Value key, uint64_t hash) {
    size_t slot;
    vm_push_root(vm, key);
    int r = set_lookkey(vm, so, key, hash, &slot);
    vm_pop_root(vm);
    return r;
}

int set_contains_key(Vm *vm, ObjSet *so, Value key) {
    uint64_t hash;
    if (!vm_hash(vm, key, &hash)) return -1;
    return set_contains_entry(vm, so, key, hash);
}

static int set_discard_key(Vm *vm, ObjSet *so, Value key) {
    uint64_t hash;
    if (!vm_hash(vm, key, &hash)) return -1;
    return set_discard_entry(vm, so, key, hash);
}

void set_clear_table(Vm *vm, ObjSet *so) {
    if (so->table) gc_realloc(vm, so->table, sizeof(SetEntry) * (so->mask + 1), 0);
    so->table = NULL;
    so->mask = 0;
    so->fill = so->used = 0;
}

// Like set_next, with the stored hash.
bool set_next_entry(ObjSet *set, size_t *pos, Value *key, uint64_t *hash) {
    if (!set->table) return false;
    while (*pos <= set->mask) {
        SetEntry *e = &set->table[(*pos)++];
        if (set_entry_active(e)) {
            *key = e->key;
            *hash = e->hash;
            return true;
        }
    }
    return false;
}

bool set_next(ObjSet *set, size_t *pos, Value *key) {
    uint64_t unused_hash;
    return set_next_entry(set, pos, key, &unused_hash);
}

// ---- bulk operations ----------------------------------------------------------------------------

// so |= other for another set: one resize up front, then the cheapest copy that keeps CPython's
// layout.
static bool set_merge(Vm *vm, ObjSet *so, ObjSet *other) {
    if (other == so || other->used == 0) return true;
    if ((so->fill + other->used) * 5 >= set_mask(so) * 3 &&
        !set_table_resize(vm, so, (so->used + other->used) * 2))
        return false;
    ensure_table(vm, so);
    if (so->fill == 0 && so->mask == other->mask && other->fill == other->used) {
        // Same size and no dummies: copy slot for slot.
        for (size_t i = 0; i <= other->mask; i++)
            if (set_entry_active(&other->table[i])) so->table[i] = other->table[i];
        so->fill = other->fill;
        so->used = other->used;
        return true;
    }
    if (so->fill == 0) {
        so->fill = so->used = other->used;
        for (size_t i = 0; i <= other->mask; i++)
            if (set_entry_active(&other->table[i]))
                insert_clean(so->table, so->mask, other->table[i].key, other->table[i].hash);
        return true;
    }
    // Keys may already be present: ordinary insertions (other is re-read: __eq__ may change it).
    for (size_t i = 0; other->table && i <= other->mask; i++) {
        SetEntry e = other->table[i];
        if (set_entry_active(&e) && !set_add_entry(vm, so, e.key, e.hash)) return false;
    }
    return true;
}

bool set_update(Vm *vm, ObjSet *so, Value other) {
    if (IS_SET(other)) return set_merge(vm, so, AS_SET(other));
    if (IS_DICT(other) && vm_class_of(vm, other) == vm->dict_class) {
        ObjDict *d = AS_DICT(other);
        if ((so->fill + d->used) * 5 >= set_mask(so) * 3 && !set_table_resize(vm, so, (so->used + d->used) * 2))
            return false;
        for (size_t i = 0; i < d->entry_count; i++) {
            DictEntry e = d->entries[i];
            if (!IS_EMPTY(e.key) && !set_add_entry(vm, so, e.key, e.hash)) return false;
        }
        return true;
    }
    Value it;
    if (!vm_iter(vm, other, &it)) return false;
    vm_push_root(vm, it);
    Value key;
    int r;
    while ((r = vm_next(vm, it, &key)) == 1) {
        if (!set_add_value(vm, so, key)) {
            r = -1;
            break;
        }
    }
    vm_pop_root(vm);
    return r == 0;
}


// A set used as a key is looked up as the equal frozenset (CPython's set_contains / set_discard).
static Value frozen_key(Vm *vm, Value key) {
    if (!IS_SET(key) || AS_SET(key)->frozen || !vm_exception_matches(vm, vm->TypeError)) return EMPTY_VAL();
    vm_clear_exception(vm);
    ObjSet *f = set_new(vm, true);
    vm_push_root(vm, OBJ_VAL(f));
    set_merge(vm, f, AS_SET(key));
    vm_pop_root(vm);
    return OBJ_VAL(f);
}

int set_contains_value(Vm *vm, ObjSet *set, Value key) {
    int r = set_contains_key(vm, set, key);
    if (r >= 0) return r;
    Value f = frozen_key(vm, key);
    if (IS_EMPTY(f)) return -1;
    vm_push_root(vm, f);
    r = set_contains_key(vm, set, f);
    vm_pop_root(vm);
    return r;
}

int set_discard_value(Vm *vm, ObjSet *set, Value key) {
    int r = set_discard_key(vm, set, key);
    if (r >= 0) return r;
    Value f = frozen_key(vm, key);
    if (IS_EMPTY(f)) return -1;
    vm_push_root(vm, f);
    r = set_discard_key(vm, set, f);
    vm_pop_root(vm);
    return r;
}
