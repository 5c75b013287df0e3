/* __doc__ for the functions, methods and classes written in C, which carry no docstring, and the
 * builtin help() that shows them.
 *
 * The texts are this project's own, written for students, in one place: stdlib/aiotools_docs.aio,
 * which help() uses too.  Reading such a __doc__ imports that module (once) and asks its
 * doc_for(obj, self) which entry, if any, describes obj.  Nothing of it runs unless a program
 * reads __doc__ of a built-in, and a failure of any kind (the module missing, an error inside
 * it) gives None, as a C object without a docstring has.
 */
#include "import.h"
#include "runtime.h"

Value builtin_doc(Vm *vm, Value obj, Value self) {
    if (vm->shutting_down || !IS_EMPTY(vm->exception)) return NONE_VAL();
    Value module, doc_for, text = NONE_VAL();
    vm_push_root(vm, obj);
    vm_push_root(vm, self);
    if (import_module(vm, str_from_c(vm, "aiotools_docs"), &module) &&
        vm_getattr(vm, module, str_from_c(vm, "doc_for"), &doc_for) &&
        vm_call2(vm, doc_for, obj, IS_EMPTY(self) ? NONE_VAL() : self, &text)) {
        if (!IS_STR(text)) text = NONE_VAL();
    } else {
        vm_clear_exception(vm);
        text = NONE_VAL();
    }
    vm_pop_roots(vm, 2);
    return text;
}

// help([obj]): the REPL's help, also in scripts (CPython's site module adds one too): the call
// is aiotools.help's (stdlib/aiotools.aio), imported at the first call.
static bool builtin_help(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value module, help;
    if (!import_module(vm, str_from_c(vm, "aiotools"), &module)) return false;
    vm_push_root(vm, module);
    bool ok = vm_getattr(vm, module, str_from_c(vm, "help"), &help);
    vm_pop_root(vm);
    return ok && vm_call(vm, help, args, nargs, kwnames, result);
}

void runtime_init_help(Vm *vm) { define_native(vm, vm->builtins, "help", builtin_help); }
