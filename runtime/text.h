/* text: what the files behind str, bytes and formatting share with each other.
 *
 * str.c (the str class), str_case.c (case mapping and character predicates), text.c (the methods
 * str and bytes have in common: searching, splitting, stripping, padding...), bytes.c, codec.c
 * (encoding and decoding), format.c (format(), str.format, f-strings) and percent.c (`%`).
 * runtime.h holds what the rest of the runtime may call; this header is for these files only.
 *
 * A str holds UTF-8 (see ObjStr): byte offsets and character indices coincide when the string is
 * ASCII (length == nchars); otherwise converting between them walks the bytes.  Because UTF-8 is
 * self-synchronising, a byte-level match of one str inside another always starts on a character
 * boundary, so the search algorithms here work on bytes for both types.
 */
#ifndef AIO_TEXT_H
#define AIO_TEXT_H

#include "runtime.h"

// ---- str helpers (str.c) ------------------------------------------------------------------------

// Byte offset of character index i (0 <= i <= nchars).
size_t str_offset(ObjStr *s, size_t i);
// A 1-character str for code point c (interned for ASCII).
ObjStr *str_from_code_point(Vm *vm, uint32_t c);
// The result of str() on a str: s itself, or a plain copy when s is a str subclass instance.
ObjStr *str_exact(Vm *vm, ObjStr *s);
// Appends repr() (ascii=false) or ascii() (ascii=true) of a str.
void str_repr_to(ObjStr *s, bool ascii, StrBuf *out);
// ascii(v): repr with every non-ASCII character escaped.  NULL with an exception pending.
ObjStr *str_ascii_of(Vm *vm, Value v);

// ---- shared methods (text.c) --------------------------------------------------------------------

// CPython words a wrong argument count three ways, depending on how each method was written:
//   ARGS_METHOD  "str.upper() takes no arguments (1 given)", "str.join() takes exactly one ..."
//   ARGS_CLINIC  "center expected at least 1 argument, got 0" (keywords: "str.center() takes no
//                keyword arguments")
//   ARGS_LEGACY  "find() takes at least 1 argument (0 given)"
typedef enum { ARGS_METHOD, ARGS_CLINIC, ARGS_LEGACY } ArgStyle;
// Checks a positional-only method's arguments (nargs excludes self) and raises the right words.
bool text_check_args(Vm *vm, Value self, const char *name, ArgStyle style, int nargs,
                     ObjTuple *kwnames, int min, int max);

// Adds the methods str and bytes share (find, split, strip, replace, join, center, ...) to cls;
// each native looks at the kind of self to know which of the two it is serving.
void text_define_methods(Vm *vm, ObjClass *cls);
// Adds str's case mappings and predicates (str_case.c).
void str_define_case_methods(Vm *vm, ObjClass *cls);
// Gathers an iterable's items for a method that reads them without running code: a list's or
// tuple's own array, or else a fresh list filled by iteration.  *holder owns the array; the
// caller keeps it rooted while using *items.  When iter() fails with a TypeError its message is
// replaced by `what` ("can only join an iterable"), as CPython does.
bool text_gather(Vm *vm, Value iterable, const char *what, Value *holder, Value **items, size_t *n);

// ---- bytes and bytearray (bytes.c) -------------------------------------------------------------

// Appends what bytes(src, encoding, errors) / bytearray(...) hold: nothing, n zero bytes, a str
// encoded, a bytes-like object's bytes, or the ints of an iterable.  type_name ("bytes",
// "bytearray") words the errors.  False with an exception pending (out is left to the caller).
bool bytes_fill_from(Vm *vm, const char *type_name, Value src, Value encoding, Value errors,
                     StrBuf *out);
// Adds to cls (bytes or bytearray) the methods the two share.
void bytes_define_shared_methods(Vm *vm, ObjClass *cls);
// <0, 0, >0 as a sorts before, with or after b (byte order, then length).
int bytes_compare_spans(ByteSpan a, ByteSpan b);

// ---- codecs (codec.c) ---------------------------------------------------------------------------

// str.encode / bytes.decode for utf-8, ascii and latin-1 and their aliases; `encoding` and
// `errors` may be NULL for the defaults ('utf-8', 'strict').  Errors: LookupError for an unknown
// codec or handler, UnicodeEncodeError / UnicodeDecodeError with CPython's messages.
ObjBytes *codec_encode(Vm *vm, ObjStr *s, ObjStr *encoding, ObjStr *errors);
ObjStr *codec_decode(Vm *vm, const unsigned char *data, size_t len, ObjStr *encoding,
                     ObjStr *errors);

// ---- formatting (format.c, percent.c) -----------------------------------------------------------

// Registers format() and str.format / str.format_map / str.__format__.
void format_define(Vm *vm, ObjClass *str_class);
// bytes % args (percent.c); fmt % args for str is str_percent_format in runtime.h.
ObjBytes *bytes_percent_format(Vm *vm, ObjBytes *fmt, Value args);

#endif
