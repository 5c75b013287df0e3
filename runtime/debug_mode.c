/* debug_mode: slow ready entries reported with their cause (debug_mode.h says what and when).
 *
 * Between debug_entry_begin and debug_entry_end, the stream's EV_LOOP_BLOCKED events (a
 * time.sleep() while a loop runs) are summed into `blocking`: the first call's text and place,
 * how many calls, how long in all.  Only text is kept, never an object, so nothing here needs
 * the collector's attention.
 */
#include "debug_mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncio.h"
#include "clock.h"
#include "error.h"
#include "events.h"
#include "runtime.h"

bool debug_mode_default;

static bool attached;

// The blocking calls made during the entry now running.
static struct {
    int calls;
    double seconds;
    char seconds_arg[40]; // the first call's argument: "1.0"
    char where[160];    // "prog.aio:9"
} blocking;

static void copy_text(char *dest, size_t size, StrBuf *sb) {
    snprintf(dest, size, "%s", sb->data ? sb->data : "");
    sb_free(sb);
}

static void on_event(Vm *vm, const Event *e, void *context) {
    if (e->kind != EV_LOOP_BLOCKED) return;
    if (blocking.calls++ == 0) {
        StrBuf sb;
        sb_init(&sb);
        float_repr_into(e->when, &sb);
        copy_text(blocking.seconds_arg, sizeof blocking.seconds_arg, &sb);
        ObjCode *code;
        int line;
        events_caller_location(vm, &code, &line);
        sb_init(&sb);
        events_describe_location(vm, code, line, &sb);
        copy_text(blocking.where, sizeof blocking.where, &sb);
    }
    blocking.seconds += e->when;
}

void debug_mode_attach(Vm *vm) {
    if (attached) return;
    attached = true;
    events_subscribe(vm, on_event, NULL, NULL);
}

// "1.00 s", or "0.002 s" for a short time (a threshold set below 0.1 s).
static void put_seconds(StrBuf *sb, double seconds) { sb_printf(sb, seconds >= 0.1 ? "%.2f s" : "%.3f s", seconds); }

// The tasks whose cancellation reached them, by address (debug_mode_cancelled_at): an entry is
// made at the task's first step with a cancel() pending and dropped at its end; with more than
// CANCEL_PLACES at once the oldest entry is reused.
#define CANCEL_PLACES 32
static struct {
    ObjFuture *task;
    char where[200];
} cancel_places[CANCEL_PLACES];
static int next_cancel_place;

static int cancel_place_of(ObjFuture *task) {
    for (int i = 0; i < CANCEL_PLACES; i++)
        if (cancel_places[i].task == task) return i;
    return -1;
}

const char *debug_mode_cancelled_at(ObjFuture *task) {
    int i = cancel_place_of(task);
    return i < 0 ? NULL : cancel_places[i].where;
}

static void note_cancel_place(Vm *vm, ObjFuture *task, const char *where) {
    if (cancel_place_of(task) >= 0) return;
    int i = next_cancel_place;
    next_cancel_place = (next_cancel_place + 1) % CANCEL_PLACES;
    cancel_places[i].task = task;
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, where[0] ? where : "?");
    ObjCode *code;
    int line;
    char *text = events_task_location(vm, task, &code, &line) ? vm_source_line(code->filename->chars, line) : NULL;
    if (text) sb_printf(&sb, " (%s)", text);
    free(text);
    copy_text(cancel_places[i].where, sizeof cancel_places[i].where, &sb);
}

static ObjFuture *task_of(Obj *target) {
    return target->kind == OBJ_FUTURE && ((ObjFuture *)target)->is_task ? (ObjFuture *)target : NULL;
}

void debug_entry_begin(Vm *vm, Obj *target, DebugEntry *d) {
    blocking.calls = 0;
    blocking.seconds = 0;
    d->where[0] = 0;
    ObjFuture *task = task_of(target);
    ObjCode *code;
    int line;
    if (task && events_task_location(vm, task, &code, &line)) {
        StrBuf sb;
        sb_init(&sb);
        events_describe_location(vm, code, line, &sb);
        copy_text(d->where, sizeof d->where, &sb);
    }
    if (task && task->num_cancels_requested > 0) note_cancel_place(vm, task, d->where);
    d->started = clock_monotonic(vm);
}

// The line of aio's own after CPython's: what held the loop, and what to write instead.
static void explain(Vm *vm, Obj *target, const DebugEntry *d, double seconds) {
    ObjFuture *task = task_of(target);
    if (blocking.calls > 0) {
        StrBuf how_long;
        sb_init(&how_long);
        put_seconds(&how_long, blocking.seconds);
        if (blocking.calls == 1)
            fprintf(stderr,
                    "hint: time.sleep(%s) at %s blocked the event loop for %s; write \"await asyncio.sleep(%s)\" "
                    "so that other tasks run meanwhile\n",
                    blocking.seconds_arg, blocking.where, how_long.data, blocking.seconds_arg);
        else
            fprintf(stderr,
                    "hint: %d calls of time.sleep(), the first time.sleep(%s) at %s, blocked the event loop for %s; "
                    "write \"await asyncio.sleep(...)\" so that other tasks run meanwhile\n",
                    blocking.calls, blocking.seconds_arg, blocking.where, how_long.data);
        sb_free(&how_long);
        return;
    }
    StrBuf sb;
    sb_init(&sb);
    if (!task) {
        if (target->kind == OBJ_HANDLE) loop_describe_handle(vm, (ObjHandle *)target, &sb);
        else sb_puts(&sb, "a callback");
        sb_puts(&sb, " ran for ");
        put_seconds(&sb, seconds);
        fprintf(stderr, "hint: %s, and no task could run meanwhile\n", sb.data);
        sb_free(&sb);
        return;
    }
    events_describe_task(vm, task, &sb);
    sb_puts(&sb, " ran for ");
    put_seconds(&sb, seconds);
    sb_puts(&sb, " without awaiting");
    if (d->where[0]) sb_printf(&sb, ", from %s", d->where);
    ObjCode *code;
    int line;
    if (task->state == FUT_PENDING && events_task_location(vm, task, &code, &line)) {
        sb_puts(&sb, " to ");
        events_describe_location(vm, code, line, &sb);
    } else {
        sb_puts(&sb, " to its end");
    }
    fprintf(stderr,
            "hint: %s, and no other task could run meanwhile; a long computation lets others run if it "
            "does \"await asyncio.sleep(0)\" now and then\n",
            sb.data);
    sb_free(&sb);
}

void debug_entry_end(Vm *vm, Obj *target, const DebugEntry *d, double limit) {
    double seconds = clock_monotonic(vm) - d->started;
    ObjFuture *task = task_of(target);
    int place = task && task->state != FUT_PENDING ? cancel_place_of(task) : -1;
    if (place >= 0) cancel_places[place].task = NULL;
    if (!(seconds >= limit)) return;
    Value saved = vm->exception;
    vm_push_root(vm, saved);
    vm_clear_exception(vm);
    ObjStr *r = vm_repr(vm, OBJ_VAL(target));
    vm_clear_exception(vm);
    fflush(stdout);
    // CPython's line, as its asyncio logger prints it.
    fprintf(stderr, "Executing %s took %.3f seconds\n", r ? r->chars : "<callback>", seconds);
    explain(vm, target, d, seconds);
    vm->exception = saved;
    vm_pop_root(vm);
}
