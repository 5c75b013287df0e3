/* timeline_svg: `--timeline=FILE.svg`, the picture drawn from what runtime/timeline.c collects. */
#ifndef AIO_TIMELINE_SVG_H
#define AIO_TIMELINE_SVG_H

#include <stdio.h>

// Rows are numbered from 0 (the loop); times are seconds since the program started.
void svg_row(int row, const char *name);
// category: "step", "wait" or "blocked" (a blocked bar spans every row); at: the source line
// ("prog.aio:7") or NULL.
void svg_bar(int row, const char *category, const char *name, const char *at, double from, double to);
// An instant: category "task" for a task's creation ("created at ...") or end ("returned 1",
// "raised ValueError(...)", "cancelled"); "callback", "io" or "clock" for the loop's row.
void svg_marker(int row, const char *category, const char *name, double at);
// A "woken by" arrow from the event on from_row at time `from` (cause: what it was, or NULL) to
// the step on to_row at `to`.
void svg_arrow(int from_row, double from, int to_row, double to, const char *cause);
// Draws everything collected into out, and forgets it.
void svg_write(FILE *out);

#endif
