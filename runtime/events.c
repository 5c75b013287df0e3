/* events: the stream's consumers list and clock, and the descriptions its views share.
 *
 * The stream keeps no history: events_emit stamps an event and calls the consumers in the order
 * they subscribed.  A view that needs history (a timeline) keeps its own.
 */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "frame.h"
#include "gen.h"
#include "dict.h"
#include "runtime.h"

#define MAX_CONSUMERS 4

bool events_on;

static struct {
    EventConsumer fn;
    EventFinisher finish;
    void *context;
} consumers[MAX_CONSUMERS];
static int consumer_count;
static double last_event_time;
static double origin; // clock_monotonic when the first consumer subscribed
static Vm *stream_vm;  // for events recorded where no Vm is at hand (libuv callbacks)

void events_finish(void) {
    for (int i = 0; i < consumer_count; i++) {
        EventFinisher finish = consumers[i].finish;
        consumers[i].finish = NULL;
        if (finish) finish(last_event_time, consumers[i].context);
    }
}

static void finish_at_exit(void) { events_finish(); }

void events_forget(void) {
    events_finish();
    consumer_count = 0;
    events_on = false;
    stream_vm = NULL;
}

void events_subscribe(Vm *vm, EventConsumer fn, EventFinisher finish, void *context) {
    if (consumer_count == MAX_CONSUMERS) return;
    if (!consumer_count) {
        origin = clock_monotonic(vm);
        atexit(finish_at_exit);
    }
    stream_vm = vm;
    consumers[consumer_count].fn = fn;
    consumers[consumer_count].finish = finish;
    consumers[consumer_count].context = context;
    consumer_count++;
    events_on = true;
}

double events_relative(double loop_time) { return loop_time - origin; }

void events_emit(Vm *vm, Event *e) {
    if (!vm) vm = stream_vm;
    e->time = last_event_time = clock_monotonic(vm) - origin;
    for (int i = 0; i < consumer_count; i++) consumers[i].fn(vm, e, consumers[i].context);
}

// ---- descriptions -------------------------------------------------------------------------------

// Whether path lies in the folder dir.
static bool has_prefix_dir(ObjStr *path, ObjStr *dir) {
    return dir && path->length > dir->length && path->chars[dir->length] == '/' &&
           memcmp(path->chars, dir->chars, dir->length) == 0;
}

const char *events_source_name(Vm *vm, ObjCode *code) {
    ObjStr *path = code->filename;
    if (has_prefix_dir(path, vm->script_dir)) return path->chars + vm->script_dir->length + 1;
    if (has_prefix_dir(path, vm->stdlib_dir)) return path->chars + vm->stdlib_dir->length + 1;
    return path->chars;
}

// The standard library's code: its folder, and the sources C modules compile from strings
// ("<asyncio.base_events>"); not the program's "<string>" (-c) or "<stdin>".
static bool path_in_stdlib(Vm *vm, ObjStr *path) {
    if (path->chars[0] == '<') return strcmp(path->chars, "<string>") != 0 && strcmp(path->chars, "<stdin>") != 0;
    return has_prefix_dir(path, vm->stdlib_dir) && !has_prefix_dir(path, vm->script_dir);
}

// Cached in the code's flags once the script's folder is known (it is before the program runs).
bool events_in_stdlib_slow(Vm *vm, ObjCode *code) {
    bool in = path_in_stdlib(vm, code->filename);
    if (vm->script_dir) code->flags |= CODE_PLACE_KNOWN | (in ? CODE_IN_STDLIB : 0);
    return in;
}

bool events_is_program_code(Vm *vm, ObjCode *code) { return !events_in_stdlib(vm, code); }

void events_describe_location(Vm *vm, ObjCode *code, int line, StrBuf *sb) {
    if (!code) sb_puts(sb, "<unknown>");
    else if (events_in_stdlib(vm, code)) sb_puts(sb, events_source_name(vm, code));
    else sb_printf(sb, "%s:%d", events_source_name(vm, code), line);
}

static void coroutine_name(Value coro, StrBuf *sb) {
    if (IS_SLEEP(coro)) sb_puts(sb, "sleep()");
    else if (IS_GENERATOR(coro)) sb_printf(sb, "%s()", AS_GENERATOR(coro)->qualname->chars);
    else if (IS_OBJ(coro)) sb_printf(sb, "<%s>", AS_OBJ(coro)->cls->name->chars);
}

void events_describe_task(Vm *vm, ObjFuture *task, StrBuf *sb) {
    if (IS_INT(task->name)) sb_printf(sb, "Task-%lld", (long long)AS_INT(task->name));
    else if (IS_STR(task->name)) sb_puts(sb, AS_STR(task->name)->chars);
    else sb_puts(sb, "Task");
    sb_putc(sb, ' ');
    coroutine_name(task->coro, sb);
}

// The line a generator's frame stands at: its first line before it starts, else the line of the
// instruction it last ran (the await it is suspended in).
static int frame_line(ObjGenerator *g) {
    Frame *f = g->frame;
    if (g->state == GEN_CREATED) return f->code->firstline;
    size_t at = (size_t)(f->ip - f->code->words);
    return f->code->lines[at > 0 ? at - 1 : 0];
}

bool events_task_location(Vm *vm, ObjFuture *task, ObjCode **code, int *line) {
    *code = NULL;
    *line = 0;
    bool found_own = false;
    Value v = task->coro;
    for (int depth = 0; depth < 1000 && IS_GENERATOR(v); depth++) {
        ObjGenerator *g = AS_GENERATOR(v);
        if (!g->frame || g->state == GEN_CLOSED) break;
        bool own = !events_in_stdlib(vm, g->frame->code);
        if (own || !found_own) {
            *code = g->frame->code;
            *line = frame_line(g);
            found_own = own;
        }
        if (g->state == GEN_CREATED) break;
        v = gen_awaiting(g);
    }
    return *code != NULL;
}

bool events_put_task_location(Vm *vm, ObjFuture *task, const char *prefix, StrBuf *sb) {
    ObjCode *code;
    int line;
    if (!events_task_location(vm, task, &code, &line)) return false;
    sb_puts(sb, prefix);
    events_describe_location(vm, code, line, sb);
    return true;
}

void events_caller_location(Vm *vm, ObjCode **code, int *line) {
    *code = NULL;
    *line = 0;
    for (Frame *f = vm->frame; f; f = f->caller) {
        if (!f->code) continue;
        bool own = !events_in_stdlib(vm, f->code);
        if (*code && !own) continue;
        size_t at = (size_t)(f->ip - f->code->words);
        *code = f->code;
        *line = at > 0 ? f->code->lines[at - 1] : f->code->firstline;
        if (own) return;
    }
}

static void describe_number(Value v, StrBuf *sb) {
    if (IS_BOOL(v)) sb_puts(sb, AS_BOOL(v) ? "True" : "False");
    else if (IS_INT(v)) sb_printf(sb, "%lld", (long long)AS_INT(v));
    else float_repr_into(AS_FLOAT(v), sb);
}

void events_describe_value(Vm *vm, Value v, StrBuf *sb) {
    if (IS_NONE(v)) sb_puts(sb, "None");
    else if (IS_NUMBER(v)) describe_number(v, sb);
    else if (IS_STR(v)) {
        ObjStr *s = AS_STR(v);
        sb_putc(sb, '\'');
        size_t n = s->length > 60 ? 57 : s->length;
        for (size_t i = 0; i < n; i++) {
            char c = s->chars[i];
            if (c == '\n') sb_puts(sb, "\\n");
            else if (c == '\'' || c == '\\') sb_printf(sb, "\\%c", c);
            else sb_putc(sb, c);
        }
        if (n < s->length) sb_puts(sb, "...");
        sb_putc(sb, '\'');
    } else if (IS_EXCEPTION(v)) {
        ObjException *e = (ObjException *)AS_OBJ(v);
        sb_printf(sb, "%s(", e->obj.cls->name->chars);
        if (e->args && e->args->count == 1) events_describe_value(vm, e->args->items[0], sb);
        else if (e->args && e->args->count > 1) sb_puts(sb, "...");
        sb_putc(sb, ')');
    } else if (IS_FUTURE(v) && AS_FUTURE(v)->is_task) {
        events_describe_task(vm, AS_FUTURE(v), sb);
    } else if (IS_OBJ(v)) {
        sb_printf(sb, "<%s>", AS_OBJ(v)->cls->name->chars);
    }
}

static bool is_public(ObjCode *code) { return code->name->chars[0] != '_'; }

// The library call the program waits in: of the standard library's coroutines after the
// program's innermost one in the task's await chain, the outermost public one (Queue.get, not
// the Queue._wait_turn it calls; Lock.acquire, not the __aenter__ of `async with`), else the
// innermost; or, with `qualname`, the one of that name.  NULL when there is none.
static ObjGenerator *library_coroutine(Vm *vm, ObjFuture *task, const char *qualname) {
    ObjGenerator *outer_public = NULL, *innermost = NULL;
    Value v = task->coro;
    for (int depth = 0; depth < 1000 && IS_GENERATOR(v); depth++) {
        ObjGenerator *g = AS_GENERATOR(v);
        if (!g->frame || g->state != GEN_SUSPENDED) break;
        ObjCode *code = g->frame->code;
        if (!events_in_stdlib(vm, code)) {
            outer_public = innermost = NULL;
        } else {
            if (qualname && strcmp(code->qualname->chars, qualname) == 0) return g;
            if (!outer_public && is_public(code)) outer_public = g;
            innermost = g;
        }
        v = gen_awaiting(g);
    }
    if (qualname) return NULL;
    return outer_public ? outer_public : innermost;
}

// An instance attribute read without allocating (the key compared as C text), or EMPTY.
static Value instance_attribute(Value obj, const char *name) {
    if (!IS_INSTANCE(obj) || !((ObjInstance *)AS_OBJ(obj))->dict) return EMPTY_VAL();
    ObjDict *d = ((ObjInstance *)AS_OBJ(obj))->dict;
    size_t pos = 0;
    Value key, value;
    while (dict_next(d, &pos, &key, &value))
        if (IS_STR(key) && strcmp(AS_STR(key)->chars, name) == 0) return value;
    return EMPTY_VAL();
}

ObjFuture *events_lock_holder(Vm *vm, ObjFuture *task) {
    ObjGenerator *g = library_coroutine(vm, task, "Lock.acquire");
    if (!g) return NULL;
    Value holder = instance_attribute(g->frame->slots[0], "_holder");
    return IS_FUTURE(holder) && AS_FUTURE(holder)->is_task ? AS_FUTURE(holder) : NULL;
}

// A stream's wait names its descriptor: the StreamReader or StreamWriter (the method's self)
// has a socket transport, which knows its descriptor (stdlib/asyncio/socket_transport.aio).
static bool describe_stream_descriptor(ObjGenerator *lib, const char *call, StrBuf *sb) {
    bool reading = strncmp(call, "StreamReader.", 13) == 0;
    if (!reading && strncmp(call, "StreamWriter.", 13) != 0) return false;
    if (lib->frame->code->nlocals < 1) return false;
    Value transport = instance_attribute(lib->frame->slots[0], "_transport");
    Value fd = IS_EMPTY(transport) ? transport : instance_attribute(transport, "_sock_fd");
    if (!IS_INT(fd)) return false;
    sb_printf(sb, ", waiting to %s fd %lld", reading ? "read" : "write", (long long)AS_INT(fd));
    return true;
}

// A future that a watched descriptor's callback resolves (the sock_* coroutines, a program's own
// add_reader): the loop's I/O table knows which descriptor.
static void describe_watched_descriptor(ObjFuture *task, Value awaited, StrBuf *sb) {
    if (!IS_LOOP(task->loop)) return;
    bool reading;
    int fd = io_descriptor_for(*loop_io_table(AS_LOOP(task->loop)), awaited, &reading);
    if (fd >= 0) sb_printf(sb, ", waiting to %s fd %d", reading ? "read" : "write", fd);
}

void events_describe_wait(Vm *vm, ObjFuture *task, StrBuf *sb) {
    Value awaited = task->fut_waiter;
    ObjGenerator *lib = IS_FUTURE(awaited) && !AS_FUTURE(awaited)->is_task ? library_coroutine(vm, task, NULL) : NULL;
    if (lib && strcmp(lib->frame->code->qualname->chars, "Lock.acquire") == 0) {
        ObjFuture *holder = events_lock_holder(vm, task);
        sb_puts(sb, "Lock");
        if (holder) {
            sb_puts(sb, " held by ");
            events_describe_task(vm, holder, sb);
        }
        return;
    }
    events_describe_awaited(vm, awaited, sb);
    bool named_descriptor = false;
    if (lib) {
        const char *call = lib->frame->code->qualname->chars;
        sb_printf(sb, " in %s()", call);
        named_descriptor = describe_stream_descriptor(lib, call, sb);
    }
    if (!named_descriptor && IS_FUTURE(awaited) && !AS_FUTURE(awaited)->is_task)
        describe_watched_descriptor(task, awaited, sb);
    if (IS_SLEEP(awaited) && AS_SLEEP(awaited)->state == SLEEP_WAITING)
        sb_printf(sb, " until %.6f", events_relative(AS_SLEEP(awaited)->timer.when));
}

void events_describe_awaited(Vm *vm, Value awaited, StrBuf *sb) {
    if (IS_SLEEP(awaited)) {
        ObjSleep *s = AS_SLEEP(awaited);
        sb_puts(sb, "sleep(");
        if (IS_NUMBER(s->delay)) describe_number(s->delay, sb);
        sb_putc(sb, ')');
    } else if (IS_FUTURE(awaited) && AS_FUTURE(awaited)->is_task) {
        events_describe_task(vm, AS_FUTURE(awaited), sb);
    } else if (IS_OBJ(awaited)) {
        const char *cls = AS_OBJ(awaited)->cls->name->chars;
        sb_puts(sb, strcmp(cls, "_GatheringFuture") == 0 ? "gather()" : cls);
    } else {
        events_describe_value(vm, awaited, sb);
    }
}
