/* hints: the learner's hints (hints.h says which, and when they are printed).
 *
 * Each hint is built in a StrBuf and printed as one line, "hint: ...\n", after stdout is flushed
 * (so the two streams read in order on a terminal).  A place is "prog.aio:7", as the views of the
 * event stream show places (events_describe_location).  The "what to write instead" part quotes
 * the program's own source line when it is a single call ("await fetch(url)"), else the
 * coroutine's name ("await fetch()").
 */
#include "hints.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug_mode.h"
#include "dict.h"
#include "error.h"
#include "events.h"
#include "frame.h"
#include "runtime.h"

static void put_hint(StrBuf *sb) {
    fflush(stdout);
    fprintf(stderr, "hint: %s\n", sb->data ? sb->data : "");
    fflush(stderr);
    sb_free(sb);
}

// The source line `line` of code when it is one call and nothing else ("fetch(url)", a trailing
// comment dropped), malloc'ed; else NULL.
static char *call_statement(ObjCode *code, int line) {
    if (!code) return NULL;
    char *text = vm_source_line(code->filename->chars, line);
    if (!text) return NULL;
    char quote = 0;
    size_t end = 0;
    int depth = 0; // of brackets: an `=` inside them is a keyword argument, outside an assignment
    for (size_t i = 0; text[i]; i++) {
        char c = text[i];
        if (quote) {
            if (c == '\\' && text[i + 1]) i++;
            else if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '#') {
            break;
        } else if (c == '(' || c == '[' || c == '{') {
            depth++;
        } else if (c == ')' || c == ']' || c == '}') {
            depth--;
        } else if (c == ';' || (c == '=' && depth == 0)) {
            end = 0;
            break;
        }
        if (!isspace((unsigned char)c)) end = i + 1;
    }
    if (end == 0 || text[end - 1] != ')' || !(isalpha((unsigned char)text[0]) || text[0] == '_')) {
        free(text);
        return NULL;
    }
    text[end] = 0;
    return text;
}

// "prog.aio:7" into sb.
static void put_place(Vm *vm, ObjCode *code, int line, StrBuf *sb) { events_describe_location(vm, code, line, sb); }

// ---- a coroutine never awaited --------------------------------------------------------------------

// CPython's warning, as it prints it when a coroutine that never ran is freed.
static void warn_never_awaited(ObjStr *qualname, ObjCode *origin, int origin_line) {
    fflush(stdout);
    if (origin) {
        fprintf(stderr, "%s:%d: RuntimeWarning: coroutine '%s' was never awaited\n", origin->filename->chars,
                origin_line, qualname->chars);
        char *src = vm_source_line(origin->filename->chars, origin_line);
        if (src) fprintf(stderr, "  %s\n", src);
        free(src);
    } else {
        fprintf(stderr, "RuntimeWarning: coroutine '%s' was never awaited\n", qualname->chars);
    }
    fputs("RuntimeWarning: Enable tracemalloc to get the object allocation traceback\n", stderr);
}

void hints_never_awaited(Vm *vm, ObjStr *qualname, ObjCode *origin, int origin_line) {
    warn_never_awaited(qualname, origin, origin_line);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "the coroutine %s() made", qualname->chars);
    if (origin) {
        sb_puts(&sb, " at ");
        put_place(vm, origin, origin_line, &sb);
    }
    sb_puts(&sb, " never ran: nothing awaited it; a coroutine runs only when awaited, or when "
                 "asyncio.create_task() wraps it in a task of a running loop");
    put_hint(&sb);
}

void hints_coroutine_dropped(Vm *vm, Value coro) {
    ObjStr *name;
    ObjCode *origin;
    int line;
    bool is_sleep = IS_SLEEP(coro);
    if (is_sleep) {
        ObjSleep *s = AS_SLEEP(coro);
        if (s->state != SLEEP_CREATED || s->was_awaited) return;
        name = vm->s_sleep, origin = s->origin_code, line = s->origin_line;
    } else {
        ObjGenerator *g = AS_GENERATOR(coro);
        if (g->flavor != FLAVOR_COROUTINE || g->state != GEN_CREATED || g->was_awaited) return;
        name = g->qualname, origin = g->origin_code, line = g->origin_line;
    }
    // Made elsewhere (a function that returned a coroutine it may also have kept): the collector
    // decides, later.
    if (!vm->frame || origin != vm->frame->code) return;
    vm_push_root(vm, coro);
    if (is_sleep) AS_SLEEP(coro)->was_awaited = true; // reported now: the collector says nothing more
    else AS_GENERATOR(coro)->was_awaited = true;
    warn_never_awaited(name, origin, line);
    char *call = call_statement(origin, line);
    StrBuf sb;
    sb_init(&sb);
    if (call) sb_puts(&sb, call);
    else sb_printf(&sb, "%s%s()", is_sleep ? "asyncio." : "", name->chars);
    StrBuf what;
    sb_init(&what);
    sb_append(&what, sb.data, sb.length);
    if (origin) {
        sb_puts(&sb, " at ");
        put_place(vm, origin, line, &sb);
    }
    sb_puts(&sb, " made a coroutine object but nothing ran it");
    if (is_sleep) sb_printf(&sb, ", so nothing waited; write \"await %s\"", what.data);
    else if (origin && (origin->flags & CODE_COROUTINE))
        sb_printf(&sb, "; write \"await %s\" or \"asyncio.create_task(%s)\"", what.data, what.data);
    else if (origin && (origin->flags & CODE_MODULE))
        sb_printf(&sb, "; write \"asyncio.run(%s)\"", what.data);
    else
        sb_printf(&sb, "; write \"await %s\" inside an async def, or \"asyncio.run(%s)\" to start the program",
                  what.data, what.data);
    free(call);
    sb_free(&what);
    put_hint(&sb);
    vm_pop_root(vm);
}

// ---- tasks: an exception nobody saw, destroyed while pending, cancellation swallowed ------------

// "Task-2 boom(), made at prog.aio:7": the task and where its coroutine was made.
static void describe_task_origin(Vm *vm, ObjFuture *task, StrBuf *sb) {
    events_describe_task(vm, task, sb);
    if (IS_GENERATOR(task->coro) && AS_GENERATOR(task->coro)->origin_code) {
        ObjGenerator *g = AS_GENERATOR(task->coro);
        sb_puts(sb, " (made at ");
        put_place(vm, g->origin_code, g->origin_line, sb);
        sb_putc(sb, ')');
    }
}

void hints_exception_never_retrieved(Vm *vm, ObjFuture *task) {
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "nothing awaited ");
    describe_task_origin(vm, task, &sb);
    sb_puts(&sb, ", so nobody saw its exception; await the task (or gather it), or read task.exception() in "
                 "a done callback");
    put_hint(&sb);
}

void hints_destroyed_pending(Vm *vm, ObjFuture *task) {
    StrBuf sb;
    sb_init(&sb);
    bool closed = IS_LOOP(task->loop) && loop_closed(AS_LOOP(task->loop));
    sb_puts(&sb, closed ? "the loop closed while " : "nothing can wake ");
    describe_task_origin(vm, task, &sb);
    ObjCode *code;
    int line;
    sb_puts(&sb, closed ? " still waited" : " any more: it waits");
    if (events_task_location(vm, task, &code, &line)) {
        sb_puts(&sb, " at ");
        put_place(vm, code, line, &sb);
    }
    if (!IS_NONE(task->fut_waiter)) {
        sb_puts(&sb, " for ");
        events_describe_awaited(vm, task->fut_waiter, &sb);
    }
    if (closed) sb_puts(&sb, "; await the task (or cancel it and await it) before the loop closes");
    else sb_puts(&sb, ", and nothing refers to it or to what it awaits");
    put_hint(&sb);
}

void hints_cancel_swallowed(Vm *vm, ObjFuture *task, Value result) {
    StrBuf sb;
    sb_init(&sb);
    describe_task_origin(vm, task, &sb);
    sb_puts(&sb, " was cancelled");
    const char *where = debug_mode_cancelled_at(task);
    if (where) sb_printf(&sb, " at %s", where);
    sb_puts(&sb, ", but it caught CancelledError and returned ");
    events_describe_value(vm, result, &sb);
    sb_puts(&sb, "; after cleaning up, re-raise it (\"raise\") so that cancel() ends the task");
    put_hint(&sb);
}

// ---- hints after an uncaught exception -----------------------------------------------------------

// The innermost place in the program's own code the exception passed through (its traceback's
// entries go innermost first).
static bool program_place(Vm *vm, ObjException *e, ObjCode **code, int *line) {
    for (int i = 0; i < e->ntrace; i++) {
        if (e->trace[i].code && events_is_program_code(vm, e->trace[i].code)) {
            *code = e->trace[i].code;
            *line = e->trace[i].line;
            return true;
        }
    }
    return false;
}

static const char *message_of(ObjException *e) {
    return e->args && e->args->count == 1 && IS_STR(e->args->items[0]) ? AS_STR(e->args->items[0])->chars : "";
}

// The argument text of the first call of `callee(` in text ("inner()" in "print(asyncio.run(inner()))"),
// malloc'ed, or NULL.
static char *call_argument(const char *text, const char *callee) {
    const char *at = text ? strstr(text, callee) : NULL;
    if (!at) return NULL;
    const char *start = at + strlen(callee);
    int depth = 1;
    const char *p = start;
    for (; *p && depth; p++) {
        if (*p == '(') depth++;
        else if (*p == ')') depth--;
    }
    if (depth || p - 1 == start) return NULL;
    size_t n = (size_t)(p - 1 - start);
    char *arg = malloc(n + 1);
    if (!arg) return NULL;
    memcpy(arg, start, n);
    arg[n] = 0;
    return arg;
}

static void hint_nested_run(Vm *vm, ObjException *e) {
    ObjCode *code;
    int line;
    if (!program_place(vm, e, &code, &line)) return;
    char *text = vm_source_line(code->filename->chars, line);
    char *arg = call_argument(text, "run(");
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "asyncio.run() at ");
    put_place(vm, code, line, &sb);
    sb_puts(&sb, " was called inside a coroutine, where the loop already runs; ");
    if (arg) sb_printf(&sb, "write \"await %s\" there (asyncio.run() starts the program, once, outside any async def)", arg);
    else sb_puts(&sb, "await the coroutine there instead (asyncio.run() starts the program, once, outside any async def)");
    free(arg);
    free(text);
    put_hint(&sb);
}

// `with` / `async with` on a manager of the other kind (vm_with_enter left its class in extra).
static void hint_with_protocol(Vm *vm, ObjException *e) {
    if (!IS_CLASS(e->extra)) return;
    ObjClass *cls = AS_CLASS(e->extra);
    bool wanted_async = strstr(message_of(e), "asynchronous") != NULL;
    bool has_plain = !IS_EMPTY(class_lookup(cls, vm->s_enter)) && !IS_EMPTY(class_lookup(cls, vm->s_exit));
    bool has_async = !IS_EMPTY(class_lookup(cls, vm->s_aenter)) && !IS_EMPTY(class_lookup(cls, vm->s_aexit));
    if (wanted_async ? !has_plain : !has_async) return;
    ObjCode *code;
    int line;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s is %s context manager: write \"%s\" instead of \"%s\"", cls->name->chars,
              wanted_async ? "a plain" : "an asynchronous", wanted_async ? "with" : "async with",
              wanted_async ? "async with" : "with");
    if (program_place(vm, e, &code, &line)) {
        sb_puts(&sb, " at ");
        put_place(vm, code, line, &sb);
    }
    if (!wanted_async) sb_puts(&sb, " (inside an async def)");
    put_hint(&sb);
}

// `await x` where x is not awaitable; the commonest is `await time.sleep(1)`.
static void hint_not_awaitable(Vm *vm, ObjException *e) {
    ObjCode *code;
    int line;
    if (!program_place(vm, e, &code, &line)) return;
    char *text = vm_source_line(code->filename->chars, line);
    char *arg = call_argument(text, "time.sleep(");
    StrBuf sb;
    sb_init(&sb);
    if (arg) {
        sb_puts(&sb, "time.sleep() at ");
        put_place(vm, code, line, &sb);
        sb_printf(&sb, " is not a coroutine: it blocks every task and returns None; write \"await asyncio.sleep(%s)\"", arg);
    } else {
        sb_puts(&sb, "only a coroutine, a Task or a Future can be awaited, and the value after \"await\" at ");
        put_place(vm, code, line, &sb);
        sb_puts(&sb, " is none of these; call an async def function there, or drop the \"await\"");
    }
    free(arg);
    free(text);
    put_hint(&sb);
}

// asyncio.create_task(), get_running_loop() ... outside a coroutine.
static void hint_no_running_loop(Vm *vm, ObjException *e) {
    ObjCode *code;
    int line;
    if (!program_place(vm, e, &code, &line)) return;
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "the call at ");
    put_place(vm, code, line, &sb);
    sb_puts(&sb, " needs the event loop, which runs only inside asyncio.run(): make it from a coroutine that "
                 "asyncio.run(main()) runs");
    put_hint(&sb);
}

// ---- a misspelt async or await (SyntaxError) -----------------------------------------------------

// Optimal string alignment distance (edits: insert, delete, substitute, swap two neighbours), for
// words of at most 15 characters; larger for longer ones.
static int edit_distance(const char *a, size_t la, const char *b, size_t lb) {
    if (la > 15 || lb > 15) return 99;
    int d[16][16];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == b[j - 2] && tolower((unsigned char)a[i - 2]) == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

static bool is_word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

// A SyntaxError attribute set by the parser (lineno, offset, text), or EMPTY.
static Value syntax_field(ObjException *e, const char *name) {
    if (!e->dict) return EMPTY_VAL();
    size_t pos = 0;
    Value key, value;
    while (dict_next(e->dict, &pos, &key, &value))
        if (IS_STR(key) && strcmp(AS_STR(key)->chars, name) == 0) return value;
    return EMPTY_VAL();
}

// " at prog.aio:3" for a SyntaxError's filename and lineno (the program is not compiled, so its
// place is named from the attributes, by the file's last component).
static void put_syntax_place(Value file, Value lineno, StrBuf *sb) {
    if (!IS_STR(file) || !IS_INT(lineno)) return;
    const char *path = AS_STR(file)->chars;
    const char *slash = strrchr(path, '/');
    sb_printf(sb, " at %s:%lld", slash ? slash + 1 : path, (long long)AS_INT(lineno));
}

static void hint_syntax(Vm *vm, ObjException *e) {
    Value text_v = syntax_field(e, "text"), offset_v = syntax_field(e, "offset");
    Value lineno_v = syntax_field(e, "lineno"), file_v = syntax_field(e, "filename");
    if (!IS_STR(text_v) || !IS_INT(offset_v)) return;
    const char *text = AS_STR(text_v)->chars;
    long len = (long)AS_STR(text_v)->length;
    long at = (long)AS_INT(offset_v) - 1; // the column of the token the parser stopped at
    if (strstr(message_of(e), "outside async function")) {
        const char *kw = strstr(message_of(e), "async with") ? "async with" : strstr(message_of(e), "async for") ? "async for" : "await";
        StrBuf sb;
        sb_init(&sb);
        sb_printf(&sb, "\"%s\"", kw);
        put_syntax_place(file_v, lineno_v, &sb);
        sb_puts(&sb, " works only inside an \"async def\" function; make the function around it \"async def\", "
                     "or at the top level start the program with asyncio.run(main())");
        put_hint(&sb);
        return;
    }
    if (at <= 0 || at > len) return;
    // The word just before the token the parser stopped at: "asnyc" in "asnyc def f():".
    long end = at;
    while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t')) end--;
    long start = end;
    while (start > 0 && is_word_char(text[start - 1])) start--;
    if (start == end) return;
    const char *word = text + start;
    size_t wlen = (size_t)(end - start);
    long next_end = at;
    while (next_end < len && is_word_char(text[next_end])) next_end++;
    const char *next = text + at;
    size_t nlen = (size_t)(next_end - at);
    bool before_def = (nlen == 3 && strncmp(next, "def", 3) == 0) || (nlen == 4 && strncmp(next, "with", 4) == 0) ||
                      (nlen == 3 && strncmp(next, "for", 3) == 0);
    const char *meant = NULL;
    if (before_def && edit_distance(word, wlen, "async", 5) == 1) meant = "async";
    else if (!before_def && nlen > 0 && edit_distance(word, wlen, "await", 5) == 1) meant = "await";
    if (!meant) return;
    // The line with the word corrected, without its indentation.
    StrBuf fixed;
    sb_init(&fixed);
    long first = 0;
    while (first < start && (text[first] == ' ' || text[first] == '\t')) first++;
    sb_append(&fixed, text + first, (size_t)(start - first));
    sb_puts(&fixed, meant);
    long stop = len;
    while (stop > end && (text[stop - 1] == '\n' || text[stop - 1] == ' ')) stop--;
    sb_append(&fixed, text + end, (size_t)(stop - end));
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "\"%.*s\"", (int)wlen, word);
    put_syntax_place(file_v, lineno_v, &sb);
    sb_printf(&sb, " looks like a misspelt \"%s\": write \"%s\"", meant, fixed.data);
    sb_free(&fixed);
    put_hint(&sb);
}

void hints_after_uncaught(Vm *vm, Value exc) {
    if (!IS_EXCEPTION(exc)) return;
    ObjException *e = AS_EXCEPTION(exc);
    ObjClass *cls = AS_OBJ(exc)->cls;
    const char *msg = message_of(e);
    if (class_is_subclass(cls, vm->SyntaxError)) hint_syntax(vm, e);
    else if (class_is_subclass(cls, vm->TypeError) && strstr(msg, "context manager protocol")) hint_with_protocol(vm, e);
    else if (class_is_subclass(cls, vm->TypeError) && strstr(msg, "can't be used in 'await' expression")) hint_not_awaitable(vm, e);
    else if (class_is_subclass(cls, vm->RuntimeError) && strcmp(msg, "asyncio.run() cannot be called from a running event loop") == 0)
        hint_nested_run(vm, e);
    else if (class_is_subclass(cls, vm->RuntimeError) && strcmp(msg, "no running event loop") == 0) hint_no_running_loop(vm, e);
}
