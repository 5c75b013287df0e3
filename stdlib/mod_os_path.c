/* os.path: POSIX path names (CPython's posixpath), plus the queries that stat the file system.
 *
 * The string functions work on UTF-8 bytes: '/' and '.' are ASCII, so a byte search finds
 * exactly the characters posixpath's str methods find.  Each follows Lib/posixpath.py step by
 * step, so the odd cases agree too (leading double slashes, dot files, trailing slashes).
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modinit.h"

// os.fspath for the string functions: a str, else "expected str, bytes or os.PathLike object".
static bool fspath(Vm *vm, Value v, ObjStr **out) {
    if (IS_STR(v)) {
        *out = AS_STR(v);
        return true;
    }
    return vm_raise(vm, vm->TypeError, "expected str, bytes or os.PathLike object, not %s",
                    vm_type_name(vm, v));
}

static bool one_str(Vm *vm, const char *fname, Value *args, int nargs, ObjTuple *kwnames,
                    ObjStr **out) {
    if (!check_args(vm, fname, nargs, kwnames, 1, 1)) return false;
    return fspath(vm, args[0], out);
}

static Value str_val(Vm *vm, const char *s, size_t n) { return OBJ_VAL(str_new(vm, s, n)); }

static size_t last_slash_end(const char *s, size_t n) {  // p.rfind('/') + 1
    size_t i = n;
    while (i > 0 && s[i - 1] != '/') i--;
    return i;
}

// head.rstrip('/') unless head is all slashes (then it stays as it is).
static size_t strip_head(const char *s, size_t n) {
    size_t k = n;
    while (k > 0 && s[k - 1] == '/') k--;
    return k == 0 ? n : k;
}

// ---- pure string functions ----------------------------------------------------------------------

static bool path_join(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames) return vm_raise(vm, vm->TypeError, "join() takes no keyword arguments");
    if (nargs < 1)
        return vm_raise(vm, vm->TypeError, "join() missing 1 required positional argument: 'a'");
    ObjStr *first = NULL;
    if (!fspath(vm, args[0], &first)) return false;
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, first->chars, first->length);
    for (int i = 1; i < nargs; i++) {
        if (!IS_STR(args[i])) {
            sb_free(&sb);
            return vm_raise(vm, vm->TypeError,
                            "join() argument must be str, bytes, or os.PathLike object, not '%s'",
                            vm_type_name(vm, args[i]));
        }
        ObjStr *b = AS_STR(args[i]);
        if (b->length && b->chars[0] == '/') {
            sb.length = 0;  // an absolute component discards what came before
        } else if (sb.length && sb.data[sb.length - 1] != '/') {
            sb_putc(&sb, '/');
        }
        sb_append(&sb, b->chars, b->length);
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

static bool path_basename(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "basename", args, nargs, kwnames, &p)) return false;
    size_t i = last_slash_end(p->chars, p->length);
    *result = str_val(vm, p->chars + i, p->length - i);
    return true;
}

static bool path_dirname(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "dirname", args, nargs, kwnames, &p)) return false;
    size_t i = last_slash_end(p->chars, p->length);
    *result = str_val(vm, p->chars, strip_head(p->chars, i));
    return true;
}

static bool path_split(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "split", args, nargs, kwnames, &p)) return false;
    size_t i = last_slash_end(p->chars, p->length);
    Value head = str_val(vm, p->chars, strip_head(p->chars, i));
    vm_push_root(vm, head);
    Value tail = str_val(vm, p->chars + i, p->length - i);
    vm_pop_root(vm);
    return tuple_pair_result(vm, head, tail, result);
}

// splitext: the extension is the last dot in the last component, unless that component is all
// dots up to it (".bashrc" has no extension).
static bool path_splitext(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "splitext", args, nargs, kwnames, &p)) return false;
    const char *s = p->chars;
    size_t n = p->length, name = last_slash_end(s, n), dot = n;
    for (size_t i = n; i > name; i--)
        if (s[i - 1] == '.') {
            dot = i - 1;
            break;
        }
    size_t split = n;
    if (dot < n)
        for (size_t i = name; i < dot; i++)
            if (s[i] != '.') {
                split = dot;
                break;
            }
    Value root = str_val(vm, s, split);
    vm_push_root(vm, root);
    Value ext = str_val(vm, s + split, n - split);
    vm_pop_root(vm);
    return tuple_pair_result(vm, root, ext, result);
}

static bool path_isabs(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "isabs", args, nargs, kwnames, &p)) return false;
    *result = BOOL_VAL(p->length > 0 && p->chars[0] == '/');
    return true;
}

// normpath into sb: collapse separators and "." components, resolve ".." lexically.
static void normalize(const char *s, size_t n, StrBuf *sb) {
    if (n == 0) {
        sb_putc(sb, '.');
        return;
    }
    int initial = 0;  // POSIX keeps exactly two leading slashes; three or more become one
    if (s[0] == '/') initial = (n >= 2 && s[1] == '/' && !(n >= 3 && s[2] == '/')) ? 2 : 1;
    size_t *starts = malloc(sizeof(size_t) * (n + 1)), *lens = malloc(sizeof(size_t) * (n + 1));
    size_t count = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && s[j] != '/') j++;
        size_t len = j - i;
        bool dotdot = len == 2 && s[i] == '.' && s[i + 1] == '.';
        if (len == 0 || (len == 1 && s[i] == '.')) {
            // skip
        } else if (!dotdot || (!initial && count == 0) ||
                   (count > 0 && lens[count - 1] == 2 && s[starts[count - 1]] == '.' &&
                    s[starts[count - 1] + 1] == '.')) {
            starts[count] = i;
            lens[count++] = len;
        } else if (count > 0) {
            count--;
        }
        i = j + 1;
    }
    sb_repeat(sb, '/', (size_t)initial);
    for (size_t c = 0; c < count; c++) {
        if (c) sb_putc(sb, '/');
        sb_append(sb, s + starts[c], lens[c]);
    }
    if (sb->length == 0) sb_putc(sb, '.');
    free(starts);
    free(lens);
}

static bool path_normpath(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "normpath", args, nargs, kwnames, &p)) return false;
    StrBuf sb;
    sb_init(&sb);
    normalize(p->chars, p->length, &sb);
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// abspath into sb: joined to the working directory when relative, then normalized.
static bool absolute(Vm *vm, ObjStr *p, StrBuf *sb) {
    if (p->length && p->chars[0] == '/') {
        normalize(p->chars, p->length, sb);
        return true;
    }
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return os_raise_errno(vm, errno, EMPTY_VAL());
    StrBuf joined;
    sb_init(&joined);
    sb_puts(&joined, cwd);
    free(cwd);
    if (p->length) {
        if (joined.data[joined.length - 1] != '/') sb_putc(&joined, '/');
        sb_append(&joined, p->chars, p->length);
    }
    normalize(joined.data, joined.length, sb);
    sb_free(&joined);
    return true;
}

static bool path_abspath(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "abspath", args, nargs, kwnames, &p)) return false;
    StrBuf sb;
    sb_init(&sb);
    if (!absolute(vm, p, &sb)) {
        sb_free(&sb);
        return false;
    }
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// realpath: symbolic links resolved by the OS when the path exists, else its absolute form.
static bool path_realpath(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "realpath", args, nargs, kwnames, &p)) return false;
    char *resolved = realpath(p->length ? p->chars : ".", NULL);
    if (resolved) {
        *result = OBJ_VAL(str_from_c(vm, resolved));
        free(resolved);
        return true;
    }
    return path_abspath(vm, args, nargs, kwnames, result);
}

// The non-empty components of an absolute path, as offsets into sb's text.
static size_t components(const StrBuf *sb, size_t *starts, size_t *lens) {
    size_t count = 0;
    for (size_t i = 0; i < sb->length;) {
        size_t j = i;
        while (j < sb->length && sb->data[j] != '/') j++;
        if (j > i) {
            starts[count] = i;
            lens[count++] = j - i;
        }
        i = j + 1;
    }
    return count;
}

// relpath(path, start=os.curdir)
static bool path_relpath(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    static const char *const names[] = {"path", "start", NULL};
    Value a[2];
    ObjStr *path = NULL, *start = NULL;
    if (!parse_args(vm, "relpath", args, nargs, kwnames, names, 1, a) || !fspath(vm, a[0], &path))
        return false;
    if (path->length == 0) return vm_raise(vm, vm->ValueError, "no path specified");
    if (IS_EMPTY(a[1]) || IS_NONE(a[1])) start = str_from_c(vm, ".");
    else if (!fspath(vm, a[1], &start)) return false;
    StrBuf ps, ss, out;
    sb_init(&ps);
    sb_init(&ss);
    sb_init(&out);
    if (!absolute(vm, path, &ps) || !absolute(vm, start, &ss)) {
        sb_free(&ps);
        sb_free(&ss);
        return false;
    }
    size_t *p0 = malloc(sizeof(size_t) * (ps.length + 1)),
           *pl = malloc(sizeof(size_t) * (ps.length + 1));
    size_t *s0 = malloc(sizeof(size_t) * (ss.length + 1)),
           *sl = malloc(sizeof(size_t) * (ss.length + 1));
    size_t np = components(&ps, p0, pl), ns = components(&ss, s0, sl), common = 0;
    while (common < np && common < ns && pl[common] == sl[common] &&
           memcmp(ps.data + p0[common], ss.data + s0[common], pl[common]) == 0)
        common++;
    for (size_t i = common; i < ns; i++) sb_puts(&out, out.length ? "/.." : "..");
    for (size_t i = common; i < np; i++) {
        if (out.length) sb_putc(&out, '/');
        sb_append(&out, ps.data + p0[i], pl[i]);
    }
    if (out.length == 0) sb_putc(&out, '.');
    free(p0), free(pl), free(s0), free(sl);
    sb_free(&ps);
    sb_free(&ss);
    *result = OBJ_VAL(str_from_buf(vm, &out));
    return true;
}

// expanduser: "~" and "~/..." from $HOME, "~user/..." from the password database.
static bool path_expanduser(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    ObjStr *p = NULL;
    if (!one_str(vm, "expanduser", args, nargs, kwnames, &p)) return false;
    if (p->length == 0 || p->chars[0] != '~') {
        *result = OBJ_VAL(p);
        return true;
    }
    size_t i = 1;
    while (i < p->length && p->chars[i] != '/') i++;
    const char *home = NULL;
    if (i == 1) {
        home = getenv("HOME");
        if (!home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
    } else {
        char *user = strndup(p->chars + 1, i - 1);
        struct passwd *pw = getpwnam(user);
        free(user);
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home) {
        *result = OBJ_VAL(p);
        return true;
    }
    size_t hn = strlen(home);
    while (hn > 0 && home[hn - 1] == '/') hn--;  // userhome.rstrip('/')
    StrBuf sb;
    sb_init(&sb);
    sb_append(&sb, home, hn);
    sb_append(&sb, p->chars + i, p->length - i);
    if (sb.length == 0) sb_putc(&sb, '/');
    *result = OBJ_VAL(str_from_buf(vm, &sb));
    return true;
}

// commonprefix(list): the longest common leading string (character-wise, not by component).
static bool path_commonprefix(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "commonprefix", nargs, kwnames, 1, 1)) return false;
    ObjList *list = vm_list_from_iterable(vm, args[0]);
    if (!list) return false;
    if (list->count == 0) {
        *result = OBJ_VAL(str_from_c(vm, ""));
        return true;
    }
    ObjStr *first = NULL;
    if (!fspath(vm, list->items[0], &first)) return false;
    vm_push_root(vm, OBJ_VAL(first));  // the list is not rooted; the result is cut from first
    size_t n = first->length;
    for (size_t i = 1; i < list->count; i++) {
        ObjStr *s = NULL;
        if (!fspath(vm, list->items[i], &s)) {
            vm_pop_root(vm);
            return false;
        }
        size_t k = 0;
        while (k < n && k < s->length && s->chars[k] == first->chars[k]) k++;
        n = k;
    }
    while (n > 0 && (first->chars[n] & 0xC0) == 0x80) n--;  // never split a character
    *result = str_val(vm, first->chars, n);
    vm_pop_root(vm);
    return true;
}

// ---- queries that stat
// ---------------------------------------------------------------------------

// stat or lstat of a path (str) or an open file descriptor (int): 1 ok, 0 the OS said no (errno
// set), -1 a TypeError was raised.
static int stat_arg(Vm *vm, const char *fname, Value v, struct stat *sb, bool follow) {
    if (IS_STR(v) && memchr(AS_STR(v)->chars, '\0', AS_STR(v)->length)) {
        errno = EINVAL;  // CPython's ValueError("embedded null byte"), seen by exists() as False
        return 0;
    }
    if (IS_STR(v)) return (follow ? stat(AS_STR(v)->chars, sb) : lstat(AS_STR(v)->chars, sb)) == 0;
    if (IS_INTLIKE(v)) return fstat((int)AS_INTLIKE(v), sb) == 0;
    vm_raise(vm, vm->TypeError, "%s: path should be string, bytes, os.PathLike or integer, not %s",
             fname, vm_type_name(vm, v));
    return -1;
}

// exists / isfile / isdir / islink: False when the path cannot be stat'ed.
#define STAT_TEST(name, sname, follow, test)                                                       \
    static bool path_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {    \
        if (!check_args(vm, #name, nargs, kwnames, 1, 1)) return false;                            \
        struct stat sb;                                                                            \
        int r = stat_arg(vm, sname, args[0], &sb, follow);                                         \
        if (r < 0) return false;                                                                   \
        *result = BOOL_VAL(r > 0 && (test));                                                       \
        return true;                                                                               \
    }
STAT_TEST(exists, "stat", true, true)
STAT_TEST(lexists, "lstat", false, true)
STAT_TEST(isfile, "stat", true, S_ISREG(sb.st_mode))
STAT_TEST(isdir, "stat", true, S_ISDIR(sb.st_mode))
STAT_TEST(islink, "lstat", false, S_ISLNK(sb.st_mode))

// getsize / getmtime / ...: the stat field, or the OSError.
#define STAT_FIELD(name, expr)                                                                     \
    static bool path_##name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {    \
        if (!check_args(vm, #name, nargs, kwnames, 1, 1)) return false;                            \
        struct stat sb;                                                                            \
        int r = stat_arg(vm, "stat", args[0], &sb, true);                                          \
        if (r < 0) return false;                                                                   \
        if (r == 0) return os_raise_errno(vm, errno, args[0]);                                     \
        *result = expr;                                                                            \
        return true;                                                                               \
    }
STAT_FIELD(getsize, INT_VAL(sb.st_size))
STAT_FIELD(getmtime, FLOAT_VAL((double)sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec * 1e-9))
STAT_FIELD(getatime, FLOAT_VAL((double)sb.st_atim.tv_sec + sb.st_atim.tv_nsec * 1e-9))
STAT_FIELD(getctime, FLOAT_VAL((double)sb.st_ctim.tv_sec + sb.st_ctim.tv_nsec * 1e-9))

// ---- the module ---------------------------------------------------------------------------------

ObjModule *mod_os_path_init(Vm *vm) {
    // `import os` builds this module too: there must be one object, whichever import came first.
    Value existing = dict_get_str(vm->modules, str_from_c(vm, "os.path"));
    if (IS_MODULE(existing)) return AS_MODULE(existing);
    ObjModule *m = mod_new(vm, "posixpath");
    vm_push_root(vm, OBJ_VAL(m));
    static const struct {
        const char *name, *value;
    } strs[] = {{"sep", "/"},      {"curdir", "."},  {"pardir", ".."},       {"extsep", "."},
                {"pathsep", ":"}, {"defpath", "/bin:/usr/bin"}, {"devnull", "/dev/null"},
                {NULL, NULL}};
    for (int i = 0; strs[i].name; i++)
        mod_set(vm, m, strs[i].name, OBJ_VAL(str_from_c(vm, strs[i].value)));
    mod_set(vm, m, "altsep", NONE_VAL());
    static const MethodDef fns[] = {
        {"join", path_join},         {"basename", path_basename},
        {"dirname", path_dirname},   {"split", path_split},
        {"splitext", path_splitext}, {"isabs", path_isabs},
        {"normpath", path_normpath}, {"abspath", path_abspath},
        {"realpath", path_realpath}, {"relpath", path_relpath},
        {"expanduser", path_expanduser}, {"commonprefix", path_commonprefix},
        {"exists", path_exists},     {"lexists", path_lexists},
        {"isfile", path_isfile},     {"isdir", path_isdir},
        {"islink", path_islink},     {"getsize", path_getsize},
        {"getmtime", path_getmtime}, {"getatime", path_getatime},
        {"getctime", path_getctime}, {NULL, NULL},
    };
    for (const MethodDef *f = fns; f->name; f++) define_native(vm, m->globals, f->name, f->fn);
    dict_set_cstr(vm, vm->modules, "os.path", OBJ_VAL(m));
    vm_pop_root(vm);
    return m;
}
