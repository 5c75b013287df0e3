/* Files from C (runtime/file.c).
 */
#ifndef AIO_FILE_H
#define AIO_FILE_H

#include "vm.h"

bool file_write_str(Vm *vm, Value file, ObjStr *s); // file.write(s) on any object with write()

// socket.makefile's file: buffered over a copy of descriptor fd, text unless binary; its name
// and fileno() are fd.  NULL with OSError pending when the copy cannot be made.
ObjFile *file_over_descriptor(Vm *vm, int fd, bool reading, bool writing, bool binary);

#endif
