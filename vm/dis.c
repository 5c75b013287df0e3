/* The disassembler behind `aio --dis`: every code object, one instruction a line.
 *
 * Columns as CPython's dis: source line (when it changes), `>>` on instructions some jump
 * targets, offset (in words), opcode name, argument, and in parentheses what the argument means
 * (a constant's repr, a name, a jump target).  Which arguments mean what comes from the kind
 * column of opcodes.h; instructions without an argument print none.  Nested code objects
 * (functions, classes, comprehensions) follow their parent, as `python3 -m dis` prints them.
 * The instruction trace of the VM (make VARIANT=trace) prints its lines with dis_instruction too.
 */
#include "dis.h"

#include <stdlib.h>
#include <string.h>

#include "opcodes.h"
#include "dict.h"
#include "hooks.h"

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

void dis_brief_value(Vm *vm, Value v, FILE *out) {
    StrBuf sb;
    switch (v.tag) {
    case VAL_NONE: fputs("None", out); return;
    case VAL_EMPTY: fputs("<empty>", out); return;
    case VAL_BOOL: fputs(AS_BOOL(v) ? "True" : "False", out); return;
    case VAL_INT: fprintf(out, "%lld", (long long)AS_INT(v)); return;
    case VAL_FLOAT:
        sb_init(&sb);
        vm_hooks.float_repr_into(AS_FLOAT(v), &sb);
        fprintf(out, "%.*s", (int)sb.length, sb.data ? sb.data : "");
        sb_free(&sb);
        return;
    case VAL_OBJ: break;
    }
    if (IS_STR(v)) {
        sb_init(&sb);
        vm_hooks.str_repr_into(AS_STR(v), &sb);
        if (sb.length > 40) fprintf(out, "%.36s...%c", sb.data, sb.data[sb.length - 1]);
        else fprintf(out, "%.*s", (int)sb.length, sb.data ? sb.data : "");
        sb_free(&sb);
    } else if (IS_FUNCTION(v)) {
        fprintf(out, "<function %s>", AS_FUNCTION(v)->qualname->chars);
    } else if (IS_CLASS(v)) {
        fprintf(out, "<class '%s'>", AS_CLASS(v)->name->chars);
    } else if (IS_CODE(v)) {
        fprintf(out, "<code object %s, line %d>", AS_CODE(v)->name->chars, AS_CODE(v)->firstline);
    } else if (IS_NATIVE(v)) {
        fprintf(out, "<built-in %s>", AS_NATIVE(v)->name->chars);
    } else {
        fprintf(out, "<%s>", vm_type_name(vm, v));
    }
}

// The parenthesised meaning of an argument, by its kind; nothing for plain numbers.  `brief`:
// constants by dis_brief_value rather than by their repr.
static void describe(Vm *vm, ObjCode *code, OpCode op, uint32_t arg, bool brief, FILE *out) {
    switch (op_arg_kind(op)) {
    case ARG_CONST: {
        Value v = code->constants[arg];
        if (IS_CODE(v)) {
            fprintf(out, " (<code object %s, line %d>)", AS_CODE(v)->name->chars, AS_CODE(v)->firstline);
            return;
        }
        if (brief) {
            fputs(" (", out);
            dis_brief_value(vm, v, out);
            fputc(')', out);
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

void dis_instruction(Vm *vm, ObjCode *code, size_t at, bool brief, FILE *out) {
    uint32_t w = code->words[at];
    OpCode op = (OpCode)(w & 0xFF);
    uint32_t arg = w >> 8;
    fprintf(out, "%5zu %s", at, op < OP__COUNT ? op_names[op] : "???");
    if (op < OP__COUNT && op_arg_kind(op) != ARG_NONE) {
        // name padded to 20 columns, then the argument right-aligned in 5, as CPython's dis
        int name_len = (int)strlen(op_names[op]);
        fprintf(out, "%*s %5u", name_len < 20 ? 20 - name_len : 0, "", arg);
        describe(vm, code, op, arg, brief, out);
    }
    fputc('\n', out);
}

void dis_code(Vm *vm, ObjCode *code, FILE *out) {
    fprintf(out, "Disassembly of <code object %s, file \"%s\", line %d>:\n", code->qualname->chars,
            code->filename->chars, code->firstline);
    bool *is_target = find_jump_targets(code);
    int last_line = -1;
    for (size_t i = 0; i < code->nwords; i++) {
        if (code->lines[i] != last_line) {
            if (last_line != -1) fputc('\n', out);
            fprintf(out, "%4d", code->lines[i]);
            last_line = code->lines[i];
        } else {
            fputs("    ", out);
        }
        fprintf(out, "   %s ", is_target[i] ? ">>" : "  ");
        dis_instruction(vm, code, i, false, out);
    }
    free(is_target);
    for (size_t i = 0; i < code->nconstants; i++)
        if (IS_CODE(code->constants[i])) {
            fputc('\n', out);
            dis_code(vm, AS_CODE(code->constants[i]), out);
        }
}
