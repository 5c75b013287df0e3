/* The exception hierarchy and BaseException's methods.
 *
 * Exception instances are OBJ_EXCEPTION objects whatever their class: args, __cause__,
 * __context__ and the traceback live in the struct, anything else a program sets in a dict.
 * User subclasses inherit that layout (class_new copies CLASS_EXCEPTION from the base).
 */
#include <string.h>

#include "runtime.h"

ObjClass *exception_class(Vm *vm, const char *name, ObjClass *base) {
    ObjClass *cls = define_class(vm, name, base, OBJ_EXCEPTION);
    cls->flags |= CLASS_EXCEPTION;
    cls->flags &= ~CLASS_BUILTIN; // subclassable, and instantiated through the exception path
    dict_set_str(vm, vm->builtins, cls->name, OBJ_VAL(cls));
    return cls;
}

static bool exc_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs < 1 || !IS_EXCEPTION(args[0])) return vm_raise(vm, vm->TypeError, "descriptor '__init__' requires an exception");
    ObjTuple *t = tuple_new(vm, (size_t)(nargs - 1));
    for (int i = 1; i < nargs; i++) t->items[i - 1] = args[i];
    AS_EXCEPTION(args[0])->args = t;
    *result = NONE_VAL();
    return true;
}

static bool exc_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    ObjTuple *a = e->args;
    ObjStr *s;
    if (!a || a->count == 0) s = vm->s_empty;
    else if (a->count == 1) {
        // KeyError shows the repr of its key, as CPython's KeyError_str does.
        if (vm_is_instance(vm, args[0], vm->KeyError)) s = vm_repr(vm, a->items[0]);
        else s = vm_str(vm, a->items[0]);
    } else s = vm_repr(vm, OBJ_VAL(a));
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

static bool exc_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    ObjClass *cls = AS_OBJ(args[0])->cls;
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, cls->name->chars);
    if (e->args && e->args->count == 1) {
        ObjStr *r = vm_repr(vm, e->args->items[0]);
        if (!r) {
            sb_free(&sb);
            return false;
        }
        sb_putc(&sb, '(');
        sb_append(&sb, r->chars, r->length);
        sb_putc(&sb, ')');
    } else {
        ObjStr *r = vm_repr(vm, e->args ? OBJ_VAL(e->args) : OBJ_VAL(tuple_new(vm, 0)));
        if (!r) {
            sb_free(&sb);
            return false;
        }
        if (e->args && e->args->count == 0) sb_puts(&sb, "()");
        else sb_append(&sb, r->chars, r->length);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool exc_with_traceback(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = args[0];
    return true;
}

static bool exc_add_note(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "add_note", nargs, kwnames, 2, 2)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "note must be a str, not '%s'", vm_type_name(vm, args[1]));
    ObjDict *d = object_dict(vm, args[0]);
    ObjStr *key = str_from_c(vm, "__notes__");
    Value notes = dict_get_str(d, key);
    if (!IS_LIST(notes)) {
        notes = OBJ_VAL(list_new(vm, 0));
        vm_push_root(vm, notes);
        dict_set_str(vm, d, key, notes);
        vm_pop_root(vm);
    }
    list_append(vm, AS_LIST(notes), args[1]);
    *result = NONE_VAL();
    return true;
}

// OSError(errno, strerror[, filename[, winerror[, filename2]]]): as CPython, args keeps only
// (errno, strerror) and the file names become attributes.
static bool oserror_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    int n = nargs - 1;
    ObjTuple *t = tuple_new(vm, (size_t)(n >= 3 && n <= 5 ? 2 : n));
    for (size_t i = 0; i < t->count; i++) t->items[i] = args[1 + i];
    e->args = t;
    if (n >= 3 && n <= 5) {
        ObjDict *d = object_dict(vm, args[0]);
        dict_set_cstr(vm, d, "filename", args[3]);
        if (n == 5) dict_set_cstr(vm, d, "filename2", args[5]);
    }
    *result = NONE_VAL();
    return true;
}

static Value exc_attr(Vm *vm, ObjException *e, const char *name) {
    if (!e->dict) return NONE_VAL();
    Value v = dict_get_str(e->dict, str_from_c(vm, name));
    return IS_EMPTY(v) ? NONE_VAL() : v;
}

// "[Errno 2] No such file or directory: 'x'" (and "-> 'y'" with a second file name).
static bool oserror_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    if (e->args && e->args->count == 2 && IS_INT(e->args->items[0])) {
        ObjStr *msg = vm_str(vm, e->args->items[1]);
        if (!msg) return false;
        Value fname = exc_attr(vm, e, "filename");
        if (!IS_NONE(fname)) {
            ObjStr *fn = vm_repr(vm, fname);
            if (!fn) return false;
            Value fname2 = exc_attr(vm, e, "filename2");
            ObjStr *fn2 = IS_NONE(fname2) ? NULL : vm_repr(vm, fname2);
            if (fn2)
                *result = OBJ_VAL(str_printf(vm, "[Errno %lld] %s: %s -> %s", (long long)AS_INT(e->args->items[0]),
                                             msg->chars, fn->chars, fn2->chars));
            else
                *result = OBJ_VAL(str_printf(vm, "[Errno %lld] %s: %s", (long long)AS_INT(e->args->items[0]), msg->chars, fn->chars));
        } else {
            *result = OBJ_VAL(str_printf(vm, "[Errno %lld] %s", (long long)AS_INT(e->args->items[0]), msg->chars));
        }
        return true;
    }
    return exc_str(vm, args, nargs, kwnames, result);
}

static bool oserror_errno(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    *result = (e->args && e->args->count >= 2) ? e->args->items[0] : NONE_VAL();
    return true;
}

static bool oserror_strerror(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    *result = (e->args && e->args->count >= 2) ? e->args->items[1] : NONE_VAL();
    return true;
}


static void add_property(Vm *vm, ObjClass *cls, const char *name, NativeFn getter) {
    ObjNative *n = native_new(vm, name, getter, cls);
    vm_push_root(vm, OBJ_VAL(n));
    ObjWrapper *w = wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(n), NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(w));
    dict_set_cstr(vm, cls->dict, name, OBJ_VAL(w));
    vm_pop_roots(vm, 2);
}

void runtime_init_exceptions(Vm *vm) {
    ObjClass *base = exception_class(vm, "BaseException", vm->object_class);
    vm->BaseException = base;
    define_methods(vm, base, (MethodDef[]){{"__init__", exc_init},
                                           {"__str__", exc_str},
                                           {"__repr__", exc_repr},
                                           {"with_traceback", exc_with_traceback},
                                           {"add_note", exc_add_note},
                                           {NULL, NULL}});
#define EXC(field, name, parent) vm->field = exception_class(vm, name, vm->parent)
    EXC(Exception, "Exception", BaseException);
    EXC(SystemExit, "SystemExit", BaseException);
    EXC(KeyboardInterrupt, "KeyboardInterrupt", BaseException);
    EXC(GeneratorExit, "GeneratorExit", BaseException);
    EXC(ArithmeticError, "ArithmeticError", Exception);
    EXC(ZeroDivisionError, "ZeroDivisionError", ArithmeticError);
    EXC(OverflowError, "OverflowError", ArithmeticError);
    EXC(FloatingPointError, "FloatingPointError", ArithmeticError);
    EXC(LookupError, "LookupError", Exception);
    EXC(IndexError, "IndexError", LookupError);
    EXC(KeyError, "KeyError", LookupError);
    EXC(ValueError, "ValueError", Exception);
    EXC(UnicodeError, "UnicodeError", ValueError);
    EXC(UnicodeDecodeError, "UnicodeDecodeError", UnicodeError);
    EXC(UnicodeEncodeError, "UnicodeEncodeError", UnicodeError);
    EXC(TypeError, "TypeError", Exception);
    EXC(AttributeError, "AttributeError", Exception);
    EXC(NameError, "NameError", Exception);
    EXC(UnboundLocalError, "UnboundLocalError", NameError);
    EXC(RuntimeError, "RuntimeError", Exception);
    EXC(RecursionError, "RecursionError", RuntimeError);
    EXC(NotImplementedError, "NotImplementedError", RuntimeError);
    EXC(StopIteration, "StopIteration", Exception);
    EXC(StopAsyncIteration, "StopAsyncIteration", Exception);
    EXC(AssertionError, "AssertionError", Exception);
    EXC(OSError, "OSError", Exception);
    EXC(FileNotFoundError, "FileNotFoundError", OSError);
    EXC(FileExistsError, "FileExistsError", OSError);
    EXC(PermissionError, "PermissionError", OSError);
    EXC(IsADirectoryError, "IsADirectoryError", OSError);
    EXC(TimeoutError, "TimeoutError", OSError);
    ObjClass *conn = exception_class(vm, "ConnectionError", vm->OSError);
    exception_class(vm, "BrokenPipeError", conn);
    exception_class(vm, "ConnectionAbortedError", conn);
    exception_class(vm, "ConnectionRefusedError", conn);
    exception_class(vm, "ConnectionResetError", conn);
    exception_class(vm, "NotADirectoryError", vm->OSError);
    exception_class(vm, "InterruptedError", vm->OSError);
    exception_class(vm, "ChildProcessError", vm->OSError);
    exception_class(vm, "BlockingIOError", vm->OSError);
    exception_class(vm, "ProcessLookupError", vm->OSError);
    EXC(MemoryError, "MemoryError", Exception);
    EXC(BufferError, "BufferError", Exception);
    EXC(EOFError, "EOFError", Exception);
    EXC(ImportError, "ImportError", Exception);
    EXC(ModuleNotFoundError, "ModuleNotFoundError", ImportError);
    EXC(SyntaxError, "SyntaxError", Exception);
    EXC(IndentationError, "IndentationError", SyntaxError);
    EXC(Warning, "Warning", Exception);
    EXC(RuntimeWarning, "RuntimeWarning", Warning);
    EXC(DeprecationWarning, "DeprecationWarning", Warning);
    EXC(UserWarning, "UserWarning", Warning);
    exception_class(vm, "SyntaxWarning", vm->Warning);
    exception_class(vm, "FutureWarning", vm->Warning);
    exception_class(vm, "ResourceWarning", vm->Warning);
    exception_class(vm, "PendingDeprecationWarning", vm->Warning);
    exception_class(vm, "ImportWarning", vm->Warning);
    exception_class(vm, "UnicodeWarning", vm->Warning);
    exception_class(vm, "BytesWarning", vm->Warning);
    exception_class(vm, "EncodingWarning", vm->Warning);
    exception_class(vm, "TabError", vm->IndentationError);
    exception_class(vm, "ReferenceError", vm->Exception);
    exception_class(vm, "SystemError", vm->Exception);
    exception_class(vm, "UnicodeTranslateError", vm->UnicodeError);
#undef EXC
    dict_set_cstr(vm, vm->builtins, "IOError", OBJ_VAL(vm->OSError));
    dict_set_cstr(vm, vm->builtins, "EnvironmentError", OBJ_VAL(vm->OSError));
    define_methods(vm, vm->OSError, (MethodDef[]){{"__init__", oserror_init}, {"__str__", oserror_str}, {NULL, NULL}});
    add_property(vm, vm->OSError, "errno", oserror_errno);
    add_property(vm, vm->OSError, "strerror", oserror_strerror);
    // MemoryError is raised when allocation fails: make it in advance.
    vm->memory_error = exception_new(vm, vm->MemoryError, tuple_new(vm, 0));
}
