/* sort: list.sort() and sorted(), as CPython 3.11's timsort (Objects/listobject.c).
 *
 * The algorithm is CPython's, step for step, so that a program whose comparisons have side effects
 * (or are inconsistent, as with NaN or sets) sees the same calls in the same order: runs are found
 * with count_run, short runs are extended by binary insertion to `minrun`, and pending runs are
 * merged in the order powersort chooses (3.11's strategy), galloping when one run keeps winning.
 * Only `<` is ever called.
 *
 * Memory and the GC: while user code runs inside a comparison, a collection may happen.  Every
 * array the sort reads or writes is therefore owned by a rooted ObjList (the items, the keys and
 * the merge buffers), so each value is always reachable from somewhere the GC marks.
 */
#include <string.h>

#include "container.h"

#define MIN_GALLOP 7
#define MAX_MERGE_PENDING 85 // enough for 2**64 items with minrun >= 32

// Parallel key and value arrays: values is NULL when there is no key function (keys are the items).
typedef struct {
    Value *keys;
    Value *values;
} Slice;

typedef struct {
    Slice base;
    int64_t len;
    int power; // of the boundary between this run and the next (powersort)
} Run;

typedef struct {
    Vm *vm;
    ObjList *tmp_keys;   // merge buffer for keys (rooted)
    ObjList *tmp_values; // merge buffer for values, NULL without a key function (rooted)
    int64_t min_gallop;
    Value *basekeys; // the start of the keys, for run positions
    int64_t listlen;
    Run pending[MAX_MERGE_PENDING];
    int n; // runs on the pending stack
} MergeState;

// x < y: 1 true, 0 false, -1 error.  Same-kind numbers and strings take a fast path; its answers
// equal what `<` would return, so only speed differs.
static int less_than(Vm *vm, Value x, Value y) {
    if (IS_INT(x) && IS_INT(y)) return AS_INT(x) < AS_INT(y);
    if (IS_FLOAT(x) && IS_FLOAT(y)) return AS_FLOAT(x) < AS_FLOAT(y);
    if (IS_STR(x) && IS_STR(y)) {
        ObjStr *a = AS_STR(x), *b = AS_STR(y);
        size_t n = a->length < b->length ? a->length : b->length;
        int c = memcmp(a->chars, b->chars, n); // UTF-8 byte order is code point order
        return c < 0 || (c == 0 && a->length < b->length);
    }
    Value r;
    if (!vm_compare(vm, CMP_LT, x, y, &r)) return -1;
    if (IS_BOOL(r)) return AS_BOOL(r);
    bool truth;
    if (!vm_truthy(vm, r, &truth)) return -1;
    return truth;
}

#define ISLT(ms, x, y) less_than((ms)->vm, x, y)

static void slice_advance(Slice *s, int64_t n) {
    s->keys += n;
    if (s->values) s->values += n;
}

static void slice_copy(Slice *dst, int64_t i, Slice *src, int64_t j) {
    dst->keys[i] = src->keys[j];
    if (dst->values) dst->values[i] = src->values[j];
}

static void slice_copy_incr(Slice *dst, Slice *src) {
    *dst->keys++ = *src->keys++;
    if (dst->values) *dst->values++ = *src->values++;
}

static void slice_copy_decr(Slice *dst, Slice *src) {
    *dst->keys-- = *src->keys--;
    if (dst->values) *dst->values-- = *src->values--;
}

static void slice_move(Slice *dst, int64_t i, Slice *src, int64_t j, int64_t n) {
    values_move(&dst->keys[i], &src->keys[j], (size_t)n);
    if (dst->values) values_move(&dst->values[i], &src->values[j], (size_t)n);
}

static void reverse_values(Value *lo, Value *hi) {
    for (--hi; lo < hi; lo++, hi--) {
        Value t = *lo;
        *lo = *hi;
        *hi = t;
    }
}

static void slice_reverse(Slice *s, int64_t n) {
    if (n < 2) return;
    reverse_values(s->keys, s->keys + n);
    if (s->values) reverse_values(s->values, s->values + n);
}

// Binary insertion sort of lo[0, hi) where lo[0, start) is already sorted.
static bool binarysort(MergeState *ms, Slice lo, int64_t hi, int64_t start) {
    if (start == 0) ++start;
    for (; start < hi; ++start) {
        int64_t l = 0, r = start;
        Value pivot = lo.keys[r];
        // Invariants: pivot >= all in [0, l), pivot < all in [r, start).
        do {
            int64_t p = l + ((r - l) >> 1);
            int k = ISLT(ms, pivot, lo.keys[p]);
            if (k < 0) return false;
            if (k) r = p;
            else l = p + 1;
        } while (l < r);
        values_move(&lo.keys[l + 1], &lo.keys[l], (size_t)(start - l));
        lo.keys[l] = pivot;
        if (lo.values) {
            Value pv = lo.values[start];
            values_move(&lo.values[l + 1], &lo.values[l], (size_t)(start - l));
            lo.values[l] = pv;
        }
    }
    return true;
}

// Length of the run starting at keys[0] (n items left): ascending (a[i] <= a[i+1]) or strictly
// descending.  -1 on error.
static int64_t count_run(MergeState *ms, Value *keys, int64_t n, bool *descending) {
    *descending = false;
    if (n == 1) return 1;
    int64_t len = 2;
    int k = ISLT(ms, keys[1], keys[0]);
    if (k < 0) return -1;
    if (k) {
        *descending = true;
        for (int64_t i = 2; i < n; i++, len++) {
            k = ISLT(ms, keys[i], keys[i - 1]);
            if (k < 0) return -1;
            if (!k) break;
        }
    } else {
        for (int64_t i = 2; i < n; i++, len++) {
            k = ISLT(ms, keys[i], keys[i - 1]);
            if (k < 0) return -1;
            if (k) break;
        }
    }
    return len;
}

// Where key belongs in the sorted a[0, n): the leftmost position (a[k-1] < key <= a[k]).
// Starts at `hint` and gallops outwards.  -1 on error.
static int64_t gallop_left(MergeState *ms, Value key, Value *a, int64_t n, int64_t hint) {
    int64_t ofs = 1, lastofs = 0;
    int k = ISLT(ms, a[hint], key);
    if (k < 0) return -1;
    if (k) {
        // a[hint] < key: gallop right until a[hint+lastofs] < key <= a[hint+ofs].
        int64_t maxofs = n - hint;
        while (ofs < maxofs) {
            k = ISLT(ms, a[hint + ofs], key);
            if (k < 0) return -1;
            if (!k) break;
            lastofs = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        lastofs += hint;
        ofs += hint;
    } else {
        // key <= a[hint]: gallop left until a[hint-ofs] < key <= a[hint-lastofs].
        int64_t maxofs = hint + 1;
        while (ofs < maxofs) {
            k = ISLT(ms, a[hint - ofs], key);
            if (k < 0) return -1;
            if (k) break;
            lastofs = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        int64_t t = lastofs;
        lastofs = hint - ofs;
        ofs = hint - t;
    }
    // a[lastofs] < key <= a[ofs]: binary search in between.
    ++lastofs;
    while (lastofs < ofs) {
        int64_t m = lastofs + ((ofs - lastofs) >> 1);
        k = ISLT(ms, a[m], key);
        if (k < 0) return -1;
        if (k) lastofs = m + 1;
        else ofs = m;
    }
    return ofs;
}

// Like gallop_left, but the rightmost position (a[k-1] <= key < a[k]): equal items stay first.
static int64_t gallop_right(MergeState *ms, Value key, Value *a, int64_t n, int64_t hint) {
    int64_t ofs = 1, lastofs = 0;
    int k = ISLT(ms, key, a[hint]);
    if (k < 0) return -1;
    if (k) {
        // key < a[hint]: gallop left until a[hint-ofs] <= key < a[hint-lastofs].
        int64_t maxofs = hint + 1;
        while (ofs < maxofs) {
            k = ISLT(ms, key, a[hint - ofs]);
            if (k < 0) return -1;
            if (!k) break;
            lastofs = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        int64_t t = lastofs;
        lastofs = hint - ofs;
        ofs = hint - t;
    } else {
        // a[hint] <= key: gallop right until a[hint+lastofs] <= key < a[hint+ofs].
        int64_t maxofs = n - hint;
        while (ofs < maxofs) {
            k = ISLT(ms, key, a[hint + ofs]);
            if (k < 0) return -1;
            if (k) break;
            lastofs = ofs;
            ofs = (ofs << 1) + 1;
        }
        if (ofs > maxofs) ofs = maxofs;
        lastofs += hint;
        ofs += hint;
    }
    ++lastofs;
    while (lastofs < ofs) {
        int64_t m = lastofs + ((ofs - lastofs) >> 1);
        k = ISLT(ms, key, a[m]);
        if (k < 0) return -1;
        if (k) ofs = m;
        else lastofs = m + 1;
    }
    return ofs;
}

// Grows a merge buffer to hold n values.  New slots are set to None before the GC can see them.
static void buffer_reserve(Vm *vm, ObjList *buf, int64_t n) {
    if (!buf || (size_t)n <= buf->capacity) return;
    buf->items = GC_ARRAY(vm, Value, buf->items, buf->capacity, (size_t)n);
    for (size_t i = buf->capacity; i < (size_t)n; i++) buf->items[i] = NONE_VAL();
    buf->capacity = buf->count = (size_t)n;
}

// Makes the merge buffers at least n long and returns them as a Slice.
static Slice merge_getmem(MergeState *ms, int64_t n) {
    buffer_reserve(ms->vm, ms->tmp_keys, n);
    buffer_reserve(ms->vm, ms->tmp_values, n);
    return (Slice){ms->tmp_keys->items, ms->tmp_values ? ms->tmp_values->items : NULL};
}

// Merges the na items at ssa with the nb items at ssb that follow them, na <= nb.  The first item
// of b and the last of a are known to be out of place (merge_at arranged that).
static bool merge_lo(MergeState *ms, Slice ssa, int64_t na, Slice ssb, int64_t nb) {
    Slice tmp = merge_getmem(ms, na);
    slice_move(&tmp, 0, &ssa, 0, na);
    Slice dest = ssa;
    ssa = tmp;
    bool ok = false;

    slice_copy_incr(&dest, &ssb);
    --nb;
    if (nb == 0) goto succeed;
    if (na == 1) goto copy_b;

    int64_t min_gallop = ms->min_gallop;
    for (;;) {
        int64_t acount = 0, bcount = 0; // times A or B won in a row
        // The straightforward merge, until one run seems to win consistently.
        for (;;) {
            int k = ISLT(ms, ssb.keys[0], ssa.keys[0]);
            if (k < 0) goto fail;
            if (k) {
                slice_copy_incr(&dest, &ssb);
                ++bcount;
                acount = 0;
                if (--nb == 0) goto succeed;
                if (bcount >= min_gallop) break;
            } else {
                slice_copy_incr(&dest, &ssa);
                ++acount;
                bcount = 0;
                if (--na == 1) goto copy_b;
                if (acount >= min_gallop) break;
            }
        }
        // Gallop while it pays off.
        ++min_gallop;
        do {
            min_gallop -= min_gallop > 1;
            ms->min_gallop = min_gallop;
            int64_t k = gallop_right(ms, ssb.keys[0], ssa.keys, na, 0);
            if (k < 0) goto fail;
            acount = k;
            if (k) {
                slice_move(&dest, 0, &ssa, 0, k);
                slice_advance(&dest, k);
                slice_advance(&ssa, k);
                na -= k;
                if (na == 1) goto copy_b;
                if (na == 0) goto succeed; // only with an inconsistent comparison
            }
            slice_copy_incr(&dest, &ssb);
            if (--nb == 0) goto succeed;

            k = gallop_left(ms, ssa.keys[0], ssb.keys, nb, 0);
            if (k < 0) goto fail;
            bcount = k;
            if (k) {
                slice_move(&dest, 0, &ssb, 0, k);
                slice_advance(&dest, k);
                slice_advance(&ssb, k);
                nb -= k;
                if (nb == 0) goto succeed;
            }
            slice_copy_incr(&dest, &ssa);
            if (--na == 1) goto copy_b;
        } while (acount >= MIN_GALLOP || bcount >= MIN_GALLOP);
        ++min_gallop; // leaving galloping mode costs
        ms->min_gallop = min_gallop;
    }
succeed:
    ok = true;
fail:
    if (na) slice_move(&dest, 0, &ssa, 0, na);
    return ok;
copy_b:
    // The last item of a belongs after everything left in b.
    slice_move(&dest, 0, &ssb, 0, nb);
    slice_copy(&dest, nb, &ssa, 0);
    return true;
}

// The mirror image of merge_lo for na > nb: merges from the right end, buffering b.
static bool merge_hi(MergeState *ms, Slice ssa, int64_t na, Slice ssb, int64_t nb) {
    Slice tmp = merge_getmem(ms, nb);
    Slice dest = ssb;
    slice_advance(&dest, nb - 1);
    slice_move(&tmp, 0, &ssb, 0, nb);
    Slice basea = ssa, baseb = tmp;
    ssb = tmp;
    slice_advance(&ssb, nb - 1);
    slice_advance(&ssa, na - 1);
    bool ok = false;

    slice_copy_decr(&dest, &ssa);
    --na;
    if (na == 0) goto succeed;
    if (nb == 1) goto copy_a;

    int64_t min_gallop = ms->min_gallop;
    for (;;) {
        int64_t acount = 0, bcount = 0;
        for (;;) {
            int k = ISLT(ms, ssb.keys[0], ssa.keys[0]);
            if (k < 0) goto fail;
            if (k) {
                slice_copy_decr(&dest, &ssa);
                ++acount;
                bcount = 0;
                if (--na == 0) goto succeed;
                if (acount >= min_gallop) break;
            } else {
                slice_copy_decr(&dest, &ssb);
                ++bcount;
                acount = 0;
                if (--nb == 1) goto copy_a;
                if (bcount >= min_gallop) break;
            }
        }
        ++min_gallop;
        do {
            min_gallop -= min_gallop > 1;
            ms->min_gallop = min_gallop;
            int64_t k = gallop_right(ms, ssb.keys[0], basea.keys, na, na - 1);
            if (k < 0) goto fail;
            k = na - k;
            acount = k;
            if (k) {
                slice_advance(&dest, -k);
                slice_advance(&ssa, -k);
                slice_move(&dest, 1, &ssa, 1, k);
                na -= k;
                if (na == 0) goto succeed;
            }
            slice_copy_decr(&dest, &ssb);
            if (--nb == 1) goto copy_a;

            k = gallop_left(ms, ssa.keys[0], baseb.keys, nb, nb - 1);
            if (k < 0) goto fail;
            k = nb - k;
            bcount = k;
            if (k) {
                slice_advance(&dest, -k);
                slice_advance(&ssb, -k);
                slice_move(&dest, 1, &ssb, 1, k);
                nb -= k;
                if (nb == 1) goto copy_a;
                if (nb == 0) goto succeed; // only with an inconsistent comparison
            }
            slice_copy_decr(&dest, &ssa);
            if (--na == 0) goto succeed;
        } while (acount >= MIN_GALLOP || bcount >= MIN_GALLOP);
        ++min_gallop;
        ms->min_gallop = min_gallop;
    }
succeed:
    ok = true;
fail:
    if (nb) slice_move(&dest, -(nb - 1), &baseb, 0, nb);
    return ok;
copy_a:
    // The first item of b belongs before everything left in a.
    slice_move(&dest, 1 - na, &ssa, 1 - na, na);
    slice_advance(&dest, -na);
    slice_advance(&ssa, -na);
    slice_copy(&dest, 0, &ssb, 0);
    return true;
}

// Merges pending runs i and i+1.
static bool merge_at(MergeState *ms, int i) {
    Slice ssa = ms->pending[i].base, ssb = ms->pending[i + 1].base;
    int64_t na = ms->pending[i].len, nb = ms->pending[i + 1].len;
    ms->pending[i].len = na + nb;
    if (i == ms->n - 3) ms->pending[i + 1] = ms->pending[i + 2];
    --ms->n;

    // Items of a before where b[0] goes are already in place.
    int64_t k = gallop_right(ms, ssb.keys[0], ssa.keys, na, 0);
    if (k < 0) return false;
    slice_advance(&ssa, k);
    na -= k;
    if (na == 0) return true;
    // Items of b after where a[-1] goes are already in place.
    nb = gallop_left(ms, ssa.keys[na - 1], ssb.keys, nb, nb - 1);
    if (nb <= 0) return nb == 0;
    return na <= nb ? merge_lo(ms, ssa, na, ssb, nb) : merge_hi(ms, ssa, na, ssb, nb);
}

// The "power" of the run at s1 (length n1) followed by one of length n2, in a list of n items:
// the depth of their boundary in a conceptual binary merge tree (Munro and Wild's powersort).
static int powerloop(int64_t s1, int64_t n1, int64_t n2, int64_t n) {
    int result = 0;
    // Midpoints a and b of the two runs, doubled so they are integers; compare the binary
    // expansions of a/n and b/n bit by bit until they differ.
    int64_t a = 2 * s1 + n1;
    int64_t b = a + n1 + n2;
    for (;;) {
        ++result;
        if (a >= n) { // both quotient bits are 1
            a -= n;
            b -= n;
        } else if (b >= n) { // a's bit is 0, b's is 1
            break;
        }
        a <<= 1;
        b <<= 1;
    }
    return result;
}

// A new run of length n2 was found: merge the pending runs whose power exceeds the power of the
// boundary between the topmost run and the new one.
static bool found_new_run(MergeState *ms, int64_t n2) {
    if (ms->n == 0) return true;
    Run *p = ms->pending;
    int64_t s1 = p[ms->n - 1].base.keys - ms->basekeys;
    int64_t n1 = p[ms->n - 1].len;
    int power = powerloop(s1, n1, n2, ms->listlen);
    while (ms->n > 1 && p[ms->n - 2].power > power)
        if (!merge_at(ms, ms->n - 2)) return false;
    p[ms->n - 1].power = power;
    return true;
}

static bool merge_force_collapse(MergeState *ms) {
    Run *p = ms->pending;
    while (ms->n > 1) {
        int n = ms->n - 2;
        if (n > 0 && p[n - 1].len < p[n + 1].len) --n;
        if (!merge_at(ms, n)) return false;
    }
    return true;
}

// The run length below which runs are extended by binary insertion: between 32 and 64, so that
// n / minrun is a power of two or a little less.
static int64_t compute_minrun(int64_t n) {
    int64_t r = 0;
    while (n >= 64) {
        r |= n & 1;
        n >>= 1;
    }
    return n + r;
}

static bool timsort(MergeState *ms, Slice lo, int64_t nremaining) {
    if (nremaining < 2) return true;
    ms->basekeys = lo.keys;
    ms->listlen = nremaining;
    int64_t minrun = compute_minrun(nremaining);
    do {
        bool descending;
        int64_t n = count_run(ms, lo.keys, nremaining, &descending);
        if (n < 0) return false;
        if (descending) slice_reverse(&lo, n);
        if (n < minrun) {
            int64_t force = nremaining <= minrun ? nremaining : minrun;
            if (!binarysort(ms, lo, force, n)) return false;
            n = force;
        }
        if (!found_new_run(ms, n)) return false;
        ms->pending[ms->n].base = lo;
        ms->pending[ms->n].len = n;
        ++ms->n;
        slice_advance(&lo, n);
        nremaining -= n;
    } while (nremaining);
    return merge_force_collapse(ms);
}

// A fresh list that takes over `count` values; rooted by the caller.
static ObjList *owner_new(Vm *vm) { return list_new(vm, 0); }

bool sort_list(Vm *vm, ObjList *list, Value key, bool reverse) {
    // The owners are made before the list is emptied, so the items are never unreachable.
    int roots = 0;
    ObjList *items = owner_new(vm);
    vm_push_root(vm, OBJ_VAL(items)), roots++;
    ObjList *keys = NULL;
    ObjList *tmp_keys = owner_new(vm);
    vm_push_root(vm, OBJ_VAL(tmp_keys)), roots++;
    ObjList *tmp_values = NULL;
    if (!IS_NONE(key)) {
        keys = owner_new(vm);
        vm_push_root(vm, OBJ_VAL(keys)), roots++;
        tmp_values = owner_new(vm);
        vm_push_root(vm, OBJ_VAL(tmp_values)), roots++;
    }

    // Detach the items: the list looks empty while user code may run.
    items->items = list->items;
    items->count = list->count;
    items->capacity = list->capacity;
    list->items = NULL;
    list->count = list->capacity = 0;
    int64_t n = (int64_t)items->count;
    bool ok = true;

    if (keys && n > 0) {
        keys->items = GC_ARRAY(vm, Value, NULL, 0, (size_t)n);
        keys->capacity = (size_t)n;
        for (int64_t i = 0; i < n && ok; i++) {
            Value k;
            ok = vm_call1(vm, key, items->items[i], &k);
            if (ok) keys->items[keys->count++] = k;
        }
    }
    if (ok) {
        Slice all = keys ? (Slice){keys->items, items->items} : (Slice){items->items, NULL};
        if (reverse) slice_reverse(&all, n);
        MergeState ms = {.vm = vm, .tmp_keys = tmp_keys, .tmp_values = tmp_values,
                         .min_gallop = MIN_GALLOP, .n = 0};
        ok = timsort(&ms, all, n);
        if (reverse) slice_reverse(&all, n);
    }

    // Put the items back; whatever the list gained meanwhile is dropped, as CPython does.
    bool modified = list->items != NULL || list->count != 0;
    if (list->items) gc_realloc(vm, list->items, sizeof(Value) * list->capacity, 0);
    list->items = items->items;
    list->count = items->count;
    list->capacity = items->capacity;
    items->items = NULL;
    items->count = items->capacity = 0;
    vm_pop_roots(vm, roots);
    if (ok && modified) return vm_raise(vm, vm->ValueError, "list modified during sort");
    return ok;
}
