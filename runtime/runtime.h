/* What the runtime's modules share: defining classes and natives, parsing arguments, and the
 * small container helpers every type file uses.
 *
 * Each built-in type lives in its own file (str.c, list.c, ...) and exports runtime_init_<type>(),
 * called once by vm_new() in dependency order.  A native follows the NativeFn convention of
 * vm/object.h: positional args, then keyword values named by kwnames; false means an exception is
 * pending.
 */
#ifndef AIO_RUNTIME_H
#define AIO_RUNTIME_H

#include "dict.h"
#include "gc.h"
#include "hash.h"
#include "set.h"
#include "strbuf.h"
#include "vm.h"

typedef struct {
    const char *name;
    NativeFn fn;
} MethodDef;

// Adds natives as methods of cls (bound to self when fetched through an instance).
void define_methods(Vm *vm, ObjClass *cls, const MethodDef *defs);
// Adds read-only properties (a getter native each, called with self) to cls.
void define_getters(Vm *vm, ObjClass *cls, const MethodDef *defs);
// Adds a plain function to a namespace (builtins, a module).
void define_native(Vm *vm, ObjDict *ns, const char *name, NativeFn fn);
// A class implemented in C whose instances have the given kind.
ObjClass *define_class(Vm *vm, const char *name, ObjClass *base, ObjKind kind);
// A module object registered in sys.modules.
ObjModule *define_module(Vm *vm, const char *name);

// ---- argument parsing ---------------------------------------------------------------------------
// Maps positional and keyword arguments onto `names` (NULL-terminated): out[i] is the argument
// for names[i] or EMPTY when not given.  The first `required` are mandatory.  Errors use CPython's
// wording: "f() missing required argument 'x' (pos 1)", "f() takes at most 2 arguments (3 given)",
// "f() got an unexpected keyword argument 'z'".
bool parse_args(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames,
                const char *const *names, int required, Value *out);
// For natives that take no keywords: checks the count, raising CPython's messages.  Two wordings,
// after how the function is declared in CPython.  check_args: METH_NOARGS and METH_O ("f() takes
// no arguments (1 given)", "f() takes exactly one argument (0 given)"), else "f expected 2
// arguments, got 1".  check_args_clinic: Argument Clinic's positional-only parameters, whose
// count message names the function without its class or module ("insert expected 2 arguments,
// got 1" for list.insert).  Both: "f() takes no keyword arguments".
bool check_args(Vm *vm, const char *fname, int nargs, ObjTuple *kwnames, int min, int max);
bool check_args_clinic(Vm *vm, const char *fname, int nargs, ObjTuple *kwnames, int min, int max);
bool arg_int(Vm *vm, Value v, int64_t *out);           // an int (or bool); TypeError otherwise
bool arg_c_int(Vm *vm, Value v, int64_t *out);         // arg_int within a C int (CPython's "i")
// The type as CPython's argument parser names it in "f() argument 1 must be str, not None":
// its name, but None for None (messages without "argument" say NoneType).
const char *arg_type_name(Vm *vm, Value v);
bool arg_str(Vm *vm, const char *fname, Value v, ObjStr **out); // a str; TypeError otherwise

// ---- containers ---------------------------------------------------------------------------------
// A native's `return` of (a, b): stores the pair in *result, true.
bool tuple_pair_result(Vm *vm, Value a, Value b, Value *result);

// ---- strings ------------------------------------------------------------------------------------
// Appends repr(str) with CPython's quoting and escapes.
void str_repr_into(ObjStr *s, StrBuf *out);
void bytes_repr_into(const unsigned char *data, size_t n, StrBuf *out);
// Formats v with a format spec (format(v, spec)).
ObjStr *format_value(Vm *vm, Value v, ObjStr *spec);
// FORMAT_VALUE's work (through vm_hooks): conversion 0 none, 1 str, 2 repr, 3 ascii; spec EMPTY
// or a str.
bool format_for_fstring(Vm *vm, Value v, int conversion, Value spec, Value *out);
ObjStr *str_percent_format(Vm *vm, ObjStr *fmt, Value args); // fmt % args
bool str_getitem(Vm *vm, ObjStr *s, Value key, Value *out);
// Slice bounds after Python's rules for a sequence of length n; returns the item count.
bool slice_indices(Vm *vm, ObjSlice *s, int64_t n, int64_t *start, int64_t *stop, int64_t *step,
                   int64_t *count);

// ---- bytes-like objects: bytes, bytearray, memoryview (memoryview.c, bytearray.c) ------------

// Bytes borrowed from a bytes-like object: valid until the program next resizes a bytearray (so
// until the next call back into Python code, not across an allocation, which moves nothing).
typedef struct {
    const unsigned char *data;
    size_t length;
} ByteSpan;

// The one way to read "a bytes-like object": 1 with *out set for bytes, bytearray and a
// contiguous memoryview; 0 when v is none of those (nothing raised); -1 with ValueError raised
// for a released memoryview or BufferError for a strided one.  vm may be NULL when v is known to
// be bytes or a bytearray.
int bytes_like(Vm *vm, Value v, ByteSpan *out);
// The same where a bytes-like object is required: TypeError "a bytes-like object is required,
// not 'T'" when v is not one.
bool bytes_like_or_raise(Vm *vm, Value v, ByteSpan *out);
// The same for a buffer a function fills in place (readinto, recv_into): 1 for a bytearray or a
// writable contiguous memoryview (out->data may then be written, out->length bytes), 0 for
// anything else (bytes, a read-only view), -1 with ValueError raised for a released view.
int bytes_like_writable(Vm *vm, Value v, ByteSpan *out);
// Appends a view's bytes (of any step) to out; false with an exception pending when released.
bool memoryview_copy_into(Vm *vm, ObjMemoryView *view, StrBuf *out);

// A new bytearray holding a copy of the n bytes at p (p may be NULL when n is 0).
ObjByteArray *bytearray_new(Vm *vm, const void *p, size_t n);
// Appends n bytes to a bytearray (p must not point into b); false with BufferError (a view
// holds it) or MemoryError raised.
bool bytearray_append(Vm *vm, ObjByteArray *b, const void *p, size_t n);
// Removes the first n bytes (n <= length) in O(1); false with BufferError raised.
bool bytearray_consume(Vm *vm, ObjByteArray *b, size_t n);
static inline unsigned char *bytearray_bytes(ObjByteArray *b) {
    return b->data ? b->data + b->start : (unsigned char *)"";
}

// ---- numbers ------------------------------------------------------------------------------------
// Arithmetic on int, bool and float (runtime/number.c): 1 done (*out set), 0 when an operand is not
// a number (the caller then tries __op__ / __rop__ methods), -1 error pending (ZeroDivisionError,
// OverflowError, ...).  op is BINARY_OP's argument: a BinaryOp, +BINOP_INPLACE for the in-place form.
int number_binary_op(Vm *vm, int op, Value a, Value b, Value *out);
int number_compare(Vm *vm, int op, Value a, Value b, Value *out); // == != < <= > >=
int number_unary_op(Vm *vm, int op, Value a, Value *out);         // UNARY_NEG / POS / INVERT
bool int_from_str(Vm *vm, const char *s, size_t len, int base, Value *out); // int('12', base)
bool float_from_str(Vm *vm, ObjStr *s, double *out);
void float_repr_into(double d, StrBuf *out);

// ---- exceptions and classes ---------------------------------------------------------------------
ObjClass *exception_class(Vm *vm, const char *name, ObjClass *base);
// Raises vm_exception_class_for_errno(err) (vm/error.h) with args (err, strerror(err)), as
// "[Errno 111] Connection refused", and with `filename` (unless EMPTY) appended as ": 'name'".
// Always returns false.
bool raise_os_errno(Vm *vm, int err, Value filename);
// except*: splits exc by a handler's type (a naked exception is wrapped in a group first).
bool exception_group_match(Vm *vm, Value exc, Value type, Value *match, Value *rest);
// What an except* statement raises at its end: the unhandled rest plus what handlers raised.
bool exception_group_reraise(Vm *vm, Value orig, Value rest, ObjList *raised, Value *out);

// ---- files --------------------------------------------------------------------------------------
bool file_write_str(Vm *vm, Value file, ObjStr *s); // file.write(s) on any object with write()

// Builds the built-in classes and builtins, registers the runtime's VM hooks and turns the GC on
// (init.c).  Call it once, right after vm_new(), before anything else touches the Vm.
void runtime_init(Vm *vm);
// One init function per runtime file, called by runtime_init in this order.
void runtime_init_classes(Vm *vm);   // class.c: object, type, the core classes
void runtime_init_class_builtins(Vm *vm); // class.c: __build_class__ and the classes as builtins
void runtime_init_exceptions(Vm *vm);
void runtime_init_str(Vm *vm);
void runtime_init_bytes(Vm *vm);
void runtime_init_bytearray(Vm *vm); // bytearray.c
void runtime_init_memoryview(Vm *vm); // memoryview.c
void runtime_init_number(Vm *vm);
void runtime_init_list(Vm *vm);
void runtime_init_tuple(Vm *vm);
void runtime_init_set(Vm *vm);
void runtime_init_range(Vm *vm);
void runtime_init_iter(Vm *vm);
void runtime_init_builtins(Vm *vm);
void runtime_init_file(Vm *vm);
void runtime_init_dict(Vm *vm);   // dict.c: the dict type (its table is vm/dict.c)
void runtime_init_gen(Vm *vm);     // gen.c: generator and coroutine methods
bool gen_close_value(Vm *vm, ObjGenerator *g);
// runtime/finalize.c: runs o's __del__, or closes the abandoned generator o; errors are printed
// ("Exception ignored in: ...") and cleared.
void run_python_finalizer(Vm *vm, Obj *o);
// runtime/exceptions.c: e.__traceback__ (traceback objects made from e's trace entries), and
// setting it (None or a traceback; TypeError otherwise).
Value exception_traceback(Vm *vm, ObjException *e);
bool exception_set_traceback(Vm *vm, ObjException *e, Value tb);
// __doc__ of a built-in function, method or class (vm_hooks.builtin_doc; runtime/builtin_doc.c).
Value builtin_doc(Vm *vm, Value obj, Value self);
// Adds the builtin help() (aiotools.help, imported at its first call).
void runtime_init_help(Vm *vm);
// Prints the messages of objects the GC found unreachable (future.c).  Called where no
// C code holds unrooted objects: between loop callbacks and at exit.
void vm_report_finalizers(Vm *vm);

// At exit: finalizes every object still alive that has __del__ or is an abandoned generator.
void run_python_finalizers_at_exit(Vm *vm);
// At exit, after those: empties every module's namespace and collects what they kept alive.
void release_modules_at_exit(Vm *vm);

#endif
