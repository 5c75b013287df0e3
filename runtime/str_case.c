/* str_case: str's case mappings, its character predicates, and maketrans/translate.
 *
 * Case mappings are full mappings, as CPython's: one character may become up to three
 * ('ß'.upper() == 'SS'), and a capital sigma lowercases to 'ς' at the end of a word.  Every
 * mapping has an ASCII fast path, since most strings are ASCII.  The per-character rules are in
 * unicode.c; this file only strings them together the way CPython's unicodeobject.c does.
 */
#include <string.h>

#include "text.h"
#include "unicode.h"

typedef enum { CASE_UPPER, CASE_LOWER, CASE_SWAP, CASE_TITLE, CASE_CAPITALIZE, CASE_FOLD } CaseMode;

static void put_mapped(StrBuf *sb, const uint32_t *m, int n) {
    char buf[4];
    for (int i = 0; i < n; i++) sb_append(sb, buf, (size_t)uni_encode(m[i], buf));
}

// lower() of one character, with the Final_Sigma rule for U+03A3 at byte offset pos.
static int lower_at(const char *s, size_t len, size_t pos, uint32_t c, uint32_t out[3]) {
    if (c == 0x3A3) {
        out[0] = uni_final_sigma(s, len, pos) ? 0x3C2 : 0x3C3;
        return 1;
    }
    return uni_to_lower(c, out);
}

static char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }
static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }
static bool ascii_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static void map_ascii(const char *s, size_t len, CaseMode mode, StrBuf *sb) {
    if (!sb_reserve(sb, len)) return; // out of memory (owed)
    bool prev_cased = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i], r = c;
        switch (mode) {
        case CASE_UPPER: r = ascii_upper(c); break;
        case CASE_LOWER: case CASE_FOLD: r = ascii_lower(c); break;
        case CASE_SWAP: r = ascii_is_alpha(c) ? (char)(c ^ 0x20) : c; break;
        case CASE_TITLE:
            r = prev_cased ? ascii_lower(c) : ascii_upper(c);
            prev_cased = ascii_is_alpha(c);
            break;
        case CASE_CAPITALIZE: r = i == 0 ? ascii_upper(c) : ascii_lower(c); break;
        }
        sb->data[sb->length++] = r;
    }
    sb->data[sb->length] = '\0';
}

static void map_unicode(const char *s, size_t len, CaseMode mode, StrBuf *sb) {
    size_t pos = 0;
    bool prev_cased = false, first = true;
    uint32_t m[3];
    while (pos < len) {
        size_t at = pos;
        uint32_t c = uni_next(s, len, &pos);
        int n;
        switch (mode) {
        case CASE_UPPER: n = uni_to_upper(c, m); break;
        case CASE_LOWER: n = lower_at(s, len, at, c, m); break;
        case CASE_FOLD: n = uni_casefold(c, m); break;
        case CASE_SWAP:
            if (uni_is_upper(c)) n = lower_at(s, len, at, c, m);
            else if (uni_is_lower(c)) n = uni_to_upper(c, m);
            else m[0] = c, n = 1;
            break;
        case CASE_TITLE:
            n = prev_cased ? lower_at(s, len, at, c, m) : uni_to_title(c, m);
            prev_cased = uni_is_cased(c);
            break;
        default: // CASE_CAPITALIZE
            n = first ? uni_to_title(c, m) : lower_at(s, len, at, c, m);
            break;
        }
        first = false;
        put_mapped(sb, m, n);
    }
}

static bool case_method(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                        CaseMode mode, Value *result) {
    if (!check_args(vm, name, nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    StrBuf sb;
    sb_init(&sb);
    if (s->length == s->nchars) map_ascii(s->chars, s->length, mode, &sb);
    else map_unicode(s->chars, s->length, mode, &sb);
    ObjStr *mapped = str_try_from_buf(vm, &sb);
    if (!mapped) return false;
    *result = OBJ_VAL(mapped);
    return true;
}

static bool str_upper(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "str.upper", CASE_UPPER, result);
}
static bool str_lower(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "str.lower", CASE_LOWER, result);
}
static bool str_swapcase(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "str.swapcase", CASE_SWAP, result);
}
static bool str_title(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "str.title", CASE_TITLE, result);
}
static bool str_capitalize(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "str.capitalize", CASE_CAPITALIZE, result);
}
static bool str_casefold(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_method(vm, args, nargs, kwnames, "str.casefold", CASE_FOLD, result);
}

// ---- predicates ---------------------------------------------------------------------------------

// The predicates that hold when every character (and at least one) has a property.
static bool all_chars(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                      bool (*pred)(uint32_t), Value *result) {
    if (!check_args(vm, name, nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    bool ok = s->length > 0;
    size_t pos = 0;
    while (ok && pos < s->length) ok = pred(uni_next(s->chars, s->length, &pos));
    *result = BOOL_VAL(ok);
    return true;
}

static bool is_alnum(uint32_t c) {
    return uni_is_alpha(c) || uni_is_decimal(c) || uni_is_digit(c) || uni_is_numeric(c);
}

#define PREDICATE(fname, pyname, pred)                                                           \
    static bool fname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {       \
        return all_chars(vm, args, nargs, kwnames, pyname, pred, result);                        \
    }

PREDICATE(str_isalpha, "str.isalpha", uni_is_alpha)
PREDICATE(str_isalnum, "str.isalnum", is_alnum)
PREDICATE(str_isdecimal, "str.isdecimal", uni_is_decimal)
PREDICATE(str_isdigit, "str.isdigit", uni_is_digit)
PREDICATE(str_isnumeric, "str.isnumeric", uni_is_numeric)
PREDICATE(str_isspace, "str.isspace", uni_is_space)

static bool str_isprintable(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.isprintable", nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    bool ok = true;
    size_t pos = 0;
    while (ok && pos < s->length) ok = uni_is_printable(uni_next(s->chars, s->length, &pos));
    *result = BOOL_VAL(ok);
    return true;
}

static bool str_isascii(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.isascii", nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    bool ok = true;
    for (size_t i = 0; ok && i < s->length; i++) ok = (unsigned char)s->chars[i] < 0x80;
    *result = BOOL_VAL(ok);
    return true;
}

// isupper: some cased character and no lowercase or titlecase one; islower the mirror image.
static bool case_predicate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, const char *name,
                           bool upper, Value *result) {
    if (!check_args(vm, name, nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    bool cased = false;
    size_t pos = 0;
    while (pos < s->length) {
        uint32_t c = uni_next(s->chars, s->length, &pos);
        if ((upper ? uni_is_lower(c) : uni_is_upper(c)) || uni_is_title(c)) {
            *result = BOOL_VAL(false);
            return true;
        }
        if (upper ? uni_is_upper(c) : uni_is_lower(c)) cased = true;
    }
    *result = BOOL_VAL(cased);
    return true;
}

static bool str_isupper(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_predicate(vm, args, nargs, kwnames, "str.isupper", true, result);
}
static bool str_islower(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    return case_predicate(vm, args, nargs, kwnames, "str.islower", false, result);
}

// istitle: uppercase/titlecase only after uncased characters, lowercase only after cased ones.
static bool str_istitle(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.istitle", nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    bool cased = false, prev_cased = false;
    size_t pos = 0;
    while (pos < s->length) {
        uint32_t c = uni_next(s->chars, s->length, &pos);
        if (uni_is_upper(c) || uni_is_title(c)) {
            if (prev_cased) goto no;
            prev_cased = cased = true;
        } else if (uni_is_lower(c)) {
            if (!prev_cased) goto no;
            prev_cased = cased = true;
        } else {
            prev_cased = false;
        }
    }
    *result = BOOL_VAL(cased);
    return true;
no:
    *result = BOOL_VAL(false);
    return true;
}

static bool str_isidentifier(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.isidentifier", nargs - 1, kwnames, 0, 0)) return false;
    ObjStr *s = AS_STR(args[0]);
    bool ok = s->length > 0;
    size_t pos = 0;
    if (ok) ok = uni_is_xid_start(uni_next(s->chars, s->length, &pos));
    while (ok && pos < s->length) ok = uni_is_xid_continue(uni_next(s->chars, s->length, &pos));
    *result = BOOL_VAL(ok);
    return true;
}

// ---- maketrans / translate ----------------------------------------------------------------------

static bool set_ord(Vm *vm, ObjDict *d, uint32_t key, Value value) {
    return dict_set(vm, d, INT_VAL(key), value);
}

static bool maketrans_from_dict(Vm *vm, ObjDict *src, ObjDict *out) {
    size_t pos = 0;
    Value k, v;
    while (dict_next(src, &pos, &k, &v)) {
        if (IS_STR(k)) {
            ObjStr *ks = AS_STR(k);
            if (ks->nchars != 1)
                return vm_raise(vm, vm->ValueError, "string keys in translate table must be of length 1");
            size_t p = 0;
            if (!set_ord(vm, out, uni_next(ks->chars, ks->length, &p), v)) return false;
        } else if (IS_INTLIKE(k)) {
            if (!dict_set(vm, out, INT_VAL(AS_INTLIKE(k)), v)) return false;
        } else {
            return vm_raise(vm, vm->TypeError, "keys in translate table must be strings or integers");
        }
    }
    return true;
}

static bool str_maketrans(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "maketrans", nargs, kwnames, 1, 3)) return false;
    ObjDict *d = dict_new(vm);
    vm_push_root(vm, OBJ_VAL(d));
    bool ok = true;
    if (nargs == 1) {
        if (!IS_DICT(args[0]))
            ok = vm_raise(vm, vm->TypeError,
                          "if you give only one argument to maketrans it must be a dict");
        else ok = maketrans_from_dict(vm, AS_DICT(args[0]), d);
    } else {
        // The second and third arguments are checked before the first (CPython's order).
        for (int i = 1; ok && i < nargs; i++)
            if (!IS_STR(args[i]))
                ok = vm_raise(vm, vm->TypeError, "maketrans() argument %d must be str, not %s", i + 1,
                              arg_type_name(vm, args[i]));
        if (ok && !IS_STR(args[0]))
            ok = vm_raise(vm, vm->TypeError,
                          "first maketrans argument must be a string if there is a second argument");
        if (!ok) {
            vm_pop_root(vm);
            return false;
        }
        ObjStr *x = AS_STR(args[0]), *y = AS_STR(args[1]);
        if (ok && x->nchars != y->nchars)
            ok = vm_raise(vm, vm->ValueError,
                          "the first two maketrans arguments must have equal length");
        size_t px = 0, py = 0;
        while (ok && px < x->length) {
            uint32_t from = uni_next(x->chars, x->length, &px);
            uint32_t to = uni_next(y->chars, y->length, &py);
            ok = set_ord(vm, d, from, INT_VAL(to));
        }
        if (ok && nargs == 3) {
            ObjStr *z = AS_STR(args[2]);
            size_t pz = 0;
            while (ok && pz < z->length) ok = set_ord(vm, d, uni_next(z->chars, z->length, &pz), NONE_VAL());
        }
    }
    vm_pop_root(vm);
    if (!ok) return false;
    *result = OBJ_VAL(d);
    return true;
}

static bool str_translate(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "str.translate", nargs - 1, kwnames, 1, 1)) return false;
    ObjStr *s = AS_STR(args[0]);
    Value table = args[1];
    StrBuf sb;
    sb_init(&sb);
    size_t pos = 0;
    while (pos < s->length) {
        size_t at = pos;
        uint32_t c = uni_next(s->chars, s->length, &pos);
        Value r;
        if (!vm_getitem(vm, table, INT_VAL(c), &r)) {
            if (!vm_exception_matches(vm, vm->LookupError)) {
                sb_free(&sb);
                return false;
            }
            vm_clear_exception(vm); // unmapped: the character stays
            sb_append(&sb, s->chars + at, pos - at);
            continue;
        }
        if (IS_NONE(r)) continue;
        if (IS_INTLIKE(r)) {
            int64_t v = AS_INTLIKE(r);
            if (v < 0 || v > 0x10FFFF) {
                sb_free(&sb);
                return vm_raise(vm, vm->ValueError, "character mapping must be in range(0x110000)");
            }
            uint32_t m = (uint32_t)v;
            put_mapped(&sb, &m, 1);
        } else if (IS_STR(r)) {
            sb_append(&sb, AS_STR(r)->chars, AS_STR(r)->length);
        } else {
            sb_free(&sb);
            return vm_raise(vm, vm->TypeError, "character mapping must return integer, None or str");
        }
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

void str_define_case_methods(Vm *vm, ObjClass *cls) {
    define_methods(vm, cls,
                   (MethodDef[]){{"upper", str_upper},
                                 {"lower", str_lower},
                                 {"swapcase", str_swapcase},
                                 {"title", str_title},
                                 {"capitalize", str_capitalize},
                                 {"casefold", str_casefold},
                                 {"isalpha", str_isalpha},
                                 {"isalnum", str_isalnum},
                                 {"isdecimal", str_isdecimal},
                                 {"isdigit", str_isdigit},
                                 {"isnumeric", str_isnumeric},
                                 {"isspace", str_isspace},
                                 {"isprintable", str_isprintable},
                                 {"isascii", str_isascii},
                                 {"isupper", str_isupper},
                                 {"islower", str_islower},
                                 {"istitle", str_istitle},
                                 {"isidentifier", str_isidentifier},
                                 {"translate", str_translate},
                                 {NULL, NULL}});
    // maketrans is a static method: str.maketrans(...) and 'x'.maketrans(...) alike.
    ObjNative *mk = native_new(vm, "maketrans", str_maketrans, cls);
    mk->is_method = false; // no self to check
    vm_push_root(vm, OBJ_VAL(mk));
    ObjWrapper *sm = wrapper_new(vm, vm->staticmethod_class, WRAP_STATICMETHOD, OBJ_VAL(mk),
                                 NONE_VAL(), NONE_VAL());
    vm_push_root(vm, OBJ_VAL(sm));
    dict_set_str(vm, cls->dict, str_from_c(vm, "maketrans"), OBJ_VAL(sm));
    vm_pop_roots(vm, 2);
}
