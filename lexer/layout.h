/* The layout layer: turns the scanner's physical lines into Python's logical lines.
 *
 * layout_next() sits between the scanner and the parser and adds the three tokens that make
 * indentation significant: NEWLINE at the end of each logical line, INDENT when a line starts
 * deeper than the one before, DEDENT (one per level) when it starts shallower.  It follows
 * CPython's tokenizer: tabs advance to the next multiple of 8, blank and comment-only lines are
 * ignored, and line breaks inside (), [] or {} are not NEWLINEs.  It also matches brackets, so
 * "unmatched ')'" and "'(' was never closed" come from here, and it checks that a line ending
 * in ':' after if/while/def/... is followed by an indented block.
 *
 * Errors come back as a TOKEN_ERROR token with the details in lx->scan.err.
 */
#ifndef AIO_LAYOUT_H
#define AIO_LAYOUT_H

#include "scan.h"

enum {
    LAYOUT_MAX_INDENT = 100,  // CPython's MAXINDENT: "too many levels of indentation"
    LAYOUT_MAX_BRACKETS = 200 // CPython's MAXLEVEL: "too many nested parentheses"
};

typedef struct {
    char kind; // '(', '[' or '{'
    int line;  // where it was opened
    int col;
} Bracket;

typedef struct {
    Scanner scan;     // the raw token source; also holds the error record
    bool interactive; // REPL input: an unfinished block at EOF is incomplete, not an error

    // The indentation stack: indent[0] == 0 always, indent[levels] is the current block's column.
    // alt_indent is the same with tabs counted as 1 column; the two orders must agree (TabError).
    int indent[LAYOUT_MAX_INDENT + 1];
    int alt_indent[LAYOUT_MAX_INDENT + 1];
    int levels;
    int pending; // > 0: INDENTs owed to the parser; < 0: DEDENTs owed

    Bracket brackets[LAYOUT_MAX_BRACKETS]; // open brackets, innermost last
    int depth;                             // how many are open

    bool at_line_start; // the next token begins a physical line outside brackets
    int last_kind;      // kind of the last token returned; 0 before the first
    Token line_first;   // the first token of the current logical line
    Token line_second;  // and the second (to tell `async def` from `async for`)
    int line_tokens;    // how many tokens the current logical line has had so far
    Token indent_at;    // where owed INDENTs/DEDENTs are reported: the first token of the line
    const char *block_kind; // non-NULL when the last logical line opened a block: "'if' statement"
    int block_line;         // ... and the line that block's header started on
    bool eof_flushed;       // the final NEWLINE/DEDENTs have been queued
    bool eof_closed_blocks; // ... and they include DEDENTs for every open block (not so in a
                            // REPL whose input does not end with a blank line yet)
} Layout;

void layout_init(Layout *lx, const char *text, size_t length, bool interactive, int line, int col);
Token layout_next(Layout *lx);

#endif
