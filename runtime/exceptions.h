/* The exception classes' C side (runtime/exceptions.c): making exception classes, OSError from
 * errno, except* splitting, and __traceback__.
 */
#ifndef AIO_RUNTIME_EXCEPTIONS_H
#define AIO_RUNTIME_EXCEPTIONS_H

#include "vm.h"

ObjClass *exception_class(Vm *vm, const char *name, ObjClass *base);
// Raises vm_exception_class_for_errno(err) (vm/error.h) with args (err, strerror(err)), as
// "[Errno 111] Connection refused", and with `filename` (unless EMPTY) appended as ": 'name'".
// Always returns false.
bool raise_os_errno(Vm *vm, int err, Value filename);
// except*: splits exc by a handler's type (a naked exception is wrapped in a group first).
bool exception_group_match(Vm *vm, Value exc, Value type, Value *match, Value *rest);
// What an except* statement raises at its end: the unhandled rest plus what handlers raised.
bool exception_group_reraise(Vm *vm, Value orig, Value rest, ObjList *raised, Value *out);
// runtime/exceptions.c: e.__traceback__ (traceback objects made from e's trace entries), and
// setting it (None or a traceback; TypeError otherwise).
Value exception_traceback(Vm *vm, ObjException *e);
bool exception_set_traceback(Vm *vm, ObjException *e, Value tb);

#endif
