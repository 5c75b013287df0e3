/* Files from C (runtime/file.c).
 */
#ifndef AIO_FILE_H
#define AIO_FILE_H

#include "vm.h"

bool file_write_str(Vm *vm, Value file, ObjStr *s); // file.write(s) on any object with write()

// socket.makefile's file: buffered over a copy of descriptor fd, text unless binary; its name
// and fileno() are fd.  timeout is the socket's (< 0 none, 0 non-blocking): see SocketStream.
// NULL with OSError pending when the copy cannot be made.
ObjFile *file_over_descriptor(Vm *vm, int fd, bool reading, bool writing, bool binary, double timeout);

// The state of a socket file's C stream (runtime/socket_stream.c), which stdio reads and writes
// through: a read or write that would block waits up to the socket's timeout.
typedef struct SocketStream {
    int fd;             // the file's own copy of the socket's descriptor (closed with the stream)
    double timeout;     // the socket's timeout when the file was made: < 0 none, 0 non-blocking
    bool timed_out;     // a wait ran out: every read from now on fails (CPython refuses them)
    bool timed_out_now; // ... during the current call: file.c raises TimeoutError and clears it
    bool would_block;   // a non-blocking socket had nothing (or no room): file.c clears it
} SocketStream;

// A C stream over fd with the state above (*out); NULL with errno set on failure.
FILE *socket_stream_open(int fd, const char *mode, double timeout, SocketStream **out);

// A file over descriptor fd itself, which it owns from then on (closing the file closes fd): a
// subprocess.Popen's pipe.  NULL with OSError pending (fd still open).
ObjFile *file_adopt_descriptor(Vm *vm, int fd, bool reading, bool binary);

#endif
