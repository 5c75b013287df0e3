/* Child processes: starting them, learning how they ended, reaping every one.  process.h says
 * what a Child is and which loop runs it.
 *
 * A child is started with posix_spawn (a vfork in glibc: nothing of this process is copied, the
 * way CPython's _posixsubprocess starts children; libuv's uv_spawn forks, which made starting a
 * child several times slower) and watched on a libuv loop through its pidfd, which becomes
 * readable when the child ends; the watch's callback reaps it (waitpid with WNOHANG) and records
 * its return code.  Nothing depends on SIGCHLD, so a program's own SIGCHLD handler changes
 * nothing.  The watch only fires while its loop runs, so:
 *  - a child of an asyncio loop is reaped while that loop runs; when the loop is closed first,
 *    process_detach_loop closes the watch and puts the pid on the orphan list;
 *  - a child of the thread's private loop is reaped when a blocking call runs that loop (a wait,
 *    a poll, the next spawn), whether or not the program still holds its object;
 *  - an orphan is reaped (waitpid with WNOHANG) by each later spawn and blocking wait.
 * So a program that starts children and forgets them leaves no zombie behind for long.
 *
 * Nothing here runs Python code from a libuv callback: the watch only records the status, queues
 * the prepared Handle (asyncio) and closes itself.  Waits release the interpreter lock when the
 * build has one (vm/thread.h) and end early when a signal arrives, so that its Python-level
 * handler runs (and may raise, as KeyboardInterrupt does) at once.
 */
#define _GNU_SOURCE // posix_spawn_file_actions_addchdir_np
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

#include "asyncio.h"
#include "clock.h"
#include "exceptions.h"
#include "process.h"

#if __has_include("thread.h")
#include "thread.h"
#define WITHOUT_LOCK(vm, ...) VM_BLOCKING(vm, __VA_ARGS__)
#define ON_MAIN_THREAD() vm_thread_may_run_signal_handlers()
#else
#define ON_MAIN_THREAD() true
#define WITHOUT_LOCK(vm, ...)                                                                      \
    do {                                                                                           \
        __VA_ARGS__;                                                                               \
    } while (0)
#endif

// The loop that runs a thread's blocking children, made on its first spawn.
typedef struct {
    uv_loop_t uv;
    uv_timer_t timer; // a wait's timeout
    uv_async_t wake;  // a signal's C handler ends the wait through it (loop_set_signal_wakeup)
    bool timed_out;
} PrivateLoop;

static _Thread_local PrivateLoop *private_loop;

struct Child {
    uv_poll_t exit_watch;   // the pidfd, readable once the child has ended (or a timer: below)
    uv_timer_t exit_poll;   // without pidfd_open (a kernel older than 5.3): a waitpid every 10 ms
    bool by_timer;
    int pidfd;
    uv_loop_t *uv;          // the libuv loop watching it
    PrivateLoop *private;   // the private loop it runs on, or NULL for an asyncio loop
    ObjLoop *loop;          // the asyncio loop, while the watch is open
    ObjHandle *exit_handle; // asyncio: queued when the child exits; held by the loop until then
    Value loop_value;
    int pid;
    int returncode;
    bool exited;            // reaped (returncode is set)
    bool watch_closed;      // uv_close has completed: libuv no longer uses the memory
    bool forgotten;         // the program's object is gone
    struct Child *prev, *next; // every child whose watch is open (detaching a loop walks them)
};

// ---- orphans ------------------------------------------------------------------------------------

static pthread_mutex_t orphans_lock = PTHREAD_MUTEX_INITIALIZER;
static int *orphans;
static size_t orphan_count, orphan_capacity;

static void orphan_add(int pid) {
    pthread_mutex_lock(&orphans_lock);
    if (orphan_count == orphan_capacity) {
        orphan_capacity = orphan_capacity ? orphan_capacity * 2 : 8;
        orphans = realloc(orphans, orphan_capacity * sizeof *orphans);
        if (!orphans) abort();
    }
    orphans[orphan_count++] = pid;
    pthread_mutex_unlock(&orphans_lock);
}

// Reaps the orphans that have ended; the others stay on the list.
static void reap_orphans(void) {
    pthread_mutex_lock(&orphans_lock);
    size_t kept = 0;
    for (size_t i = 0; i < orphan_count; i++) {
        int status;
        pid_t r;
        do r = waitpid(orphans[i], &status, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0) orphans[kept++] = orphans[i];
    }
    orphan_count = kept;
    pthread_mutex_unlock(&orphans_lock);
}

// ---- the watch's life ---------------------------------------------------------------------------
// `lifetime_lock` guards the list of watched children and the two flags that decide when a Child
// is freed (watch_closed, forgotten): the collector may drop a Child's object on one thread while
// another runs the loop that closes its watch.

static pthread_mutex_t lifetime_lock = PTHREAD_MUTEX_INITIALIZER;
static Child *watched;

static void on_closed(uv_handle_t *h) {
    Child *c = h->data;
    if (c->pidfd >= 0) close(c->pidfd);
    c->pidfd = -1;
    pthread_mutex_lock(&lifetime_lock);
    c->watch_closed = true;
    bool gone = c->forgotten;
    pthread_mutex_unlock(&lifetime_lock);
    if (gone) free(c);
}

static uv_handle_t *watch_of(Child *c) {
    return c->by_timer ? (uv_handle_t *)&c->exit_poll : (uv_handle_t *)&c->exit_watch;
}

// Stops watching (the child has been reaped, or its loop is closing).
static void unwatch(Child *c) {
    pthread_mutex_lock(&lifetime_lock);
    if (c->prev) c->prev->next = c->next;
    else watched = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    pthread_mutex_unlock(&lifetime_lock);
    uv_close(watch_of(c), on_closed);
}

// The child may have ended: reap it if so (never waiting), record how it ended and tell the loop.
static void check_exit(Child *c) {
    if (c->exited) return;
    int status;
    pid_t r;
    do r = waitpid(c->pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) return;
    c->exited = true;
    if (r < 0) c->returncode = 255; // reaped by someone else (a program's own waitpid): unknown
    else c->returncode = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
    if (c->exit_handle && c->loop && !loop_closed(c->loop)) {
        AS_TUPLE(c->exit_handle->args)->items[0] = INT_VAL(c->returncode);
        loop_ready_handle(c->loop, c->exit_handle);
    }
    c->loop = NULL;
    unwatch(c);
}

static void on_pidfd(uv_poll_t *h, int status, int events) { check_exit(h->data); }
static void on_exit_poll(uv_timer_t *t) { check_exit(t->data); }

void process_detach_loop(struct uv_loop_s *uv) {
    for (;;) {
        pthread_mutex_lock(&lifetime_lock);
        Child *c = watched;
        while (c && c->uv != uv) c = c->next;
        pthread_mutex_unlock(&lifetime_lock);
        if (!c) return;
        if (!c->exited) orphan_add(c->pid);
        c->loop = NULL;
        c->exit_handle = NULL;
        unwatch(c);
    }
}

// ---- the private loop ---------------------------------------------------------------------------

static void on_timeout(uv_timer_t *t) { ((PrivateLoop *)t->data)->timed_out = true; }
static void on_wake(uv_async_t *a) { (void)a; }

static PrivateLoop *thread_private_loop(Vm *vm) {
    if (private_loop) return private_loop;
    PrivateLoop *p = calloc(1, sizeof *p);
    if (!p) abort();
    int r = uv_loop_init(&p->uv);
    if (r != 0) {
        free(p);
        raise_os_errno(vm, -r, EMPTY_VAL());
        return NULL;
    }
    uv_timer_init(&p->uv, &p->timer);
    p->timer.data = p;
    uv_async_init(&p->uv, &p->wake, on_wake);
    uv_unref((uv_handle_t *)&p->wake);
    uv_unref((uv_handle_t *)&p->timer);
    private_loop = p;
    return p;
}

// ---- spawning -----------------------------------------------------------------------------------

// The cwd is checked here, before the fork: libuv reports a missing cwd and a missing program
// with the same ENOENT, and CPython names the one that is missing.
// OSError for err naming path (kept rooted while the exception is made).
static bool raise_naming(Vm *vm, int err, const char *path) {
    Value name = OBJ_VAL(str_from_c(vm, path));
    vm_push_root(vm, name);
    raise_os_errno(vm, err, name);
    vm_pop_root(vm);
    return false;
}

static bool check_cwd(Vm *vm, const char *cwd) {
    struct stat st;
    if (stat(cwd, &st) != 0) return raise_naming(vm, errno, cwd);
    if (!S_ISDIR(st.st_mode)) return raise_naming(vm, ENOTDIR, cwd);
    return true;
}

// The value of NAME in a "NAME=value" list, or NULL.
static const char *env_value(char **env, const char *name) {
    size_t n = strlen(name);
    for (; env && *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=') return *env + n + 1;
    return NULL;
}

// The program to run: `file` itself when it holds a '/', else the first executable regular file
// of that name in the PATH the child will have (the child's env, as CPython looks it up; the
// default path when it has none).  NULL with *err set (ENOENT, or EACCES when only files that
// cannot be run were found); the caller frees the result.
static char *find_program(const char *file, char **env, int *err) {
    if (strchr(file, '/')) return strdup(file);
    const char *path = env ? env_value(env, "PATH") : getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    *err = ENOENT;
    size_t flen = strlen(file);
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        char *full = malloc(dlen + flen + 3);
        if (!full) abort();
        if (dlen) memcpy(full, p, dlen);
        else full[dlen++] = '.'; // an empty entry is the working directory
        full[dlen] = '/';
        memcpy(full + dlen + 1, file, flen + 1);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(full, X_OK) == 0) return full;
            *err = EACCES;
        }
        free(full);
        if (!end) return NULL;
        p = end;
    }
}

// Starts the program with posix_spawn (glibc's is a vfork: the parent's memory is not copied,
// which makes starting a child several times cheaper than fork, as CPython's _posixsubprocess
// does too).  The child gets the descriptors asked for, every signal's default action (SIGPIPE,
// which aio ignores, included: CPython's restore_signals) and no blocked signal.  0, or the errno.
static int start_child(const SpawnRequest *req, const char *program, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    for (int i = 0; i < 3; i++) {
        if (req->fds[i] == CHILD_FD_DEVNULL) posix_spawn_file_actions_addopen(&actions, i, "/dev/null", O_RDWR, 0);
        else if (req->fds[i] >= 0) posix_spawn_file_actions_adddup2(&actions, req->fds[i], i); // (to itself: inherited)
    }
    if (req->cwd) posix_spawn_file_actions_addchdir_np(&actions, req->cwd);
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    int r = posix_spawn(pid, program, &actions, &attr, req->argv, req->env ? req->env : environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return r;
}

// Watches for the child's end on uv: its pidfd, or a timer where the kernel has none.
static void watch_child(Child *c, uv_loop_t *uv) {
    c->uv = uv;
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    if (c->pidfd < 0 || uv_poll_init(uv, &c->exit_watch, c->pidfd) != 0) {
        if (c->pidfd >= 0) close(c->pidfd);
        c->pidfd = -1;
        c->by_timer = true;
        uv_timer_init(uv, &c->exit_poll);
        c->exit_poll.data = c;
        uv_timer_start(&c->exit_poll, on_exit_poll, 10, 10);
    } else {
        c->exit_watch.data = c;
        uv_poll_start(&c->exit_watch, UV_READABLE, on_pidfd);
    }
    pthread_mutex_lock(&lifetime_lock);
    c->next = watched;
    if (watched) watched->prev = c;
    watched = c;
    pthread_mutex_unlock(&lifetime_lock);
}

Child *process_spawn(Vm *vm, const SpawnRequest *req) {
    if (!vm_sandbox_allows(vm, "subprocess", NULL)) return NULL;
    if (req->cwd && !check_cwd(vm, req->cwd)) return NULL;
    reap_orphans();
    bool on_asyncio = !IS_NONE(req->loop);
    PrivateLoop *p = NULL;
    uv_loop_t *uv;
    if (on_asyncio) {
        if (!loop_check_open(vm, AS_LOOP(req->loop))) return NULL;
        uv = loop_uv(AS_LOOP(req->loop));
    } else {
        p = thread_private_loop(vm);
        if (!p) return NULL;
        uv = &p->uv;
        uv_run(uv, UV_RUN_NOWAIT); // reaps the children that ended since it last ran
    }
    const char *file = req->file ? req->file : req->argv[0];
    int err = 0;
    char *program = find_program(file, req->env, &err);
    if (!program) {
        raise_naming(vm, err, file);
        return NULL;
    }
    ObjHandle *exit_handle = NULL;
    if (on_asyncio) {
        ObjTuple *args = tuple_new(vm, 1);
        args->items[0] = NONE_VAL();
        vm_push_root(vm, OBJ_VAL(args));
        exit_handle = loop_handle_new(vm, req->loop, req->on_exit, OBJ_VAL(args));
        vm_pop_root(vm);
    }
    fflush(NULL); // what this process printed comes before what the child prints
    pid_t pid;
    err = start_child(req, program, &pid);
    free(program);
    if (err) {
        raise_naming(vm, err, file);
        return NULL;
    }
    Child *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->pid = pid;
    c->private = p;
    if (on_asyncio) {
        loop_hold(vm, req->loop, OBJ_VAL(exit_handle));
        c->loop = AS_LOOP(req->loop);
        c->loop_value = req->loop;
        c->exit_handle = exit_handle;
    }
    watch_child(c, uv);
    return c;
}

int process_pid(const Child *c) { return c->pid; }

bool process_returncode(const Child *c, int *code) {
    if (!c->exited) return false;
    *code = c->returncode;
    return true;
}

void process_settle(Vm *vm, Child *c) {
    if (!c->exited || !c->exit_handle) return;
    ObjHandle *h = c->exit_handle;
    c->exit_handle = NULL;
    loop_release(vm, c->loop_value, OBJ_VAL(h));
}

void process_forget(Child *c) {
    pthread_mutex_lock(&lifetime_lock);
    c->forgotten = true;
    bool gone = c->watch_closed;
    pthread_mutex_unlock(&lifetime_lock);
    if (gone) free(c);
}

void process_poll(Child *c) {
    if (c->private && !c->exited) uv_run(&c->private->uv, UV_RUN_NOWAIT);
}

bool process_send_signal(Vm *vm, Child *c, int sig) {
    process_poll(c);
    if (c->exited) return true;
    if (kill(c->pid, sig) != 0) return raise_os_errno(vm, errno, EMPTY_VAL());
    return true;
}

// ---- waiting ------------------------------------------------------------------------------------

static uint64_t ceil_ms(double seconds) { return seconds <= 0 ? 0 : (uint64_t)(seconds * 1000.0 + 0.999); }

bool process_wait(Vm *vm, Child *c, double timeout, bool *exited) {
    PrivateLoop *p = c->private;
    reap_orphans();
    if (!p || c->exited) {
        *exited = c->exited;
        return true;
    }
    p->timed_out = false;
    if (timeout >= 0) {
        uv_update_time(&p->uv);
        uv_timer_start(&p->timer, on_timeout, ceil_ms(timeout), 0);
    }
    bool ok = true;
    // Signals reach the main thread only: there a signal ends the wait (the slot is the event
    // loop's, which does not wait meanwhile on this thread); another thread just waits.
    bool main_thread = ON_MAIN_THREAD();
    uv_ref((uv_handle_t *)&p->wake);
    while (!c->exited && !p->timed_out) {
        if (main_thread) loop_set_signal_wakeup(&p->wake); // a signal from now on ends uv_run
        if (vm_interrupted && main_thread) {
            loop_set_signal_wakeup(NULL);
            if (!vm_run_signal_handlers(vm)) {
                ok = false;
                break;
            }
            continue;
        }
        WITHOUT_LOCK(vm, uv_run(&p->uv, UV_RUN_ONCE));
        if (main_thread) loop_set_signal_wakeup(NULL);
    }
    uv_unref((uv_handle_t *)&p->wake);
    uv_timer_stop(&p->timer);
    *exited = c->exited;
    return ok;
}

// ---- communicate --------------------------------------------------------------------------------

static void append(Exchange *x, int which, const unsigned char *data, size_t n) {
    if (x->got_len[which] + n > x->got_cap[which]) {
        size_t cap = x->got_cap[which] ? x->got_cap[which] : 4096;
        while (cap < x->got_len[which] + n) cap *= 2;
        x->got[which] = realloc(x->got[which], cap);
        if (!x->got[which]) abort();
        x->got_cap[which] = cap;
    }
    memcpy(x->got[which] + x->got_len[which], data, n);
    x->got_len[which] += n;
}

// One step on a ready descriptor: false with errno on a real error.
static bool exchange_step(Exchange *x, int slot) {
    int fd = x->fds[slot];
    if (slot == 0) {
        size_t left = x->input_len - x->sent;
        ssize_t put = left ? write(fd, x->input + x->sent, left > 65536 ? 65536 : left) : 0;
        if (put < 0) {
            if (errno == EAGAIN || errno == EINTR) return true;
            if (errno != EPIPE) return false;
            x->fds[0] = -1; // the child stopped reading: the rest of the input is dropped
            return true;
        }
        x->sent += (size_t)put;
        if (x->sent == x->input_len) x->fds[0] = -1;
        return true;
    }
    unsigned char buf[65536];
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0) return errno == EAGAIN || errno == EINTR;
    if (got == 0) x->fds[slot] = -1;
    else append(x, slot - 1, buf, (size_t)got);
    return true;
}

bool process_exchange(Vm *vm, Exchange *x, double timeout, bool *timed_out) {
    *timed_out = false;
    if (x->fds[0] >= 0 && x->sent == x->input_len) {
        x->fds[0] = -1;
        return true;
    }
    int saved_flags[3];
    int original[3];
    for (int i = 0; i < 3; i++) {
        original[i] = x->fds[i];
        if (x->fds[i] < 0) continue;
        saved_flags[i] = fcntl(x->fds[i], F_GETFL);
        fcntl(x->fds[i], F_SETFL, saved_flags[i] | O_NONBLOCK);
    }
    double deadline = timeout >= 0 ? clock_monotonic(vm) + timeout : -1;
    bool ok = true;
    while (x->fds[0] >= 0 || x->fds[1] >= 0 || x->fds[2] >= 0) {
        struct pollfd pfd[3];
        int slot_of[3], n = 0;
        for (int i = 0; i < 3; i++) {
            if (x->fds[i] < 0) continue;
            pfd[n] = (struct pollfd){.fd = x->fds[i], .events = i == 0 ? POLLOUT : POLLIN};
            slot_of[n++] = i;
        }
        int wait_ms = -1;
        if (deadline >= 0) {
            double left = deadline - clock_monotonic(vm);
            if (left <= 0) {
                *timed_out = true;
                break;
            }
            wait_ms = (int)ceil_ms(left);
        }
        int ready, err = 0;
        WITHOUT_LOCK(vm, ready = poll(pfd, (nfds_t)n, wait_ms); err = errno);
        if (ready < 0) {
            if (err == EINTR) {
                if (vm_interrupted && !vm_run_signal_handlers(vm)) {
                    ok = false;
                    break;
                }
                continue;
            }
            ok = raise_os_errno(vm, err, EMPTY_VAL());
            break;
        }
        for (int k = 0; k < n; k++) {
            if (!pfd[k].revents) continue;
            if (!exchange_step(x, slot_of[k])) {
                ok = raise_os_errno(vm, errno, EMPTY_VAL());
                break;
            }
        }
        if (!ok) break;
        if (original[0] >= 0 && x->fds[0] < 0) break; // the caller closes stdin, then calls again
    }
    for (int i = 0; i < 3; i++)
        if (original[i] >= 0) fcntl(original[i], F_SETFL, saved_flags[i]);
    return ok;
}
