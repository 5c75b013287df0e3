/* Literals: from a NUMBER or STRING token's text to the value the AST stores.
 *
 * Numbers: decimal, 0x/0o/0b integers and floats, with underscores; an integer beyond int64 is
 * a SyntaxError (CPython has bignums, aio does not).  Strings: prefixes r/b/f/u in any case and
 * combination CPython allows, escape sequences, and f-strings, which are split into STR and
 * FORMATTED parts with the embedded expressions parsed by re-entering the parser.  Adjacent
 * literals ("a" "b", f"{x}" "y") are joined by literal_join().
 *
 * These are builders like those in build.h: called from grammar actions, they record errors in
 * the ParseState and always return a node.
 */
#ifndef AIO_LITERAL_H
#define AIO_LITERAL_H

#include "build.h"

Ast *literal_number(ParseState *st, Token number); // INT or FLOAT
Ast *literal_string(ParseState *st, Token string); // one STRING token: STR, BYTES or FSTRING
Ast *literal_join(ParseState *st, AstList *parts); // the nodes of adjacent STRING tokens, as one

#endif
