/* Raising exceptions and printing them the way CPython does.
 *
 * One rule for errors in C: a function that fails leaves the exception in vm->exception and
 * returns false.  vm_raise* create and set it; the interpreter's unwinder (vm.c) adds traceback
 * entries as the exception leaves each frame.  Printing follows CPython's traceback.c: the chain of
 * __cause__ / __context__ first, then "Traceback (most recent call last):", one `File` line per
 * entry with the source line, and `Type: message`.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "error.h"
#include "gc.h"
#include "dict.h"


bool vm_raise_value(Vm *vm, Value exc) {
    if (IS_CLASS(exc)) {
        Value inst;
        if (!vm_call(vm, exc, NULL, 0, NULL, &inst)) return false;
        exc = inst;
    }
    if (!IS_EXCEPTION(exc)) {
        return vm_raise(vm, vm->TypeError, "exceptions must derive from BaseException");
    }
    ObjException *e = AS_EXCEPTION(exc);
    Value context = vm_current_handled(vm);
    if (!IS_NONE(context) && !value_is(context, exc)) {
        // Break a cycle rather than make one: CPython does the same walk.
        ObjException *c = AS_EXCEPTION(context);
        while (true) {
            if (!IS_EXCEPTION(c->context)) break;
            if (AS_OBJ(c->context) == (Obj *)e) {
                c->context = NONE_VAL();
                break;
            }
            c = AS_EXCEPTION(c->context);
        }
        e->context = context;
    }
    vm->exception = exc;
    return false;
}

// The preallocated MemoryError is raised afresh each time (CPython makes a new one): the traceback,
// cause and context of its last raise are dropped first.
bool vm_raise_memory_error(Vm *vm) {
    ObjException *e = vm->memory_error;
    e->ntrace = 0;
    e->traceback = NONE_VAL();
    e->traceback_covers = 0;
    e->async_trail = NONE_VAL();
    e->cause = NONE_VAL();
    e->context = NONE_VAL();
    e->suppress_context = false;
    return vm_raise_value(vm, OBJ_VAL(e));
}

bool vm_raise(Vm *vm, ObjClass *cls, const char *fmt, ...) {
    StrBuf sb;
    sb_init(&sb);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&sb, fmt, ap);
    va_end(ap);
    ObjStr *msg = str_from_buf(vm, &sb);
    return vm_raise_obj(vm, cls, OBJ_VAL(msg));
}

bool vm_raise_obj(Vm *vm, ObjClass *cls, Value arg) {
    vm_push_root(vm, arg);
    ObjTuple *args = tuple_new(vm, 1);
    args->items[0] = arg;
    vm_push_root(vm, OBJ_VAL(args));
    ObjException *e = exception_new(vm, cls, args);
    vm_pop_roots(vm, 2);
    if (cls == vm->StopIteration) e->extra = arg;
    return vm_raise_value(vm, OBJ_VAL(e));
}

bool vm_exception_matches(Vm *vm, ObjClass *cls) {
    return !IS_EMPTY(vm->exception) && vm_is_instance(vm, vm->exception, cls);
}

void vm_clear_exception(Vm *vm) { vm->exception = EMPTY_VAL(); }

bool vm_raise_with_cause(Vm *vm, Value exc, Value cause) {
    if (IS_CLASS(exc)) {
        if (!class_is_subclass(AS_CLASS(exc), vm->BaseException))
            return vm_raise(vm, vm->TypeError, "exceptions must derive from BaseException");
        Value inst;
        if (!vm_call(vm, exc, NULL, 0, NULL, &inst)) return false;
        exc = inst;
    }
    if (!IS_EXCEPTION(exc)) return vm_raise(vm, vm->TypeError, "exceptions must derive from BaseException");
    if (!IS_EMPTY(cause)) {
        vm_push_root(vm, exc);
        if (IS_CLASS(cause)) {
            Value inst;
            if (!class_is_subclass(AS_CLASS(cause), vm->BaseException) ||
                !vm_call(vm, cause, NULL, 0, NULL, &inst)) {
                vm_pop_root(vm);
                if (!IS_EMPTY(vm->exception)) return false;
                return vm_raise(vm, vm->TypeError, "exception causes must derive from BaseException");
            }
            cause = inst;
        }
        vm_pop_root(vm);
        if (!IS_NONE(cause) && !IS_EXCEPTION(cause))
            return vm_raise(vm, vm->TypeError, "exception causes must derive from BaseException");
        AS_EXCEPTION(exc)->cause = cause;
        AS_EXCEPTION(exc)->suppress_context = true;
    }
    return vm_raise_value(vm, exc);
}

// ---- syntax errors ------------------------------------------------------------------------------

bool vm_raise_syntax_error(Vm *vm, const char *filename, const char *text, const SyntaxErr *err) {
    if (err->type && strcmp(err->type, "RecursionError") == 0)
        return vm_raise(vm, vm->RecursionError, "%s", err->message);
    ObjClass *cls = vm->SyntaxError;
    if (err->type && strcmp(err->type, "IndentationError") == 0) cls = vm->IndentationError;
    else if (err->type && strcmp(err->type, "TabError") == 0) {
        Value tab_error = dict_get_str(vm->builtins, str_intern(vm, "TabError", 8));
        cls = IS_CLASS(tab_error) ? AS_CLASS(tab_error) : vm->IndentationError;
    }
    // The offending line's text, for the caret display.
    const char *p = text;
    for (int line = 1; line < err->line && p && *p; line++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    const char *end = p ? strchr(p, '\n') : NULL;
    size_t len = p ? (end ? (size_t)(end - p) : strlen(p)) : 0;
    ObjStr *msg = str_from_c(vm, err->message);
    vm_push_root(vm, OBJ_VAL(msg));
    ObjTuple *args = tuple_new(vm, 1);
    args->items[0] = OBJ_VAL(msg);
    vm_push_root(vm, OBJ_VAL(args));
    ObjException *e = exception_new(vm, cls, args);
    vm_push_root(vm, OBJ_VAL(e));
    e->dict = dict_new(vm);
    dict_set_cstr(vm, e->dict, "msg", OBJ_VAL(msg));
    dict_set_cstr(vm, e->dict, "filename", OBJ_VAL(str_from_c(vm, filename)));
    dict_set_cstr(vm, e->dict, "lineno", INT_VAL(err->line));
    dict_set_cstr(vm, e->dict, "offset", INT_VAL(err->col));
    int end_col = err->end_col > err->col ? err->end_col : err->col + 1;
    if (err->end_col < 0 && p) { // to the end of the line: one past its last non-blank character
        size_t n = len;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) n--;
        int chars = 0;
        for (size_t i = 0; i < n; i++) chars += ((unsigned char)p[i] & 0xC0) != 0x80;
        if (chars + 1 > err->col) end_col = chars + 1;
    }
    dict_set_cstr(vm, e->dict, "end_offset", INT_VAL(end_col));
    dict_set_cstr(vm, e->dict, "text", p ? OBJ_VAL(str_new(vm, p, len)) : NONE_VAL());
    vm_pop_roots(vm, 3);
    vm->exception = OBJ_VAL(e);
    return false;
}

// ---- printing -----------------------------------------------------------------------------------

// The source line `line` of `filename`, stripped of leading and trailing blanks, or NULL.
char *vm_source_line(const char *filename, int line) {
    if (filename[0] == '<') return NULL;
    FILE *f = fopen(filename, "r");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = 0;
    int at = 0;
    while ((n = getline(&buf, &cap, f)) >= 0) {
        if (++at == line) break;
    }
    fclose(f);
    if (at != line || n < 0) {
        free(buf);
        return NULL;
    }
    char *s = buf;
    while (*s == ' ' || *s == '\t' || *s == '\f') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    memmove(buf, s, len);
    buf[len] = 0;
    return buf;
}

static void print_traceback(ObjException *e, StrBuf *out, bool with_source) {
    if (e->ntrace == 0) return;
    sb_puts(out, "Traceback (most recent call last):\n");
    // Entries are stored innermost first; CPython prints the outermost first.  Runs of the same
    // entry (deep recursion) are folded as CPython does after three repeats.
    int repeat = 0;
    for (int i = e->ntrace - 1; i >= 0; i--) {
        TraceEntry *t = &e->trace[i];
        if (i < e->ntrace - 1 && e->trace[i + 1].code == t->code && e->trace[i + 1].line == t->line) {
            repeat++;
            if (repeat >= 3) continue;
        } else {
            if (repeat >= 3)
                sb_printf(out, "  [Previous line repeated %d more time%s]\n", repeat - 2, repeat - 2 == 1 ? "" : "s");
            repeat = 0;
        }
        sb_printf(out, "  File \"%s\", line %d, in %s\n", t->code->filename->chars, t->line,
                  t->code->name->chars);
        char *src = with_source ? vm_source_line(t->code->filename->chars, t->line) : NULL;
        if (src) {
            if (*src) sb_printf(out, "    %s\n", src);
            free(src);
        }
    }
    if (repeat >= 3)
        sb_printf(out, "  [Previous line repeated %d more time%s]\n", repeat - 2, repeat - 2 == 1 ? "" : "s");
}

// "Type: message" (or "Type" when the message is empty), with the module prefix CPython adds for
// classes not defined in builtins.
static void print_exception_line(Vm *vm, Value exc, StrBuf *out) {
    ObjException *e = AS_EXCEPTION(exc);
    ObjClass *cls = AS_OBJ(exc)->cls;
    Value mod = dict_get_str(cls->dict, vm->s_module);
    if (IS_STR(mod) && strcmp(AS_STR(mod)->chars, "builtins") != 0)
        sb_printf(out, "%s.%s", AS_STR(mod)->chars, cls->qualname->chars);
    else
        sb_puts(out, cls->name->chars);
    if (class_is_subclass(cls, vm->SyntaxError) && e->dict) {
        // File "x", line N / the source line / the caret
        Value fn = dict_get_str(e->dict, str_from_c(vm, "filename"));
        Value ln = dict_get_str(e->dict, str_from_c(vm, "lineno"));
        Value text = dict_get_str(e->dict, str_from_c(vm, "text"));
        Value off = dict_get_str(e->dict, str_from_c(vm, "offset"));
        Value endoff = dict_get_str(e->dict, str_from_c(vm, "end_offset"));
        StrBuf head;
        sb_init(&head);
        if (IS_STR(fn) && IS_INT(ln)) sb_printf(&head, "  File \"%s\", line %lld\n", AS_STR(fn)->chars, (long long)AS_INT(ln));
        if (IS_STR(text)) {
            const char *s = AS_STR(text)->chars;
            size_t skipped = 0;
            while (*s == ' ' || *s == '\t' || *s == '\f') {
                s++;
                skipped++;
            }
            size_t len = strlen(s);
            while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r')) len--;
            sb_puts(&head, "    ");
            sb_append(&head, s, len);
            sb_putc(&head, '\n');
            if (IS_INT(off)) {
                long long col = AS_INT(off) - 1 - (long long)skipped;
                long long width = IS_INT(endoff) ? AS_INT(endoff) - AS_INT(off) : 1;
                if (width < 1) width = 1;
                // An offset left of the stripped text (TabError, "unexpected indent") gets no caret.
                if (col < 0) goto no_caret;
                // columns count characters: pad with spaces per code point before the caret
                sb_puts(&head, "    ");
                sb_repeat(&head, ' ', (size_t)col);
                sb_repeat(&head, '^', (size_t)width);
                sb_putc(&head, '\n');
            }
        no_caret:;
        }
        // the head goes before "SyntaxError:", so splice: out currently ends with the class name
        size_t name_len = strlen(cls->name->chars);
        out->length -= name_len;
        out->data[out->length] = 0;
        if (head.data) sb_append(out, head.data, head.length);
        sb_free(&head);
        sb_puts(out, cls->name->chars);
    }
    ObjStr *msg = NULL;
    if (e->args && e->args->count == 0) msg = NULL;
    else msg = vm_str(vm, exc);
    if (!msg) vm_clear_exception(vm);
    if (msg && msg->length) {
        sb_puts(out, ": ");
        sb_append(out, msg->chars, msg->length);
    }
    sb_putc(out, '\n');
}

static void format_chain(Vm *vm, Value exc, StrBuf *out, int depth);

// Appends text with every line prefixed (exception groups nest their parts in boxes).
static void append_prefixed(StrBuf *out, const char *text, size_t len, const char *prefix) {
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        sb_puts(out, prefix);
        sb_append(out, text + i, j - i);
        sb_putc(out, '\n');
        i = j + 1;
    }
}

// An exception group prints as CPython's traceback module draws it: the group's own traceback
// in a box, then each sub-exception in a numbered box one level deeper.  Only the innermost last
// box draws the closing rule (*need_close, as traceback.py's _ctx.need_close).
static void format_group(Vm *vm, Value exc, StrBuf *out, int depth, const char *pad, bool *need_close) {
    ObjException *e = AS_EXCEPTION(exc);
    StrBuf own;
    sb_init(&own);
    print_traceback(e, &own, true);
    bool titled = own.data != NULL || depth == 0;
    if (own.data && strncmp(own.data, "Traceback", 9) == 0) {
        size_t nl = strcspn(own.data, "\n");
        memmove(own.data, own.data + nl + 1, own.length - nl);
        own.length -= nl + 1;
    }
    print_exception_line(vm, exc, &own);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s| ", pad);
    if (titled) sb_printf(out, "%s+ Exception Group Traceback (most recent call last):\n", pad);
    if (own.data) append_prefixed(out, own.data, own.length, prefix);
    sb_free(&own);
    Value excs;
    if (!vm_getattr(vm, exc, str_from_c(vm, "exceptions"), &excs) || !IS_TUPLE(excs)) {
        vm_clear_exception(vm);
        return;
    }
    ObjTuple *t = AS_TUPLE(excs);
    char inner_pad[128];
    snprintf(inner_pad, sizeof inner_pad, "%s  ", pad);
    for (size_t i = 0; i < t->count; i++) {
        bool last = i + 1 == t->count;
        if (last) *need_close = true;
        sb_printf(out, "%s%s---------------- %zu ----------------\n", pad, i == 0 ? "+-+" : "  +", i + 1);
        Value sub = t->items[i];
        if (IS_EXCEPTION(sub) && vm_is_instance(vm, sub, vm->BaseExceptionGroup) && depth < 16) {
            format_group(vm, sub, out, depth + 1, inner_pad, need_close);
        } else if (IS_EXCEPTION(sub)) {
            StrBuf inner;
            sb_init(&inner);
            format_chain(vm, sub, &inner, depth + 1);
            char subpad[160];
            snprintf(subpad, sizeof subpad, "%s| ", inner_pad);
            if (inner.data) append_prefixed(out, inner.data, inner.length, subpad);
            sb_free(&inner);
        }
        if (last && *need_close) {
            sb_printf(out, "%s+------------------------------------\n", inner_pad);
            *need_close = false;
        }
    }
}

static void format_chain(Vm *vm, Value exc, StrBuf *out, int depth) {
    ObjException *e = AS_EXCEPTION(exc);
    if (depth < 32) {
        if (IS_EXCEPTION(e->cause)) {
            format_chain(vm, e->cause, out, depth + 1);
            sb_puts(out, "\nThe above exception was the direct cause of the following exception:\n\n");
        } else if (IS_EXCEPTION(e->context) && !e->suppress_context) {
            format_chain(vm, e->context, out, depth + 1);
            sb_puts(out, "\nDuring handling of the above exception, another exception occurred:\n\n");
        }
    }
    if (vm->BaseExceptionGroup && vm_is_instance(vm, exc, vm->BaseExceptionGroup)) {
        bool need_close = false;
        format_group(vm, exc, out, depth, "  ", &need_close);
        return;
    }
    print_traceback(e, out, true);
    print_exception_line(vm, exc, out);
}

void vm_format_exception(Vm *vm, Value exc, bool chain, StrBuf *out) {
    if (!IS_EXCEPTION(exc)) return;
    vm_push_root(vm, exc);
    if (chain) format_chain(vm, exc, out, 0);
    else {
        print_traceback(AS_EXCEPTION(exc), out, true);
        print_exception_line(vm, exc, out);
    }
    vm_pop_root(vm);
}

void vm_format_traceback(ObjException *e, StrBuf *out) { print_traceback(e, out, true); }

void vm_format_exception_only(Vm *vm, Value exc, StrBuf *out) {
    if (IS_EXCEPTION(exc)) print_exception_line(vm, exc, out);
}

void vm_print_exception_brief(Vm *vm, Value exc) {
    if (!IS_EXCEPTION(exc)) return;
    vm_push_root(vm, exc);
    StrBuf out;
    sb_init(&out);
    print_traceback(AS_EXCEPTION(exc), &out, false);
    print_exception_line(vm, exc, &out);
    vm_pop_root(vm);
    fflush(stdout);
    if (out.data) fwrite(out.data, 1, out.length, stderr);
    fflush(stderr);
    sb_free(&out);
}

void vm_print_exception(Vm *vm, Value exc) {
    if (!IS_EXCEPTION(exc)) return;
    vm_push_root(vm, exc);
    StrBuf out;
    sb_init(&out);
    format_chain(vm, exc, &out, 0);
    vm_pop_root(vm);
    fflush(stdout);
    if (out.data) fwrite(out.data, 1, out.length, stderr);
    fflush(stderr);
    sb_free(&out);
}

// ---- errno to exception class -------------------------------------------------------------------
// The one table every OS-facing module uses (files, os, socket, the event loop): PEP 3151's
// mapping from errno values to OSError subclasses.  An errno not listed raises plain OSError.

static const struct {
    int err;
    const char *class_name;
} errno_classes[] = {
    {EAGAIN, "BlockingIOError"},         {EWOULDBLOCK, "BlockingIOError"},
    {EALREADY, "BlockingIOError"},       {EINPROGRESS, "BlockingIOError"},
    {ECHILD, "ChildProcessError"},       {EPIPE, "BrokenPipeError"},
    {ESHUTDOWN, "BrokenPipeError"},      {ECONNABORTED, "ConnectionAbortedError"},
    {ECONNREFUSED, "ConnectionRefusedError"}, {ECONNRESET, "ConnectionResetError"},
    {EEXIST, "FileExistsError"},         {ENOENT, "FileNotFoundError"},
    {EISDIR, "IsADirectoryError"},       {ENOTDIR, "NotADirectoryError"},
    {EINTR, "InterruptedError"},         {EACCES, "PermissionError"},
    {EPERM, "PermissionError"},          {ESRCH, "ProcessLookupError"},
    {ETIMEDOUT, "TimeoutError"},
};

ObjClass *vm_exception_class_for_errno(Vm *vm, int err) {
    for (size_t i = 0; i < sizeof errno_classes / sizeof errno_classes[0]; i++) {
        if (errno_classes[i].err != err) continue;
        Value cls = dict_get_str(vm->builtins, str_from_c(vm, errno_classes[i].class_name));
        if (IS_CLASS(cls) && class_is_subclass(AS_CLASS(cls), vm->OSError)) return AS_CLASS(cls);
        break;
    }
    return vm->OSError;
}
