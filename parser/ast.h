/* The abstract syntax tree: what the lemon grammar builds and the compiler walks.
 *
 * Every node is one `Ast` struct: a kind, a source position, and a handful of generic fields whose
 * meaning depends on the kind.  The table in AST_KINDS below says, for each kind, which fields it
 * uses; anything not named is NULL / 0.  One shape for all nodes keeps the grammar actions short
 * (one ast_* call each) and lets a single ast_dump() print any tree for `aio --ast`.
 *
 * Nodes, lists and strings live in an Arena owned by the caller of parse_source(); freeing the
 * arena frees the whole tree at once.  Strings in nodes are decoded (escapes processed, UTF-8) and
 * NUL-terminated; `len` is their byte length (bytes literals may contain NUL bytes).
 *
 * Operators are stored in `op` as AstOp values, never as token kinds, so the compiler does not
 * depend on the grammar's token numbering.
 */
#ifndef AIO_AST_H
#define AIO_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// X-macro: AST(NAME, "which fields it uses").  The string is documentation only.
#define AST_KINDS(AST)                                                                              \
    /* ---- module ---- */                                                                          \
    AST(MODULE, "list=statements")                                                                  \
    /* ---- statements ---- */                                                                      \
    AST(FUNCTIONDEF, "str=name a=ARGUMENTS b=return annotation or NULL "                            \
                     "list=body list2=decorators flag=is_async")                                    \
    AST(CLASSDEF, "str=name list=bases list2=body list3=decorators list4=KEYWORD nodes")            \
    AST(RETURN, "a=value or NULL")                                                                  \
    AST(DELETE, "list=targets")                                                                     \
    AST(ASSIGN, "list=targets (a = b = v has two) a=value")                                         \
    AST(AUGASSIGN, "a=target op=binary AstOp b=value")                                              \
    AST(ANNASSIGN, "a=target b=annotation c=value or NULL")                                         \
    AST(FOR, "a=target b=iterable list=body list2=orelse flag=is_async")                            \
    AST(WHILE, "a=test list=body list2=orelse")                                                     \
    AST(IF, "a=test list=body list2=orelse (an elif is a single IF in orelse)")                     \
    AST(WITH, "list=WITHITEMs list2=body flag=is_async")                                            \
    AST(WITHITEM, "a=context expression b=target or NULL")                                          \
    AST(RAISE, "a=exception or NULL b=cause (from ...) or NULL")                                    \
    AST(TRY, "list=body list2=EXCEPTHANDLERs list3=orelse list4=finally flag=is_star (except*)")   \
    AST(EXCEPTHANDLER, "a=type or NULL str=name or NULL list=body")                                 \
    AST(ASSERT, "a=test b=message or NULL")                                                         \
    AST(IMPORT, "list=ALIASes")                                                                     \
    AST(IMPORTFROM, "str=module (dotted, may be NULL for 'from . import') ival=level list=ALIASes") \
    AST(ALIAS, "str=name (dotted for import, '*' for star) str2=asname or NULL")                    \
    AST(GLOBAL, "list=NAMEs")                                                                       \
    AST(NONLOCAL, "list=NAMEs")                                                                     \
    AST(EXPR, "a=expression (expression statement)")                                                \
    AST(PASS, "")                                                                                   \
    AST(BREAK, "")                                                                                  \
    AST(CONTINUE, "")                                                                               \
    /* ---- expressions ---- */                                                                     \
    AST(NAME, "str=identifier")                                                                     \
    AST(INT, "ival=value; beyond int64: str=digits op=base, ival unused")                    \
    AST(FLOAT, "fval=value")                                                                        \
    AST(STR, "str,len=decoded text")                                                                \
    AST(BYTES, "str,len=decoded bytes")                                                             \
    AST(CONSTANT, "op=AST_CONST_NONE/TRUE/FALSE/ELLIPSIS")                                          \
    AST(FSTRING, "list=parts: STR nodes and FORMATTED nodes, in order")                             \
    AST(FORMATTED, "a=expression ival=conversion ('r','s','a' or 0) b=spec FSTRING or NULL "        \
                   "str=the expression's source text when written as f'{x=}' (else NULL)")         \
    AST(BINOP, "op=AstOp a=left b=right")                                                           \
    AST(UNARYOP, "op=AST_OP_NEG/POS/INVERT/NOT a=operand")                                          \
    AST(BOOLOP, "op=AST_OP_AND/OR a=left b=right (a and b and c nests to the left)")                \
    AST(COMPARE, "a=leftmost list=CMP nodes (a < b < c has two)")                                   \
    AST(CMP, "op=comparison AstOp a=right operand")                                                 \
    AST(IFEXP, "a=test b=value if true c=value if false")                                           \
    AST(LAMBDA, "a=ARGUMENTS b=body expression")                                                    \
    AST(CALL, "a=callee list=positional args (may hold STARRED) list2=KEYWORDs")                    \
    AST(KEYWORD, "str=name, or NULL for **mapping; a=value")                                        \
    AST(ATTRIBUTE, "a=object str=attribute name")                                                   \
    AST(SUBSCRIPT, "a=object b=index (a SLICE, a TUPLE of them, or any expression)")               \
    AST(SLICE, "a=lower b=upper c=step, each NULL when omitted")                                    \
    AST(STARRED, "a=expression (*x in calls, displays and targets)")                                \
    AST(TUPLE, "list=elements")                                                                     \
    AST(LIST, "list=elements")                                                                      \
    AST(SET, "list=elements")                                                                       \
    AST(DICT, "list=keys (NULL entry for **mapping) list2=values")                                  \
    AST(LISTCOMP, "a=element list=COMPREHENSIONs")                                                  \
    AST(SETCOMP, "a=element list=COMPREHENSIONs")                                                   \
    AST(GENEXP, "a=element list=COMPREHENSIONs")                                                    \
    AST(DICTCOMP, "a=key b=value list=COMPREHENSIONs")                                              \
    AST(COMPREHENSION, "a=target b=iterable list=if conditions flag=is_async")                      \
    AST(AWAIT, "a=operand")                                                                         \
    AST(YIELD, "a=value or NULL")                                                                   \
    AST(YIELDFROM, "a=value")                                                                       \
    AST(NAMEDEXPR, "a=target NAME b=value (walrus :=)")                                             \
    /* ---- function signatures ---- */                                                             \
    AST(ARGUMENTS, "list=positional ARGs ival=how many of them are positional-only (before /) "     \
                   "b=*vararg ARG or NULL list2=keyword-only ARGs c=**kwarg ARG or NULL")          \
    AST(ARG, "str=name a=default value or NULL b=annotation or NULL")

typedef enum {
#define AST_ENUM(name, doc) AST_##name,
    AST_KINDS(AST_ENUM)
#undef AST_ENUM
        AST__COUNT
} AstKind;

// Operators.  Binary ones are also used by AUGASSIGN (x += 1 has op AST_OP_ADD).
typedef enum {
    AST_OP_NONE,
    // binary arithmetic
    AST_OP_ADD, AST_OP_SUB, AST_OP_MUL, AST_OP_MATMUL, AST_OP_DIV, AST_OP_FLOORDIV, AST_OP_MOD,
    AST_OP_POW, AST_OP_LSHIFT, AST_OP_RSHIFT, AST_OP_BITOR, AST_OP_BITXOR, AST_OP_BITAND,
    // unary
    AST_OP_NEG, AST_OP_POS, AST_OP_INVERT, AST_OP_NOT,
    // boolean
    AST_OP_AND, AST_OP_OR,
    // comparisons
    AST_OP_EQ, AST_OP_NE, AST_OP_LT, AST_OP_LE, AST_OP_GT, AST_OP_GE,
    AST_OP_IS, AST_OP_IS_NOT, AST_OP_IN, AST_OP_NOT_IN,
} AstOp;

// CONSTANT node values.
enum { AST_CONST_NONE, AST_CONST_TRUE, AST_CONST_FALSE, AST_CONST_ELLIPSIS };

typedef struct Ast Ast;

// A growable array of node pointers, allocated in the arena.  Entries may be NULL where the table
// above says so (DICT keys for **mapping).
typedef struct {
    Ast **items;
    int count;
    int capacity;
} AstList;

struct Ast {
    AstKind kind;
    int line;  // 1-based line of the node's first token
    int col;   // 1-based column (in characters) of the node's first token
    int op;    // AstOp, or AST_CONST_* for CONSTANT
    bool flag; // is_async / is_star, see the table
    Ast *a, *b, *c;
    AstList list, list2, list3, list4;
    const char *str;  // decoded, NUL-terminated
    size_t len;       // byte length of str
    const char *str2; // ALIAS asname
    int64_t ival;
    double fval;
    void *scope; // set by the scope pass (parser/symtable.c) on nodes that open a scope
};

// A bump allocator: every node, list buffer and string of one parse.
typedef struct ArenaBlock ArenaBlock;
typedef struct {
    ArenaBlock *head;
} Arena;

void arena_init(Arena *arena);
void *arena_alloc(Arena *arena, size_t size); // zeroed, 8-byte aligned; aborts on out of memory
char *arena_strndup(Arena *arena, const char *s, size_t len);
void arena_free(Arena *arena);

Ast *ast_new(Arena *arena, AstKind kind, int line, int col);
void ast_list_push(Arena *arena, AstList *list, Ast *node);
const char *ast_kind_name(AstKind kind);
const char *ast_op_name(int op); // "+", "<=", "not in", ...
void ast_dump(const Ast *node, int indent, void *file /* FILE* */);

#endif
