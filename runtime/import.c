/* Modules: `import x` finds a built-in C module, or an x.aio file beside the script, in the
 * stdlib folder, or on AIO_PATH; runs it once; and caches it in sys.modules.
 *
 * A module is registered in sys.modules before its code runs, so circular imports see the
 * partly initialised module as CPython's do; if the code raises, the entry is removed again.
 * Packages are folders with an __init__.aio.
 */
#include <string.h>
#include <sys/stat.h>

#include "import.h"

#include "compile.h"
#include "error.h"
#include "runtime.h"

// Registered by stdlib at startup; NULL until then (no built-in C module is found).
static BuiltinModuleFinder find_builtin;

void import_set_builtin_finder(BuiltinModuleFinder find) { find_builtin = find; }

static ModuleInit builtin_module(const char *name) { return find_builtin ? find_builtin(name) : NULL; }

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

// Finds NAME (dots as slashes) as a .aio file or a package in the search path; malloc'ed path.
static char *find_source(Vm *vm, const char *name) {
    char rel[1024];
    snprintf(rel, sizeof rel, "%s", name);
    for (char *p = rel; *p; p++)
        if (*p == '.') *p = '/';
    const char *dirs[8];
    int nd = 0;
    if (vm->script_dir) dirs[nd++] = vm->script_dir->chars;
    const char *env = getenv("AIO_PATH");
    char envcopy[4096] = "";
    if (env) {
        snprintf(envcopy, sizeof envcopy, "%s", env);
        char *save = NULL;
        for (char *tok = strtok_r(envcopy, ":", &save); tok && nd < 6; tok = strtok_r(NULL, ":", &save))
            dirs[nd++] = tok;
    }
    if (vm->stdlib_dir) dirs[nd++] = vm->stdlib_dir->chars;
    for (int i = 0; i < nd; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s.aio", dirs[i], rel);
        if (file_exists(path)) return strdup(path);
        snprintf(path, sizeof path, "%s/%s/__init__.aio", dirs[i], rel);
        if (file_exists(path)) return strdup(path);
    }
    return NULL;
}

static char *read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    *length = got;
    return buf;
}

// Loads one module by its full dotted name (its parent already imported).
static bool load_module(Vm *vm, ObjStr *name, Value *out) {
    Value cached = dict_get_str(vm->modules, name);
    if (!IS_EMPTY(cached)) {
        *out = cached;
        return true;
    }
    ModuleInit init = builtin_module(name->chars);
    if (init) {
        ObjModule *m = init(vm);
        if (!m) return false;
        vm_push_root(vm, OBJ_VAL(m));
        if (IS_EMPTY(dict_get_str(m->globals, vm->s_module_name)))
            dict_set_str(vm, m->globals, vm->s_module_name, OBJ_VAL(name));
        dict_set_str(vm, vm->modules, name, OBJ_VAL(m));
        vm_pop_root(vm);
        *out = OBJ_VAL(m);
        return true;
    }
    char *path = find_source(vm, name->chars);
    if (!path) return vm_raise_obj(vm, vm->ModuleNotFoundError, OBJ_VAL(str_printf(vm, "No module named '%s'", name->chars)));
    size_t length;
    char *text = read_file(path, &length);
    if (!text) {
        free(path);
        return vm_raise(vm, vm->ImportError, "cannot read module '%s'", name->chars);
    }
    ObjModule *m = module_new(vm, name);
    vm_push_root(vm, OBJ_VAL(m));
    dict_set_str(vm, m->globals, vm->s_module_name, OBJ_VAL(name));
    dict_set_str(vm, m->globals, vm->s_file, OBJ_VAL(str_from_c(vm, path)));
    dict_set_cstr(vm, m->globals, "__builtins__", OBJ_VAL(vm->builtins));
    dict_set_str(vm, vm->modules, name, OBJ_VAL(m));
    ObjCode *code = vm_compile_source(vm, path, text, length);
    free(text);
    free(path);
    Value ignored;
    bool ok = code != NULL;
    if (ok) {
        vm_push_root(vm, OBJ_VAL(code));
        ok = vm_run_code(vm, code, m->globals, &ignored);
        vm_pop_root(vm);
    }
    if (!ok) {
        Value exc = vm->exception;
        vm_push_root(vm, exc);
        dict_delete(vm, vm->modules, OBJ_VAL(name), NULL);
        vm_pop_root(vm);
        vm->exception = exc;
        vm_pop_root(vm);
        return false;
    }
    vm_pop_root(vm);
    *out = OBJ_VAL(m);
    return true;
}

// Imports every prefix of a dotted name, binding each child as an attribute of its parent.
// *leaf is the last module, *top the first.
static bool import_dotted(Vm *vm, ObjStr *name, Value *top, Value *leaf) {
    const char *s = name->chars;
    Value parent = EMPTY_VAL();
    *top = EMPTY_VAL();
    size_t start = 0;
    for (size_t i = 0;; i++) {
        if (s[i] == '.' || s[i] == 0) {
            ObjStr *prefix = str_intern(vm, s, i);
            Value m;
            if (!load_module(vm, prefix, &m)) return false;
            if (IS_EMPTY(*top)) {
                *top = m;
                vm_push_root(vm, *top);
            } else if (IS_MODULE(parent)) {
                ObjStr *last = str_intern(vm, s + start, i - start);
                vm_push_root(vm, m);
                dict_set_str(vm, AS_MODULE(parent)->globals, last, m);
                vm_pop_root(vm);
            }
            parent = m;
            start = i + 1;
            if (s[i] == 0) break;
        }
    }
    vm_pop_root(vm);
    *leaf = parent;
    return true;
}

bool import_module(Vm *vm, ObjStr *name, Value *out) {
    Value top;
    return import_dotted(vm, name, &top, out);
}

bool import_name(Vm *vm, ObjStr *name, Value fromlist, Value *out) {
    if (name->length == 0) return vm_raise(vm, vm->ImportError, "relative imports are not supported by aio");
    Value top, leaf;
    if (!import_dotted(vm, name, &top, &leaf)) return false;
    *out = IS_NONE(fromlist) ? top : leaf;
    return true;
}

bool import_from(Vm *vm, Value module, ObjStr *name, Value *out) {
    int r = vm_getattr_opt(vm, module, name, out);
    if (r < 0) return false;
    if (r == 1) return true;
    if (IS_MODULE(module)) {
        // from package import submodule
        ObjStr *full = str_printf(vm, "%s.%s", AS_MODULE(module)->name->chars, name->chars);
        vm_push_root(vm, OBJ_VAL(full));
        char *path = find_source(vm, full->chars);
        bool builtin = builtin_module(full->chars) != NULL;
        if (path || builtin) {
            free(path);
            Value leaf;
            bool ok = import_module(vm, full, &leaf);
            vm_pop_root(vm);
            if (ok) *out = leaf;
            return ok;
        }
        vm_pop_root(vm);
        Value file = dict_get_str(AS_MODULE(module)->globals, vm->s_file);
        return vm_raise_obj(vm, vm->ImportError,
                            OBJ_VAL(str_printf(vm, "cannot import name '%s' from '%s' (%s)", name->chars,
                                               AS_MODULE(module)->name->chars,
                                               IS_STR(file) ? AS_STR(file)->chars : "unknown location")));
    }
    return vm_raise(vm, vm->ImportError, "cannot import name '%s'", name->chars);
}

bool import_star(Vm *vm, Value module, ObjDict *into) {
    if (!IS_MODULE(module)) return vm_raise(vm, vm->ImportError, "import * from a non-module");
    ObjDict *g = AS_MODULE(module)->globals;
    Value all = dict_get_str(g, str_from_c(vm, "__all__"));
    if (IS_LIST(all) || IS_TUPLE(all)) {
        ObjList *names = vm_list_from_iterable(vm, all);
        if (!names) return false;
        vm_push_root(vm, OBJ_VAL(names));
        for (size_t i = 0; i < names->count; i++) {
            if (!IS_STR(names->items[i])) continue;
            Value v = dict_get_str(g, AS_STR(names->items[i]));
            if (IS_EMPTY(v)) {
                vm_pop_root(vm);
                return vm_raise(vm, vm->AttributeError, "module '%s' has no attribute '%s'",
                                AS_MODULE(module)->name->chars, AS_STR(names->items[i])->chars);
            }
            dict_set(vm, into, names->items[i], v);
        }
        vm_pop_root(vm);
        return true;
    }
    size_t pos = 0;
    Value k, v;
    while (dict_next(g, &pos, &k, &v))
        if (IS_STR(k) && AS_STR(k)->chars[0] != '_') dict_set(vm, into, k, v);
    return true;
}
