/* Attribute lookup and instantiation (vm/attr.c): obj.name read, stored and deleted in CPython's
 * order of precedence (data descriptors, the instance dict, the class, __getattr__), lookup along
 * a class's bases, and calling a class to make an instance.
 */
#ifndef AIO_ATTR_H
#define AIO_ATTR_H

#include "object.h"

bool vm_getattr(Vm *vm, Value obj, ObjStr *name, Value *out);
// 1 found, 0 missing (no exception), -1 error: getattr(obj, name, default) and hasattr use it.
int vm_getattr_opt(Vm *vm, Value obj, ObjStr *name, Value *out);
bool vm_setattr(Vm *vm, Value obj, ObjStr *name, Value value);
bool vm_delattr(Vm *vm, Value obj, ObjStr *name);
// The store object.__setattr__ does (no __setattr__ of the class is consulted): a property's
// setter, an exception's or function's own fields, else the object's __dict__.
bool vm_generic_setattr(Vm *vm, Value obj, ObjStr *name, Value value);
// object.__delattr__: a property's deleter or a data descriptor's __delete__, else the __dict__.
bool vm_generic_delattr(Vm *vm, Value obj, ObjStr *name);
// Raises AttributeError for obj.name with CPython's wording for a class, a module or an object.
bool vm_raise_no_attribute(Vm *vm, Value obj, ObjStr *name);
// Returns obj.__dict__ for objects that have one, else NULL.
ObjDict *vm_object_dict(Vm *vm, Value obj);

// An instance of a Python class defining __set__ or __delete__: it takes precedence over the
// instance dict (with a __get__, on reads too).
bool vm_is_user_data_descriptor(Vm *vm, Value v);
// Finds a name along the class's bases; EMPTY when absent.  Nothing is bound or called.
Value class_lookup(ObjClass *cls, ObjStr *name);
bool class_is_subclass(ObjClass *sub, ObjClass *base);
// Calls a class: __new__, then __init__ when __new__ returned an instance of it.
bool vm_call_class(Vm *vm, ObjClass *cls, Value *args, int nargs, ObjTuple *kwnames, Value *out);
// A frame object: a snapshot of code at line, owned by a generator or coroutine (or NULL).
Value vm_frame_snapshot(Vm *vm, ObjCode *code, int line, ObjGenerator *owner);
// LOAD_BUILD_CLASS: builtins.__build_class__.
bool vm_load_build_class(Vm *vm, Value *out);

#endif
