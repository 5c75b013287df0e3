/* The unicodedata module, its character names only: name(), lookup() and unidata_version, read
 * from the tables of base/unicode_names.c (the Unicode 14.0 of CPython 3.11).  lookup() takes
 * names and their aliases; the named sequences CPython also accepts there are not stored.
 */
#include "modinit.h"

#include <string.h>

#include "unicode.h"
#include "unicode_names.h"

#define LOOKUP_NAME_MAX 256 // CPython refuses longer names before looking

static bool unicodedata_name(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (kwnames && kwnames->count)
        return vm_raise(vm, vm->TypeError, "unicodedata.name() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return vm_raise(vm, vm->TypeError, "name expected %s, got %d",
                        nargs < 1 ? "at least 1 argument" : "at most 2 arguments", nargs);
    if (!IS_STR(args[0]) || AS_STR(args[0])->nchars != 1)
        return vm_raise(vm, vm->TypeError, "name() argument 1 must be a unicode character, not %s",
                        arg_type_name(vm, args[0]));
    size_t pos = 0;
    char buf[UNICODE_NAME_MAX];
    int n = unicode_name_of_code(uni_next(AS_STR(args[0])->chars, AS_STR(args[0])->length, &pos), buf);
    if (n < 0) return vm_raise_memory_error(vm);
    if (n == 0) {
        if (nargs == 2) {
            *result = args[1];
            return true;
        }
        return vm_raise(vm, vm->ValueError, "no such name");
    }
    ObjStr *s = str_new(vm, buf, (size_t)n);
    *result = OBJ_VAL(s);
    return true;
}

static bool unicodedata_lookup(Vm *vm, Value *args, int nargs, ObjTuple *kwnames, Value *result) {
    if (!check_args(vm, "unicodedata.lookup", nargs, kwnames, 1, 1)) return false;
    ByteSpan name;
    if (IS_STR(args[0])) {
        name.data = (const unsigned char *)AS_STR(args[0])->chars;
        name.length = AS_STR(args[0])->length;
    } else if (IS_BYTEARRAY(args[0])) {
        return vm_raise(vm, vm->TypeError, "lookup() argument must be read-only bytes-like object, not bytearray");
    } else if (!bytes_like_or_raise(vm, args[0], &name)) {
        return false;
    }
    if (name.length > LOOKUP_NAME_MAX) {
        ObjStr *msg = str_from_c(vm, "name too long");
        return vm_raise_obj(vm, vm->KeyError, OBJ_VAL(msg));
    }
    int32_t code = unicode_code_of_name((const char *)name.data, name.length);
    if (code == UNICODE_NAMES_NO_MEMORY) return vm_raise_memory_error(vm);
    if (code < 0) {
        StrBuf sb;
        sb_init(&sb);
        sb_printf(&sb, "undefined character name '%.*s'", (int)name.length, (const char *)name.data);
        ObjStr *msg = str_from_buf(vm, &sb);
        return vm_raise_obj(vm, vm->KeyError, OBJ_VAL(msg));
    }
    char utf8[4];
    int n = uni_encode((uint32_t)code, utf8);
    *result = OBJ_VAL(str_new(vm, utf8, (size_t)n));
    return true;
}

ObjModule *mod_unicodedata_init(Vm *vm) {
    ObjModule *m = mod_new(vm, "unicodedata");
    vm_push_root(vm, OBJ_VAL(m));
    define_native(vm, m->globals, "name", unicodedata_name);
    define_native(vm, m->globals, "lookup", unicodedata_lookup);
    mod_set(vm, m, "unidata_version", OBJ_VAL(str_from_c(vm, "14.0.0")));
    vm_pop_root(vm);
    return m;
}
