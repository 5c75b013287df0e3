/* What the built-in C modules share: their init functions (listed in modules.c) and a few
 * helpers for building a module's namespace.
 *
 * Internal to stdlib/: nothing outside this folder includes it.  Every helper that allocates
 * may collect garbage, so an init keeps its module on the temp-root stack while it fills it.
 *
 * "Struct sequences" are CPython's named tuples written in C (time.struct_time,
 * sys.version_info, functools' CacheInfo): a subclass of tuple whose instances are plain tuples
 * of the class, with one read-only property per field and a `name(field=value, ...)` repr.  The
 * field names live in the class's `_fields`, the repr prefix in its `__module__` and name.
 */
#ifndef AIO_MODINIT_H
#define AIO_MODINIT_H

#include "modules.h"
#include "runtime.h"

ObjModule *mod_sys_init(Vm *vm);
ObjModule *mod_math_init(Vm *vm);
ObjModule *mod_time_init(Vm *vm);
ObjModule *mod_random_init(Vm *vm);
ObjModule *mod_os_init(Vm *vm);
ObjModule *mod_os_path_init(Vm *vm);
ObjModule *mod_errno_init(Vm *vm);
ObjModule *mod_unicodedata_init(Vm *vm);
ObjModule *mod_json_init(Vm *vm);
ObjModule *mod_itertools_init(Vm *vm);
ObjModule *mod_functools_init(Vm *vm);
ObjModule *mod_signal_init(Vm *vm);
ObjModule *mod_traceback_init(Vm *vm);
ObjModule *mod_socket_init(Vm *vm);
ObjModule *mod_aiotools_init(Vm *vm);
ObjModule *mod_ssl_init(Vm *vm);
ObjModule *mod_fork_init(Vm *vm);
ObjModule *mod_thread_init(Vm *vm);
ObjModule *mod_subprocess_init(Vm *vm);
ObjModule *mod_gc_init(Vm *vm);

// A fresh module with __name__ set.  Not rooted: the caller pushes it before allocating more.
ObjModule *mod_new(Vm *vm, const char *name);
// m.name = value (value must be reachable or immediate: the key's allocation may collect).
void mod_set(Vm *vm, ObjModule *m, const char *name, Value value);
// A class implemented in C, stored in the module as m.name, with __module__ set to the module.
ObjClass *mod_class(Vm *vm, ObjModule *m, const char *name, ObjClass *base, ObjKind kind);
// A class stored by mod_class in the already-imported module `module`; NULL (with a RuntimeError
// pending) when the program has removed it.
ObjClass *mod_find_class(Vm *vm, const char *module, const char *name);
// Adds a classmethod (bound to the class when fetched) to cls.
void mod_classmethod(Vm *vm, ObjClass *cls, const char *name, NativeFn fn);
// Adds a read-only property computed by getter(self).
void mod_property(Vm *vm, ObjClass *cls, const char *name, NativeFn getter);

// A struct-sequence class named `name` in module m (stored there unless store is false).
// `fields` is NULL-terminated, at most STRUCTSEQ_MAX_FIELDS names.  qualified_repr: the repr
// reads "module.name(...)" (time.struct_time) rather than "name(...)" (CacheInfo).
#define STRUCTSEQ_MAX_FIELDS 16
ObjClass *structseq_class(Vm *vm, ObjModule *m, const char *name, const char *const *fields,
                          bool qualified_repr, bool store);
// A new instance: a tuple of n Nones whose class is cls.  The caller fills items[].
ObjTuple *structseq_new(Vm *vm, ObjClass *cls, size_t n);

// A float argument, as PyFloat_AsDouble: int, bool, float, or an object with __float__ or
// __index__.  TypeError "must be real number, not T" otherwise.
bool mod_arg_double(Vm *vm, Value v, double *out);
// An int argument (__index__ semantics) named in errors as CPython's "'T' object cannot be
// interpreted as an integer".
bool mod_arg_index(Vm *vm, Value v, int64_t *out);
// The same as an int of any size (an int, bool, big int or __index__ result; a bool becomes 0/1).
bool mod_arg_int(Vm *vm, Value v, Value *out);
// The keyword value for `name` in a native's arguments, or EMPTY.
Value mod_kwarg(Value *args, int nargs, ObjTuple *kwnames, const char *name);
// Rejects any keyword not in `allowed` (NULL-terminated): "f() got an unexpected keyword
// argument 'x'".
bool mod_check_kwargs(Vm *vm, const char *fname, ObjTuple *kwnames, const char *const *allowed);

// ---- integer enumerations (intenum.c) ----
// CPython's IntEnum constants (socket.AF_INET is <AddressFamily.AF_INET: 2>) as instances that
// behave as their int value; intenum.c explains what they can and cannot do.
typedef struct {
    const char *name; // NULL ends a table
    int64_t value;
} IntEnumMember;
// The class m.name with one member per entry, each also stored as m.NAME (a later entry with an
// earlier value is an alias of the first).
ObjClass *intenum_class(Vm *vm, ObjModule *m, const char *name, const IntEnumMember *members);
// The member of cls with that value, or the plain int when it has none.
Value intenum_member(Vm *vm, ObjClass *cls, int64_t value);

// ---- shared by os and os.path ----
// Raises the OSError subclass for errno `err` ("[Errno 2] No such file or directory: 'x'");
// filename may be EMPTY.
bool os_raise_errno(Vm *vm, int err, Value filename);
// A path argument (a str); TypeError "fname: path should be string, bytes or os.PathLike, not T".
bool os_path_arg(Vm *vm, const char *fname, Value v, ObjStr **out);

// ---- json (json_decode.c) ----
bool json_loads(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result);
bool json_load(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result);

// ---- itertools (mod_itertools.c, itertools_comb.c) ----
// A private state tuple of n EMPTY slots (updated in place by an iterator).
ObjTuple *itertools_state_new(Vm *vm, size_t n);
// A new iterator of class cls (a class value) with the given next function and slots.
bool itertools_new_iter(Vm *vm, Value cls, IterNextFn next, Value source, Value extra,
                        Value *result);
// Exactly n positional arguments and no keywords: "name expected n arguments, got m".
bool itertools_fixed_args(Vm *vm, const char *name, int nargs, ObjTuple *kwnames, int n);
// The iterator class itertools.name, constructed by new_fn (NULL: not constructible).
ObjClass *itertools_class(Vm *vm, ObjModule *m, const char *name, NativeFn new_fn);
// Adds product, permutations, combinations, combinations_with_replacement, groupby and tee.
void itertools_init_combinatorics(Vm *vm, ObjModule *m);

#endif
