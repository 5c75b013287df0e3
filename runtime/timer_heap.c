/* timer_heap: a binary min-heap of timers that moves entries as heapq does.  See timer_heap.h.
 *
 * The layout is the usual implicit tree in an array: the children of items[i] are items[2i+1]
 * and items[2i+2].  Both moves shift a hole rather than swapping pairs: the entry being placed
 * is held aside and written once, where it finally belongs.
 *
 * heapq's particular moves, which decide the order of equal deadlines:
 *   - push: the new entry rises while it is strictly earlier than its parent;
 *   - pop and heapify: the entry to place does not stop on its way down.  The hole goes all the
 *     way to a leaf, each step into the left child unless the left child is not earlier than the
 *     right one; the entry is put at that leaf and then rises as in a push, no higher than where
 *     it started.
 */
#include "timer_heap.h"

#include <stdlib.h>

static bool earlier(const TimerHeapEntry *a, const TimerHeapEntry *b) { return a->when < b->when; }

// The entry at i rises towards `top` while it is earlier than its parent.
static void rise(TimerHeap *h, size_t top, size_t i) {
    TimerHeapEntry moving = h->items[i];
    while (i > top) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&moving, &h->items[parent])) break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = moving;
}

// Re-places the entry at i: its hole sinks to a leaf along the earlier children, then the entry
// rises from there, no higher than i.
static void sink(TimerHeap *h, size_t i) {
    TimerHeapEntry moving = h->items[i];
    size_t start = i;
    for (size_t child = 2 * i + 1; child < h->count; child = 2 * i + 1) {
        if (child + 1 < h->count && !earlier(&h->items[child], &h->items[child + 1])) child++;
        h->items[i] = h->items[child];
        i = child;
    }
    h->items[i] = moving;
    rise(h, start, i);
}

void timer_heap_push(TimerHeap *h, double when, void *owner) {
    if (h->count == h->capacity) {
        size_t capacity = h->capacity ? h->capacity * 2 : 64;
        TimerHeapEntry *items = realloc(h->items, sizeof(TimerHeapEntry) * capacity);
        if (!items) abort(); // as every other allocation of the interpreter's C arrays
        h->items = items;
        h->capacity = capacity;
    }
    h->items[h->count++] = (TimerHeapEntry){when, owner};
    rise(h, 0, h->count - 1);
}

// The last entry fills the root's place and sinks from there.
void *timer_heap_pop(TimerHeap *h) {
    void *owner = h->items[0].owner;
    h->items[0] = h->items[--h->count];
    if (h->count) sink(h, 0);
    return owner;
}

size_t timer_heap_remove_if(TimerHeap *h, bool (*drop)(void *owner)) {
    size_t kept = 0, before = h->count;
    for (size_t i = 0; i < before; i++)
        if (!drop(h->items[i].owner)) h->items[kept++] = h->items[i];
    h->count = kept;
    // heapify: every entry that has a child sinks, the last such first.
    for (size_t i = kept / 2; i-- > 0;) sink(h, i);
    return before - kept;
}

void timer_heap_free(TimerHeap *h) {
    free(h->items);
    *h = (TimerHeap){0};
}
