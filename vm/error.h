/* Raising and printing exceptions: the parts of the error protocol beyond vm.h's vm_raise*. */
#ifndef AIO_ERROR_H
#define AIO_ERROR_H

#include "parse.h"
#include "strbuf.h"
#include "vm.h"

// Turns a front-end error record into a pending SyntaxError / IndentationError.
bool raise_syntax_error(Vm *vm, const char *filename, const char *text, const SyntaxErr *err);
// `raise exc from cause` (cause EMPTY when there is no `from`).
bool raise_with_cause(Vm *vm, Value exc, Value cause);
// The source text of a line, stripped (malloc'ed; NULL when unavailable).
char *source_line(const char *filename, int line);
// The exception an except/finally block is handling, or None.
Value vm_current_handled(Vm *vm);
// What vm_print_exception prints, into a buffer, for the traceback module: the whole report
// (with the chained exceptions when chain), the "Traceback (most recent call last):" block
// alone, or the last line ("Type: message").
void vm_format_exception(Vm *vm, Value exc, bool chain, StrBuf *out);
void vm_format_traceback(ObjException *e, StrBuf *out);
void vm_format_exception_only(Vm *vm, Value exc, StrBuf *out);

// The OSError subclass for an errno value (ConnectionRefusedError for ECONNREFUSED, ...), or
// OSError itself: the one table for files, os, socket and the event loop.
ObjClass *exception_class_for_errno(Vm *vm, int err);

#endif
