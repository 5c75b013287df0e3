/* import (runtime/import.c): `import x` finds a built-in C module, or an x.aio file beside the
 * script, in the stdlib folder, or on AIO_PATH; runs it once; and caches it in sys.modules.
 *
 * The built-in C modules belong to stdlib/, a higher layer, so import does not name them: stdlib
 * registers a finder at startup (builtin_modules_register in stdlib/modules.h, called by main()
 * and the other programs that embed the VM).  Until then import finds only .aio files.
 */
#ifndef AIO_IMPORT_H
#define AIO_IMPORT_H

#include "vm.h"

// Builds a built-in module's object and fills its namespace; NULL with an exception pending.
typedef ObjModule *(*ModuleInit)(Vm *vm);
// The init function of the built-in module `name`, or NULL when there is none.
typedef ModuleInit (*BuiltinModuleFinder)(const char *name);
void import_set_builtin_finder(BuiltinModuleFinder find);

// Imports a module by dotted name, as `import name` does.
bool import_module(Vm *vm, ObjStr *name, Value *out);
// IMPORT_NAME, IMPORT_FROM and IMPORT_STAR's work (the VM reaches them through vm_hooks).
bool import_name(Vm *vm, ObjStr *name, Value fromlist, Value *out);
bool import_from(Vm *vm, Value module, ObjStr *name, Value *out);
bool import_star(Vm *vm, Value module, ObjDict *into);

#endif
