/* Finalization: __del__ methods and abandoned generators, run when the GC finds them unreachable
 * and at exit (runtime/finalize.c), the messages of unreachable futures and tasks
 * (runtime/future.c), and closing a generator (runtime/gen.c).
 */
#ifndef AIO_FINALIZE_H
#define AIO_FINALIZE_H

#include "vm.h"

// runtime/finalize.c: runs o's __del__, or closes the abandoned generator o; errors are printed
// ("Exception ignored in: ...") and cleared.
void run_python_finalizer(Vm *vm, Obj *o);
// Prints the messages of objects the GC found unreachable (future.c).  Called where no
// C code holds unrooted objects: between loop callbacks and at exit.
void vm_report_finalizers(Vm *vm);

// At exit: finalizes every object still alive that has __del__ or is an abandoned generator.
void run_python_finalizers_at_exit(Vm *vm);
// At exit, after those: empties every module's namespace and collects what they kept alive.
void release_modules_at_exit(Vm *vm);
// Closes g as generator.close() does (runtime/gen.c).
bool gen_close_value(Vm *vm, ObjGenerator *g);

#endif
