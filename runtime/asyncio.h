/* asyncio's core in C: futures (future.c), tasks (task.c), the event loop, its handles and the
 * _asyncio module (loop.c), the loop's timers (timer_heap.c), asyncio.sleep (sleep.c) and the socket
 * transport's per-chunk paths (transport.c).  The rest of asyncio (gather, locks, queues, ...) is written in aio
 * under stdlib/asyncio/, on top of what this header offers.
 *
 * The one rule of the loop: user code runs only from the ready queue, in loop_run_once(), in the
 * order CPython's BaseEventLoop._run_once would run it (and Python-level signal handlers, right
 * after the wait, as CPython's select() runs them).  libuv's callbacks (the wake-up timer, the
 * async handle of call_soon_threadsafe and signals) only end the wait.
 */
#ifndef AIO_ASYNCIO_H
#define AIO_ASYNCIO_H

#include "runtime.h"
#include "strbuf.h"
#include "vm.h"

// ---- the objects' layouts (object.h names them; vm_hooks lets the GC reach their fields) --------

typedef enum { FUT_PENDING, FUT_CANCELLED, FUT_FINISHED } FutureState;

// A Future, and a Task (a Future that drives a coroutine): the fields follow CPython's
// _asyncio.c FutureObj and TaskObj one for one.
struct ObjFuture {
    Obj obj;
    FutureState state;
    bool is_task;
    bool blocking;          // _asyncio_future_blocking: a Task must wait for it
    bool log_traceback;     // an exception nobody retrieved: reported when collected
    bool in_repr;           // its repr is being built: a repr reached again is "..." (reprlib)
    ObjDict *dict;          // attributes set by programs and subclasses (created on first use)
    Value loop;
    Value result;
    Value exception;        // None when there is none
    Value callback0;        // the first done callback, EMPTY when none (most futures only
                            // ever have one: the task waiting on them)
    ObjList *callbacks;     // the callbacks after the first, in order; NULL when none
    Value cancel_message;   // cancel(msg), or None
    Value cancelled_exc;    // the CancelledError that cancelled it, once made
    Value awaited_by;       // future_add_to_awaited_by's waiters: None, one, or a list
                            // (runtime/call_graph.c)
    // Task only: a plain Future's allocation ends here (FUTURE_SIZE).
    bool must_cancel;       // cancel() arrived while the task was not waiting on a future
    bool log_destroy_pending;
    bool registered;        // in its loop's list of pending tasks, linked by prev_task/next_task
    int num_cancels_requested;
    Value coro;             // the coroutine (or generator) the task drives
    Value fut_waiter;       // the future the task is blocked on, or None
    Value name;             // Task-1, Task-2, ... (a str, or an int made into one lazily)
    bool lost_waker_reported; // runtime/lost_waker.c said nothing can wake it (said once)
    ObjCode *created_code;  // where the program made it (events_caller_location), for the
    int created_line;       // async traceback and reports; NULL when not known
    struct ObjFuture *prev_task, *next_task;
};
#define FUTURE_SIZE offsetof(ObjFuture, must_cancel)
#define TASK_SIZE sizeof(ObjFuture)

// What the loop's timer heap orders: the deadline of a TimerHandle or of a sleep.
typedef struct {
    double when;        // loop time when it is due
    bool scheduled;     // still in the heap
    bool cancelled;
} TimerState;

// A callback the loop will run: call_soon's Handle, call_later's TimerHandle.  (A task's steps
// and wakeups go into the ready queue without one: see runtime/loop.c.)
struct ObjHandle {
    Obj obj;
    Value callback;
    Value args;         // a tuple
    Value loop;
    bool is_timer;
    TimerState timer;   // `cancelled` is used by plain Handles too
};

// The states of a sleep, one per suspension point of CPython's `async def sleep`: created; yielded
// once (a zero sleep); waiting for its timer; woken by it; cancelled while waiting; finished.
typedef enum { SLEEP_CREATED, SLEEP_YIELDED, SLEEP_WAITING, SLEEP_WOKEN, SLEEP_CANCELLED, SLEEP_DONE } SleepState;
// asyncio.sleep(delay, result): a coroutine written in C that behaves as CPython's `async def
// sleep` (runtime/sleep.c).  A task waits on it directly: it is its own timer and its own future.
struct ObjSleep {
    Obj obj;
    uint8_t state;        // SleepState
    bool was_awaited;     // for "coroutine 'sleep' was never awaited"
    int origin_line;      // where it was created, for that warning
    ObjCode *origin_code;
    TimerState timer;     // its deadline while WAITING
    Value delay;          // as given (checked when it starts); once cancelled, the cancel message
    Value result;
    ObjFuture *waiter;    // the task waiting on it, or NULL
    ObjLoop *loop;        // the loop its timer is on, once started
};

struct LoopState; // libuv handles and the C arrays of one loop (runtime/loop.c)

struct ObjLoop {
    Obj obj;
    ObjDict *dict;
    struct LoopState *state;
};

// The classes, made when _asyncio is first imported (vm->asyncio_* fields).
ObjClass *asyncio_invalid_state(Vm *vm);
ObjClass *asyncio_cancelled_error(Vm *vm);
ObjClass *asyncio_future_iter_class(Vm *vm);
// The running loop, else the current one, else a new current one (get_event_loop()).
bool asyncio_get_event_loop(Vm *vm, Value *out);
// __getattr__ of the C objects (Future, Task, the loop) whose subclasses written in aio keep
// their own attributes in a side dict: the value under `name` there, else AttributeError.
bool asyncio_dict_getattr(Vm *vm, ObjDict *dict, Value self, Value name, Value *result);
// The _asyncio module: the event loop, Future, Task (loop.c; found by stdlib/modules.c).
ObjModule *mod_asyncio_core_init(Vm *vm);

// What a Task accepts: a coroutine (or, as CPython 3.11 allows, a plain generator).
static inline bool asyncio_is_coroutine(Value v) {
    return IS_SLEEP(v) || (IS_GENERATOR(v) && AS_GENERATOR(v)->flavor != FLAVOR_ASYNC_GEN);
}

// ---- the garbage collector's view (async_gc.c, called through vm_hooks) --------------------------
void async_gc_mark(Vm *vm, Obj *obj);
size_t async_gc_free(Obj *obj);
bool async_gc_wants_finalizer(Obj *obj, bool unreachable);

// ---- futures (future.c) -------------------------------------------------------------------------
ObjFuture *future_new(Vm *vm, ObjClass *cls, Value loop);
// A Future, or with `task` a Task's larger object (its Task fields None); for future_new and task_new.
ObjFuture *future_alloc(Vm *vm, ObjClass *cls, Value loop, bool task);
// The CancelledError a cancelled future raises; EMPTY with an exception pending.
Value future_make_cancelled_error(Vm *vm, ObjFuture *f);
bool future_set_result(Vm *vm, ObjFuture *f, Value result);
bool future_set_exception(Vm *vm, ObjFuture *f, Value exc);
bool future_cancel(Vm *vm, ObjFuture *f, Value msg);
bool future_result(Vm *vm, ObjFuture *f, Value *out);
bool future_add_done_callback(Vm *vm, ObjFuture *f, Value fn);
// Drops the done callbacks that are `cb` itself.
void future_remove_callback(Vm *vm, ObjFuture *f, Value cb);
bool future_repr_info(Vm *vm, ObjFuture *f, StrBuf *sb);
void runtime_init_future_class(Vm *vm, ObjClass *future);

// A field CPython's futures expose to asyncio's Python code (`_state`, `_coro` ...), as a property
// of cls: get and set (or NULL: read-only) are natives taking the future.  The macros write them.
void future_define_field(Vm *vm, ObjClass *cls, const char *name, NativeFn get, NativeFn set);
#define FUTURE_FIELD_GETTER(fname, expr)                                                           \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {          \
        ObjFuture *f = AS_FUTURE(args[0]);                                                         \
        *result = (expr);                                                                          \
        return true;                                                                               \
    }
#define FUTURE_FLAG_SETTER(fname, field)                                                           \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {          \
        bool truth;                                                                                \
        if (!vm_truthy(vm, args[1], &truth)) return false;                                         \
        AS_FUTURE(args[0])->field = truth;                                                         \
        *result = NONE_VAL();                                                                      \
        return true;                                                                               \
    }

// ---- tasks (task.c) -----------------------------------------------------------------------------
// A task for coro on loop, its first step scheduled; NULL with an exception pending.
ObjFuture *task_new(Vm *vm, ObjClass *cls, Value coro, Value loop, Value name);
bool task_step(Vm *vm, ObjFuture *task, Value exc);
bool task_wakeup(Vm *vm, ObjFuture *task, Value fut);
bool task_handle_yield(Vm *vm, ObjFuture *task, Value result);
bool task_cancel(Vm *vm, ObjFuture *task, Value msg, Value *result);
bool task_repr(Vm *vm, ObjFuture *t, Value *result);
// Also makes vm->wakeup_native.
void runtime_init_task_class(Vm *vm, ObjClass *task);

// ---- a waiting task stands for its own wakeup -----------------------------------------------------
// CPython's Task waits on a future by adding the bound method Task.__wakeup to the future's done
// callbacks; when the future is done the loop runs that method through a Handle.  aio adds the
// task itself (task_handle_yield), and the loop queues a task's wakeup as the task, without a
// Handle (loop_call_soon): a task switch allocates no bound method and no Handle.
// Programs never see the difference.  `_callbacks` and reprs show the task as the bound method
// (vm->wakeup_native bound to the task, made on demand), remove_done_callback compares with that
// bound method, and a Task a program itself passes to add_done_callback is wrapped in a bound
// __call__ first, so that a task among the callbacks is always a wakeup.
//
// The task whose wakeup cb is, in either form (the task itself, or the bound method); else NULL.
static inline ObjFuture *task_of_wakeup(Vm *vm, Value cb) {
    if (IS_FUTURE(cb)) return AS_FUTURE(cb)->is_task ? AS_FUTURE(cb) : NULL;
    if (IS_BOUND(cb) && IS_NATIVE(AS_BOUND(cb)->func) && AS_NATIVE(AS_BOUND(cb)->func) == vm->wakeup_native)
        return AS_FUTURE(AS_BOUND(cb)->self);
    return NULL;
}

typedef struct IoTable IoTable;

// ---- the loop (loop.c) --------------------------------------------------------------------------
// For the GC: a loop's C arrays hold handles, and its state is freed with it.
void loop_mark(Vm *vm, ObjLoop *loop);
void loop_free_state(ObjLoop *loop);
// call_soon(fn, arg): a Handle that will call fn(arg).
bool loop_call_soon(Vm *vm, Value loop, Value fn, Value arg);
// Schedules task's next step (throwing exc into it unless exc is None).
bool loop_call_step(Vm *vm, Value loop, ObjFuture *task, Value exc);
// A sleep's timer, in the loop's heap beside the TimerHandles; cancelling leaves it there, inert.
bool loop_start_sleep_timer(Vm *vm, Value loop, ObjSleep *sleep, double when);
void loop_cancel_sleep_timer(ObjSleep *sleep);
bool loop_register_task(Vm *vm, Value loop, ObjFuture *task);
// The loop's pending tasks, newest first (linked by next_task).
ObjFuture *loop_pending_tasks(ObjLoop *loop);
// The i-th owner in the loop's timer heap (a TimerHandle or a sleep, in no order), NULL past the end.
Obj *loop_timer_owner(ObjLoop *loop, size_t i);
// future_add_to_awaited_by and the rest of what stdlib/asyncio/graph.aio needs (call_graph.c).
void call_graph_define_functions(Vm *vm, ObjDict *module_globals);
void loop_unregister_task(Vm *vm, Value loop, ObjFuture *task);
void loop_enter_task(Vm *vm, Value loop, ObjFuture *task);
void loop_leave_task(Vm *vm, Value loop, ObjFuture *task);
// How long the running loop has been running callbacks (a task's step, a Handle) without getting
// back to its wait: seconds, 0 when no loop runs or it is waiting.  A task that never awaits makes
// it grow; the REPL's Ctrl-C handler (stdlib/aiotools.aio) reads it.
double loop_stalled_seconds(Vm *vm);
// The running loop finalises this async generator in shutdown_asyncgens().
void loop_track_asyncgen(Vm *vm, ObjGenerator *agen);
// For the C signal handler (async-signal-safe): ends the wait of the loop that is waiting.
void loop_signal_wakeup(void);
// Another wait (a blocking subprocess wait, runtime/process.c) takes the place of the loop's:
// loop_signal_wakeup sends `a` until it is set back to NULL.
struct uv_async_s;
void loop_set_signal_wakeup(struct uv_async_s *a);
// The REPL runs its loop an iteration at a time: loop_begin_run marks it running (as
// run_forever does), loop_run_one_iteration runs one iteration (with `wait`, waiting in libuv
// when nothing is ready; false with the exception that escaped), loop_end_run ends the run.
bool loop_begin_run(Vm *vm, Value loop);
bool loop_run_one_iteration(Vm *vm, Value loop, bool wait);
void loop_end_run(Vm *vm, Value loop);

// What io.c needs of the loop.  libuv's loop (NULL once closed); the slot for the loop's I/O table.
struct uv_loop_s *loop_uv(ObjLoop *loop);
IoTable **loop_io_table(ObjLoop *loop);
// From a libuv callback: h joins the ready queue (no allocation of GC objects, no Python code).
void loop_ready_handle(ObjLoop *loop, ObjHandle *h);
ObjHandle *loop_handle_new(Vm *vm, Value loop, Value callback, Value args);
void loop_handle_cancel(Vm *vm, ObjHandle *h);
bool loop_closed(ObjLoop *loop);
// Keeps v alive while a libuv request of the loop is in flight (what its callback will queue).
void loop_hold(Vm *vm, Value loop, Value v);
void loop_release(Vm *vm, Value loop, Value v);
// "f(1) at prog.aio:3": a handle as the views of the event stream show it (runs no Python code).
void loop_describe_handle(Vm *vm, ObjHandle *h, StrBuf *sb);
// RuntimeError "Event loop is closed" when it is.
bool loop_check_open(Vm *vm, ObjLoop *loop);
// A task failed with nobody waiting for it: the loop collects garbage at the end of this
// iteration, so that "Task exception was never retrieved" comes then, not at exit (hints.h).
void loop_collect_soon(Value loop);
// Whether loop (any value) is an event loop in debug mode (get_debug()).
bool loop_in_debug_mode(Value loop);

// ---- the per-chunk paths of the socket transport (transport.c) and StreamReader (streams.c) -------
// Natives the aio classes take as methods: _asyncio._socket_transport_receive and
// _socket_transport_write (stdlib/asyncio/socket_transport.aio), _stream_reader_feed_data,
// _stream_reader_hand_out and _stream_reader_data_future (streams.aio).
void transport_define_functions(Vm *vm, ObjDict *module_globals);
void streams_define_functions(Vm *vm, ObjDict *module_globals);

// The names they read and call, interned once (Vm.s_asyncio keeps them alive).
typedef enum {
    // the transport's state and methods
    AN_GONE, AN_SOCK_FD, AN_PROTOCOL, AN_OUTGOING, AN_EOF_WRITTEN, AN_MAX_SIZE, AN_DATA_RECEIVED,
    AN_PEER_FINISHED, AN_FAIL, AN_KEEP_UNSENT, AN_RECEIVE_IN_AIO, AN_WRITE_IN_AIO,
    // the StreamReader's
    AN_ENDED, AN_UNREAD, AN_WAKEUP, AN_HOLDING, AN_LIMIT, AN_TRANSPORT, AN_LOOP, AN_HOLD_TRANSPORT,
    AN_FEED_DATA_IN_AIO, AN_HAND_OUT_IN_AIO, AN_DATA_FUTURE_IN_AIO,
    AN_COUNT
} AsyncioName;
#define ASYNCIO_NAME(vm, name) ((vm)->s_asyncio[name])
void asyncio_names_init(Vm *vm);
// obj.name(*args) as aio code writes it (at most 3 arguments): a plain method of obj's class is
// called with obj as self, without making a bound method.
bool asyncio_call_attribute(Vm *vm, Value obj, ObjStr *name, Value *args, int nargs, Value *out);
// Natives stored in module_globals that bind self when a class takes them as methods.
void asyncio_define_methods(Vm *vm, ObjDict *module_globals, const MethodDef *methods);

// ---- I/O readiness (io.c): add_reader and friends ------------------------------------------------
// The descriptors one loop watches, made on the first add_reader/add_writer.
void io_define_loop_methods(Vm *vm, ObjClass *loop_class);
void io_mark(Vm *vm, IoTable *io);
// Makes the loop's selector (its epoll set): 0, or the errno (EMFILE).
int io_open(ObjLoop *loop);
// Whether some descriptor is watched (a wait without timers can still end); how many are.
bool io_watching(IoTable *io);
size_t io_watched_count(IoTable *io);
// The watched descriptor whose reader (*reading true) or writer callback would resolve fut: the
// callback is one of fut's bound methods, has fut among its arguments, or closes over it (the
// sock_* coroutines' on_ready); -1 when none does.  For the views: reads, never runs code.
int io_descriptor_for(IoTable *io, Value fut, bool *reading);
// Closing the loop: uv_close on the watch of the loop's epoll set, and the Handles forgotten (the
// caller then runs libuv once so that the close completes), then io_free.
void io_close(IoTable *io);
void io_free(IoTable *io);

// ---- asyncio.sleep (sleep.c) --------------------------------------------------------------------
bool asyncio_sleep_native(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result);
// Sends value into the sleep, or throws exc into it (unless EMPTY): as gen_resume does.
RunResult sleep_resume(Vm *vm, ObjSleep *s, Value value, Value exc, Value *out);
void sleep_awaited(ObjSleep *s); // GET_AWAITABLE reached it (through vm_hooks)
void sleep_close(ObjSleep *s);
// Its timer is due (run from the ready queue): wakes the waiting task.
bool sleep_timer_due(Vm *vm, ObjSleep *s);
// A task waits on the sleep as on a Future: these stand for that Future's add_done_callback
// (false when the sleep is not waiting for its timer), cancel, result and repr.
bool sleep_wait(Vm *vm, ObjSleep *s, ObjFuture *task);
bool sleep_cancel(Vm *vm, ObjSleep *s, Value msg, bool *cancelled);
bool sleep_future_result(Vm *vm, ObjSleep *s);
bool sleep_future_repr(Vm *vm, ObjSleep *s, StrBuf *sb);

#endif
