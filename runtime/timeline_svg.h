/* timeline_svg: `--timeline=FILE.svg`, the picture drawn from what runtime/timeline.c collects. */
#ifndef AIO_TIMELINE_SVG_H
#define AIO_TIMELINE_SVG_H

#include <stdio.h>

// Rows are numbered from 0 (the loop); times are seconds since the program started.
void svg_row(int row, const char *name);
// category: "step", "wait" or "blocked" (a blocked bar spans every row).
void svg_bar(int row, const char *category, const char *name, double from, double to);
// A task's creation ("created at ...") or end.
void svg_marker(int row, const char *name, double at);
// Draws everything collected into out, and forgets it.
void svg_write(FILE *out);

#endif
