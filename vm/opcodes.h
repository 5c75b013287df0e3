/* The instruction set, written once (Wren's wren_opcodes.h is the model).
 *
 * OP(NAME, stack effect, argument kind).  The stack effect is what the instruction does to the
 * depth of the value stack when it falls through; the compiler uses it to compute a Code's
 * stacksize (for instructions whose effect depends on the argument, the compiler adjusts by hand:
 * they are marked VAR).  The argument kind says what the argument means (ArgKind below): the
 * disassembler prints arguments by it, and the compiler's flow pass finds the jumps by it.
 * Names follow CPython 3.11 where the meaning matches, so `aio --dis` reads side by side with
 * `python3 -m dis`.  Every instruction is one 32-bit word: opcode in the low 8 bits and a 24-bit
 * argument above it.  (CPython uses 16-bit words with EXTENDED_ARG prefixes; a wider word makes
 * every instruction one fixed size, so jumps are patched in place and decoding is one shift.)
 * Jump arguments are absolute word offsets in the code.
 */
#ifndef AIO_OPCODES_H
#define AIO_OPCODES_H

#include <stdbool.h>

#define VAR 0

// The operators as the VM and the runtime know them, apart from the parser's AstOp (the compiler
// maps one to the other).  The numbers are CPython 3.11's, so `aio --dis` prints the same
// arguments as `python3 -m dis`: BinaryOp is CPython's NB_* order (alphabetical by the C name),
// and BINARY_OP's argument is the operator plus BINOP_INPLACE for the augmented form (x += 1 is
// BINARY_OP 13).  CompareOp is CPython's rich-comparison order (Py_LT .. Py_GE).
typedef enum {
    BINOP_ADD, BINOP_BITAND, BINOP_FLOORDIV, BINOP_LSHIFT, BINOP_MATMUL, BINOP_MUL, BINOP_MOD,
    BINOP_BITOR, BINOP_POW, BINOP_RSHIFT, BINOP_SUB, BINOP_DIV, BINOP_BITXOR,
    BINOP_INPLACE, // not an operator: the offset of the in-place forms, and the operator count
} BinaryOp;

static inline bool binop_is_inplace(int arg) { return arg >= BINOP_INPLACE; }
// The plain operator of a BINARY_OP argument (x += y behaves as x + y unless x has __iadd__).
static inline BinaryOp binop_plain(int arg) { return (BinaryOp)(arg >= BINOP_INPLACE ? arg - BINOP_INPLACE : arg); }

typedef enum { CMP_LT, CMP_LE, CMP_EQ, CMP_NE, CMP_GT, CMP_GE } CompareOp;

// The unary operators the runtime's kernels take (UNARY_NEGATIVE, UNARY_POSITIVE, UNARY_INVERT
// instructions; `not` never reaches the runtime).
typedef enum { UNARY_NEG, UNARY_POS, UNARY_INVERT } UnaryOp;


// What an instruction's argument means.
typedef enum {
    ARG_NONE,  // none: always 0
    ARG_NUM,   // a number used as it is: a count, a stack position or flag bits
    ARG_CONST, // an index into code->constants
    ARG_NAME,  // an index into code->names (globals, class-body names, attributes, imports)
    ARG_LOCAL, // a local variable's slot, also its index into code->varnames
    ARG_CELL,  // an index into code->cellnames (the function's cells, then its free variables)
    ARG_JUMP,  // the absolute word offset of the target instruction (aio has no relative jumps)
    ARG_BINOP, // a BinaryOp, plus BINOP_INPLACE for the augmented form (+=)
    ARG_CMPOP, // a CompareOp, one of == != < <= > >=
} ArgKind;

#define OPCODES(OP)                                                                                               \
    OP(NOP, 0, ARG_NONE)                    /* does nothing */                                                    \
    OP(POP_TOP, -1, ARG_NONE)               /* x -> */                                                            \
    OP(PUSH_NULL, 1, ARG_NONE)              /* -> EMPTY (the callable slot of a plain CALL) */                    \
    OP(COPY, 1, ARG_NUM)                    /* arg n: ... x (n-1 others) -> ... x ... x */                        \
    OP(SWAP, 0, ARG_NUM)                    /* arg n: swaps TOS and the n-th item */                              \
    OP(LOAD_CONST, 1, ARG_CONST)            /* arg: constant index */                                             \
    OP(LOAD_FAST, 1, ARG_LOCAL)             /* arg: local slot; unbound raises UnboundLocalError */               \
    OP(STORE_FAST, -1, ARG_LOCAL)                                                                                 \
    OP(DELETE_FAST, 0, ARG_LOCAL)                                                                                 \
    OP(LOAD_DEREF, 1, ARG_CELL)             /* arg: cell index; the cell's content */                             \
    OP(STORE_DEREF, -1, ARG_CELL)                                                                                 \
    OP(DELETE_DEREF, 0, ARG_CELL)                                                                                 \
    OP(LOAD_CLOSURE, 1, ARG_CELL)           /* arg: cell index; the cell itself (to build a closure) */           \
    OP(LOAD_CLASSDEREF, 1, ARG_CELL)        /* arg: cell index; class body: the local dict first, then cell */    \
    OP(LOAD_GLOBAL, 1, ARG_NAME)            /* arg: name index; globals, then builtins */                         \
    OP(STORE_GLOBAL, -1, ARG_NAME)                                                                                \
    OP(DELETE_GLOBAL, 0, ARG_NAME)                                                                                \
    OP(LOAD_NAME, 1, ARG_NAME)              /* class bodies: class dict, globals, builtins */                     \
    OP(STORE_NAME, -1, ARG_NAME)                                                                                  \
    OP(DELETE_NAME, 0, ARG_NAME)                                                                                  \
    OP(LOAD_ATTR, 0, ARG_NAME)              /* arg: name; obj -> obj.name */                                      \
    OP(STORE_ATTR, -2, ARG_NAME)            /* value obj -> */                                                    \
    OP(DELETE_ATTR, -1, ARG_NAME)           /* obj -> */                                                          \
    OP(LOAD_METHOD, 1, ARG_NAME)            /* arg: name; obj -> func self, or EMPTY obj.name */                  \
    OP(KW_NAMES, 0, ARG_CONST)              /* arg: constant tuple of keyword names for the next CALL */          \
    OP(CALL, VAR, ARG_NUM)                  /* arg n: f_or_EMPTY self_or_f args[n] (+ kw values) -> result */     \
    OP(CALL_FUNCTION_EX, VAR, ARG_NUM)      /* arg 1 if kwargs: EMPTY f argstuple [kwdict] -> result */           \
    OP(BINARY_OP, -1, ARG_BINOP)            /* arg: BinaryOp, +BINOP_INPLACE for +=; a b -> a op b */             \
    OP(UNARY_NEGATIVE, 0, ARG_NONE)                                                                               \
    OP(UNARY_POSITIVE, 0, ARG_NONE)                                                                               \
    OP(UNARY_INVERT, 0, ARG_NONE)                                                                                 \
    OP(UNARY_NOT, 0, ARG_NONE)                                                                                    \
    OP(COMPARE_OP, -1, ARG_CMPOP)           /* arg: CompareOp (== != < <= > >=); a b -> result */                 \
    OP(IS_OP, -1, ARG_NUM)                  /* arg 1 for `is not` */                                              \
    OP(CONTAINS_OP, -1, ARG_NUM)            /* arg 1 for `not in`; item container -> bool */                      \
    OP(BINARY_SUBSCR, -1, ARG_NONE)         /* obj key -> obj[key] */                                             \
    OP(STORE_SUBSCR, -3, ARG_NONE)          /* value obj key -> */                                                \
    OP(DELETE_SUBSCR, -2, ARG_NONE)         /* obj key -> */                                                      \
    OP(BUILD_SLICE, VAR, ARG_NUM)           /* arg 2 or 3: start stop [step] -> slice */                          \
    OP(BUILD_TUPLE, VAR, ARG_NUM)           /* arg n: n items -> tuple */                                         \
    OP(BUILD_LIST, VAR, ARG_NUM)                                                                                  \
    OP(BUILD_SET, VAR, ARG_NUM)                                                                                   \
    OP(BUILD_MAP, VAR, ARG_NUM)             /* arg n: k1 v1 ... kn vn -> dict */                                  \
    OP(BUILD_STRING, VAR, ARG_NUM)          /* arg n: n strs -> their concatenation */                            \
    OP(LIST_APPEND, -1, ARG_NUM)            /* arg i: list (i-1 others) item -> list ... (comprehensions) */      \
    OP(SET_ADD, -1, ARG_NUM)                                                                                      \
    OP(MAP_ADD, -2, ARG_NUM)                /* arg i: dict ... key value -> dict ... */                           \
    OP(LIST_EXTEND, -1, ARG_NUM)            /* arg i: list ... iterable -> list ... */                            \
    OP(SET_UPDATE, -1, ARG_NUM)                                                                                   \
    OP(DICT_UPDATE, -1, ARG_NUM)            /* {**m} in a display */                                              \
    OP(DICT_MERGE, -1, ARG_NUM)             /* f(**m): like DICT_UPDATE but duplicate keys are an error */        \
    OP(LIST_TO_TUPLE, 0, ARG_NONE)                                                                                \
    OP(FORMAT_VALUE, VAR, ARG_NUM)          /* arg: conversion (0 none,1 str,2 repr,3 ascii) | 4 if spec */       \
    OP(UNPACK_SEQUENCE, VAR, ARG_NUM)       /* arg n: seq -> item[n-1] ... item[0] */                             \
    OP(UNPACK_EX, VAR, ARG_NUM)             /* arg before | after<<8: seq -> items with a list in the middle */   \
    OP(GET_ITER, 0, ARG_NONE)               /* iterable -> iterator */                                            \
    OP(FOR_ITER, 1, ARG_JUMP)               /* arg: exit target; iter -> iter next, or pops iter and jumps */     \
    OP(JUMP, 0, ARG_JUMP)                   /* arg: target */                                                     \
    OP(POP_JUMP_IF_FALSE, -1, ARG_JUMP)                                                                           \
    OP(POP_JUMP_IF_TRUE, -1, ARG_JUMP)                                                                            \
    OP(JUMP_IF_FALSE_OR_POP, -1, ARG_JUMP)  /* keeps the value when jumping (and / or) */                         \
    OP(JUMP_IF_TRUE_OR_POP, -1, ARG_JUMP)                                                                         \
    OP(POP_JUMP_IF_NONE, -1, ARG_JUMP)                                                                            \
    OP(RETURN_VALUE, -1, ARG_NONE)                                                                                \
    OP(MAKE_FUNCTION, VAR, ARG_NUM)         /* arg flags 1 defaults 2 kwdefaults 8 closure: ... code -> fn */     \
    OP(LOAD_BUILD_CLASS, 1, ARG_NONE)       /* -> __build_class__ */                                              \
    OP(IMPORT_NAME, 0, ARG_NAME)            /* arg: name; fromlist -> module */                                   \
    OP(IMPORT_FROM, 1, ARG_NAME)            /* arg: name; module -> module module.name */                         \
    OP(IMPORT_STAR, -1, ARG_NONE)           /* module -> */                                                       \
    OP(SETUP_FINALLY, 0, ARG_JUMP)          /* arg: handler; pushes a block at the current depth */               \
    OP(SETUP_WITH, 1, ARG_JUMP)             /* arg: handler; mgr -> exit [block] enter_result */                  \
    OP(POP_BLOCK, 0, ARG_NONE)                                                                                    \
    OP(PUSH_EXC_INFO, 1, ARG_NONE)          /* exc -> previous_handled exc; exc becomes the handled one */        \
    OP(POP_EXCEPT, -1, ARG_NONE)            /* previous_handled -> ; restores it */                               \
    OP(CHECK_EXC_MATCH, 0, ARG_NONE)        /* exc type -> exc bool */                                            \
    OP(CHECK_EG_MATCH, 0, ARG_NONE)         /* except*: rest type -> rest' match (None when no match) */          \
    OP(PREP_RERAISE_STAR, -2, ARG_NONE)     /* except*: orig raised_list rest -> what to re-raise, or None */     \
    OP(RERAISE, -1, ARG_NONE)               /* exc -> ; raises it again, keeping its traceback */                 \
    OP(RAISE_VARARGS, VAR, ARG_NUM)         /* arg 0: re-raise; 1: exc; 2: exc cause */                           \
    OP(WITH_EXIT, -1, ARG_NUM)              /* exit -> ; calls exit(None, None, None) */                          \
    OP(WITH_EXCEPT_START, 1, ARG_NONE)      /* exit prev exc -> exit prev exc result of exit(type, exc, tb) */    \
    OP(LOAD_ASSERTION_ERROR, 1, ARG_NONE)                                                                         \
    OP(YIELD_VALUE, 0, ARG_NUM)             /* arg 1 when delegating (yield from / await); v -> sent */           \
    OP(GET_YIELD_FROM_ITER, 0, ARG_NONE)    /* iterable -> iterator (a generator stays itself) */                 \
    OP(GET_AWAITABLE, 0, ARG_NONE)          /* awaitable -> iterator to delegate to */                            \
    OP(SEND, 0, ARG_JUMP)                   /* arg: exit; receiver v -> receiver yielded, or jumps with result */ \
    OP(GET_AITER, 0, ARG_NONE)                                                                                    \
    OP(GET_ANEXT, 1, ARG_NONE)              /* aiter -> aiter awaitable */                                        \
    OP(END_ASYNC_FOR, -2, ARG_NONE)         /* aiter exc -> ; StopAsyncIteration ends the loop */                 \
    OP(BEFORE_ASYNC_WITH, 1, ARG_NONE)      /* mgr -> exit awaitable_of_aenter */                                 \
    OP(PRINT_EXPR, -1, ARG_NONE)            /* REPL: prints repr(TOS) unless None */

typedef enum {
#define OP_ENUM(name, effect, kind) OP_##name,
    OPCODES(OP_ENUM)
#undef OP_ENUM
        OP__COUNT
} OpCode;

static inline ArgKind op_arg_kind(OpCode op) {
    switch (op) {
#define OP_ARG_KIND(name, effect, kind) \
    case OP_##name: return kind;
        OPCODES(OP_ARG_KIND)
#undef OP_ARG_KIND
    default: return ARG_NONE;
    }
}

// Instructions that can transfer control to their argument (conditionally or not); SETUP_* name
// the handler an exception jumps to.
static inline bool op_is_jump(OpCode op) { return op_arg_kind(op) == ARG_JUMP; }

// A flag in LIST_EXTEND's argument (above the list's depth): the iterable is the only positional
// part of a call, f(*x), so a non-iterable is reported in the callee's name.
#define LIST_EXTEND_SOLE_STAR 0x100

#endif
