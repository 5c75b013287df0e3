/* The registry of built-in C modules: what `import NAME` finds before it looks for a file.
 *
 * builtin_modules_register() hands builtin_module_find to runtime/import.c (a lower layer, which
 * cannot name these modules itself); every program that embeds the VM calls it once after
 * runtime_init().  import.c then asks it for a module that is not yet in sys.modules.  The
 * answer is the module's init function (or NULL when no built-in module has that name).  An init
 * builds the module object and fills its namespace; import.c calls it at most once and caches the
 * result in sys.modules (vm->modules).  Nothing is built before the first import, so startup
 * costs nothing for modules a program never uses.
 *
 * The modules: sys, math, time, random, os, os.path, json, itertools, functools, signal,
 * traceback, socket.
 */
#ifndef AIO_MODULES_H
#define AIO_MODULES_H

#include "import.h"

// The init function of the built-in module `name`, or NULL when there is none.
ModuleInit builtin_module_find(const char *name);
// The name of the i-th module written in C (0, 1, ...), NULL past the last (for completion).
const char *builtin_module_name(size_t i);
// Makes the built-in modules importable (import_set_builtin_finder).
void builtin_modules_register(void);

// At startup (mod_signal.c): SIGINT gets the C handler when its disposition is SIG_DFL, as in
// CPython.  Installing a C handler registers the VM's signal hook (vm/hooks.h).
void signal_init_process(void);

#endif
