/* The REPL's line editor: libedit driven by the event loop (see line_editor.h).
 *
 * How a key reaches libedit: el_gets() calls read_key() for every character.  read_key() serves
 * the bytes already read from the terminal, decoding UTF-8; when none is left it reads what the
 * terminal has without blocking, and when the terminal has nothing it calls the owner's wait(),
 * which runs the event loop until standard input is readable.  So libedit's own loops (an escape
 * sequence, a Ctrl-R search, the bracketed paste below) never block the loop either.
 *
 * How output gets above the prompt: while el_gets() runs (`reading`), a program's output goes to
 * the console streams (fopencookie), whose write erases the prompt and the typed text, writes the
 * output, and asks libedit to draw prompt, text and cursor again (EL_REFRESH) under it.
 */
#define _GNU_SOURCE // fopencookie
#include <errno.h>
#include <histedit.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "line_editor.h"

enum { MAX_CANDIDATES = 512 };

typedef struct {
    LineEditor *ed;
    int fd;
} ConsoleStream;

struct LineEditor {
    EditLine *el;
    History *history;
    char *history_path;
    LineEditorHooks hooks;
    FILE *term_out;                // libedit's output: the terminal, on its own descriptor
    unsigned char pending[4096];   // bytes read from the terminal, not yet given to libedit
    size_t pending_start, pending_end;
    char prompt[128];              // as drawn (set_prompt)
    char given_prompt[128];        // as given
    bool reading;                  // inside el_gets: a prompt and a line are on the screen
    bool cancelled;                // Ctrl-C: drop the line
    bool stopped;                  // the owner's wait said WAIT_STOP
    bool bracketed_paste;          // the terminal is asked for it (not on TERM=dumb or unset)
    bool pasted;                   // a bracketed paste ended the line; its text is in `paste`
    StrBuf paste;
    ConsoleStream console_cookie[2];
    FILE *console[2];              // for fd 1 and fd 2
};

static void sb_clear(StrBuf *sb) {
    sb->length = 0;
    if (sb->data) sb->data[0] = 0;
}

static LineEditor *editor_of(EditLine *el) {
    void *ed = NULL;
    el_get(el, EL_CLIENTDATA, &ed);
    return ed;
}

static void write_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static int terminal_columns(void) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

// The column after the text [s, end) drawn from column `start`, as libedit draws it: the character widths of the
// locale (two for most CJK), nothing for escape sequences wrapped in '\1'.  At each '\n' (a
// recalled block) the rows the line so far took are added to *rows and the count starts again.
static int columns_of(const char *s, const char *end, int start, int cols, int *rows) {
    int w = start;
    bool hidden = false;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    while (s < end && *s) {
        if (*s == '\1' || *s == '\n') {
            if (*s == '\1') hidden = !hidden;
            else if (rows) *rows += w / cols + 1, w = 0;
            s++;
            continue;
        }
        wchar_t c;
        size_t n = mbrtowc(&c, s, (size_t)(end - s), &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            memset(&st, 0, sizeof st);
            n = 1;
            c = '?';
        }
        int cw = wcwidth(c);
        if (!hidden) w += cw < 0 ? 1 : cw;
        s += n;
    }
    return w;
}

// ---- output above the prompt ------------------------------------------------------------------

// Moves the terminal's cursor to where the prompt starts and clears from there down.  The cursor
// is `row` rows below the prompt's start: the typed text wraps at the terminal's width, and a
// recalled block has '\n's of its own.
static void erase_edit_area(LineEditor *ed) {
    const LineInfo *li = el_line(ed->el);
    int cols = terminal_columns(), row = 0;
    int col = columns_of(ed->prompt, ed->prompt + strlen(ed->prompt), 0, cols, NULL);
    col = columns_of(li->buffer, li->cursor, col, cols, &row);
    row += col / cols;
    char seq[32];
    int n = row ? snprintf(seq, sizeof seq, "\r\033[%dA\033[J", row) : snprintf(seq, sizeof seq, "\r\033[J");
    write_all(STDOUT_FILENO, seq, (size_t)n);
}

// The console streams' write.  Outside el_gets the text goes straight to its descriptor.  While a
// line is read the terminal is in raw mode (no '\n' -> "\r\n" translation), so that is done here,
// and the prompt always starts on a fresh line.
static ssize_t console_write(void *cookie, const char *buf, size_t size) {
    ConsoleStream *cs = cookie;
    LineEditor *ed = cs->ed;
    if (!ed->reading) {
        write_all(cs->fd, buf, size);
        return (ssize_t)size;
    }
    fflush(ed->term_out);
    erase_edit_area(ed);
    const char *start = buf, *end = buf + size;
    for (const char *nl; (nl = memchr(start, '\n', (size_t)(end - start))); start = nl + 1) {
        write_all(cs->fd, start, (size_t)(nl - start));
        write_all(cs->fd, "\r\n", 2);
    }
    write_all(cs->fd, start, (size_t)(end - start));
    if (size && buf[size - 1] != '\n') write_all(cs->fd, "\r\n", 2);
    el_set(ed->el, EL_REFRESH);
    return (ssize_t)size;
}

static void set_prompt(LineEditor *ed, const char *prompt);

void line_editor_resized(LineEditor *ed) { el_resize(ed->el); }

void line_editor_replace_prompt(LineEditor *ed, const char *old, const char *new_prompt) {
    if (!ed->reading || strcmp(ed->given_prompt, old) != 0 || strcmp(old, new_prompt) == 0) return;
    fflush(ed->term_out);
    erase_edit_area(ed);
    set_prompt(ed, new_prompt);
    el_set(ed->el, EL_REFRESH);
}

FILE *line_editor_console(LineEditor *ed, int fd) { return ed->console[fd == 2]; }

// ---- keys -------------------------------------------------------------------------------------

// The next character of pending, decoded from UTF-8; false when pending holds no whole one.
static bool take_pending(LineEditor *ed, wchar_t *out) {
    size_t avail = ed->pending_end - ed->pending_start;
    if (!avail) return false;
    const unsigned char *p = ed->pending + ed->pending_start;
    int len = p[0] < 0x80 ? 1 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
    if ((size_t)len > avail) return false;
    wchar_t c = len == 1 ? p[0] : p[0] & (0x7F >> len);
    for (int i = 1; i < len; i++) c = (c << 6) | (p[i] & 0x3F);
    ed->pending_start += (size_t)len;
    *out = c;
    return true;
}

// Reads what the terminal has now, without blocking: 1 when bytes came, 0 when none are there
// yet, -1 at end of input.
static int read_available(LineEditor *ed) {
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0) return 0;
    if (ed->pending_start == ed->pending_end) ed->pending_start = ed->pending_end = 0;
    if (ed->pending_start > 0) { // keep an incomplete character, at the front
        memmove(ed->pending, ed->pending + ed->pending_start, ed->pending_end - ed->pending_start);
        ed->pending_end -= ed->pending_start;
        ed->pending_start = 0;
    }
    ssize_t n = read(STDIN_FILENO, ed->pending + ed->pending_end, sizeof ed->pending - ed->pending_end);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) return -1;
    ed->pending_end += (size_t)n;
    return 1;
}

// libedit's character source (EL_GETCFN): 1 with a character, 0 at the end of input.  Ctrl-C
// comes as the character ^C, whether the terminal sent it or the owner's wait saw SIGINT.
static int read_key(EditLine *el, wchar_t *out) {
    LineEditor *ed = editor_of(el);
    for (;;) {
        if (take_pending(ed, out)) return 1;
        int got = read_available(ed);
        if (got > 0) continue;
        if (got < 0) return 0;
        fflush(ed->term_out);
        switch (ed->hooks.wait(ed->hooks.owner)) {
        case WAIT_INPUT: break;
        case WAIT_INTERRUPT: *out = 3; return 1;
        case WAIT_STOP: ed->stopped = true; return 0;
        }
    }
}

// Ctrl-D: on an empty line the end of input (quietly: libedit's own binding echoes "^D"), else
// it deletes the character under the cursor.
static unsigned char on_ctrl_d(EditLine *el, int ch) {
    const LineInfo *li = el_line(el);
    if (li->buffer == li->lastchar) return CC_EOF;
    if (li->cursor == li->lastchar) return CC_ERROR;
    el_cursor(el, 1);
    el_deletestr(el, 1);
    return CC_REFRESH;
}

static unsigned char on_interrupt_key(EditLine *el, int ch) {
    editor_of(el)->cancelled = true;
    return CC_NEWLINE;
}

// A bracketed paste: the terminal sends ESC [200~ TEXT ESC [201~.  A paste of one line is typed
// text; a paste of several lines ends the line and is a whole entry (line_editor_read).
static unsigned char on_paste(EditLine *el, int ch) {
    LineEditor *ed = editor_of(el);
    static const char end_mark[] = "\033[201~";
    size_t mark = sizeof end_mark - 1;
    sb_clear(&ed->paste);
    for (;;) {
        wchar_t c;
        if (el_wgetc(el, &c) != 1) return CC_EOF;
        char utf8[4];
        int n = c < 0x80 ? (utf8[0] = (char)c, 1)
                : c < 0x800 ? (utf8[0] = (char)(0xC0 | (c >> 6)), utf8[1] = (char)(0x80 | (c & 0x3F)), 2)
                : c < 0x10000 ? (utf8[0] = (char)(0xE0 | (c >> 12)), utf8[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
                                 utf8[2] = (char)(0x80 | (c & 0x3F)), 3)
                : (utf8[0] = (char)(0xF0 | (c >> 18)), utf8[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
                   utf8[2] = (char)(0x80 | ((c >> 6) & 0x3F)), utf8[3] = (char)(0x80 | (c & 0x3F)), 4);
        sb_append(&ed->paste, c == '\r' ? "\n" : utf8, c == '\r' ? 1 : (size_t)n);
        if (ed->paste.length >= mark && memcmp(ed->paste.data + ed->paste.length - mark, end_mark, mark) == 0)
            break;
    }
    ed->paste.length -= mark;
    while (ed->paste.length && ed->paste.data[ed->paste.length - 1] == '\n') ed->paste.length--;
    ed->paste.data[ed->paste.length] = 0;
    char *nl = memchr(ed->paste.data, '\n', ed->paste.length);
    if (!nl) {
        el_insertstr(el, ed->paste.data);
        return CC_REFRESH;
    }
    *nl = 0; // the first line joins the typed text (shown here); line_editor_read shows the rest
    el_insertstr(el, ed->paste.data);
    fputs(ed->paste.data, ed->term_out);
    *nl = '\n';
    memmove(ed->paste.data, nl, ed->paste.length - (size_t)(nl - ed->paste.data) + 1);
    ed->paste.length -= (size_t)(nl - ed->paste.data);
    ed->pasted = true;
    return CC_NEWLINE;
}

// Prints candidates in columns under the line; libedit then draws prompt and line again.
static void list_candidates(LineEditor *ed, char **cands, int n, int start) {
    int widest = 0;
    for (int i = 0; i < n; i++) {
        int w = (int)strlen(cands[i] + start);
        if (w > widest) widest = w;
    }
    int per_row = terminal_columns() / (widest + 2);
    if (per_row < 1) per_row = 1;
    fputs("\r\n", ed->term_out);
    for (int i = 0; i < n; i++) {
        fprintf(ed->term_out, "%-*s", i % per_row == per_row - 1 || i == n - 1 ? 0 : widest + 2, cands[i] + start);
        if (i % per_row == per_row - 1 || i == n - 1) fputs("\r\n", ed->term_out);
    }
}

// Tab: at the start of a line (only blanks before the cursor) it indents; elsewhere it completes
// the word before the cursor as far as every candidate agrees, and lists them when that adds
// nothing.
static unsigned char on_tab(EditLine *el, int ch) {
    LineEditor *ed = editor_of(el);
    const LineInfo *li = el_line(el);
    int cursor = (int)(li->cursor - li->buffer);
    bool blank = true;
    for (const char *p = li->buffer; p < li->cursor; p++) blank &= *p == ' ' || *p == '\t';
    if (blank) {
        el_insertstr(el, "    ");
        return CC_REFRESH;
    }
    if (!ed->hooks.complete) return CC_ERROR;
    char *line = strndup(li->buffer, (size_t)(li->lastchar - li->buffer));
    char *cands[MAX_CANDIDATES];
    int start = cursor;
    int n = ed->hooks.complete(ed->hooks.owner, line, cursor, &start, cands, MAX_CANDIDATES);
    free(line);
    if (n <= 0) return CC_ERROR; // libedit beeps
    size_t common = strlen(cands[0]);
    for (int i = 1; i < n; i++) {
        size_t k = 0;
        while (k < common && cands[i][k] == cands[0][k]) k++;
        common = k;
    }
    size_t typed = (size_t)(cursor - start);
    unsigned char rc = CC_REFRESH;
    if (common > typed) {
        char *rest = strndup(cands[0] + typed, common - typed);
        el_insertstr(el, rest);
        free(rest);
    } else if (n > 1) {
        list_candidates(ed, cands, n, 0);
        rc = CC_REDISPLAY;
    }
    for (int i = 0; i < n; i++) free(cands[i]);
    return rc;
}

static char *prompt_of(EditLine *el) { return editor_of(el)->prompt; }

// libedit ties an escape sequence of the prompt to the screen cell after it; one at the very end
// (a colour's reset) would be tied to the first typed character's cell, and lost when that cell
// is drawn.  So a trailing '\1'-wrapped sequence is moved before the prompt's last character.
static void set_prompt(LineEditor *ed, const char *prompt) {
    snprintf(ed->given_prompt, sizeof ed->given_prompt, "%s", prompt);
    snprintf(ed->prompt, sizeof ed->prompt, "%s", prompt);
    size_t n = strlen(ed->prompt);
    if (n < 3 || ed->prompt[n - 1] != '\1') return;
    char *open = memrchr(ed->prompt, '\1', n - 1);
    if (!open || open == ed->prompt || open[-1] == '\1') return;
    char last = open[-1];
    memmove(open - 1, open, (size_t)(ed->prompt + n - open));
    ed->prompt[n - 1] = last;
}

// ---- the editor ---------------------------------------------------------------------------------

LineEditor *line_editor_open(const LineEditorHooks *hooks, const char *history_path) {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) return NULL;
    // libedit converts and measures characters by the locale's LC_CTYPE; aio's text is UTF-8
    // whatever the environment says, so a UTF-8 one it is (C.UTF-8 when the user's is not).
    if (!setlocale(LC_CTYPE, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0) setlocale(LC_CTYPE, "C.UTF-8");
    LineEditor *ed = calloc(1, sizeof *ed);
    if (!ed) return NULL;
    ed->hooks = *hooks;
    const char *term = getenv("TERM");
    ed->bracketed_paste = term && *term && strcmp(term, "dumb") != 0;
    sb_init(&ed->paste);
    ed->prompt[0] = 0;
    int out_fd = dup(STDOUT_FILENO);
    ed->term_out = out_fd >= 0 ? fdopen(out_fd, "w") : NULL;
    ed->el = ed->term_out ? el_init("aio", stdin, ed->term_out, stderr) : NULL;
    if (!ed->el) {
        if (ed->term_out) fclose(ed->term_out);
        free(ed);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        ed->console_cookie[i] = (ConsoleStream){ed, i + 1};
        ed->console[i] = fopencookie(&ed->console_cookie[i], "w", (cookie_io_functions_t){.write = console_write});
        setvbuf(ed->console[i], NULL, i == 0 ? _IOLBF : _IONBF, 0);
    }
    EditLine *el = ed->el;
    el_set(el, EL_CLIENTDATA, ed);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT_ESC, prompt_of, '\1');
    el_set(el, EL_GETCFN, read_key);
    ed->history = history_init();
    HistEvent ev;
    history(ed->history, &ev, H_SETSIZE, 1000);
    history(ed->history, &ev, H_SETUNIQUE, 1);
    if (history_path) {
        ed->history_path = strdup(history_path);
        history(ed->history, &ev, H_LOAD, history_path);
    }
    el_set(el, EL_HIST, history, ed->history);
    el_set(el, EL_ADDFN, "aio-complete", "complete a name or attribute", on_tab);
    el_set(el, EL_ADDFN, "aio-interrupt", "drop the line (Ctrl-C)", on_interrupt_key);
    el_set(el, EL_ADDFN, "aio-paste", "a bracketed paste", on_paste);
    el_set(el, EL_BIND, "^I", "aio-complete", NULL);
    el_set(el, EL_BIND, "^C", "aio-interrupt", NULL);
    el_set(el, EL_ADDFN, "aio-eof", "end of input on an empty line, else delete", on_ctrl_d);
    el_set(el, EL_BIND, "^D", "aio-eof", NULL);
    el_set(el, EL_BIND, "\\e[200~", "aio-paste", NULL);
    el_set(el, EL_BIND, "^R", "em-inc-search-prev", NULL);
    el_set(el, EL_BIND, "\\e[1;5D", "ed-prev-word", NULL);
    el_set(el, EL_BIND, "\\e[1;5C", "em-next-word", NULL);
    return ed;
}

void line_editor_close(LineEditor *ed) {
    if (!ed) return;
    el_end(ed->el);
    history_end(ed->history);
    for (int i = 0; i < 2; i++) fclose(ed->console[i]);
    fclose(ed->term_out);
    free(ed->history_path);
    sb_free(&ed->paste);
    free(ed);
}

void line_editor_remember(LineEditor *ed, const char *entry) {
    HistEvent ev;
    history(ed->history, &ev, H_ENTER, entry);
    if (ed->history_path) history(ed->history, &ev, H_SAVE, ed->history_path);
}

LineStatus line_editor_read(LineEditor *ed, const char *prompt, const char *indent, StrBuf *out, bool *block) {
    set_prompt(ed, prompt);
    ed->cancelled = ed->stopped = ed->pasted = false;
    *block = false;
    if (ed->bracketed_paste) fputs("\033[?2004h", ed->term_out); // on while the line is edited
    if (indent && *indent) el_push(ed->el, indent);
    // Raw mode before the prompt is drawn (libedit would set it only at the first read): keys
    // typed from now on are not echoed by the terminal behind libedit's back.
    el_set(ed->el, EL_PREP_TERM, 1);
    ed->reading = true;
    int n = 0;
    const char *line = el_gets(ed->el, &n);
    ed->reading = false;
    if (ed->bracketed_paste) fputs("\033[?2004l", ed->term_out);
    fflush(ed->term_out);
    if (ed->stopped) return LINE_STOP;
    if (ed->cancelled) return LINE_INTERRUPTED;
    if (!line || n <= 0) return LINE_EOF;
    sb_clear(out);
    size_t len = (size_t)n;
    if (len && line[len - 1] == '\n') len--;
    sb_append(out, line, len);
    if (ed->pasted) {
        // Show the paste's other lines as if typed at "... " prompts, then hand over the block.
        fputs("\n", ed->term_out);
        const char *p = ed->paste.data + 1;
        for (;;) {
            const char *nl = strchr(p, '\n');
            fprintf(ed->term_out, "... %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
            if (!nl) break;
            p = nl + 1;
        }
        fflush(ed->term_out);
        sb_append(out, ed->paste.data, ed->paste.length);
    }
    if (!out->data) { // an empty line: still a NUL-terminated string
        sb_putc(out, 0);
        out->length = 0;
    }
    *block = memchr(out->data, '\n', out->length) != NULL;
    return LINE_OK;
}
