/* str and bytes as the rest of the runtime uses them: reprs (runtime/str.c, runtime/bytes.c),
 * formatting (runtime/format.c, runtime/percent.c) and indexing (runtime/str.c).  What the text
 * files share among themselves is in text.h.
 */
#ifndef AIO_STR_H
#define AIO_STR_H

#include "strbuf.h"
#include "vm.h"

// Appends repr(str) with CPython's quoting and escapes.
void str_repr_into(ObjStr *s, StrBuf *out);
void bytes_repr_into(const unsigned char *data, size_t n, StrBuf *out);
// Formats v with a format spec (format(v, spec)).
ObjStr *format_value(Vm *vm, Value v, ObjStr *spec);
// FORMAT_VALUE's work (through vm_hooks): conversion 0 none, 1 str, 2 repr, 3 ascii; spec EMPTY
// or a str.
bool format_for_fstring(Vm *vm, Value v, int conversion, Value spec, Value *out);
ObjStr *str_percent_format(Vm *vm, ObjStr *fmt, Value args); // fmt % args
bool str_getitem(Vm *vm, ObjStr *s, Value key, Value *out);

#endif
