/* Defining built-in classes, natives and modules from C (runtime/class.c), for every runtime
 * and stdlib file that makes Python-visible objects.
 */
#ifndef AIO_RUNTIME_CLASS_H
#define AIO_RUNTIME_CLASS_H

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

#endif
