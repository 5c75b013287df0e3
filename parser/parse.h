/* The front end's one entry point: source text in, AST (or a SyntaxError) out.
 *
 * parse_source() drives the layers in order: the re2c scanner (lexer/scan.re) produces raw
 * tokens, the layout layer (lexer/layout.c) adds NEWLINE / INDENT / DEDENT, and the lemon grammar
 * (parser/grammar.y) builds the tree in the caller's Arena.  It knows nothing of the VM: errors
 * come back as a plain SyntaxErr record (lexer/source.h) that the caller turns into a Python
 * exception.
 */
#ifndef AIO_PARSE_H
#define AIO_PARSE_H

#include "ast.h"
#include "source.h"

typedef enum { PARSE_OK, PARSE_ERROR, PARSE_INCOMPLETE } ParseStatus;

// Parses a whole module.  On PARSE_OK returns the MODULE node; otherwise NULL with *err filled
// (for PARSE_INCOMPLETE too, with CPython's message for end of input).
Ast *parse_source(Arena *arena, const Source *src, ParseStatus *status, SyntaxErr *err);

#endif
