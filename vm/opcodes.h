/* The instruction set, written once (Wren's wren_opcodes.h is the model).
 *
 * OP(NAME, stack effect) — the stack effect is what the instruction does to the depth of the
 * value stack when it falls through; the compiler uses it to compute a Code's stacksize (for
 * instructions whose effect depends on the argument, the compiler adjusts by hand: they are marked
 * VAR).  Names follow CPython 3.11 where the meaning matches, so `aio --dis` reads side by side
 * with `python3 -m dis`.  Every instruction is one 32-bit word: opcode in the low 8 bits and a
 * 24-bit argument above it.  (CPython uses 16-bit words with EXTENDED_ARG prefixes; a wider word
 * makes every instruction one fixed size, so jumps are patched in place and decoding is one shift.)
 * Jump arguments are absolute word offsets in the code.
 */
#ifndef AIO_OPCODES_H
#define AIO_OPCODES_H

#define VAR 0

#define OPCODES(OP)                                                                                 \
    OP(NOP, 0)                  /* does nothing */                                                  \
    OP(POP_TOP, -1)             /* x -> */                                                          \
    OP(PUSH_NULL, 1)            /* -> EMPTY (the callable slot of a plain CALL) */                  \
    OP(COPY, 1)                 /* arg n: ... x (n-1 others) -> ... x ... x */                      \
    OP(SWAP, 0)                 /* arg n: swaps TOS and the n-th item */                            \
    OP(LOAD_CONST, 1)           /* arg: constant index */                                           \
    OP(LOAD_FAST, 1)            /* arg: local slot; unbound raises UnboundLocalError */             \
    OP(STORE_FAST, -1)                                                                              \
    OP(DELETE_FAST, 0)                                                                              \
    OP(LOAD_DEREF, 1)           /* arg: cell index; the cell's content */                           \
    OP(STORE_DEREF, -1)                                                                             \
    OP(DELETE_DEREF, 0)                                                                             \
    OP(LOAD_CLOSURE, 1)         /* arg: cell index; the cell itself (to build a closure) */         \
    OP(LOAD_CLASSDEREF, 1)      /* arg: cell index; class body: the local dict first, then cell */  \
    OP(LOAD_GLOBAL, 1)          /* arg: name index; globals, then builtins */                       \
    OP(STORE_GLOBAL, -1)                                                                            \
    OP(DELETE_GLOBAL, 0)                                                                            \
    OP(LOAD_NAME, 1)            /* module / class body: locals dict, globals, builtins */           \
    OP(STORE_NAME, -1)                                                                              \
    OP(DELETE_NAME, 0)                                                                              \
    OP(LOAD_ATTR, 0)            /* arg: name; obj -> obj.name */                                    \
    OP(STORE_ATTR, -2)          /* value obj -> */                                                  \
    OP(DELETE_ATTR, -1)         /* obj -> */                                                        \
    OP(LOAD_METHOD, 1)          /* arg: name; obj -> func self, or EMPTY obj.name */                \
    OP(KW_NAMES, 0)             /* arg: constant tuple of keyword names for the next CALL */        \
    OP(CALL, VAR)               /* arg n: f_or_EMPTY self_or_f args[n] (+ kw values) -> result */   \
    OP(CALL_FUNCTION_EX, VAR)   /* arg 1 if kwargs: EMPTY f argstuple [kwdict] -> result */         \
    OP(BINARY_OP, -1)           /* arg: AstOp, +128 for in-place; a b -> a op b */                  \
    OP(UNARY_NEGATIVE, 0)                                                                           \
    OP(UNARY_POSITIVE, 0)                                                                           \
    OP(UNARY_INVERT, 0)                                                                             \
    OP(UNARY_NOT, 0)                                                                                \
    OP(COMPARE_OP, -1)          /* arg: AstOp (== != < <= > >=); a b -> result */                   \
    OP(IS_OP, -1)               /* arg 1 for `is not` */                                            \
    OP(CONTAINS_OP, -1)         /* arg 1 for `not in`; item container -> bool */                    \
    OP(BINARY_SUBSCR, -1)       /* obj key -> obj[key] */                                           \
    OP(STORE_SUBSCR, -3)        /* value obj key -> */                                              \
    OP(DELETE_SUBSCR, -2)       /* obj key -> */                                                    \
    OP(BUILD_SLICE, VAR)        /* arg 2 or 3: start stop [step] -> slice */                        \
    OP(BUILD_TUPLE, VAR)        /* arg n: n items -> tuple */                                       \
    OP(BUILD_LIST, VAR)                                                                             \
    OP(BUILD_SET, VAR)                                                                              \
    OP(BUILD_MAP, VAR)          /* arg n: k1 v1 ... kn vn -> dict */                                \
    OP(BUILD_STRING, VAR)       /* arg n: n strs -> their concatenation */                          \
    OP(LIST_APPEND, -1)         /* arg i: list (i-1 others) item -> list ... (comprehensions) */    \
    OP(SET_ADD, -1)                                                                                 \
    OP(MAP_ADD, -2)             /* arg i: dict ... key value -> dict ... */                         \
    OP(LIST_EXTEND, -1)         /* arg i: list ... iterable -> list ... */                          \
    OP(SET_UPDATE, -1)                                                                              \
    OP(DICT_UPDATE, -1)         /* {**m} in a display */                                            \
    OP(DICT_MERGE, -1)          /* f(**m): like DICT_UPDATE but duplicate keys are an error */      \
    OP(LIST_TO_TUPLE, 0)                                                                            \
    OP(FORMAT_VALUE, VAR)       /* arg: conversion (0 none,1 str,2 repr,3 ascii) | 4 if spec */     \
    OP(UNPACK_SEQUENCE, VAR)    /* arg n: seq -> item[n-1] ... item[0] */                           \
    OP(UNPACK_EX, VAR)          /* arg before | after<<8: seq -> items with a list in the middle */ \
    OP(GET_ITER, 0)             /* iterable -> iterator */                                          \
    OP(FOR_ITER, 1)             /* arg: exit target; iter -> iter next, or pops iter and jumps */   \
    OP(JUMP, 0)                 /* arg: target */                                                   \
    OP(POP_JUMP_IF_FALSE, -1)                                                                       \
    OP(POP_JUMP_IF_TRUE, -1)                                                                        \
    OP(JUMP_IF_FALSE_OR_POP, -1) /* keeps the value when jumping (and / or) */                      \
    OP(JUMP_IF_TRUE_OR_POP, -1)                                                                     \
    OP(POP_JUMP_IF_NONE, -1)                                                                        \
    OP(RETURN_VALUE, -1)                                                                            \
    OP(MAKE_FUNCTION, VAR)      /* arg flags 1 defaults 2 kwdefaults 8 closure: ... code -> fn */   \
    OP(LOAD_BUILD_CLASS, 1)     /* -> __build_class__ */                                            \
    OP(IMPORT_NAME, 0)          /* arg: name; fromlist -> module */                                 \
    OP(IMPORT_FROM, 1)          /* arg: name; module -> module module.name */                       \
    OP(IMPORT_STAR, -1)         /* module -> */                                                     \
    OP(SETUP_FINALLY, 0)        /* arg: handler; pushes a block at the current depth */             \
    OP(SETUP_WITH, 1)           /* arg: handler; mgr -> exit [block] enter_result */                \
    OP(POP_BLOCK, 0)                                                                                \
    OP(PUSH_EXC_INFO, 1)        /* exc -> previous_handled exc; exc becomes the handled one */      \
    OP(POP_EXCEPT, -1)          /* previous_handled -> ; restores it */                             \
    OP(CHECK_EXC_MATCH, 0)      /* exc type -> exc bool */                                          \
    OP(CHECK_EG_MATCH, 0)       /* except*: rest type -> rest' match (None when no match) */        \
    OP(PREP_RERAISE_STAR, -2)   /* except*: orig raised_list rest -> what to re-raise, or None */   \
    OP(RERAISE, -1)             /* exc -> ; raises it again, keeping its traceback */               \
    OP(RAISE_VARARGS, VAR)      /* arg 0: re-raise; 1: exc; 2: exc cause */                         \
    OP(WITH_EXIT, -1)           /* exit -> ; calls exit(None, None, None) */                        \
    OP(WITH_EXCEPT_START, 1)    /* exit prev exc -> exit prev exc result of exit(type, exc, tb) */  \
    OP(LOAD_ASSERTION_ERROR, 1)                                                                     \
    OP(YIELD_VALUE, 0)          /* arg 1 when delegating (yield from / await); v -> sent */         \
    OP(GET_YIELD_FROM_ITER, 0)  /* iterable -> iterator (a generator stays itself) */               \
    OP(GET_AWAITABLE, 0)        /* awaitable -> iterator to delegate to */                          \
    OP(SEND, 0)                 /* arg: exit; receiver v -> receiver yielded, or jumps with result */ \
    OP(GET_AITER, 0)                                                                                \
    OP(GET_ANEXT, 1)            /* aiter -> aiter awaitable */                                      \
    OP(END_ASYNC_FOR, -2)       /* aiter exc -> ; StopAsyncIteration ends the loop */               \
    OP(BEFORE_ASYNC_WITH, 1)    /* mgr -> exit awaitable_of_aenter */                               \
    OP(PRINT_EXPR, -1)          /* REPL: prints repr(TOS) unless None */

typedef enum {
#define OP_ENUM(name, effect) OP_##name,
    OPCODES(OP_ENUM)
#undef OP_ENUM
        OP__COUNT
} OpCode;

#endif
