/* format: format(), str.format, str.format_map, str.__format__ and the f-string hook.
 *
 * Everything funnels into format_into: str, int, bool and float are formatted here with
 * runtime/numfmt (the spec mini-language), anything else by calling type(v).__format__(v, spec).
 * str.format is a port of CPython's Objects/stringlib/unicode_format.h: a markup iterator splits
 * the template into literal text and {fields}, a field is `name[.attr|[key]]*[!conv][:spec]`, and
 * a spec may itself contain {fields} (two levels at most, PEP 3101).  Errors, including the
 * order in which they are detected, follow that file.  The scanning works on UTF-8 bytes, which is
 * safe because every character with a meaning here is ASCII.
 */
#include <string.h>

#include "numfmt.h"
#include "text.h"

// ---- one value ----------------------------------------------------------------------------------

// Raises the error numfmt wrote into err: ValueError, or OverflowError for %c-style ranges.
static bool numfmt_fail(Vm *vm, const char *err) {
    if (numfmt_error_is_memory(err)) return vm_raise_memory_error(vm);
    return vm_raise(vm, numfmt_error_is_overflow(err) ? vm->OverflowError : vm->ValueError, "%s", err);
}

// Appends format(v, spec) to out.
static bool format_into(Vm *vm, Value v, const char *spec, size_t spec_len, StrBuf *out) {
    bool builtin = IS_INT(v) || IS_BOOL(v) || IS_FLOAT(v) ||
                   (IS_STR(v) && AS_OBJ(v)->cls == vm->str_class);
    if (builtin) {
        if (spec_len == 0 && IS_STR(v)) {
            sb_append(out, AS_STR(v)->chars, AS_STR(v)->length);
            return true;
        }
        if (spec_len == 0 && IS_BOOL(v)) {
            sb_puts(out, AS_BOOL(v) ? "True" : "False");
            return true;
        }
        FormatSpec fs;
        char err[256];
        bool ok = numfmt_parse_spec(spec, spec_len, &fs, err, sizeof err);
        if (ok) {
            if (IS_STR(v)) ok = numfmt_format_str(AS_STR(v)->chars, AS_STR(v)->length, &fs, out, err, sizeof err);
            else if (IS_FLOAT(v)) ok = numfmt_format_float(AS_FLOAT(v), &fs, out, err, sizeof err);
            else if (IS_BOOL(v)) ok = numfmt_format_int_as(AS_INTLIKE(v), "bool", &fs, out, err, sizeof err);
            else ok = numfmt_format_int(AS_INT(v), &fs, out, err, sizeof err);
        }
        return ok || numfmt_fail(vm, err);
    }
    ObjStr *spec_str = spec_len ? str_new(vm, spec, spec_len) : vm->s_empty;
    Value arg = OBJ_VAL(spec_str), r;
    vm_push_root(vm, arg);
    int found = vm_call_method(vm, v, vm->s_format, &arg, 1, &r);
    vm_pop_root(vm);
    if (found < 0) return false;
    if (found == 0)
        return vm_raise(vm, vm->TypeError, "Type %s doesn't define __format__", vm_type_name(vm, v));
    if (!IS_STR(r))
        return vm_raise(vm, vm->TypeError, "__format__ must return a str, not %s", vm_type_name(vm, r));
    sb_append(out, AS_STR(r)->chars, AS_STR(r)->length);
    return true;
}

ObjStr *format_value(Vm *vm, Value v, ObjStr *spec) {
    if (spec->length == 0 && IS_STR(v) && AS_OBJ(v)->cls == vm->str_class) return AS_STR(v);
    StrBuf sb;
    sb_init(&sb);
    if (!format_into(vm, v, spec->chars, spec->length, &sb)) {
        sb_free(&sb);
        return NULL;
    }
    return str_from_buf(vm, &sb);
}

// repr / str / ascii for conversion 'r' 's' 'a'.
static ObjStr *convert(Vm *vm, Value v, char conversion) {
    switch (conversion) {
    case 'r': return vm_repr(vm, v);
    case 's': return vm_str(vm, v);
    default: return str_ascii_of(vm, v);
    }
}

bool format_for_fstring(Vm *vm, Value v, int conversion, Value spec, Value *out) {
    if (conversion) {
        ObjStr *s = convert(vm, v, conversion == 1 ? 's' : conversion == 2 ? 'r' : 'a');
        if (!s) return false;
        v = OBJ_VAL(s);
    }
    ObjStr *sp = IS_EMPTY(spec) ? vm->s_empty : AS_STR(spec);
    if (sp->length == 0 && IS_STR(v)) {
        *out = OBJ_VAL(str_exact(vm, AS_STR(v)));
        return true;
    }
    vm_push_root(vm, v); // a converted value is held only here
    ObjStr *r = format_value(vm, v, sp);
    vm_pop_root(vm);
    if (!r) return false;
    *out = OBJ_VAL(r);
    return true;
}

// ---- str.format ---------------------------------------------------------------------------------

typedef enum { AUTO_INIT, AUTO_AUTO, AUTO_MANUAL } AutoState;

// Where a template's fields come from.  format(): positional args and keyword values named by
// kwnames.  format_map(): a mapping only (args is NULL).
typedef struct {
    Value *args;
    int nargs;
    ObjTuple *kwnames;
    Value *kwvalues;
    Value mapping; // EMPTY for format()
    AutoState state;
    int64_t next_auto;
} FormatCtx;

typedef struct {
    const char *p;
    size_t n;
} Sub;

// The decimal value of s, -1 when it is not all ASCII digits (or empty), -2 after raising.
static int64_t get_integer(Vm *vm, Sub s) {
    if (s.n == 0) return -1;
    int64_t acc = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return -1;
        int d = s.p[i] - '0';
        if (acc > (INT64_MAX - d) / 10) {
            vm_raise(vm, vm->ValueError, "Too many decimal digits in format string");
            return -2;
        }
        acc = acc * 10 + d;
    }
    return acc;
}

// The object a field's first name denotes: an argument by number (or the next automatic number),
// or a keyword argument / mapping entry by name.
static bool field_first(Vm *vm, FormatCtx *ctx, Sub first, Value *out) {
    int64_t index = get_integer(vm, first);
    if (index == -2) return false;
    bool empty = first.n == 0;
    if (empty || index >= 0) {
        if (ctx->state == AUTO_INIT) ctx->state = empty ? AUTO_AUTO : AUTO_MANUAL;
        if (ctx->state == AUTO_MANUAL && empty)
            return vm_raise(vm, vm->ValueError,
                            "cannot switch from manual field specification to automatic field numbering");
        if (ctx->state == AUTO_AUTO && !empty)
            return vm_raise(vm, vm->ValueError,
                            "cannot switch from automatic field numbering to manual field specification");
        if (empty) index = ctx->next_auto++;
    }
    if (index < 0) {
        ObjStr *key = str_new(vm, first.p, first.n);
        if (!IS_EMPTY(ctx->mapping)) {
            vm_push_root(vm, OBJ_VAL(key));
            bool ok = vm_getitem(vm, ctx->mapping, OBJ_VAL(key), out);
            vm_pop_root(vm);
            return ok;
        }
        int nkw = ctx->kwnames ? (int)ctx->kwnames->count : 0;
        for (int i = 0; i < nkw; i++) {
            ObjStr *name = AS_STR(ctx->kwnames->items[i]);
            if (name->length == key->length && memcmp(name->chars, key->chars, key->length) == 0) {
                *out = ctx->kwvalues[i];
                return true;
            }
        }
        return vm_raise_obj(vm, vm->KeyError, OBJ_VAL(key));
    }
    if (!ctx->args)
        return vm_raise(vm, vm->ValueError, "Format string contains positional fields");
    if (index >= ctx->nargs)
        return vm_raise(vm, vm->IndexError,
                        "Replacement index %lld out of range for positional args tuple",
                        (long long)index);
    *out = ctx->args[index];
    return true;
}

// Resolves a whole field name: the first part, then each .attr and [key].
static bool get_field_object(Vm *vm, FormatCtx *ctx, Sub name, Value *out) {
    size_t i = 0;
    while (i < name.n && name.p[i] != '.' && name.p[i] != '[') i++;
    Value obj;
    if (!field_first(vm, ctx, (Sub){name.p, i}, &obj)) return false;
    while (i < name.n) {
        char c = name.p[i++];
        size_t start = i;
        bool attr = c == '.';
        if (c == '.') {
            while (i < name.n && name.p[i] != '.' && name.p[i] != '[') i++;
        } else if (c == '[') {
            while (i < name.n && name.p[i] != ']') i++;
            if (i >= name.n) return vm_raise(vm, vm->ValueError, "Missing ']' in format string");
        } else {
            return vm_raise(vm, vm->ValueError,
                            "Only '.' or '[' may follow ']' in format field specifier");
        }
        Sub part = {name.p + start, i - start};
        if (!attr) i++; // past ']'
        if (part.n == 0) return vm_raise(vm, vm->ValueError, "Empty attribute in format string");
        vm_push_root(vm, obj);
        bool ok;
        if (attr) {
            ok = vm_getattr(vm, obj, str_intern(vm, part.p, part.n), &obj);
        } else {
            int64_t idx = get_integer(vm, part);
            if (idx == -2) ok = false;
            else if (idx >= 0) ok = vm_getitem(vm, obj, INT_VAL(idx), &obj);
            else {
                ObjStr *key = str_new(vm, part.p, part.n);
                vm_push_root(vm, OBJ_VAL(key));
                ok = vm_getitem(vm, obj, OBJ_VAL(key), &obj);
                vm_pop_root(vm);
            }
        }
        vm_pop_root(vm);
        if (!ok) return false;
    }
    *out = obj;
    return true;
}

static bool build_string(Vm *vm, FormatCtx *ctx, Sub input, int depth, StrBuf *out);

// One {field}: look the object up, convert it, expand its spec, format it into out.
static bool output_markup(Vm *vm, FormatCtx *ctx, Sub name, char conversion, Sub spec,
                          bool expand, int depth, StrBuf *out) {
    Value obj;
    if (!get_field_object(vm, ctx, name, &obj)) return false;
    if (conversion && conversion != 'r' && conversion != 's' && conversion != 'a') {
        if (conversion > 32 && conversion < 127)
            return vm_raise(vm, vm->ValueError, "Unknown conversion specifier %c", conversion);
        return vm_raise(vm, vm->ValueError, "Unknown conversion specifier \\x%x",
                        (unsigned)(unsigned char)conversion);
    }
    vm_push_root(vm, obj); // the object may be fresh (from __getitem__ or a property)
    bool ok = true;
    if (conversion) {
        ObjStr *s = convert(vm, obj, conversion);
        if (s) vm->roots[vm->nroots - 1] = obj = OBJ_VAL(s);
        else ok = false;
    }
    if (ok && expand) {
        StrBuf expanded;
        sb_init(&expanded);
        ok = build_string(vm, ctx, spec, depth - 1, &expanded) &&
             format_into(vm, obj, expanded.data ? expanded.data : "", expanded.length, out);
        sb_free(&expanded);
    } else if (ok) {
        ok = format_into(vm, obj, spec.p, spec.n, out);
    }
    vm_pop_root(vm);
    return ok;
}

// parse_field: splits the inside of {...} (the text after '{'), consuming through the closing '}'.
static bool parse_field(Vm *vm, const char *s, size_t n, size_t *pos, Sub *name, char *conversion,
                        Sub *spec, bool *expand) {
    size_t i = *pos;
    char c = 0;
    *conversion = 0;
    *spec = (Sub){"", 0};
    *expand = false;
    name->p = s + i;
    while (i < n) {
        c = s[i++];
        if (c == '{') return vm_raise(vm, vm->ValueError, "unexpected '{' in field name");
        if (c == '[') {
            while (i < n && s[i] != ']') i++;
            continue;
        }
        if (c == '}' || c == ':' || c == '!') break;
    }
    name->n = (size_t)(s + i - 1 - name->p);
    if (c == '!' || c == ':') {
        if (c == '!') {
            if (i >= n)
                return vm_raise(vm, vm->ValueError, "end of string while looking for conversion specifier");
            *conversion = s[i++];
            if (i < n) {
                char d = s[i++];
                if (d == '}') {
                    *pos = i;
                    return true;
                }
                if (d != ':') return vm_raise(vm, vm->ValueError, "expected ':' after conversion specifier");
            }
        }
        spec->p = s + i;
        int count = 1;
        while (i < n) {
            c = s[i++];
            if (c == '{') {
                *expand = true;
                count++;
            } else if (c == '}' && --count == 0) {
                spec->n = (size_t)(s + i - 1 - spec->p);
                *pos = i;
                return true;
            }
        }
        return vm_raise(vm, vm->ValueError, "unmatched '{' in format spec");
    }
    if (c != '}') return vm_raise(vm, vm->ValueError, "expected '}' before end of string");
    // name ended at its '}' (the loop may also have stopped at the end of text after ']').
    if (i > n || s[i - 1] != '}') return vm_raise(vm, vm->ValueError, "expected '}' before end of string");
    *pos = i;
    return true;
}

// MarkupIterator + do_markup: literal text with {{ and }} unescaped, and the fields in between.
static bool build_string(Vm *vm, FormatCtx *ctx, Sub input, int depth, StrBuf *out) {
    if (depth <= 0) return vm_raise(vm, vm->ValueError, "Max string recursion exceeded");
    const char *s = input.p;
    size_t n = input.n, i = 0;
    while (i < n) {
        size_t start = i;
        char c = 0;
        while (i < n) {
            c = s[i++];
            if (c == '{' || c == '}') break;
        }
        bool markup = c == '{' || c == '}';
        if (!markup) { // plain text to the end
            sb_append(out, s + start, i - start);
            break;
        }
        bool at_end = i >= n;
        if (c == '}' && (at_end || s[i] != '}'))
            return vm_raise(vm, vm->ValueError, "Single '}' encountered in format string");
        if (at_end && c == '{')
            return vm_raise(vm, vm->ValueError, "Single '{' encountered in format string");
        if (s[i] == c) { // an escaped brace: the literal includes one of them
            sb_append(out, s + start, i - start);
            i++;
            continue;
        }
        sb_append(out, s + start, i - 1 - start);
        Sub name = {s, 0}, spec = {s, 0};
        char conversion;
        bool expand;
        if (!parse_field(vm, s, n, &i, &name, &conversion, &spec, &expand)) return false;
        if (!output_markup(vm, ctx, name, conversion, spec, expand, depth, out)) return false;
    }
    return true;
}

static bool run_format(Vm *vm, ObjStr *fmt, FormatCtx *ctx, Value *result) {
    StrBuf sb;
    sb_init(&sb);
    if (!build_string(vm, ctx, (Sub){fmt->chars, fmt->length}, 2, &sb)) {
        sb_free(&sb);
        return false;
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool str_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    FormatCtx ctx = {.args = args + 1, .nargs = nargs - 1, .kwnames = kwnames,
                     .kwvalues = args + nargs, .mapping = EMPTY_VAL()};
    return run_format(vm, AS_STR(args[0]), &ctx, result);
}

static bool str_format_map(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.format_map", nargs - 1, kwnames, 1, 1)) return false;
    FormatCtx ctx = {.args = NULL, .mapping = args[1]};
    return run_format(vm, AS_STR(args[0]), &ctx, result);
}

static bool str_format_dunder(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.__format__", nargs - 1, kwnames, 1, 1)) return false;
    if (!IS_STR(args[1]))
        return vm_raise(vm, vm->TypeError, "__format__() argument must be str, not %s",
                        arg_type_name(vm, args[1]));
    ObjStr *spec = AS_STR(args[1]);
    ObjStr *s = AS_STR(args[0]);
    StrBuf sb;
    sb_init(&sb);
    FormatSpec fs;
    char err[256];
    if (!numfmt_parse_spec(spec->chars, spec->length, &fs, err, sizeof err) ||
        !numfmt_format_str(s->chars, s->length, &fs, &sb, err, sizeof err)) {
        sb_free(&sb);
        return numfmt_fail(vm, err);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// format(value, format_spec='')
static bool builtin_format(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"value", "format_spec", NULL};
    Value a[2];
    if (!parse_args(vm, "format", args, nargs, kwnames, names, 1, a)) return false;
    ObjStr *spec = vm->s_empty;
    if (!IS_EMPTY(a[1])) {
        if (!IS_STR(a[1]))
            return vm_raise(vm, vm->TypeError, "format() argument 2 must be str, not %s",
                            arg_type_name(vm, a[1]));
        spec = AS_STR(a[1]);
    }
    ObjStr *s = format_value(vm, a[0], spec);
    if (!s) return false;
    *result = OBJ_VAL(s);
    return true;
}

void format_define(Vm *vm, ObjClass *str_class) {
    define_methods(vm, str_class,
                   (MethodDef[]){{"format", str_format},
                                 {"format_map", str_format_map},
                                 {"__format__", str_format_dunder},
                                 {NULL, NULL}});
    define_native(vm, vm->builtins, "format", builtin_format);
}
