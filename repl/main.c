/* The command line: run a file, a -c string, a module (-m) or standard input, or start the REPL
 * (repl.h) when standard input and output are a terminal and there is nothing else to run, or
 * after the program with -i; --dis, --ast, --version, -h.
 *
 * Exit statuses are CPython's: 0 on success, 1 for an uncaught exception (the traceback goes to
 * stderr), the code of SystemExit, and 2 for a usage error.  An uncaught KeyboardInterrupt ends
 * the process by SIGINT, as CPython's does (bpo-1054041), so a shell sees 130 and a parent
 * process sees death by signal.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "async_traceback.h"
#include "clock.h"
#include "compile.h"
#include "debug_mode.h"
#include "dis.h"
#include "error.h"
#include "hints.h"
#include "modules.h"
#include "repl.h"
#include "runtime.h"
#include "symtable.h"
#include "timeline.h"
#include "trace.h"

#define EXIT_SIGINT (-SIGINT) // report_exception's status for an uncaught KeyboardInterrupt

static void usage(FILE *out) {
    fputs("usage: aio [option] ... [-c cmd | -m mod | file | -] [arg] ...\n"
          "Options:\n"
          "  -c cmd     program passed in as string\n"
          "  -m mod     run the module mod (a .aio file found as import finds it) as __main__\n"
          "  -i         inspect interactively after running the program (the REPL)\n"
          "  -q         don't print the REPL's banner\n"
          "  --dis      print the bytecode of the program instead of running it\n"
          "  --ast      print the syntax tree of the program instead of running it\n"
          "  --trace[=FILE]  narrate the event loop on stderr (or into FILE; - is stdout)\n"
          "  --virtual-time  a simulated clock: waits for timers take no time\n"
          "  --debug    asyncio's debug mode, with the cause of each slow step named (also AIO_DEBUG=1)\n"
          "  --timeline=FILE.json|FILE.svg|FILE.html  write the run as a Chrome trace-event file (Perfetto),\n"
          "                 a picture, or a page that zooms\n"
          "  -h, --help print this help message and exit\n"
          "  --version  print the version and exit\n"
          "file         program read from script file ('-' reads standard input)\n"
          "             with none of these on a terminal: the REPL (top-level await works there)\n"
          "arg ...      arguments passed to the program in sys.argv[1:]\n",
          out);
}

static char *read_all(FILE *f, size_t *length) {
    StrBuf sb;
    sb_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sb_append(&sb, buf, n);
    if (!sb.data) sb_append(&sb, "", 0);
    *length = sb.length;
    return sb.data;
}

// The exit status for an uncaught exception, printing what CPython prints.
static int report_exception(Vm *vm) {
    Value exc = vm->exception;
    vm_clear_exception(vm);
    fflush(stdout);
    if (vm_is_instance(vm, exc, vm->SystemExit)) {
        Value code = AS_EXCEPTION(exc)->extra;
        if (IS_NONE(code)) return 0;
        if (IS_INTLIKE(code)) return (int)(AS_INTLIKE(code) & 0xff);
        ObjStr *s = vm_str(vm, code);
        if (s) fprintf(stderr, "%s\n", s->chars);
        return 1;
    }
    vm_print_exception(vm, exc);
    async_traceback_print(vm, exc);
    hints_after_uncaught(vm, exc);
    if (vm_is_instance(vm, exc, vm->KeyboardInterrupt)) return EXIT_SIGINT;
    return 1;
}

// CPython's exit_sigint: after an uncaught KeyboardInterrupt, die by SIGINT itself.
static int exit_sigint(void) {
    fflush(stdout);
    fflush(stderr);
    if (signal(SIGINT, SIG_DFL) != SIG_ERR) kill(getpid(), SIGINT);
    return 128 + SIGINT; // only when the signal did not end the process
}

// Interpreter shutdown, as CPython's: garbage already unreachable is collected first; then the
// objects the modules still keep alive run their __del__ and abandoned generators are closed,
// in the order they were made, while every global is still there (as CPython's last collection
// of the modules does); then module namespaces are emptied, so what only they kept alive is
// collected, and objects with something to say (a coroutine never awaited, a task whose
// exception nobody retrieved) say it now.
// CPython's wait_for_thread_shutdown: before the interpreter is torn down, threading._shutdown()
// waits for every thread that is not a daemon (only if the program imported threading).  The
// daemons left never run again (vm_threads_at_exit).
static void join_threads(Vm *vm) {
    Value mod = dict_get_str(vm->modules, str_from_c(vm, "threading"));
    Value fn = IS_MODULE(mod) ? dict_get_str(AS_MODULE(mod)->globals, str_from_c(vm, "_shutdown")) : EMPTY_VAL();
    Value ignored;
    if (!IS_EMPTY(fn) && !vm_call0(vm, fn, &ignored)) {
        Value exc = vm->exception;
        vm_clear_exception(vm);
        vm_push_root(vm, exc);
        fflush(stdout);
        fprintf(stderr, "Exception ignored in: <module 'threading'>\n");
        vm_print_exception(vm, exc);
        vm_pop_root(vm);
    }
    vm_threads_at_exit(vm);
}

static void shutdown(Vm *vm) {
    join_threads(vm);
    vm_report_finalizers(vm);
    vm->exception = EMPTY_VAL();
    gc_collect(vm);
    vm_report_finalizers(vm);
    vm->shutting_down = true;
    run_python_finalizers_at_exit(vm);
    release_modules_at_exit(vm);
}

static int dump_ast(const char *filename, const char *text, size_t length) {
    Arena arena;
    arena_init(&arena);
    Source src = {filename, text, length, false};
    ParseStatus status;
    SyntaxErr err = {0};
    Ast *module = parse_source(&arena, &src, &status, &err);
    if (module) ast_dump(module, 0, stdout);
    else fprintf(stderr, "%s:%d:%d: %s: %s\n", filename, err.line, err.col, err.type, err.message);
    arena_free(&arena);
    return module ? 0 : 1;
}

static void set_paths(Vm *vm, const char *argv0, const char *script) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(exe, sizeof exe, "%s", argv0);
        n = (ssize_t)strlen(exe);
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    else snprintf(exe, sizeof exe, ".");
    // The binary is at the repository root or in build/: look for stdlib/ beside it, then above.
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/stdlib", exe);
    if (access(dir, F_OK) != 0) snprintf(dir, sizeof dir, "%s/../stdlib", exe);
    vm->stdlib_dir = str_from_c(vm, dir);
    if (script) {
        const char *s = strrchr(script, '/');
        vm->script_dir = s ? str_new(vm, script, (size_t)(s - script)) : str_from_c(vm, ".");
    } else {
        vm->script_dir = str_from_c(vm, ".");
    }
}

// The file `aio -m name` runs: name.aio or name/__main__.aio (dots are folders), looked for
// in the current directory, then in the stdlib folder, as import looks.  NULL when there is none.
static char *find_module_file(const char *name, const char *stdlib_dir) {
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%s", name);
    for (char *p = rel; *p; p++)
        if (*p == '.') *p = '/';
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    const char *dirs[] = {cwd, stdlib_dir};
    static const char *const forms[] = {"%s/%s.aio", "%s/%s/__main__.aio"};
    for (int d = 0; d < 2; d++)
        for (int f = 0; f < 2; f++) {
            char path[PATH_MAX * 2 + 32];
            snprintf(path, sizeof path, forms[f], dirs[d], rel);
            if (access(path, R_OK) == 0) return strdup(path);
        }
    return NULL;
}

// CPython (3.9+) names the script by its absolute path in tracebacks and __file__.
static void absolute_path(const char *file, char *out, size_t size) {
    if (file[0] == '/') {
        snprintf(out, size, "%s", file);
        return;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    const char *rel = file;
    while (rel[0] == '.' && rel[1] == '/') rel += 2;
    snprintf(out, size, "%s/%s", cwd, rel);
}

int main(int argc, char **argv) {
    const char *file = NULL, *command = NULL, *module = NULL;
    bool dis = false, ast = false, inspect = false, quiet = false, virtual_time = false;
    const char *trace_path = NULL, *timeline_path = NULL;
    int argi = 1;
    for (; argi < argc; argi++) {
        const char *a = argv[argi];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("aio %s (Python 3.11 subset)\n", AIO_VERSION);
            return 0;
        }
        if (strcmp(a, "--dis") == 0) dis = true;
        else if (strcmp(a, "--ast") == 0) ast = true;
        else if (strcmp(a, "-i") == 0) inspect = true;
        else if (strcmp(a, "-q") == 0) quiet = true;
        else if (strcmp(a, "--trace") == 0) trace_path = "";
        else if (strncmp(a, "--trace=", 8) == 0) trace_path = a + 8;
        else if (strcmp(a, "--virtual-time") == 0) virtual_time = true;
        else if (strcmp(a, "--debug") == 0) debug_mode_default = true;
        else if (strncmp(a, "--timeline=", 11) == 0) timeline_path = a + 11;
        else if (strcmp(a, "-c") == 0 || strcmp(a, "-m") == 0) {
            if (argi + 1 >= argc) {
                fprintf(stderr, "Argument expected for the %s option\n", a);
                usage(stderr);
                return 2;
            }
            if (a[1] == 'c') command = argv[++argi];
            else module = argv[++argi];
            argi++;
            break;
        } else if (strcmp(a, "-") == 0 || a[0] != '-') {
            file = a;
            argi++;
            break;
        } else {
            fprintf(stderr, "unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    // Nothing to run and a terminal to talk to: the REPL, and only it.
    bool repl_only = !command && !module && !file && !dis && !ast && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool repl = repl_only || (inspect && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
    char *text = NULL;
    size_t length = 0;
    const char *filename = "<stdin>";
    static char abspath[PATH_MAX * 2];
    char *module_path = NULL;
    if (module) {
        char exe_dir[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);
        exe_dir[n > 0 ? n : 0] = 0;
        char *slash = strrchr(exe_dir, '/');
        if (slash) *slash = 0;
        char stdlib_dir[PATH_MAX + 16];
        snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", exe_dir);
        if (access(stdlib_dir, F_OK) != 0) snprintf(stdlib_dir, sizeof stdlib_dir, "%s/../stdlib", exe_dir);
        module_path = find_module_file(module, stdlib_dir);
        if (!module_path) {
            fprintf(stderr, "aio: No module named %s\n", module);
            return 1;
        }
        file = module_path;
    }
    if (command) {
        text = strdup(command);
        length = strlen(text);
        filename = "<string>";
    } else if (file && strcmp(file, "-") != 0) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            fprintf(stderr, "aio: can't open file '%s': [Errno 2] No such file or directory\n", file);
            return 2;
        }
        text = read_all(f, &length);
        fclose(f);
        absolute_path(file, abspath, sizeof abspath);
        // `python3 -m dis FILE` keeps the name as given: so does --dis (and its output, in
        // golden tests, does not depend on where the checkout is).
        filename = dis ? file : abspath;
    } else if (!repl_only) {
        text = read_all(stdin, &length);
    }
    if (ast) {
        int rc = dump_ast(filename, text, length);
        free(text);
        return rc;
    }

    Vm *vm = vm_new();
    if (!vm) return 1;
    runtime_init(vm);
    builtin_modules_register();
    if (virtual_time) clock_use_virtual(vm);
    // Debug mode from the environment: aio's AIO_DEBUG, and CPython's PYTHONASYNCIODEBUG (any
    // non-empty value, as CPython reads it).
    const char *env_debug = getenv("AIO_DEBUG");
    if (env_debug && *env_debug && strcmp(env_debug, "0") != 0) debug_mode_default = true;
    env_debug = getenv("PYTHONASYNCIODEBUG");
    if (env_debug && *env_debug) debug_mode_default = true;
    if (trace_path && !trace_start(vm, trace_path)) {
        fprintf(stderr, "aio: can't open trace file '%s'\n", trace_path);
        return 2;
    }
    if (timeline_path && !timeline_start(vm, timeline_path)) {
        fprintf(stderr, "aio: can't open timeline file '%s'\n", timeline_path);
        return 2;
    }
    bool named_file = file && strcmp(file, "-") != 0;
    set_paths(vm, argv[0], named_file ? filename : NULL);
    vm->argv = list_new(vm, 0);
    const char *argv0 = command ? "-c" : named_file ? (module ? filename : file) : repl_only ? "" : file ? file : "";
    list_append(vm, vm->argv, OBJ_VAL(str_from_c(vm, argv0)));
    for (int i = argi; i < argc; i++) list_append(vm, vm->argv, OBJ_VAL(str_from_c(vm, argv[i])));

    ObjModule *main_module = define_module(vm, "__main__");
    vm->main_module = main_module;
    dict_set_cstr(vm, main_module->globals, "__builtins__", OBJ_VAL(vm->builtins));
    if (named_file) dict_set_str(vm, main_module->globals, vm->s_file, OBJ_VAL(str_from_c(vm, filename)));

    int status = 0;
    bool exited = false; // SystemExit or an uncaught KeyboardInterrupt: no REPL after it
    signal_init_process();
    if (text) {
        ObjCode *code = vm_compile_source(vm, filename, text, length);
        if (!code) {
            status = report_exception(vm);
        } else if (dis) {
            vm_push_root(vm, OBJ_VAL(code)); // describing constants allocates (reprs)
            dis_code(vm, code, stdout);
            vm_pop_root(vm);
        } else {
            vm_push_root(vm, OBJ_VAL(code));
            Value result;
            if (!vm_run_code(vm, code, main_module->globals, &result)) {
                exited = vm_is_instance(vm, vm->exception, vm->SystemExit);
                status = report_exception(vm);
            }
            vm_pop_root(vm);
        }
    }
    if (repl && !dis && !exited && status != EXIT_SIGINT) {
        fflush(stdout);
        fflush(stderr);
        status = repl_run(vm, main_module, quiet || !repl_only) ? 0 : report_exception(vm);
    }
    shutdown(vm);
    fflush(stdout);
    fflush(stderr);
    free(text);
    free(module_path);
    vm_free(vm);
    return status == EXIT_SIGINT ? exit_sigint() : status;
}
