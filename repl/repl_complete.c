/* Tab completion at the REPL (see repl_complete.h). */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "repl_complete.h"
#include "runtime.h"

static const char *const keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", NULL,
};

typedef struct {
    char **out;
    int count, max;
} Candidates;

static void add(Candidates *c, const char *base, size_t base_len, const char *name) {
    if (c->count >= c->max) return;
    for (int i = 0; i < c->count; i++) // the same name in globals and builtins: once
        if (strncmp(c->out[i], base, base_len) == 0 && strcmp(c->out[i] + base_len, name) == 0) return;
    size_t n = strlen(name);
    char *s = malloc(base_len + n + 1);
    if (!s) return;
    memcpy(s, base, base_len);
    memcpy(s + base_len, name, n + 1);
    c->out[c->count++] = s;
}

static bool wanted(const char *name, const char *prefix, size_t n) {
    return strncmp(name, prefix, n) == 0 && (name[0] != '_' || prefix[0] == '_');
}

static void add_keys(Candidates *c, ObjDict *d, const char *prefix, size_t n) {
    size_t pos = 0;
    Value key, value;
    while (dict_next(d, &pos, &key, &value))
        if (IS_STR(key) && wanted(AS_STR(key)->chars, prefix, n)) add(c, "", 0, AS_STR(key)->chars);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

// The object a dotted chain of names ("asyncio", "t.loop") stands for: names in the namespace
// or builtins, then attributes.  False when some part is missing (no exception left pending).
static bool resolve(Vm *vm, ObjDict *globals, const char *chain, size_t len, Value *out) {
    const char *dot = memchr(chain, '.', len);
    size_t first = dot ? (size_t)(dot - chain) : len;
    ObjStr *name = str_new(vm, chain, first);
    Value v = dict_get_str(globals, name);
    if (IS_EMPTY(v)) v = dict_get_str(vm->builtins, name);
    if (IS_EMPTY(v)) return false;
    while (dot) {
        const char *part = dot + 1;
        dot = memchr(part, '.', len - (size_t)(part - chain));
        size_t n = dot ? (size_t)(dot - part) : len - (size_t)(part - chain);
        vm_push_root(vm, v);
        bool ok = vm_getattr(vm, v, str_new(vm, part, n), &v);
        vm_pop_root(vm);
        if (!ok) {
            vm_clear_exception(vm);
            return false;
        }
    }
    *out = v;
    return true;
}

static int complete_fallback(Vm *vm, ObjDict *globals, const char *word, size_t len, Candidates *c) {
    const char *dot = NULL;
    for (const char *p = word; p < word + len; p++)
        if (*p == '.') dot = p;
    if (!dot) {
        char *prefix = strndup(word, len);
        for (int i = 0; keywords[i]; i++)
            if (wanted(keywords[i], prefix, len)) add(c, "", 0, keywords[i]);
        add_keys(c, globals, prefix, len);
        add_keys(c, vm->builtins, prefix, len);
        free(prefix);
        qsort(c->out, (size_t)c->count, sizeof *c->out, by_name);
        return c->count;
    }
    Value obj, names;
    if (!resolve(vm, globals, word, (size_t)(dot - word), &obj)) return 0;
    vm_push_root(vm, obj);
    Value dir = dict_get_str(vm->builtins, str_from_c(vm, "dir"));
    bool ok = !IS_EMPTY(dir) && vm_call1(vm, dir, obj, &names) && IS_LIST(names);
    vm_pop_root(vm);
    if (!ok) {
        if (!IS_EMPTY(vm->exception)) vm_clear_exception(vm);
        return 0;
    }
    const char *prefix = dot + 1;
    size_t n = len - (size_t)(prefix - word);
    char *p = strndup(prefix, n);
    for (size_t i = 0; i < AS_LIST(names)->count; i++) {
        Value name = AS_LIST(names)->items[i];
        if (IS_STR(name) && wanted(AS_STR(name)->chars, p, n)) add(c, word, (size_t)(prefix - word), AS_STR(name)->chars);
    }
    free(p);
    return c->count;
}

// aiotools.complete_line(line, cursor) -> (start, candidates), with str indexes in characters.
static int complete_with_tools(Vm *vm, Value fn, const char *line, int cursor, int *start, Candidates *c) {
    int chars = 0;
    for (int i = 0; i < cursor; i++) chars += ((unsigned char)line[i] & 0xC0) != 0x80;
    Value args[2] = {OBJ_VAL(str_from_c(vm, line)), INT_VAL(chars)};
    vm_push_root(vm, args[0]);
    Value result;
    bool ok = vm_call(vm, fn, args, 2, NULL, &result);
    vm_pop_root(vm);
    if (!ok || !IS_TUPLE(result) || AS_TUPLE(result)->count != 2 || !IS_INT(AS_TUPLE(result)->items[0]) ||
        !IS_LIST(AS_TUPLE(result)->items[1])) {
        if (!IS_EMPTY(vm->exception)) vm_clear_exception(vm);
        return -1;
    }
    int64_t at = AS_INTLIKE(AS_TUPLE(result)->items[0]);
    int byte = 0; // the character index `at` as a byte offset
    for (int64_t k = 0; byte < cursor && k < at; k++)
        do byte++;
        while (byte < cursor && ((unsigned char)line[byte] & 0xC0) == 0x80);
    *start = byte;
    ObjList *list = AS_LIST(AS_TUPLE(result)->items[1]);
    for (size_t i = 0; i < list->count; i++)
        if (IS_STR(list->items[i])) add(c, "", 0, AS_STR(list->items[i])->chars);
    return c->count;
}

int repl_complete(Vm *vm, ObjDict *globals, Value tools, const char *line, int cursor, int *start, char **out,
                  int max) {
    Candidates c = {out, 0, max};
    if (IS_MODULE(tools)) {
        Value fn = dict_get_str(AS_MODULE(tools)->globals, str_from_c(vm, "complete_line"));
        if (!IS_EMPTY(fn)) {
            int n = complete_with_tools(vm, fn, line, cursor, start, &c);
            if (n >= 0) return n;
        }
    }
    int s = cursor;
    while (s > 0 && (line[s - 1] == '_' || line[s - 1] == '.' || (line[s - 1] >= 'a' && line[s - 1] <= 'z') ||
                     (line[s - 1] >= 'A' && line[s - 1] <= 'Z') || (line[s - 1] >= '0' && line[s - 1] <= '9') ||
                     (unsigned char)line[s - 1] >= 0x80))
        s--;
    *start = s;
    if (s == cursor) return 0;
    return complete_fallback(vm, globals, line + s, (size_t)(cursor - s), &c);
}
