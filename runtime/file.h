/* Files from C (runtime/file.c).
 */
#ifndef AIO_FILE_H
#define AIO_FILE_H

#include "vm.h"

bool file_write_str(Vm *vm, Value file, ObjStr *s); // file.write(s) on any object with write()

#endif
