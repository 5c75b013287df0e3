/* The virtual machine: the interpreter state (struct Vm), running code, calls, temp roots, and
 * the headers of the rest of the VM's public API (error.h, ops.h, attr.h, included at the end).
 * Frames are described in frame.h.
 *
 * Errors follow one rule: a C function that can fail returns false (or NULL) and leaves the
 * exception in vm->exception; its caller checks and propagates.  There is no setjmp/longjmp.
 */
#ifndef AIO_VM_H
#define AIO_VM_H

#include <signal.h>

#include "object.h"
#include "opcodes.h"

typedef struct FrameChunk FrameChunk; // the frame stack (frame.h)

// How run() ended.
typedef enum { RUN_RETURNED, RUN_YIELDED, RUN_RAISED } RunResult;

// How many names runtime/asyncio.h's AsyncioName may have (Vm.s_asyncio).
#define VM_ASYNCIO_NAME_SLOTS 32

struct Vm {
    // -- execution --
    Frame *frame;           // the running frame; NULL between runs
    FrameChunk *chunk;      // the frame stack
    int depth;              // Python-level call depth, for RecursionError
    int recursion_limit;
    int native_depth;       // nesting of run() inside C calls
    char *stack_base;       // the C stack's top when the VM started: bounds how deep C may recurse
    Value exception;        // the pending exception, EMPTY when none

    // -- the object world --
    ObjDict *builtins;      // the builtins module's namespace
    ObjDict *modules;       // sys.modules: name -> module
    ObjStr **interned;      // the intern table: open addressing, NULL free, TOMBSTONE deleted;
    size_t intern_capacity; // weak: strings nobody else marks are removed before the sweep
    size_t intern_count;    // live + tombstones
    ObjModule *main_module;
    ObjList *argv;
    ObjStr *script_dir;     // where `import x` looks for x.aio first
    ObjStr *stdlib_dir;
    Value stdout_file, stderr_file, stdin_file;

    // -- classes of the built-in types (type(x) for every kind of value) --
    ObjClass *object_class, *type_class, *none_class, *bool_class, *int_class, *float_class,
        *str_class, *bytes_class, *list_class, *tuple_class, *dict_class, *set_class,
        *frozenset_class, *range_class, *slice_class, *function_class, *builtin_function_class,
        *method_class, *cell_class, *code_class, *module_class, *generator_class, *coroutine_class,
        *async_generator_class, *property_class, *staticmethod_class, *classmethod_class,
        *super_class, *file_class, *ellipsis_class, *dict_keys_class, *dict_values_class,
        *dict_items_class, *notimpl_class, *asend_class, *traceback_class, *frame_class,
        *bytearray_class, *memoryview_class, *buffered_reader_class, *buffered_writer_class,
        *buffered_random_class, *iterator_class;
    Value ellipsis, not_implemented;

    // -- the exception hierarchy --
    ObjClass *BaseException, *Exception, *ArithmeticError, *ZeroDivisionError, *OverflowError,
        *LookupError, *IndexError, *KeyError, *ValueError, *TypeError, *AttributeError,
        *NameError, *UnboundLocalError, *RuntimeError, *RecursionError, *NotImplementedError,
        *StopIteration, *StopAsyncIteration, *AssertionError, *KeyboardInterrupt, *SystemExit,
        *OSError, *FileNotFoundError, *BlockingIOError, *MemoryError, *ImportError, *ModuleNotFoundError,
        *UnicodeError, *UnicodeDecodeError, *GeneratorExit, *SyntaxError, *IndentationError,
        *EOFError, *FloatingPointError, *Warning, *RuntimeWarning, *DeprecationWarning,
        *UserWarning, *BufferError, *PermissionError, *FileExistsError, *IsADirectoryError,
        *TimeoutError, *UnicodeEncodeError, *UnsupportedOperation, *ExceptionGroup,
        *BaseExceptionGroup;
    ObjException *memory_error; // preallocated: raising it must not allocate

    // -- frequently used names (interned) --
    ObjStr *s_init, *s_new, *s_call, *s_repr, *s_str, *s_name, *s_qualname, *s_module, *s_doc,
        *s_eq, *s_ne, *s_lt, *s_le, *s_gt, *s_ge, *s_hash, *s_len, *s_bool, *s_iter, *s_next,
        *s_getitem, *s_setitem, *s_delitem, *s_contains, *s_enter, *s_exit, *s_getattr,
        *s_setattr, *s_delattr, *s_dict, *s_class, *s_main, *s_builtins, *s_await, *s_aiter,
        *s_anext, *s_aenter, *s_aexit, *s_format, *s_index, *s_neg, *s_pos, *s_invert, *s_abs,
        *s_send, *s_throw, *s_close, *s_get, *s_set, *s_delete, *s_set_name, *s_args, *s_keys,
        *s_int, *s_float, *s_round, *s_reversed, *s_file, *s_lambda, *s_genexpr, *s_listcomp,
        *s_dictcomp, *s_setcomp, *s_module_name, *s_init_subclass, *s_class_getitem,
        // the attribute and method names the C paths of asyncio's transport and streams use
        // (AsyncioName in runtime/asyncio.h; set when the _asyncio module is made)
        *s_asyncio[VM_ASYNCIO_NAME_SLOTS],
        *s_sleep, *s_empty;

    // -- garbage collector (vm/gc.c) --
    struct BigHeader *objects; // the objects outside the GC's pages, newest first (vm/gc.c)
    size_t bytes_allocated;
    size_t next_gc;
    Obj **gray;             // the gray stack of marking
    size_t gray_count, gray_capacity;
    Value *roots;           // temp roots held by C code (vm_push_root); grows as needed, since
    int nroots;             // C code may hold a root across a call that recurses
    int roots_capacity;
    bool gc_enabled;        // false while the VM is being set up
    bool python_finalizers_owed; // the finalize queue holds __del__ calls or generators to close
    bool finalizing;        // vm_report_finalizers is running (it does not nest)
    bool shutting_down;     // the program ended: finalizer errors are reported as at CPython's exit
    Obj **finalizable;      // coroutines and futures that may have something to say when they
    size_t nfinalizable;    // are collected (gc_track_finalizable): each collection checks only
    size_t finalizable_capacity; // these, not every object
    ObjStr *binop_names[48]; // interned operator dunder names, cached by vm/ops.c
    int nbinop_names;
    void *compiler_roots;   // the compiler in progress, whose constants are roots
    ObjMemoryView **views;  // the memoryviews of bytearrays not yet released: when one dies
    size_t nviews;          // unreleased, the collection gives its export back (gc_track_view)
    size_t views_capacity;
    Obj **finalize_queue;   // unreachable objects with a message to print ("coroutine ... was never
    size_t nfinalize;       // awaited", "Task exception was never retrieved"): kept alive until
    size_t finalize_capacity; // vm_report_finalizers() prints them at a safe point

    // -- asyncio --
    Value event_loop;       // the current loop (get_event_loop / set_event_loop), None when unset
    Value running_loop;     // the loop inside run_forever, None when none runs
    bool event_loop_set;    // set_event_loop() was called (then no loop is made implicitly)
    // asyncio's C classes, made on the first import of _asyncio (NULL before)
    ObjClass *future_class, *task_class, *handle_class, *timer_handle_class, *loop_class,
        *future_iter_class, *CancelledError, *InvalidStateError;
    ObjNative *wakeup_native;   // Task.__wakeup, recognised by the loop to skip a bound method
    ObjNative *until_complete_native;

    // -- signals (stdlib/mod_signal.c) --
    Value signal_handlers[NSIG]; // Python-level handlers set by signal.signal(); EMPTY: untouched

    // -- options --
    bool dis_mode;

#ifdef AIO_FUZZ
    // -- fuzz builds only (fuzz/README.md): limits that end a runaway program --
    long fuzz_ticks;          // backward jumps, calls, C-level iterations and event-loop turns
                              // left; once below 0, every further one raises (vm_fuzz_spent)
    size_t fuzz_memory_limit; // heap bytes past which allocations fail as if malloc had (vm/gc.c)
    size_t fuzz_bytes_unpaid; // bytes allocated since the last tick they paid for (vm/gc.c)
    double fuzz_clock_skew;   // seconds the clocks are ahead of real time: sleeps and the event
                              // loop's waits advance it instead of waiting (runtime/clock.c)
#endif
};

// Set by the C signal handler (stdlib/mod_signal.c) when a signal arrives whose Python-level
// handler must run: the interpreter runs it at the next backward jump or call, the event loop
// right after its wait.  For SIGINT that handler raises KeyboardInterrupt unless a program (or
// asyncio.Runner) installed another.
extern _Atomic int vm_interrupted; // lock-free: set by signal handlers and other threads
// An allocation could only be served by spending the GC's reserve, or a StrBuf could not grow: the
// interpreter raises MemoryError at its next check, as it runs signal handlers (vm/gc.c).
extern bool vm_memory_error_owed;
#ifdef AIO_DEBUG
// How often each opcode has run, and [op][1] how often control did not go on to the next word
// after it ([op][0]: it did) (AIO_DEBUG builds only; the opcode unit test reads them).
extern uint64_t vm_debug_op_counts[256];
extern uint64_t vm_debug_branch_counts[256][2];
#endif
// Raises the MemoryError the GC owes, else runs the Python-level handlers of the signals that
// arrived (CPython's PyErr_CheckSignals, through vm_hooks) and clears vm_interrupted.  False with
// the exception pending.
bool vm_run_signal_handlers(Vm *vm);

// ---- fuzz builds (-DAIO_FUZZ, vm/fuzz_limits.c) -------------------------------------------------
// A fuzzer feeds arbitrary programs: they must end soon, in bounded memory, and touch nothing
// outside the process and its current directory.  In a fuzz build every loop turn and call
// spends a tick (vm_fuzz_tick), and natives that act on the world (os.kill, os.system,
// signal.signal, open(), os.remove...) ask vm_sandbox_allows first: with a NULL path the act is
// refused, with a path it is allowed when the path names something in the current directory
// (no '/').  In other builds both compile to nothing.
#ifdef AIO_FUZZ
// Raises the error that ends a program whose budget is spent; always false.
bool vm_fuzz_spent(Vm *vm);
// Spends one tick: false with that error pending when none is left.
static inline bool vm_fuzz_tick(Vm *vm) { return LIKELY(--vm->fuzz_ticks >= 0) || vm_fuzz_spent(vm); }
// False with PermissionError pending when the sandbox refuses `what` on `path`.
bool vm_sandbox_allows(Vm *vm, const char *what, const char *path);
// AddressSanitizer's settings for the fuzz binaries, which it asks for at start-up.
const char *__asan_default_options(void);
// Blocking waits on descriptors (fuzz finding 27): while no other thread runs, nothing could
// make a socket or pipe of the program ready, so a call that would wait for one would wait for
// ever, out of the budget's reach.  vm_fuzz_would_wait is true when a call blocking on `fd` for
// `events` (POLLIN, POLLOUT) could not go on at once: the descriptor is in blocking mode and
// poll says not ready.  Callers then raise vm_fuzz_refuse_wait's RuntimeError (always false)
// instead of calling.
bool vm_fuzz_would_wait(Vm *vm, int fd, short events);
bool vm_fuzz_refuse_wait(Vm *vm, const char *what);
// Set by the libFuzzer harness, which makes a Vm per input in one process: threads are refused
// there (a thread could outlive its Vm); the command-line fuzz binary runs them.
extern bool vm_fuzz_vm_per_input;
#else
static inline bool vm_fuzz_tick(Vm *vm) { (void)vm; return true; }
static inline bool vm_sandbox_allows(Vm *vm, const char *what, const char *path) {
    (void)vm, (void)what, (void)path;
    return true;
}
static inline bool vm_fuzz_would_wait(Vm *vm, int fd, short events) {
    (void)vm, (void)fd, (void)events;
    return false;
}
static inline bool vm_fuzz_refuse_wait(Vm *vm, const char *what) { (void)vm, (void)what; return false; }
#endif

// ---- lifecycle ----------------------------------------------------------------------------------
// A bare VM: no classes, no builtins, the GC off.  runtime_init() (runtime/) makes it usable.
Vm *vm_new(void);
void vm_free(Vm *vm);

// ---- the dispatch loop (vm.c) -------------------------------------------------------------------
// Runs the frame chain from vm->frame until a boundary frame returns, yields or raises (throwing:
// start at the error handler, with vm->exception pending in vm->frame).  Only the files that enter
// frames call it: call.c (calls from C, running modules and class bodies) and gen.c (resuming a
// generator); everyone else goes through vm_call, vm_run_code or gen_resume.
RunResult vm_run(Vm *vm, Value *result, bool throwing);

// ---- argument buffers ---------------------------------------------------------------------------
// A call's arguments with one more value in front (self, the class).  Small calls use the inline
// buffer, so C code that forwards a call costs little C stack; the values are copies of values
// rooted elsewhere.
typedef struct {
    Value inline_items[8];
    Value *items;
} ArgBuf;
static inline Value *argbuf_prepend(ArgBuf *b, Value first, const Value *args, int total) {
    b->items = total + 1 <= 8 ? b->inline_items : malloc(sizeof(Value) * (size_t)(total + 1));
    if (!b->items) {
        fputs("aio: out of memory\n", stderr);
        exit(1);
    }
    b->items[0] = first;
    for (int i = 0; i < total; i++) b->items[i + 1] = args[i];
    return b->items;
}
static inline void argbuf_free(ArgBuf *b) {
    if (b->items != b->inline_items) free(b->items);
}

// ---- temp roots: protect fresh objects in C code across allocations -----------------------------
void vm_grow_roots(Vm *vm);
static inline void vm_push_root(Vm *vm, Value v) {
    if (UNLIKELY(vm->nroots == vm->roots_capacity)) vm_grow_roots(vm);
    vm->roots[vm->nroots++] = v;
}
static inline void vm_pop_root(Vm *vm) { vm->nroots--; }
static inline void vm_pop_roots(Vm *vm, int n) { vm->nroots -= n; }

// The exception an except/finally block is handling, or None.
Value vm_current_handled(Vm *vm);

// The rest of the VM's public API, each part declared beside the file that defines it.
#include "attr.h"  // attribute lookup and instantiation (attr.c)
#include "code.h"  // the layout of code objects and their caches
#include "error.h" // raising and printing exceptions (error.c)
#include "ops.h"   // the object protocol (ops.c)
#include "call.h"  // calls from C, running modules and class bodies (call.c)
#include "gen.h"   // resuming generators and coroutines (gen.c)
#include "thread.h" // threads and the interpreter lock (thread.c)

#endif
