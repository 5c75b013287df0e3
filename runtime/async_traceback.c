/* async_traceback: an exception's trail through tasks and futures (see async_traceback.h).
 *
 * The trail lives on the exception (ObjException.async_trail): a list of marks, three items per
 * mark, innermost first: what the exception ended (a description: "Task-2 fetch()" for a task,
 * "gather()" or the class name for another future), where the program created that task
 * ("prog.aio:12"; "" when not known; None for a future, which is how a future's mark is told
 * from a task's), and how many traceback entries the exception had at that moment.  The
 * entries between one mark's count and the next one's are the frames of the later task: the
 * innermost of them that is the program's own is where that task awaited.
 *
 * The marks are text, not references: a trail must not keep tasks alive (a task's end and its
 * "exception was never retrieved" report come when it is collected, as in CPython).  A trail
 * holds at most MAX_MARKS marks: an exception object raised again and again (one made once and
 * kept in a global) stops growing there.
 */
#include "async_traceback.h"

#include "events.h"
#include "runtime.h"

#define MAX_MARKS 16
#define ITEMS_PER_MARK 3

void async_traceback_record(Vm *vm, ObjFuture *f, Value exc) {
    if (!IS_EXCEPTION(exc)) return;
    ObjException *e = AS_EXCEPTION(exc);
    if (IS_LIST(e->async_trail) && AS_LIST(e->async_trail)->count >= MAX_MARKS * ITEMS_PER_MARK) return;
    vm_push_root(vm, exc);
    vm_push_root(vm, OBJ_VAL(f));
    StrBuf sb;
    sb_init(&sb);
    if (f->is_task) events_describe_task(vm, f, &sb);
    else events_describe_awaited(vm, OBJ_VAL(f), &sb);
    Value what = OBJ_VAL(str_new(vm, sb.data ? sb.data : "", sb.length));
    vm_push_root(vm, what);
    Value created = NONE_VAL();
    if (f->is_task) {
        sb.length = 0;
        if (f->created_code) events_describe_location(vm, f->created_code, f->created_line, &sb);
        created = OBJ_VAL(str_new(vm, sb.data ? sb.data : "", sb.length));
    }
    sb_free(&sb);
    vm_push_root(vm, created);
    if (!IS_LIST(e->async_trail)) e->async_trail = OBJ_VAL(list_new(vm, ITEMS_PER_MARK));
    ObjList *trail = AS_LIST(e->async_trail);
    list_append(vm, trail, what);
    list_append(vm, trail, created);
    list_append(vm, trail, INT_VAL(e->ntrace));
    vm_pop_roots(vm, 4);
}

// The innermost traceback entry in trace[from, to) that is the program's own, else the
// innermost one; NULL when the range is empty.  (trace[0] is where the exception was raised.)
static TraceEntry *own_entry(Vm *vm, ObjException *e, int from, int to) {
    if (to > e->ntrace) to = e->ntrace;
    for (int i = from; i < to; i++)
        if (!events_in_stdlib(vm, e->trace[i].code)) return &e->trace[i];
    return from < to ? &e->trace[from] : NULL;
}

static void put_place(Vm *vm, TraceEntry *entry, Value created, StrBuf *sb) {
    if (entry) {
        sb_puts(sb, " at ");
        events_describe_location(vm, entry->code, entry->line, sb);
    }
    if (IS_STR(created) && AS_STR(created)->length) sb_printf(sb, " (created at %s)", AS_STR(created)->chars);
}

static void put_line(StrBuf *sb) {
    fprintf(stderr, "aio:   %s\n", sb->data ? sb->data : "");
    sb->length = 0;
}

void async_traceback_print(Vm *vm, Value exc) {
    if (!IS_EXCEPTION(exc)) return;
    ObjException *e = AS_EXCEPTION(exc);
    if (!IS_LIST(e->async_trail)) return;
    ObjList *trail = AS_LIST(e->async_trail);
    size_t marks = trail->count / ITEMS_PER_MARK;
    if (marks < 2) return;
    fflush(stdout);
    fprintf(stderr, "aio: async traceback, innermost task first:\n");
    StrBuf sb, through;
    sb_init(&sb);
    sb_init(&through); // the futures passed since the last task ("through gather(), ")
    int previous_depth = 0;
    for (size_t m = 0; m < marks; m++) {
        Value what = trail->items[m * ITEMS_PER_MARK];
        Value created = trail->items[m * ITEMS_PER_MARK + 1];
        Value depth = trail->items[m * ITEMS_PER_MARK + 2];
        const char *name = IS_STR(what) ? AS_STR(what)->chars : "?";
        int to = IS_INT(depth) ? (int)AS_INT(depth) : previous_depth;
        bool task = IS_STR(created);
        if (m == 0) {
            events_describe_value(vm, exc, &sb);
            if (task) {
                sb_printf(&sb, " raised in %s", name);
                put_place(vm, own_entry(vm, e, 0, to), created, &sb);
            } else {
                sb_printf(&sb, " set on %s", name);
            }
            put_line(&sb);
        } else if (!task) {
            sb_printf(&through, "through %s, ", name);
        } else {
            if (through.length) sb_append(&sb, through.data, through.length);
            through.length = 0;
            sb_printf(&sb, "awaited by %s", name);
            put_place(vm, own_entry(vm, e, previous_depth, to), created, &sb);
            put_line(&sb);
        }
        previous_depth = to;
    }
    if (through.length) {
        sb_printf(&sb, "then %.*s", (int)through.length - 2, through.data);
        put_line(&sb);
    }
    sb_free(&sb);
    sb_free(&through);
    fflush(stderr);
}
