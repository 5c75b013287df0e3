/* deadlock: the report aio prints, and exits 1 with, when the event loop could only wait forever.
 *
 * The loop calls deadlock_report when no callback is ready, no timer is pending, nothing outside
 * the loop (a descriptor, a libuv request, a signal handler) can end its wait, and tasks are still
 * pending: CPython would hang there.  The report lists each waiting task (oldest first) with what
 * it awaits and the line where it waits, then names each cycle of tasks awaiting one another (or
 * waiting for a lock another holds) and each lock that a waiting task holds while another waits
 * for it.  Reading a task's state runs no Python code; a Lock's holder is the `_holder` that
 * stdlib/asyncio/locks.aio records.
 */
#include "deadlock.h"

#include <stdlib.h>
#include <unistd.h>

#include "events.h"
#include "runtime.h"

// The task a task waits for: the one it awaits, or the one holding the lock it waits for; NULL.
static ObjFuture *awaited_task(Vm *vm, ObjFuture *t) {
    Value w = t->fut_waiter;
    if (IS_FUTURE(w) && AS_FUTURE(w)->is_task) return AS_FUTURE(w);
    return events_lock_holder(vm, t);
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
        events_describe_wait(vm, t, sb);
    }
    events_put_task_location(vm, t, " at ", sb);
    print_line(sb);
}

// "aio: Task-2 a() holds a Lock that Task-3 b() waits for": each waiting task that holds a lock
// another waiting task wants.
static void report_locks(Vm *vm, ObjFuture **tasks, size_t n, StrBuf *sb) {
    for (size_t i = 0; i < n; i++) {
        ObjFuture *holder = events_lock_holder(vm, tasks[i]);
        if (!holder || holder->state != FUT_PENDING) continue;
        sb_puts(sb, "aio: lock: ");
        events_describe_task(vm, holder, sb);
        sb_puts(sb, " holds the Lock that ");
        events_describe_task(vm, tasks[i], sb);
        sb_puts(sb, " waits for");
        print_line(sb);
    }
}

// Each cycle once: it is reported from its member that comes first in `tasks`.
static void report_cycles(Vm *vm, ObjFuture **tasks, size_t n, StrBuf *sb) {
    for (size_t i = 0; i < n; i++) {
        ObjFuture *start = tasks[i];
        ObjFuture *t = awaited_task(vm, start);
        size_t steps = 0;
        while (t && t != start && steps++ < n) t = awaited_task(vm, t);
        if (t != start) continue;
        bool first = true; // is start the earliest member in `tasks`?
        for (ObjFuture *m = awaited_task(vm, start); m != start && first; m = awaited_task(vm, m))
            for (size_t j = 0; j < i; j++)
                if (tasks[j] == m) first = false;
        if (!first) continue;
        sb_puts(sb, "aio: cycle: ");
        events_describe_task(vm, start, sb);
        for (ObjFuture *from = start;;) {
            ObjFuture *m = awaited_task(vm, from);
            bool lock = !(IS_FUTURE(from->fut_waiter) && AS_FUTURE(from->fut_waiter)->is_task);
            sb_puts(sb, lock ? " waits for a Lock held by " : " awaits ");
            events_describe_task(vm, m, sb);
            if (m == start) break;
            from = m;
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
    report_locks(vm, tasks, n, &sb);
    sb_free(&sb);
    free(tasks);
    fflush(stderr);
    events_finish(); // views that write files complete them
    // CPython would wait forever: nothing the program could still run would change that, so aio
    // ends here, skipping the finalizers (they could only report the same tasks as destroyed).
    _exit(1);
}
