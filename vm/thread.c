/* Threads and the interpreter lock: see thread.h for the model.
 *
 * The interpreter lock is a flag under a mutex, with two conditions: `gil_free` is signalled when
 * the holder drops it, `gil_taken` when a thread takes it.  A thread that wants the lock waits on
 * gil_free for one switch interval; when that passes and the lock has not changed hands, it sets
 * vm_lock_drop_request and vm_interrupted.  The holder sees vm_interrupted at its next checkpoint
 * (a backward jump or a call, the places that already run signal handlers), drops the lock and
 * waits on gil_taken until another thread has it, so that it cannot take the lock straight back
 * (CPython's "forced switching").  Single-threaded code pays nothing: the checkpoints test the one
 * flag they always tested, and vm_release_lock / vm_acquire_lock return at once while the main
 * thread is alone (nthreads changes only under the lock, so the holder may read it freely).
 *
 * Signals.  Threads aio starts block every asynchronous signal, so the kernel delivers them to
 * the main thread: its blocking calls (sleep, poll, a lock wait) are the ones interrupted, and
 * only it runs Python-level handlers, as in CPython.  A worker that meets vm_interrupted clears it
 * and leaves `main_signal_check_owed`, which makes the main thread check again when it next takes
 * the lock.
 *
 * At exit the main thread keeps the lock; a daemon thread that asks for it afterwards waits
 * forever, and the process ends under it (CPython's daemon threads end the same way).
 */
#define _GNU_SOURCE
#include "thread.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "gc.h"

_Atomic int vm_lock_drop_request;

static pthread_mutex_t gil_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gil_free;     // the lock was dropped (waits on CLOCK_MONOTONIC)
static pthread_cond_t gil_taken;    // a thread took the lock
static bool gil_locked;
static unsigned long gil_switches;  // how many times the lock was taken
static int gil_waiters;             // threads waiting in gil_take
static bool exiting;                // the main thread ends the program (vm_threads_at_exit)
static _Atomic long switch_interval_ns = 5000000;

static Vm *the_vm;
static __thread ThreadState *current;
static ThreadState *threads;        // the list: the main thread first
static ThreadState *main_thread;
static int nthreads;                // changes only under the interpreter lock
static _Atomic int main_signal_check_owed;

// ---- the lock itself ----------------------------------------------------------------------------

static void monotonic_after(struct timespec *t, long ns) {
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_nsec += ns % 1000000000L;
    t->tv_sec += ns / 1000000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static void gil_take(ThreadState *ts) {
    pthread_mutex_lock(&gil_mutex);
    gil_waiters++;
    while (gil_locked || (exiting && !ts->is_main)) {
        if (exiting && !ts->is_main) {
            gil_waiters--; // a daemon thread after the end: never runs again
            for (;;) pthread_cond_wait(&gil_taken, &gil_mutex);
        }
        unsigned long seen = gil_switches;
        struct timespec deadline;
        long interval = atomic_load(&switch_interval_ns);
        monotonic_after(&deadline, interval > 1000 ? interval : 1000);
        int r = pthread_cond_timedwait(&gil_free, &gil_mutex, &deadline);
        if (r == ETIMEDOUT && gil_locked && gil_switches == seen) {
            atomic_store(&vm_lock_drop_request, 1);
            vm_interrupted = 1;
        }
    }
    gil_waiters--;
    gil_locked = true;
    gil_switches++;
    atomic_store(&vm_lock_drop_request, 0);
    pthread_cond_broadcast(&gil_taken);
    pthread_mutex_unlock(&gil_mutex);
    if (ts->is_main && atomic_exchange(&main_signal_check_owed, 0)) vm_interrupted = 1;
}

// Deferred wake-ups.  A thread that a VmLock's release makes runnable could not run before the
// releasing thread gives up the interpreter lock anyway; woken at once, it would wake, find the
// interpreter lock taken, and sleep again on gil_free.  So the release only puts it on this list
// (under the interpreter lock), and the holder posts the list's parkers right after it drops the
// lock, or at a checkpoint once the oldest has waited DEFER_LIMIT_NS: a holder that keeps running
// then still lets them compete for the lock as any waiter does.  A hand-off between two threads
// (queue.Queue ping-pong) costs one wake-up each way instead of two.
#define DEFER_LIMIT_NS 50000L
static ThreadState *deferred_first, *deferred_last; // linked by next_deferred
static struct timespec deferred_since;

static void defer_wakeup(ThreadState *w) {
    w->next_deferred = NULL;
    if (deferred_last) {
        deferred_last->next_deferred = w;
    } else {
        deferred_first = w;
        clock_gettime(CLOCK_MONOTONIC, &deferred_since);
    }
    deferred_last = w;
    vm_interrupted = 1; // the next checkpoint checks the list's age
}

// Takes the list (under the interpreter lock); post_all then wakes them, either with the
// interpreter lock held or under gil_mutex: a woken thread gets no further than gil_take before
// the poster lets go, so its state cannot be freed (its thread ended) while being posted.
static ThreadState *take_deferred(void) {
    ThreadState *list = deferred_first;
    deferred_first = deferred_last = NULL;
    return list;
}

static void post_all(ThreadState *list) {
    while (list) {
        ThreadState *next = list->next_deferred;
        list->next_deferred = NULL;
        sem_post(&list->parker);
        list = next;
    }
}

void vm_thread_checkpoint(void) {
    if (!deferred_first) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long age = (now.tv_sec - deferred_since.tv_sec) * 1000000000L + (now.tv_nsec - deferred_since.tv_nsec);
    if (age >= DEFER_LIMIT_NS) post_all(take_deferred());
    else vm_interrupted = 1; // look again at the next checkpoint
}

// forced: wait until another thread has taken the lock (when one is waiting for it).  The
// deferred wake-ups are posted once the lock is free.
static void gil_drop(bool forced) {
    ThreadState *wake = take_deferred();
    pthread_mutex_lock(&gil_mutex);
    gil_locked = false;
    pthread_cond_signal(&gil_free);
    post_all(wake);
    if (forced && (gil_waiters > 0 || wake)) {
        unsigned long seen = gil_switches;
        while (gil_switches == seen && gil_waiters > 0) pthread_cond_wait(&gil_taken, &gil_mutex);
    }
    pthread_mutex_unlock(&gil_mutex);
}

// The Vm's per-thread fields, out of the Vm into ts and back.
static void save_state(Vm *vm, ThreadState *ts) {
    ts->frame = vm->frame;
    ts->chunk = vm->chunk;
    ts->depth = vm->depth;
    ts->native_depth = vm->native_depth;
    ts->stack_base = vm->stack_base;
    ts->exception = vm->exception;
    ts->roots = vm->roots;
    ts->nroots = vm->nroots;
    ts->roots_capacity = vm->roots_capacity;
    ts->event_loop = vm->event_loop;
    ts->running_loop = vm->running_loop;
    ts->event_loop_set = vm->event_loop_set;
}

static void restore_state(Vm *vm, const ThreadState *ts) {
    vm->frame = ts->frame;
    vm->chunk = ts->chunk;
    vm->depth = ts->depth;
    vm->native_depth = ts->native_depth;
    vm->stack_base = ts->stack_base;
    vm->exception = ts->exception;
    vm->roots = ts->roots;
    vm->nroots = ts->nroots;
    vm->roots_capacity = ts->roots_capacity;
    vm->event_loop = ts->event_loop;
    vm->running_loop = ts->running_loop;
    vm->event_loop_set = ts->event_loop_set;
}

void vm_release_lock(Vm *vm) {
    ThreadState *ts = current;
    if (!ts) return;
    ts->released = nthreads > 1;
    if (!ts->released) return;
    save_state(vm, ts);
    gil_drop(false);
}

void vm_acquire_lock(Vm *vm) {
    ThreadState *ts = current;
    if (!ts || !ts->released) return;
    ts->released = false;
    gil_take(ts);
    restore_state(vm, ts);
}

void vm_lock_handover(Vm *vm) {
    ThreadState *ts = current;
    if (!ts || nthreads <= 1) {
        atomic_store(&vm_lock_drop_request, 0);
        return;
    }
    save_state(vm, ts);
    gil_drop(true);
    gil_take(ts);
    restore_state(vm, ts);
}

// Kept in whole microseconds, as CPython keeps it (so getswitchinterval() gives back what it
// keeps, not what it was given); a wait is at least one microsecond.
double vm_switch_interval(void) { return (double)(atomic_load(&switch_interval_ns) / 1000) / 1e6; }

void vm_set_switch_interval(double seconds) {
    double us = floor(seconds * 1e6);
    atomic_store(&switch_interval_ns, (us > 1e9 ? 1000000000L : (long)us) * 1000);
}

bool vm_thread_may_run_signal_handlers(void) {
    if (!current || current->is_main) return true;
    atomic_store(&main_signal_check_owed, 1);
    return false;
}

// ---- threads ------------------------------------------------------------------------------------

static ThreadState *state_new(void) {
    ThreadState *ts = calloc(1, sizeof *ts);
    if (!ts) {
        fputs("aio: out of memory\n", stderr);
        exit(1);
    }
    ts->exception = EMPTY_VAL();
    ts->event_loop = ts->running_loop = NONE_VAL();
    ts->start_callable = ts->start_args = ts->start_kwargs = EMPTY_VAL();
    ts->done_lock = ts->thread_object = ts->local_dicts = EMPTY_VAL();
    sem_init(&ts->parker, 0, 0);
    return ts;
}

static void link_state(ThreadState *ts) {
    if (!threads) {
        threads = ts;
    } else {
        ThreadState *last = threads;
        while (last->next) last = last->next;
        last->next = ts;
        ts->prev = last;
    }
    nthreads++;
}

static void unlink_state(ThreadState *ts) {
    if (ts->prev) ts->prev->next = ts->next;
    else threads = ts->next;
    if (ts->next) ts->next->prev = ts->prev;
    nthreads--;
}

// The lock's two conditions; gil_free's timed waits count on CLOCK_MONOTONIC.
static void init_conditions(void) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&gil_free, &attr);
    pthread_cond_init(&gil_taken, NULL);
    pthread_condattr_destroy(&attr);
}

void vm_threads_init(Vm *vm) {
    init_conditions();
    the_vm = vm;
    ThreadState *ts = state_new();
    ts->is_main = true;
    ts->ident = (unsigned long)pthread_self();
    ts->native_id = (long)gettid();
    link_state(ts);
    main_thread = current = ts;
    gil_locked = true;
}

void vm_threads_free(Vm *vm) {
    (void)vm;
    // With other threads still alive (daemon threads at the program's end) nothing is reset:
    // one of them could otherwise take the lock of a freed Vm before the process ends.  The
    // libFuzzer harness, the one caller that makes another Vm, starts no threads (vm_thread_start).
    if (nthreads > 1) return;
    // Only the thread ending the Vm is freed: a daemon thread still blocked in gil_take keeps
    // its state (it never runs again).  The list starts afresh for the next Vm (fuzz harness).
    ThreadState *ts = current;
    if (ts) {
        sem_destroy(&ts->parker);
        free(ts);
    }
    threads = main_thread = current = NULL;
    nthreads = 0;
    deferred_first = deferred_last = NULL;
    pthread_mutex_lock(&gil_mutex);
    gil_locked = false;
    exiting = false;
    pthread_mutex_unlock(&gil_mutex);
}

ThreadState *vm_thread_current(void) { return current; }
ThreadState *vm_thread_main(void) { return main_thread; }
ThreadState *vm_thread_first(void) { return threads; }
bool vm_is_main_thread(void) { return !current || current->is_main; }
bool vm_other_threads_alive(void) { return nthreads > 1; }
int vm_thread_count(void) { return nthreads; }

void vm_wake_main_thread(void) {
    if (main_thread) sem_post(&main_thread->parker);
}

// A _thread function started by start_new_thread raised: CPython reports it as an unraisable
// exception (threading.Thread catches its own errors before this).
static void report_thread_error(Vm *vm, Value callable) {
    Value exc = vm->exception;
    vm_clear_exception(vm);
    if (vm_is_instance(vm, exc, vm->SystemExit)) return;
    vm_push_root(vm, exc);
    fflush(stdout);
    ObjStr *r = vm_repr(vm, callable);
    if (!r) vm_clear_exception(vm);
    fprintf(stderr, "Exception ignored in thread started by: %s\n", r ? r->chars : "<object>");
    vm_print_exception(vm, exc);
    vm_pop_root(vm);
}

static void *thread_main(void *arg) {
    ThreadState *ts = arg;
    current = ts;
    char here;
    gil_take(ts);
    Vm *vm = the_vm;
    ts->stack_base = &here;
    ts->native_id = (long)gettid();
    restore_state(vm, ts);
    // f(*args, **kwargs) through CALL_FUNCTION_EX's helper, whose base is [scratch, f, args, kw].
    vm_push_root(vm, EMPTY_VAL());
    vm_push_root(vm, ts->start_callable);
    vm_push_root(vm, ts->start_args);
    vm_push_root(vm, ts->start_kwargs);
    Value *base = vm->roots + vm->nroots - 4;
    bool has_kw = IS_OBJ(ts->start_kwargs);
    Value result;
    if (!vm_call_function_ex(vm, base, has_kw, &result)) report_thread_error(vm, ts->start_callable);
    vm_pop_roots(vm, 4);
    if (IS_BOX(ts->done_lock)) vm_lock_release(AS_BOX(ts->done_lock)->data);
    unlink_state(ts);
    frame_free_stack(vm);
    free(vm->roots);
    vm->roots = NULL;
    vm->nroots = vm->roots_capacity = 0;
    vm->frame = NULL;
    vm->exception = EMPTY_VAL();
    current = NULL;
    sem_destroy(&ts->parker);
    free(ts);
    gil_drop(false);
    return NULL;
}

bool vm_thread_start(Vm *vm, Value callable, Value args, Value kwargs, Value done_lock, unsigned long *ident) {
    if (exiting) return vm_raise(vm, vm->RuntimeError, "can't create new thread at interpreter shutdown");
#ifdef AIO_FUZZ
    // The libFuzzer harness runs every input on a Vm of its own in one process: a thread could
    // outlive the Vm it runs on, so there the sandbox refuses threads (fuzz finding 35).
    if (vm_fuzz_vm_per_input && !vm_sandbox_allows(vm, "starting a thread", NULL)) return false;
#endif
    ThreadState *ts = state_new();
    ts->start_callable = callable;
    ts->start_args = args;
    ts->start_kwargs = kwargs;
    ts->done_lock = done_lock;
    link_state(ts);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, MAX_C_STACK + 3 * 1024 * 1024);
    // The new thread blocks every signal but the ones a fault raises in it: the kernel then
    // delivers Ctrl-C and the others to the main thread.
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t tid;
    int err = pthread_create(&tid, &attr, thread_main, ts);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        unlink_state(ts);
        sem_destroy(&ts->parker);
        free(ts);
        return vm_raise(vm, vm->RuntimeError, "can't start new thread");
    }
    ts->ident = (unsigned long)tid; // the new thread reads it only once it has the lock
    *ident = ts->ident;
    return true;
}

void vm_threads_at_exit(Vm *vm) {
    (void)vm;
    pthread_mutex_lock(&gil_mutex);
    exiting = true;
    pthread_mutex_unlock(&gil_mutex);
}

static void dequeue(VmLock *l, ThreadState *ts);

void vm_after_fork_child(Vm *vm) {
    (void)vm;
    pthread_mutex_init(&gil_mutex, NULL);
    init_conditions();
    gil_locked = true;
    gil_waiters = 0;
    deferred_first = deferred_last = NULL; // their threads are gone
    atomic_store(&vm_lock_drop_request, 0);
    atomic_store(&main_signal_check_owed, 0);
    ThreadState *me = current;
    for (ThreadState *ts = threads, *next; ts; ts = next) {
        next = ts->next;
        if (ts == me) continue;
        if (ts->waiting_on) dequeue(ts->waiting_on, ts);
        unlink_state(ts);
        for (FrameChunk *c = ts->chunk, *prev; c; c = prev) {
            prev = c->prev;
            free(c);
        }
        free(ts->roots);
        sem_destroy(&ts->parker);
        free(ts);
    }
    sem_destroy(&me->parker);
    sem_init(&me->parker, 0, 0);
    me->waiting_on = NULL;
    me->next_waiter = NULL;
    me->is_main = true;
    me->ident = (unsigned long)pthread_self();
    me->native_id = (long)gettid();
    main_thread = me;
}

void vm_threads_mark(Vm *vm, void (*mark_frame)(Vm *vm, Frame *f)) {
    for (ThreadState *ts = threads; ts; ts = ts->next) {
        gc_mark_value(vm, ts->start_callable);
        gc_mark_value(vm, ts->start_args);
        gc_mark_value(vm, ts->start_kwargs);
        gc_mark_value(vm, ts->done_lock);
        gc_mark_value(vm, ts->thread_object);
        gc_mark_value(vm, ts->local_dicts);
        if (ts == current) continue; // its execution state is in the Vm
        for (Frame *f = ts->frame; f; f = f->caller) mark_frame(vm, f);
        for (int i = 0; i < ts->nroots; i++) gc_mark_value(vm, ts->roots[i]);
        gc_mark_value(vm, ts->exception);
        gc_mark_value(vm, ts->event_loop);
        gc_mark_value(vm, ts->running_loop);
    }
}

// ---- VmLock -------------------------------------------------------------------------------------

static void enqueue(VmLock *l, ThreadState *ts) {
    ts->next_waiter = NULL;
    ts->waiting_on = l;
    if (l->last_waiter) l->last_waiter->next_waiter = ts;
    else l->first_waiter = ts;
    l->last_waiter = ts;
}

static void dequeue(VmLock *l, ThreadState *ts) {
    ThreadState *prev = NULL;
    for (ThreadState *w = l->first_waiter; w; prev = w, w = w->next_waiter) {
        if (w != ts) continue;
        if (prev) prev->next_waiter = w->next_waiter;
        else l->first_waiter = w->next_waiter;
        if (l->last_waiter == w) l->last_waiter = prev;
        break;
    }
    ts->waiting_on = NULL;
    ts->next_waiter = NULL;
}

int vm_lock_acquire(Vm *vm, VmLock *l, bool blocking, double timeout) {
    if (!l->locked) {
        l->locked = true;
        return 1;
    }
    if (!blocking) return 0;
    ThreadState *ts = current;
    struct timespec deadline;
    bool timed = timeout >= 0;
    if (timed) monotonic_after(&deadline, timeout > 1e9 ? (long)1e18 : (long)(timeout * 1e9));
    for (;;) {
        enqueue(l, ts);
        vm_release_lock(vm);
        // A release of the lock, or a signal (main thread), posts the parker.  A post that comes
        // when nobody waits is left over and costs one more turn of this loop later.
        int r = timed ? sem_clockwait(&ts->parker, CLOCK_MONOTONIC, &deadline) : sem_wait(&ts->parker);
        bool timed_out = r != 0 && errno == ETIMEDOUT;
        vm_acquire_lock(vm);
        if (ts->waiting_on) dequeue(l, ts);
        // Taken before anything else: a waiter the release woke must not drop that wake-up.
        if (!l->locked) {
            l->locked = true;
            return 1;
        }
        if (vm_interrupted && !vm_run_signal_handlers(vm)) return -1;
        if (timed_out) return 0;
    }
}

void vm_lock_release(VmLock *l) {
    l->locked = false;
    ThreadState *w = l->first_waiter;
    if (!w) return;
    dequeue(l, w);
    if (nthreads > 1) defer_wakeup(w);
    else sem_post(&w->parker); // a lone main thread waiting on itself: only a signal frees it
}
