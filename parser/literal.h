/* Literals: from a NUMBER or STRING token's text to the value the AST stores.
 *
 * Numbers: decimal, 0x/0o/0b integers and floats, with underscores; an integer beyond int64 keeps
 * its digits for the compiler, which makes a big int of them.  Strings: prefixes r/b/f/u in any case and
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

// The int/str conversion limit in decimal digits (0: none), CPython's sys.int_max_str_digits: a
// longer decimal literal is a SyntaxError.  It lives here, the lowest layer that needs it; the
// runtime's sys.set_int_max_str_digits sets it (runtime/bigint.c).
extern int64_t literal_max_str_digits;
Ast *literal_string(ParseState *st, Token string); // one STRING token: STR, BYTES or FSTRING
Ast *literal_join(ParseState *st, AstList *parts); // the nodes of adjacent STRING tokens, as one

#endif
