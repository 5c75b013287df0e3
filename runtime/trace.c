/* trace: `aio --trace[=FILE]`, the event stream narrated one line per event.
 *
 * Every line reads "[aio SECONDS] CATEGORY: TEXT", SECONDS being the time since the program
 * started (exact under --virtual-time), CATEGORY one of loop, clock, task, future, callback,
 * timer, io.  spec.md lists the lines.  The trace goes to stderr, or to FILE ("-": stdout); the
 * program's stdout is flushed before each line, so the two read in the order things happened.
 */
#include "trace.h"

#include <string.h>

#include "events.h"
#include "runtime.h"

typedef struct {
    FILE *out;
    long iterations;
} Trace;

static Trace trace;

static void put_line(Vm *vm, const Event *e, const char *category, StrBuf *text) {
    if (trace.out != stdout) fflush(stdout);
    fprintf(trace.out, "[aio %.6f] %s: %s\n", e->time, category, text->data ? text->data : "");
    fflush(trace.out);
}

static void put_time(double t, StrBuf *sb) { sb_printf(sb, "%.6f", t); }

static void describe_timer_owner(Vm *vm, Obj *owner, StrBuf *sb) {
    if (owner->kind == OBJ_SLEEP) {
        ObjSleep *s = (ObjSleep *)owner;
        events_describe_awaited(vm, OBJ_VAL(s), sb);
        if (s->waiter) {
            sb_puts(sb, " of ");
            events_describe_task(vm, s->waiter, sb);
        }
    } else {
        loop_describe_handle(vm, (ObjHandle *)owner, sb);
    }
}

static void describe_iteration(const Event *e, StrBuf *sb) {
    sb_printf(sb, "iteration %ld: %ld ready, %ld timer%s", ++trace.iterations, e->counts[0], e->counts[1],
              e->counts[1] == 1 ? "" : "s");
    if (e->when >= 0) {
        sb_puts(sb, " (next due at ");
        put_time(events_relative(e->when), sb);
        sb_putc(sb, ')');
    }
    sb_printf(sb, ", %ld fd%s watched", e->counts[2], e->counts[2] == 1 ? "" : "s");
}

static void describe_step(Vm *vm, const Event *e, StrBuf *sb) {
    ObjFuture *task = (ObjFuture *)e->subject;
    events_describe_task(vm, task, sb);
    bool first = IS_GENERATOR(task->coro) && AS_GENERATOR(task->coro)->state == GEN_CREATED;
    if (!events_put_task_location(vm, task, first ? " starts at " : " resumes at ", sb))
        sb_puts(sb, first ? " starts" : " resumes");
    if (!IS_NONE(e->detail) && !IS_EMPTY(e->detail)) {
        sb_puts(sb, " with ");
        events_describe_value(vm, e->detail, sb);
        sb_puts(sb, " thrown in");
    }
}

static void describe_suspension(Vm *vm, const Event *e, StrBuf *sb) {
    ObjFuture *task = (ObjFuture *)e->subject;
    events_describe_task(vm, task, sb);
    if (IS_NONE(e->detail)) {
        sb_puts(sb, " yields");
    } else {
        sb_puts(sb, " awaits ");
        events_describe_wait(vm, task, sb);
    }
    events_put_task_location(vm, task, " at ", sb);
}

static void describe_done(Vm *vm, const Event *e, StrBuf *sb) {
    ObjFuture *f = (ObjFuture *)e->subject;
    if (f->is_task) events_describe_task(vm, f, sb);
    else sb_puts(sb, f->obj.cls->name->chars);
    if (f->state == FUT_CANCELLED) {
        sb_puts(sb, " cancelled");
    } else if (!IS_NONE(f->exception)) {
        sb_puts(sb, f->is_task ? " ends: raised " : " done: exception ");
        events_describe_value(vm, f->exception, sb);
    } else {
        sb_puts(sb, f->is_task ? " ends: returned " : " done: result ");
        events_describe_value(vm, f->result, sb);
    }
    // who it wakes: the tasks among its done callbacks
    ObjFuture *waiter = task_of_wakeup(vm, f->callback0);
    if (waiter) {
        sb_puts(sb, ", wakes ");
        events_describe_task(vm, waiter, sb);
    }
}

static void on_event(Vm *vm, const Event *e, void *context) {
    (void)context;
    StrBuf sb;
    sb_init(&sb);
    const char *category = "loop";
    switch (e->kind) {
    case EV_LOOP_ITERATION: describe_iteration(e, &sb); break;
    case EV_CLOCK_JUMP:
        category = "clock";
        sb_puts(&sb, "virtual time jumps ");
        put_time(e->when, &sb);
        sb_puts(&sb, " s to the next timer");
        break;
    case EV_LOOP_BLOCKED: {
        sb_puts(&sb, "blocked ");
        put_time(e->when, &sb);
        sb_puts(&sb, " s by time.sleep() at ");
        ObjCode *code;
        int line;
        events_caller_location(vm, &code, &line);
        events_describe_location(vm, code, line, &sb);
        break;
    }
    case EV_TASK_CREATED:
        category = "task";
        events_describe_task(vm, (ObjFuture *)e->subject, &sb);
        sb_puts(&sb, " created at ");
        events_describe_location(vm, e->code, e->line, &sb);
        break;
    case EV_TASK_STEP: category = "task"; describe_step(vm, e, &sb); break;
    case EV_TASK_SUSPENDED: category = "task"; describe_suspension(vm, e, &sb); break;
    case EV_FUTURE_DONE:
        category = ((ObjFuture *)e->subject)->is_task ? "task" : "future";
        describe_done(vm, e, &sb);
        break;
    case EV_CALLBACK: {
        category = "callback";
        ObjHandle *h = (ObjHandle *)e->subject;
        sb_puts(&sb, "runs ");
        loop_describe_handle(vm, h, &sb);
        sb_puts(&sb, h->is_timer ? " (call_later)" : " (call_soon)");
        break;
    }
    case EV_TIMER_ARMED:
        category = "timer";
        sb_puts(&sb, "armed ");
        describe_timer_owner(vm, e->subject, &sb);
        sb_puts(&sb, ", due at ");
        put_time(events_relative(e->when), &sb);
        break;
    case EV_TIMER_FIRED:
        category = "timer";
        sb_puts(&sb, "fired ");
        describe_timer_owner(vm, e->subject, &sb);
        break;
    case EV_IO_READY:
        category = "io";
        sb_printf(&sb, "fd %ld ready to %s", e->counts[0],
                  e->counts[1] == 3 ? "read and write" : e->counts[1] == 2 ? "write" : "read");
        break;
    }
    put_line(vm, e, category, &sb);
    sb_free(&sb);
}

bool trace_start(Vm *vm, const char *path) {
    if (!path || strcmp(path, "") == 0) trace.out = stderr;
    else if (strcmp(path, "-") == 0) trace.out = stdout;
    else {
        trace.out = fopen(path, "w");
        if (!trace.out) return false;
    }
    events_subscribe(vm, on_event, NULL, &trace);
    return true;
}
