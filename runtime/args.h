/* Checking and parsing a native's arguments with CPython's error messages (runtime/args.c).
 */
#ifndef AIO_ARGS_H
#define AIO_ARGS_H

#include "vm.h"

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

#endif
