/* timeline_svg: the picture `aio --timeline=FILE.svg` draws, from the bars runtime/timeline.c
 * collects (one row per task, row 0 the event loop).
 *
 * Time runs left to right over PLOT_WIDTH pixels, the whole run scaled to fit (or the first
 * $AIO_TIMELINE_SECONDS seconds, when that is longer, so that pictures of different runs share a
 * scale).  A step is a solid bar, a wait a light bar labelled with what the task awaits, a
 * time.sleep() that blocked the loop a red band across every row; a green dot marks a task's
 * creation, a dark dot its return, a red diamond an exception, a grey cross its cancellation;
 * an orange arrow goes from the event that woke a task (a task's end, or the loop's row for a
 * timer or callback) to the step it caused; thin ticks on the loop's row are callbacks, ready
 * descriptors and virtual-time jumps.  Every shape carries a <title> (shown on hover) with its
 * text, source line and times.  A legend closes the picture.  The file is plain SVG 1.1.
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
#define LEGEND_HEIGHT 30

#define STEP_COLOUR "#2a62b8"
#define WAIT_COLOUR "#c9d8ef"
#define BLOCKED_COLOUR "#e03030"
#define ARROW_COLOUR "#e08a00"

typedef struct {
    int row;
    char kind;  // 's' step, 'w' wait, 'b' blocked, 'c' created, 'r' returned, 'x' raised,
                // 'k' cancelled, 'l' a tick on the loop's row, 'a' arrow (to to_row)
    int to_row;
    double from, to;
    char *text; // for an arrow, what woke the task (or NULL)
    char *at;   // the source line, or NULL
} Shape;

static struct {
    Shape *shapes;
    size_t count, capacity;
    char **row_names;
    int rows;
} svg;

static char *copy(const char *s) {
    if (!s) return NULL;
    char *c = strdup(s);
    if (!c) abort();
    return c;
}

static void add(Shape shape) {
    if (svg.count == svg.capacity) {
        svg.capacity = svg.capacity ? svg.capacity * 2 : 64;
        svg.shapes = realloc(svg.shapes, svg.capacity * sizeof(Shape));
        if (!svg.shapes) abort();
    }
    shape.text = copy(shape.text);
    shape.at = copy(shape.at);
    svg.shapes[svg.count++] = shape;
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

void svg_bar(int row, const char *category, const char *name, const char *at, double from, double to) {
    char kind = strcmp(category, "step") == 0 ? 's' : strcmp(category, "blocked") == 0 ? 'b' : 'w';
    add((Shape){.row = row, .kind = kind, .from = from, .to = to, .text = (char *)name, .at = (char *)at});
}

void svg_marker(int row, const char *category, const char *name, double at) {
    char kind = 'l';
    if (strcmp(category, "task") == 0) {
        kind = strncmp(name, "created", 7) == 0 ? 'c' : strncmp(name, "raised", 6) == 0 ? 'x'
               : strncmp(name, "cancelled", 9) == 0                                   ? 'k'
                                                                                       : 'r';
    }
    add((Shape){.row = row, .kind = kind, .from = at, .to = at, .text = (char *)name});
}

void svg_arrow(int from_row, double from, int to_row, double to, const char *cause) {
    add((Shape){.row = from_row, .kind = 'a', .to_row = to_row, .from = from, .to = to, .text = (char *)cause});
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

// At most `room` characters of s (UTF-8 aware), with an ellipsis when it was cut.
static void put_clipped(FILE *out, const char *s, int room) {
    int characters = 0;
    for (const char *p = s; *p; p++) characters += ((unsigned char)*p & 0xC0) != 0x80;
    if (characters <= room) {
        put_text(out, s);
        return;
    }
    char buffer[256];
    size_t n = 0;
    for (int kept = 0; s[n] && n < sizeof buffer - 4; n++) {
        if (((unsigned char)s[n] & 0xC0) != 0x80 && ++kept > room - 1) break;
        buffer[n] = s[n];
    }
    memcpy(buffer + n, "\xE2\x80\xA6", 4); // …
    put_text(out, buffer);
}

// A round step for the time axis: 1, 2 or 5 times a power of ten, about a tenth of the span.
static double tick_step(double span) {
    double raw = span / 10, power = pow(10, floor(log10(raw)));
    double fraction = raw / power;
    return (fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10) * power;
}

static void put_title(FILE *out, const Shape *s) {
    fputs("<title>", out);
    put_text(out, s->text);
    if (s->at && !strstr(s->text, s->at)) {
        fputs(" at ", out);
        put_text(out, s->at);
    }
    if (s->to > s->from) fprintf(out, " (%g s to %g s: %g s)</title>", s->from, s->to, s->to - s->from);
    else fprintf(out, " (at %g s)</title>", s->from);
}

// The marker of kind k centred on (x, y), its title inside it; without a shape, the legend's
// sample (class "key").
static void put_marker(FILE *out, char k, double x, double y, const Shape *s) {
    const char *name = !s ? "key" : k == 'c' ? "created" : k == 'r' ? "returned" : k == 'x' ? "raised" : "cancelled";
    if (k == 'c' || k == 'r') {
        fprintf(out, "<circle class=\"%s\" cx=\"%.2f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">", name, x, y,
                k == 'c' ? "#2a9a3a" : "#222");
    } else if (k == 'x') {
        fprintf(out, "<path class=\"%s\" d=\"M%.2f %.1fl5 5-5 5-5-5z\" fill=\"#c01818\">", name, x, y - 5);
    } else {
        fprintf(out, "<path class=\"%s\" d=\"M%.2f %.1fl8 8m0-8l-8 8\" stroke=\"#666\" stroke-width=\"2.5\">", name,
                x - 4, y - 4);
    }
    if (s) put_title(out, s);
    fputs(k == 'c' || k == 'r' ? "</circle>\n" : "</path>\n", out);
}

static void put_legend(FILE *out, int y) {
    int x = LABEL_WIDTH;
    fprintf(out, "<g class=\"legend\">\n");
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"12\" fill=\"" STEP_COLOUR "\"/>", x, y - 10);
    fprintf(out, "<text x=\"%d\" y=\"%d\">runs</text>\n", x + 22, y);
    x += 64;
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"12\" fill=\"" WAIT_COLOUR "\"/>", x, y - 10);
    fprintf(out, "<text x=\"%d\" y=\"%d\">waits</text>\n", x + 22, y);
    x += 66;
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"12\" fill=\"" BLOCKED_COLOUR "\" fill-opacity=\"0.35\"/>",
            x, y - 10);
    fprintf(out, "<text x=\"%d\" y=\"%d\">loop blocked</text>\n", x + 22, y);
    x += 112;
    static const struct {
        char kind;
        const char *label;
        int width;
    } markers[] = {{'c', "created", 72}, {'r', "returned", 80}, {'x', "raised", 66}, {'k', "cancelled", 86}};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
        put_marker(out, markers[i].kind, x + 5, y - 4, NULL);
        fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 14, y, markers[i].label);
        x += markers[i].width;
    }
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"" ARROW_COLOUR "\" stroke-width=\"1.5\" "
                 "marker-end=\"url(#arrowhead)\"/>",
            x, y - 4, x + 22, y - 4);
    fprintf(out, "<text x=\"%d\" y=\"%d\">woken by</text>\n</g>\n", x + 28, y);
}

void svg_write(FILE *out) {
    double end = 0;
    for (size_t i = 0; i < svg.count; i++)
        if (svg.shapes[i].to > end) end = svg.shapes[i].to;
    const char *fixed = getenv("AIO_TIMELINE_SECONDS");
    if (fixed && atof(fixed) > end) end = atof(fixed);
    if (end <= 0) end = 1e-3;
    double scale = PLOT_WIDTH / end;
    int plot_bottom = TOP + svg.rows * ROW_HEIGHT;
    int height = plot_bottom + 10 + LEGEND_HEIGHT;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<defs><marker id=\"arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
            "markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"" ARROW_COLOUR "\"/></marker></defs>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            LABEL_WIDTH + PLOT_WIDTH + 20, height);
    for (int r = 1; r < svg.rows; r += 2) // every other row shaded, to follow a row across
        fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f4f4\"/>\n", TOP + r * ROW_HEIGHT,
                LABEL_WIDTH + PLOT_WIDTH + 20, ROW_HEIGHT);
    double step = tick_step(end);
    for (double t = 0; t <= end * 1.0001; t += step) {
        double x = LABEL_WIDTH + t * scale;
        fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>", x, TOP - 5, x, plot_bottom);
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%g s</text>\n", x, TOP - 10, t);
    }
    for (int r = 0; r < svg.rows; r++) {
        int y = TOP + r * ROW_HEIGHT;
        fprintf(out, "<text class=\"row\" x=\"4\" y=\"%d\">", y + 17);
        put_clipped(out, svg.row_names[r] ? svg.row_names[r] : "", 36);
        fputs("</text>\n", out);
    }
    // Drawn in layers: bars, the red bands over them (every task stopped), marks, then arrows.
    for (int layer = 0; layer < 4; layer++) {
        for (size_t i = 0; i < svg.count; i++) {
            Shape *s = &svg.shapes[i];
            int wanted = s->kind == 's' || s->kind == 'w' ? 0 : s->kind == 'b' ? 1 : s->kind == 'a' ? 3 : 2;
            if (wanted != layer) continue;
            double x = LABEL_WIDTH + s->from * scale, width = (s->to - s->from) * scale;
            int y = TOP + s->row * ROW_HEIGHT;
            if (s->kind == 'b') {
                fprintf(out, "<rect class=\"blocked\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"" BLOCKED_COLOUR "\" "
                             "fill-opacity=\"0.3\">",
                        x, TOP, width, svg.rows * ROW_HEIGHT);
                put_title(out, s);
                fputs("</rect>\n", out);
            } else if (s->kind == 's' || s->kind == 'w') {
                bool step_bar = s->kind == 's';
                fprintf(out, "<rect class=\"%s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\">",
                        step_bar ? "step" : "wait", x, y + 4, width < 1 && step_bar ? 1.0 : width, ROW_HEIGHT - 8,
                        step_bar ? STEP_COLOUR : WAIT_COLOUR);
                put_title(out, s);
                fputs("</rect>\n", out);
                if (!step_bar && width > 40) {
                    fprintf(out, "<text x=\"%.2f\" y=\"%d\" fill=\"#234\">", x + 3, y + 17);
                    put_clipped(out, s->text, (int)((width - 6) / 6.8));
                    fputs("</text>\n", out);
                }
            } else if (s->kind == 'l') {
                fprintf(out, "<rect class=\"tick\" x=\"%.2f\" y=\"%d\" width=\"1\" height=\"%d\" fill=\"#888\">", x, y + 6,
                        ROW_HEIGHT - 12);
                put_title(out, s);
                fputs("</rect>\n", out);
            } else if (s->kind == 'a') {
                double x2 = LABEL_WIDTH + s->to * scale;
                int y2 = TOP + s->to_row * ROW_HEIGHT + (s->to_row > s->row ? 4 : ROW_HEIGHT - 4);
                fprintf(out, "<line class=\"woken\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"" ARROW_COLOUR "\" "
                             "stroke-width=\"1.5\" marker-end=\"url(#arrowhead)\"><title>",
                        x, y + ROW_HEIGHT / 2, x2, y2);
                put_text(out, svg.row_names[s->to_row] ? svg.row_names[s->to_row] : "");
                fputs(" woken by ", out);
                put_text(out, s->text ? s->text : svg.row_names[s->row] ? svg.row_names[s->row] : "");
                fprintf(out, " (at %g s)</title></line>\n", s->from);
            } else {
                put_marker(out, s->kind, x, y + ROW_HEIGHT / 2.0, s);
            }
        }
    }
    put_legend(out, plot_bottom + 10 + LEGEND_HEIGHT / 2 + 4);
    fputs("</svg>\n", out);
    for (size_t i = 0; i < svg.count; i++) {
        free(svg.shapes[i].text);
        free(svg.shapes[i].at);
    }
    for (int r = 0; r < svg.rows; r++) free(svg.row_names[r]);
    free(svg.row_names);
    free(svg.shapes);
    memset(&svg, 0, sizeof svg);
}
