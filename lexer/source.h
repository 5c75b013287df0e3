/* What the front end reads and what it reports: a Source to scan, and a SyntaxErr when it fails.
 *
 * Both records belong to the lowest layer because the scanner is the first to fill a SyntaxErr;
 * the layout layer, the parser, the symbol table and the compiler fill the same record, and the
 * VM turns it into a Python SyntaxError (or IndentationError, TabError) only at the very end.
 * Neither record owns memory: `filename` and `text` belong to the caller.
 */
#ifndef AIO_SOURCE_H
#define AIO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *filename; // as shown in tracebacks: "x.aio", "<string>", "<stdin>"
    const char *text;     // the whole source, NUL-terminated
    size_t length;        // bytes, not counting the NUL
    bool interactive;     // REPL: an unfinished block is PARSE_INCOMPLETE, not an error
} Source;

// What went wrong, in the words CPython would use.
typedef struct {
    const char *type; // "SyntaxError", "IndentationError", "TabError", or "RecursionError" (too deep)
    char message[256]; // e.g. "invalid syntax", "unindent does not match any outer indentation level"
    int line;          // 1-based
    int col;           // 1-based column in characters, where the caret goes
    int end_col;       // 1-based column after the offending token (>= col); carets span col..end_col-1
} SyntaxErr;

#endif
