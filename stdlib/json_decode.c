/* json_decode: json.loads and json.load, a recursive-descent parser with CPython's scanner rules.
 *
 * It follows Modules/_json.c (the scanner CPython uses by default) decision by decision, because
 * the error messages and their positions are part of the behaviour: "Expecting value: line 1
 * column 7 (char 6)" must point where CPython points.  Positions are counted in characters (code
 * points) as Python does; the parser walks UTF-8 bytes and converts an offset only when it
 * reports an error.
 *
 * "Expecting value" is CPython's StopIteration(idx) from scan_once: it travels up through the
 * containers unchanged and becomes the JSONDecodeError at the top, so `stopped` carries it.
 * Values under construction sit on `stack`, a list kept as a GC root.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bigint.h"
#include "modinit.h"

typedef struct {
    Vm *vm;
    ObjStr *doc;          // the text being parsed (the error's .doc)
    const unsigned char *s;
    size_t n;             // bytes
    bool strict;          // control characters inside strings are errors
    Value object_hook, object_pairs_hook, parse_float, parse_int, parse_constant; // EMPTY: none
    ObjList *stack;       // containers and keys being built
    int depth;            // nesting of arrays and objects
    bool stopped;         // "Expecting value" at stop_at, raised by the caller at the top
    size_t stop_at;
} Decoder;

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static size_t skip_ws(const Decoder *d, size_t i) {
    while (i < d->n && is_ws(d->s[i])) i++;
    return i;
}

// ---- errors -------------------------------------------------------------------------------------

// Raises json.JSONDecodeError(msg, doc, pos) with CPython's text and attributes.
static bool decode_error(Decoder *d, const char *msg, size_t at) {
    Vm *vm = d->vm;
    const char *s = (const char *)d->s;
    size_t pos = utf8_count(s, at), lineno = 1, last_nl = 0;
    bool has_nl = false;
    for (size_t i = 0; i < at; i++)
        if (s[i] == '\n') lineno++, last_nl = i, has_nl = true;
    size_t colno = has_nl ? pos - utf8_count(s, last_nl) : pos + 1;
    ObjClass *cls = mod_find_class(vm, "json", "JSONDecodeError");
    if (!cls) return false;
    ObjStr *text = str_printf(vm, "%s: line %zu column %zu (char %zu)", msg, lineno, colno, pos);
    vm_push_root(vm, OBJ_VAL(text));
    ObjTuple *args = tuple_new(vm, 1);
    args->items[0] = OBJ_VAL(text);
    vm_push_root(vm, OBJ_VAL(args));
    ObjException *e = exception_new(vm, cls, args);
    vm_push_root(vm, OBJ_VAL(e));
    e->dict = dict_new(vm);
    dict_set_cstr(vm, e->dict, "msg", OBJ_VAL(str_from_c(vm, msg)));
    dict_set_cstr(vm, e->dict, "doc", OBJ_VAL(d->doc));
    dict_set_cstr(vm, e->dict, "pos", INT_VAL((int64_t)pos));
    dict_set_cstr(vm, e->dict, "lineno", INT_VAL((int64_t)lineno));
    dict_set_cstr(vm, e->dict, "colno", INT_VAL((int64_t)colno));
    vm_pop_roots(vm, 3);
    return vm_raise_value(vm, OBJ_VAL(e));
}

static bool stop(Decoder *d, size_t at) {
    d->stopped = true;
    d->stop_at = at;
    return false;
}

// Keeps v reachable until the matching pop (rooted while the stack itself may grow).
static void push(Decoder *d, Value v) {
    vm_push_root(d->vm, v);
    list_append(d->vm, d->stack, v);
    vm_pop_root(d->vm);
}
static void pop(Decoder *d) { d->stack->count--; }

// ---- strings ------------------------------------------------------------------------------------

static void put_utf8(StrBuf *sb, uint32_t c) {
    char b[4];
    if (c < 0x80) {
        sb_putc(sb, (char)c);
    } else if (c < 0x800) {
        b[0] = (char)(0xC0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3F));
        sb_append(sb, b, 2);
    } else if (c < 0x10000) {  // lone surrogates too, as Python's surrogatepass would
        b[0] = (char)(0xE0 | (c >> 12));
        b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        sb_append(sb, b, 3);
    } else {
        b[0] = (char)(0xF0 | (c >> 18));
        b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (char)(0x80 | (c & 0x3F));
        sb_append(sb, b, 4);
    }
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four hex digits at s[at..at+4) (the caller checked they exist); -1 when one is not hex.
static int32_t hex4(const unsigned char *s, size_t at) {
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(s[at + i]);
        if (h < 0) return -1;
        v = (v << 4) | h;
    }
    return v;
}

// A string whose opening quote is at begin - 1; *end is set after the closing quote.
static bool scan_string(Decoder *d, size_t begin, Value *out, size_t *end) {
    const unsigned char *s = d->s;
    size_t n = d->n, i = begin;
    StrBuf sb;
    sb_init(&sb);
    sb_reserve(&sb, 16);
    for (;;) {
        size_t chunk = i;
        unsigned char c = 0;
        for (; i < n; i++) {
            c = s[i];
            if (c == '"' || c == '\\') break;
            if (c <= 0x1f && d->strict) {
                sb_free(&sb);
                return decode_error(d, "Invalid control character at", i);
            }
        }
        if (i >= n) {
            sb_free(&sb);
            return decode_error(d, "Unterminated string starting at", begin - 1);
        }
        sb_append(&sb, (const char *)s + chunk, i - chunk);
        i++;
        if (c == '"') break;
        if (i == n) {
            sb_free(&sb);
            return decode_error(d, "Unterminated string starting at", begin - 1);
        }
        c = s[i];
        if (c != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *hit = memchr(from, c, sizeof from - 1);
            if (!hit) {
                sb_free(&sb);
                return decode_error(d, "Invalid \\escape", i - 1);
            }
            sb_putc(&sb, to[hit - from]);
            i++;
            continue;
        }
        // \uXXXX, and a following \uXXXX when the two make a surrogate pair.
        size_t digits = i + 1, after = digits + 4;
        if (after >= n) {
            sb_free(&sb);
            return decode_error(d, "Invalid \\uXXXX escape", i);
        }
        int32_t cp = hex4(s, digits);
        if (cp < 0) {
            sb_free(&sb);
            return decode_error(d, "Invalid \\uXXXX escape", after - 5);
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && after + 6 < n && s[after] == '\\' &&
            s[after + 1] == 'u') {
            int32_t low = hex4(s, after + 2);
            if (low < 0) {
                sb_free(&sb);
                return decode_error(d, "Invalid \\uXXXX escape", after + 1);
            }
            if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                after += 6;
            }
        }
        put_utf8(&sb, (uint32_t)cp);
        i = after;
    }
    *end = i;
    *out = OBJ_VAL(str_from_buf(d->vm, &sb));
    return true;
}

// ---- numbers and constants ----------------------------------------------------------------------

// Calls a parse_* hook with the literal's text.
static bool call_hook(Decoder *d, Value hook, const unsigned char *text, size_t len, Value *out) {
    ObjStr *str = str_new(d->vm, (const char *)text, len);
    vm_push_root(d->vm, OBJ_VAL(str));
    bool ok = vm_call1(d->vm, hook, OBJ_VAL(str), out);
    vm_pop_root(d->vm);
    return ok;
}

// A number at idx, by CPython's _match_number_unicode (a "-" or a leading "0" alone stop).
static bool scan_number(Decoder *d, size_t idx, Value *out, size_t *end) {
    const unsigned char *s = d->s;
    size_t n = d->n, i = idx;
    bool is_float = false;
    if (s[i] == '-') {
        i++;
        if (i >= n) return stop(d, idx);
    }
    if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && is_digit(s[i])) i++;
    } else if (s[i] == '0') {
        i++;
    } else {
        return stop(d, idx);
    }
    if (i + 1 < n && s[i] == '.' && is_digit(s[i + 1])) {
        is_float = true;
        i += 2;
        while (i < n && is_digit(s[i])) i++;
    }
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e_start = i++;
        if (i + 1 < n && (s[i] == '-' || s[i] == '+')) i++;
        while (i < n && is_digit(s[i])) i++;
        if (is_digit(s[i - 1])) is_float = true;
        else i = e_start;  // "1e" or "1e+": the number ends before the e
    }
    *end = i;
    size_t len = i - idx;
    Value hook = is_float ? d->parse_float : d->parse_int;
    if (!IS_EMPTY(hook)) return call_hook(d, hook, s + idx, len, out);
    char buf[64], *text = len < sizeof buf ? buf : malloc(len + 1);
    memcpy(text, s + idx, len);
    text[len] = '\0';
    bool ok = true;
    if (is_float) {
        *out = FLOAT_VAL(strtod(text, NULL));
    } else {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno == ERANGE) ok = big_from_digits(d->vm, text, 10, out); // beyond int64
        else *out = INT_VAL(v);
    }
    if (text != buf) free(text);
    return ok;
}

static bool scan_constant(Decoder *d, const char *name, double value, Value *out) {
    if (IS_EMPTY(d->parse_constant)) {
        *out = FLOAT_VAL(value);
        return true;
    }
    return call_hook(d, d->parse_constant, (const unsigned char *)name, strlen(name), out);
}

// Does the text at idx start with word?
static bool at_word(const Decoder *d, size_t idx, const char *word) {
    size_t len = strlen(word);
    return idx + len <= d->n && memcmp(d->s + idx, word, len) == 0;
}

// ---- containers ---------------------------------------------------------------------------------

static bool scan(Decoder *d, size_t idx, Value *out, size_t *end);

static bool enter(Decoder *d, const char *what) {
    Vm *vm = d->vm;
    if (d->depth + vm->depth >= vm->recursion_limit)
        return vm_raise(vm, vm->RecursionError,
                        "maximum recursion depth exceeded while decoding a JSON %s from a unicode "
                        "string",
                        what);
    d->depth++;
    return true;
}

// An array whose "[" is at idx - 1.
static bool scan_array(Decoder *d, size_t idx, Value *out, size_t *end) {
    if (!enter(d, "array")) return false;
    ObjList *list = list_new(d->vm, 0);
    push(d, OBJ_VAL(list));
    idx = skip_ws(d, idx);
    if (idx >= d->n || d->s[idx] != ']') {
        for (;;) {
            Value item;
            if (!scan(d, idx, &item, &idx)) return false;
            push(d, item);
            list_append(d->vm, list, item);
            pop(d);
            idx = skip_ws(d, idx);
            if (idx < d->n && d->s[idx] == ']') break;
            if (idx >= d->n || d->s[idx] != ',')
                return decode_error(d, "Expecting ',' delimiter", idx);
            idx = skip_ws(d, idx + 1);
        }
    }
    pop(d);
    d->depth--;
    *end = idx + 1;
    *out = OBJ_VAL(list);
    return true;
}

// An object whose "{" is at idx - 1: a dict, or what object_hook / object_pairs_hook make of it.
static bool scan_object(Decoder *d, size_t idx, Value *out, size_t *end) {
    Vm *vm = d->vm;
    if (!enter(d, "object")) return false;
    bool pairs = !IS_EMPTY(d->object_pairs_hook);
    Value container = pairs ? OBJ_VAL(list_new(vm, 0)) : OBJ_VAL(dict_new(vm));
    push(d, container);
    idx = skip_ws(d, idx);
    if (idx >= d->n || d->s[idx] != '}') {
        for (;;) {
            if (idx >= d->n || d->s[idx] != '"')
                return decode_error(d, "Expecting property name enclosed in double quotes", idx);
            Value key, value;
            if (!scan_string(d, idx + 1, &key, &idx)) return false;
            push(d, key);
            idx = skip_ws(d, idx);
            if (idx >= d->n || d->s[idx] != ':')
                return decode_error(d, "Expecting ':' delimiter", idx);
            idx = skip_ws(d, idx + 1);
            if (!scan(d, idx, &value, &idx)) return false;
            push(d, value);
            if (pairs) {
                ObjTuple *t = tuple_pair(vm, key, value);
                push(d, OBJ_VAL(t));
                list_append(vm, AS_LIST(container), OBJ_VAL(t));
                pop(d);
            } else {
                dict_set_str(vm, AS_DICT(container), AS_STR(key), value);
            }
            pop(d);  // the value
            pop(d);  // the key
            idx = skip_ws(d, idx);
            if (idx < d->n && d->s[idx] == '}') break;
            if (idx >= d->n || d->s[idx] != ',')
                return decode_error(d, "Expecting ',' delimiter", idx);
            idx = skip_ws(d, idx + 1);
        }
    }
    *end = idx + 1;
    d->depth--;
    bool ok = true;
    if (pairs) ok = vm_call1(vm, d->object_pairs_hook, container, out);
    else if (!IS_EMPTY(d->object_hook)) ok = vm_call1(vm, d->object_hook, container, out);
    else *out = container;
    pop(d);
    return ok;
}

// Any value at idx (CPython's scan_once).
static bool scan(Decoder *d, size_t idx, Value *out, size_t *end) {
    if (idx >= d->n) return stop(d, idx);
    switch (d->s[idx]) {
    case '"': return scan_string(d, idx + 1, out, end);
    case '{': return scan_object(d, idx + 1, out, end);
    case '[': return scan_array(d, idx + 1, out, end);
    case 'n':
        if (at_word(d, idx, "null")) {
            *out = NONE_VAL();
            *end = idx + 4;
            return true;
        }
        break;
    case 't':
        if (at_word(d, idx, "true")) {
            *out = BOOL_VAL(true);
            *end = idx + 4;
            return true;
        }
        break;
    case 'f':
        if (at_word(d, idx, "false")) {
            *out = BOOL_VAL(false);
            *end = idx + 5;
            return true;
        }
        break;
    case 'N':
        if (at_word(d, idx, "NaN")) {
            *end = idx + 3;
            return scan_constant(d, "NaN", NAN, out);
        }
        break;
    case 'I':
        if (at_word(d, idx, "Infinity")) {
            *end = idx + 8;
            return scan_constant(d, "Infinity", INFINITY, out);
        }
        break;
    case '-':
        if (at_word(d, idx, "-Infinity")) {
            *end = idx + 9;
            return scan_constant(d, "-Infinity", -INFINITY, out);
        }
        break;
    default: break;
    }
    return scan_number(d, idx, out, end);
}

// ---- loads / load -------------------------------------------------------------------------------

static bool decode_text(Vm *vm, Value text, Value *args, int nargs, ObjTuple *kwnames,
                        Value *result) {
    static const char *const allowed[] = {"cls", "object_hook", "parse_float", "parse_int",
                                          "parse_constant", "object_pairs_hook", "strict", NULL};
    if (!mod_check_kwargs(vm, "JSONDecoder.__init__", kwnames, allowed)) return false;
    Decoder d;
    memset(&d, 0, sizeof d);
    d.vm = vm;
    d.strict = true;
#define HOOK(name) mod_kwarg(args, nargs, kwnames, name)
#define SET_HOOK(field, name)                                                                      \
    do {                                                                                           \
        Value h = HOOK(name);                                                                      \
        d.field = (IS_EMPTY(h) || IS_NONE(h)) ? EMPTY_VAL() : h;                                   \
    } while (0)
    SET_HOOK(object_hook, "object_hook");
    SET_HOOK(object_pairs_hook, "object_pairs_hook");
    SET_HOOK(parse_float, "parse_float");
    SET_HOOK(parse_int, "parse_int");
    SET_HOOK(parse_constant, "parse_constant");
    Value strict = HOOK("strict");
    if (!IS_EMPTY(strict) && !vm_truthy(vm, strict, &d.strict)) return false;
    Value cls = HOOK("cls");
    if (!IS_EMPTY(cls) && !IS_NONE(cls))
        return vm_raise(vm, vm->TypeError, "json.loads(cls=...) is not supported by aio");
#undef SET_HOOK
#undef HOOK
    if (IS_BYTES(text) || IS_BYTEARRAY(text)) {
        ByteSpan b;
        bytes_like(vm, text, &b);
        size_t skip = (b.length >= 3 && memcmp(b.data, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
        d.doc = str_new(vm, (const char *)b.data + skip, b.length - skip);
    } else if (IS_STR(text)) {
        d.doc = AS_STR(text);
    } else {
        return vm_raise(vm, vm->TypeError,
                        "the JSON object must be str, bytes or bytearray, not %s",
                        vm_type_name(vm, text));
    }
    vm_push_root(vm, OBJ_VAL(d.doc));
    d.s = (const unsigned char *)d.doc->chars;
    d.n = d.doc->length;
    d.stack = list_new(vm, 8);
    vm_push_root(vm, OBJ_VAL(d.stack));
    bool ok;
    if (IS_STR(text) && d.n >= 3 && memcmp(d.s, "\xEF\xBB\xBF", 3) == 0) {
        ok = decode_error(&d, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
    } else {
        size_t end;
        ok = scan(&d, skip_ws(&d, 0), result, &end);
        if (!ok && d.stopped) {
            ok = decode_error(&d, "Expecting value", d.stop_at);
        } else if (ok) {
            end = skip_ws(&d, end);
            if (end != d.n) ok = decode_error(&d, "Extra data", end);
        }
    }
    vm_pop_roots(vm, 2);
    return ok;
}

bool json_loads(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 1) {
        if (nargs == 0)
            return vm_raise(vm, vm->TypeError,
                            "loads() missing 1 required positional argument: 's'");
        return vm_raise(vm, vm->TypeError, "loads() takes 1 positional argument but %d were given",
                        nargs);
    }
    return decode_text(vm, args[0], args, nargs, kwnames, result);
}

// load(fp, **kw): loads(fp.read(), **kw).
bool json_load(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (nargs != 1) {
        if (nargs == 0)
            return vm_raise(vm, vm->TypeError,
                            "load() missing 1 required positional argument: 'fp'");
        return vm_raise(vm, vm->TypeError, "load() takes 1 positional argument but %d were given",
                        nargs);
    }
    Value read, text;
    if (!vm_getattr(vm, args[0], str_from_c(vm, "read"), &read)) return false;
    if (!vm_call0(vm, read, &text)) return false;
    vm_push_root(vm, text);
    bool ok = decode_text(vm, text, args, nargs, kwnames, result);
    vm_pop_root(vm);
    return ok;
}
