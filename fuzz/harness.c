/* The libFuzzer target: arbitrary bytes as the source of a __main__ module, compiled and run.
 *
 * Built by `make VARIANT=fuzz` with clang (-fsanitize=fuzzer,address,undefined and -DAIO_FUZZ),
 * so every run has the fuzz build's limits (vm/fuzz_limits.c): a budget of ticks, a heap limit,
 * virtual time and a sandbox.  Each input gets a VM of its own, shut down and freed as the
 * command line does it, so nothing one input leaves behind can change how the next one runs,
 * and LeakSanitizer sees every allocation the VM failed to free.
 *
 * Programs run in a scratch directory of the process's own (the sandbox allows files only in the
 * current directory; libFuzzer gets its own directory back between inputs) with /dev/null as
 * standard input.  Output is the program's: run libFuzzer
 * with -close_fd_mask=3 to silence it (crash reports still appear).
 */
#define _XOPEN_SOURCE 700 // nftw
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "events.h"
#include "gc.h"
#include "modules.h"
#include "runtime.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// AddressSanitizer's settings for the fuzz build are in vm/fuzz_limits.c (the command line shares them).

static char stdlib_dir[PATH_MAX + 16];
static char scratch_dir[64];      // where programs run: the sandbox allows files only there
static char home_dir[PATH_MAX];   // libFuzzer's own directory, restored after each input

// The binary lives in build/: the standard library is ../stdlib beside it.
static void find_stdlib(void) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) n = 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", exe);
    if (access(stdlib_dir, F_OK) != 0) snprintf(stdlib_dir, sizeof stdlib_dir, "%s/../stdlib", exe);
    char *real = realpath(stdlib_dir, NULL);
    if (real) {
        snprintf(stdlib_dir, sizeof stdlib_dir, "%s", real);
        free(real);
    }
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag;
    if (ftw->level > 0) remove(path);
    return 0;
}

// Files one input made must not be seen by the next (nor pile up): the scratch directory is
// emptied after each run, and removed at exit.
static void empty_scratch(void) { nftw(scratch_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void remove_scratch(void) {
    empty_scratch();
    rmdir(scratch_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    vm_fuzz_vm_per_input = true; // no threads: one could outlive its input's Vm
    find_stdlib();
    snprintf(scratch_dir, sizeof scratch_dir, "/tmp/aio-fuzz-scratch.%d", (int)getpid());
    if (mkdir(scratch_dir, 0700) != 0) perror(scratch_dir);
    atexit(remove_scratch);
    // As the command line does (signal_init_process): writing to a pipe or socket whose reader
    // has gone is BrokenPipeError, not a SIGPIPE that kills the fuzzer (tests/io do it on purpose).
    signal(SIGPIPE, SIG_IGN);
    if (!getcwd(home_dir, sizeof home_dir)) snprintf(home_dir, sizeof home_dir, "/");
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    return 0;
}

// What the command line does at exit (repl/main.c): namespaces emptied, finalizer messages
// printed, everything collected.
static void shut_down(Vm *vm) {
    vm_report_finalizers(vm);
    release_modules_at_exit(vm);
    events_forget(); // a view the input switched on (asyncio's debug mode) must not outlive its Vm
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 64 * 1024) return -1; // not worth keeping: long inputs only run slower
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    Vm *vm = vm_new();
    runtime_init(vm);
    builtin_modules_register();
    vm->stdlib_dir = str_from_c(vm, stdlib_dir);
    vm->script_dir = str_from_c(vm, ".");
    vm->argv = list_new(vm, 0);
    list_append(vm, vm->argv, OBJ_VAL(str_from_c(vm, "fuzz.aio")));
    ObjModule *main_module = define_module(vm, "__main__");
    vm->main_module = main_module;
    dict_set_cstr(vm, main_module->globals, "__builtins__", OBJ_VAL(vm->builtins));

    if (chdir(scratch_dir) != 0) perror(scratch_dir);
    ObjCode *code = vm_compile_source(vm, "fuzz.aio", text, size);
    if (code) {
        vm_push_root(vm, OBJ_VAL(code));
        Value result;
        vm_run_code(vm, code, main_module->globals, &result);
        vm_pop_root(vm);
    }
    if (!IS_EMPTY(vm->exception)) {
        // Printing the traceback is part of what is tested (and may itself run code).
        Value exc = vm->exception;
        vm_clear_exception(vm);
        vm_print_exception(vm, exc);
        vm_clear_exception(vm);
    }
    shut_down(vm);
    fflush(stdout);
    fflush(stderr);
    vm_free(vm);
    free(text);
    if (chdir(home_dir) != 0) perror(home_dir);
    empty_scratch();
    return 0;
}
