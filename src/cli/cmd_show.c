/*
 * gpushare show FILE: read a saved results document, check it, print its
 * table (or the checked document, re-serialised). Needs no GPU.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/isolation.h"
#include "cli/cli.h"
#include "core/xalloc.h"
#include "gpu/info.h"
#include "results/info_json.h"
#include "results/results.h"
#include "results/table.h"

static const char usage[] = "usage: gpushare show [--json] FILE\n";

static const char help[] =
    "Check a results document against docs/results.md and print its table: every test with\n"
    "its median, p10-p90 spread, bound and verdict; a document without tests (info -o)\n"
    "shows its GPU as gpushare info does. FILE '-' reads standard input.\n\n"
    "  --json      print the checked document (sorted keys) instead of the table\n"
    "  -h, --help  this help\n\n"
    "Exit status: 0 ok, 1 unreadable or invalid document, 2 usage error.\n";

/* A document without tests (gpushare info -o): the GPU it describes, as info prints it. */
static int show_info(const json_t *doc, const char *file)
{
    const json_t *info = json_object_get(doc, "info");
    struct gpu_info *g;
    struct error err;

    if (!json_is_object(info)) {
        printf("%s: no tests and no GPU information in this document\n", file);
        return EXIT_OK;
    }
    g = xcalloc(1, sizeof(*g));
    if (gpu_info_from_json(&err, info, g) < 0) {
        free(g);
        return cli_fail(&err);
    }
    printf("%s: the GPU, recorded by '%s' (no tests)\n\n", file,
           json_string_value(json_object_get(json_object_get(doc, "run"), "command")));
    cli_print_info(g);
    free(g);
    return EXIT_OK;
}

/* A document with isolation tests also gets its matrix (bench/isolation.h). */
static void show_isolation(const json_t *doc)
{
    struct iso_matrix mx;
    const json_t *t;
    size_t i;

    json_array_foreach (json_object_get(doc, "tests"), i, t)
        if (strncmp(json_string_value(json_object_get(t, "id")), "isolation.", 10) == 0) {
            iso_matrix_of(doc, &mx);
            printf("\n");
            iso_matrix_print(stdout, &mx);
            return;
        }
}

int cmd_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct error err;
    bool json = false;
    json_t *doc;
    int opt, rc = EXIT_OK;

    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            return EXIT_OK;
        }
        if (opt != 'j')
            return cli_bad_option(usage, argv, opt);
        json = true;
    }
    if (optind + 1 != argc) {
        error_set(&err, ERR_USAGE, optind >= argc ? "which file?" : "one file at a time");
        return cli_usage_error(usage, &err);
    }
    doc = results_load(&err, argv[optind]);
    if (doc == NULL)
        return cli_fail(&err);
    if (json) {
        if (results_write(&err, doc, "-") < 0)
            rc = cli_fail(&err);
    } else if (json_array_size(json_object_get(doc, "tests")) == 0) {
        rc = show_info(doc, argv[optind]);
    } else {
        results_print_table(stdout, doc);
        show_isolation(doc);
    }
    json_decref(doc);
    return rc;
}
