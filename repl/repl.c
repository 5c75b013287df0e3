/* The interactive REPL: entries read with the line editor, run on the session's event loop.
 *
 * A session, step by step:
 *   - the banner and the first prompt come first; the session's heavier set-up (importing asyncio
 *     and aiotools, making the loop and marking it running) happens in the first wait for a key,
 *     so the prompt is up in a few milliseconds (start_session);
 *   - while the user types, wait_for_key runs the loop until standard input is readable, with
 *     the program's output sent above the prompt (swap_std_streams);
 *   - an entry is read line by line until it compiles or fails to (vm_compile_entry says when a
 *     block is unfinished); an entry that awaits at top level is a coroutine, run as the session's
 *     foreground task while the loop runs (run_awaiting_entry); any other runs at once, in the
 *     loop's name, as python -m asyncio runs it in a loop callback;
 *   - Ctrl-C: at the prompt it drops the line; while an entry awaits, it cancels the foreground
 *     task and prints KeyboardInterrupt; in code that runs, the VM raises KeyboardInterrupt.
 *     Background tasks are left alone.  aiotools, when present, supplies the SIGINT handler that
 *     also stops runaway background tasks (notes in aiotools), completion, and the helpers
 *     tasks(), where() and help().
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "asyncio.h"
#include "compile.h"
#include "error.h"
#include "hints.h"
#include "line_editor.h"
#include "repl.h"
#include "runtime.h"

typedef struct {
    Vm *vm;
    ObjDict *globals;   // the REPL's namespace: __main__'s
    ObjDict *session;   // rooted for the session: asyncio, aiotools, the loop, the foreground task
    LineEditor *ed;
    Value loop;         // the session's loop (held by `session`), None until start_session
    Value tools;        // the aiotools module (held by `session`), or None
    bool started;
    uv_poll_t stdin_watch; // on the loop's libuv loop: ends the loop's wait when a key comes
    uv_signal_t resize_watch; // SIGWINCH: the terminal's new size goes to libedit
    bool watch_open, stdin_ready;
    bool waiting;          // in wait_for_key: the prompt is up, the loop runs
    bool prompt_interrupt; // aiotools' SIGINT handler asked to drop the line
    FILE *real_out, *real_err;
    char ps1[64], ps2[64];
} Repl;

// The session in progress, for the native aiotools calls at Ctrl-C (one REPL per process).
static Repl *current;

// What the session's set-up runs in its private namespace (start_session).
static const char session_source[] =
    "import asyncio\n"
    "try:\n"
    "    import aiotools\n"
    "except ImportError:\n"
    "    aiotools = None\n"
    "if 'asyncio' not in repl_globals:\n"
    "    repl_globals['asyncio'] = asyncio\n"
    "if aiotools is not None:\n"
    "    import signal\n"
    "    if hasattr(aiotools, 'on_interrupt'):\n"
    "        signal.signal(signal.SIGINT, aiotools.on_interrupt)\n"
    "    if hasattr(aiotools, 'set_prompt_interrupt'):\n"
    "        aiotools.set_prompt_interrupt(drop_line)\n"
    "    for name in ('tasks', 'where', 'help'):\n"
    "        if hasattr(aiotools, name):\n"
    "            repl_globals[name] = getattr(aiotools, name)\n";

// What the session's end runs: the tasks still pending are cancelled and given the time to react
// (as asyncio.run() does at its end), then the loop is closed.
static const char end_source[] =
    "asyncio.runners._cancel_leftovers(loop)\n"
    "loop.run_until_complete(loop.shutdown_asyncgens())\n"
    "loop.close()\n";

static bool run_in_session(Repl *r, const char *what, const char *source, size_t length) {
    Value ignored;
    return vm_run_source(r->vm, what, source, length, r->session, &ignored);
}

static Value session_get(Repl *r, const char *name) {
    Value v = dict_get_str(r->session, str_from_c(r->vm, name));
    return IS_EMPTY(v) ? NONE_VAL() : v;
}

// Calls aiotools.NAME(arg) when aiotools has it; false with an exception pending when it raises.
static bool call_tool(Repl *r, const char *name, Value arg, Value *result) {
    *result = NONE_VAL();
    if (IS_NONE(r->tools)) return true;
    vm_push_root(r->vm, arg); // looking the name up may allocate
    Value fn = dict_get_str(AS_MODULE(r->tools)->globals, str_from_c(r->vm, name));
    vm_pop_root(r->vm);
    if (IS_EMPTY(fn)) return true;
    vm_push_root(r->vm, arg);
    bool ok = vm_call1(r->vm, fn, arg, result);
    vm_pop_root(r->vm);
    return ok;
}

static bool is_bare_interrupt(Vm *vm, Value exc) {
    return vm_is_instance(vm, exc, vm->KeyboardInterrupt) && AS_EXCEPTION(exc)->args->count == 0;
}

// Prints the pending exception as an uncaught one (its traceback holds only the user's frames:
// the entry's own frame, "<stdin>", is the outermost) and clears it.
static void print_pending(Repl *r) {
    Vm *vm = r->vm;
    Value exc = vm->exception;
    vm_clear_exception(vm);
    vm_push_root(vm, exc);
    fflush(stdout);
    Value ignored;
    if (IS_NONE(r->tools) || IS_EMPTY(dict_get_str(AS_MODULE(r->tools)->globals, str_from_c(vm, "print_exception"))) ||
        !call_tool(r, "print_exception", exc, &ignored)) {
        if (!IS_EMPTY(vm->exception)) vm_clear_exception(vm);
        vm_print_exception(vm, exc);
    }
    hints_after_uncaught(vm, exc);
    vm_pop_root(vm);
}

// ---- the loop while the user types --------------------------------------------------------------

// aiotools' SIGINT handler calls this when Ctrl-C comes and no task is to be stopped.  At the
// prompt the line is dropped; in a statement that runs without awaiting (the loop is marked
// running then, with no task), that statement gets the KeyboardInterrupt.
static bool drop_line(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!current || !current->waiting) return vm_raise_value(vm, OBJ_VAL(vm->KeyboardInterrupt));
    current->prompt_interrupt = true;
    *result = NONE_VAL();
    return true;
}

// aiotools.in_statement: True while an entry runs without awaiting (notes in aiotools).
static void set_in_statement(Repl *r, bool running) {
    if (IS_MODULE(r->tools)) dict_set_cstr(r->vm, AS_MODULE(r->tools)->globals, "in_statement", BOOL_VAL(running));
}

// The program's output goes above the prompt while the user types: sys.stdout, sys.stderr and C's
// stdout and stderr (tracebacks of background tasks) all write to the editor's console streams.
// (glibc lets a program assign stdout and stderr.)
static void swap_std_streams(Repl *r, FILE *out, FILE *err) {
    Vm *vm = r->vm;
    fflush(stdout);
    fflush(stderr);
    if (IS_FILE(vm->stdout_file) && AS_FILE(vm->stdout_file)->fp == stdout) AS_FILE(vm->stdout_file)->fp = out;
    if (IS_FILE(vm->stderr_file) && AS_FILE(vm->stderr_file)->fp == stderr) AS_FILE(vm->stderr_file)->fp = err;
    stdout = out;
    stderr = err;
}

static void on_stdin_readable(uv_poll_t *watch, int status, int events) {
    Repl *r = watch->data;
    r->stdin_ready = true;
    uv_stop(watch->loop); // ends the loop's wait, as every libuv callback of the loop does
}

static void on_resize(uv_signal_t *watch, int signum) {
    Repl *r = watch->data;
    line_editor_resized(r->ed);
}

static bool start_session(Repl *r);

// The line editor's wait: runs the loop until a key can be read.  Without a loop (its set-up
// failed) it only waits for the key.
static WaitOutcome wait_for_key(void *owner) {
    Repl *r = owner;
    Vm *vm = r->vm;
    if (!r->started) start_session(r);
    if (IS_NONE(r->loop)) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        poll(&pfd, 1, -1);
        if (vm_interrupted && !vm_run_signal_handlers(vm)) {
            vm_clear_exception(vm);
            return WAIT_INTERRUPT;
        }
        return WAIT_INPUT;
    }
    uv_poll_start(&r->stdin_watch, UV_READABLE, on_stdin_readable);
    r->stdin_ready = r->prompt_interrupt = false;
    r->real_out = stdout;
    r->real_err = stderr;
    swap_std_streams(r, line_editor_console(r->ed, 1), line_editor_console(r->ed, 2));
    WaitOutcome outcome = WAIT_INPUT;
    r->waiting = true;
    while (!r->stdin_ready) {
        if (!loop_run_one_iteration(vm, r->loop, true)) {
            Value exc = vm->exception;
            if (is_bare_interrupt(vm, exc)) {
                vm_clear_exception(vm);
                outcome = WAIT_INTERRUPT;
                break;
            }
            if (vm_is_instance(vm, exc, vm->SystemExit)) {
                outcome = WAIT_STOP;
                break;
            }
            print_pending(r); // what escaped a background task or callback (a runaway task's stop)
        }
        if (r->prompt_interrupt) {
            outcome = WAIT_INTERRUPT;
            break;
        }
        fflush(stdout);
    }
    r->waiting = false;
    swap_std_streams(r, r->real_out, r->real_err);
    uv_poll_stop(&r->stdin_watch);
    return outcome;
}

// The session's set-up, at the first wait for a key: asyncio (also in the REPL's namespace),
// aiotools when it exists, and the loop: the one a script run by `aio -i` left current and open,
// else a new one.  A failure is printed, and the REPL goes on without a loop.
static bool start_session(Repl *r) {
    Vm *vm = r->vm;
    r->started = true;
    dict_set_cstr(vm, r->session, "repl_globals", OBJ_VAL(r->globals));
    Value drop = OBJ_VAL(native_new(vm, "drop_line", drop_line, NULL));
    vm_push_root(vm, drop);
    dict_set_cstr(vm, r->session, "drop_line", drop);
    vm_pop_root(vm);
    bool ok = run_in_session(r, "<repl>", session_source, sizeof session_source - 1);
    if (ok) {
        r->tools = session_get(r, "aiotools");
        Value loop = vm->event_loop;
        if (!IS_LOOP(loop) || loop_closed(AS_LOOP(loop))) {
            static const char make_loop[] = "loop = asyncio.new_event_loop()\nasyncio.set_event_loop(loop)\n";
            ok = run_in_session(r, "<repl>", make_loop, sizeof make_loop - 1);
            loop = session_get(r, "loop");
        } else {
            dict_set_cstr(vm, r->session, "loop", loop);
        }
        static const char mark_loop[] = "asyncio.runners._repl_loop = loop\n"; // asyncio.run() says to await
        ok = ok && run_in_session(r, "<repl>", mark_loop, sizeof mark_loop - 1) && loop_begin_run(vm, loop);
        if (ok) r->loop = loop;
    }
    if (!ok) {
        print_pending(r);
        return false;
    }
    // libuv makes a polled descriptor non-blocking; standard input stays as it was, for input()
    // and for the shell after aio (the flag belongs to the terminal's open file, which they share)
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    uv_poll_init(loop_uv(AS_LOOP(r->loop)), &r->stdin_watch, STDIN_FILENO);
    if (flags != -1) fcntl(STDIN_FILENO, F_SETFL, flags);
    r->stdin_watch.data = r;
    uv_signal_init(loop_uv(AS_LOOP(r->loop)), &r->resize_watch);
    r->resize_watch.data = r;
    uv_signal_start(&r->resize_watch, on_resize, SIGWINCH);
    uv_unref((uv_handle_t *)&r->resize_watch); // it must not keep the loop's wait going by itself
    r->watch_open = true;
    Value prompt;
    if (call_tool(r, "prompt", OBJ_VAL(str_from_c(vm, "ps1")), &prompt) && IS_STR(prompt))
        snprintf(r->ps1, sizeof r->ps1, "%s", AS_STR(prompt)->chars);
    if (call_tool(r, "prompt", OBJ_VAL(str_from_c(vm, "ps2")), &prompt) && IS_STR(prompt))
        snprintf(r->ps2, sizeof r->ps2, "%s", AS_STR(prompt)->chars);
    line_editor_replace_prompt(r->ed, ">>> ", r->ps1); // the first prompt, drawn plain, gets its colour
    if (!IS_EMPTY(vm->exception)) vm_clear_exception(vm);
    return true;
}

static void end_session(Repl *r) {
    Vm *vm = r->vm;
    if (IS_NONE(r->loop)) return;
    if (r->watch_open) {
        uv_close((uv_handle_t *)&r->stdin_watch, NULL);
        uv_close((uv_handle_t *)&r->resize_watch, NULL);
        uv_run(loop_uv(AS_LOOP(r->loop)), UV_RUN_NOWAIT); // the close completes now
    }
    loop_end_run(vm, r->loop);
    if (!run_in_session(r, "<repl>", end_source, sizeof end_source - 1)) print_pending(r);
}

// ---- running an entry ---------------------------------------------------------------------------

typedef enum { ENTRY_DONE, ENTRY_EXIT } EntryOutcome;

// An entry that awaits: its coroutine runs as the foreground task while the loop runs, until the
// task is done or Ctrl-C cancels it (the task then finishes its cancellation in the background).
static EntryOutcome run_awaiting_entry(Repl *r, ObjCode *code) {
    Vm *vm = r->vm;
    ObjFunction *fn = function_new(vm, code, r->globals);
    vm_push_root(vm, OBJ_VAL(fn));
    Value coro;
    ObjFuture *task = NULL;
    if (vm_call0(vm, OBJ_VAL(fn), &coro)) {
        vm_push_root(vm, coro);
        task = task_new(vm, vm->task_class, coro, r->loop, NONE_VAL());
        vm_pop_root(vm);
    }
    vm_pop_root(vm);
    if (!task) {
        print_pending(r);
        return ENTRY_DONE;
    }
    dict_set_cstr(vm, r->session, "task", OBJ_VAL(task));
    Value ignored;
    if (!call_tool(r, "set_foreground", OBJ_VAL(task), &ignored)) print_pending(r);
    bool interrupted = false;
    while (task->state == FUT_PENDING) {
        if (loop_run_one_iteration(vm, r->loop, true)) continue;
        Value exc = vm->exception;
        if (vm_is_instance(vm, exc, vm->SystemExit)) return ENTRY_EXIT;
        if (is_bare_interrupt(vm, exc)) vm_clear_exception(vm);
        else print_pending(r);
        interrupted = true;
        Value was;
        if (!task_cancel(vm, task, NONE_VAL(), &was)) print_pending(r);
        break;
    }
    if (!call_tool(r, "set_foreground", NONE_VAL(), &ignored)) print_pending(r);
    fflush(stdout);
    if (!interrupted && task->state == FUT_CANCELLED) {
        // aiotools' SIGINT handler cancels the foreground task and says so in last_interrupt
        Value how = IS_NONE(r->tools) ? EMPTY_VAL()
                                      : dict_get_str(AS_MODULE(r->tools)->globals, str_from_c(vm, "last_interrupt"));
        interrupted = IS_STR(how) && strcmp(AS_STR(how)->chars, "cancelled") == 0;
        if (interrupted) dict_set_cstr(vm, AS_MODULE(r->tools)->globals, "last_interrupt", NONE_VAL());
        if (!interrupted && !future_result(vm, task, &ignored)) print_pending(r);
    } else if (task->state == FUT_FINISHED && !IS_NONE(task->exception) && interrupted) {
        task->log_traceback = false; // the KeyboardInterrupt that stopped it: reported below
    } else if (task->state == FUT_FINISHED && !IS_NONE(task->exception)) {
        task->log_traceback = false;
        Value exc = task->exception;
        if (vm_is_instance(vm, exc, vm->SystemExit)) {
            vm_raise_value(vm, exc);
            return ENTRY_EXIT;
        }
        vm_raise_value(vm, exc);
        print_pending(r);
    }
    if (interrupted) fputs("\nKeyboardInterrupt\n", stderr);
    Value old;
    dict_delete(vm, r->session, OBJ_VAL(str_from_c(vm, "task")), &old);
    return ENTRY_DONE;
}

static EntryOutcome run_entry(Repl *r, ObjCode *code) {
    Vm *vm = r->vm;
    if (!r->started) start_session(r); // keys typed ahead: the first entry came before any wait
    if (IS_NONE(r->loop) && (code->flags & CODE_COROUTINE)) {
        vm_raise(vm, vm->RuntimeError, "the REPL has no event loop to run this entry on");
        print_pending(r);
        return ENTRY_DONE;
    }
    if (code->flags & CODE_COROUTINE) return run_awaiting_entry(r, code);
    Value result;
    set_in_statement(r, true);
    bool ok = vm_run_code(vm, code, r->globals, &result);
    set_in_statement(r, false);
    if (ok) return ENTRY_DONE;
    if (vm_is_instance(vm, vm->exception, vm->SystemExit)) return ENTRY_EXIT;
    print_pending(r);
    return ENTRY_DONE;
}

// What python -m asyncio's order gives: it runs each entry in a loop callback, so what an entry
// schedules (a new task's first step) runs before the next entry, even one typed ahead.  Here the
// loop runs one iteration that does not wait.  False when SystemExit escaped it (left pending).
static bool after_entry(Repl *r) {
    Vm *vm = r->vm;
    if (IS_NONE(r->loop)) return true;
    if (loop_run_one_iteration(vm, r->loop, false)) return true;
    if (vm_is_instance(vm, vm->exception, vm->SystemExit)) return false;
    if (is_bare_interrupt(vm, vm->exception)) { // Ctrl-C between two entries: said, not lost
        vm_clear_exception(vm);
        fputs("\nKeyboardInterrupt\n", stderr);
    } else {
        print_pending(r);
    }
    return true;
}

// ---- reading an entry ---------------------------------------------------------------------------

typedef enum { READ_CODE, READ_ERROR, READ_EOF, READ_EXIT, READ_STOP } ReadOutcome;

static void sb_clear(StrBuf *sb) {
    sb->length = 0;
    if (sb->data) sb->data[0] = 0;
}

// The indentation the next line of a block starts with: the line's own, one level deeper after
// a line ending in ':'.
static void next_indent(const char *line, char *out, size_t size) {
    size_t n = strspn(line, " \t");
    const char *end = line + strlen(line);
    while (end > line && (end[-1] == ' ' || end[-1] == '\t')) end--;
    bool opens = end > line && end[-1] == ':' && !strchr(line, '#');
    if (n + 4 >= size) n = size - 5;
    memcpy(out, line, n);
    if (opens) memcpy(out + n, "    ", 4), n += 4;
    out[n] = 0;
}

static bool is_word(const char *text, const char *word) {
    text += strspn(text, " \t");
    size_t n = strlen(word);
    if (strncmp(text, word, n) != 0) return false;
    text += n;
    return text[strspn(text, " \t\n")] == 0;
}

// Reads lines until they make an entry that compiles (READ_CODE, *code set) or fails to
// (READ_ERROR, the SyntaxError pending).  A blank line at ">>> " is skipped; Ctrl-C drops what
// was typed.  `exit` and `quit` alone end the session, as the functions do.
static ReadOutcome read_entry(Repl *r, StrBuf *entry, ObjCode **code) {
    Vm *vm = r->vm;
    StrBuf line;
    sb_init(&line);
    char indent[128] = "";
    sb_clear(entry);
    ReadOutcome outcome;
    for (;;) {
        bool block = false;
        LineStatus st = line_editor_read(r->ed, entry->length ? r->ps2 : r->ps1, indent, &line, &block);
        if (st == LINE_STOP) {
            outcome = READ_STOP;
            break;
        }
        if (st == LINE_EOF) {
            fputs("\n", stdout);
            outcome = READ_EOF;
            break;
        }
        if (st == LINE_INTERRUPTED) {
            fputs("\nKeyboardInterrupt\n", stdout);
            sb_clear(entry);
            indent[0] = 0;
            continue;
        }
        if (!entry->length && line.data[strspn(line.data, " \t")] == 0) continue;
        sb_append(entry, line.data, line.length);
        sb_append(entry, block ? "\n\n" : "\n", block ? 2 : 1);
        if (!memchr(entry->data, '\n', entry->length - 1) &&
            (is_word(entry->data, "exit") || is_word(entry->data, "quit"))) {
            outcome = READ_EXIT;
            break;
        }
        bool incomplete = false;
        *code = vm_compile_entry(vm, "<stdin>", entry->data, entry->length, &incomplete);
        if (*code) {
            outcome = READ_CODE;
            break;
        }
        if (!incomplete) {
            outcome = READ_ERROR;
            break;
        }
        next_indent(line.data, indent, sizeof indent);
    }
    sb_free(&line);
    return outcome;
}

// ---- the session --------------------------------------------------------------------------------

// Tab: aiotools.complete_line(line, cursor) -> (start, candidates), its indexes in characters,
// ours in bytes.  No aiotools, no candidates.
static int complete_hook(void *owner, const char *line, int cursor, int *start, char **out, int max) {
    Repl *r = owner;
    Vm *vm = r->vm;
    if (!r->started) start_session(r); // asyncio and aiotools are in the namespace from then on
    Value fn = IS_MODULE(r->tools) ? dict_get_str(AS_MODULE(r->tools)->globals, str_from_c(vm, "complete_line"))
                                   : EMPTY_VAL();
    if (IS_EMPTY(fn)) return 0;
    int chars = 0;
    for (int i = 0; i < cursor; i++) chars += ((unsigned char)line[i] & 0xC0) != 0x80;
    Value args[2] = {OBJ_VAL(str_new(vm, line, strlen(line))), INT_VAL(chars)};
    vm_push_root(vm, args[0]);
    Value got;
    bool ok = vm_call(vm, fn, args, 2, NULL, &got);
    vm_pop_root(vm);
    if (!ok) vm_clear_exception(vm);
    if (!ok || !IS_TUPLE(got) || AS_TUPLE(got)->count != 2 || !IS_INT(AS_TUPLE(got)->items[0]) ||
        !IS_LIST(AS_TUPLE(got)->items[1]))
        return 0;
    int64_t at = AS_INTLIKE(AS_TUPLE(got)->items[0]);
    int byte = 0; // the character index `at` as a byte offset
    for (int64_t k = 0; byte < cursor && k < at; k++)
        do byte++;
        while (byte < cursor && ((unsigned char)line[byte] & 0xC0) == 0x80);
    *start = byte;
    ObjList *list = AS_LIST(AS_TUPLE(got)->items[1]);
    int n = 0;
    for (size_t i = 0; i < list->count && n < max; i++)
        if (IS_STR(list->items[i])) out[n++] = strdup(AS_STR(list->items[i])->chars);
    return n;
}

static char *history_path(void) {
    const char *home = getenv("HOME");
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + sizeof "/.aio_history";
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s/.aio_history", home);
    return path;
}

bool repl_run(Vm *vm, ObjModule *main_module, bool quiet) {
    Repl r = {.vm = vm, .globals = main_module->globals, .loop = NONE_VAL(), .tools = NONE_VAL()};
    snprintf(r.ps1, sizeof r.ps1, ">>> ");
    snprintf(r.ps2, sizeof r.ps2, "... ");
    r.session = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(r.session));
    char *path = history_path();
    LineEditorHooks hooks = {.owner = &r, .wait = wait_for_key, .complete = complete_hook};
    r.ed = line_editor_open(&hooks, path);
    free(path);
    if (!r.ed) {
        vm_pop_root(vm);
        return vm_raise(vm, vm->RuntimeError, "the REPL needs a terminal");
    }
    current = &r;
    if (!quiet)
        printf("aio %s (Python 3.11 subset): type help() for help, exit or Ctrl-D to leave\n", AIO_VERSION);
    fflush(stdout);
    StrBuf entry;
    sb_init(&entry);
    Value exit_exc = EMPTY_VAL();
    for (bool more = true; more;) {
        ObjCode *code = NULL;
        ReadOutcome got = read_entry(&r, &entry, &code);
        if (entry.length && got != READ_STOP && got != READ_EOF) {
            size_t n = entry.length; // without the blank lines (auto-indented ones too) that ended it
            while (n && (entry.data[n - 1] == '\n' || entry.data[n - 1] == ' ' || entry.data[n - 1] == '\t')) n--;
            entry.data[n] = 0;
            line_editor_remember(r.ed, entry.data);
        }
        switch (got) {
        case READ_CODE:
            vm_push_root(vm, OBJ_VAL(code));
            if (run_entry(&r, code) == ENTRY_EXIT) more = false;
            vm_pop_root(vm);
            if (more && !after_entry(&r)) more = false;
            break;
        case READ_ERROR: print_pending(&r); break;
        case READ_EOF: case READ_EXIT: more = false; break;
        case READ_STOP: more = false; break;
        }
        fflush(stdout);
        fflush(stderr);
    }
    sb_free(&entry);
    if (!IS_EMPTY(vm->exception)) { // SystemExit: kept for the caller while the session ends
        exit_exc = vm->exception;
        vm_clear_exception(vm);
    }
    vm_push_root(vm, exit_exc);
    end_session(&r);
    line_editor_close(r.ed);
    current = NULL;
    vm_pop_roots(vm, 2);
    if (IS_EMPTY(exit_exc)) return true;
    return vm_raise_value(vm, exit_exc);
}
