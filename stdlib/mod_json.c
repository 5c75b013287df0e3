/* json: the module, and the encoder behind dumps/dump (the decoder is json_decode.c).
 *
 * The encoder writes exactly what CPython's does: the same separators, indentation, escapes
 * (\uXXXX with surrogate pairs under ensure_ascii), float spellings (repr, NaN, Infinity),
 * dict-key conversions and error messages.  CPython has two encoders (C without indent, Python
 * with it) whose only visible difference is the allow_nan message; `has_indent` picks it.
 *
 * Containers being encoded sit on `stack`, a list kept as a GC root: that protects them while
 * default() runs user code, and it is the list searched for circular references.  Values that
 * nothing else references while they are encoded (a dict's items, what default() returned) sit
 * on `keep`, another rooted list; lists, not temp roots, because these nest without bound.
 */
#include <math.h>
#include <string.h>

#include "bigint.h"
#include "modinit.h"
#include "numfmt.h"

typedef struct {
    Vm *vm;
    StrBuf out;
    bool has_indent;
    StrBuf indent;       // one level of indentation
    StrBuf item_sep;     // between items: ", " or "," (or the program's separators[0])
    StrBuf key_sep;      // between a key and its value: ": " (or separators[1])
    bool sort_keys, ensure_ascii, allow_nan, skipkeys, check_circular;
    Value default_fn;    // None, or called for objects json cannot encode
    ObjList *stack;      // the containers (and default() inputs) being encoded, outermost first
    ObjList *keep;       // values only this encoder references (items lists, default() results)
    int level;           // indentation level
} Encoder;

// ---- strings ------------------------------------------------------------------------------------

// Decodes one UTF-8 sequence at s[*i] (valid input assumed; a lone surrogate is 3 bytes too).
static uint32_t next_code_point(const unsigned char *s, size_t n, size_t *i) {
    uint32_t c = s[(*i)++];
    if (c < 0x80) return c;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    c &= 0x3F >> extra;
    while (extra-- > 0 && *i < n) c = (c << 6) | (s[(*i)++] & 0x3F);
    return c;
}

static void put_u_escape(StrBuf *sb, uint32_t c) { sb_printf(sb, "\\u%04x", c); }

// Appends s as a JSON string literal with CPython's escapes.
static void json_encode_string(StrBuf *sb, const char *chars, size_t n, bool ensure_ascii) {
    const unsigned char *s = (const unsigned char *)chars;
    sb_putc(sb, '"');
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        uint32_t c = next_code_point(s, n, &i);
        switch (c) {
        case '"': sb_puts(sb, "\\\""); continue;
        case '\\': sb_puts(sb, "\\\\"); continue;
        case '\b': sb_puts(sb, "\\b"); continue;
        case '\f': sb_puts(sb, "\\f"); continue;
        case '\n': sb_puts(sb, "\\n"); continue;
        case '\r': sb_puts(sb, "\\r"); continue;
        case '\t': sb_puts(sb, "\\t"); continue;
        default: break;
        }
        if (c < 0x20 || (ensure_ascii && c > 0x7E)) {
            if (c >= 0x10000) {  // outside the BMP: a surrogate pair
                uint32_t v = c - 0x10000;
                put_u_escape(sb, 0xD800 | (v >> 10));
                put_u_escape(sb, 0xDC00 | (v & 0x3FF));
            } else {
                put_u_escape(sb, c);
            }
        } else {
            sb_append(sb, chars + start, i - start);
        }
    }
    sb_putc(sb, '"');
}

// ---- scalars ------------------------------------------------------------------------------------

static bool encode_float(Encoder *e, double d, StrBuf *sb) {
    if (isfinite(d)) {
        numfmt_float_repr(d, sb);
        return true;
    }
    if (!e->allow_nan) {
        if (!e->has_indent)
            return vm_raise(e->vm, e->vm->ValueError,
                            "Out of range float values are not JSON compliant");
        return vm_raise(e->vm, e->vm->ValueError,
                        "Out of range float values are not JSON compliant: %s",
                        isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
    }
    sb_puts(sb, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    return true;
}

// A dict key as JSON text (quoted); *skip is set for keys skipkeys drops.
static bool encode_key(Encoder *e, Value key, bool *skip) {
    *skip = false;
    if (IS_STR(key)) {
        json_encode_string(&e->out, AS_STR(key)->chars, AS_STR(key)->length, e->ensure_ascii);
        return true;
    }
    StrBuf text;
    sb_init(&text);
    if (IS_FLOAT(key)) {
        if (!encode_float(e, AS_FLOAT(key), &text)) {
            sb_free(&text);
            return false;
        }
    } else if (IS_BOOL(key)) {
        sb_puts(&text, AS_BOOL(key) ? "true" : "false");
    } else if (IS_NONE(key)) {
        sb_puts(&text, "null");
    } else if (IS_INT(key)) {
        sb_printf(&text, "%lld", (long long)AS_INT(key));
    } else if (IS_BIGINT(key)) {
        ObjStr *digits = big_repr(e->vm, key);
        if (!digits) {
            sb_free(&text);
            return false;
        }
        sb_append(&text, digits->chars, digits->length);
    } else if (e->skipkeys) {
        *skip = true;
        return true;
    } else {
        return vm_raise(e->vm, e->vm->TypeError,
                        "keys must be str, int, float, bool or None, not %s",
                        vm_type_name(e->vm, key));
    }
    sb_putc(&e->out, '"');
    sb_append(&e->out, text.data, text.length);
    sb_putc(&e->out, '"');
    sb_free(&text);
    return true;
}

// ---- containers ---------------------------------------------------------------------------------

static bool encode(Encoder *e, Value v);

// Puts a container on the stack; a ValueError if it is already there (a cycle), a RecursionError
// past the recursion limit.
static bool enter(Encoder *e, Value container) {
    Vm *vm = e->vm;
    if ((int)e->stack->count + vm->depth >= vm->recursion_limit)
        return vm_raise(vm, vm->RecursionError,
                        "maximum recursion depth exceeded while encoding a JSON object");
    if (e->check_circular)
        for (size_t i = 0; i < e->stack->count; i++)
            if (value_is(e->stack->items[i], container))
                return vm_raise(vm, vm->ValueError, "Circular reference detected");
    vm_push_root(vm, container);
    list_append(vm, e->stack, container);
    vm_pop_root(vm);
    return true;
}

static void leave(Encoder *e) { e->stack->count--; }

// A newline and the indentation of the current level (nothing without indent).
static void newline_indent(Encoder *e) {
    if (!e->has_indent) return;
    sb_putc(&e->out, '\n');
    for (int i = 0; i < e->level; i++)
        sb_append(&e->out, e->indent.data ? e->indent.data : "", e->indent.length);
}

static bool encode_sequence(Encoder *e, Value seq, const Value *items, size_t n) {
    if (n == 0) {
        sb_puts(&e->out, "[]");
        return true;
    }
    if (!enter(e, seq)) return false;
    sb_putc(&e->out, '[');
    e->level++;
    newline_indent(e);
    for (size_t i = 0;; i++) {
        // A list may change while user code (default()) runs: re-read it each time.
        if (IS_LIST(seq)) {
            if (i >= AS_LIST(seq)->count) break;
            items = AS_LIST(seq)->items;
        } else if (i >= n) {
            break;
        }
        if (i) sb_append(&e->out, e->item_sep.data, e->item_sep.length);
        if (i) newline_indent(e);
        if (!encode(e, items[i])) return false;
    }
    e->level--;
    newline_indent(e);
    sb_putc(&e->out, ']');
    leave(e);
    return true;
}

// The dict's items as a list of (key, value) tuples, sorted when sort_keys is set (with the
// list's own sort, so errors and order are sorted(d.items())'s).
static ObjList *dict_items(Encoder *e, ObjDict *d) {
    Vm *vm = e->vm;
    ObjList *items = list_new(vm, d->used);
    vm_push_root(vm, OBJ_VAL(items));
    size_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v)) {
        ObjTuple *t = tuple_pair(vm, k, v);
        vm_push_root(vm, OBJ_VAL(t));
        list_append(vm, items, OBJ_VAL(t));
        vm_pop_root(vm);
    }
    if (e->sort_keys && items->count > 1) {
        Value sort, ignored;
        if (!vm_getattr(vm, OBJ_VAL(items), str_from_c(vm, "sort"), &sort) ||
            !vm_call0(vm, sort, &ignored)) {
            vm_pop_root(vm);
            return NULL;
        }
    }
    vm_pop_root(vm);
    return items;
}

static bool encode_dict(Encoder *e, Value dict) {
    if (AS_DICT(dict)->used == 0) {
        sb_puts(&e->out, "{}");
        return true;
    }
    if (!enter(e, dict)) return false;
    ObjList *items = dict_items(e, AS_DICT(dict));
    if (!items) return false;
    list_append(e->vm, e->keep, OBJ_VAL(items));  // rooted while its values are encoded
    sb_putc(&e->out, '{');
    e->level++;
    newline_indent(e);
    bool first = true;
    for (size_t i = 0; i < items->count; i++) {
        ObjTuple *kv = AS_TUPLE(items->items[i]);
        size_t mark = e->out.length;
        if (!first) {
            sb_append(&e->out, e->item_sep.data, e->item_sep.length);
            newline_indent(e);
        }
        bool skip;
        if (!encode_key(e, kv->items[0], &skip)) return false;
        if (skip) {
            e->out.length = mark;  // drop the separator written for it
            e->out.data[mark] = '\0';
            continue;
        }
        first = false;
        sb_append(&e->out, e->key_sep.data, e->key_sep.length);
        if (!encode(e, kv->items[1])) return false;
    }
    e->level--;
    newline_indent(e);
    sb_putc(&e->out, '}');
    e->keep->count--;
    leave(e);
    return true;
}

// ---- any value ----------------------------------------------------------------------------------

static bool encode(Encoder *e, Value v) {
    Vm *vm = e->vm;
    if (IS_NONE(v)) {
        sb_puts(&e->out, "null");
    } else if (IS_BOOL(v)) {
        sb_puts(&e->out, AS_BOOL(v) ? "true" : "false");
    } else if (IS_INT(v)) {
        sb_printf(&e->out, "%lld", (long long)AS_INT(v));
    } else if (IS_BIGINT(v)) {
        ObjStr *digits = big_repr(vm, v);
        if (!digits) return false;
        sb_append(&e->out, digits->chars, digits->length);
    } else if (IS_FLOAT(v)) {
        return encode_float(e, AS_FLOAT(v), &e->out);
    } else if (IS_STR(v)) {
        json_encode_string(&e->out, AS_STR(v)->chars, AS_STR(v)->length, e->ensure_ascii);
    } else if (IS_LIST(v)) {
        return encode_sequence(e, v, AS_LIST(v)->items, AS_LIST(v)->count);
    } else if (IS_TUPLE(v)) {
        return encode_sequence(e, v, AS_TUPLE(v)->items, AS_TUPLE(v)->count);
    } else if (IS_DICT(v)) {
        return encode_dict(e, v);
    } else if (IS_NONE(e->default_fn)) {
        ObjClass *cls = vm_class_of(vm, v);
        return vm_raise(vm, vm->TypeError, "Object of type %s is not JSON serializable",
                        cls->name->chars);
    } else {
        // default(o) returns something encodable; o stays on the stack for the cycle check.
        if (!enter(e, v)) return false;
        Value replacement;
        if (!vm_call1(vm, e->default_fn, v, &replacement)) return false;
        list_append(vm, e->keep, replacement);
        if (!encode(e, replacement)) return false;
        e->keep->count--;
        leave(e);
    }
    return true;
}

// ---- dumps / dump -------------------------------------------------------------------------------

static bool truthy_kw(Vm *vm, Value v, bool dflt, bool *out) {
    if (IS_EMPTY(v)) {
        *out = dflt;
        return true;
    }
    return vm_truthy(vm, v, out);
}

// Reads the keyword options of dumps/dump into an Encoder.
static bool setup_encoder(Vm *vm, Encoder *e, Value *args, int nargs, ObjTuple *kwnames) {
    static const char *const allowed[] = {"skipkeys", "ensure_ascii", "check_circular",
                                          "allow_nan", "cls", "indent", "separators",
                                          "default", "sort_keys", NULL};
    memset(e, 0, sizeof *e);
    e->vm = vm;
    if (!mod_check_kwargs(vm, "JSONEncoder.__init__", kwnames, allowed)) return false;
#define KW(name) mod_kwarg(args, nargs, kwnames, name)
    if (!truthy_kw(vm, KW("skipkeys"), false, &e->skipkeys) ||
        !truthy_kw(vm, KW("ensure_ascii"), true, &e->ensure_ascii) ||
        !truthy_kw(vm, KW("check_circular"), true, &e->check_circular) ||
        !truthy_kw(vm, KW("allow_nan"), true, &e->allow_nan) ||
        !truthy_kw(vm, KW("sort_keys"), false, &e->sort_keys))
        return false;
    Value cls = KW("cls");
    if (!IS_EMPTY(cls) && !IS_NONE(cls))
        return vm_raise(vm, vm->TypeError, "json.dumps(cls=...) is not supported by aio");
    Value indent = KW("indent"), seps = KW("separators"), dflt = KW("default");
    e->default_fn = IS_EMPTY(dflt) ? NONE_VAL() : dflt;
    e->has_indent = !IS_EMPTY(indent) && !IS_NONE(indent);
    if (e->has_indent) {
        if (IS_INTLIKE(indent)) {
            for (int64_t i = 0; i < AS_INTLIKE(indent); i++) sb_putc(&e->indent, ' ');
        } else if (IS_STR(indent)) {
            sb_append(&e->indent, AS_STR(indent)->chars, AS_STR(indent)->length);
        } else {
            return vm_raise(vm, vm->TypeError, "can't multiply sequence by non-int of type '%s'",
                            vm_type_name(vm, indent));
        }
    }
    if (!IS_EMPTY(seps) && !IS_NONE(seps)) {
        ObjList *pair = vm_list_from_iterable(vm, seps);
        if (!pair) return false;
        if (pair->count != 2)
            return vm_raise(vm, vm->ValueError, "%s values to unpack (expected 2, got %zu)",
                            pair->count < 2 ? "not enough" : "too many", pair->count);
        if (!IS_STR(pair->items[0]) || !IS_STR(pair->items[1]))
            return vm_raise(vm, vm->TypeError, "separators must be a pair of str");
        sb_append(&e->item_sep, AS_STR(pair->items[0])->chars, AS_STR(pair->items[0])->length);
        sb_append(&e->key_sep, AS_STR(pair->items[1])->chars, AS_STR(pair->items[1])->length);
    } else {
        sb_puts(&e->item_sep, e->has_indent ? "," : ", ");
        sb_puts(&e->key_sep, ": ");
    }
#undef KW
    sb_reserve(&e->out, 64);
    return true;
}

static void free_encoder(Encoder *e) {
    sb_free(&e->out);
    sb_free(&e->indent);
    sb_free(&e->item_sep);
    sb_free(&e->key_sep);
}

// Encodes obj into a new str.
static ObjStr *encode_to_str(Vm *vm, Value obj, Value *args, int nargs, ObjTuple *kwnames) {
    Encoder e;
    if (!setup_encoder(vm, &e, args, nargs, kwnames)) {
        free_encoder(&e);
        return NULL;
    }
    e.stack = list_new(vm, 8);
    vm_push_root(vm, OBJ_VAL(e.stack));
    e.keep = list_new(vm, 8);
    vm_push_root(vm, OBJ_VAL(e.keep));
    bool ok = encode(&e, obj);
    vm_pop_roots(vm, 2);
    ObjStr *s = ok ? str_new(vm, e.out.data, e.out.length) : NULL;
    free_encoder(&e);
    return s;
}

static bool json_dumps(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 1) {
        if (nargs == 0)
            return vm_raise(vm, vm->TypeError,
                            "dumps() missing 1 required positional argument: 'obj'");
        return vm_raise(vm, vm->TypeError, "dumps() takes 1 positional argument but %d were given",
                        nargs);
    }
    ObjStr *s = encode_to_str(vm, args[0], args, nargs, kwnames);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

// dump(obj, fp, **kw): fp.write(dumps(obj, **kw)).
static bool json_dump(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 2) {
        if (nargs < 2)
            return vm_raise(vm, vm->TypeError,
                            "dump() missing %d required positional argument%s: %s", 2 - nargs,
                            nargs ? "" : "s", nargs ? "'fp'" : "'obj' and 'fp'");
        return vm_raise(vm, vm->TypeError, "dump() takes 2 positional arguments but %d were given",
                        nargs);
    }
    ObjStr *s = encode_to_str(vm, args[0], args, nargs, kwnames);
    if (!s) return false;
    vm_push_root(vm, OBJ_VAL(s));
    bool ok = file_write_str(vm, args[1], s);
    vm_pop_root(vm);
    if (!ok) return false;
    *result = NONE_VAL();
    return true;
}

// ---- the module ---------------------------------------------------------------------------------

ObjModule *mod_json_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "json");
    vm_push_root(vm, OBJ_VAL(m));
    // JSONDecodeError(ValueError), defined in json.decoder as CPython's is.
    ObjClass *err = define_class(vm, "JSONDecodeError", vm->ValueError, OBJ_EXCEPTION);
    err->flags |= CLASS_EXCEPTION;
    err->flags &= ~CLASS_BUILTIN;
    mod_set(vm, m, "JSONDecodeError", OBJ_VAL(err));
    dict_set_cstr(vm, err->dict, "__module__", OBJ_VAL(str_from_c(vm, "json.decoder")));
    define_native(vm, m->globals, "dumps", json_dumps);
    define_native(vm, m->globals, "dump", json_dump);
    define_native(vm, m->globals, "loads", json_loads);
    define_native(vm, m->globals, "load", json_load);
    vm_pop_root(vm);
    return m;
}
