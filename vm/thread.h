/* Threads and the interpreter lock (thread.c).
 *
 * aio runs Python code on real OS threads, one at a time, as CPython does: a thread runs Python
 * code, touches objects or allocates only while it holds the interpreter lock.  The lock is
 * released around blocking calls (vm_release_lock / vm_acquire_lock) and handed over at regular
 * intervals (sys.setswitchinterval).
 *
 * The execution state of the thread holding the lock lives in the Vm itself (vm->frame, chunk,
 * depth, native_depth, stack_base, exception, the temp roots, the running and current event
 * loops), so the interpreter reads it exactly as it did before threads existed.  A thread that
 * gives up the lock saves these fields into its ThreadState; the thread that takes the lock
 * copies its own back in.  The collector marks the saved state of every thread but the holder's
 * (which is in the Vm): since only the holder allocates, a collection always runs with the other
 * threads stopped at a point where their state is saved.
 */
#ifndef AIO_THREAD_H
#define AIO_THREAD_H

#include <semaphore.h>
#include <stdatomic.h>

#include "vm.h"

typedef struct ThreadState ThreadState;
struct ThreadState {
    ThreadState *next, *prev; // every thread with a state, the main thread first

    // The Vm's per-thread fields, saved here while this thread does not hold the lock.
    Frame *frame;
    FrameChunk *chunk;
    int depth, native_depth;
    char *stack_base;
    Value exception;
    Value *roots;
    int nroots, roots_capacity;
    Value event_loop, running_loop;
    bool event_loop_set;

    // What a new thread runs: roots until it has run them.
    Value start_callable, start_args, start_kwargs;
    Value done_lock;    // a _thread lock released when the thread has ended, or EMPTY
    Value thread_object; // threading's Thread for this thread (for its name), or EMPTY
    Value local_dicts;  // threading.local: {local object: this thread's dict}, EMPTY until needed

    unsigned long ident; // pthread_self() as a number (threading.get_ident())
    long native_id;      // the kernel's thread id (threading.get_native_id())
    bool is_main;
    bool released;       // vm_release_lock dropped the lock (another thread existed then)

    // Waiting on a VmLock: the thread sleeps on its own semaphore, which the lock's release
    // posts (and, for the main thread, a signal's C handler, so Ctrl-C interrupts the wait).
    sem_t parker;
    ThreadState *next_waiter;
    struct VmLock *waiting_on;
    ThreadState *next_deferred; // on thread.c's list of deferred wake-ups
};

// ---- the interpreter lock ----------------------------------------------------------------------
// Around a blocking C call:
//     vm_release_lock(vm);  r = waitpid(pid, &status, 0);  vm_acquire_lock(vm);
// Between the two, touch no object and no Vm field and allocate nothing: copy what the call needs
// out of objects first, raise only after vm_acquire_lock.  Objects needed afterwards must be
// rooted (vm_push_root): another thread may collect meanwhile.  When no other thread exists both
// calls do nothing.
void vm_release_lock(Vm *vm);
void vm_acquire_lock(Vm *vm);
#define VM_BLOCKING(vm, ...)                                                                       \
    do {                                                                                           \
        vm_release_lock(vm);                                                                       \
        __VA_ARGS__;                                                                               \
        vm_acquire_lock(vm);                                                                       \
    } while (0)

// Set (with vm_interrupted) by a thread that has waited a switch interval for the lock: the
// holder gives it up at its next checkpoint (vm_run_signal_handlers calls vm_lock_handover).
extern _Atomic int vm_lock_drop_request;
// Gives the lock to a waiting thread and waits to get it back (a forced switch, as CPython's).
void vm_lock_handover(Vm *vm);
// Wakes the threads a lock release made runnable, if they have waited long enough (thread.c);
// vm_run_signal_handlers calls it at every checkpoint.
void vm_thread_checkpoint(void);
// On the main thread: true.  On another: false, and the main thread checks vm_interrupted again
// when it next takes the lock (Python-level signal handlers run on the main thread only).
bool vm_thread_may_run_signal_handlers(void);
// sys.getswitchinterval / setswitchinterval, in seconds (default 0.005).
double vm_switch_interval(void);
void vm_set_switch_interval(double seconds);

// ---- threads -----------------------------------------------------------------------------------
// Makes the main thread's state and takes the lock (vm_new calls it).
void vm_threads_init(Vm *vm);
// vm_free: forgets the thread states, so that another Vm may be made (the fuzz harness).
void vm_threads_free(Vm *vm);
// The state of the thread calling (NULL on a thread aio did not start).
ThreadState *vm_thread_current(void);
ThreadState *vm_thread_main(void);
ThreadState *vm_thread_first(void); // for walking `next`
bool vm_is_main_thread(void);
// A thread other than the caller has a state (started and not yet ended).
bool vm_other_threads_alive(void);
int vm_thread_count(void);
// Starts an OS thread that calls callable(*args, **kwargs) (kwargs: a dict or EMPTY) holding the
// lock, then releases done_lock (a _thread lock, or EMPTY).  False with an exception pending.
bool vm_thread_start(Vm *vm, Value callable, Value args, Value kwargs, Value done_lock, unsigned long *ident);
// The main thread ends the program: threads still running (daemons) never get the lock again.
void vm_threads_at_exit(Vm *vm);
// In the child of fork(), called by the thread that forked (holding the lock): only it exists
// there.  The lock's mutex and conditions are made anew, the other threads' states are dropped
// (their frames with them) and the caller becomes the main thread.  threading.aio's
// _after_fork() does the same for the Thread objects.
void vm_after_fork_child(Vm *vm);
#define VM_HAS_AFTER_FORK_CHILD 1
// Marks the saved states of the threads not holding the lock (vm/gc.c calls it).
void vm_threads_mark(Vm *vm, void (*mark_frame)(Vm *vm, Frame *f));
// Wakes the main thread if it waits on a VmLock (async-signal-safe: mod_signal's C handler).
void vm_wake_main_thread(void);

// ---- VmLock: the lock under _thread.lock and RLock ---------------------------------------------
// Its fields change only under the interpreter lock, so taking a free one costs no atomic
// instruction; a waiter releases the interpreter lock and sleeps on its parker.  Not fair: a
// thread that releases and re-acquires may take it before a woken waiter does, as CPython's.
typedef struct VmLock {
    bool locked;
    ThreadState *first_waiter, *last_waiter;
} VmLock;
// 1 acquired, 0 not (not blocking, or the timeout passed), -1 a signal handler raised (main
// thread only; the exception is pending).  timeout < 0: no limit.
int vm_lock_acquire(Vm *vm, VmLock *lock, bool blocking, double timeout);
// Frees the lock and wakes its first waiter.  The caller checks it was locked.
void vm_lock_release(VmLock *lock);

#endif
