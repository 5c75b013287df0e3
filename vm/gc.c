/* The allocation funnel and the mark-and-sweep collector (see gc.h). */
#define STRBUF_OWN_OUT_OF_MEMORY // sb_out_of_memory is defined here
#include "gc.h"

#include "frame.h"
#include "compile.h"
#include "hooks.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TOMBSTONE ((ObjStr *)1)

static void out_of_memory(void) {
    fputs("aio: out of memory\n", stderr);
    exit(1);
}

static bool maybe_collect(Vm *vm, size_t growth, bool may_spend);

// ---- the small-block pages ----------------------------------------------------------------------
// Most objects are small and short-lived (a string per word, a tuple per pair, a Handle per
// callback), so blocks up to POOL_LIMIT bytes come from pages instead of malloc.  A page holds
// blocks of one size class (multiples of 16 bytes); a class hands out its free blocks first, then
// carves new ones off its newest page.  Allocating is a few instructions and a block carries no
// malloc header.
//
// Pages of objects are swept in address order (sweep_class), which streams through memory where
// walking a list of objects would jump about; the sweep also rebuilds each class's free list in
// address order and turns pages left empty into spares, which any class may take.  (A generator's
// frame is part of the generator's block.)  Objects too big for a page are malloc'd behind a BigHeader that links them on vm->objects.  AddressSanitizer builds
// skip the pages, so a use after free is still caught.
//
// Pages are cut from arenas mapped from the system, aligned to their size.  Once the heap is big,
// new arenas ask for transparent huge pages where the system has them: a growing heap then takes
// one page fault per arena instead of one per 4 KiB, which was a good part of the time of
// allocation-heavy programs.  Arenas go back to the system when memory runs short (an arena whose
// pages are all spare is unmapped, see release_free_memory) and at exit.
#define POOL_LIMIT 512
#define POOL_CLASSES (POOL_LIMIT / 16)
#define PAGE_BYTES (64 * 1024)
#define PAGE_HEADER 64 // blocks start one cache line in, or more (PAGE_COLOURS)
#define PAGE_COLOURS 32
#define ARENA_BYTES (2 * 1024 * 1024)
#define HUGE_AFTER (4 * ARENA_BYTES) // arenas mapped after this many bytes ask for huge pages

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ENABLED 0
#else
#define POOL_ENABLED 1
#endif

typedef struct Page {
    struct Page *next; // the class's pages, newest (the one being carved) first
    size_t block;      // the block size
    char *start;       // the first block
    char *top;         // blocks below top have been handed out at least once
} Page;

// A free block: in a page of objects, kind FREE_KIND tells the sweep it holds no object, and the
// link sits where an object's class pointer does.
typedef struct FreeBlock {
    ObjKind kind;
    struct FreeBlock *next;
} FreeBlock;
#define FREE_KIND ((ObjKind)-1)

typedef struct {
    FreeBlock *free;
    Page *pages;
} SizeClass;

static SizeClass object_classes[POOL_CLASSES + 1]; // index: size class, block size / 16
static Page *spare_pages;
static char *arena_top, *arena_end; // the part of the newest arena not cut into pages yet
static char **arenas;               // every arena, for gc_pool_release
static size_t narenas;

static bool in_pages(size_t size) { return POOL_ENABLED && size <= POOL_LIMIT; }
static size_t size_class(size_t size) { return (size + 15) / 16; }

static bool arena_new(void) {
    // Map twice the size and keep the aligned middle, so the arena can be backed by a huge page.
    char *m = mmap(NULL, 2 * ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return false;
    char *a = (char *)(((uintptr_t)m + ARENA_BYTES - 1) & ~(uintptr_t)(ARENA_BYTES - 1));
    if (a > m) munmap(m, (size_t)(a - m));
    munmap(a + ARENA_BYTES, (size_t)(m + ARENA_BYTES - a));
#ifdef MADV_HUGEPAGE
    if (narenas * ARENA_BYTES >= HUGE_AFTER) madvise(a, ARENA_BYTES, MADV_HUGEPAGE);
#endif
    char **grown = realloc(arenas, sizeof(char *) * (narenas + 1));
    if (!grown) {
        munmap(a, ARENA_BYTES);
        return false;
    }
    arenas = grown;
    arenas[narenas++] = a;
    arena_top = a;
    arena_end = a + ARENA_BYTES;
    return true;
}

static Page *page_new(size_t block) {
    Page *page = spare_pages;
    if (page) {
        spare_pages = page->next;
    } else {
        if (arena_top == arena_end && !arena_new()) return NULL;
        page = (Page *)arena_top;
        arena_top += PAGE_BYTES;
    }
    // Colouring: were the blocks of every page to start at the same offset, the first blocks of
    // all pages (the oldest, often hottest objects) would compete for the same few cache sets.
    static unsigned colour;
    page->block = block;
    page->start = page->top = (char *)page + PAGE_HEADER + 64 * (colour++ % PAGE_COLOURS);
    return page;
}

static void page_release(Page *page) {
    page->next = spare_pages;
    spare_pages = page;
}

// A block of at least size bytes from a class, zeroed unless the caller overwrites all of it;
// NULL when no page can be mapped.
static void *block_alloc(SizeClass *classes, size_t size, bool zero) {
    size_t c = size_class(size);
    SizeClass *sc = &classes[c];
    void *b = sc->free;
    if (b) {
        sc->free = sc->free->next;
    } else {
        Page *page = sc->pages;
        if (!page || page->top + c * 16 > (char *)page + PAGE_BYTES) {
            page = page_new(c * 16);
            if (!page) return NULL;
            page->next = sc->pages;
            sc->pages = page;
        }
        b = page->top;
        page->top += c * 16;
    }
    if (zero) memset(b, 0, size);
    return b;
}

static void block_free(SizeClass *classes, void *b, size_t size) {
    SizeClass *sc = &classes[size_class(size)];
    FreeBlock *fb = b;
    fb->kind = FREE_KIND;
    fb->next = sc->free;
    sc->free = fb;
}

// An arena is aligned to its size, so the arena of a page is its address rounded down.
static char *arena_of(const void *p) { return (char *)((uintptr_t)p & ~(uintptr_t)(ARENA_BYTES - 1)); }

static int compare_addresses(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (char *const *)a, y = (uintptr_t) * (char *const *)b;
    return x < y ? -1 : x > y;
}

// Unmaps the arenas whose pages are all spare (for the newest arena: all the pages cut from it so
// far), so that their memory can serve malloc again, if they make at least half of `wanted`
// bytes; true if some were unmapped.  Only when memory is short: the pages of a program that
// frees and refills its heap would otherwise be unmapped and faulted in again over and over.
static bool release_empty_arenas(size_t wanted) {
    if (!POOL_ENABLED || !spare_pages || !narenas) return false;
    unsigned char *spare = calloc(narenas, 1); // spare pages per arena, then 0xff: unmap it
    if (!spare) return false;
    qsort(arenas, narenas, sizeof *arenas, compare_addresses);
    for (Page *page = spare_pages; page; page = page->next) {
        char *arena = arena_of(page);
        char **slot = bsearch(&arena, arenas, narenas, sizeof *arenas, compare_addresses);
        if (slot) spare[slot - arenas]++;
    }
    char *newest = arena_top && arena_top < arena_end ? arena_of(arena_top) : NULL;
    size_t empty = 0;
    for (size_t i = 0; i < narenas; i++) {
        size_t cut = arenas[i] == newest ? (size_t)(arena_top - newest) / PAGE_BYTES : ARENA_BYTES / PAGE_BYTES;
        if (spare[i] == cut) spare[i] = 0xff, empty += ARENA_BYTES;
    }
    bool release = empty > 0 && empty >= wanted / 2;
    if (release) {
        for (Page **link = &spare_pages; *link;) {
            char *arena = arena_of(*link);
            char **slot = bsearch(&arena, arenas, narenas, sizeof *arenas, compare_addresses);
            if (slot && spare[slot - arenas] == 0xff) *link = (*link)->next;
            else link = &(*link)->next;
        }
        size_t kept = 0;
        for (size_t i = 0; i < narenas; i++) {
            if (spare[i] != 0xff) {
                arenas[kept++] = arenas[i];
                continue;
            }
            if (arenas[i] == newest) arena_top = arena_end = NULL;
            munmap(arenas[i], ARENA_BYTES);
        }
        narenas = kept;
    }
    free(spare);
    return release;
}

void gc_pool_release(void) {
    for (size_t i = 0; i < narenas; i++) munmap(arenas[i], ARENA_BYTES);
    free(arenas);
    arenas = NULL;
    narenas = 0;
    arena_top = arena_end = NULL;
    spare_pages = NULL;
    memset(object_classes, 0, sizeof object_classes);
}

// An object outside the pages (too big for them, or any object under AddressSanitizer) comes
// after one of these: the list of such objects, which the sweep walks.  Objects in pages need no
// link, so the object header is two words.
typedef struct BigHeader {
    struct BigHeader *next;
    size_t pad; // keeps the object 16-byte aligned
} BigHeader;
#define BIG_OBJECT(h) ((Obj *)((h) + 1))
#define BIG_HEADER(o) ((BigHeader *)(o) - 1)

// Calls fn on every object, reachable or not.
static void each_object(Vm *vm, void (*fn)(Vm *vm, Obj *obj)) {
    for (size_t c = 1; c <= POOL_CLASSES; c++)
        for (Page *page = object_classes[c].pages; page; page = page->next)
            for (char *b = page->start; b < page->top; b += page->block)
                if (((Obj *)b)->kind != FREE_KIND) fn(vm, (Obj *)b);
    for (BigHeader *h = vm->objects, *next; h; h = next) {
        next = h->next; // fn may free the object
        fn(vm, BIG_OBJECT(h));
    }
}

void gc_each_object(Vm *vm, void (*fn)(Vm *vm, Obj *obj)) {
    each_object(vm, fn);
}

// Fuzz builds (vm/fuzz_limits.c) play a system with vm->fuzz_memory_limit bytes, so that the
// paths below that answer MemoryError are the ones a fuzzed program reaches.  A request that
// would pass the limit is refused once (a collection follows); then a gc_try_ request is refused
// again (MemoryError at once) while an ordinary one gets its memory with a MemoryError owed, as
// when the reserve is spent.
#ifdef AIO_FUZZ
static bool fuzz_refuses(Vm *vm, size_t size, int attempt, bool may_spend) {
    if (vm->bytes_allocated + size <= vm->fuzz_memory_limit) return false;
    if (attempt == 0 || !may_spend) return true;
    vm_memory_error_owed = true;
    vm_interrupted = 1;
    return false;
}
#define FUZZ_REFUSES(vm, size, attempt, may_spend) fuzz_refuses(vm, size, attempt, may_spend)

// Work that grows with the data is paid for too: every FUZZ_BYTES_PER_TICK bytes allocated spend
// one tick.  Otherwise a loop whose every turn copies more than the last (`s = s + 'abc'`,
// `n = 3 * n`) does quadratic work within its 100,000 ticks: two minutes under ASan, past
// libFuzzer's timeout.  The ticks are taken here and the RuntimeError comes at the next
// checkpoint, as for any other tick (an allocation itself never fails for it).
#define FUZZ_BYTES_PER_TICK (4u << 10)
static void fuzz_pay_for(Vm *vm, size_t bytes) {
    vm->fuzz_bytes_unpaid += bytes;
    if (vm->fuzz_bytes_unpaid < FUZZ_BYTES_PER_TICK) return;
    long ticks = (long)(vm->fuzz_bytes_unpaid / FUZZ_BYTES_PER_TICK);
    vm->fuzz_bytes_unpaid %= FUZZ_BYTES_PER_TICK;
    if (vm->fuzz_ticks > 0) vm->fuzz_ticks = vm->fuzz_ticks > ticks ? vm->fuzz_ticks - ticks : 0;
}
#define FUZZ_PAY_FOR(vm, bytes) fuzz_pay_for(vm, bytes)
#else
#define FUZZ_REFUSES(vm, size, attempt, may_spend) false
#define FUZZ_PAY_FOR(vm, bytes) ((void)0)
#endif

// ---- running out of memory ----------------------------------------------------------------------
// While memory is plentiful a reserve block is held.  When the system refuses an allocation, a
// collection runs and the allocation is tried again; if it still fails, an ordinary allocation
// (the caller cannot handle failure) spends the reserve, gets its memory, and a MemoryError is
// owed: vm_interrupted makes the interpreter raise it at its next check (a call or a backward
// jump, where signals are handled; list_try_append checks too, so C loops building lists stop).
// Allocations whose size the program chooses (big strings, lists, tables) use the gc_try_
// variants instead, which raise MemoryError at once and return NULL; constructors that copy their
// contents (str_new, bytes_new) and StrBuf owe a MemoryError and hand back a cut-short stand-in.
//
// Without its reserve the interpreter is short of memory, and it takes the reserve back before
// it lets the heap grow far: once the heap has grown by LOW_MEMORY_BUDGET bytes (low_memory_limit)
// a collection runs, empty arenas and the C library's free memory go back to the system, and the
// reserve is taken again.  When that fails (the program still holds what filled memory), an
// ordinary allocation goes ahead with a MemoryError owed again, and a gc_try_ one fails.  So a
// program that catches MemoryError and carries on meets MemoryError again, each time, and is
// back to normal as soon as it drops what it held.  What still ends the process ("aio: out of
// memory") is an ordinary allocation that fails after all this: one bigger than what is left
// while the reserve is spent.
#define RESERVE_BYTES (16u << 20)             // room to finish what was started and raise
#define LOW_MEMORY_BUDGET (RESERVE_BYTES / 4) // growth allowed without the reserve
static void *reserve;
static size_t low_memory_limit; // while the reserve is spent: the heap size that collects
static bool collecting;

// The reserve is mapped, not malloc'd: unmapping it gives the address space back for certain,
// where free() could keep it in malloc's heap, out of reach of the pages' arenas.
void gc_take_reserve(void) {
    if (reserve) return;
    void *m = mmap(NULL, RESERVE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    reserve = m == MAP_FAILED ? NULL : m;
}

// After a collection: memory is short if the reserve is spent, so the heap's free memory goes
// back to the system and the reserve is taken again; failing that, the heap may grow by another
// budget before the next attempt.
static void retake_reserve(Vm *vm) {
    if (reserve) return;
    release_empty_arenas(0);
    gc_take_reserve();
    if (!reserve) low_memory_limit = vm->bytes_allocated + LOW_MEMORY_BUDGET;
}

static void owe_memory_error(void) {
    vm_memory_error_owed = true;
    vm_interrupted = 1;
}

// Called before the heap grows by `growth` bytes: collects when it is time.  False when the
// reserve is spent and cannot be taken back: then an allocation that may not spend (a gc_try_
// one) must fail, and any other is allowed with a MemoryError owed.
static bool maybe_collect(Vm *vm, size_t growth, bool may_spend) {
    if (UNLIKELY(!reserve) && vm->bytes_allocated + growth > low_memory_limit) {
        if (vm->gc_enabled && !collecting) gc_collect(vm); // retakes the reserve if it can
        else retake_reserve(vm);
        if (!reserve) {
            if (!may_spend) return false;
            owe_memory_error();
        }
        return true;
    }
#ifdef AIO_STRESS_GC
    // Every allocation collects while the heap is small; a heap of hundreds of megabytes (the
    // MemoryError tests fill one) is collected as usual, or those tests would take hours.
    if (vm->gc_enabled && (vm->bytes_allocated < (16u << 20) || vm->bytes_allocated + growth > vm->next_gc))
        gc_collect(vm);
#else
    if (vm->gc_enabled && vm->bytes_allocated + growth > vm->next_gc) gc_collect(vm);
#endif
    return true;
}

// Makes room for another attempt at an allocation of `size` bytes that failed: attempt 0
// collects, attempt 1 gives empty arenas back if that can help, and the next (only if may_spend)
// spends the reserve and owes a MemoryError.  False when nothing is left.  (What free() gives
// back to malloc, malloc returns to the system itself, as far as it can.)
static bool recover_memory(Vm *vm, size_t size, int attempt, bool may_spend) {
    if (attempt == 0) {
        if (vm->gc_enabled && !collecting) gc_collect(vm);
        return true;
    }
    if (attempt == 1 && release_empty_arenas(size)) return true;
    if (attempt <= 2 && may_spend && reserve) {
        munmap(reserve, RESERVE_BYTES);
        reserve = NULL;
        low_memory_limit = vm->bytes_allocated + LOW_MEMORY_BUDGET;
        owe_memory_error();
        return true;
    }
    return false;
}

// A StrBuf that could not grow (vm/strbuf.h): the MemoryError is owed the same way.
void sb_out_of_memory(void) { owe_memory_error(); }

static void *system_realloc(Vm *vm, void *ptr, size_t new_size, bool may_spend) {
    void *result;
    for (int attempt = 0; !(result = FUZZ_REFUSES(vm, new_size, attempt, may_spend) ? NULL : realloc(ptr, new_size));
         attempt++)
        if (!recover_memory(vm, new_size, attempt, may_spend)) return NULL;
    return result;
}

static void *resize(Vm *vm, void *ptr, size_t old_size, size_t new_size, bool may_spend) {
    if (new_size > old_size && !maybe_collect(vm, new_size - old_size, may_spend)) return NULL;
    FUZZ_PAY_FOR(vm, new_size);
    if (new_size == 0) {
        vm->bytes_allocated -= old_size;
        free(ptr);
        return NULL;
    }
    void *result = system_realloc(vm, ptr, new_size, may_spend);
    if (!result) return NULL;
    vm->bytes_allocated += new_size;
    vm->bytes_allocated -= old_size;
    return result;
}

void *gc_realloc(Vm *vm, void *ptr, size_t old_size, size_t new_size) {
    void *result = resize(vm, ptr, old_size, new_size, true);
    if (!result && new_size) out_of_memory();
    return result;
}

void *gc_try_realloc(Vm *vm, void *ptr, size_t old_size, size_t new_size) {
    void *result = resize(vm, ptr, old_size, new_size, false);
    if (!result && new_size) vm_raise_memory_error(vm);
    return result;
}

static Obj *alloc_object(Vm *vm, size_t size, ObjKind kind, ObjClass *cls, bool zero, bool may_spend) {
    if (!maybe_collect(vm, size, may_spend)) return NULL;
    FUZZ_PAY_FOR(vm, size);
    Obj *obj = NULL;
    for (int attempt = 0;; attempt++) {
        if (FUZZ_REFUSES(vm, size, attempt, may_spend)) {
            obj = NULL;
        } else if (in_pages(size)) {
            obj = block_alloc(object_classes, size, zero);
        } else {
            BigHeader *h = zero ? calloc(1, sizeof(BigHeader) + size) : malloc(sizeof(BigHeader) + size);
            if (h) {
                h->next = vm->objects;
                vm->objects = h;
                obj = BIG_OBJECT(h);
            }
        }
        if (obj) break;
        if (!recover_memory(vm, size, attempt, may_spend)) return NULL;
    }
    vm->bytes_allocated += size;
    obj->kind = kind;
    obj->cls = cls;
    obj->marked = false;
    return obj;
}

Obj *gc_alloc_object(Vm *vm, size_t size, ObjKind kind, ObjClass *cls) {
    Obj *obj = alloc_object(vm, size, kind, cls, true, true);
    if (!obj) out_of_memory();
    return obj;
}

Obj *gc_alloc_object_uninit(Vm *vm, size_t size, ObjKind kind, ObjClass *cls) {
    Obj *obj = alloc_object(vm, size, kind, cls, false, true);
    if (!obj) out_of_memory();
    return obj;
}

Obj *gc_alloc_object_or_null(Vm *vm, size_t size, ObjKind kind, ObjClass *cls, bool zero) {
    return size > SIZE_MAX / 2 ? NULL : alloc_object(vm, size, kind, cls, zero, false);
}

Obj *gc_try_alloc_object(Vm *vm, size_t size, ObjKind kind, ObjClass *cls, bool zero) {
    Obj *obj = gc_alloc_object_or_null(vm, size, kind, cls, zero);
    if (!obj) vm_raise_memory_error(vm);
    return obj;
}

void gc_owe_memory_error(void) { sb_out_of_memory(); }

// Below this a library's allocations are left to the reserve: they cannot take all of it.
#define ROOM_CHECKED_FROM LOW_MEMORY_BUDGET

bool gc_make_room(Vm *vm, size_t bytes) {
    if (bytes > SIZE_MAX / 2) return vm_raise_memory_error(vm);
    if (bytes < ROOM_CHECKED_FROM && (reserve || vm->bytes_allocated + bytes <= low_memory_limit)) return true;
    if (!maybe_collect(vm, bytes, false)) return vm_raise_memory_error(vm);
    // The system is asked for the address space itself, which is given back at once: the calls
    // that follow get it (nothing else runs in between).
    for (int attempt = 0;; attempt++) {
        if (!FUZZ_REFUSES(vm, bytes, attempt, false)) {
            void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m != MAP_FAILED) {
                munmap(m, bytes);
                return true;
            }
        }
        if (!recover_memory(vm, bytes, attempt, false)) return vm_raise_memory_error(vm);
    }
}

// ---- marking ------------------------------------------------------------------------------------

// Set when the gray stack could not grow (memory is short, and a big list of containers needs
// a big stack): some marked objects were not traced.
static bool gray_overflowed;

void gc_mark_object(Vm *vm, Obj *obj) {
    if (obj == NULL || obj->marked) return;
    obj->marked = true;
    // A string, bytes or range references nothing but its class: finished here, while its header
    // is in the cache, rather than visited again from the gray stack.
    if (obj->kind == OBJ_STR || obj->kind == OBJ_BYTES || obj->kind == OBJ_RANGE ||
        obj->kind == OBJ_BIGINT) {
        gc_mark_object(vm, (Obj *)obj->cls);
        if (obj->kind == OBJ_RANGE) gc_mark_object(vm, (Obj *)((ObjRange *)obj)->wide);
        return;
    }
    if (vm->gray_count == vm->gray_capacity) {
        if (gray_overflowed) return; // the system said no during this pass: not asked again
        size_t capacity = vm->gray_capacity ? vm->gray_capacity * 2 : 256;
        Obj **gray = realloc(vm->gray, sizeof(Obj *) * capacity);
        if (!gray) {
            gray_overflowed = true; // marked but not traced: trace_references comes back for it
            return;
        }
        vm->gray = gray;
        vm->gray_capacity = capacity;
    }
    vm->gray[vm->gray_count++] = obj;
}

void gc_mark_value(Vm *vm, Value v) {
    if (IS_OBJ(v)) gc_mark_object(vm, AS_OBJ(v));
}

static void mark_values(Vm *vm, const Value *values, size_t n) {
    for (size_t i = 0; i < n; i++) gc_mark_value(vm, values[i]);
}

// A frame's locals and cells are always marked; of its value stack only the live part below sp.
// The interpreter saves sp before anything that can allocate, so sp is exact whenever a
// collection can start (a stale value above it may point at freed memory and must not be read).
static void mark_frame(Vm *vm, Frame *f) {
    gc_mark_object(vm, (Obj *)f->func);
    gc_mark_object(vm, (Obj *)f->code);
    gc_mark_object(vm, (Obj *)f->globals);
    gc_mark_object(vm, (Obj *)f->locals);
    gc_mark_object(vm, (Obj *)f->gen);
    gc_mark_object(vm, (Obj *)f->kwnames);
    gc_mark_value(vm, f->handled);
    ObjCode *code = f->code;
    mark_values(vm, f->slots, (size_t)(code->nlocals + code->ncells));
    if (f->sp > f->stack) mark_values(vm, f->stack, (size_t)(f->sp - f->stack));
}

static void blacken(Vm *vm, Obj *obj) {
    gc_mark_object(vm, (Obj *)obj->cls);
    switch (obj->kind) {
    case OBJ_STR:
    case OBJ_BYTES:
    case OBJ_RANGE:
    case OBJ_BIGINT:
        break; // finished by gc_mark_object
    case OBJ_LIST: {
        ObjList *list = (ObjList *)obj;
        mark_values(vm, list->items, list->count);
        break;
    }
    case OBJ_TUPLE: {
        ObjTuple *t = (ObjTuple *)obj;
        mark_values(vm, t->items, t->count);
        break;
    }
    case OBJ_DICT: {
        ObjDict *d = (ObjDict *)obj;
        for (size_t i = 0; i < d->entry_count; i++) {
            gc_mark_value(vm, d->entries[i].key);
            gc_mark_value(vm, d->entries[i].value);
        }
        break;
    }
    case OBJ_SET: {
        ObjSet *s = (ObjSet *)obj;
        if (s->table)
            for (size_t i = 0; i <= s->mask; i++) gc_mark_value(vm, s->table[i].key);
        break;
    }
    case OBJ_SLICE: {
        ObjSlice *s = (ObjSlice *)obj;
        gc_mark_value(vm, s->start);
        gc_mark_value(vm, s->stop);
        gc_mark_value(vm, s->step);
        break;
    }
    case OBJ_CODE: {
        ObjCode *c = (ObjCode *)obj;
        mark_values(vm, c->constants, c->nconstants);
        for (size_t i = 0; i < c->nnames; i++) gc_mark_object(vm, (Obj *)c->names[i]);
        for (int i = 0; i < c->nlocals; i++) gc_mark_object(vm, (Obj *)c->varnames[i]);
        for (int i = 0; i < c->ncells; i++) gc_mark_object(vm, (Obj *)c->cellnames[i]);
        gc_mark_object(vm, (Obj *)c->name);
        gc_mark_object(vm, (Obj *)c->qualname);
        gc_mark_object(vm, (Obj *)c->filename);
        break;
    }
    case OBJ_FUNCTION: {
        ObjFunction *f = (ObjFunction *)obj;
        gc_mark_object(vm, (Obj *)f->code);
        gc_mark_object(vm, (Obj *)f->globals);
        gc_mark_object(vm, (Obj *)f->defaults);
        gc_mark_object(vm, (Obj *)f->kwdefaults);
        gc_mark_object(vm, (Obj *)f->closure);
        gc_mark_object(vm, (Obj *)f->name);
        gc_mark_object(vm, (Obj *)f->qualname);
        gc_mark_object(vm, (Obj *)f->dict);
        gc_mark_value(vm, f->module);
        gc_mark_value(vm, f->doc);
        break;
    }
    case OBJ_CELL:
        gc_mark_value(vm, ((ObjCell *)obj)->value);
        break;
    case OBJ_NATIVE: {
        ObjNative *n = (ObjNative *)obj;
        gc_mark_object(vm, (Obj *)n->name);
        gc_mark_object(vm, (Obj *)n->owner);
        gc_mark_value(vm, n->data);
        break;
    }
    case OBJ_BOUND:
        gc_mark_value(vm, ((ObjBound *)obj)->self);
        gc_mark_value(vm, ((ObjBound *)obj)->func);
        break;
    case OBJ_CLASS: {
        ObjClass *c = (ObjClass *)obj;
        gc_mark_object(vm, (Obj *)c->name);
        gc_mark_object(vm, (Obj *)c->qualname);
        gc_mark_object(vm, (Obj *)c->base);
        gc_mark_object(vm, (Obj *)c->dict);
        break;
    }
    case OBJ_INSTANCE:
        gc_mark_object(vm, (Obj *)((ObjInstance *)obj)->dict);
        break;
    case OBJ_EXCEPTION: {
        ObjException *e = (ObjException *)obj;
        gc_mark_object(vm, (Obj *)e->dict);
        gc_mark_object(vm, (Obj *)e->args);
        gc_mark_value(vm, e->cause);
        gc_mark_value(vm, e->context);
        gc_mark_value(vm, e->extra);
        gc_mark_value(vm, e->traceback);
        gc_mark_value(vm, e->async_trail);
        for (int i = 0; i < e->ntrace; i++) gc_mark_object(vm, (Obj *)e->trace[i].code);
        break;
    }
    case OBJ_MODULE:
        gc_mark_object(vm, (Obj *)((ObjModule *)obj)->name);
        gc_mark_object(vm, (Obj *)((ObjModule *)obj)->globals);
        break;
    case OBJ_GENERATOR: {
        ObjGenerator *g = (ObjGenerator *)obj;
        gc_mark_object(vm, (Obj *)g->name);
        gc_mark_object(vm, (Obj *)g->qualname);
        gc_mark_object(vm, (Obj *)g->origin_code);
        gc_mark_object(vm, (Obj *)g->code);
        if (g->frame) mark_frame(vm, g->frame);
        break;
    }
    case OBJ_ITER:
        gc_mark_value(vm, ((ObjIter *)obj)->source);
        gc_mark_value(vm, ((ObjIter *)obj)->extra);
        break;
    case OBJ_WRAPPER:
        gc_mark_value(vm, ((ObjWrapper *)obj)->a);
        gc_mark_value(vm, ((ObjWrapper *)obj)->b);
        gc_mark_value(vm, ((ObjWrapper *)obj)->c);
        break;
    case OBJ_FILE:
        gc_mark_object(vm, (Obj *)((ObjFile *)obj)->name);
        gc_mark_object(vm, (Obj *)((ObjFile *)obj)->mode);
        gc_mark_value(vm, ((ObjFile *)obj)->buffer);
        break;
    case OBJ_BOX:
    case OBJ_BYTEARRAY:
        break;
    case OBJ_MEMORYVIEW:
        gc_mark_value(vm, ((ObjMemoryView *)obj)->base);
        break;
    case OBJ_FUTURE:
    case OBJ_HANDLE:
    case OBJ_LOOP:
    case OBJ_SLEEP:
        // asyncio's objects: their layouts are runtime/ 's (runtime/async_gc.c)
        vm_hooks.mark_async(vm, obj);
        break;
    }
}


static void mark_roots(Vm *vm) {
    for (Frame *f = vm->frame; f; f = f->caller) mark_frame(vm, f);
    mark_values(vm, vm->roots, (size_t)vm->nroots);
    gc_mark_value(vm, vm->exception);
    vm_threads_mark(vm, mark_frame); // the saved states of the threads waiting for the lock
    gc_mark_object(vm, (Obj *)vm->builtins);
    gc_mark_object(vm, (Obj *)vm->modules);
    gc_mark_object(vm, (Obj *)vm->main_module);
    gc_mark_object(vm, (Obj *)vm->argv);
    gc_mark_object(vm, (Obj *)vm->script_dir);
    gc_mark_object(vm, (Obj *)vm->stdlib_dir);
    gc_mark_object(vm, (Obj *)vm->memory_error);
    gc_mark_value(vm, vm->stdout_file);
    gc_mark_value(vm, vm->stderr_file);
    gc_mark_value(vm, vm->stdin_file);
    gc_mark_value(vm, vm->ellipsis);
    gc_mark_value(vm, vm->not_implemented);
    gc_mark_value(vm, vm->event_loop);
    gc_mark_value(vm, vm->running_loop);
    mark_values(vm, vm->signal_handlers, NSIG);
    ObjClass *asyncio_classes[] = {vm->future_class, vm->task_class, vm->handle_class, vm->timer_handle_class,
                                   vm->loop_class, vm->future_iter_class,
                                   vm->CancelledError, vm->InvalidStateError};
    for (size_t i = 0; i < sizeof asyncio_classes / sizeof asyncio_classes[0]; i++)
        gc_mark_object(vm, (Obj *)asyncio_classes[i]);
    gc_mark_object(vm, (Obj *)vm->wakeup_native);
    gc_mark_object(vm, (Obj *)vm->until_complete_native);
    for (size_t i = 0; i < vm->nfinalize; i++) gc_mark_object(vm, vm->finalize_queue[i]);
    // Every ObjClass* and ObjStr* field of the Vm, from object_class on, is a root: the classes
    // block, the exception classes and the interned names are laid out as pointer runs.
    ObjClass **classes = &vm->object_class;
    for (ObjClass **c = classes; c <= &vm->iterator_class; c++) gc_mark_object(vm, (Obj *)*c);
    for (ObjClass **c = &vm->BaseException; c <= &vm->BaseExceptionGroup; c++)
        gc_mark_object(vm, (Obj *)*c);
    for (ObjStr **s = &vm->s_init; s <= &vm->s_empty; s++) gc_mark_object(vm, (Obj *)*s);
    for (int i = 0; i < vm->nbinop_names; i++) gc_mark_object(vm, (Obj *)vm->binop_names[i]);
    compile_mark_roots(vm);
}

static void retrace_if_marked(Vm *vm, Obj *obj) {
    if (obj->marked && obj->kind != FREE_KIND) {
        blacken(vm, obj);
        while (vm->gray_count > 0) blacken(vm, vm->gray[--vm->gray_count]);
    }
}

// Drains the gray stack.  If it overflowed, every marked object is traced again (marking what
// the overflow left out) until a pass completes without overflowing: slow, but it needs no memory.
static void trace_references(Vm *vm) {
    while (vm->gray_count > 0) blacken(vm, vm->gray[--vm->gray_count]);
    while (gray_overflowed) {
        gray_overflowed = false;
        each_object(vm, retrace_if_marked);
    }
}

// Does an unreachable object have something to say or do before it goes?  A coroutine never
// awaited, a future whose exception nobody retrieved, a task destroyed while pending; an instance
// with __del__, a generator suspended inside try or with (closing it runs its finally blocks).
static bool wants_finalizer(Obj *o) {
    if (o->kind == OBJ_INSTANCE) return !o->finalized;
    if (o->kind == OBJ_GENERATOR) {
        ObjGenerator *g = (ObjGenerator *)o;
        if (g->flavor == FLAVOR_GENERATOR) return g->state == GEN_SUSPENDED && g->frame->nblocks > 0;
        return g->flavor == FLAVOR_COROUTINE && g->state == GEN_CREATED && !g->was_awaited;
    }
    if (o->kind == OBJ_SLEEP || o->kind == OBJ_FUTURE) return vm_hooks.async_wants_finalizer(o, true);
    return false;
}

// Whether a reachable object might still come to want a finalizer: a coroutine not yet started,
// a future not yet done or holding an exception nobody retrieved.
static bool may_want_finalizer(Obj *o) {
    if (o->kind == OBJ_INSTANCE) return !o->finalized;
    if (o->kind == OBJ_GENERATOR && ((ObjGenerator *)o)->flavor == FLAVOR_GENERATOR)
        return ((ObjGenerator *)o)->state != GEN_CLOSED;
    if (o->kind == OBJ_GENERATOR) return ((ObjGenerator *)o)->state == GEN_CREATED && !((ObjGenerator *)o)->was_awaited;
    return vm_hooks.async_wants_finalizer(o, false); // a future or a sleep
}

void gc_track_finalizable(Vm *vm, Obj *obj) {
    if (vm->nfinalizable == vm->finalizable_capacity) {
        vm->finalizable_capacity = vm->finalizable_capacity ? vm->finalizable_capacity * 2 : 256;
        vm->finalizable = realloc(vm->finalizable, sizeof(Obj *) * vm->finalizable_capacity);
        if (!vm->finalizable) out_of_memory();
    }
    vm->finalizable[vm->nfinalizable++] = obj;
}

static void queue_finalizer(Vm *vm, Obj *o) {
    if (vm->nfinalize == vm->finalize_capacity) {
        vm->finalize_capacity = vm->finalize_capacity ? vm->finalize_capacity * 2 : 16;
        vm->finalize_queue = realloc(vm->finalize_queue, sizeof(Obj *) * vm->finalize_capacity);
        if (!vm->finalize_queue) out_of_memory();
    }
    vm->finalize_queue[vm->nfinalize++] = o;
}

// Moves the tracked objects that die with something to say to the finalize queue, which keeps
// them (and what they reference) alive until the message is printed; forgets the tracked objects
// that die silently or can no longer want a message.
static void queue_finalizers(Vm *vm) {
    size_t keep = 0, first_new = vm->nfinalize;
    for (size_t i = 0; i < vm->nfinalizable; i++) {
        Obj *o = vm->finalizable[i];
        if (!o->marked) {
            if (wants_finalizer(o)) {
                queue_finalizer(vm, o);
                if (o->kind == OBJ_INSTANCE || o->kind == OBJ_GENERATOR) {
                    // Python code to run: at the interpreter's next safe point (a call or a
                    // loop's back jump), where signal handlers run
                    if (o->kind == OBJ_INSTANCE) o->finalized = true;
                    vm->python_finalizers_owed = true;
                    vm_interrupted = 1;
                }
            }
        } else if (may_want_finalizer(o)) {
            vm->finalizable[keep++] = o;
        }
    }
    vm->nfinalizable = keep;
    // vm_report_finalizers takes from the end: reverse what was added, so the oldest speaks first.
    for (size_t i = first_new, j = vm->nfinalize; i + 1 < j; i++, j--) {
        Obj *t = vm->finalize_queue[i];
        vm->finalize_queue[i] = vm->finalize_queue[j - 1];
        vm->finalize_queue[j - 1] = t;
    }
    for (size_t i = 0; i < vm->nfinalize; i++) gc_mark_object(vm, vm->finalize_queue[i]);
    trace_references(vm);
}

void gc_track_view(Vm *vm, ObjMemoryView *view) {
    if (vm->nviews == vm->views_capacity) {
        vm->views_capacity = vm->views_capacity ? vm->views_capacity * 2 : 64;
        vm->views = realloc(vm->views, sizeof(ObjMemoryView *) * vm->views_capacity);
        if (!vm->views) out_of_memory();
    }
    vm->views[vm->nviews++] = view;
}

// After marking, before the sweep (both ends of every view are still readable): a dying view that
// was never released gives its export back to a bytearray that lives on; released and dying
// views leave the list.
static void drop_dead_views(Vm *vm) {
    size_t keep = 0;
    for (size_t i = 0; i < vm->nviews; i++) {
        ObjMemoryView *v = vm->views[i];
        if (v->obj.marked && !v->released) {
            vm->views[keep++] = v;
            continue;
        }
        if (!v->released) {
            ObjByteArray *base = (ObjByteArray *)AS_OBJ(v->base);
            if (base->obj.marked && base->exports > 0) base->exports--;
        }
    }
    vm->nviews = keep;
}

static void remove_white_strings(Vm *vm) {
    for (size_t i = 0; i < vm->intern_capacity; i++) {
        ObjStr *s = vm->interned[i];
        if (s && s != TOMBSTONE && !s->obj.marked) vm->interned[i] = TOMBSTONE;
    }
}

// ---- freeing ------------------------------------------------------------------------------------


// Frees what an object owns (arrays, a file, C state), not the object itself; returns its size.
static size_t release_object(Vm *vm, Obj *obj) {
    size_t size = 0;
    switch (obj->kind) {
    case OBJ_STR:
        size = sizeof(ObjStr) + ((ObjStr *)obj)->length + 1;
        break;
    case OBJ_BYTES:
        size = sizeof(ObjBytes) + ((ObjBytes *)obj)->length + 1;
        break;
    case OBJ_LIST: {
        ObjList *l = (ObjList *)obj;
        gc_realloc(vm, l->items, sizeof(Value) * l->capacity, 0);
        size = sizeof(ObjList);
        break;
    }
    case OBJ_TUPLE:
        size = sizeof(ObjTuple) + sizeof(Value) * ((ObjTuple *)obj)->count;
        break;
    case OBJ_DICT: {
        ObjDict *d = (ObjDict *)obj;
        gc_realloc(vm, d->entries, sizeof(DictEntry) * d->entry_capacity, 0);
        gc_realloc(vm, d->index, sizeof(int32_t) * d->index_size, 0);
        size = sizeof(ObjDict);
        break;
    }
    case OBJ_SET: {
        ObjSet *s = (ObjSet *)obj;
        if (s->table) gc_realloc(vm, s->table, sizeof(SetEntry) * (s->mask + 1), 0);
        size = sizeof(ObjSet);
        break;
    }
    case OBJ_RANGE: size = sizeof(ObjRange); break;
    case OBJ_SLICE: size = sizeof(ObjSlice); break;
    case OBJ_CODE: {
        ObjCode *c = (ObjCode *)obj;
        free(c->words);
        free(c->lines);
        free(c->caches);
        free(c->flow);
        free(c->constants);
        free(c->names);
        free(c->varnames);
        free(c->cellnames);
        free(c->cell_args);
        size = sizeof(ObjCode);
        break;
    }
    case OBJ_FUNCTION: size = sizeof(ObjFunction); break;
    case OBJ_CELL: size = sizeof(ObjCell); break;
    case OBJ_NATIVE: size = sizeof(ObjNative); break;
    case OBJ_BOUND: size = sizeof(ObjBound); break;
    case OBJ_CLASS: size = sizeof(ObjClass); break;
    case OBJ_INSTANCE: size = sizeof(ObjInstance); break;
    case OBJ_EXCEPTION: {
        ObjException *e = (ObjException *)obj;
        free(e->trace);
        size = sizeof(ObjException);
        break;
    }
    case OBJ_MODULE: size = sizeof(ObjModule); break;
    case OBJ_GENERATOR: size = generator_alloc_size(((ObjGenerator *)obj)->code); break;
    case OBJ_ITER: size = sizeof(ObjIter); break;
    case OBJ_WRAPPER: size = sizeof(ObjWrapper); break;
    case OBJ_FILE: {
        ObjFile *f = (ObjFile *)obj;
        if (f->fp && !f->is_std) fclose(f->fp);
        size = sizeof(ObjFile);
        break;
    }
    case OBJ_BOX: {
        ObjBox *b = (ObjBox *)obj;
        if (b->finalize) b->finalize(b->data);
        size = sizeof(ObjBox);
        break;
    }
    case OBJ_FUTURE:
    case OBJ_HANDLE:
    case OBJ_LOOP:
    case OBJ_SLEEP: size = vm_hooks.free_async(obj); break;
    case OBJ_BIGINT:
        mpz_clear(((ObjBigInt *)obj)->value);
        size = sizeof(ObjBigInt);
        break;
    case OBJ_BYTEARRAY: {
        ObjByteArray *b = (ObjByteArray *)obj;
        if (b->data) gc_realloc(vm, b->data, b->capacity, 0);
        size = sizeof(ObjByteArray);
        break;
    }
    case OBJ_MEMORYVIEW: size = sizeof(ObjMemoryView); break;
    }
    vm->bytes_allocated -= size;
    return size;
}

static void free_object(Vm *vm, Obj *obj) {
    size_t size = release_object(vm, obj);
    if (in_pages(size)) block_free(object_classes, obj, size);
    else free(BIG_HEADER(obj));
}

// Frees the unmarked objects of one class's pages and clears the marks of the others.  The free
// list is rebuilt in address order, page by page; a page left empty goes back.
static void sweep_class(Vm *vm, SizeClass *sc) {
    sc->free = NULL;
    FreeBlock **tail = &sc->free;
    for (Page **link = &sc->pages; *link;) {
        Page *page = *link;
        FreeBlock *first = NULL, **page_tail = &first;
        bool live = false;
        for (char *b = page->start; b < page->top; b += page->block) {
            FreeBlock *fb = (FreeBlock *)b;
            if (fb->kind != FREE_KIND) {
                Obj *o = (Obj *)b;
                if (o->marked) {
                    o->marked = false;
                    live = true;
                    continue;
                }
                release_object(vm, o);
                fb->kind = FREE_KIND;
            }
            *page_tail = fb;
            page_tail = &fb->next;
        }
        if (!live) {
            *link = page->next;
            page_release(page);
            continue;
        }
        *page_tail = NULL;
        if (first) {
            *tail = first;
            tail = page_tail;
        }
        link = &page->next;
    }
    *tail = NULL;
}

static void sweep(Vm *vm) {
    for (size_t c = 1; c <= POOL_CLASSES; c++) sweep_class(vm, &object_classes[c]);
    BigHeader **link = &vm->objects;
    while (*link) {
        BigHeader *h = *link;
        Obj *obj = BIG_OBJECT(h);
        if (obj->marked) {
            obj->marked = false;
            link = &h->next;
        } else {
            *link = h->next;
            free_object(vm, obj);
        }
    }
}

void gc_trace(Vm *vm) { trace_references(vm); }

void gc_collect(Vm *vm) {
#ifdef AIO_LOG_GC
    size_t before = vm->bytes_allocated;
#endif
    collecting = true;
    if (vm_hooks.before_marking) vm_hooks.before_marking(vm);
    mark_roots(vm);
    trace_references(vm);
    if (vm_hooks.after_marking) vm_hooks.after_marking(vm);
    queue_finalizers(vm);
    drop_dead_views(vm);
    remove_white_strings(vm);
    sweep(vm);
    vm->next_gc = vm->bytes_allocated * GC_GROW_FACTOR;
    if (vm->next_gc < GC_FIRST_THRESHOLD) vm->next_gc = GC_FIRST_THRESHOLD;
    collecting = false;
    retake_reserve(vm);
#ifdef AIO_LOG_GC
    fprintf(stderr, "-- gc: %zu -> %zu bytes\n", before, vm->bytes_allocated);
#endif
}

void gc_free_all(Vm *vm) {
    each_object(vm, free_object);
    vm->objects = NULL;
    free(vm->gray);
    vm->gray = NULL;
    free(vm->finalize_queue);
    vm->finalize_queue = NULL;
    free(vm->finalizable);
    vm->finalizable = NULL;
    vm->nfinalizable = 0;
    free(vm->views);
    vm->views = NULL;
    vm->nviews = vm->views_capacity = 0;
}
