/*
 * Table rendering for results documents. Reads only fields results_check()
 * guarantees, so it can print any checked document.
 */
#include "results/table.h"

#include <math.h>
#include <string.h>

#include "core/str.h"

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

/* "1.997 x [1.995-1.998]": four significant figures tell 2x from 1.99x. */
static void figure(const json_t *t, char *out, size_t size)
{
    const json_t *s = json_object_get(t, "summary");
    const char *unit = str_of(json_object_get(t, "metric"), "unit");

    str_printf(out, size, "%.4g %s [%.4g-%.4g]", json_number_value(json_object_get(s, "median")),
               unit, json_number_value(json_object_get(s, "p10")),
               json_number_value(json_object_get(s, "p90")));
}

static void bound(const json_t *t, char *out, size_t size)
{
    const json_t *b = json_object_get(t, "bound");
    const json_t *v = json_object_get(b, "value");

    if (b == NULL || !json_is_number(v)) {
        str_printf(out, size, "-");
        return;
    }
    str_printf(out, size, "%s %.3g %s",
               strcmp(str_of(b, "kind"), "upper") == 0 ? "<=" : ">=", json_number_value(v),
               str_of(b, "unit"));
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

/* A GEMM-style line naming the sizes that met the lab's bar, as the lab asks to show. */
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
    fprintf(f, "  lab criterion >= 1.05x met at: %s\n", met[0] != '\0' ? met : "no size");
}

void results_print_table(FILE *f, const json_t *doc)
{
    const json_t *tests = json_object_get(doc, "tests");
    const json_t *skipped = json_object_get(doc, "skipped");
    const char *group = NULL;
    struct widths w = {0};
    const json_t *t;
    size_t i;

    json_array_foreach (tests, i, t) {
        char fig[64], bnd[48];
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
        fprintf(f, "  %-*s  %-*s  %-*s  %-6s %s\n", w.title, str_of(t, "title"), w.fig, fig, w.bnd,
                bnd, str_of(v, "status"), str_of(v, "detail"));
    }
    if (group != NULL)
        print_criterion_line(f, tests, group);
    json_array_foreach (skipped, i, t) {
        fprintf(f, "skipped: %s: %s\n", str_of(t, "what"), str_of(t, "why"));
    }
}
