/* The front end's one entry point: source text in, AST (or a SyntaxError) out.
 *
 * parse_source() drives the layers in order: the re2c scanner (lexer/scan.re) produces raw
 * tokens, the layout layer (lexer/layout.c) adds NEWLINE / INDENT / DEDENT, and the lemon grammar
 * (parser/grammar.y) builds the tree in the caller's Arena.  It knows nothing of the VM: errors
 * come back as a plain SyntaxErr record that the caller turns into a Python exception.
 */
#ifndef AIO_PARSE_H
#define AIO_PARSE_H

#include "ast.h"

typedef struct {
    const char *filename; // as shown in tracebacks: "x.aio", "<string>", "<stdin>"
    const char *text;     // the whole source, NUL-terminated
    size_t length;        // bytes, not counting the NUL
    bool interactive;     // REPL: an unfinished block is PARSE_INCOMPLETE, not an error
} Source;

typedef enum { PARSE_OK, PARSE_ERROR, PARSE_INCOMPLETE } ParseStatus;

// What went wrong, in the words CPython would use.
typedef struct {
    const char *type; // "SyntaxError", "IndentationError", "TabError", or "RecursionError" (too deep)
    char message[256]; // e.g. "invalid syntax", "unindent does not match any outer indentation level"
    int line;          // 1-based
    int col;           // 1-based column in characters, where the caret goes
    int end_col;       // 1-based column after the offending token (>= col); carets span col..end_col-1
} SyntaxErr;

// Parses a whole module.  On PARSE_OK returns the MODULE node; otherwise NULL with *err filled
// (for PARSE_INCOMPLETE too, with CPython's message for end of input).
Ast *parse_source(Arena *arena, const Source *src, ParseStatus *status, SyntaxErr *err);

#endif
