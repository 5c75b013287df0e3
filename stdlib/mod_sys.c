/* sys: the interpreter's own state as a module (argv, modules, the standard streams, the
 * recursion limit, version information, exit).
 *
 * The init stays cheap, since a program may import sys before anything else: a handful of
 * values, two struct-sequence classes, and the functions.  sys.modules, sys.argv and the streams
 * are the VM's own objects, not copies, so a change made through sys is seen by the VM.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "bigint.h"
#include "modinit.h"
#include "number.h"

// sys.exit([status]): raises SystemExit.  The status becomes the exception's args (a tuple is
// used as the args themselves, as CPython's PyErr_SetObject does) and its code.
static bool sys_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "exit() takes no keyword arguments");
    if (nargs > 1)
        return vm_raise(vm, vm->TypeError, "exit expected at most 1 argument, got %d", nargs);
    ObjTuple *exc_args;
    if (nargs == 0 || IS_NONE(args[0])) {
        exc_args = tuple_new(vm, 0);
    } else if (IS_TUPLE(args[0])) {
        exc_args = AS_TUPLE(args[0]);
    } else {
        exc_args = tuple_new(vm, 1);
        exc_args->items[0] = args[0];
    }
    vm_push_root(vm, OBJ_VAL(exc_args));
    ObjException *e = exception_new(vm, vm->SystemExit, exc_args);
    vm_pop_root(vm);
    if (exc_args->count == 0) e->extra = NONE_VAL();
    else if (exc_args->count == 1) e->extra = exc_args->items[0];
    else e->extra = OBJ_VAL(exc_args);
    return vm_raise_value(vm, OBJ_VAL(e));
}

static bool sys_getrecursionlimit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                  Value *result) {
    if (!check_args(vm, "getrecursionlimit", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL(vm->recursion_limit);
    return true;
}

static bool sys_setrecursionlimit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                  Value *result) {
    if (!check_args(vm, "setrecursionlimit", nargs, kwnames, 1, 1)) return false;
    if (IS_FLOAT(args[0]))
        return vm_raise(vm, vm->TypeError, "'float' object cannot be interpreted as an integer");
    int64_t limit;
    if (!mod_arg_index(vm, args[0], &limit)) return false;
    if (limit < 1)
        return vm_raise(vm, vm->ValueError, "recursion limit must be greater or equal than 1");
    if (limit > INT_MAX)
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C int");
    if (limit <= vm->depth)
        return vm_raise(vm, vm->RecursionError,
                        "cannot set the recursion limit to %d at the recursion depth %d: the limit "
                        "is too low",
                        (int)limit, vm->depth);
    vm->recursion_limit = (int)limit;
    *result = NONE_VAL();
    return true;
}

// The interpreter lock's switch interval (vm/thread.c), in seconds.
static bool sys_getswitchinterval(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "getswitchinterval", nargs, kwnames, 0, 0)) return false;
    *result = FLOAT_VAL(vm_switch_interval());
    return true;
}

static bool sys_setswitchinterval(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "setswitchinterval", nargs, kwnames, 1, 1)) return false;
    double seconds;
    if (!mod_arg_double(vm, args[0], &seconds)) return false;
    if (!(seconds > 0)) return vm_raise(vm, vm->ValueError, "switch interval must be strictly positive");
    vm_set_switch_interval(seconds);
    *result = NONE_VAL();
    return true;
}

// The exception being handled, as (type, value, traceback).
static bool sys_exc_info(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "exc_info", nargs, kwnames, 0, 0)) return false;
    Value exc = vm_current_handled(vm);
    ObjTuple *t = tuple_new(vm, 3);
    if (!IS_NONE(exc)) {
        t->items[0] = OBJ_VAL(vm_class_of(vm, exc));
        t->items[1] = exc;
        vm_push_root(vm, OBJ_VAL(t));
        t->items[2] = IS_EXCEPTION(exc) ? exception_traceback(vm, AS_EXCEPTION(exc)) : NONE_VAL();
        vm_pop_root(vm);
    }
    *result = OBJ_VAL(t);
    return true;
}

static bool sys_exception(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "exception", nargs, kwnames, 0, 0)) return false;
    *result = vm_current_handled(vm);
    return true;
}

static bool sys_intern(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "intern", nargs, kwnames, 1, 1)) return false;
    if (!IS_STR(args[0]))
        return vm_raise(vm, vm->TypeError, "intern() argument must be str, not %s",
                        arg_type_name(vm, args[0]));
    ObjStr *s = AS_STR(args[0]);
    *result = OBJ_VAL(str_intern(vm, s->chars, s->length));
    return true;
}

static bool sys_getdefaultencoding(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                   Value *result) {
    if (!check_args(vm, "getdefaultencoding", nargs, kwnames, 0, 0)) return false;
    *result = OBJ_VAL(str_from_c(vm, "utf-8"));
    return true;
}

static void set_str(Vm *vm, ObjModule *m, const char *name, const char *value) {
    mod_set(vm, m, name, OBJ_VAL(str_from_c(vm, value)));
}

// sys.version_info: (3, 11, 7, 'final', 0) with named fields, as CPython's.
static void add_version_info(Vm *vm, ObjModule *m) {
    static const char *const fields[] = {"major", "minor", "micro", "releaselevel", "serial", NULL};
    ObjClass *cls = structseq_class(vm, m, "version_info", fields, true, false);
    vm_push_root(vm, OBJ_VAL(cls));
    ObjTuple *v = structseq_new(vm, cls, 5);
    vm_push_root(vm, OBJ_VAL(v));
    v->items[0] = INT_VAL(3);
    v->items[1] = INT_VAL(11);
    v->items[2] = INT_VAL(7);
    v->items[3] = OBJ_VAL(str_from_c(vm, "final"));
    v->items[4] = INT_VAL(0);
    mod_set(vm, m, "version_info", OBJ_VAL(v));
    vm_pop_roots(vm, 2);
}

// sys.int_info: CPython's digit layout (aio's big ints are GMP's, but programs may print these)
// and the int/str conversion limits.
static void add_int_info(Vm *vm, ObjModule *m) {
    static const char *const fields[] = {"bits_per_digit", "sizeof_digit", "default_max_str_digits",
                                         "str_digits_check_threshold", NULL};
    ObjClass *cls = structseq_class(vm, m, "int_info", fields, true, false);
    vm_push_root(vm, OBJ_VAL(cls));
    ObjTuple *v = structseq_new(vm, cls, 4);
    const Value items[4] = {INT_VAL(30), INT_VAL(4), INT_VAL(BIG_MAX_STR_DIGITS_DEFAULT),
                            INT_VAL(BIG_MAX_STR_DIGITS_THRESHOLD)};
    for (int i = 0; i < 4; i++) v->items[i] = items[i];
    mod_set(vm, m, "int_info", OBJ_VAL(v));
    vm_pop_root(vm);
}

static bool sys_get_int_max_str_digits(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                       Value *result) {
    if (!check_args(vm, "get_int_max_str_digits", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL(big_max_str_digits());
    return true;
}

// sys.set_int_max_str_digits(maxdigits): 0 lifts the limit; otherwise at least the threshold.
static bool sys_set_int_max_str_digits(Vm *vm, Value *args, int nargs, ObjTuple *kwnames,
                                       Value *result) {
    static const char *const names[] = {"maxdigits", NULL};
    Value a[1];
    if (!parse_args(vm, "set_int_max_str_digits", args, nargs, kwnames, names, 1, a)) return false;
    Value n;
    if (!num_index_value(vm, a[0], &n)) return false;
    int64_t digits;
    if (!big_fits_int64(n, &digits) || digits > INT_MAX || digits < INT_MIN)
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C int");
    if (digits != 0 && digits < BIG_MAX_STR_DIGITS_THRESHOLD)
        return vm_raise(vm, vm->ValueError, "maxdigits must be 0 or larger than %d",
                        BIG_MAX_STR_DIGITS_THRESHOLD);
    big_set_max_str_digits(digits);
    *result = NONE_VAL();
    return true;
}

// sys.float_info: the properties of C's double.
static void add_float_info(Vm *vm, ObjModule *m) {
    static const char *const fields[] = {"max",     "max_exp",  "max_10_exp", "min",
                                         "min_exp", "min_10_exp", "dig",      "mant_dig",
                                         "epsilon", "radix",    "rounds",     NULL};
    ObjClass *cls = structseq_class(vm, m, "float_info", fields, true, false);
    vm_push_root(vm, OBJ_VAL(cls));
    ObjTuple *v = structseq_new(vm, cls, 11);
    const Value items[11] = {
        FLOAT_VAL(1.7976931348623157e+308), INT_VAL(1024), INT_VAL(308),
        FLOAT_VAL(2.2250738585072014e-308), INT_VAL(-1021), INT_VAL(-307),
        INT_VAL(15), INT_VAL(53), FLOAT_VAL(2.220446049250313e-16), INT_VAL(2), INT_VAL(1),
    };
    for (int i = 0; i < 11; i++) v->items[i] = items[i];
    mod_set(vm, m, "float_info", OBJ_VAL(v));
    vm_pop_root(vm);
}

static void add_paths(Vm *vm, ObjModule *m) {
    ObjList *path = list_new(vm, 1);
    vm_push_root(vm, OBJ_VAL(path));
    list_append(vm, path, OBJ_VAL(vm->script_dir ? vm->script_dir : str_from_c(vm, "")));
    if (vm->stdlib_dir) list_append(vm, path, OBJ_VAL(vm->stdlib_dir));
    mod_set(vm, m, "path", OBJ_VAL(path));
    vm_pop_root(vm);

    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    mod_set(vm, m, "executable", OBJ_VAL(str_new(vm, exe, n > 0 ? (size_t)n : 0)));
}

static void add_builtin_module_names(Vm *vm, ObjModule *m) {
    static const char *const names[] = {"builtins", "functools", "itertools", "json", "math",
                                        "os",       "random",    "sys",       "time", NULL};
    size_t n = 0;
    while (names[n]) n++;
    ObjTuple *t = tuple_new(vm, n);
    vm_push_root(vm, OBJ_VAL(t));
    for (size_t i = 0; i < n; i++) t->items[i] = OBJ_VAL(str_from_c(vm, names[i]));
    mod_set(vm, m, "builtin_module_names", OBJ_VAL(t));
    vm_pop_root(vm);
}

ObjModule *mod_sys_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "sys");
    vm_push_root(vm, OBJ_VAL(m));
    mod_set(vm, m, "argv", vm->argv ? OBJ_VAL(vm->argv) : OBJ_VAL(list_new(vm, 0)));
    mod_set(vm, m, "modules", OBJ_VAL(vm->modules));
    mod_set(vm, m, "stdout", vm->stdout_file);
    mod_set(vm, m, "stderr", vm->stderr_file);
    mod_set(vm, m, "stdin", vm->stdin_file);
    mod_set(vm, m, "__stdout__", vm->stdout_file);
    mod_set(vm, m, "__stderr__", vm->stderr_file);
    mod_set(vm, m, "__stdin__", vm->stdin_file);
    set_str(vm, m, "platform", "linux");
    set_str(vm, m, "version", "3.11.7 (aio)");
    set_str(vm, m, "byteorder", "little");
    set_str(vm, m, "copyright", "aio: a teaching interpreter for a subset of Python 3.11");
    mod_set(vm, m, "maxsize", INT_VAL(INT64_MAX));
    mod_set(vm, m, "maxunicode", INT_VAL(0x10FFFF));
    mod_set(vm, m, "hexversion", INT_VAL(0x030B07F0));
    add_version_info(vm, m);
    add_float_info(vm, m);
    add_int_info(vm, m);
    add_paths(vm, m);
    add_builtin_module_names(vm, m);
    define_native(vm, m->globals, "exit", sys_exit);
    define_native(vm, m->globals, "getrecursionlimit", sys_getrecursionlimit);
    define_native(vm, m->globals, "setrecursionlimit", sys_setrecursionlimit);
    define_native(vm, m->globals, "exc_info", sys_exc_info);
    define_native(vm, m->globals, "getswitchinterval", sys_getswitchinterval);
    define_native(vm, m->globals, "setswitchinterval", sys_setswitchinterval);
    define_native(vm, m->globals, "get_int_max_str_digits", sys_get_int_max_str_digits);
    define_native(vm, m->globals, "set_int_max_str_digits", sys_set_int_max_str_digits);
    define_native(vm, m->globals, "exception", sys_exception);
    define_native(vm, m->globals, "intern", sys_intern);
    define_native(vm, m->globals, "getdefaultencoding", sys_getdefaultencoding);
    vm_pop_root(vm);
    return m;
}
