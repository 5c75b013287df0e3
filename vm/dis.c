/* The disassembler behind `aio --dis`: every code object, one instruction a line.
 *
 * Columns as CPython's dis: source line (when it changes), `>>` on instructions some jump
 * targets, offset (in words), opcode name, argument, and in parentheses what the argument means
 * (a constant's repr, a name, a jump target).  Which arguments mean what comes from the kind
 * column of opcodes.h; instructions without an argument print none.  Nested code objects
 * (functions, classes, comprehensions) follow their parent, as `python3 -m dis` prints them.
 */
#include "dis.h"

#include <stdlib.h>
#include <string.h>

#include "opcodes.h"
#include "dict.h"

static const char *const op_names[] = {
#define OP_NAME(name, ...) #name,
    OPCODES(OP_NAME)
#undef OP_NAME
};

// How `python3 -m dis` shows BINARY_OP's and COMPARE_OP's arguments.
static const char *const binop_symbols[BINOP_INPLACE] = {
    [BINOP_ADD] = "+",      [BINOP_SUB] = "-",     [BINOP_MUL] = "*",     [BINOP_MATMUL] = "@",
    [BINOP_DIV] = "/",      [BINOP_FLOORDIV] = "//", [BINOP_MOD] = "%",   [BINOP_POW] = "**",
    [BINOP_LSHIFT] = "<<",  [BINOP_RSHIFT] = ">>", [BINOP_BITOR] = "|",   [BINOP_BITXOR] = "^",
    [BINOP_BITAND] = "&",
};
static const char *const compare_symbols[] = {
    [CMP_LT] = "<", [CMP_LE] = "<=", [CMP_EQ] = "==", [CMP_NE] = "!=", [CMP_GT] = ">", [CMP_GE] = ">=",
};

// The parenthesised meaning of an argument, by its kind; nothing for plain numbers.
static void describe(Vm *vm, ObjCode *code, OpCode op, uint32_t arg, FILE *out) {
    switch (op_arg_kind(op)) {
    case ARG_CONST: {
        Value v = code->constants[arg];
        if (IS_CODE(v)) {
            fprintf(out, " (<code object %s, line %d>)", AS_CODE(v)->name->chars, AS_CODE(v)->firstline);
            return;
        }
        ObjStr *r = vm_repr(vm, v);
        if (r) fprintf(out, " (%s)", r->chars);
        else vm_clear_exception(vm);
        return;
    }
    case ARG_LOCAL: fprintf(out, " (%s)", code->varnames[arg]->chars); return;
    case ARG_CELL: fprintf(out, " (%s)", code->cellnames[arg]->chars); return;
    case ARG_NAME: fprintf(out, " (%s)", code->names[arg]->chars); return;
    case ARG_JUMP: fprintf(out, " (to %u)", arg); return;
    case ARG_BINOP:
        if (binop_plain((int)arg) < BINOP_INPLACE)
            fprintf(out, " (%s%s)", binop_symbols[binop_plain((int)arg)], binop_is_inplace((int)arg) ? "=" : "");
        return;
    case ARG_CMPOP:
        if (arg <= CMP_GE) fprintf(out, " (%s)", compare_symbols[arg]);
        return;
    case ARG_NUM:
    case ARG_NONE: return;
    }
}

// Marks every word some instruction jumps to (or names as its exception handler).
static bool *find_jump_targets(ObjCode *code) {
    bool *target = calloc(code->nwords + 1, sizeof(bool));
    if (!target) abort();
    for (size_t i = 0; i < code->nwords; i++) {
        uint32_t w = code->words[i];
        if (op_is_jump((OpCode)(w & 0xFF)) && (w >> 8) <= code->nwords) target[w >> 8] = true;
    }
    return target;
}

void dis_code(Vm *vm, ObjCode *code, FILE *out) {
    fprintf(out, "Disassembly of <code object %s, file \"%s\", line %d>:\n", code->qualname->chars,
            code->filename->chars, code->firstline);
    bool *is_target = find_jump_targets(code);
    int last_line = -1;
    for (size_t i = 0; i < code->nwords; i++) {
        uint32_t w = code->words[i];
        OpCode op = (OpCode)(w & 0xFF);
        uint32_t arg = w >> 8;
        if (code->lines[i] != last_line) {
            if (last_line != -1) fputc('\n', out);
            fprintf(out, "%4d", code->lines[i]);
            last_line = code->lines[i];
        } else {
            fputs("    ", out);
        }
        fprintf(out, "   %s %5zu %s", is_target[i] ? ">>" : "  ", i, op < OP__COUNT ? op_names[op] : "???");
        if (op < OP__COUNT && op_arg_kind(op) != ARG_NONE) {
            // name padded to 20 columns, then the argument right-aligned in 5, as CPython's dis
            int name_len = (int)strlen(op_names[op]);
            fprintf(out, "%*s %5u", name_len < 20 ? 20 - name_len : 0, "", arg);
            describe(vm, code, op, arg, out);
        }
        fputc('\n', out);
    }
    free(is_target);
    for (size_t i = 0; i < code->nconstants; i++)
        if (IS_CODE(code->constants[i])) {
            fputc('\n', out);
            dis_code(vm, AS_CODE(code->constants[i]), out);
        }
}
