/* What the runtime's modules share: starting the runtime (init.c), and, through the headers
 * included below, defining classes and natives, parsing arguments, and the helpers of each kind of
 * object that other files use.  A file may include runtime.h for all of it, or the one header it
 * needs.
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

// The runtime's shared interface, each part declared beside the file (or files) that define it.
#include "args.h"       // argument checking and parsing (args.c)
#include "bytes_like.h" // bytes-like objects (memoryview.c, bytearray.c)
#include "class.h"      // defining classes, natives and modules (class.c)
#include "exceptions.h" // exception classes, OSError from errno, except*, tracebacks (exceptions.c)
#include "file.h"       // files from C (file.c)
#include "finalize.h"   // __del__, abandoned generators, exit (finalize.c, future.c, gen.c)
#include "numeric.h"    // arithmetic, parsing and printing numbers (number.c, numparse.c)
#include "sequence.h"   // tuple_pair_result (tuple.c), slice_indices (range.c)
#include "str.h"        // str and bytes reprs, formatting, indexing (str.c, bytes.c, format.c, percent.c)

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

// __doc__ of a built-in function, method or class (vm_hooks.builtin_doc; runtime/builtin_doc.c).
Value builtin_doc(Vm *vm, Value obj, Value self);
// Adds the builtin help() (aiotools.help, imported at its first call).
void runtime_init_help(Vm *vm);

#endif
