/* Heap objects: the header every object starts with, and the structs of the core kinds.
 *
 * Every heap object begins with an Obj header: its C-level kind (for the GC's switches), a mark
 * bit and its Python class (`type(x)`, and where method lookup starts).  The header links to no
 * other object: the sweep finds objects by walking the GC's pages, and an object too big for a
 * page carries a BigHeader, with the list link, in front of its Obj (vm/gc.c).  Objects are
 * created only through gc_alloc_object (vm/gc.c), the one allocation funnel, so a collection can
 * happen at any allocation: C code that holds a fresh object across another allocation must
 * protect it (vm_push_root / vm_pop_root).
 *
 * Kinds with Python-visible behaviour keep that behaviour in runtime/<kind>.c; this header fixes
 * their layout so the VM, the GC and the runtime agree on it, and declares their constructors and
 * small mutators (vm/object.c).  Two groups of layouts live elsewhere: code objects in code.h, and
 * asyncio's Future, Handle, sleep and loop in runtime/asyncio.h (the VM only names those; the GC
 * reaches their fields through vm/hooks.h).
 */
#ifndef AIO_OBJECT_H
#define AIO_OBJECT_H

#include <stddef.h>
#include <string.h>

#include <gmp.h>

#include "strbuf.h"
#include "value.h"

typedef struct Vm Vm;
typedef struct Frame Frame;
typedef struct ObjClass ObjClass;
typedef struct ObjStr ObjStr;
typedef struct ObjTuple ObjTuple;
typedef struct ObjDict ObjDict;

typedef enum {
    OBJ_STR,
    OBJ_BYTES,
    OBJ_LIST,
    OBJ_TUPLE,
    OBJ_DICT,
    OBJ_SET,       // set and frozenset (see ObjSet.frozen)
    OBJ_RANGE,
    OBJ_SLICE,
    OBJ_CODE,
    OBJ_FUNCTION,
    OBJ_CELL,
    OBJ_NATIVE,    // a function written in C: builtins and methods of built-in types
    OBJ_BOUND,     // a method bound to its self: obj.method
    OBJ_CLASS,
    OBJ_INSTANCE,  // an instance of a user class that derives from object
    OBJ_EXCEPTION, // an instance of BaseException or a subclass
    OBJ_MODULE,
    OBJ_GENERATOR, // generators, coroutines and async generators (see ObjGenerator.flavor)
    OBJ_ITER,      // the iterators of built-in types, map, zip, enumerate, ...
    OBJ_WRAPPER,   // property, staticmethod, classmethod, dict views, super objects
    OBJ_FILE,      // a file from open(), text or binary (see ObjFile.binary)
    OBJ_BOX,       // C data with a finalizer: used by runtime modules (random's state, ...)
    OBJ_FUTURE,    // asyncio.Future and asyncio.Task (see ObjFuture.is_task)
    OBJ_HANDLE,    // asyncio.Handle and asyncio.TimerHandle: a callback the loop will run
    OBJ_LOOP,      // an event loop
    OBJ_SLEEP,     // the coroutine asyncio.sleep() returns, written in C (runtime/sleep.c)
    OBJ_BIGINT,    // an int outside int64: a GMP integer (runtime/bigint.c)
    OBJ_BYTEARRAY, // a mutable byte string (runtime/bytearray.c)
    OBJ_MEMORYVIEW, // a window on the bytes of a bytes or bytearray (runtime/memoryview.c)
} ObjKind;

struct Obj {
    ObjKind kind;
    bool marked;    // set during marking; clear between collections
    bool finalized; // its __del__ ran (or was queued to run): never again, as in CPython (PEP 442)
    ObjClass *cls;  // type(obj); never NULL once the object is visible to code
};

// ---- strings ------------------------------------------------------------------------------------

// An immutable UTF-8 string.  `length` counts bytes, `nchars` code points: they are equal for ASCII
// text, and then indexing is O(1).  Identifier strings are interned (one object per spelling) so
// attribute and global lookups can compare pointers first.
struct ObjStr {
    Obj obj;
    size_t length;
    size_t nchars;
    uint64_t hash;  // CPython-independent FNV-1a, 0 until first needed: read it with str_hash
    bool interned;
    char chars[];   // length bytes, then a NUL
};

typedef struct {
    Obj obj;
    size_t length;
    uint64_t hash;
    unsigned char data[]; // length bytes, then a NUL
} ObjBytes;

// A mutable byte string.  Its bytes are data[start .. start+length) inside a block of `capacity`
// bytes owned through gc_realloc: deleting from the front only moves `start` forward (the bytes
// are moved back when the unused front grows past half the block), so a stream that consumes
// what it reads from the front pays O(1) per deletion.  While `exports` memoryviews look at it, it
// must not move or change size (BufferError).  data[start + length] is always a NUL.
typedef struct {
    Obj obj;
    unsigned char *data;
    size_t start;
    size_t length;
    size_t capacity;
    size_t exports;  // unreleased memoryviews not yet collected (vm/gc.c drops the dead ones)
} ObjByteArray;

// A memoryview: `length` items, one byte each, `step` bytes apart, from byte `offset` of the bytes
// or bytearray `base` (a view of a view points at the first one's base).  The address is computed
// from the base at each use, because a bytearray's block may move when no view holds it.
typedef struct {
    Obj obj;
    Value base;
    size_t offset;
    size_t length;
    int64_t step;    // 1 for a contiguous view; any non-zero step after slicing with one
    bool released;   // release() was called or the `with` block ended: every use raises
    bool readonly;   // a view of bytes
} ObjMemoryView;

// ---- containers ---------------------------------------------------------------------------------

typedef struct {
    Obj obj;
    Value *items;
    size_t count;
    size_t capacity;
} ObjList;

struct ObjTuple {
    Obj obj;
    size_t count;
    Value items[];
};

// One slot of a dict's entry array, in insertion order.  A deleted entry has key EMPTY.
typedef struct {
    Value key;
    Value value;
    uint64_t hash;
} DictEntry;

// An insertion-ordered hash table, as CPython's compact dict: `entries` in insertion order, and
// `index`, a power-of-two open-addressing table of positions into `entries` (-1 free, -2 deleted).
// Also the storage of instance attributes, class namespaces and module globals.
struct ObjDict {
    Obj obj;
    DictEntry *entries;
    size_t used;        // live entries
    size_t entry_count; // entries filled, live or deleted
    size_t entry_capacity;
    int32_t *index;
    size_t index_size;  // a power of two, or 0 before the first insertion
    uint64_t version;   // bumped on every insertion or deletion: iterators detect changes
};

// A set's open-addressing table laid out as CPython's setobject.c (linear probes, then
// perturbation), so iteration order matches CPython's for values whose hash is fixed.
typedef struct {
    Value key;      // EMPTY for a free slot; `dummy` marks a deleted one
    uint64_t hash;
    bool dummy;
} SetEntry;

typedef struct {
    Obj obj;
    SetEntry *table;
    size_t mask;    // table size - 1
    size_t used;    // live keys
    size_t fill;    // live + dummy
    uint64_t version;
    bool frozen;
} ObjSet;

// A range whose start, stop and step all fit in int64 keeps them here; otherwise `wide` holds the
// three as ints of any size and the int64 fields are unused (runtime/range_wide.c).
typedef struct {
    Obj obj;
    int64_t start, stop, step;
    struct ObjTuple *wide;
} ObjRange;

typedef struct {
    Obj obj;
    Value start, stop, step; // None when omitted
} ObjSlice;

// ---- code and functions -------------------------------------------------------------------------

// A compiled function body: its layout, flags and inline caches are in code.h.
typedef struct ObjCode ObjCode;

typedef struct {
    Obj obj;
    ObjCode *code;
    ObjDict *globals;
    ObjTuple *defaults;   // NULL when none
    ObjDict *kwdefaults;  // NULL when none
    ObjTuple *closure;    // cells for the code's free variables, NULL when none
    ObjStr *name;
    ObjStr *qualname;
    ObjDict *dict;        // function attributes, created on first use
    Value module;         // __module__ name
    Value doc;
} ObjFunction;

typedef struct {
    Obj obj;
    Value value; // EMPTY while the variable is unbound
} ObjCell;

// The calling convention of every C function (vectorcall style): args[0..nargs) are positional,
// then one value per name in kwnames (NULL when there are no keywords).  For a method, args[0] is
// self.  Returns false with an exception pending, or true with *result set.
typedef bool (*NativeFn)(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result);

typedef struct {
    Obj obj;
    NativeFn fn;
    ObjStr *name;
    ObjClass *owner; // the class a method belongs to (for "descriptor 'x' for 'list'"), or NULL
    Value data;      // closure data for natives made at run time (functools.partial, ...)
    bool is_method;  // accessed through an instance, it binds self
    bool is_classmethod; // binds the class instead (dict.fromkeys, ...)
    uint8_t slot;        // a SlotKind: how many arguments a dunder takes (vm/native_args.c)
} ObjNative;

// How a C dunder counts its arguments, as CPython's slot wrappers do (vm/native_args.c).
enum SlotKind { SLOT_NONE, SLOT_NO_ARGS, SLOT_ONE_ARG, SLOT_SEQUENCE_REPEAT, SLOT_TWO_ARGS, SLOT_ONE_OR_TWO,
               SLOT_ANY_ARGS /* __init__, __call__: only self is checked */,
               METHOD_NO_ARGS, METHOD_ONE_ARG /* dunders that CPython makes plain methods */ };

typedef struct {
    Obj obj;
    Value self;
    Value func;
} ObjBound;

// ---- classes and instances ----------------------------------------------------------------------

enum {
    CLASS_BUILTIN = 1 << 0,   // defined in C; instances are not OBJ_INSTANCE
    CLASS_FINAL = 1 << 1,     // cannot be subclassed (bool, NoneType, ...)
    CLASS_EXCEPTION = 1 << 2, // BaseException or a subclass: instances are OBJ_EXCEPTION
    CLASS_EXC_GROUP = 1 << 3, // ExceptionGroup or a subclass: also counts as a BaseExceptionGroup
    CLASS_BASE_EXC_GROUP = 1 << 4, // BaseExceptionGroup itself
    CLASS_INSTANCE_DICT = 1 << 5,  // a C class whose instances take attributes (in their dict)
};

struct ObjClass {
    Obj obj;
    ObjStr *name;
    ObjStr *qualname;
    ObjClass *base;      // single inheritance: NULL only for object
    ObjDict *dict;       // the namespace: methods, class attributes, descriptors
    ObjKind instance_kind; // what calling the class allocates
    int flags;           // CLASS_*
    int depth;           // how many bases above it; for issubclass
    // Fast paths the VM consults before a dict lookup; each covers the class AND its bases.
    // Filled when the class is created, and recomputed for every class when an assignment or
    // deletion on some class changes them (vm/attr.c, class_dict_changed).
    bool has_getattr;    // defines __getattr__
    bool has_del;        // defines __del__: its instances are tracked for finalization (vm/gc.c)
    bool has_setattr;    // defines __setattr__ (other than object's)
    bool has_data_descriptors; // a property or a __set__ descriptor in it or its bases: instance
                               // attribute access must look at the class first
};

typedef struct {
    Obj obj;
    ObjDict *dict; // attributes
} ObjInstance;

// A traceback entry: one frame the exception passed through.
typedef struct {
    ObjCode *code;
    int line;
} TraceEntry;

typedef struct {
    Obj obj;
    ObjDict *dict;         // attributes set by the program (NULL until used)
    ObjTuple *args;
    Value cause;           // __cause__, None when not set
    Value context;         // __context__, None when not set
    bool suppress_context; // __suppress_context__ (raise ... from ...)
    TraceEntry *trace;     // the frames it passed through, innermost first (trace[0] raised it)
    int ntrace;
    int trace_capacity;
    Value traceback;       // __traceback__ as objects, made when first asked for (runtime/
    int traceback_covers;  // exceptions.c): the chain for trace[0 .. traceback_covers-1], or None
    Value extra;           // StopIteration.value, SystemExit.code, OSError errno, the class of
                           // a with statement's manager that lacks the protocol (TypeError), ...
    Value async_trail;     // the tasks and futures it ended, innermost first (aio's async
                           // traceback, runtime/async_traceback.c): a list, or None
} ObjException;

typedef struct {
    Obj obj;
    ObjStr *name;
    ObjDict *globals; // the module's namespace
} ObjModule;

// ---- suspendable computations -------------------------------------------------------------------

typedef enum { GEN_CREATED, GEN_SUSPENDED, GEN_RUNNING, GEN_CLOSED } GenState;
typedef enum { FLAVOR_GENERATOR, FLAVOR_COROUTINE, FLAVOR_ASYNC_GEN } GenFlavor;

// A generator, coroutine or async generator: a function activation that can stop and resume.  It
// owns its Frame for its whole life; while it runs, that frame is linked into the VM's frame chain.
typedef struct {
    Obj obj;
    uint8_t state;        // GenState
    uint8_t flavor;       // GenFlavor
    bool was_awaited;     // for "coroutine 'f' was never awaited"
    bool plain_yield;     // async generator: its last yield was a `yield v` (not an await passing up)
    int origin_line;
    ObjCode *origin_code; // where it was created (that message names the place), or NULL
    Frame *frame;         // right after this struct, in the same block; NULL once finished
    ObjStr *name;
    ObjStr *qualname;
    ObjCode *code;        // its function's code (the frame goes when it finishes; reprs still need it)
} ObjGenerator;

// A built-in iterator (list_iterator, map, zip, enumerate, ...).  `next` produces one item:
// returns 1 with *out set, 0 when exhausted, -1 with an exception pending.
typedef int (*IterNextFn)(Vm *vm, Obj *iter, Value *out);

typedef struct {
    Obj obj;
    IterNextFn next;
    Value source;      // what is iterated (list, str, dict, ...) or a tuple of iterators
    Value extra;       // a function (map, filter), a fill value ...
    int64_t index;     // position or counter
    int64_t limit;     // end, step or length as the kind needs
    uint64_t version;  // the container's version when iteration began
} ObjIter;

typedef enum {
    WRAP_PROPERTY,
    WRAP_STATICMETHOD,
    WRAP_CLASSMETHOD,
    WRAP_DICT_KEYS,
    WRAP_DICT_VALUES,
    WRAP_DICT_ITEMS,
    WRAP_SUPER,
} WrapperKind;

// Small wrappers around one to three values.  property: a=fget b=fset c=fdel; staticmethod and
// classmethod: a=function; dict views: a=dict; super: a=the class to start after, b=self.
typedef struct {
    Obj obj;
    WrapperKind wrap;
    Value a, b, c;
} ObjWrapper;

typedef struct {
    Obj obj;
    FILE *fp;      // NULL once closed
    ObjStr *name;
    ObjStr *mode;
    bool readable;
    bool writable;
    bool is_std;   // sys.stdout / sys.stderr / sys.stdin: never fclose'd
    bool binary;   // opened with 'b': reads give bytes, writes take bytes-like objects
    Value buffer;  // a std stream's binary side (sys.stdout.buffer), on the same FILE; EMPTY
                   // until asked for
    int8_t last_io; // +1 after a write, -1 after a read, 0 after a seek or flush: C streams need
                    // a flush or seek between the two directions (runtime/file.c does it)
    int name_fd;    // -1, or the descriptor a socket.makefile() file shows as its name and fileno
    struct SocketStream *socket_stream; // a socket.makefile() file's state (runtime/socket_stream.c,
                                        // owned by fp), else NULL; valid while fp is open
} ObjFile;

// C data owned by an object: the finalizer runs when the object is swept (it must not allocate).
typedef struct {
    Obj obj;
    void *data;
    void (*finalize)(void *data);
} ObjBox;

// ---- asyncio's core objects ------------------------------------------------------------------------
// Their layouts are runtime/asyncio.h's: the VM handles them only through pointers, and the GC
// reaches their fields through vm_hooks (hooks.h).
typedef struct ObjFuture ObjFuture; // asyncio.Future and asyncio.Task
typedef struct ObjHandle ObjHandle; // asyncio.Handle and asyncio.TimerHandle
typedef struct ObjSleep ObjSleep;   // the coroutine asyncio.sleep() returns
typedef struct ObjLoop ObjLoop;     // an event loop

// ---- big ints ------------------------------------------------------------------------------------

// An int that does not fit in int64.  Invariant: `value` is always outside the int64 range, so an
// int has exactly one form (an immediate VAL_INT, or one of these), and two ints are equal only
// if they have the same form.  Its class is int; its digits live in GMP's memory, freed by the GC.
typedef struct ObjBigInt {
    Obj obj;
    mpz_t value;
} ObjBigInt;

// ---- kind checks and casts ----------------------------------------------------------------------

static inline bool is_kind(Value v, ObjKind k) { return IS_OBJ(v) && AS_OBJ(v)->kind == k; }
#define IS_STR(v) is_kind(v, OBJ_STR)
#define IS_BYTES(v) is_kind(v, OBJ_BYTES)
#define IS_LIST(v) is_kind(v, OBJ_LIST)
#define IS_TUPLE(v) is_kind(v, OBJ_TUPLE)
#define IS_DICT(v) is_kind(v, OBJ_DICT)
#define IS_SET(v) is_kind(v, OBJ_SET)
#define IS_RANGE(v) is_kind(v, OBJ_RANGE)
#define IS_SLICE(v) is_kind(v, OBJ_SLICE)
#define IS_CODE(v) is_kind(v, OBJ_CODE)
#define IS_FUNCTION(v) is_kind(v, OBJ_FUNCTION)
#define IS_CELL(v) is_kind(v, OBJ_CELL)
#define IS_NATIVE(v) is_kind(v, OBJ_NATIVE)
#define IS_BOUND(v) is_kind(v, OBJ_BOUND)
#define IS_CLASS(v) is_kind(v, OBJ_CLASS)
#define IS_INSTANCE(v) is_kind(v, OBJ_INSTANCE)
#define IS_EXCEPTION(v) is_kind(v, OBJ_EXCEPTION)
#define IS_MODULE(v) is_kind(v, OBJ_MODULE)
#define IS_GENERATOR(v) is_kind(v, OBJ_GENERATOR)
#define IS_ITER(v) is_kind(v, OBJ_ITER)
#define IS_WRAPPER(v) is_kind(v, OBJ_WRAPPER)
#define IS_FILE(v) is_kind(v, OBJ_FILE)
#define IS_BOX(v) is_kind(v, OBJ_BOX)
#define IS_FUTURE(v) is_kind(v, OBJ_FUTURE)
#define IS_HANDLE(v) is_kind(v, OBJ_HANDLE)
#define IS_LOOP(v) is_kind(v, OBJ_LOOP)
#define IS_SLEEP(v) is_kind(v, OBJ_SLEEP)
#define IS_BIGINT(v) is_kind(v, OBJ_BIGINT)
#define IS_BYTEARRAY(v) is_kind(v, OBJ_BYTEARRAY)
#define IS_MEMORYVIEW(v) is_kind(v, OBJ_MEMORYVIEW)
// int, bool or big int: every value whose class is int or a subclass of it.
static inline bool IS_INTEGER(Value v) { return IS_INTLIKE(v) || IS_BIGINT(v); }

#define AS_STR(v) ((ObjStr *)AS_OBJ(v))
#define AS_BYTES(v) ((ObjBytes *)AS_OBJ(v))
#define AS_LIST(v) ((ObjList *)AS_OBJ(v))
#define AS_TUPLE(v) ((ObjTuple *)AS_OBJ(v))
#define AS_DICT(v) ((ObjDict *)AS_OBJ(v))
#define AS_SET(v) ((ObjSet *)AS_OBJ(v))
#define AS_RANGE(v) ((ObjRange *)AS_OBJ(v))
#define AS_SLICE(v) ((ObjSlice *)AS_OBJ(v))
#define AS_CODE(v) ((ObjCode *)AS_OBJ(v))
#define AS_FUNCTION(v) ((ObjFunction *)AS_OBJ(v))
#define AS_CELL(v) ((ObjCell *)AS_OBJ(v))
#define AS_NATIVE(v) ((ObjNative *)AS_OBJ(v))
#define AS_BOUND(v) ((ObjBound *)AS_OBJ(v))
#define AS_CLASS(v) ((ObjClass *)AS_OBJ(v))
#define AS_INSTANCE(v) ((ObjInstance *)AS_OBJ(v))
#define AS_EXCEPTION(v) ((ObjException *)AS_OBJ(v))
#define AS_MODULE(v) ((ObjModule *)AS_OBJ(v))
#define AS_GENERATOR(v) ((ObjGenerator *)AS_OBJ(v))
#define AS_ITER(v) ((ObjIter *)AS_OBJ(v))
#define AS_WRAPPER(v) ((ObjWrapper *)AS_OBJ(v))
#define AS_FILE(v) ((ObjFile *)AS_OBJ(v))
#define AS_BOX(v) ((ObjBox *)AS_OBJ(v))
#define AS_FUTURE(v) ((ObjFuture *)AS_OBJ(v))
#define AS_BIGINT(v) ((ObjBigInt *)AS_OBJ(v))
#define AS_HANDLE(v) ((ObjHandle *)AS_OBJ(v))
#define AS_LOOP(v) ((ObjLoop *)AS_OBJ(v))
#define AS_SLEEP(v) ((ObjSleep *)AS_OBJ(v))
#define AS_BYTEARRAY(v) ((ObjByteArray *)AS_OBJ(v))
#define AS_MEMORYVIEW(v) ((ObjMemoryView *)AS_OBJ(v))

// ---- constructors (vm/object.c); each may collect garbage --------------------------------------

ObjStr *str_new(Vm *vm, const char *chars, size_t length);      // copies; not interned
// str_new when the caller knows the code point count (a piece of ASCII text has nchars == length).
ObjStr *str_new_counted(Vm *vm, const char *chars, size_t length, size_t nchars);
// A str whose length bytes the caller fills in before anything else sees it (NUL already placed).
ObjStr *str_alloc(Vm *vm, size_t length, size_t nchars);
// The *_try_* constructors are for sizes the program chooses: when memory runs out they raise
// MemoryError and return NULL (the others never fail; see vm/gc.c).
ObjStr *str_try_alloc(Vm *vm, size_t length, size_t nchars);
ObjList *list_try_new(Vm *vm, size_t capacity);
// Bytes whose length bytes the caller fills in (hash 0: computed on first use, bytes_hash_of).
ObjBytes *bytes_try_alloc(Vm *vm, size_t length);
ObjTuple *tuple_try_new(Vm *vm, size_t count);
ObjStr *str_intern(Vm *vm, const char *chars, size_t length);   // the one interned copy
ObjStr *str_from_c(Vm *vm, const char *cstr);                    // interned: for names in C code
ObjStr *str_printf(Vm *vm, const char *fmt, ...);
ObjBytes *bytes_new(Vm *vm, const void *data, size_t length);
ObjList *list_new(Vm *vm, size_t capacity);
ObjTuple *tuple_new(Vm *vm, size_t count);                      // items set to None
ObjDict *dict_new(Vm *vm);
ObjSet *set_new(Vm *vm, bool frozen);
ObjCode *code_new(Vm *vm);
ObjFunction *function_new(Vm *vm, ObjCode *code, ObjDict *globals);
ObjCell *cell_new(Vm *vm, Value value);
ObjNative *native_new(Vm *vm, const char *name, NativeFn fn, ObjClass *owner);
uint8_t native_slot_kind(Vm *vm, const char *name, ObjClass *owner);
// Before a C method runs (vm_call): a self of its class, and a slot's number of arguments.
bool native_check_args(Vm *vm, ObjNative *n, Value *args, int nargs, ObjTuple *kwnames);
// Runs an operator's dunder found on the class of args[0]; a C one without those checks.
bool vm_call_operator_dunder(Vm *vm, Value method, Value *args, int nargs, Value *out);
ObjBound *bound_new(Vm *vm, Value self, Value func);
ObjClass *class_new(Vm *vm, ObjStr *name, ObjClass *base);
ObjInstance *instance_new(Vm *vm, ObjClass *cls);
ObjException *exception_new(Vm *vm, ObjClass *cls, ObjTuple *args);
ObjModule *module_new(Vm *vm, ObjStr *name);
ObjIter *iter_new(Vm *vm, ObjClass *cls, IterNextFn next, Value source);
ObjWrapper *wrapper_new(Vm *vm, ObjClass *cls, WrapperKind wrap, Value a, Value b, Value c);
ObjRange *range_new(Vm *vm, int64_t start, int64_t stop, int64_t step);
// An int from a GMP integer, in its one canonical form: an immediate int when it fits in int64,
// else a new ObjBigInt that takes over z's digits.  z is cleared either way.
Value int_from_mpz(Vm *vm, mpz_ptr z);
ObjSlice *slice_new(Vm *vm, Value start, Value stop, Value step);
ObjBox *box_new(Vm *vm, ObjClass *cls, void *data, void (*finalize)(void *));

// ---- small mutators and derived constructors (vm/object.c) --------------------------------------
// Makes room for n items in total; false with MemoryError raised when memory runs out (the list
// is unchanged).  May collect: the list must be rooted by the caller.
bool list_reserve(Vm *vm, ObjList *list, size_t n);
void list_append(Vm *vm, ObjList *list, Value v);
bool list_try_append(Vm *vm, ObjList *list, Value v); // MemoryError instead of exiting
bool list_extend(Vm *vm, ObjList *list, Value iterable);
ObjTuple *tuple_from_values(Vm *vm, const Value *items, size_t n);
ObjTuple *tuple_from_list(Vm *vm, ObjList *list);
ObjTuple *tuple_try_from_list(Vm *vm, ObjList *list); // NULL with MemoryError raised
// (a, b): a and b stay rooted while the tuple is allocated, so they may be fresh objects.
ObjTuple *tuple_pair(Vm *vm, Value a, Value b);
ObjStr *str_from_buf(Vm *vm, StrBuf *sb); // frees sb
ObjStr *str_try_from_buf(Vm *vm, StrBuf *sb); // frees sb; NULL with MemoryError raised
ObjStr *str_concat(Vm *vm, ObjStr *a, ObjStr *b); // NULL with MemoryError raised

// Copies n Values (overlap allowed).  n may be 0 with NULL pointers: an empty list has no array.
static inline void values_move(Value *dst, const Value *src, size_t n) {
    if (n) memmove(dst, src, sizeof(Value) * n);
}

// UTF-8 helpers shared by str and the front end's neighbours.
size_t utf8_count(const char *s, size_t length);                    // code points
size_t utf8_offset(const char *s, size_t length, size_t index);     // byte offset of code point index
uint64_t hash_bytes(const void *data, size_t length);                // never 0

// A string's hash, computed on first use: most strings are never hashed.  Interned strings are
// hashed at creation.
static inline uint64_t str_hash(ObjStr *s) {
    if (s->hash == 0) s->hash = hash_bytes(s->chars, s->length);
    return s->hash;
}

// A bytes object's hash, computed on first use as a string's: most bytes (every chunk a socket
// receives) are never hashed.  Bytes never change after they are filled in, so it stays valid.
static inline uint64_t bytes_hash_of(ObjBytes *b) {
    if (b->hash == 0) b->hash = hash_bytes(b->data, b->length);
    return b->hash;
}

// Equal contents; a hash known on both sides settles most inequalities without reading bytes.
static inline bool str_equal(ObjStr *a, ObjStr *b) {
    if (a == b) return true;
    if (a->length != b->length) return false;
    if (a->hash && b->hash && a->hash != b->hash) return false;
    return memcmp(a->chars, b->chars, a->length) == 0;
}

#endif
