/* Child processes: starting them with uv_spawn, learning how they ended, reaping every one.
 * process.h says what a Child is and which loop runs it.
 *
 * libuv reaps a child (waitpid) when its loop notices SIGCHLD, and calls on_exit there.  That only
 * happens while the loop runs, so:
 *  - a child of an asyncio loop is reaped while that loop runs; when the loop is closed first,
 *    process_detach_loop closes the child's handle and puts its pid on the orphan list;
 *  - a child of the thread's private loop is reaped when a blocking call runs that loop (a wait,
 *    a poll, the next spawn), whether or not the program still holds its object;
 *  - an orphan is reaped (waitpid with WNOHANG) by each later spawn and blocking wait.
 * So a program that starts children and forgets them leaves no zombie behind for long.
 *
 * Nothing here runs Python code from a libuv callback: on_exit only records the status, queues
 * the prepared Handle (asyncio) and closes the handle.  Waits release the interpreter lock when
 * the build has one (vm/thread.h) and end early when a signal arrives, so that its Python-level
 * handler runs (and may raise, as KeyboardInterrupt does) at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "asyncio.h"
#include "clock.h"
#include "exceptions.h"
#include "process.h"

#if __has_include("thread.h")
#include "thread.h"
#define WITHOUT_LOCK(vm, ...) VM_BLOCKING(vm, __VA_ARGS__)
#else
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
    uv_process_t handle;
    PrivateLoop *private;   // the private loop it runs on, or NULL for an asyncio loop
    ObjLoop *loop;          // the asyncio loop, while its handle is open
    ObjHandle *exit_handle; // asyncio: queued when the child exits; held by the loop until then
    Value loop_value;
    int pid;
    int returncode;
    bool exited;            // libuv reaped it (returncode is set)
    bool handle_closed;     // uv_close has completed: libuv no longer uses the memory
    bool forgotten;         // the program's object is gone
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

// ---- the handle's life --------------------------------------------------------------------------

static void on_closed(uv_handle_t *h) {
    Child *c = h->data;
    c->handle_closed = true;
    if (c->forgotten) free(c);
}

static void on_child_exit(uv_process_t *h, int64_t status, int term_signal) {
    Child *c = h->data;
    c->exited = true;
    c->returncode = term_signal ? -term_signal : (int)status;
    if (c->exit_handle && c->loop && !loop_closed(c->loop)) {
        AS_TUPLE(c->exit_handle->args)->items[0] = INT_VAL(c->returncode);
        loop_ready_handle(c->loop, c->exit_handle);
    }
    c->loop = NULL;
    uv_close((uv_handle_t *)h, on_closed);
}

static void detach_one(uv_handle_t *h, void *unused) {
    (void)unused;
    if (h->type != UV_PROCESS || uv_is_closing(h)) return;
    Child *c = h->data;
    if (!c->exited) orphan_add(c->pid);
    c->loop = NULL;
    c->exit_handle = NULL;
    uv_close(h, on_closed);
}

void process_detach_loop(struct uv_loop_s *uv) { uv_walk(uv, detach_one, NULL); }

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

Child *process_spawn(Vm *vm, const SpawnRequest *req) {
    if (!vm_sandbox_allows(vm, "subprocess", NULL)) return NULL;
    if (req->cwd && !check_cwd(vm, req->cwd)) return NULL;
    reap_orphans();
    bool on_asyncio = !IS_NONE(req->loop);
    PrivateLoop *p = NULL;
    uv_loop_t *uv;
    ObjHandle *exit_handle = NULL;
    if (on_asyncio) {
        if (!loop_check_open(vm, AS_LOOP(req->loop))) return NULL;
        uv = loop_uv(AS_LOOP(req->loop));
        ObjTuple *args = tuple_new(vm, 1);
        args->items[0] = NONE_VAL();
        vm_push_root(vm, OBJ_VAL(args));
        exit_handle = loop_handle_new(vm, req->loop, req->on_exit, OBJ_VAL(args));
        vm_pop_root(vm);
        loop_hold(vm, req->loop, OBJ_VAL(exit_handle));
    } else {
        p = thread_private_loop(vm);
        if (!p) return NULL;
        uv = &p->uv;
        uv_run(uv, UV_RUN_NOWAIT); // reaps the children that ended since it last ran
    }
    uv_stdio_container_t stdio[3];
    for (int i = 0; i < 3; i++) {
        if (req->fds[i] == CHILD_FD_DEVNULL) {
            stdio[i].flags = UV_IGNORE; // libuv opens /dev/null for descriptors 0 to 2
        } else {
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = req->fds[i] == CHILD_FD_INHERIT ? i : req->fds[i];
        }
    }
    uv_process_options_t opts;
    memset(&opts, 0, sizeof opts);
    opts.exit_cb = on_child_exit;
    opts.file = req->file ? req->file : req->argv[0];
    opts.args = req->argv;
    opts.env = req->env;
    opts.cwd = req->cwd;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    Child *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->handle.data = c;
    c->private = p;
    fflush(NULL); // what this process printed comes before what the child prints
    int r = uv_spawn(uv, &c->handle, &opts);
    if (r != 0) {
        c->forgotten = true;
        uv_close((uv_handle_t *)&c->handle, on_closed); // freed when its loop next runs
        if (exit_handle) loop_release(vm, req->loop, OBJ_VAL(exit_handle));
        raise_naming(vm, -r, opts.file);
        return NULL;
    }
    c->pid = c->handle.pid;
    if (on_asyncio) {
        c->loop = AS_LOOP(req->loop);
        c->loop_value = req->loop;
        c->exit_handle = exit_handle;
    }
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
    c->forgotten = true;
    if (c->handle_closed) free(c);
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
    uv_ref((uv_handle_t *)&p->wake);
    while (!c->exited && !p->timed_out) {
        loop_set_signal_wakeup(&p->wake); // a signal from now on ends uv_run at once
        if (vm_interrupted) {
            loop_set_signal_wakeup(NULL);
            if (!vm_run_signal_handlers(vm)) {
                ok = false;
                break;
            }
            continue;
        }
        WITHOUT_LOCK(vm, uv_run(&p->uv, UV_RUN_ONCE));
        loop_set_signal_wakeup(NULL);
    }
    loop_set_signal_wakeup(NULL);
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
