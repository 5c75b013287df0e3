/* PosIndex: a hash index over an array someone else owns, so that "where in this table is X?"
 * costs O(1) instead of a scan (the symbol table, the compiler's names, locals and constants).
 *
 * The index stores positions only (position + 1; 0 marks an empty slot) in an open-addressing
 * table whose size is a power of two, at most half full.  The owner hashes and compares its own
 * items: it probes with pos_index_next until it meets its item or an empty slot (the place to
 * insert), and re-adds every item when pos_index_needs_growth says the table is due for doubling.
 * Memory comes from the owner too (malloc, or an arena for the parser's scopes).
 */
#ifndef AIO_POS_INDEX_H
#define AIO_POS_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t *slots; // capacity entries: position + 1, or 0
    uint32_t capacity;
    uint32_t count;
} PosIndex;

// FNV-1a over a name's bytes (the parser's strings are NUL-terminated; the VM's have lengths).
static inline uint64_t pos_index_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static inline bool pos_index_needs_growth(const PosIndex *ix) { return (ix->count + 1) * 2 > ix->capacity; }

// The capacity after growth: at least 16, always double the old one.
static inline uint32_t pos_index_next_capacity(const PosIndex *ix) { return ix->capacity ? ix->capacity * 2 : 16; }

// The probe sequence for a hash: call with *probe = 0 first; returns slot numbers in turn.
static inline uint32_t pos_index_next(const PosIndex *ix, uint64_t hash, uint32_t *probe) {
    uint32_t slot = (uint32_t)(hash + (uint64_t)*probe) & (ix->capacity - 1);
    (*probe)++;
    return slot;
}

#endif
