/* The traceback module's everyday part: print_exc / format_exc, print_exception /
 * format_exception / format_exception_only, print_tb / format_tb.
 *
 * The text comes from the same formatter as an uncaught exception's report (vm/error.c), so
 * both always agree.  format_* return CPython's pieces: the "Traceback ..." header, one string
 * per frame (its File line and source line together), the "During handling ..." separators,
 * and the final "Type: message" line.  limit is accepted but not applied.  extract_tb and the
 * StackSummary / FrameSummary / TracebackException classes are not provided.
 */
#include <string.h>

#include "error.h"
#include "modinit.h"

// Splits a report into CPython's pieces.
static ObjList *split_report(Vm *vm, const char *text, size_t length) {
    ObjList *pieces = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(pieces));
    const char *p = text, *end = text + length;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl + 1 : end;
        const char *piece_end = line_end;
        if (strncmp(p, "  File ", 7) == 0) {
            // the source line under a frame belongs to it
            while (piece_end < end && strncmp(piece_end, "    ", 4) == 0) {
                const char *n2 = memchr(piece_end, '\n', (size_t)(end - piece_end));
                piece_end = n2 ? n2 + 1 : end;
            }
        } else if (*p == '\n' && line_end < end &&
                   (strncmp(line_end, "During handling", 15) == 0 || strncmp(line_end, "The above exception", 19) == 0)) {
            // "\n<separator>\n\n" is one piece
            const char *n2 = memchr(line_end, '\n', (size_t)(end - line_end));
            piece_end = n2 ? n2 + 1 : end;
            if (piece_end < end && *piece_end == '\n') piece_end++;
        }
        ObjStr *s = str_new(vm, p, (size_t)(piece_end - p));
        vm_push_root(vm, OBJ_VAL(s));
        list_append(vm, pieces, OBJ_VAL(s));
        vm_pop_root(vm);
        p = piece_end;
    }
    vm_pop_root(vm);
    return pieces;
}

// The exception that (exc) or the 3.9 form (type, value, tb) names: value when given.
static Value exception_argument(Value *a) { return IS_EMPTY(a[1]) ? a[0] : a[1]; }

static bool truthy_arg(Vm *vm, Value v, bool dflt, bool *out) {
    if (IS_EMPTY(v)) {
        *out = dflt;
        return true;
    }
    return vm_truthy(vm, v, out);
}

static ObjList *format_exception_list(Vm *vm, Value exc, bool chain) {
    StrBuf sb;
    sb_init(&sb);
    if (IS_EXCEPTION(exc)) vm_format_exception(vm, exc, chain, &sb);
    else sb_printf(&sb, "%s: %s\n", vm_type_name(vm, exc), IS_NONE(exc) ? "None" : "?");
    ObjList *l = split_report(vm, sb.data ? sb.data : "", sb.length);
    sb_free(&sb);
    return l;
}

// Writes text to file, or to sys.stderr as it is now (a program may have replaced it).
static bool write_text(Vm *vm, Value file, ObjList *pieces) {
    if (IS_EMPTY(file) || IS_NONE(file)) {
        Value sys = dict_get_str(vm->modules, str_from_c(vm, "sys"));
        file = IS_MODULE(sys) ? dict_get_str(AS_MODULE(sys)->globals, str_from_c(vm, "stderr")) : vm->stderr_file;
        if (IS_EMPTY(file)) file = vm->stderr_file;
    }
    vm_push_root(vm, OBJ_VAL(pieces));
    vm_push_root(vm, file);
    fflush(stdout);
    bool ok = true;
    for (size_t i = 0; ok && i < pieces->count; i++) {
        Value r;
        int found = vm_call_method(vm, file, str_from_c(vm, "write"), &pieces->items[i], 1, &r);
        if (found == 0) ok = vm_raise(vm, vm->AttributeError, "'%s' object has no attribute 'write'", vm_type_name(vm, file));
        else ok = found > 0;
    }
    vm_pop_roots(vm, 2);
    return ok;
}

static const char *const exception_params[] = {"exc", "value", "tb", "limit", "file", "chain", NULL};

static bool tb_print_exception(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[6];
    if (!parse_args(vm, "print_exception", args, nargs, kwnames, exception_params, 1, a)) return false;
    bool chain;
    if (!truthy_arg(vm, a[5], true, &chain)) return false;
    ObjList *l = format_exception_list(vm, exception_argument(a), chain);
    *result = NONE_VAL();
    return write_text(vm, a[4], l);
}

static const char *const format_params[] = {"exc", "value", "tb", "limit", "chain", NULL};

static bool tb_format_exception(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[5];
    if (!parse_args(vm, "format_exception", args, nargs, kwnames, format_params, 1, a)) return false;
    bool chain;
    if (!truthy_arg(vm, a[4], true, &chain)) return false;
    *result = OBJ_VAL(format_exception_list(vm, exception_argument(a), chain));
    return true;
}

static const char *const only_params[] = {"exc", "value", NULL};

static bool tb_format_exception_only(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[2];
    if (!parse_args(vm, "format_exception_only", args, nargs, kwnames, only_params, 1, a)) return false;
    Value exc = exception_argument(a);
    StrBuf sb;
    sb_init(&sb);
    if (IS_EXCEPTION(exc)) vm_format_exception_only(vm, exc, &sb);
    else sb_printf(&sb, "%s: None\n", vm_type_name(vm, exc));
    ObjStr *s = str_new(vm, sb.data ? sb.data : "", sb.length);
    sb_free(&sb);
    vm_push_root(vm, OBJ_VAL(s));
    ObjList *l = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(l));
    list_append(vm, l, OBJ_VAL(s));
    vm_pop_roots(vm, 2);
    *result = OBJ_VAL(l);
    return true;
}

static const char *const exc_params[] = {"limit", "chain", NULL};
static const char *const print_exc_params[] = {"limit", "file", "chain", NULL};

static bool tb_format_exc(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[2];
    if (!parse_args(vm, "format_exc", args, nargs, kwnames, exc_params, 0, a)) return false;
    bool chain;
    if (!truthy_arg(vm, a[1], true, &chain)) return false;
    ObjList *l = format_exception_list(vm, vm_current_handled(vm), chain);
    StrBuf sb;
    sb_init(&sb);
    for (size_t i = 0; i < l->count; i++) sb_append(&sb, AS_STR(l->items[i])->chars, AS_STR(l->items[i])->length);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool tb_print_exc(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[3];
    if (!parse_args(vm, "print_exc", args, nargs, kwnames, print_exc_params, 0, a)) return false;
    bool chain;
    if (!truthy_arg(vm, a[2], true, &chain)) return false;
    ObjList *l = format_exception_list(vm, vm_current_handled(vm), chain);
    *result = NONE_VAL();
    return write_text(vm, a[1], l);
}

// The frames of a traceback object, without the header line.
static bool format_tb_list(Vm *vm, Value tb, ObjList **out) {
    ObjException *holder = exception_new(vm, vm->Exception, tuple_new(vm, 0));
    vm_push_root(vm, OBJ_VAL(holder));
    if (!exception_set_traceback(vm, holder, tb)) {
        vm_pop_root(vm);
        return false;
    }
    StrBuf sb;
    sb_init(&sb);
    vm_format_traceback(holder, &sb);
    const char *text = sb.data ? sb.data : "";
    const char *body = strchr(text, '\n');
    body = body ? body + 1 : text + sb.length;
    *out = split_report(vm, body, sb.length - (size_t)(body - text));
    sb_free(&sb);
    vm_pop_root(vm);
    return true;
}

static const char *const tb_params[] = {"tb", "limit", "file", NULL};

static bool tb_format_tb(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[3];
    if (!parse_args(vm, "format_tb", args, nargs, kwnames, tb_params, 1, a)) return false;
    ObjList *l;
    if (!format_tb_list(vm, a[0], &l)) return false;
    *result = OBJ_VAL(l);
    return true;
}

static bool tb_print_tb(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    Value a[3];
    if (!parse_args(vm, "print_tb", args, nargs, kwnames, tb_params, 1, a)) return false;
    ObjList *l;
    if (!format_tb_list(vm, a[0], &l)) return false;
    *result = NONE_VAL();
    return write_text(vm, a[2], l);
}

ObjModule *mod_traceback_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "traceback");
    vm_push_root(vm, OBJ_VAL(m));
    define_native(vm, m->globals, "print_exception", tb_print_exception);
    define_native(vm, m->globals, "format_exception", tb_format_exception);
    define_native(vm, m->globals, "format_exception_only", tb_format_exception_only);
    define_native(vm, m->globals, "format_exc", tb_format_exc);
    define_native(vm, m->globals, "print_exc", tb_print_exc);
    define_native(vm, m->globals, "format_tb", tb_format_tb);
    define_native(vm, m->globals, "print_tb", tb_print_tb);
    vm_pop_root(vm);
    return m;
}
