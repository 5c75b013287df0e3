/* os: the process and the file system (POSIX only): pid, working directory, environment,
 * directory listing and walking, creating and removing files and directories, stat.
 *
 * os.path lives in mod_os_path.c; `import os` builds it too and stores it as os.path (and in
 * sys.modules as "os.path"), so both spellings reach one module object.
 *
 * os.environ is a plain dict copied from the environment at import: changing it does not change
 * the environment of child processes (CPython's os._Environ does).  Errors are OSError subclasses
 * chosen by errno, with CPython's "[Errno 2] No such file or directory: 'x'" text.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modinit.h"

extern char **environ;

// ---- errors -------------------------------------------------------------------------------------

bool os_raise_errno(Vm *vm, int err, Value filename) { return raise_os_errno(vm, err, filename); }

bool os_path_arg(Vm *vm, const char *fname, Value v, ObjStr **out) {
    if (IS_STR(v)) {
        *out = AS_STR(v);
        if (memchr((*out)->chars, '\0', (*out)->length))
            return vm_raise(vm, vm->ValueError, "embedded null byte");
        return true;
    }
    return vm_raise(vm, vm->TypeError, "%s: path should be string, bytes or os.PathLike, not %s",
                    fname, vm_type_name(vm, v));
}

// The one path argument of remove, rmdir, chdir, ...
static bool one_path(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames,
                     ObjStr **path) {
    static const char *const names[] = {"path", NULL};
    Value a[1];
    return parse_args(vm, fname, args, nargs, kwnames, names, 1, a) &&
           os_path_arg(vm, fname, a[0], path);
}

// ---- the process --------------------------------------------------------------------------------

static bool os_getpid(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "getpid", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL(getpid());
    return true;
}

static bool os_getppid(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "getppid", nargs, kwnames, 0, 0)) return false;
    *result = INT_VAL(getppid());
    return true;
}

// _exit(status): ends the process at once, as the C function does: no finally blocks, no atexit
// work, no thread joins, and output still buffered in sys.stdout is lost (CPython's too).
static bool os_exit_now(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t status;
    if (!check_args(vm, "_exit", nargs, kwnames, 1, 1) || !mod_arg_index(vm, args[0], &status) ||
        !vm_sandbox_allows(vm, "os._exit", NULL))
        return false;
    _exit((int)status);
}

// kill(pid, signal).  A signal sent to this process has its handler run before kill returns,
// where CPython's eval loop would run it: the traceback of a KeyboardInterrupt names this line.
static bool os_kill(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t pid, sig;
    if (!check_args(vm, "kill", nargs, kwnames, 2, 2) || !mod_arg_index(vm, args[0], &pid) ||
        !mod_arg_index(vm, args[1], &sig))
        return false;
    if (!vm_sandbox_allows(vm, "os.kill", NULL)) return false;
    if (pid != (pid_t)pid || sig != (int)sig) return vm_raise(vm, vm->OverflowError, "signed integer is greater than maximum");
    if (kill((pid_t)pid, (int)sig) != 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return !vm_interrupted || vm_run_signal_handlers(vm);
}

static bool os_getcwd(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames || nargs)
        return vm_raise(vm, vm->TypeError, "posix.getcwd() takes no arguments (%d given)", nargs);
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return os_raise_errno(vm, errno, EMPTY_VAL());
    *result = OBJ_VAL(str_from_c(vm, cwd));
    free(cwd);
    return true;
}

static bool os_chdir(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *path = NULL;
    if (!one_path(vm, "chdir", args, nargs, kwnames, &path) || !vm_sandbox_allows(vm, "os.chdir", NULL))
        return false;
    if (chdir(path->chars) != 0) return os_raise_errno(vm, errno, OBJ_VAL(path));
    *result = NONE_VAL();
    return true;
}

static bool os_cpu_count(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "cpu_count", nargs, kwnames, 0, 0)) return false;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    *result = n > 0 ? INT_VAL(n) : NONE_VAL();
    return true;
}

static bool os_urandom(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int64_t n;
    if (!check_args(vm, "urandom", nargs, kwnames, 1, 1) || !mod_arg_index(vm, args[0], &n))
        return false;
    if (n < 0) return vm_raise(vm, vm->ValueError, "negative argument not allowed");
    unsigned char *buf = malloc((size_t)n + 1);
    for (int64_t got = 0; got < n;) {
        ssize_t r = getrandom(buf + got, (size_t)(n - got), 0);
        if (r < 0 && errno != EINTR) {
            free(buf);
            return os_raise_errno(vm, errno, EMPTY_VAL());
        }
        if (r > 0) got += r;
    }
    *result = OBJ_VAL(bytes_new(vm, buf, (size_t)n));
    free(buf);
    return true;
}

// system(command): runs a shell command; the exit status as wait() encodes it.
static bool os_system(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"command", NULL};
    Value a[1];
    ObjStr *cmd = NULL;
    if (!parse_args(vm, "system", args, nargs, kwnames, names, 1, a) ||
        !arg_str(vm, "system", a[0], &cmd) || !vm_sandbox_allows(vm, "os.system", NULL))
        return false;
    fflush(NULL);  // the child's output must come after everything printed so far
    int status;
    VM_BLOCKING(vm, status = system(cmd->chars)); // cmd stays rooted by args; others run meanwhile
    *result = INT_VAL(status);
    return true;
}

// ---- file descriptors ---------------------------------------------------------------------------
// The thin calls over POSIX descriptors that pipes and the event loop's readers need: pipe, read,
// write, close, get_blocking, set_blocking.  As CPython (PEP 475) a call interrupted by a signal
// runs the Python-level handlers and is retried unless a handler raised.

static bool fd_arg(Vm *vm, Value v, int *fd) {
    int64_t n;
    if (!mod_arg_index(vm, v, &n)) return false;
    if (n < INT32_MIN || n > INT32_MAX) return vm_raise(vm, vm->OverflowError, "fd is greater than maximum");
    *fd = (int)n;
    return true;
}

// After a call failed with errno err: true when it should be retried (EINTR, handlers ran fine).
static bool retry_after_signal(Vm *vm, int err, bool *failed) {
    *failed = false;
    if (err != EINTR) return false;
    if (vm_interrupted && !vm_run_signal_handlers(vm)) {
        *failed = true;
        return false;
    }
    return true;
}

// pipe() -> (read_end, write_end), both close-on-exec (CPython's descriptors are not inheritable).
static bool os_pipe(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args_clinic(vm, "pipe", nargs, kwnames, 0, 0)) return false;
    int fds[2];
    if (pipe(fds) != 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    ObjTuple *t = tuple_new(vm, 2);
    t->items[0] = INT_VAL(fds[0]);
    t->items[1] = INT_VAL(fds[1]);
    *result = OBJ_VAL(t);
    return true;
}

// Fuzz builds refuse the waits nothing could end (vm/vm.h); a ready pipe still blocks a write
// bigger than its room, so there the write is made in non-blocking mode, which writes what fits.
#ifdef AIO_FUZZ
static ssize_t write_once(int fd, const void *data, size_t length) {
    int flags = fcntl(fd, F_GETFL);
    bool toggle = flags >= 0 && !(flags & O_NONBLOCK) && !vm_other_threads_alive();
    if (toggle) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    ssize_t put = write(fd, data, length);
    int err = errno;
    if (toggle) fcntl(fd, F_SETFL, flags);
    errno = err;
    return put;
}
#else
#define write_once write
#endif

// read(fd, length) -> bytes: at most length bytes, b'' at end of file.
static bool os_read(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int fd = -1;
    int64_t length;
    if (!check_args_clinic(vm, "read", nargs, kwnames, 2, 2) || !fd_arg(vm, args[0], &fd) ||
        !mod_arg_index(vm, args[1], &length))
        return false;
    if (length < 0) return os_raise_errno(vm, EINVAL, EMPTY_VAL());
    if (vm_fuzz_would_wait(vm, fd, POLLIN)) return vm_fuzz_refuse_wait(vm, "os.read()"); // fuzz builds only
    unsigned char *buf = malloc((size_t)length + 1);
    if (!buf) return vm_raise(vm, vm->MemoryError, "");
    ssize_t got;
    for (;;) {
        vm_release_lock(vm); // buf is C memory: other threads may run while read() waits
        got = read(fd, buf, (size_t)length);
        int err = errno;
        vm_acquire_lock(vm);
        if (got >= 0) break;
        bool failed;
        if (retry_after_signal(vm, err, &failed)) continue;
        free(buf);
        return failed ? false : os_raise_errno(vm, err, EMPTY_VAL());
    }
    *result = OBJ_VAL(bytes_new(vm, buf, (size_t)got));
    free(buf);
    return true;
}

// write(fd, data) -> how many bytes were written (perhaps fewer than len(data)).
static bool os_write(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int fd = -1;
    if (!check_args_clinic(vm, "write", nargs, kwnames, 2, 2) || !fd_arg(vm, args[0], &fd)) return false;
    ByteSpan data;
    if (!bytes_like_or_raise(vm, args[1], &data)) return false;
    if (vm_fuzz_would_wait(vm, fd, POLLOUT)) return vm_fuzz_refuse_wait(vm, "os.write()");
    // write() may block (a full pipe): other threads run meanwhile.  The bytes of an immutable
    // bytes object stay put (args roots it); anything else another thread could resize, so it
    // is copied first.
    void *copy = NULL;
    if (!IS_BYTES(args[1]) && vm_other_threads_alive()) {
        copy = malloc(data.length ? data.length : 1);
        if (!copy) return vm_raise_memory_error(vm);
        memcpy(copy, data.data, data.length);
    }
    const void *from = copy ? copy : data.data;
    for (;;) {
        vm_release_lock(vm);
        ssize_t put = write_once(fd, from, data.length);
        int err = errno;
        vm_acquire_lock(vm);
        if (put >= 0) {
            free(copy);
            *result = INT_VAL(put);
            return true;
        }
        bool failed;
        if (retry_after_signal(vm, err, &failed)) continue;
        free(copy);
        return failed ? false : os_raise_errno(vm, err, EMPTY_VAL());
    }
}

// close(fd).  An interrupted close is not retried: the descriptor is gone either way (Linux).
static bool os_close(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"fd", NULL};
    Value a[1];
    int fd = -1;
    if (!parse_args(vm, "close", args, nargs, kwnames, names, 1, a) || !fd_arg(vm, a[0], &fd)) return false;
    if (close(fd) != 0 && errno != EINTR) return os_raise_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

static bool os_get_blocking(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int fd = -1;
    if (!check_args_clinic(vm, "get_blocking", nargs, kwnames, 1, 1) || !fd_arg(vm, args[0], &fd)) return false;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    *result = BOOL_VAL(!(flags & O_NONBLOCK));
    return true;
}

static bool os_set_blocking(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    int fd = -1;
    bool blocking;
    if (!check_args_clinic(vm, "set_blocking", nargs, kwnames, 2, 2) || !fd_arg(vm, args[0], &fd) ||
        !vm_truthy(vm, args[1], &blocking))
        return false;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
    if (wanted != flags && fcntl(fd, F_SETFL, wanted) != 0) return os_raise_errno(vm, errno, EMPTY_VAL());
    *result = NONE_VAL();
    return true;
}

// ---- the environment ----------------------------------------------------------------------------

static ObjDict *environ_dict(Vm *vm) {
    Value mod = dict_get_str(vm->modules, str_from_c(vm, "os"));
    if (!IS_MODULE(mod)) return NULL;
    Value env = dict_get_str(AS_MODULE(mod)->globals, str_from_c(vm, "environ"));
    return IS_DICT(env) ? AS_DICT(env) : NULL;
}

// getenv(key, default=None): reads os.environ, as CPython's does.
static bool os_getenv(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"key", "default", NULL};
    Value a[2];
    if (nargs == 0 && !kwnames)  // getenv is a Python function in CPython: its message
        return vm_raise(vm, vm->TypeError,
                        "getenv() missing 1 required positional argument: 'key'");
    if (!parse_args(vm, "getenv", args, nargs, kwnames, names, 1, a)) return false;
    if (!IS_STR(a[0]))
        return vm_raise(vm, vm->TypeError, "str expected, not %s", vm_type_name(vm, a[0]));
    *result = IS_EMPTY(a[1]) ? NONE_VAL() : a[1];
    ObjDict *env = environ_dict(vm);
    if (env) {
        Value v = dict_get_str(env, AS_STR(a[0]));
        if (!IS_EMPTY(v)) *result = v;
    } else {
        const char *v = getenv(AS_STR(a[0])->chars);
        if (v) *result = OBJ_VAL(str_from_c(vm, v));
    }
    return true;
}

static void add_environ(Vm *vm, ObjModule *m) {
    ObjDict *env = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(env));
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        ObjStr *key = str_new(vm, *e, (size_t)(eq - *e));
        vm_push_root(vm, OBJ_VAL(key));
        ObjStr *value = str_from_c(vm, eq + 1);
        vm_push_root(vm, OBJ_VAL(value));
        dict_set_str(vm, env, key, OBJ_VAL(value));
        vm_pop_roots(vm, 2);
    }
    mod_set(vm, m, "environ", OBJ_VAL(env));
    vm_pop_root(vm);
}

// ---- directories and files ----------------------------------------------------------------------

// The names in a directory (not . and ..), in the order the OS gives them, as a list.
static ObjList *list_directory(Vm *vm, ObjStr *path) {
    DIR *dir = opendir(path->chars);
    if (!dir) {
        os_raise_errno(vm, errno, OBJ_VAL(path));
        return NULL;
    }
    ObjList *names = list_new(vm, 0);
    vm_push_root(vm, OBJ_VAL(names));
    struct dirent *ent;
    while ((ent = readdir(dir))) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
        list_append(vm, names, OBJ_VAL(str_from_c(vm, ent->d_name)));
    }
    closedir(dir);
    vm_pop_root(vm);
    return names;
}

static bool os_listdir(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"path", NULL};
    Value a[1];
    ObjStr *path = NULL;
    if (!parse_args(vm, "listdir", args, nargs, kwnames, names, 0, a)) return false;
    if (IS_EMPTY(a[0]) || IS_NONE(a[0])) path = str_from_c(vm, ".");
    else if (!os_path_arg(vm, "listdir", a[0], &path)) return false;
    vm_push_root(vm, OBJ_VAL(path));
    ObjList *list = list_directory(vm, path);
    vm_pop_root(vm);
    if (!list) return false;
    *result = OBJ_VAL(list);
    return true;
}

static bool os_mkdir(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"path", "mode", NULL};
    Value a[2];
    ObjStr *path = NULL;
    int64_t mode = 0777;
    if (!parse_args(vm, "mkdir", args, nargs, kwnames, names, 1, a) ||
        !os_path_arg(vm, "mkdir", a[0], &path) || !vm_sandbox_allows(vm, "os.mkdir", path->chars) ||
        (!IS_EMPTY(a[1]) && !mod_arg_index(vm, a[1], &mode)))
        return false;
    if (mkdir(path->chars, (mode_t)mode) != 0) return os_raise_errno(vm, errno, OBJ_VAL(path));
    *result = NONE_VAL();
    return true;
}

// makedirs(name, mode=0o777, exist_ok=False): every missing directory along the path.
static bool os_makedirs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"name", "mode", "exist_ok", NULL};
    Value a[3];
    ObjStr *path = NULL;
    int64_t mode = 0777;
    if (!parse_args(vm, "makedirs", args, nargs, kwnames, names, 1, a) ||
        !os_path_arg(vm, "makedirs", a[0], &path) ||
        !vm_sandbox_allows(vm, "os.makedirs", path->chars) ||
        (!IS_EMPTY(a[1]) && !mod_arg_index(vm, a[1], &mode)))
        return false;
    bool exist_ok = false;
    if (!IS_EMPTY(a[2]) && !vm_truthy(vm, a[2], &exist_ok)) return false;
    char *p = strdup(path->chars);
    size_t n = strlen(p);
    // Create each proper prefix that ends before a '/', ignoring "already exists".
    for (size_t i = 1; i < n; i++) {
        if (p[i] != '/' || p[i - 1] == '/') continue;
        p[i] = '\0';
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
            int err = errno;
            ObjStr *prefix = str_from_c(vm, p);
            free(p);
            return os_raise_errno(vm, err, OBJ_VAL(prefix));
        }
        p[i] = '/';
    }
    free(p);
    if (mkdir(path->chars, (mode_t)mode) != 0) {
        struct stat sb;
        if (!(errno == EEXIST && exist_ok && stat(path->chars, &sb) == 0 && S_ISDIR(sb.st_mode)))
            return os_raise_errno(vm, errno, OBJ_VAL(path));
    }
    *result = NONE_VAL();
    return true;
}

// remove, unlink, rmdir: one path, one C call.
#define PATH_CALL(name, cname, call)                                                               \
    static bool os_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {      \
        ObjStr *path = NULL;                                                                       \
        if (!one_path(vm, cname, args, nargs, kwnames, &path)) return false;                       \
        if (!vm_sandbox_allows(vm, cname, path->chars)) return false;                              \
        if (call(path->chars) != 0) return os_raise_errno(vm, errno, OBJ_VAL(path));               \
        *result = NONE_VAL();                                                                      \
        return true;                                                                               \
    }
PATH_CALL(remove, "remove", unlink)
PATH_CALL(unlink, "unlink", unlink)
PATH_CALL(rmdir, "rmdir", rmdir)

static bool rename_impl(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames,
                        Value *result) {
    static const char *const names[] = {"src", "dst", NULL};
    Value a[2];
    ObjStr *src = NULL, *dst = NULL;
    if (!parse_args(vm, fname, args, nargs, kwnames, names, 2, a) ||
        !os_path_arg(vm, fname, a[0], &src) || !os_path_arg(vm, fname, a[1], &dst) ||
        !vm_sandbox_allows(vm, fname, src->chars) || !vm_sandbox_allows(vm, fname, dst->chars))
        return false;
    if (rename(src->chars, dst->chars) != 0) return os_raise_errno(vm, errno, OBJ_VAL(src));
    *result = NONE_VAL();
    return true;
}

static bool os_rename(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return rename_impl(vm, "rename", args, nargs, kwnames, result);
}

static bool os_replace(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return rename_impl(vm, "replace", args, nargs, kwnames, result);
}

// stat(path): an os.stat_result.  The times are floats in the tuple too (CPython keeps ints in
// the tuple and floats in the attributes).
static bool os_stat(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *path = NULL;
    if (!one_path(vm, "stat", args, nargs, kwnames, &path)) return false;
    struct stat sb;
    if (stat(path->chars, &sb) != 0) return os_raise_errno(vm, errno, OBJ_VAL(path));
    ObjClass *cls = mod_find_class(vm, "os", "stat_result");
    if (!cls) return false;
    ObjTuple *t = structseq_new(vm, cls, 10);
    const int64_t ints[7] = {
        sb.st_mode, (int64_t)sb.st_ino, (int64_t)sb.st_dev, (int64_t)sb.st_nlink,
        sb.st_uid,  sb.st_gid,          sb.st_size};
    for (int i = 0; i < 7; i++) t->items[i] = INT_VAL(ints[i]);
    t->items[7] = FLOAT_VAL((double)sb.st_atim.tv_sec + sb.st_atim.tv_nsec * 1e-9);
    t->items[8] = FLOAT_VAL((double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec * 1e-9);
    t->items[9] = FLOAT_VAL((double)sb.st_ctim.tv_sec + sb.st_ctim.tv_nsec * 1e-9);
    *result = OBJ_VAL(t);
    return true;
}

// ---- walk ---------------------------------------------------------------------------------------

// os.walk(top) top-down, as an iterator.  source: the stack of directories still to visit (a
// list, the next one last); extra: the (dirpath, dirnames, filenames) tuple yielded last, whose
// dirnames -- possibly pruned by the program in the meantime -- are pushed on the next step.
static int walk_next(Vm *vm, Obj *obj, Value *out) {
    ObjIter *it = (ObjIter *)obj;
    ObjList *stack = AS_LIST(it->source);
    if (IS_TUPLE(it->extra)) {
        ObjTuple *last = AS_TUPLE(it->extra);
        vm_push_root(vm, it->extra);
        it->extra = NONE_VAL();
        ObjStr *dir = AS_STR(last->items[0]);
        ObjList *subdirs = AS_LIST(last->items[1]);
        for (size_t i = subdirs->count; i-- > 0;) {
            Value name = subdirs->items[i];
            if (!IS_STR(name)) continue;
            bool slash = dir->length && dir->chars[dir->length - 1] == '/';
            ObjStr *sub =
                str_printf(vm, "%s%s%s", dir->chars, slash ? "" : "/", AS_STR(name)->chars);
            vm_push_root(vm, OBJ_VAL(sub));
            list_append(vm, stack, OBJ_VAL(sub));
            vm_pop_root(vm);
        }
        vm_pop_root(vm);
    }
    while (stack->count > 0) {
        ObjStr *dir = AS_STR(stack->items[--stack->count]);
        vm_push_root(vm, OBJ_VAL(dir));
        ObjList *names = list_directory(vm, dir);
        if (!names) {  // unreadable directories are skipped, as with onerror=None
            vm_clear_exception(vm);
            vm_pop_root(vm);
            continue;
        }
        vm_push_root(vm, OBJ_VAL(names));
        ObjList *dirs = list_new(vm, 0);
        vm_push_root(vm, OBJ_VAL(dirs));
        ObjList *files = list_new(vm, 0);
        vm_push_root(vm, OBJ_VAL(files));
        for (size_t i = 0; i < names->count; i++) {
            ObjStr *name = AS_STR(names->items[i]);
            bool slash = dir->length && dir->chars[dir->length - 1] == '/';
            char *full = malloc(dir->length + name->length + 2);
            sprintf(full, "%s%s%s", dir->chars, slash ? "" : "/", name->chars);
            struct stat sb;
            bool is_dir = stat(full, &sb) == 0 && S_ISDIR(sb.st_mode);
            free(full);
            list_append(vm, is_dir ? dirs : files, OBJ_VAL(name));
        }
        ObjTuple *t = tuple_new(vm, 3);
        t->items[0] = OBJ_VAL(dir);
        t->items[1] = OBJ_VAL(dirs);
        t->items[2] = OBJ_VAL(files);
        vm_pop_roots(vm, 4);
        it->extra = OBJ_VAL(t);
        *out = OBJ_VAL(t);
        return 1;
    }
    return 0;
}

static bool os_walk(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"top", "topdown", "onerror", "followlinks", NULL};
    Value a[4];
    ObjStr *top = NULL;
    if (!parse_args(vm, "walk", args, nargs, kwnames, names, 1, a) ||
        !os_path_arg(vm, "walk", a[0], &top))
        return false;
    ObjClass *cls = mod_find_class(vm, "os", "_walk_iterator");
    if (!cls) return false;
    ObjList *stack = list_new(vm, 1);
    vm_push_root(vm, OBJ_VAL(stack));
    list_append(vm, stack, OBJ_VAL(top));
    ObjIter *it = iter_new(vm, cls, walk_next, OBJ_VAL(stack));
    vm_pop_root(vm);
    *result = OBJ_VAL(it);
    return true;
}

// ---- the module ---------------------------------------------------------------------------------

static void set_str(Vm *vm, ObjModule *m, const char *name, const char *value) {
    mod_set(vm, m, name, OBJ_VAL(str_from_c(vm, value)));
}

ObjModule *mod_os_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "os");
    vm_push_root(vm, OBJ_VAL(m));
    set_str(vm, m, "name", "posix");
    set_str(vm, m, "sep", "/");
    set_str(vm, m, "linesep", "\n");
    set_str(vm, m, "curdir", ".");
    set_str(vm, m, "pardir", "..");
    set_str(vm, m, "extsep", ".");
    set_str(vm, m, "pathsep", ":");
    set_str(vm, m, "devnull", "/dev/null");
    mod_set(vm, m, "altsep", NONE_VAL());
    add_environ(vm, m);
    static const char *const stat_fields[] = {"st_mode", "st_ino",   "st_dev",   "st_nlink",
                                              "st_uid",  "st_gid",   "st_size",  "st_atime",
                                              "st_mtime", "st_ctime", NULL};
    structseq_class(vm, m, "stat_result", stat_fields, true, true);
    mod_class(vm, m, "_walk_iterator", vm->iterator_class, OBJ_ITER);
    static const MethodDef fns[] = {
        {"getpid", os_getpid},     {"getppid", os_getppid},   {"kill", os_kill},
        {"_exit", os_exit_now},
        {"getcwd", os_getcwd},
        {"chdir", os_chdir},       {"cpu_count", os_cpu_count}, {"urandom", os_urandom},
        {"system", os_system},     {"getenv", os_getenv},     {"listdir", os_listdir},
        {"mkdir", os_mkdir},       {"makedirs", os_makedirs}, {"remove", os_remove},
        {"unlink", os_unlink},     {"rmdir", os_rmdir},       {"rename", os_rename},
        {"replace", os_replace},   {"stat", os_stat},         {"walk", os_walk},
        {"pipe", os_pipe},         {"read", os_read},         {"write", os_write},
        {"close", os_close},       {"get_blocking", os_get_blocking},
        {"set_blocking", os_set_blocking},
        {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    // os.path: the same module object as `import os.path` finds.
    ObjModule *path = mod_os_path_init(vm);
    mod_set(vm, m, "path", OBJ_VAL(path));
    vm_pop_root(vm);
    return m;
}
