/* The out-of-line work of the longer instructions (vm/instr.c), for the dispatch loop in vm.c
 * only: each function is one instruction's work, or the slow path of one, taken out of run() so
 * that the loop reads as a table of short cases.  None sees the loop's registers: each takes what
 * it needs (the frame's saved sp is current whenever one can allocate or raise) and returns what
 * the case needs to go on.  All return false (or a negative count) with the exception pending.
 */
#ifndef AIO_INSTR_H
#define AIO_INSTR_H

#include "frame.h"

// LOAD_FAST / DELETE_FAST of an empty slot, LOAD_DEREF of an empty cell.
bool instr_raise_unbound_local(Vm *vm, ObjCode *code, uint32_t slot);
bool instr_raise_unbound_cell(Vm *vm, ObjCode *code, int i);
// LOAD_GLOBAL when its cache does not hold: the globals, then the builtins; refills the cache.
bool instr_load_global_slow(Vm *vm, ObjDict *globals, LookupCache *cache, ObjStr *name, Value *out);
// LOAD_NAME: the frame's namespace dict, the globals, the builtins.
bool instr_load_name(Vm *vm, Frame *frame, ObjStr *name, Value *out);
// DELETE_NAME / DELETE_GLOBAL: a missing name is a NameError.
bool instr_delete_name(Vm *vm, ObjDict *ns, ObjStr *name);
// UNPACK_SEQUENCE / UNPACK_EX: seq's items into dest, in the order the targets pop them.
bool instr_unpack_sequence(Vm *vm, Value seq, int before, int after, bool star, Value *dest);
// CHECK_EXC_MATCH: exc is an instance of type, or of one of the classes of a (nested) tuple.
bool instr_exception_matches(Vm *vm, Value exc, Value type);
// `except T` and `except* T`: T must be an exception class or a tuple of them.
bool instr_check_except_type(Vm *vm, Value type);
// A bare `raise`: the exception being handled becomes the pending one again.
bool instr_take_handled_exception(Vm *vm);
// BUILD_SET and BUILD_MAP from n values (n key, value pairs) laid out in items.
bool instr_build_set(Vm *vm, const Value *items, int n, Value *out);
bool instr_build_map(Vm *vm, const Value *items, int n, Value *out);
// LIST_EXTEND: list.extend(it) for a * in a display, or in a call when callee is not EMPTY (the
// call's only *args, whose error message names the callee).
bool instr_list_extend(Vm *vm, ObjList *list, Value it, Value callee);
// DICT_UPDATE ({**m}) and DICT_MERGE (f(**m), for_call) add the mapping in *src_slot to d.
bool instr_merge_mapping(Vm *vm, ObjDict *d, Value *src_slot, bool for_call, Value callee);
// GET_AITER and the first half of GET_ANEXT (`async for`).
bool instr_get_aiter(Vm *vm, Value v, Value *out);
bool instr_call_anext(Vm *vm, Value it, Value *out);

#endif
