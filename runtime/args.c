/* Argument checking for natives, with CPython's messages. */
#include <string.h>

#include "runtime.h"

bool check_args(Vm *vm, const char *fname, int nargs, ObjTuple *kwnames, int min, int max) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "%s() takes no keyword arguments", fname);
    if (nargs >= min && nargs <= max) return true;
    if (min == max) {
        if (min == 0) return vm_raise(vm, vm->TypeError, "%s() takes no arguments (%d given)", fname, nargs);
        if (min == 1) return vm_raise(vm, vm->TypeError, "%s() takes exactly one argument (%d given)", fname, nargs);
        return vm_raise(vm, vm->TypeError, "%s expected %d arguments, got %d", fname, min, nargs);
    }
    if (nargs < min)
        return vm_raise(vm, vm->TypeError, "%s expected at least %d argument%s, got %d", fname, min,
                        min == 1 ? "" : "s", nargs);
    return vm_raise(vm, vm->TypeError, "%s expected at most %d argument%s, got %d", fname, max,
                    max == 1 ? "" : "s", nargs);
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

bool arg_str(Vm *vm, const char *fname, Value v, ObjStr **out) {
    if (IS_STR(v)) {
        *out = AS_STR(v);
        return true;
    }
    return vm_raise(vm, vm->TypeError, "%s() argument must be str, not %s", fname, vm_type_name(vm, v));
}
