/* timeline_svg: the picture `aio --timeline=FILE.svg` draws, from the bars runtime/timeline.c
 * collects (one row per task, row 0 the event loop).
 *
 * Time runs left to right over PLOT_WIDTH pixels, the whole run scaled to fit.  A step is a solid
 * bar, a wait a light bar labelled with what the task awaits, a time.sleep() that blocked the loop
 * a red band across every row; a green dot marks a task's creation, a dark one its end.  Every
 * shape carries a <title> (shown on hover) with its text and times.  The file is plain SVG 1.1.
 */
#include "timeline_svg.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_WIDTH 240
#define PLOT_WIDTH 900
#define ROW_HEIGHT 26
#define TOP 30

typedef struct {
    int row;
    char kind;  // 's' step, 'w' wait, 'b' blocked, 'c' created, 'e' ended
    double from, to;
    char *text;
} Shape;

static struct {
    Shape *shapes;
    size_t count, capacity;
    char **row_names;
    int rows;
} svg;

static char *copy(const char *s) {
    char *c = strdup(s ? s : "");
    if (!c) abort();
    return c;
}

static void add(int row, char kind, double from, double to, const char *text) {
    if (svg.count == svg.capacity) {
        svg.capacity = svg.capacity ? svg.capacity * 2 : 64;
        svg.shapes = realloc(svg.shapes, svg.capacity * sizeof(Shape));
        if (!svg.shapes) abort();
    }
    svg.shapes[svg.count++] = (Shape){row, kind, from, to, copy(text)};
}

void svg_row(int row, const char *name) {
    if (row >= svg.rows) {
        svg.row_names = realloc(svg.row_names, (size_t)(row + 1) * sizeof(char *));
        if (!svg.row_names) abort();
        for (int r = svg.rows; r <= row; r++) svg.row_names[r] = NULL;
        svg.rows = row + 1;
    }
    free(svg.row_names[row]);
    svg.row_names[row] = copy(name);
}

void svg_bar(int row, const char *category, const char *name, double from, double to) {
    char kind = strcmp(category, "step") == 0 ? 's' : strcmp(category, "blocked") == 0 ? 'b' : 'w';
    add(row, kind, from, to, name);
}

void svg_marker(int row, const char *name, double at) {
    add(row, strncmp(name, "created", 7) == 0 ? 'c' : 'e', at, at, name);
}

static void put_text(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", out);
        else if (*s == '>') fputs("&gt;", out);
        else if (*s == '&') fputs("&amp;", out);
        else if (*s == '"') fputs("&quot;", out);
        else fputc(*s, out);
    }
}

// A round step for the time axis: 1, 2 or 5 times a power of ten, about a tenth of the span.
static double tick_step(double span) {
    double raw = span / 10, power = pow(10, floor(log10(raw)));
    double fraction = raw / power;
    return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
}

void svg_write(FILE *out) {
    double end = 0;
    for (size_t i = 0; i < svg.count; i++)
        if (svg.shapes[i].to > end) end = svg.shapes[i].to;
    if (end <= 0) end = 1e-3;
    double scale = PLOT_WIDTH / end;
    int height = TOP + svg.rows * ROW_HEIGHT + 10;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            LABEL_WIDTH + PLOT_WIDTH + 20, height);
    double step = tick_step(end);
    for (double t = 0; t <= end * 1.0001; t += step) {
        double x = LABEL_WIDTH + t * scale;
        fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>", x, TOP - 5, x, height - 10);
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%g s</text>\n", x, TOP - 10, t);
    }
    for (int r = 0; r < svg.rows; r++) {
        int y = TOP + r * ROW_HEIGHT;
        fprintf(out, "<text class=\"row\" x=\"4\" y=\"%d\">", y + 17);
        put_text(out, svg.row_names[r] ? svg.row_names[r] : "");
        fputs("</text>\n", out);
    }
    for (size_t i = 0; i < svg.count; i++) {
        Shape *s = &svg.shapes[i];
        double x = LABEL_WIDTH + s->from * scale, width = (s->to - s->from) * scale;
        int y = TOP + s->row * ROW_HEIGHT;
        if (s->kind == 'b') {
            fprintf(out, "<rect class=\"blocked\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"#e03030\" "
                         "fill-opacity=\"0.35\">",
                    x, TOP, width, svg.rows * ROW_HEIGHT);
        } else if (s->kind == 's' || s->kind == 'w') {
            bool step_bar = s->kind == 's';
            fprintf(out, "<rect class=\"%s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\">",
                    step_bar ? "step" : "wait", x, y + 4, width < 1 && step_bar ? 1.0 : width, ROW_HEIGHT - 8,
                    step_bar ? "#2a62b8" : "#c9d8ef");
        } else {
            fprintf(out, "<circle class=\"%s\" cx=\"%.2f\" cy=\"%d\" r=\"4\" fill=\"%s\">",
                    s->kind == 'c' ? "created" : "ended", x, y + ROW_HEIGHT / 2, s->kind == 'c' ? "#2a9a3a" : "#222");
        }
        fputs("<title>", out);
        put_text(out, s->text);
        fprintf(out, " (%g s to %g s)</title>", s->from, s->to);
        fputs(s->kind == 'c' || s->kind == 'e' ? "</circle>\n" : "</rect>\n", out);
        if (s->kind == 'w' && width > 60) {
            fprintf(out, "<text x=\"%.2f\" y=\"%d\" fill=\"#234\">", x + 3, y + 17);
            put_text(out, s->text);
            fputs("</text>\n", out);
        }
        free(s->text);
    }
    fputs("</svg>\n", out);
    for (int r = 0; r < svg.rows; r++) free(svg.row_names[r]);
    free(svg.row_names);
    free(svg.shapes);
    memset(&svg, 0, sizeof svg);
}
