/*
 * Table rendering for results documents. Reads only fields results_check()
 * guarantees, so it can print any checked document.
 */
#include "results/table.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/str.h"

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

/* A time unit's length in microseconds; 0 for any other unit. */
static double unit_us(const char *unit)
{
    if (strcmp(unit, "us") == 0)
        return 1;
    if (strcmp(unit, "ms") == 0)
        return 1e3;
    if (strcmp(unit, "s") == 0)
        return 1e6;
    return 0;
}

/* Four significant figures tell 2x from 1.99x; never an exponent below a billion, never -0. */
static void num4(char *out, size_t size, double v)
{
    if (fabs(v) < 5e-5)
        v = 0;
    if (fabs(v) >= 1e4 && fabs(v) < 1e9)
        str_printf(out, size, "%.0f", v);
    else
        str_printf(out, size, "%.4g", v);
}

/* A time scaled to read best, in the unit the median chose: scale is that unit's us. */
static void time_in(char *out, size_t size, double us, double scale)
{
    str_num(out, size, fabs(us / scale) < 5e-4 ? 0 : us / scale);
}

/* The median's unit for a time: us below 1 ms, ms below 1 s, else s. */
static double time_scale(double us, const char **name)
{
    double a = fabs(us);

    *name = a >= 1e6 ? "s" : a >= 1e3 ? "ms" : "us";
    return a >= 1e6 ? 1e6 : a >= 1e3 ? 1e3 : 1;
}

/* "23.6 ms [21.2-25.0]", "1.997 x [1.995-1.998]": the spread in the median's unit; " to "
 * between negative ends, where a dash would read as a minus. */
static void figure(const json_t *t, char *out, size_t size)
{
    const json_t *s = json_object_get(t, "summary");
    const char *unit = str_of(json_object_get(t, "metric"), "unit");
    double med = json_number_value(json_object_get(s, "median"));
    double lo = json_number_value(json_object_get(s, "p10"));
    double hi = json_number_value(json_object_get(s, "p90"));
    double us = unit_us(unit);
    char a[32], b[32], c[32];

    if (us > 0) {
        double scale = time_scale(med * us, &unit);

        time_in(a, sizeof(a), med * us, scale);
        time_in(b, sizeof(b), lo * us, scale);
        time_in(c, sizeof(c), hi * us, scale);
    } else {
        num4(a, sizeof(a), med);
        num4(b, sizeof(b), lo);
        num4(c, sizeof(c), hi);
    }
    str_printf(out, size, "%s %s [%s%s%s]", a, unit, b, lo < 0 || hi < 0 ? " to " : "-", c);
}

static void bound(const json_t *t, char *out, size_t size)
{
    const json_t *b = json_object_get(t, "bound");
    const json_t *v = json_object_get(b, "value");
    const char *unit = str_of(b, "unit");
    char n[32];

    if (b == NULL || !json_is_number(v)) {
        str_printf(out, size, "-");
        return;
    }
    if (unit_us(unit) > 0) {
        str_ms(n, sizeof(n), json_number_value(v) * unit_us(unit) / 1e3);
        str_printf(out, size, "%s %s", strcmp(str_of(b, "kind"), "upper") == 0 ? "<=" : ">=", n);
        return;
    }
    num4(n, sizeof(n), json_number_value(v));
    str_printf(out, size, "%s %s %s", strcmp(str_of(b, "kind"), "upper") == 0 ? "<=" : ">=", n,
               unit);
}

/* The median past its own physical bound: either the bound is not tight or the measurement
 * is off, and a verdict beside it must not read as settled. */
static bool past_bound(const json_t *t)
{
    const json_t *b = json_object_get(t, "bound");
    double v = json_number_value(json_object_get(b, "value"));
    double med = json_number_value(json_object_get(json_object_get(t, "summary"), "median"));

    if (b == NULL || !json_is_number(json_object_get(b, "value")) ||
        strcmp(str_of(b, "unit"), str_of(json_object_get(t, "metric"), "unit")) != 0)
        return false;
    return strcmp(str_of(b, "kind"), "upper") == 0 ? med > v * (1 + 1e-9) : med < v * (1 - 1e-9);
}

/* Columns as wide as the group's widest entry: a label is never cut. */
struct widths {
    int title, fig, bnd;
};

static void group_widths(const json_t *tests, size_t from, const char *group, struct widths *w)
{
    char fig[64], bnd[48];
    const json_t *t;

    *w =
        (struct widths){(int)strlen("test"), (int)strlen("median [p10-p90]"), (int)strlen("bound")};
    for (size_t i = from; i < json_array_size(tests); i++) {
        t = json_array_get(tests, i);
        if (strcmp(str_of(t, "group"), group) != 0)
            break;
        figure(t, fig, sizeof(fig));
        bound(t, bnd, sizeof(bnd));
        w->title =
            (int)strlen(str_of(t, "title")) > w->title ? (int)strlen(str_of(t, "title")) : w->title;
        w->fig = (int)strlen(fig) > w->fig ? (int)strlen(fig) : w->fig;
        w->bnd = (int)strlen(bnd) > w->bnd ? (int)strlen(bnd) : w->bnd;
    }
}

static void print_group_header(FILE *f, const char *group, const struct widths *w)
{
    fprintf(f, "\n%s\n  %-*s  %-*s  %-*s  %s\n", group, w->title, "test", w->fig,
            "median [p10-p90]", w->bnd, "bound", "verdict");
}

/* The GEMM group's summary: the sizes at which two streams beat one by 5% or more. */
static void print_criterion_line(FILE *f, const json_t *tests, const char *group)
{
    char met[256] = "";
    size_t i, len = 0;
    const json_t *t;

    if (strcmp(group, "streams.gemm") != 0)
        return;
    json_array_foreach (tests, i, t) {
        const json_t *v = json_object_get(t, "verdict");
        const json_t *p = json_object_get(t, "params");

        if (strcmp(str_of(t, "group"), group) != 0 || strcmp(str_of(v, "status"), "meets") != 0)
            continue;
        if (len < sizeof(met))
            len +=
                (size_t)snprintf(met + len, sizeof(met) - len, "%s%s n=%lld", len > 0 ? ", " : "",
                                 str_of(p, "dtype"), json_integer_value(json_object_get(p, "n")));
    }
    fprintf(f, "  two streams >= 1.05x faster than one at: %s\n", met[0] != '\0' ? met : "no size");
}

void results_print_table(FILE *f, const json_t *doc)
{
    const json_t *tests = json_object_get(doc, "tests");
    const json_t *skipped = json_object_get(doc, "skipped");
    const char *group = NULL;
    struct widths w = {0};
    const json_t *t;
    bool any_past = false;
    size_t i;

    json_array_foreach (tests, i, t) {
        char fig[64], bnd[48], status[16];
        const json_t *v = json_object_get(t, "verdict");

        if (group == NULL || strcmp(group, str_of(t, "group")) != 0) {
            if (group != NULL)
                print_criterion_line(f, tests, group);
            group = str_of(t, "group");
            group_widths(tests, i, group, &w);
            print_group_header(f, group, &w);
        }
        figure(t, fig, sizeof(fig));
        bound(t, bnd, sizeof(bnd));
        str_printf(status, sizeof(status), "%s%s", str_of(v, "status"), past_bound(t) ? "*" : "");
        any_past |= past_bound(t);
        fprintf(f, "  %-*s  %-*s  %-*s  %-7s %s\n", w.title, str_of(t, "title"), w.fig, fig, w.bnd,
                bnd, status, str_of(v, "detail"));
    }
    if (group != NULL)
        print_criterion_line(f, tests, group);
    if (any_past)
        fprintf(f, "\n* the median is past its own bound: the bound is not tight there, or the "
                   "measurement is off; read the verdict with that\n");
    json_array_foreach (skipped, i, t) {
        fprintf(f, "skipped: %s: %s\n", str_of(t, "what"), str_of(t, "why"));
    }
}
