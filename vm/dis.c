/* The disassembler behind `aio --dis`: every code object, one instruction a line.
 *
 * Columns as CPython's dis: source line (when it changes), offset, opcode name, argument, and in
 * parentheses what the argument means (a constant's repr, a name, a jump target).  Nested code
 * objects (functions, classes, comprehensions) follow their parent, as `python3 -m dis` prints them.
 */
#include "dis.h"

#include "ast.h"
#include "opcodes.h"
#include "runtime.h"

static const char *const op_names[] = {
#define OP_NAME(name, effect) #name,
    OPCODES(OP_NAME)
#undef OP_NAME
};

static bool is_jump_op(OpCode op) {
    return op == OP_JUMP || op == OP_POP_JUMP_IF_FALSE || op == OP_POP_JUMP_IF_TRUE ||
           op == OP_POP_JUMP_IF_NONE || op == OP_JUMP_IF_FALSE_OR_POP || op == OP_JUMP_IF_TRUE_OR_POP ||
           op == OP_FOR_ITER || op == OP_SEND || op == OP_SETUP_FINALLY || op == OP_SETUP_WITH;
}

static void describe(Vm *vm, ObjCode *code, OpCode op, uint32_t arg, FILE *out) {
    switch (op) {
    case OP_LOAD_CONST:
    case OP_KW_NAMES: {
        Value v = code->constants[arg];
        if (IS_CODE(v)) {
            fprintf(out, "(<code object %s, line %d>)", AS_CODE(v)->name->chars, AS_CODE(v)->firstline);
            return;
        }
        ObjStr *r = vm_repr(vm, v);
        if (r) fprintf(out, "(%s)", r->chars);
        else vm_clear_exception(vm);
        return;
    }
    case OP_LOAD_FAST:
    case OP_STORE_FAST:
    case OP_DELETE_FAST: fprintf(out, "(%s)", code->varnames[arg]->chars); return;
    case OP_LOAD_DEREF:
    case OP_STORE_DEREF:
    case OP_DELETE_DEREF:
    case OP_LOAD_CLOSURE:
    case OP_LOAD_CLASSDEREF: fprintf(out, "(%s)", code->cellnames[arg]->chars); return;
    case OP_LOAD_GLOBAL:
    case OP_STORE_GLOBAL:
    case OP_DELETE_GLOBAL:
    case OP_LOAD_NAME:
    case OP_STORE_NAME:
    case OP_DELETE_NAME:
    case OP_LOAD_ATTR:
    case OP_STORE_ATTR:
    case OP_DELETE_ATTR:
    case OP_LOAD_METHOD:
    case OP_IMPORT_NAME:
    case OP_IMPORT_FROM: fprintf(out, "(%s)", code->names[arg]->chars); return;
    case OP_BINARY_OP:
        fprintf(out, "(%s%s)", ast_op_name((int)(arg & 127)), arg >= 128 ? "=" : "");
        return;
    case OP_COMPARE_OP: fprintf(out, "(%s)", ast_op_name((int)arg)); return;
    default:
        if (is_jump_op(op)) fprintf(out, "(to %u)", arg);
        return;
    }
}

void dis_code(Vm *vm, ObjCode *code, FILE *out) {
    fprintf(out, "Disassembly of <code object %s, file \"%s\", line %d>:\n", code->qualname->chars,
            code->filename->chars, code->firstline);
    int last_line = -1;
    for (size_t i = 0; i < code->nwords; i++) {
        uint32_t w = code->words[i];
        OpCode op = (OpCode)(w & 0xFF);
        uint32_t arg = w >> 8;
        if (code->lines[i] != last_line) {
            if (last_line != -1) fputc('\n', out);
            fprintf(out, "%4d ", code->lines[i]);
            last_line = code->lines[i];
        } else {
            fputs("     ", out);
        }
        fprintf(out, "%6zu %-22s", i, op < OP__COUNT ? op_names[op] : "???");
        bool has_arg = op != OP_NOP && op != OP_POP_TOP && op != OP_PUSH_NULL && op != OP_RETURN_VALUE &&
                       op != OP_GET_ITER && op != OP_BINARY_SUBSCR && op != OP_STORE_SUBSCR &&
                       op != OP_POP_BLOCK && op != OP_POP_EXCEPT && op != OP_PUSH_EXC_INFO;
        if (has_arg) {
            fprintf(out, " %-5u ", arg);
            describe(vm, code, op, arg, out);
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < code->nconstants; i++)
        if (IS_CODE(code->constants[i])) {
            fputc('\n', out);
            dis_code(vm, AS_CODE(code->constants[i]), out);
        }
}
