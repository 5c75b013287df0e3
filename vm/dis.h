/* The disassembler (`aio --dis`): prints Code objects as CPython's dis module does. */
#ifndef AIO_DIS_H
#define AIO_DIS_H

#include "vm.h"

void dis_code(Vm *vm, ObjCode *code, FILE *out);
// One instruction of code (the word at index `at`): offset, name, argument and its meaning, and a
// newline.  dis_code prints the line number and jump-target columns before it.  `brief` shows
// constants with dis_brief_value instead of their repr, for the instruction trace.
void dis_instruction(Vm *vm, ObjCode *code, size_t at, bool brief, FILE *out);
// A short form of a value for the instruction trace: immediates and strings (cut at 40
// characters) as their repr, other objects by kind and name.  It runs no __repr__ and allocates
// no object, so printing cannot run program code or start a collection.
void dis_brief_value(Vm *vm, Value v, FILE *out);

#endif
