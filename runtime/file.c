/* Text files: open() and the objects behind sys.stdout, sys.stderr and sys.stdin.
 *
 * A file wraps a C stdio stream; text is UTF-8 with '\n' line endings.  Only the text modes
 * r, w, a (with + and an ignored t) are supported; binary modes are a documented difference.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "runtime.h"

static ObjFile *new_file(Vm *vm, FILE *fp, const char *name, const char *mode, bool std) {
    ObjStr *n = str_from_c(vm, name);
    vm_push_root(vm, OBJ_VAL(n));
    ObjStr *m = str_from_c(vm, mode);
    vm_push_root(vm, OBJ_VAL(m));
    ObjFile *f = (ObjFile *)gc_alloc_object(vm, sizeof(ObjFile), OBJ_FILE, vm->file_class);
    vm_pop_roots(vm, 2);
    f->fp = fp;
    f->name = n;
    f->mode = m;
    f->is_std = std;
    f->readable = strchr(mode, 'r') || strchr(mode, '+');
    f->writable = strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, '+');
    return f;
}

static bool raise_os_error(Vm *vm, int err, const char *filename) {
    return raise_os_errno(vm, err, OBJ_VAL(str_from_c(vm, filename)));
}

static bool builtin_open(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"file", "mode", "buffering", "encoding", "errors", "newline", NULL};
    Value a[6];
    if (!parse_args(vm, "open", args, nargs, kwnames, names, 1, a)) return false;
    if (!IS_STR(a[0]))
        return vm_raise(vm, vm->TypeError, "expected str, bytes or os.PathLike object, not %s", vm_type_name(vm, a[0]));
    const char *mode = IS_STR(a[1]) ? AS_STR(a[1])->chars : "r";
    char cmode[8];
    size_t n = 0;
    bool ok = strlen(mode) <= 3;
    int kinds = 0;
    for (const char *p = mode; *p && ok; p++) {
        if (*p == 'r' || *p == 'w' || *p == 'a' || *p == 'x') kinds++;
        else if (*p == 'b') return vm_raise(vm, vm->ValueError, "binary mode files are not supported by aio");
        else if (*p != '+' && *p != 't') ok = false;
        if (*p != 't' && *p != 'x') cmode[n++] = *p;
        if (*p == 'x') cmode[n++] = 'w';
    }
    cmode[n] = 0;
    if (!ok || kinds != 1) return vm_raise(vm, vm->ValueError, "invalid mode: '%s'", mode);
    if (!vm_sandbox_allows(vm, "open()", AS_STR(a[0])->chars)) return false;
    FILE *fp = fopen(AS_STR(a[0])->chars, cmode);
    if (!fp) return raise_os_error(vm, errno, AS_STR(a[0])->chars);
    *result = OBJ_VAL(new_file(vm, fp, AS_STR(a[0])->chars, mode, false));
    return true;
}

static bool check_open(Vm *vm, ObjFile *f) {
    if (!f->fp) return vm_raise(vm, vm->ValueError, "I/O operation on closed file.");
    return true;
}

bool file_write_str(Vm *vm, Value file, ObjStr *s) {
    if (IS_FILE(file)) {
        ObjFile *f = AS_FILE(file);
        if (!check_open(vm, f)) return false;
        if (!f->writable) return vm_raise(vm, vm->OSError, "not writable");
        fwrite(s->chars, 1, s->length, f->fp);
        if (f->fp == stderr) fflush(stderr);
        return true;
    }
    Value write, ignored;
    if (!vm_getattr(vm, file, str_from_c(vm, "write"), &write)) return false;
    return vm_call1(vm, write, OBJ_VAL(s), &ignored);
}

static bool file_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "write", nargs, kwnames, 2, 2)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "write() argument must be str, not %s", vm_type_name(vm, args[1]));
    if (!file_write_str(vm, args[0], AS_STR(args[1]))) return false;
    *result = INT_VAL((int64_t)AS_STR(args[1])->nchars);
    return true;
}

static bool file_writelines(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "writelines", nargs, kwnames, 2, 2)) return false;
    ObjList *lines = vm_list_from_iterable(vm, args[1]);
    if (!lines) return false;
    vm_push_root(vm, OBJ_VAL(lines));
    for (size_t i = 0; i < lines->count; i++) {
        if (!IS_STR(lines->items[i]) || !file_write_str(vm, args[0], AS_STR(lines->items[i]))) {
            vm_pop_root(vm);
            if (IS_EMPTY(vm->exception)) return vm_raise(vm, vm->TypeError, "write() argument must be str");
            return false;
        }
    }
    vm_pop_root(vm);
    *result = NONE_VAL();
    return true;
}

// Reads one line including its '\n'; false at end of file with nothing read.
static bool read_line(FILE *fp, StrBuf *sb) {
    int c;
    bool any = false;
    while ((c = fgetc(fp)) != EOF) {
        any = true;
        sb_putc(sb, (char)c);
        if (c == '\n') break;
    }
    return any;
}

static bool file_readline(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "readline", nargs, kwnames, 1, 2)) return false;
    ObjFile *f = AS_FILE(args[0]);
    if (!check_open(vm, f)) return false;
    if (f->fp == stdin) fflush(stdout);
    StrBuf sb;
    sb_init(&sb);
    read_line(f->fp, &sb);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool file_read(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "read", nargs, kwnames, 1, 2)) return false;
    ObjFile *f = AS_FILE(args[0]);
    if (!check_open(vm, f)) return false;
    if (!f->readable) return vm_raise(vm, vm->OSError, "not readable");
    int64_t limit = -1;
    if (nargs == 2 && !IS_NONE(args[1]) && !arg_int(vm, args[1], &limit)) return false;
    StrBuf sb;
    sb_init(&sb);
    int64_t chars = 0;
    int c;
    while ((limit < 0 || chars < limit) && (c = fgetc(f->fp)) != EOF) {
        sb_putc(&sb, (char)c);
        if (((unsigned char)c & 0xC0) != 0x80) {
            // count code points: finish a multi-byte sequence before counting the next one
            chars++;
        }
        if (limit >= 0 && chars == limit) {
            // pull in continuation bytes of the last character
            int d;
            while ((d = fgetc(f->fp)) != EOF && ((unsigned char)d & 0xC0) == 0x80) sb_putc(&sb, (char)d);
            if (d != EOF) ungetc(d, f->fp);
        }
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool file_readlines(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "readlines", nargs, kwnames, 1, 2)) return false;
    ObjFile *f = AS_FILE(args[0]);
    if (!check_open(vm, f)) return false;
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    for (;;) {
        StrBuf sb;
        sb_init(&sb);
        if (!read_line(f->fp, &sb)) {
            sb_free(&sb);
            break;
        }
        list_append(vm, l, OBJ_VAL(str_from_buf(vm, &sb)));
    }
    vm_pop_root(vm);
    *result = OBJ_VAL(l);
    return true;
}

static bool file_next(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (!check_open(vm, f)) return false;
    StrBuf sb;
    sb_init(&sb);
    if (!read_line(f->fp, &sb)) {
        sb_free(&sb);
        return vm_raise_value(vm, OBJ_VAL(vm->StopIteration));
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool file_self(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_open(vm, AS_FILE(args[0]))) return false;
    *result = args[0];
    return true;
}

static bool file_close(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (f->fp && !f->is_std) fclose(f->fp);
    else if (f->fp) fflush(f->fp);
    if (!f->is_std) f->fp = NULL;
    *result = NONE_VAL();
    return true;
}

static bool file_exit(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value ignored;
    file_close(vm, args, 1, NULL, &ignored);
    *result = BOOL_VAL(false);
    return true;
}

static bool file_flush(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    if (!check_open(vm, f)) return false;
    fflush(f->fp);
    *result = NONE_VAL();
    return true;
}

static bool file_closed(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = BOOL_VAL(AS_FILE(args[0])->fp == NULL);
    return true;
}

static bool file_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(AS_FILE(args[0])->name);
    return true;
}

static bool file_mode(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    *result = OBJ_VAL(AS_FILE(args[0])->mode);
    return true;
}

static bool file_repr(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    *result = OBJ_VAL(str_printf(vm, "<_io.TextIOWrapper name='%s' mode='%s' encoding='UTF-8'>", f->name->chars,
                                 f->mode->chars));
    return true;
}

static bool file_isatty(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjFile *f = AS_FILE(args[0]);
    *result = BOOL_VAL(f->fp && isatty(fileno(f->fp)));
    return true;
}

static void add_property(Vm *vm, const char *name, NativeFn getter) {
    ObjNative *n = native_new(vm, name, getter, vm->file_class);
    vm_push_root(vm, OBJ_VAL(n));
    ObjWrapper *w = wrapper_new(vm, vm->property_class, WRAP_PROPERTY, OBJ_VAL(n), NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(w));
    dict_set_cstr(vm, vm->file_class->dict, name, OBJ_VAL(w));
    vm_pop_roots(vm, 2);
}

void runtime_init_file(Vm *vm) {
    define_methods(vm, vm->file_class, (MethodDef[]){{"write", file_write},
                                                     {"writelines", file_writelines},
                                                     {"read", file_read},
                                                     {"readline", file_readline},
                                                     {"readlines", file_readlines},
                                                     {"__next__", file_next},
                                                     {"__iter__", file_self},
                                                     {"__enter__", file_self},
                                                     {"__exit__", file_exit},
                                                     {"close", file_close},
                                                     {"flush", file_flush},
                                                     {"isatty", file_isatty},
                                                     {"__repr__", file_repr},
                                                     {NULL, NULL}});
    add_property(vm, "closed", file_closed);
    add_property(vm, "name", file_name);
    add_property(vm, "mode", file_mode);
    define_native(vm, vm->builtins, "open", builtin_open);
    vm->stdout_file = OBJ_VAL(new_file(vm, stdout, "<stdout>", "w", true));
    vm->stderr_file = OBJ_VAL(new_file(vm, stderr, "<stderr>", "w", true));
    vm->stdin_file = OBJ_VAL(new_file(vm, stdin, "<stdin>", "r", true));
}
