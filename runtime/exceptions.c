/* The exception hierarchy and BaseException's methods.
 *
 * Exception instances are OBJ_EXCEPTION objects whatever their class: args, __cause__,
 * __context__ and the traceback live in the struct, anything else a program sets in a dict.
 * User subclasses inherit that layout (class_new copies CLASS_EXCEPTION from the base).
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "frame.h"
#include "runtime.h"

static void runtime_init_exception_groups(Vm *vm);

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

// ---- traceback objects --------------------------------------------------------------------------
// An exception records the frames it unwinds through as TraceEntry structs (vm.c's add_trace).
// e.__traceback__ turns them into traceback objects when a program first asks: one per entry,
// the outermost first, each with tb_frame (a minimal frame object: f_code, f_lineno), tb_lineno
// and tb_next.  Entries added later (the exception unwinds further, or is raised again) go in
// front of the chain already made, so the objects a program holds stay valid, as in CPython.

static Value attr_of(Vm *vm, Value obj, const char *name) {
    if (!IS_INSTANCE(obj)) return EMPTY_VAL();
    return dict_get_str(AS_INSTANCE(obj)->dict, str_from_c(vm, name));
}

static Value make_traceback(Vm *vm, const TraceEntry *t, Value next) {
    ObjInstance *frame = instance_new(vm, vm->frame_class);
    vm_push_root(vm, OBJ_VAL(frame));
    dict_set_str(vm, frame->dict, str_from_c(vm, "f_code"), OBJ_VAL(t->code));
    dict_set_str(vm, frame->dict, str_from_c(vm, "f_lineno"), INT_VAL(t->line));
    dict_set_str(vm, frame->dict, str_from_c(vm, "f_back"), NONE_VAL());
    ObjInstance *tb = instance_new(vm, vm->traceback_class);
    vm_push_root(vm, OBJ_VAL(tb));
    dict_set_str(vm, tb->dict, str_from_c(vm, "tb_frame"), OBJ_VAL(frame));
    dict_set_str(vm, tb->dict, str_from_c(vm, "tb_lineno"), INT_VAL(t->line));
    dict_set_str(vm, tb->dict, str_from_c(vm, "tb_next"), next);
    vm_pop_roots(vm, 2);
    return OBJ_VAL(tb);
}

Value exception_traceback(Vm *vm, ObjException *e) {
    vm_push_root(vm, OBJ_VAL(e));
    while (e->traceback_covers < e->ntrace) {
        TraceEntry t = e->trace[e->traceback_covers];
        e->traceback = make_traceback(vm, &t, e->traceback);
        e->traceback_covers++;
    }
    vm_pop_root(vm);
    return e->traceback;
}

static bool is_traceback(Vm *vm, Value v) { return IS_INSTANCE(v) && AS_OBJ(v)->cls == vm->traceback_class; }

bool exception_set_traceback(Vm *vm, ObjException *e, Value tb) {
    if (!IS_NONE(tb) && !is_traceback(vm, tb))
        return vm_raise(vm, vm->TypeError, "__traceback__ must be a traceback or None");
    // The entries of the chain, outermost first; trace[] wants them innermost first.
    int n = 0;
    for (Value t = tb; is_traceback(vm, t); t = attr_of(vm, t, "tb_next")) n++;
    TraceEntry *entries = n ? malloc(sizeof(TraceEntry) * (size_t)n) : NULL;
    if (n && !entries) return vm_raise_value(vm, OBJ_VAL(vm->MemoryError));
    int kept = 0;
    for (Value t = tb; is_traceback(vm, t); t = attr_of(vm, t, "tb_next")) {
        Value code = attr_of(vm, attr_of(vm, t, "tb_frame"), "f_code");
        Value line = attr_of(vm, t, "tb_lineno");
        if (IS_OBJ(code) && AS_OBJ(code)->kind == OBJ_CODE && IS_INT(line))
            entries[kept++] = (TraceEntry){(ObjCode *)AS_OBJ(code), (int)AS_INT(line)};
    }
    for (int i = 0; i < kept / 2; i++) {
        TraceEntry swap = entries[i];
        entries[i] = entries[kept - 1 - i];
        entries[kept - 1 - i] = swap;
    }
    free(e->trace);
    e->trace = entries;
    e->ntrace = kept;
    e->trace_capacity = n;
    e->traceback = tb;
    e->traceback_covers = kept;
    return true;
}

static bool exc_with_traceback(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "with_traceback", nargs, kwnames, 2, 2)) return false;
    if (!IS_EXCEPTION(args[0])) return vm_raise(vm, vm->TypeError, "descriptor 'with_traceback' requires an exception");
    if (!exception_set_traceback(vm, AS_EXCEPTION(args[0]), args[1])) return false;
    *result = args[0];
    return true;
}

static bool frame_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value code = attr_of(vm, args[0], "f_code"), line = attr_of(vm, args[0], "f_lineno");
    if (!IS_OBJ(code) || AS_OBJ(code)->kind != OBJ_CODE || !IS_INT(line)) {
        *result = OBJ_VAL(str_printf(vm, "<frame at %p>", (void *)AS_OBJ(args[0])));
        return true;
    }
    ObjCode *c = (ObjCode *)AS_OBJ(code);
    *result = OBJ_VAL(str_printf(vm, "<frame at %p, file '%s', line %lld, code %s>", (void *)AS_OBJ(args[0]),
                                 c->filename->chars, (long long)AS_INT(line), c->name->chars));
    return true;
}

static bool exc_add_note(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "add_note", nargs, kwnames, 2, 2)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "note must be a str, not '%s'", vm_type_name(vm, args[1]));
    ObjDict *d = vm_object_dict(vm, args[0]);
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

// Whether a BlockingIOError's third argument is its characters_written (a number) rather than
// a file name.  (In CPython only BlockingIOError itself reads it so, not its subclasses.)
static bool counts_written(Vm *vm, Value exc, Value third) {
    return vm_class_of(vm, exc) == vm->BlockingIOError && (IS_INTEGER(third) || IS_FLOAT(third));
}

static bool written_count(Vm *vm, Value v, int64_t *out) {
    if (IS_BIGINT(v)) return vm_raise(vm, vm->ValueError, "cannot fit 'int' into an index-sized integer");
    return arg_int(vm, v, out);
}

// OSError(errno, strerror[, filename[, winerror[, filename2]]]): as CPython, args keeps only
// (errno, strerror) and the file names become attributes.  A BlockingIOError whose third
// argument is a number takes it as characters_written instead (what a non-blocking write had
// written when it had to stop), and args keeps everything.
static bool oserror_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    int n = nargs - 1;
    bool written = n >= 3 && n <= 5 && counts_written(vm, args[0], args[3]);
    if (written) {
        int64_t count;
        if (!written_count(vm, args[3], &count)) return false;
        e->extra = count == -1 ? NONE_VAL() : INT_VAL(count);
    }
    bool named = n >= 3 && n <= 5 && !written;
    ObjTuple *t = tuple_new(vm, (size_t)(named ? 2 : n));
    for (size_t i = 0; i < t->count; i++) t->items[i] = args[1 + i];
    e->args = t;
    if (named) {
        ObjDict *d = vm_object_dict(vm, args[0]);
        dict_set_cstr(vm, d, "filename", args[3]);
        if (n == 5) dict_set_cstr(vm, d, "filename2", args[5]);
    }
    *result = NONE_VAL();
    return true;
}

// BlockingIOError.characters_written: an int kept in the exception's `extra`, None while unset
// (then reading or deleting it is an AttributeError, as in CPython, whose "unset" is -1: a count
// of -1 leaves it unset there too).
static bool characters_written_get(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value count = AS_EXCEPTION(args[0])->extra;
    if (!IS_INT(count)) return vm_raise(vm, vm->AttributeError, "characters_written");
    *result = count;
    return true;
}

static bool characters_written_set(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t count;
    if (!written_count(vm, args[1], &count)) return false;
    AS_EXCEPTION(args[0])->extra = count == -1 ? NONE_VAL() : INT_VAL(count);
    *result = NONE_VAL();
    return true;
}

static bool characters_written_delete(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    if (!IS_INT(e->extra)) return vm_raise(vm, vm->AttributeError, "characters_written");
    e->extra = NONE_VAL();
    *result = NONE_VAL();
    return true;
}

static void define_characters_written(Vm *vm) {
    ObjClass *cls = vm->BlockingIOError;
    Value get = OBJ_VAL(native_new(vm, "characters_written", characters_written_get, cls));
    vm_push_root(vm, get);
    Value set = OBJ_VAL(native_new(vm, "characters_written", characters_written_set, cls));
    vm_push_root(vm, set);
    Value del = OBJ_VAL(native_new(vm, "characters_written", characters_written_delete, cls));
    vm_push_root(vm, del);
    ObjWrapper *property = wrapper_new(vm, vm->property_class, WRAP_PROPERTY, get, set, del);
    vm_push_root(vm, OBJ_VAL(property));
    dict_set_str(vm, cls->dict, AS_NATIVE(get)->name, OBJ_VAL(property));
    vm_pop_roots(vm, 4);
}

static Value exc_attr(Vm *vm, ObjException *e, const char *name) {
    if (!e->dict) return NONE_VAL();
    Value v = dict_get_str(e->dict, str_from_c(vm, name));
    return IS_EMPTY(v) ? NONE_VAL() : v;
}

// "[Errno 2] No such file or directory: 'x'" (and "-> 'y'" with a second file name).
static bool oserror_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjException *e = AS_EXCEPTION(args[0]);
    size_t n = e->args ? e->args->count : 0;
    bool with_count = n >= 3 && n <= 5 && counts_written(vm, args[0], e->args->items[2]);
    if ((n == 2 || with_count) && IS_INT(e->args->items[0])) {
        // msg and the reprs stay rooted: each later lookup or repr may collect
        ObjStr *msg = vm_str(vm, e->args->items[1]);
        if (!msg) return false;
        vm_push_root(vm, OBJ_VAL(msg));
        Value fname = exc_attr(vm, e, "filename");
        ObjStr *fn = IS_NONE(fname) ? NULL : vm_repr(vm, fname);
        if (!fn && !IS_NONE(fname)) {
            vm_pop_root(vm);
            return false;
        }
        if (fn) {
            vm_push_root(vm, OBJ_VAL(fn));
            Value fname2 = exc_attr(vm, e, "filename2");
            ObjStr *fn2 = IS_NONE(fname2) ? NULL : vm_repr(vm, fname2);
            if (fn2)
                *result = OBJ_VAL(str_printf(vm, "[Errno %lld] %s: %s -> %s", (long long)AS_INT(e->args->items[0]),
                                             msg->chars, fn->chars, fn2->chars));
            else
                *result = OBJ_VAL(str_printf(vm, "[Errno %lld] %s: %s", (long long)AS_INT(e->args->items[0]), msg->chars, fn->chars));
            vm_pop_root(vm);
        } else {
            *result = OBJ_VAL(str_printf(vm, "[Errno %lld] %s", (long long)AS_INT(e->args->items[0]), msg->chars));
        }
        vm_pop_root(vm);
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


// ---- OS errors ----------------------------------------------------------------------------------

bool raise_os_errno(Vm *vm, int err, Value filename) {
    ObjClass *cls = vm_exception_class_for_errno(vm, err);
    vm_push_root(vm, filename);
    ObjTuple *args = tuple_new(vm, 2);
    vm_push_root(vm, OBJ_VAL(args));
    args->items[0] = INT_VAL(err);
    args->items[1] = OBJ_VAL(str_from_c(vm, strerror(err)));
    ObjException *e = exception_new(vm, cls, args);
    vm_push_root(vm, OBJ_VAL(e));
    if (!IS_EMPTY(filename)) dict_set_cstr(vm, vm_object_dict(vm, OBJ_VAL(e)), "filename", filename);
    vm_pop_roots(vm, 3);
    return vm_raise_value(vm, OBJ_VAL(e));
}

void runtime_init_exceptions(Vm *vm) {
    // traceback and frame objects are plain instances whose attributes live in their dict
    vm->traceback_class = define_class(vm, "traceback", vm->object_class, OBJ_INSTANCE);
    vm->traceback_class->flags &= ~CLASS_BUILTIN;
    vm->frame_class = define_class(vm, "frame", vm->object_class, OBJ_INSTANCE);
    vm->frame_class->flags &= ~CLASS_BUILTIN;
    define_methods(vm, vm->frame_class, (MethodDef[]){{"__repr__", frame_repr}, {NULL, NULL}});
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
    EXC(BlockingIOError, "BlockingIOError", OSError);
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
    define_getters(vm, vm->OSError, (MethodDef[]){{"errno", oserror_errno}, {"strerror", oserror_strerror}, {NULL, NULL}});
    // (a file name is None unless the exception was made with one)
    dict_set_cstr(vm, vm->OSError->dict, "filename", NONE_VAL());
    dict_set_cstr(vm, vm->OSError->dict, "filename2", NONE_VAL());
    define_characters_written(vm);
    runtime_init_exception_groups(vm);
    // MemoryError is raised when allocation fails: make it in advance.
    vm->memory_error = exception_new(vm, vm->MemoryError, tuple_new(vm, 0));
}

// ---- exception groups ---------------------------------------------------------------------------
// BaseExceptionGroup(message, exceptions) and ExceptionGroup, as PEP 654 has them.  CPython makes
// ExceptionGroup inherit from both BaseExceptionGroup and Exception; with single inheritance,
// ExceptionGroup derives from Exception and carries CLASS_EXC_GROUP, which class_is_subclass
// reads as "also a BaseExceptionGroup".

static bool is_group(Vm *vm, Value v) { return IS_EXCEPTION(v) && vm_is_instance(vm, v, vm->BaseExceptionGroup); }

static ObjTuple *group_items(Value eg) {
    ObjTuple *args = AS_EXCEPTION(eg)->args;
    Value ex = args && args->count > 1 ? args->items[1] : NONE_VAL();
    return IS_TUPLE(ex) ? AS_TUPLE(ex) : NULL;
}

// The exceptions as a tuple, whatever sequence the program gave (args keeps the original).
static ObjTuple *group_exceptions(Vm *vm, Value eg) {
    ObjException *e = AS_EXCEPTION(eg);
    Value t = e->dict ? dict_get_str(e->dict, str_from_c(vm, "__excs__")) : EMPTY_VAL();
    return IS_TUPLE(t) ? AS_TUPLE(t) : group_items(eg);
}

static bool eg_new(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjClass *cls = AS_CLASS(args[0]);
    if (nargs != 3 || kwnames)
        return vm_raise(vm, vm->TypeError, "BaseExceptionGroup.__new__() takes exactly 2 arguments (%d given)", nargs - 1);
    if (!IS_STR(args[1])) return vm_raise(vm, vm->TypeError, "BaseExceptionGroup.__new__() argument 1 must be str, not %s", arg_type_name(vm, args[1]));
    Value seq = args[2];
    if (!IS_LIST(seq) && !IS_TUPLE(seq)) return vm_raise(vm, vm->TypeError, "second argument (exceptions) must be a sequence");
    ObjList *items = vm_list_from_iterable(vm, seq);
    if (!items) return false;
    if (items->count == 0) return vm_raise(vm, vm->ValueError, "second argument (exceptions) must be a non-empty sequence");
    vm_push_root(vm, OBJ_VAL(items));
    bool all_exceptions = true;
    for (size_t i = 0; i < items->count; i++) {
        Value x = items->items[i];
        if (!IS_EXCEPTION(x)) {
            vm_pop_root(vm);
            return vm_raise(vm, vm->ValueError, "Item %zu of second argument (exceptions) is not an exception", i);
        }
        if (!vm_is_instance(vm, x, vm->Exception)) all_exceptions = false;
    }
    // BaseExceptionGroup of Exceptions only is an ExceptionGroup; an ExceptionGroup may not hold others.
    if (cls == vm->BaseExceptionGroup && all_exceptions) cls = vm->ExceptionGroup;
    else if (class_is_subclass(cls, vm->Exception) && !all_exceptions) {
        vm_pop_root(vm);
        return vm_raise(vm, vm->TypeError, "Cannot nest BaseExceptions in an %s", cls->name->chars);
    }
    ObjTuple *t = tuple_pair(vm, args[1], seq);
    vm_push_root(vm, OBJ_VAL(t));
    ObjException *e = exception_new(vm, cls, t);
    vm_push_root(vm, OBJ_VAL(e));
    ObjTuple *excs = tuple_from_list(vm, items);
    vm_push_root(vm, OBJ_VAL(excs));
    e->dict = dict_new(vm);
    dict_set_cstr(vm, e->dict, "__excs__", OBJ_VAL(excs));
    vm_pop_roots(vm, 4);
    *result = OBJ_VAL(e);
    return true;
}

static bool eg_init(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = NONE_VAL();
    return true;
}

static bool eg_message(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjTuple *a = AS_EXCEPTION(args[0])->args;
    *result = a && a->count ? a->items[0] : OBJ_VAL(vm->s_empty);
    return true;
}

static bool eg_exceptions(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjTuple *t = group_exceptions(vm, args[0]);
    *result = t ? OBJ_VAL(t) : OBJ_VAL(tuple_new(vm, 0));
    return true;
}

static bool eg_str(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjTuple *a = AS_EXCEPTION(args[0])->args;
    ObjTuple *t = group_exceptions(vm, args[0]);
    size_t n = t ? t->count : 0;
    const char *msg = a && a->count && IS_STR(a->items[0]) ? AS_STR(a->items[0])->chars : "";
    *result = OBJ_VAL(str_printf(vm, "%s (%zu sub-exception%s)", msg, n, n == 1 ? "" : "s"));
    return true;
}

// Does a leaf exception match the condition: a class, a tuple of classes, or a predicate?
static int condition_matches(Vm *vm, Value cond, Value exc) {
    if (IS_CLASS(cond)) return vm_is_instance(vm, exc, AS_CLASS(cond));
    if (IS_TUPLE(cond)) {
        for (size_t i = 0; i < AS_TUPLE(cond)->count; i++) {
            int r = condition_matches(vm, AS_TUPLE(cond)->items[i], exc);
            if (r) return r;
        }
        return 0;
    }
    Value r;
    if (!vm_call1(vm, cond, exc, &r)) return -1;
    bool t;
    if (!vm_truthy(vm, r, &t)) return -1;
    return t;
}

// A new group like eg (same message, cause, context) holding excs; derive() in CPython's words.
static bool derive(Vm *vm, Value eg, ObjList *excs, Value *out) {
    ObjTuple *a = AS_EXCEPTION(eg)->args;
    Value args[2] = {a && a->count ? a->items[0] : OBJ_VAL(vm->s_empty), OBJ_VAL(excs)};
    Value derive_m;
    if (!vm_getattr(vm, eg, str_from_c(vm, "derive"), &derive_m)) return false;
    if (!vm_call1(vm, derive_m, args[1], out)) return false;
    ObjException *src = AS_EXCEPTION(eg), *dst = AS_EXCEPTION(*out);
    dst->cause = src->cause;
    dst->context = src->context;
    dst->suppress_context = src->suppress_context;
    return true;
}

// Splits eg by the condition: *match and *rest are groups of the same shape, or None.
static bool split_group(Vm *vm, Value eg, Value cond, Value *match, Value *rest) {
    int whole = condition_matches(vm, cond, eg);
    if (whole < 0) return false;
    if (whole) {
        *match = eg;
        *rest = NONE_VAL();
        return true;
    }
    ObjTuple *excs = group_exceptions(vm, eg);
    ObjList *m = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(m));
    ObjList *r = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(r));
    for (size_t i = 0; excs && i < excs->count; i++) {
        Value x = excs->items[i];
        if (is_group(vm, x)) {
            Value xm, xr;
            if (!split_group(vm, x, cond, &xm, &xr)) goto fail;
            vm_push_root(vm, xm);
            vm_push_root(vm, xr);
            if (!IS_NONE(xm)) list_append(vm, m, xm);
            if (!IS_NONE(xr)) list_append(vm, r, xr);
            vm_pop_roots(vm, 2);
        } else {
            int k = condition_matches(vm, cond, x);
            if (k < 0) goto fail;
            list_append(vm, k ? m : r, x);
        }
    }
    *match = *rest = NONE_VAL();
    if (m->count && !derive(vm, eg, m, match)) goto fail;
    vm_push_root(vm, *match);
    if (r->count && !derive(vm, eg, r, rest)) {
        vm_pop_root(vm);
        goto fail;
    }
    vm_pop_roots(vm, 3);
    return true;
fail:
    vm_pop_roots(vm, 2);
    return false;
}

static bool eg_split(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "split", nargs, kwnames, 2, 2)) return false;
    Value m, r;
    if (!split_group(vm, args[0], args[1], &m, &r)) return false;
    *result = OBJ_VAL(tuple_pair(vm, m, r));
    return true;
}

static bool eg_subgroup(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "subgroup", nargs, kwnames, 2, 2)) return false;
    Value r;
    return split_group(vm, args[0], args[1], result, &r);
}

static bool eg_derive(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "derive", nargs, kwnames, 2, 2)) return false;
    ObjTuple *a = AS_EXCEPTION(args[0])->args;
    Value ctor[3] = {OBJ_VAL(vm->BaseExceptionGroup), a && a->count ? a->items[0] : OBJ_VAL(vm->s_empty), args[1]};
    return eg_new(vm, ctor, 3, NULL, result);
}

// except* support (the EG_MATCH instruction): splits exc by the handler's type.
bool exception_group_match(Vm *vm, Value exc, Value type, Value *match, Value *rest) {
    if (IS_NONE(exc)) {
        *match = *rest = NONE_VAL();
        return true;
    }
    if (is_group(vm, exc)) return split_group(vm, exc, type, match, rest);
    int k = condition_matches(vm, type, exc);
    if (k < 0) return false;
    if (!k) {
        *match = NONE_VAL();
        *rest = exc;
        return true;
    }
    // A naked exception caught by except* arrives wrapped: ExceptionGroup('', (exc,)).
    ObjTuple *one = tuple_new(vm, 1);
    one->items[0] = exc;
    vm_push_root(vm, OBJ_VAL(one));
    Value ctor[3] = {OBJ_VAL(vm->BaseExceptionGroup), OBJ_VAL(vm->s_empty), OBJ_VAL(one)};
    bool ok = eg_new(vm, ctor, 3, NULL, match);
    vm_pop_root(vm);
    *rest = NONE_VAL();
    return ok;
}

// What an except* statement re-raises: the unhandled rest, plus whatever its handlers raised.
bool exception_group_reraise(Vm *vm, Value orig, Value rest, ObjList *raised, Value *out) {
    if (raised->count == 0) {
        *out = rest;
        return true;
    }
    ObjList *all = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(all));
    for (size_t i = 0; i < raised->count; i++) list_append(vm, all, raised->items[i]);
    if (!IS_NONE(rest)) list_append(vm, all, rest);
    bool ok = true;
    if (all->count == 1) *out = all->items[0];
    else {
        Value ctor[3] = {OBJ_VAL(vm->BaseExceptionGroup), OBJ_VAL(vm->s_empty), OBJ_VAL(all)};
        ok = eg_new(vm, ctor, 3, NULL, out);
    }
    vm_pop_root(vm);
    return ok;
}

static void runtime_init_exception_groups(Vm *vm) {
    vm->BaseExceptionGroup = exception_class(vm, "BaseExceptionGroup", vm->BaseException);
    vm->ExceptionGroup = exception_class(vm, "ExceptionGroup", vm->Exception);
    vm->BaseExceptionGroup->flags |= CLASS_BASE_EXC_GROUP;
    vm->ExceptionGroup->flags |= CLASS_EXC_GROUP;
    define_methods(vm, vm->BaseExceptionGroup, (MethodDef[]){{"__new__", eg_new},
                                                             {"__init__", eg_init},
                                                             {"__str__", eg_str},
                                                             {"split", eg_split},
                                                             {"subgroup", eg_subgroup},
                                                             {"derive", eg_derive},
                                                             {NULL, NULL}});
    define_getters(vm, vm->BaseExceptionGroup,
                   (MethodDef[]){{"message", eg_message}, {"exceptions", eg_exceptions}, {NULL, NULL}});
    // ExceptionGroup reaches BaseExceptionGroup's methods through this copy of its namespace.
    size_t pos = 0;
    Value k, v;
    while (dict_next(vm->BaseExceptionGroup->dict, &pos, &k, &v))
        if (IS_EMPTY(dict_get_str(vm->ExceptionGroup->dict, AS_STR(k)))) dict_set(vm, vm->ExceptionGroup->dict, k, v);
}
