/* The disassembler (`aio --dis`): prints Code objects as CPython's dis module does. */
#ifndef AIO_DIS_H
#define AIO_DIS_H

#include "vm.h"

void dis_code(Vm *vm, ObjCode *code, FILE *out);

#endif
