/* Bytes-like objects: reading bytes, bytearray and memoryview alike (runtime/memoryview.c), and
 * growing a bytearray from C (runtime/bytearray.c).
 */
#ifndef AIO_BYTES_LIKE_H
#define AIO_BYTES_LIKE_H

#include "strbuf.h"
#include "vm.h"

// Bytes borrowed from a bytes-like object: valid until the program next resizes a bytearray (so
// until the next call back into Python code, not across an allocation, which moves nothing).
typedef struct {
    const unsigned char *data;
    size_t length;
} ByteSpan;

// The one way to read "a bytes-like object": 1 with *out set for bytes, bytearray and a
// contiguous memoryview; 0 when v is none of those (nothing raised); -1 with ValueError raised
// for a released memoryview or BufferError for a strided one.  vm may be NULL when v is known to
// be bytes or a bytearray.
int bytes_like(Vm *vm, Value v, ByteSpan *out);
// The same where a bytes-like object is required: TypeError "a bytes-like object is required,
// not 'T'" when v is not one.
bool bytes_like_or_raise(Vm *vm, Value v, ByteSpan *out);
// The same for a buffer a function fills in place (readinto, recv_into): 1 for a bytearray or a
// writable contiguous memoryview (out->data may then be written, out->length bytes), 0 for
// anything else (bytes, a read-only view), -1 with ValueError raised for a released view.
int bytes_like_writable(Vm *vm, Value v, ByteSpan *out);
// Appends a view's bytes (of any step) to out; false with an exception pending when released.
bool memoryview_copy_into(Vm *vm, ObjMemoryView *view, StrBuf *out);

// A new bytearray holding a copy of the n bytes at p (p may be NULL when n is 0).
ObjByteArray *bytearray_new(Vm *vm, const void *p, size_t n);
// Appends n bytes to a bytearray (p must not point into b); false with BufferError (a view
// holds it) or MemoryError raised.
bool bytearray_append(Vm *vm, ObjByteArray *b, const void *p, size_t n);
// Removes the first n bytes (n <= length) in O(1); false with BufferError raised.
bool bytearray_consume(Vm *vm, ObjByteArray *b, size_t n);
static inline unsigned char *bytearray_bytes(ObjByteArray *b) {
    return b->data ? b->data + b->start : (unsigned char *)"";
}

#endif
