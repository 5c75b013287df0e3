/* Raising and printing exceptions (vm/error.c).
 *
 * Errors follow one rule: a C function that can fail returns false (or NULL) and leaves the
 * exception in vm->exception; its caller checks and propagates.  There is no setjmp/longjmp.
 */
#ifndef AIO_ERROR_H
#define AIO_ERROR_H

#include "object.h"
#include "source.h"
#include "strbuf.h"

// ---- raising -----------------------------------------------------------------------------------
// All return false, so `return vm_raise(...)` reads naturally in a native.
bool vm_raise(Vm *vm, ObjClass *cls, const char *fmt, ...);
bool vm_raise_value(Vm *vm, Value exc); // an exception instance or class
bool vm_raise_memory_error(Vm *vm);      // never allocates
bool vm_raise_obj(Vm *vm, ObjClass *cls, Value arg);  // cls(arg), e.g. KeyError(key)
bool vm_exception_matches(Vm *vm, ObjClass *cls);     // is the pending exception a cls?
void vm_clear_exception(Vm *vm);
// Prints an exception with its traceback and chained causes, as CPython does, to stderr.
void vm_print_exception(Vm *vm, Value exc);
// What CPython prints for an error in a finalizer run at shutdown: the traceback's entries
// without source lines, and no chained exceptions.
void vm_print_exception_brief(Vm *vm, Value exc);

// Turns a front-end error record into a pending SyntaxError / IndentationError.
bool vm_raise_syntax_error(Vm *vm, const char *filename, const char *text, const SyntaxErr *err);
// `raise exc from cause` (cause EMPTY when there is no `from`).
bool vm_raise_with_cause(Vm *vm, Value exc, Value cause);
// The source text of a line, stripped (malloc'ed; NULL when unavailable).
char *vm_source_line(const char *filename, int line);
// What vm_print_exception prints, into a buffer, for the traceback module: the whole report
// (with the chained exceptions when chain), the "Traceback (most recent call last):" block
// alone, or the last line ("Type: message").
void vm_format_exception(Vm *vm, Value exc, bool chain, StrBuf *out);
void vm_format_traceback(ObjException *e, StrBuf *out);
void vm_format_exception_only(Vm *vm, Value exc, StrBuf *out);

// The OSError subclass for an errno value (ConnectionRefusedError for ECONNREFUSED, ...), or
// OSError itself: the one table for files, os, socket and the event loop.
ObjClass *vm_exception_class_for_errno(Vm *vm, int err);

#endif
