/* Argument checking for natives, with CPython's messages.
 *
 * Every count and keyword check of a native ends here when it fails, whatever its wording
 * (runtime/container.h and the modules keep only inline fast paths that call these).
 */
#include <string.h>

#include "runtime.h"

// "name expected 2 arguments, got 1", "... at least 1 argument, got 0", "... at most ...".
static bool count_error(Vm *vm, const char *name, int nargs, int min, int max) {
    const char *how = min == max ? "" : nargs < min ? "at least " : "at most ";
    int want = nargs < min ? min : max;
    return vm_raise(vm, vm->TypeError, "%s expected %s%d argument%s, got %d", name, how, want, want == 1 ? "" : "s",
                    nargs);
}

bool check_args(Vm *vm, const char *fname, int nargs, ObjTuple *kwnames, int min, int max) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", fname);
    if (nargs >= min && nargs <= max) return true;
    if (min == 0 && max == 0) return vm_raise(vm, vm->TypeError, "%s() takes no arguments (%d given)", fname, nargs);
    if (min == 1 && max == 1)
        return vm_raise(vm, vm->TypeError, "%s() takes exactly one argument (%d given)", fname, nargs);
    return count_error(vm, fname, nargs, min, max);
}

bool check_args_clinic(Vm *vm, const char *fname, int nargs, ObjTuple *kwnames, int min, int max) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", fname);
    if (nargs >= min && nargs <= max) return true;
    const char *dot = strrchr(fname, '.');
    return count_error(vm, dot ? dot + 1 : fname, nargs, min, max);
}

bool parse_args(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames,
                const char *const *names, int required, Value *out) {
    int n = 0;
    while (names[n]) n++;
    for (int i = 0; i < n; i++) out[i] = EMPTY_VAL();
    if (nargs > n)
        return vm_raise(vm, vm->TypeError, "%s() takes at most %d argument%s (%d given)", fname, n,
                        n == 1 ? "" : "s", nargs);
    for (int i = 0; i < nargs; i++) out[i] = args[i];
    int nkw = kwnames ? (int)kwnames->count : 0;
    for (int k = 0; k < nkw; k++) {
        const char *key = AS_STR(kwnames->items[k])->chars;
        int found = -1;
        for (int i = 0; i < n; i++)
            if (strcmp(names[i], key) == 0) found = i;
        if (found < 0)
            return vm_raise(vm, vm->TypeError, "%s() got an unexpected keyword argument '%s'", fname, key);
        if (!IS_EMPTY(out[found]))
            return vm_raise(vm, vm->TypeError, "argument for %s() given by name ('%s') and position (%d)",
                            fname, key, found + 1);
        out[found] = args[nargs + k];
    }
    for (int i = 0; i < required; i++)
        if (IS_EMPTY(out[i]))
            return vm_raise(vm, vm->TypeError, "%s() missing required argument '%s' (pos %d)", fname,
                            names[i], i + 1);
    return true;
}

bool arg_int(Vm *vm, Value v, int64_t *out) {
    if (IS_INTLIKE(v)) {
        *out = AS_INTLIKE(v);
        return true;
    }
    if (IS_FLOAT(v)) return vm_raise(vm, vm->TypeError, "'float' object cannot be interpreted as an integer");
    return vm_index_value(vm, v, out);
}

const char *arg_type_name(Vm *vm, Value v) { return IS_NONE(v) ? "None" : vm_type_name(vm, v); }

// Where CPython parses an argument as a C int, a value outside its range is an OverflowError
// that names the C type (not ssize_t, as the index conversion would say).
bool arg_c_int(Vm *vm, Value v, int64_t *out) {
    if (!IS_BIGINT(v) && !arg_int(vm, v, out)) return false;
    if (IS_BIGINT(v) || *out > INT32_MAX || *out < INT32_MIN)
        return vm_raise(vm, vm->OverflowError, "Python int too large to convert to C int");
    return true;
}

bool arg_str(Vm *vm, const char *fname, Value v, ObjStr **out) {
    if (IS_STR(v)) {
        *out = AS_STR(v);
        return true;
    }
    return vm_raise(vm, vm->TypeError, "%s() argument must be str, not %s", fname, arg_type_name(vm, v));
}
