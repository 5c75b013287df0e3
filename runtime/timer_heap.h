/* timer_heap: the event loop's timers, earliest deadline first, in exactly CPython's order.
 *
 * Each entry is a deadline and an opaque owner (loop.c stores the TimerHandle or the sleep whose
 * timer it is).  CPython keeps its timers in a list managed by heapq, comparing deadlines only
 * (TimerHandle.__lt__).  Which of several timers due at the same moment runs first therefore
 * depends on how heapq moves entries, and a program can print that order: this heap makes the
 * same moves, so it pops ties in the same order (which is not the order they were pushed in).
 * A NaN deadline is never earlier than anything, so it stays wherever it lands, as in CPython.
 *
 * The heap knows nothing of cancellation: loop.c leaves a cancelled timer in place and drops it
 * when it reaches the top, or all at once with timer_heap_remove_if when many are cancelled.
 * Self-contained (no Vm, no GC): tests/unit/timer_heap_test.c exercises it alone.
 */
#ifndef AIO_TIMER_HEAP_H
#define AIO_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double when; // deadline in seconds on the loop's clock
    void *owner;
} TimerHeapEntry;

typedef struct {
    TimerHeapEntry *items; // items[0] is the earliest; no entry is earlier than its parent
    size_t count, capacity;
} TimerHeap;

// An empty heap is all zeros: `TimerHeap h = {0};` needs no init call.
// Adds a timer (heapq.heappush).
void timer_heap_push(TimerHeap *h, double when, void *owner);
// Removes the earliest entry and returns its owner (heapq.heappop).  The heap must not be empty.
void *timer_heap_pop(TimerHeap *h);
// Removes every entry whose owner `drop` accepts, keeping the others in their array order, then
// restores the heap order (heapq.heapify), as CPython's loop does when it compacts its timers.
// drop is called once per entry, first to last, and may update the owner.  Returns how many went.
size_t timer_heap_remove_if(TimerHeap *h, bool (*drop)(void *owner));
// Frees the array; the heap is empty (and usable) afterwards.
void timer_heap_free(TimerHeap *h);

// The earliest entry; the heap must not be empty.
static inline const TimerHeapEntry *timer_heap_top(const TimerHeap *h) { return &h->items[0]; }

#endif
