/* timeline: `aio --timeline=FILE.json`, the event stream as a Chrome trace-event file, which
 * Perfetto (ui.perfetto.dev) and chrome://tracing open; with FILE.svg, the same bars drawn as a
 * picture (runtime/timeline_svg.c); with FILE.html, the same events inside a self-contained page
 * that draws them and zooms (runtime/timeline_page.html, embedded by the build).
 *
 * One row ("thread") per task, named "Task-2 fetch()", and row 0 for the loop itself.  On a
 * task's row: a bar "runs" for each step, a bar "awaits WHAT" for each wait between two steps, an
 * instant at its creation and at its end, and a "wakes" arrow from the event that ended a wait
 * (a task's end, or the loop's row for a future resolved by a callback) to the step it caused.
 * On the loop's row: a red bar for each time.sleep()
 * that blocked the loop, instants for callbacks, asyncio.sleep() timers, ready descriptors and
 * virtual-time jumps, and a counter of the ready callbacks.  Times are microseconds since the program started.  A bar's
 * args.at is the source line of the step (where it starts or resumes) or of the wait (where the
 * task suspended), as "prog.aio:7".
 *
 * The file is written as the events come (so a long run keeps no history in memory) and closed
 * by timeline_finish at exit; a run cut short still leaves a file those viewers read, since the
 * format lets the closing brackets be missing.
 */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "runtime.h"
#include "timeline_page.h" // generated from runtime/timeline_page.html (Makefile)
#include "timeline_svg.h"

// Where the HTML template takes the trace's JSON.
#define PAGE_DATA_MARK "@TRACE_EVENTS@"

// A task with a row: what it is doing since when.
typedef struct {
    ObjFuture *task; // NULL once it ended (the slot is free)
    int row;
    bool running;
    double since;    // when its current step or wait began
    char *waiting;   // what it awaits, while waiting (malloc'ed)
    char *where;     // "prog.aio:7": where its current step began or its wait is (malloc'ed)
    long woken_by;   // the flow (arrow) that ends at its next step, 0 when none
    int woken_from_row; // where that arrow starts (row and time), and what happened there
    double woken_at;
    char *woken_cause;  // (malloc'ed)
} Lane;

typedef enum { FORMAT_JSON, FORMAT_SVG, FORMAT_HTML } Format;

static struct {
    FILE *out;
    Format format;
    bool svg;        // FILE.svg: shapes are collected and drawn at the end (timeline_svg.c)
    bool first_event;
    int next_row;
    long next_flow;
    Lane *lanes;
    size_t count, capacity;
    // FILE.html: the program's source files that places point into, shown by the page
    // ("aioSources" in its JSON): the name places use ("prog.aio") and the file's path.
    struct {
        char *name, *path;
    } sources[16];
    int source_count;
} timeline;

// ---- writing JSON -------------------------------------------------------------------------------

static void put_json_string(const char *s) {
    FILE *out = timeline.out;
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&') fprintf(out, "\\u%04x", c); // HTML-safe
        else fputc(c, out);
    }
    fputc('"', out);
}

// Starts one event object: {"ph":PH,"pid":1,"tid":ROW,"ts":T, ... (the caller adds fields and '}').
static void begin_event(const char *ph, int row, double seconds) {
    fputs(timeline.first_event ? "\n" : ",\n", timeline.out);
    timeline.first_event = false;
    fprintf(timeline.out, "{\"ph\":\"%s\",\"pid\":1,\"tid\":%d,\"ts\":%.3f", ph, row, seconds * 1e6);
}

static void put_name(const char *name) {
    fputs(",\"name\":", timeline.out);
    put_json_string(name);
}

static void row_name(int row, const char *name) {
    if (timeline.svg) {
        svg_row(row, name);
        return;
    }
    begin_event("M", row, 0);
    put_name("thread_name");
    fputs(",\"args\":{\"name\":", timeline.out);
    put_json_string(name);
    fputs("}}", timeline.out);
}

// A bar on `row` from `from` to `to` seconds; `detail` and `at` (a source line), each NULL when
// unknown, show when it is selected.
static void bar(int row, const char *category, const char *name, double from, double to, const char *detail,
                const char *at) {
    if (timeline.svg) {
        svg_bar(row, category, detail ? detail : name, at, from, to);
        return;
    }
    begin_event("X", row, from);
    fprintf(timeline.out, ",\"dur\":%.3f,\"cat\":\"%s\"", (to - from) * 1e6, category);
    if (strcmp(category, "blocked") == 0) fputs(",\"cname\":\"terrible\"", timeline.out); // red
    put_name(name);
    if (detail || at) {
        fputs(",\"args\":{", timeline.out);
        if (detail) {
            fputs("\"detail\":", timeline.out);
            put_json_string(detail);
        }
        if (at) {
            fputs(detail ? ",\"at\":" : "\"at\":", timeline.out);
            put_json_string(at);
        }
        fputc('}', timeline.out);
    }
    fputc('}', timeline.out);
}

// One end of a "woken by" arrow: "s" where the waking event happened (args.cause says what it
// was: "Task-2 fetch() ends", "sleep(1) ends", "Future done"), "f" at the step it causes.
// (The SVG draws the arrow whole, when its end is known: see on_task_event.)
static void flow(const char *ph, int row, long id, double at, const char *cause) {
    if (timeline.svg) return;
    begin_event(ph, row, at);
    fprintf(timeline.out, ",\"id\":%ld,\"cat\":\"wake\",\"name\":\"wakes\"%s", id, ph[0] == 'f' ? ",\"bp\":\"e\"" : "");
    if (cause) {
        fputs(",\"args\":{\"cause\":", timeline.out);
        put_json_string(cause);
        fputc('}', timeline.out);
    }
    fputc('}', timeline.out);
}

// The lane's task will be woken at its next step by `cause` (on from_row, now): the arrow's start.
static void wake(Lane *lane, int from_row, double now, const char *cause) {
    lane->woken_by = ++timeline.next_flow;
    lane->woken_from_row = from_row;
    lane->woken_at = now;
    free(lane->woken_cause);
    lane->woken_cause = strdup(cause);
    if (!lane->woken_cause) abort();
    flow("s", from_row, lane->woken_by, now, cause);
}

static void instant(int row, const char *category, const char *name, double at) {
    if (timeline.svg) {
        svg_marker(row, category, name, at);
        return;
    }
    begin_event("i", row, at);
    fprintf(timeline.out, ",\"s\":\"t\",\"cat\":\"%s\"", category);
    put_name(name);
    fputc('}', timeline.out);
}

// ---- lanes --------------------------------------------------------------------------------------

static Lane *lane_of(ObjFuture *task) {
    for (size_t i = 0; i < timeline.count; i++)
        if (timeline.lanes[i].task == task) return &timeline.lanes[i];
    return NULL;
}

static Lane *new_lane(ObjFuture *task) {
    Lane *free_slot = lane_of(NULL);
    if (!free_slot) {
        if (timeline.count == timeline.capacity) {
            timeline.capacity = timeline.capacity ? timeline.capacity * 2 : 16;
            timeline.lanes = realloc(timeline.lanes, timeline.capacity * sizeof(Lane));
            if (!timeline.lanes) abort();
        }
        free_slot = &timeline.lanes[timeline.count++];
    }
    *free_slot = (Lane){.task = task, .row = ++timeline.next_row};
    return free_slot;
}

static char *take_text(StrBuf *sb) {
    char *s = strdup(sb->data ? sb->data : "");
    if (!s) abort();
    sb->length = 0;
    if (sb->data) sb->data[0] = 0;
    return s;
}

// Ends the lane's current bar (its step, or its wait) at `now`.
static void close_bar(Lane *lane, double now) {
    if (lane->running) {
        bar(lane->row, "step", "runs", lane->since, now, NULL, lane->where);
    } else if (lane->waiting) {
        bar(lane->row, "wait", lane->waiting, lane->since, now, NULL, lane->where);
    }
    free(lane->waiting);
    free(lane->where);
    lane->waiting = lane->where = NULL;
    lane->running = false;
    lane->since = now;
}

// For FILE.html: remembers the file of a place in the program (not in the standard library,
// whose places have no line), so that the page can show the line.
static void note_source(Vm *vm, ObjCode *code) {
    if (timeline.format != FORMAT_HTML || !code || code->filename->chars[0] != '/') return;
    StrBuf place;
    sb_init(&place);
    events_describe_location(vm, code, 1, &place);
    bool program = place.length > 2 && strcmp(place.data + place.length - 2, ":1") == 0;
    sb_free(&place);
    const char *name = events_source_name(vm, code);
    if (!program || timeline.source_count == (int)(sizeof timeline.sources / sizeof timeline.sources[0])) return;
    for (int i = 0; i < timeline.source_count; i++)
        if (strcmp(timeline.sources[i].path, code->filename->chars) == 0) return;
    timeline.sources[timeline.source_count].name = strdup(name);
    timeline.sources[timeline.source_count].path = strdup(code->filename->chars);
    if (!timeline.sources[timeline.source_count].name || !timeline.sources[timeline.source_count].path) abort();
    timeline.source_count++;
}

// Writes "aioSources":{"prog.aio":["line 1", ...], ...} (files of at most MAX_SOURCE_BYTES).
#define MAX_SOURCE_BYTES (1 << 20)
static void put_sources(void) {
    fputs(",\n\"aioSources\":{", timeline.out);
    bool first_file = true;
    for (int i = 0; i < timeline.source_count; i++) {
        FILE *f = fopen(timeline.sources[i].path, "rb");
        char *text = f ? malloc(MAX_SOURCE_BYTES + 1) : NULL;
        size_t length = text ? fread(text, 1, MAX_SOURCE_BYTES + 1, f) : 0;
        if (f) fclose(f);
        if (text && length <= MAX_SOURCE_BYTES) {
            text[length] = 0;
            if (!first_file) fputc(',', timeline.out);
            first_file = false;
            put_json_string(timeline.sources[i].name);
            fputs(":[", timeline.out);
            for (char *line = text, *end; *line; line = end + 1) {
                end = strchr(line, '\n');
                if (end) *end = 0;
                if (line != text) fputc(',', timeline.out);
                put_json_string(line);
                if (!end) break;
            }
            fputc(']', timeline.out);
        }
        free(text);
        free(timeline.sources[i].name);
        free(timeline.sources[i].path);
    }
    timeline.source_count = 0;
    fputc('}', timeline.out);
}

// The lane's `where`: the task's current line ("prog.aio:7"), or NULL when it has no frame.
static char *task_line(Vm *vm, ObjFuture *task, StrBuf *sb) {
    ObjCode *code;
    int line;
    if (!events_task_location(vm, task, &code, &line)) return NULL;
    note_source(vm, code);
    events_describe_location(vm, code, line, sb);
    return take_text(sb);
}

// ---- the consumer -------------------------------------------------------------------------------

static void on_task_event(Vm *vm, const Event *e, StrBuf *sb) {
    ObjFuture *task = (ObjFuture *)e->subject;
    Lane *lane = lane_of(task);
    if (e->kind == EV_TASK_CREATED) {
        lane = new_lane(task);
        events_describe_task(vm, task, sb);
        char *name = take_text(sb);
        row_name(lane->row, name);
        free(name);
        sb_puts(sb, "created at ");
        note_source(vm, e->code);
        events_describe_location(vm, e->code, e->line, sb);
        char *what = take_text(sb);
        instant(lane->row, "task", what, e->time);
        free(what);
        lane->since = e->time;
        return;
    }
    if (!lane) return;
    close_bar(lane, e->time);
    if (e->kind == EV_TASK_STEP) {
        lane->running = true;
        lane->where = task_line(vm, task, sb);
        if (lane->woken_by) {
            flow("f", lane->row, lane->woken_by, e->time, NULL);
            if (timeline.svg) svg_arrow(lane->woken_from_row, lane->woken_at, lane->row, e->time, lane->woken_cause);
        }
        lane->woken_by = 0;
        free(lane->woken_cause);
        lane->woken_cause = NULL;
    } else if (e->kind == EV_TASK_SUSPENDED) {
        if (IS_NONE(e->detail)) sb_puts(sb, "yields");
        else {
            sb_puts(sb, "awaits ");
            events_describe_wait(vm, task, sb);
        }
        lane->waiting = take_text(sb);
        lane->where = task_line(vm, task, sb);
    } else { // the task is done
        if (task->state == FUT_CANCELLED) sb_puts(sb, "cancelled");
        else if (!IS_NONE(task->exception)) {
            sb_puts(sb, "raised ");
            events_describe_value(vm, task->exception, sb);
        } else {
            sb_puts(sb, "returned ");
            events_describe_value(vm, task->result, sb);
        }
        char *what = take_text(sb);
        instant(lane->row, "task", what, e->time);
        free(what);
        lane->task = NULL;
        free(lane->woken_cause);
        lane->woken_cause = NULL;
    }
}

static void on_event(Vm *vm, const Event *e, void *context) {
    if (!timeline.out) return; // finished (a deadlock report ends the file before exit)
    StrBuf sb;
    sb_init(&sb);
    switch (e->kind) {
    case EV_TASK_CREATED:
    case EV_TASK_STEP:
    case EV_TASK_SUSPENDED: on_task_event(vm, e, &sb); break;
    case EV_FUTURE_DONE: {
        ObjFuture *f = (ObjFuture *)e->subject;
        Lane *woken = lane_of(task_of_wakeup(vm, f->callback0));
        Lane *source = f->is_task ? lane_of(f) : NULL;
        if (woken && task_of_wakeup(vm, f->callback0)) {
            if (f->is_task) events_describe_task(vm, f, &sb);
            else events_describe_awaited(vm, OBJ_VAL(f), &sb);
            sb_puts(&sb, f->is_task ? " ends" : " done");
            char *cause = take_text(&sb); // (emptied: the task's end, below, describes itself)
            wake(woken, source ? source->row : 0, e->time, cause);
            free(cause);
        }
        if (f->is_task) on_task_event(vm, e, &sb);
        break;
    }
    case EV_LOOP_ITERATION:
        if (timeline.svg) break;
        begin_event("C", 0, e->time);
        fprintf(timeline.out, ",\"name\":\"ready callbacks\",\"args\":{\"ready\":%ld}}", e->counts[0]);
        break;
    case EV_LOOP_BLOCKED: {
        sb_puts(&sb, "time.sleep() at ");
        ObjCode *code;
        int line;
        events_caller_location(vm, &code, &line);
        note_source(vm, code);
        size_t at = sb.length;
        events_describe_location(vm, code, line, &sb);
        bar(0, "blocked", "loop blocked", e->time, e->time + e->when, sb.data, sb.data + at);
        break;
    }
    case EV_CLOCK_JUMP:
        sb_printf(&sb, "virtual time jumps %.6f s", e->when);
        instant(0, "clock", sb.data, e->time);
        break;
    case EV_CALLBACK:
        loop_describe_handle(vm, (ObjHandle *)e->subject, &sb);
        instant(0, "callback", sb.data, e->time);
        break;
    case EV_IO_READY:
        sb_printf(&sb, "fd %ld ready", e->counts[0]);
        instant(0, "io", sb.data, e->time);
        break;
    case EV_TIMER_FIRED: { // a task's asyncio.sleep() ends: an arrow from the loop's row wakes it
        if (((Obj *)e->subject)->kind != OBJ_SLEEP) break; // a call_later handle shows as its callback
        ObjSleep *sleep = (ObjSleep *)e->subject;
        Lane *woken = sleep->waiter ? lane_of(sleep->waiter) : NULL;
        events_describe_awaited(vm, OBJ_VAL(sleep), &sb);
        sb_puts(&sb, " ends");
        instant(0, "timer", sb.data, e->time);
        if (woken) wake(woken, 0, e->time, sb.data);
        break;
    }
    case EV_TIMER_ARMED: break;
    }
    sb_free(&sb);
}

static void finish(double last, void *context) {
    if (!timeline.out) return;
    for (size_t i = 0; i < timeline.count; i++) {
        if (timeline.lanes[i].task) close_bar(&timeline.lanes[i], last);
        free(timeline.lanes[i].woken_cause);
    }
    free(timeline.lanes);
    timeline.lanes = NULL;
    timeline.count = timeline.capacity = 0;
    if (timeline.svg) {
        svg_write(timeline.out);
    } else {
        fputs("\n]", timeline.out);
        if (timeline.format == FORMAT_HTML) put_sources();
        fputs("}\n", timeline.out);
    }
    if (timeline.format == FORMAT_HTML) fputs(strstr(timeline_page, PAGE_DATA_MARK) + strlen(PAGE_DATA_MARK), timeline.out);
    fclose(timeline.out);
    timeline.out = NULL;
}

bool timeline_start(Vm *vm, const char *path) {
    timeline.out = fopen(path, "w");
    if (!timeline.out) return false;
    size_t length = strlen(path);
    timeline.format = length >= 4 && strcmp(path + length - 4, ".svg") == 0    ? FORMAT_SVG
                      : length >= 5 && strcmp(path + length - 5, ".html") == 0 ? FORMAT_HTML
                                                                             : FORMAT_JSON;
    timeline.svg = timeline.format == FORMAT_SVG;
    if (timeline.format == FORMAT_HTML) // the page up to where the data goes
        fwrite(timeline_page, 1, (size_t)(strstr(timeline_page, PAGE_DATA_MARK) - timeline_page), timeline.out);
    if (!timeline.svg) fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", timeline.out);
    timeline.first_event = true;
    row_name(0, "event loop");
    events_subscribe(vm, on_event, finish, &timeline);
    return true;
}
