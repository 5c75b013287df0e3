/* The REPL's line editor: libedit, fed by the event loop instead of a blocking read.
 *
 * libedit asks for one character at a time through our read function (EL_GETCFN).  When no byte
 * of the terminal is buffered, that function calls the owner's `wait` callback, which runs the
 * event loop until standard input is readable: background tasks run while the user types.
 * Whatever they print goes through line_editor_console(): while a prompt is on the screen, the
 * prompt and the half-typed line are erased, the output is written where they were, and libedit
 * redraws them below it, cursor position included.
 *
 * The editor owns the terminal while a line is read (libedit's raw mode) and gives it back, in
 * its cooked mode, when line_editor_read returns.  History lives in memory and in one file (whole
 * entries, several lines each, kept as one).  Keys beyond libedit's emacs defaults: Tab completes
 * (through the owner's `complete` callback), Ctrl-R searches history backwards, Ctrl-C clears
 * the line, Ctrl-D ends the input on an empty line (without libedit's "^D"), Ctrl-Left/Right move
 * by words, and a bracketed paste arrives as one block.  Standard input stays a blocking
 * descriptor: the editor only reads it when poll() says a byte is there.
 */
#ifndef AIO_LINE_EDITOR_H
#define AIO_LINE_EDITOR_H

#include <stdbool.h>
#include <stdio.h>

#include "strbuf.h"

typedef struct LineEditor LineEditor;

// What `wait` reports: a key can be read; Ctrl-C was pressed (the line is to be dropped); the
// session must end (an exception escaped the loop: the owner keeps it pending).
typedef enum { WAIT_INPUT, WAIT_INTERRUPT, WAIT_STOP } WaitOutcome;

// What line_editor_read reports.
typedef enum { LINE_OK, LINE_EOF, LINE_INTERRUPTED, LINE_STOP } LineStatus;

typedef struct {
    void *owner;
    // Runs the event loop until standard input is readable (or Ctrl-C, or the end).
    WaitOutcome (*wait)(void *owner);
    // Candidates for completing `line` at byte `cursor`: each a whole word replacing
    // line[*start..cursor).  Returns how many it put in `out` (malloc'd strings, at most `max`).
    int (*complete)(void *owner, const char *line, int cursor, int *start, char **out, int max);
} LineEditorHooks;

// An editor on the terminal of standard input and output; history in `history_path` (NULL: in
// memory only).  NULL when standard input is not a terminal or libedit cannot start.
LineEditor *line_editor_open(const LineEditorHooks *hooks, const char *history_path);
void line_editor_close(LineEditor *ed);

// Reads a line with `prompt` (escape sequences wrapped in '\1'), the text `indent` already typed.
// LINE_OK: `out` holds the line without its '\n'.  A multi-line entry recalled from history or a
// bracketed paste comes back whole, with its '\n's, and `*block` set: it is a finished entry.
LineStatus line_editor_read(LineEditor *ed, const char *prompt, const char *indent, StrBuf *out, bool *block);

// Remembers a finished entry (several lines for a block) and saves the history file.
void line_editor_remember(LineEditor *ed, const char *entry);

// The prompt on the screen, if it is `old`, becomes `new` (same width): drawn again at once.
void line_editor_replace_prompt(LineEditor *ed, const char *old, const char *new_prompt);

// The terminal changed size (SIGWINCH): libedit measures it again.
void line_editor_resized(LineEditor *ed);

// The stream a program's output goes to while the editor may be showing a prompt: `fd` 1 or 2.
// Text written there while a line is being read appears above the prompt, which is redrawn.
FILE *line_editor_console(LineEditor *ed, int fd);

#endif
