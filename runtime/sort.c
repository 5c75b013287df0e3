/* sort: list.sort() and sorted() -- a stable, adaptive merge sort ("timsort" with powersort's merge
 * order, the algorithm CPython 3.11 uses, as described in its Objects/listsort.txt and in Munro and
 * Wild, "Nearly-Optimal Mergesorts", 2018).
 *
 * Why it must be this exact algorithm: a program can watch the sort through `__lt__` (a method
 * that prints, counts, raises, or answers inconsistently).  CPython is our specification, so we
 * make the same `<` calls, on the same pairs, in the same order, and leave the list in the same
 * state when a comparison raises.  tests/types/sort_comparison_order.aio pins this down.  Only
 * `<` is ever called, always as `x < y` where x is the item that would move first if it won.
 *
 * The plan, in four steps:
 *   1. find_run: take the longest ascending (a <= b <= ...) or strictly descending prefix of what
 *      is left; a descending run is reversed in place (strictness keeps this stable).
 *   2. extend_run_by_insertion: a run shorter than `min_run` (32..64) is grown to min_run items
 *      with binary insertion sort, because merging many tiny runs is slower than inserting.
 *   3. push_run: the run goes on a stack; before that, runs below it are merged in powersort's
 *      order (see boundary_power), which keeps merges balanced, like a nearly-perfect binary tree.
 *   4. merge_runs merges two neighbouring runs, one item at a time, switching to "galloping"
 *      (exponential then binary search) while one side keeps winning (see merge_forward).
 *
 * Keys and values: with key=, the sort orders `keys` and moves each item of `values` alongside
 * its key (Columns below); without key=, the items are their own keys and values is NULL.
 *
 * Memory and the GC: every comparison may run user code, and so a collection.  Every array the
 * sort reads or writes is therefore owned by a rooted ObjList (the detached items, the keys, and
 * the two merge buffers), so each value is always reachable from somewhere the GC marks, even
 * while it is "in flight" between the list and a buffer.  Arrays are only grown before a merge
 * starts; positions are indices, so nothing holds a stale pointer across a reallocation.
 */
#include <string.h>

#include "container.h"

// The threshold a merge starts with: after this many wins in a row by one run, gallop.
#define INITIAL_GALLOP_THRESHOLD 7
// Runs on the stack at most.  Powers strictly grow down the stack and are at most 64 for lists
// that fit in memory, so this is more than enough.
#define MAX_PENDING_RUNS 85

// Parallel arrays: keys[i] decides the order, values[i] (if values is not NULL) moves with it.
typedef struct {
    Value *keys;
    Value *values;
} Columns;

typedef struct {
    int64_t start;  // index of its first item in the list
    int64_t length;
    int power; // powersort's power of the boundary between this run and the one above it
} PendingRun;

typedef struct {
    Vm *vm;
    Columns list;        // the items being sorted (owned by rooted ObjLists, see sort_list)
    int64_t list_length;
    ObjList *buffer_keys;   // merge buffer for keys (rooted)
    ObjList *buffer_values; // merge buffer for values, NULL without key= (rooted)
    // Wins in a row needed before a merge gallops.  It adapts across merges of one sort: it falls
    // while galloping pays off (data with long stretches from one side) and rises when it does not
    // (random data, where plain merging makes fewer comparisons).
    int64_t gallop_threshold;
    PendingRun runs[MAX_PENDING_RUNS];
    int run_count;
} SortState;

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

// --- moving items (keys and values together) ---------------------------------------------------

static void move_items(Columns dst, int64_t to, Columns src, int64_t from, int64_t count) {
    if (count <= 0) return;
    values_move(&dst.keys[to], &src.keys[from], (size_t)count);
    if (dst.values) values_move(&dst.values[to], &src.values[from], (size_t)count);
}

static void copy_item(Columns dst, int64_t to, Columns src, int64_t from) {
    dst.keys[to] = src.keys[from];
    if (dst.values) dst.values[to] = src.values[from];
}

static void reverse_array(Value *a, int64_t count) {
    for (int64_t i = 0, j = count - 1; i < j; i++, j--) {
        Value t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void reverse_items(Columns c, int64_t start, int64_t count) {
    if (count < 2) return; // an empty list's arrays may be NULL: no pointer arithmetic on them
    reverse_array(c.keys + start, count);
    if (c.values) reverse_array(c.values + start, count);
}

// --- steps 1 and 2: runs -------------------------------------------------------------------------

// Length of the run at list[start..] (at most `available` items).  A run is either non-descending
// or strictly descending (*descending set); a strictly descending run may be reversed without
// swapping equal items.  -1 on error.
static int64_t find_run(SortState *st, int64_t start, int64_t available, bool *descending) {
    Value *k = st->list.keys + start;
    *descending = false;
    if (available == 1) return 1;
    int first = less_than(st->vm, k[1], k[0]);
    if (first < 0) return -1;
    *descending = first;
    int64_t length = 2;
    // Extend while each next item keeps the direction: for a descending run, k[i] < k[i-1];
    // for an ascending one, not (k[i] < k[i-1]).
    while (length < available) {
        int lower = less_than(st->vm, k[length], k[length - 1]);
        if (lower < 0) return -1;
        if (lower != first) break;
        length++;
    }
    return length;
}

// list[start, start+sorted) is sorted; inserts the items up to start+target one by one, each at
// the place a binary search finds: after every item it is not less than (so equal items keep
// their order).
static bool extend_run_by_insertion(SortState *st, int64_t start, int64_t sorted, int64_t target) {
    Columns c = st->list;
    if (sorted == 0) sorted = 1;
    for (int64_t next = start + sorted; next < start + target; next++) {
        Value key = c.keys[next];
        // The slot is in [lo, hi]: key is not less than anything before lo, and is less than
        // everything from hi to the end of the sorted part.
        int64_t lo = start, hi = next;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            int below = less_than(st->vm, key, c.keys[mid]);
            if (below < 0) return false;
            if (below) hi = mid;
            else lo = mid + 1;
        }
        Value value = c.values ? c.values[next] : NONE_VAL();
        move_items(c, lo + 1, c, lo, next - lo);
        c.keys[lo] = key;
        if (c.values) c.values[lo] = value;
    }
    return true;
}

// The shortest run the main loop accepts, in 32..64: the list length's top six bits, plus one if
// any lower bit is set.  Then length / min_run is a power of two or a little below one, so the
// runs of a random list merge in balanced pairs.
static int64_t min_run_length(int64_t n) {
    bool low_bits_set = false;
    while (n >= 64) {
        low_bits_set |= n & 1;
        n >>= 1;
    }
    return n + low_bits_set;
}

// --- galloping -----------------------------------------------------------------------------------

// Whether `key` goes after run[i] when key is inserted into the sorted run.  With ties_after,
// key goes after items equal to it (test: not key < run[i]); otherwise before them (test:
// run[i] < key).  1 yes, 0 no, -1 error.
static int goes_after(SortState *st, Value key, Value item, bool ties_after) {
    if (ties_after) {
        int r = less_than(st->vm, key, item);
        return r < 0 ? -1 : !r;
    }
    return less_than(st->vm, item, key);
}

// The number of items of the sorted run[0, n) that key goes after (see goes_after): its insertion
// point.  The search starts at index `hint` (where the answer is expected) and looks at hint+1,
// hint+3, hint+7, ... (or hint-1, hint-3, ... to the left) until it passes the point, then does a
// binary search in the last gap.  Finding a point d places away costs about 2*log2(d) comparisons
// instead of log2(n): cheap when the answer is near the hint, as it is while one run keeps winning.
// -1 on error.
static int64_t gallop(SortState *st, Value key, const Value *run, int64_t n, int64_t hint,
                      bool ties_after) {
    // Afterwards: key goes after run[lo-1] (or lo == 0) and not after run[hi] (or hi == n), and
    // the answer is in [lo, hi].
    int64_t lo, hi;
    int64_t near = 0, far = 1; // offsets from hint; far = 2 * near + 1
    int after = goes_after(st, key, run[hint], ties_after);
    if (after < 0) return -1;
    if (after) {
        // Search rightwards: run[hint + near] is known to come before key.
        int64_t limit = n - hint;
        while (far < limit) {
            after = goes_after(st, key, run[hint + far], ties_after);
            if (after < 0) return -1;
            if (!after) break;
            near = far;
            far = 2 * far + 1;
        }
        if (far > limit) far = limit;
        lo = hint + near + 1;
        hi = hint + far;
    } else {
        // Search leftwards: key is known not to go after run[hint - near].
        int64_t limit = hint + 1;
        while (far < limit) {
            after = goes_after(st, key, run[hint - far], ties_after);
            if (after < 0) return -1;
            if (after) break;
            near = far;
            far = 2 * far + 1;
        }
        if (far > limit) far = limit;
        lo = hint - far + 1;
        hi = hint - near;
    }
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        after = goes_after(st, key, run[mid], ties_after);
        if (after < 0) return -1;
        if (after) lo = mid + 1;
        else hi = mid;
    }
    return hi;
}

// --- step 4: merging two neighbouring runs -------------------------------------------------------

// Makes the merge buffers hold at least n items and returns them.  New slots are set to None
// before the GC can see them.
static Columns reserve_buffer(SortState *st, int64_t n) {
    ObjList *lists[2] = {st->buffer_keys, st->buffer_values};
    for (int i = 0; i < 2; i++) {
        ObjList *buf = lists[i];
        if (!buf || (size_t)n <= buf->capacity) continue;
        buf->items = GC_ARRAY(st->vm, Value, buf->items, buf->capacity, (size_t)n);
        for (size_t j = buf->capacity; j < (size_t)n; j++) buf->items[j] = NONE_VAL();
        buf->capacity = buf->count = (size_t)n;
    }
    return (Columns){st->buffer_keys->items, st->buffer_values ? st->buffer_values->items : NULL};
}

// After `wins` items in a row came from one run by galloping, is it worth galloping on?
static bool gallop_paid_off(int64_t a_wins, int64_t b_wins) {
    return a_wins >= INITIAL_GALLOP_THRESHOLD || b_wins >= INITIAL_GALLOP_THRESHOLD;
}

// Merges run A = list[a_start, +a_len) with run B that follows it (b_len items), when A is the
// shorter: A is copied to the buffer and the output is written from left to right over the list,
// never overtaking the unread part of B.  merge_runs guarantees that B's first item goes first and
// A's last item goes last.
//
// The merge alternates two modes.  One-at-a-time: compare the heads, take the smaller (A on ties,
// for stability), and count wins in a row.  When one side has won gallop_threshold times, switch
// to galloping: find with `gallop` how many items of A go before B's head and move them at once,
// then how many of B go before A's head; stay while either count is at least 7.  Each further
// round of galloping lowers the threshold (min 1); leaving raises it by 1.
//
// If a comparison raises, the buffered part of A is copied back into the gap, so the list still
// holds every item (in a partly merged order, as CPython's).
static bool merge_forward(SortState *st, int64_t a_start, int64_t a_len, int64_t b_len) {
    Columns buf = reserve_buffer(st, a_len);
    Columns out = st->list;
    move_items(buf, 0, out, a_start, a_len);
    int64_t a = 0, a_end = a_len;                          // A's unread items, in buf
    int64_t b = a_start + a_len, b_end = b + b_len;        // B's unread items, in the list
    int64_t dest = a_start;                                // next slot to fill, in the list
    bool ok = true;

    copy_item(out, dest++, out, b++);
    if (b == b_end) goto finish;
    if (a_end - a == 1) goto last_of_a;

    for (;;) {
        int64_t a_wins = 0, b_wins = 0;
        for (;;) { // one at a time
            int b_first = less_than(st->vm, out.keys[b], buf.keys[a]);
            if (b_first < 0) goto error;
            if (b_first) {
                copy_item(out, dest++, out, b++);
                b_wins++, a_wins = 0;
                if (b == b_end) goto finish;
                if (b_wins >= st->gallop_threshold) break;
            } else {
                copy_item(out, dest++, buf, a++);
                a_wins++, b_wins = 0;
                if (a_end - a == 1) goto last_of_a;
                if (a_wins >= st->gallop_threshold) break;
            }
        }
        for (;;) { // galloping
            a_wins = gallop(st, out.keys[b], buf.keys + a, a_end - a, 0, true);
            if (a_wins < 0) goto error;
            move_items(out, dest, buf, a, a_wins);
            dest += a_wins, a += a_wins;
            if (a_end - a == 1) goto last_of_a;
            if (a == a_end) goto finish; // only with inconsistent comparisons
            copy_item(out, dest++, out, b++);
            if (b == b_end) goto finish;

            b_wins = gallop(st, buf.keys[a], out.keys + b, b_end - b, 0, false);
            if (b_wins < 0) goto error;
            move_items(out, dest, out, b, b_wins);
            dest += b_wins, b += b_wins;
            if (b == b_end) goto finish;
            copy_item(out, dest++, buf, a++);
            if (a_end - a == 1) goto last_of_a;

            if (!gallop_paid_off(a_wins, b_wins)) break;
            if (st->gallop_threshold > 1) st->gallop_threshold--;
        }
        st->gallop_threshold++;
    }
error:
    ok = false;
finish:
    move_items(out, dest, buf, a, a_end - a); // the gap left is exactly A's unread part
    return ok;
last_of_a:
    // A's last item is known to go after everything left in B.
    move_items(out, dest, out, b, b_end - b);
    copy_item(out, dest + (b_end - b), buf, a);
    return true;
}

// The mirror image of merge_forward, when B is the shorter: B is buffered and the output is
// written from right to left, taking the larger of the two tails (B's on ties).  Galloping looks
// from the right end of each run (hint = last index).  merge_runs guarantees that A's last item
// goes last and B's first item goes first.
static bool merge_backward(SortState *st, int64_t a_start, int64_t a_len, int64_t b_len) {
    Columns buf = reserve_buffer(st, b_len);
    Columns out = st->list;
    int64_t b_start = a_start + a_len;
    move_items(buf, 0, out, b_start, b_len);
    // Unread items: A is list[a_start, a_stop), B is buf[0, b_stop); dest is the last free slot.
    int64_t a_stop = b_start, b_stop = b_len;
    int64_t dest = b_start + b_len - 1;
    bool ok = true;

    copy_item(out, dest--, out, --a_stop);
    if (a_stop == a_start) goto finish;
    if (b_stop == 1) goto first_of_b;

    for (;;) {
        int64_t a_wins = 0, b_wins = 0;
        for (;;) { // one at a time, from the right
            int a_last = less_than(st->vm, buf.keys[b_stop - 1], out.keys[a_stop - 1]);
            if (a_last < 0) goto error;
            if (a_last) {
                copy_item(out, dest--, out, --a_stop);
                a_wins++, b_wins = 0;
                if (a_stop == a_start) goto finish;
                if (a_wins >= st->gallop_threshold) break;
            } else {
                copy_item(out, dest--, buf, --b_stop);
                b_wins++, a_wins = 0;
                if (b_stop == 1) goto first_of_b;
                if (b_wins >= st->gallop_threshold) break;
            }
        }
        for (;;) { // galloping: how many of A's tail go after B's last item, and vice versa
            int64_t a_left = a_stop - a_start;
            int64_t stays = gallop(st, buf.keys[b_stop - 1], out.keys + a_start, a_left,
                                   a_left - 1, true);
            if (stays < 0) goto error;
            a_wins = a_left - stays;
            dest -= a_wins, a_stop -= a_wins;
            move_items(out, dest + 1, out, a_stop, a_wins);
            if (a_stop == a_start) goto finish;
            copy_item(out, dest--, buf, --b_stop);
            if (b_stop == 1) goto first_of_b;

            stays = gallop(st, out.keys[a_stop - 1], buf.keys, b_stop, b_stop - 1, false);
            if (stays < 0) goto error;
            b_wins = b_stop - stays;
            dest -= b_wins, b_stop -= b_wins;
            move_items(out, dest + 1, buf, b_stop, b_wins);
            if (b_stop == 1) goto first_of_b;
            if (b_stop == 0) goto finish; // only with inconsistent comparisons
            copy_item(out, dest--, out, --a_stop);
            if (a_stop == a_start) goto finish;

            if (!gallop_paid_off(a_wins, b_wins)) break;
            if (st->gallop_threshold > 1) st->gallop_threshold--;
        }
        st->gallop_threshold++;
    }
error:
    ok = false;
finish:
    move_items(out, dest - b_stop + 1, buf, 0, b_stop); // the gap is exactly B's unread part
    return ok;
first_of_b:
    // B's first item is known to go before everything left in A.
    {
        int64_t a_left = a_stop - a_start;
        move_items(out, dest - a_left + 1, out, a_start, a_left);
        copy_item(out, dest - a_left, buf, 0);
    }
    return true;
}

// Merges stack entries i and i+1 into entry i.  Items of A that go before B's first item, and
// items of B that go after A's last item, are already in place: two gallops trim them first, and
// the shorter of what remains is buffered.
static bool merge_runs(SortState *st, int i) {
    PendingRun *r = st->runs;
    int64_t a_start = r[i].start, a_len = r[i].length;
    int64_t b_start = r[i + 1].start, b_len = r[i + 1].length;
    r[i].length = a_len + b_len;
    if (i == st->run_count - 3) r[i + 1] = r[i + 2];
    st->run_count--;

    Value *keys = st->list.keys;
    int64_t in_place = gallop(st, keys[b_start], keys + a_start, a_len, 0, true);
    if (in_place < 0) return false;
    a_start += in_place, a_len -= in_place;
    if (a_len == 0) return true;
    b_len = gallop(st, keys[a_start + a_len - 1], keys + b_start, b_len, b_len - 1, false);
    if (b_len <= 0) return b_len == 0;
    return a_len <= b_len ? merge_forward(st, a_start, a_len, b_len)
                          : merge_backward(st, a_start, a_len, b_len);
}

// --- step 3: powersort's merge order --------------------------------------------------------------

// Picture the list as the interval [0, 1) and each run as a sub-interval.  The boundary between
// two neighbouring runs gets a "power": the position of the first binary digit where the
// fractions of their midpoints differ.  A boundary of power 1 is where a perfectly balanced merge
// tree would make its root merge, power 2 the next level, and so on.  Merging, whenever a new run
// arrives, every stack boundary of higher power than the new one yields a merge tree close to that
// ideal (Munro and Wild, 2018), with merges of nearly equal sizes.
static int boundary_power(int64_t first_start, int64_t first_len, int64_t second_len,
                          int64_t total) {
    // Twice the midpoints, so they are integers; the fractions are x / (2 * total), y / (2 * total).
    int64_t x = 2 * first_start + first_len;
    int64_t y = x + first_len + second_len;
    for (int power = 1;; power++) {
        // The next binary digit of each fraction is 1 iff its doubled numerator reached total.
        bool x_digit = x >= total, y_digit = y >= total;
        if (x_digit != y_digit) return power;
        if (x_digit) x -= total, y -= total;
        x *= 2, y *= 2;
    }
}

// Pushes the run list[start, +length) after merging the runs below whose boundaries have more
// power than its boundary with the current top run.
static bool push_run(SortState *st, int64_t start, int64_t length) {
    if (st->run_count > 0) {
        PendingRun *top = &st->runs[st->run_count - 1];
        int power = boundary_power(top->start, top->length, length, st->list_length);
        while (st->run_count > 1 && st->runs[st->run_count - 2].power > power)
            if (!merge_runs(st, st->run_count - 2)) return false;
        st->runs[st->run_count - 1].power = power;
    }
    st->runs[st->run_count++] = (PendingRun){.start = start, .length = length};
    return true;
}

// At the end, merges the stack down to one run, from the top; of the top three runs, the middle
// one is merged with the smaller of its neighbours.
static bool merge_all(SortState *st) {
    while (st->run_count > 1) {
        int i = st->run_count - 2;
        if (i > 0 && st->runs[i - 1].length < st->runs[i + 1].length) i--;
        if (!merge_runs(st, i)) return false;
    }
    return true;
}

static bool sort_columns(SortState *st) {
    int64_t n = st->list_length;
    if (n < 2) return true;
    int64_t min_run = min_run_length(n);
    for (int64_t start = 0; start < n;) {
        bool descending;
        int64_t length = find_run(st, start, n - start, &descending);
        if (length < 0) return false;
        if (descending) reverse_items(st->list, start, length);
        if (length < min_run) {
            int64_t target = n - start < min_run ? n - start : min_run;
            if (!extend_run_by_insertion(st, start, length, target)) return false;
            length = target;
        }
        if (!push_run(st, start, length)) return false;
        start += length;
    }
    return merge_all(st);
}

// --- entry point ---------------------------------------------------------------------------------

bool sort_list(Vm *vm, ObjList *list, Value key, bool reverse) {
    // Every owner is made (and rooted) before the list is emptied, so the items are never
    // unreachable: `items` takes over the list's array, `keys` holds the key= results.
    int roots = 0;
    ObjList *items = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(items)), roots++;
    ObjList *buffer_keys = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(buffer_keys)), roots++;
    ObjList *keys = NULL, *buffer_values = NULL;
    if (!IS_NONE(key)) {
        keys = list_new(vm, 0);
        vm_push_root(vm, OBJ_VAL(keys)), roots++;
        buffer_values = list_new(vm, 0);
        vm_push_root(vm, OBJ_VAL(buffer_values)), roots++;
    }

    // Detach the items: during the sort the list looks empty to user code, and anything user
    // code adds to it is noticed (and discarded) at the end.
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
        SortState st = {.vm = vm, .list_length = n, .buffer_keys = buffer_keys,
                        .buffer_values = buffer_values,
                        .gallop_threshold = INITIAL_GALLOP_THRESHOLD};
        st.list = keys ? (Columns){keys->items, items->items} : (Columns){items->items, NULL};
        // reverse=True must keep equal items in their original order, so it is not "sort with
        // `>`": reverse, sort stably, reverse back.
        if (reverse) reverse_items(st.list, 0, n);
        ok = sort_columns(&st);
        if (reverse) reverse_items(st.list, 0, n);
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
