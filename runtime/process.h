/* Child processes (process.c: started with posix_spawn, their ends watched on libuv): what
 * asyncio's subprocess transports and the plain `subprocess` module (stdlib/mod_subprocess.c,
 * stdlib/subprocess.aio) are built on.
 *
 * A Child is C memory that outlives neither its libuv watch nor the object the program holds:
 * it is freed when both are gone (the watch closed after the exit, the box collected).  Every
 * child is reaped: by its watch when it exits while its loop runs, or, when its loop is closed first,
 * by the list of orphans that each later spawn (and each blocking wait) goes through.
 *
 * Two kinds of loop run children:
 *  - an asyncio loop: the exit is reported through the ready queue (a Handle that calls the
 *    transport's callback with the return code), in the iteration where libuv noticed it;
 *  - the calling thread's own private loop (`loop` NULL), which only runs while a blocking call
 *    (wait, poll, spawn) runs it: the plain subprocess module's.
 */
#ifndef AIO_PROCESS_H
#define AIO_PROCESS_H

#include "runtime.h"

typedef struct Child Child;

// How the child's descriptor 0, 1 or 2 is set up: this process's descriptor of the same number,
// /dev/null, or the given descriptor (>= 0).
enum { CHILD_FD_INHERIT = -1, CHILD_FD_DEVNULL = -2 };

typedef struct {
    Value loop;            // an asyncio loop, or None for the thread's private loop
    char **argv;           // NULL-terminated; argv[0] is also the file unless `file` is set
    const char *file;      // the program to run (looked up on PATH), or NULL
    const char *cwd;       // NULL: this process's
    char **env;            // NULL-terminated "NAME=value" list, or NULL: this process's
    int fds[3];            // CHILD_FD_* or a descriptor
    Value on_exit;         // asyncio loop only: called with the return code from the ready queue
} SpawnRequest;

// Starts the child.  NULL with OSError raised as CPython raises it (FileNotFoundError naming
// the program, or the cwd when that is what is missing).
Child *process_spawn(Vm *vm, const SpawnRequest *req);
int process_pid(const Child *c);
// The return code (negative: killed by that signal); false while the child runs.
bool process_returncode(const Child *c, int *code);
// Once the child has exited: the loop stops holding its exit Handle (asyncio).
void process_settle(Vm *vm, Child *c);
// The program dropped its object: the Child goes as soon as its handle is closed.
void process_forget(Child *c);
// Sends sig unless the child has been reaped (then nothing); false with OSError raised.
bool process_send_signal(Vm *vm, Child *c, int sig);
// Private-loop children: notices an exit that has happened (no waiting).
void process_poll(Child *c);
// Private-loop children: waits until the child exits (timeout < 0: for ever) or the timeout
// passes; *exited says which.  Signal handlers run while waiting (false when one raised).
bool process_wait(Vm *vm, Child *c, double timeout, bool *exited);
// Closing an asyncio loop: its running children are left to the orphan list (never waited on
// by the loop's close).
struct uv_loop_s;
void process_detach_loop(struct uv_loop_s *uv);

// communicate() for the plain subprocess module: writes input[*sent..] to in_fd and reads
// out_fd and err_fd (each -1 when absent) until all are at their end or `timeout` seconds pass
// (< 0: no limit).  What was read is appended to *out / *err (malloc'ed, *len counted); *sent
// grows as input goes; a descriptor finished is set to -1 in fds[] (the caller closes it).  It
// returns early when the input is all sent (or refused), so that the caller closes stdin, which
// the child may be waiting for before it ends its output.
// False with an exception (a signal handler raised, or an I/O error).
typedef struct {
    int fds[3];                 // stdin's write end, stdout's and stderr's read ends, or -1
    const unsigned char *input;
    size_t input_len, sent;
    unsigned char *got[2];      // stdout, stderr
    size_t got_len[2], got_cap[2];
} Exchange;
bool process_exchange(Vm *vm, Exchange *x, double timeout, bool *timed_out);

#endif
