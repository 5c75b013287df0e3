/* The grammar of aio's Python subset, for the lemon LALR(1) parser generator.
 *
 * Tokens arrive from lexer/layout.c (NEWLINE, INDENT and DEDENT already placed) and every action
 * is one call to an ast_* builder in parser/build.c, which also does the checks LALR(1) cannot:
 * Python was designed for an LL/PEG parser, so we "parse wider, check later".  Assignment, del,
 * for and with targets are parsed as expressions and validated by the builder; keyword arguments
 * are parsed as `expr = expr`; parameter lists are parsed as a flat list of items and put in
 * order by ast_arguments().
 *
 * Expression levels, loosest first: named (:=) > test (lambda, x if c else y) > or > and > not >
 * comparison > expr (| ^ & << >> + - * / // % @, unary - + ~, **; precedence lines below)
 * > primary (calls, attributes, subscripts; `await primary`) > atom.
 */

%name aioParser
%token_prefix TK_
%token_type {Token}
%default_type {Ast *}
%extra_context {ParseState *st}
%stack_size 10000

%include {
#include <assert.h>
#include "build.h"
#include "literal.h"
}

%syntax_error { parse_syntax_error(st, yymajor, yyminor); }
%stack_overflow { parse_stack_overflow(st); }

// Named first, so that layout.c and scan.re see stable names for them.
%token NEWLINE INDENT DEDENT NAME NUMBER STRING.

// Precedence of the binary and unary operators inside `expr`, loosest first.
%left VBAR.
%left CIRCUMFLEX.
%left AMPER.
%left LEFTSHIFT RIGHTSHIFT.
%left PLUS MINUS.
%left STAR SLASH DOUBLESLASH PERCENT AT.
%right UNARY.
%right DOUBLESTAR.

%type stmts {AstList}
%type stmt {AstList}
%type simple_stmts {AstList}
%type simple_list {AstList}
%type block {AstList}
%type else_block {AstList}
%type elif_chain {AstList}
%type handlers {AstList}
%type decorators {AstList}
%type targets {AstList}
%type star_test_seq {AstList}
%type star_expr_seq {AstList}
%type named_seq {AstList}
%type paren_seq {AstList}
%type sub_seq {AstList}
%type call_args {AstList}
%type arg_seq {AstList}
%type comp_fors {AstList}
%type params {AstList}
%type param_seq {AstList}
%type lparams {AstList}
%type lparam_seq {AstList}
%type with_items {AstList}
%type names {AstList}
%type aliases {AstList}
%type dotted_aliases {AstList}
%type strings {AstList}
%type augop {int}
%type comp_op {int}
%type dots {int}

// ---------------------------------------------------------------- module and blocks

module ::= stmts(L).                    { st->module = ast_module(st, &L); }
module ::= .                            { st->module = ast_module(st, NULL); }

stmts(L) ::= stmt(S).                   { L = S; }
stmts(L) ::= stmts(L1) stmt(S).         { L = ast_list_concat(st, L1, S); }

stmt(L) ::= simple_stmts(S).            { L = S; }
stmt(L) ::= compound_stmt(S).           { L = ast_list_one(st, S); }

simple_stmts(L) ::= simple_list(S) NEWLINE.        { L = S; }
simple_stmts(L) ::= simple_list(S) SEMI NEWLINE.   { L = S; }
simple_list(L) ::= simple_stmt(S).                  { L = ast_list_one(st, S); }
simple_list(L) ::= simple_list(L1) SEMI simple_stmt(S). { L = ast_list_append(st, L1, S); }

block(L) ::= simple_stmts(S).                       { L = S; }
block(L) ::= NEWLINE INDENT stmts(S) DEDENT.        { L = S; }

// ---------------------------------------------------------------- simple statements

simple_stmt(S) ::= star_tests(E).                   { S = ast_expr_stmt(st, E); }
simple_stmt(S) ::= yield_expr(E).                   { S = ast_expr_stmt(st, E); }
simple_stmt(S) ::= targets(T) rhs(V).               { S = ast_assign(st, &T, V); }
simple_stmt(S) ::= star_tests(T) augop(O) rhs(V).   { S = ast_augassign(st, T, O, V); }
simple_stmt(S) ::= star_tests(T) COLON test(A).     { S = ast_annassign(st, T, A, NULL); }
simple_stmt(S) ::= star_tests(T) COLONEQUAL(C) test(V). { S = ast_walrus_stmt(st, T, C, V); }
simple_stmt(S) ::= star_tests(T) COLON test(A) EQUAL rhs(V). { S = ast_annassign(st, T, A, V); }
simple_stmt(S) ::= PASS(K).                         { S = ast_simple_stmt(st, AST_PASS, K, NULL, NULL); }
simple_stmt(S) ::= BREAK(K).                        { S = ast_simple_stmt(st, AST_BREAK, K, NULL, NULL); }
simple_stmt(S) ::= CONTINUE(K).                     { S = ast_simple_stmt(st, AST_CONTINUE, K, NULL, NULL); }
simple_stmt(S) ::= RETURN(K).                       { S = ast_simple_stmt(st, AST_RETURN, K, NULL, NULL); }
simple_stmt(S) ::= RETURN(K) star_tests(E).         { S = ast_simple_stmt(st, AST_RETURN, K, E, NULL); }
simple_stmt(S) ::= RAISE(K).                        { S = ast_simple_stmt(st, AST_RAISE, K, NULL, NULL); }
simple_stmt(S) ::= RAISE(K) test(E).                { S = ast_simple_stmt(st, AST_RAISE, K, E, NULL); }
simple_stmt(S) ::= RAISE(K) test(E) FROM test(C).   { S = ast_simple_stmt(st, AST_RAISE, K, E, C); }
simple_stmt(S) ::= ASSERT(K) test(E).               { S = ast_simple_stmt(st, AST_ASSERT, K, E, NULL); }
simple_stmt(S) ::= ASSERT(K) test(E) COMMA test(M). { S = ast_simple_stmt(st, AST_ASSERT, K, E, M); }
simple_stmt(S) ::= DEL(K) star_test_seq(L).         { S = ast_delete(st, K, &L); }
simple_stmt(S) ::= DEL(K) star_test_seq(L) COMMA.   { S = ast_delete(st, K, &L); }
simple_stmt(S) ::= GLOBAL(K) names(N).              { S = ast_names_stmt(st, AST_GLOBAL, K, &N); }
simple_stmt(S) ::= NONLOCAL(K) names(N).            { S = ast_names_stmt(st, AST_NONLOCAL, K, &N); }
simple_stmt(S) ::= IMPORT(K) dotted_aliases(A).     { S = ast_import(st, K, &A); }
simple_stmt(S) ::= FROM(K) dots(D) IMPORT import_targets(A).               { S = ast_import_from(st, K, NULL, D, A); }
simple_stmt(S) ::= FROM(K) dotted_name(M) IMPORT import_targets(A).        { S = ast_import_from(st, K, M, 0, A); }
simple_stmt(S) ::= FROM(K) dots(D) dotted_name(M) IMPORT import_targets(A). { S = ast_import_from(st, K, M, D, A); }

// `a = b = v`: every star_tests before an '=' is a target, validated as it is reduced.
targets(L) ::= star_tests(T) EQUAL.                 { L = ast_assign_target(st, NULL, T); }
targets(L) ::= targets(L1) star_tests(T) EQUAL.     { L = ast_assign_target(st, &L1, T); }
targets(L) ::= targets(L1) yield_expr(T) EQUAL.     { L = ast_assign_target(st, &L1, T); }

rhs(E) ::= star_tests(X).                           { E = X; }
rhs(E) ::= yield_expr(X).                           { E = X; }

augop(O) ::= PLUSEQUAL.                             { O = AST_OP_ADD; }
augop(O) ::= MINEQUAL.                              { O = AST_OP_SUB; }
augop(O) ::= STAREQUAL.                             { O = AST_OP_MUL; }
augop(O) ::= ATEQUAL.                               { O = AST_OP_MATMUL; }
augop(O) ::= SLASHEQUAL.                            { O = AST_OP_DIV; }
augop(O) ::= DOUBLESLASHEQUAL.                      { O = AST_OP_FLOORDIV; }
augop(O) ::= PERCENTEQUAL.                          { O = AST_OP_MOD; }
augop(O) ::= DOUBLESTAREQUAL.                       { O = AST_OP_POW; }
augop(O) ::= LEFTSHIFTEQUAL.                        { O = AST_OP_LSHIFT; }
augop(O) ::= RIGHTSHIFTEQUAL.                       { O = AST_OP_RSHIFT; }
augop(O) ::= VBAREQUAL.                             { O = AST_OP_BITOR; }
augop(O) ::= CIRCUMFLEXEQUAL.                       { O = AST_OP_BITXOR; }
augop(O) ::= AMPEREQUAL.                            { O = AST_OP_BITAND; }

names(L) ::= NAME(N).                               { L = ast_list_one(st, ast_name(st, N)); }
names(L) ::= names(L1) COMMA NAME(N).               { L = ast_list_append(st, L1, ast_name(st, N)); }

// Imports.  A dotted name is carried as a NAME node whose str is the whole "a.b.c".
dotted_name(E) ::= NAME(N).                         { E = ast_name(st, N); }
dotted_name(E) ::= dotted_name(P) DOT NAME(N).      { E = ast_dotted(st, P, N); }

dotted_aliases(L) ::= dotted_alias(A).              { L = ast_list_one(st, A); }
dotted_aliases(L) ::= dotted_aliases(L1) COMMA dotted_alias(A). { L = ast_list_append(st, L1, A); }
dotted_alias(A) ::= dotted_name(N).                 { A = ast_alias(st, N, NULL); }
dotted_alias(A) ::= dotted_name(N) AS NAME(B).      { A = ast_alias(st, N, &B); }

// `from . import x`: '...' arrives as one ELLIPSIS token and counts three levels.
dots(D) ::= DOT.                                    { D = 1; }
dots(D) ::= ELLIPSIS.                               { D = 3; }
dots(D) ::= dots(D1) DOT.                           { D = D1 + 1; }
dots(D) ::= dots(D1) ELLIPSIS.                      { D = D1 + 3; }

// The value is a NAME node "*" standing for `import *`, or a TUPLE holding the ALIASes.
import_targets(T) ::= STAR(S).                      { T = ast_import_star(st, S); }
import_targets(T) ::= aliases(L).                   { T = ast_import_names(st, &L); }
import_targets(T) ::= aliases(L) COMMA(C).          { T = ast_import_names(st, &L); ast_trailing_comma(st, C); }
import_targets(T) ::= LPAR aliases(L) RPAR.         { T = ast_import_names(st, &L); }
import_targets(T) ::= LPAR aliases(L) COMMA RPAR.   { T = ast_import_names(st, &L); }
aliases(L) ::= alias(A).                            { L = ast_list_one(st, A); }
aliases(L) ::= aliases(L1) COMMA alias(A).          { L = ast_list_append(st, L1, A); }
alias(A) ::= NAME(N).                               { A = ast_alias(st, ast_name(st, N), NULL); }
alias(A) ::= NAME(N) AS NAME(B).                    { A = ast_alias(st, ast_name(st, N), &B); }

// ---------------------------------------------------------------- compound statements

compound_stmt(S) ::= if_stmt(X).                    { S = X; }
compound_stmt(S) ::= WHILE(K) named(C) COLON block(B) else_block(E). { S = ast_while(st, K, C, &B, &E); }
compound_stmt(S) ::= for_stmt(X).                   { S = X; }
compound_stmt(S) ::= try_stmt(X).                   { S = X; }
compound_stmt(S) ::= with_stmt(X).                  { S = X; }
compound_stmt(S) ::= funcdef(X).                    { S = X; }
compound_stmt(S) ::= classdef(X).                   { S = X; }
compound_stmt(S) ::= decorators(D) funcdef(X).      { S = ast_decorated(st, &D, X); }
compound_stmt(S) ::= decorators(D) classdef(X).     { S = ast_decorated(st, &D, X); }
compound_stmt(S) ::= decorators(D) ASYNC(A) funcdef(X). { S = ast_decorated(st, &D, ast_async(st, A, X)); }
compound_stmt(S) ::= ASYNC(A) funcdef(X).           { S = ast_async(st, A, X); }
compound_stmt(S) ::= ASYNC(A) for_stmt(X).          { S = ast_async(st, A, X); }
compound_stmt(S) ::= ASYNC(A) with_stmt(X).         { S = ast_async(st, A, X); }

// elif chains are collected left to right; ast_if_elif() hangs each new IF on the last orelse.
if_stmt(S) ::= elif_chain_head(H) else_block(E).    { S = ast_if_else(st, H, &E); }
elif_chain_head(S) ::= IF(K) named(C) COLON block(B).  { S = ast_if(st, K, C, &B); }
elif_chain_head(S) ::= elif_chain_head(H) ELIF(K) named(C) COLON block(B). { S = ast_if_elif(st, H, ast_if(st, K, C, &B)); }

else_block(L) ::= .                                 { L = ast_list_empty(); }
else_block(L) ::= ELSE COLON block(B).              { L = B; }

for_stmt(S) ::= FOR(K) star_exprs(T) IN star_tests(I) COLON block(B) else_block(E). { S = ast_for(st, K, T, I, &B, &E); }

try_stmt(S) ::= TRY(K) COLON block(B) handlers(H) else_block(E).   { S = ast_try(st, K, &B, &H, &E, NULL); }
try_stmt(S) ::= TRY(K) COLON block(B) handlers(H) else_block(E) FINALLY COLON block(F). { S = ast_try(st, K, &B, &H, &E, &F); }
try_stmt(S) ::= TRY(K) COLON block(B) FINALLY COLON block(F).      { S = ast_try(st, K, &B, NULL, NULL, &F); }
handlers(L) ::= handler(H).                         { L = ast_list_one(st, H); }
handlers(L) ::= handlers(L1) handler(H).            { L = ast_list_append(st, L1, H); }
handler(H) ::= EXCEPT(K) COLON block(B).            { H = ast_handler(st, K, NULL, NULL, &B, false); }
handler(H) ::= EXCEPT(K) test(T) COLON block(B).    { H = ast_handler(st, K, T, NULL, &B, false); }
handler(H) ::= EXCEPT(K) test(T) AS NAME(N) COLON block(B).        { H = ast_handler(st, K, T, &N, &B, false); }
handler(H) ::= EXCEPT(K) STAR test(T) COLON block(B).              { H = ast_handler(st, K, T, NULL, &B, true); }
handler(H) ::= EXCEPT(K) STAR test(T) AS NAME(N) COLON block(B).   { H = ast_handler(st, K, T, &N, &B, true); }

// `with (a as b, c):` parses its parenthesised group as an atom (see paren_item); ast_with()
// unpacks it into WITHITEMs.
with_stmt(S) ::= WITH(K) with_items(I) COLON block(B).             { S = ast_with(st, K, &I, &B); }
with_items(L) ::= with_item(I).                     { L = ast_list_one(st, I); }
with_items(L) ::= with_items(L1) COMMA with_item(I).   { L = ast_list_append(st, L1, I); }
with_item(I) ::= test(E).                           { I = ast_withitem(st, E, NULL); }
with_item(I) ::= test(E) AS expr(T).                { I = ast_withitem(st, E, T); }

funcdef(S) ::= DEF(K) NAME(N) LPAR params(P) RPAR COLON block(B).  { S = ast_funcdef(st, K, N, &P, NULL, &B); }
funcdef(S) ::= DEF(K) NAME(N) LPAR params(P) RPAR RARROW test(R) COLON block(B). { S = ast_funcdef(st, K, N, &P, R, &B); }

classdef(S) ::= CLASS(K) NAME(N) COLON block(B).                   { S = ast_classdef(st, K, N, NULL, &B); }
classdef(S) ::= CLASS(K) NAME(N) LPAR call_args(A) RPAR COLON block(B). { S = ast_classdef(st, K, N, &A, &B); }

decorators(L) ::= AT named(E) NEWLINE.              { L = ast_list_one(st, E); }
decorators(L) ::= decorators(L1) AT named(E) NEWLINE.  { L = ast_list_append(st, L1, E); }

// ---------------------------------------------------------------- parameters

// A flat list of ARG items; markers for '/', '*' and '**' are sorted out by ast_arguments().
params(L) ::= .                                     { L = ast_list_empty(); }
params(L) ::= param_seq(S).                         { L = S; }
params(L) ::= param_seq(S) COMMA.                   { L = S; }
param_seq(L) ::= param(P).                          { L = ast_list_one(st, P); }
param_seq(L) ::= param_seq(L1) COMMA param(P).      { L = ast_list_append(st, L1, P); }

param(P) ::= NAME(N).                               { P = ast_param(st, N, PARAM_PLAIN, NULL, NULL); }
param(P) ::= NAME(N) EQUAL test(D).                 { P = ast_param(st, N, PARAM_PLAIN, NULL, D); }
param(P) ::= NAME(N) COLON test(A).                 { P = ast_param(st, N, PARAM_PLAIN, A, NULL); }
param(P) ::= NAME(N) COLON test(A) EQUAL test(D).   { P = ast_param(st, N, PARAM_PLAIN, A, D); }
param(P) ::= SLASH(T).                              { P = ast_param(st, T, PARAM_SLASH, NULL, NULL); }
param(P) ::= STAR(T).                               { P = ast_param(st, T, PARAM_BARE_STAR, NULL, NULL); }
param(P) ::= STAR NAME(N).                          { P = ast_param(st, N, PARAM_STAR, NULL, NULL); }
param(P) ::= STAR NAME(N) COLON test(A).            { P = ast_param(st, N, PARAM_STAR, A, NULL); }
param(P) ::= STAR NAME(N) EQUAL test(D).            { P = ast_param(st, N, PARAM_STAR, NULL, D); }
param(P) ::= DOUBLESTAR NAME(N).                    { P = ast_param(st, N, PARAM_DOUBLESTAR, NULL, NULL); }
param(P) ::= DOUBLESTAR NAME(N) COLON test(A).      { P = ast_param(st, N, PARAM_DOUBLESTAR, A, NULL); }
param(P) ::= DOUBLESTAR NAME(N) EQUAL test(D).      { P = ast_param(st, N, PARAM_DOUBLESTAR, NULL, D); }

// Lambda parameters: the same without annotations (their ':' would end the parameter list).
lparams(L) ::= .                                    { L = ast_list_empty(); }
lparams(L) ::= lparam_seq(S).                       { L = S; }
lparams(L) ::= lparam_seq(S) COMMA.                 { L = S; }
lparam_seq(L) ::= lparam(P).                        { L = ast_list_one(st, P); }
lparam_seq(L) ::= lparam_seq(L1) COMMA lparam(P).   { L = ast_list_append(st, L1, P); }

lparam(P) ::= NAME(N).                              { P = ast_param(st, N, PARAM_PLAIN, NULL, NULL); }
lparam(P) ::= NAME(N) EQUAL test(D).                { P = ast_param(st, N, PARAM_PLAIN, NULL, D); }
lparam(P) ::= SLASH(T).                             { P = ast_param(st, T, PARAM_SLASH, NULL, NULL); }
lparam(P) ::= STAR(T).                              { P = ast_param(st, T, PARAM_BARE_STAR, NULL, NULL); }
lparam(P) ::= STAR NAME(N).                         { P = ast_param(st, N, PARAM_STAR, NULL, NULL); }
lparam(P) ::= DOUBLESTAR NAME(N).                   { P = ast_param(st, N, PARAM_DOUBLESTAR, NULL, NULL); }

// ---------------------------------------------------------------- expressions

// Comma lists: one item without a trailing comma is the item itself, anything else a TUPLE.
star_tests(E) ::= star_test_seq(L).                 { E = ast_tuple_or_item(st, &L, false); }
star_tests(E) ::= star_test_seq(L) COMMA.           { E = ast_tuple_or_item(st, &L, true); }
star_test_seq(L) ::= star_test(E).                  { L = ast_list_one(st, E); }
star_test_seq(L) ::= star_test_seq(L1) COMMA star_test(E). { L = ast_list_append(st, L1, E); }
star_test(E) ::= test(X).                           { E = X; }
star_test(E) ::= STAR(S) expr(X).                   { E = ast_starred(st, S, X); }

// Targets of `for` and comprehensions stop at the bitwise-or level, before `in`.
star_exprs(E) ::= star_expr_seq(L).                 { E = ast_tuple_or_item(st, &L, false); }
star_exprs(E) ::= star_expr_seq(L) COMMA.           { E = ast_tuple_or_item(st, &L, true); }
star_expr_seq(L) ::= star_expr(E).                  { L = ast_list_one(st, E); }
star_expr_seq(L) ::= star_expr_seq(L1) COMMA star_expr(E). { L = ast_list_append(st, L1, E); }
star_expr(E) ::= expr(X).                           { E = X; }
star_expr(E) ::= STAR(S) expr(X).                   { E = ast_starred(st, S, X); }

yield_expr(E) ::= YIELD(K).                         { E = ast_yield(st, K, NULL, false); }
yield_expr(E) ::= YIELD(K) star_tests(X).           { E = ast_yield(st, K, X, false); }
yield_expr(E) ::= YIELD(K) FROM test(X).            { E = ast_yield(st, K, X, true); }

named(E) ::= test(X).                               { E = X; }
named(E) ::= test(T) COLONEQUAL test(V).            { E = ast_namedexpr(st, T, V); }

test(E) ::= or_test(X).                             { E = X; }
test(E) ::= or_test(B) IF or_test(C) ELSE test(O).  { E = ast_ifexp(st, B, C, O); }
test(E) ::= LAMBDA(K) lparams(P) COLON test(B).     { E = ast_lambda(st, K, &P, B); }

or_test(E) ::= and_test(X).                         { E = X; }
or_test(E) ::= or_test(L) OR and_test(R).           { E = ast_boolop(st, L, AST_OP_OR, R); }
and_test(E) ::= not_test(X).                        { E = X; }
and_test(E) ::= and_test(L) AND not_test(R).        { E = ast_boolop(st, L, AST_OP_AND, R); }
not_test(E) ::= comparison(X).                      { E = X; }
not_test(E) ::= NOT(K) not_test(X).                 { E = ast_unaryop(st, K, AST_OP_NOT, X); }

// `a < b < c` is one COMPARE with two CMPs; a parenthesised comparison starts a new one.
comparison(E) ::= expr(X).                          { E = X; }
comparison(E) ::= compare(X).                       { E = X; }
compare(E) ::= expr(L) comp_op(O) expr(R).          { E = ast_compare(st, NULL, L, O, R); }
compare(E) ::= compare(C) comp_op(O) expr(R).       { E = ast_compare(st, C, NULL, O, R); }

comp_op(O) ::= LESS.                                { O = AST_OP_LT; }
comp_op(O) ::= GREATER.                             { O = AST_OP_GT; }
comp_op(O) ::= EQEQUAL.                             { O = AST_OP_EQ; }
comp_op(O) ::= NOTEQUAL.                            { O = AST_OP_NE; }
comp_op(O) ::= LESSEQUAL.                           { O = AST_OP_LE; }
comp_op(O) ::= GREATEREQUAL.                        { O = AST_OP_GE; }
comp_op(O) ::= IN.                                  { O = AST_OP_IN; }
comp_op(O) ::= NOT IN.                              { O = AST_OP_NOT_IN; }
comp_op(O) ::= IS.                                  { O = AST_OP_IS; }
comp_op(O) ::= IS NOT.                              { O = AST_OP_IS_NOT; }

expr(E) ::= expr(L) VBAR expr(R).                   { E = ast_binop(st, L, AST_OP_BITOR, R); }
expr(E) ::= expr(L) CIRCUMFLEX expr(R).             { E = ast_binop(st, L, AST_OP_BITXOR, R); }
expr(E) ::= expr(L) AMPER expr(R).                  { E = ast_binop(st, L, AST_OP_BITAND, R); }
expr(E) ::= expr(L) LEFTSHIFT expr(R).              { E = ast_binop(st, L, AST_OP_LSHIFT, R); }
expr(E) ::= expr(L) RIGHTSHIFT expr(R).             { E = ast_binop(st, L, AST_OP_RSHIFT, R); }
expr(E) ::= expr(L) PLUS expr(R).                   { E = ast_binop(st, L, AST_OP_ADD, R); }
expr(E) ::= expr(L) MINUS expr(R).                  { E = ast_binop(st, L, AST_OP_SUB, R); }
expr(E) ::= expr(L) STAR expr(R).                   { E = ast_binop(st, L, AST_OP_MUL, R); }
expr(E) ::= expr(L) SLASH expr(R).                  { E = ast_binop(st, L, AST_OP_DIV, R); }
expr(E) ::= expr(L) DOUBLESLASH expr(R).            { E = ast_binop(st, L, AST_OP_FLOORDIV, R); }
expr(E) ::= expr(L) PERCENT expr(R).                { E = ast_binop(st, L, AST_OP_MOD, R); }
expr(E) ::= expr(L) AT expr(R).                     { E = ast_binop(st, L, AST_OP_MATMUL, R); }
// `-2**2` is -(2**2) because DOUBLESTAR binds tighter than UNARY; `2**-1` works because the
// right operand of ** is a whole expr.
expr(E) ::= expr(L) DOUBLESTAR expr(R).             { E = ast_binop(st, L, AST_OP_POW, R); }
expr(E) ::= MINUS(K) expr(X). [UNARY]               { E = ast_unaryop(st, K, AST_OP_NEG, X); }
expr(E) ::= PLUS(K) expr(X). [UNARY]                { E = ast_unaryop(st, K, AST_OP_POS, X); }
expr(E) ::= TILDE(K) expr(X). [UNARY]               { E = ast_unaryop(st, K, AST_OP_INVERT, X); }
expr(E) ::= primary(X).                             { E = X; }
expr(E) ::= AWAIT(K) primary(X).                    { E = ast_await(st, K, X); }

primary(E) ::= atom(X).                             { E = X; }
primary(E) ::= primary(O) DOT NAME(N).              { E = ast_attribute(st, O, N); }
primary(E) ::= primary(F) LPAR call_args(A) RPAR.   { E = ast_call(st, F, &A); }
primary(E) ::= primary(F) LPAR(P) named(X) comp_fors(C) RPAR. { E = ast_call_genexp(st, F, P, X, &C); }
primary(E) ::= primary(O) LSQB subscripts(I) RSQB.  { E = ast_subscript(st, O, I); }

// Call arguments: positional expressions, STARRED, and KEYWORD nodes, checked by ast_call().
call_args(L) ::= .                                  { L = ast_list_empty(); }
call_args(L) ::= arg_seq(S).                        { L = S; }
call_args(L) ::= arg_seq(S) COMMA.                  { L = S; }
arg_seq(L) ::= arg(A).                              { L = ast_list_one(st, A); }
arg_seq(L) ::= arg_seq(L1) COMMA arg(A).            { L = ast_list_append(st, L1, A); }
arg(A) ::= named(E).                                { A = E; }
arg(A) ::= STAR(S) test(E).                         { A = ast_starred(st, S, E); }
arg(A) ::= test(K) EQUAL test(V).                   { A = ast_keyword(st, K, V); }
arg(A) ::= DOUBLESTAR(S) test(V).                   { A = ast_keyword_unpack(st, S, V); }

subscripts(E) ::= sub_seq(L).                       { E = ast_tuple_or_item(st, &L, false); }
subscripts(E) ::= sub_seq(L) COMMA.                 { E = ast_tuple_or_item(st, &L, true); }
sub_seq(L) ::= sub(S).                              { L = ast_list_one(st, S); }
sub_seq(L) ::= sub_seq(L1) COMMA sub(S).            { L = ast_list_append(st, L1, S); }
sub(S) ::= named(E).                                { S = E; }
sub(S) ::= STAR(T) expr(E).                         { S = ast_starred(st, T, E); }
sub(S) ::= opt_test(L) COLON(C) opt_test(U).        { S = ast_slice(st, C, L, U, NULL); }
sub(S) ::= opt_test(L) COLON(C) opt_test(U) COLON opt_test(P). { S = ast_slice(st, C, L, U, P); }
opt_test(E) ::= .                                   { E = NULL; }
opt_test(E) ::= test(X).                            { E = X; }

// ---------------------------------------------------------------- atoms

atom(E) ::= NAME(T).                                { E = ast_name(st, T); }
atom(E) ::= NUMBER(T).                              { E = literal_number(st, T); }
atom(E) ::= strings(L).                             { E = literal_join(st, &L); }
atom(E) ::= NONE(T).                                { E = ast_constant(st, T, AST_CONST_NONE); }
atom(E) ::= TRUE(T).                                { E = ast_constant(st, T, AST_CONST_TRUE); }
atom(E) ::= FALSE(T).                               { E = ast_constant(st, T, AST_CONST_FALSE); }
atom(E) ::= ELLIPSIS(T).                            { E = ast_constant(st, T, AST_CONST_ELLIPSIS); }

// Adjacent string tokens are decoded one by one, then joined by literal_join().
strings(L) ::= STRING(T).                           { L = ast_list_one(st, literal_string(st, T)); }
strings(L) ::= strings(L1) STRING(T).               { L = ast_list_append(st, L1, literal_string(st, T)); }

// Parentheses: (), (x), (x,), (x, y), (yield), genexp, and with-items `(a as b, c)`.
atom(E) ::= LPAR(P) RPAR.                           { E = ast_paren(st, P, NULL, true); }
atom(E) ::= LPAR(P) paren_seq(L) RPAR.              { E = ast_paren(st, P, &L, false); }
atom(E) ::= LPAR(P) paren_seq(L) COMMA RPAR.        { E = ast_paren(st, P, &L, true); }
atom(E) ::= LPAR(P) yield_expr(X) RPAR.             { E = ast_group(st, P, X); }
atom(E) ::= LPAR(P) named(X) comp_fors(C) RPAR.     { E = ast_comp(st, AST_GENEXP, P, X, NULL, &C); }
paren_seq(L) ::= paren_item(E).                     { L = ast_list_one(st, E); }
paren_seq(L) ::= paren_seq(L1) COMMA paren_item(E). { L = ast_list_append(st, L1, E); }
paren_item(E) ::= named(X).                         { E = X; }
paren_item(E) ::= STAR(S) expr(X).                  { E = ast_starred(st, S, X); }
paren_item(E) ::= test(X) AS expr(T).               { E = ast_withitem(st, X, T); }

// Lists and sets.
atom(E) ::= LSQB(P) RSQB.                           { E = ast_display(st, AST_LIST, P, NULL); }
atom(E) ::= LSQB(P) named_seq(L) RSQB.              { E = ast_display(st, AST_LIST, P, &L); }
atom(E) ::= LSQB(P) named_seq(L) COMMA RSQB.        { E = ast_display(st, AST_LIST, P, &L); }
atom(E) ::= LSQB(P) named(X) comp_fors(C) RSQB.     { E = ast_comp(st, AST_LISTCOMP, P, X, NULL, &C); }
atom(E) ::= LBRACE(P) named_seq(L) RBRACE.          { E = ast_display(st, AST_SET, P, &L); }
atom(E) ::= LBRACE(P) named_seq(L) COMMA RBRACE.    { E = ast_display(st, AST_SET, P, &L); }
atom(E) ::= LBRACE(P) named(X) comp_fors(C) RBRACE. { E = ast_comp(st, AST_SETCOMP, P, X, NULL, &C); }
named_seq(L) ::= named_item(E).                     { L = ast_list_one(st, E); }
named_seq(L) ::= named_seq(L1) COMMA named_item(E). { L = ast_list_append(st, L1, E); }
named_item(E) ::= named(X).                         { E = X; }
named_item(E) ::= STAR(S) expr(X).                  { E = ast_starred(st, S, X); }

// Dicts.  dict_seq builds the DICT node directly; a NULL key stands for **mapping.
atom(E) ::= LBRACE(P) RBRACE.                       { E = ast_dict(st, P, NULL); }
atom(E) ::= LBRACE(P) dict_seq(D) RBRACE.           { E = ast_dict(st, P, D); }
atom(E) ::= LBRACE(P) dict_seq(D) COMMA RBRACE.     { E = ast_dict(st, P, D); }
atom(E) ::= LBRACE(P) test(K) COLON test(V) comp_fors(C) RBRACE. { E = ast_comp(st, AST_DICTCOMP, P, K, V, &C); }
dict_seq(D) ::= test(K) COLON test(V).              { D = ast_dict_add(st, NULL, K, V); }
dict_seq(D) ::= DOUBLESTAR expr(V).                 { D = ast_dict_add(st, NULL, NULL, V); }
dict_seq(D) ::= dict_seq(D1) COMMA test(K) COLON test(V). { D = ast_dict_add(st, D1, K, V); }
dict_seq(D) ::= dict_seq(D1) COMMA DOUBLESTAR expr(V).    { D = ast_dict_add(st, D1, NULL, V); }

// Comprehension clauses: each `for` starts a COMPREHENSION, each `if` joins the last one.  The
// iterable and the conditions are or_tests, so `if` cannot start a conditional expression there.
comp_fors(L) ::= comp_for(C).                       { L = ast_list_one(st, C); }
comp_fors(L) ::= comp_fors(L1) comp_for(C).         { L = ast_list_append(st, L1, C); }
comp_fors(L) ::= comp_fors(L1) IF or_test(E).       { L = ast_comp_if(st, L1, E); }
comp_for(C) ::= FOR(K) star_exprs(T) IN or_test(I). { C = ast_comprehension(st, K, T, I, false); }
comp_for(C) ::= ASYNC(K) FOR star_exprs(T) IN or_test(I). { C = ast_comprehension(st, K, T, I, true); }
