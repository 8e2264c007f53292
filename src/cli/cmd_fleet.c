/*
 * gpushare fleet merge: the results documents of many nodes, one GPU each, merged into one
 * fleet document (fleet/merge.h, docs/fleet.md) that the planner reads. Needs no GPU.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/progress.h"
#include "core/strparse.h"
#include "fleet/merge.h"
#include "results/results.h"

static const char usage[] =
    "usage: gpushare fleet merge [--tolerance PCT] [--json] -o FILE FILES...\n";

static const char help[] =
    "Merge the results documents of many nodes (one GPU each) into one fleet document: each\n"
    "node's identity (host, GPU UUID, PCI bus id, model, driver, tool commit) and its whole\n"
    "document, and each figure set against the median of the GPUs of the same model. A GPU\n"
    "whose figure is worse than that median by more than the tolerance is flagged; a model\n"
    "with fewer than 3 GPUs is recorded as having too few peers and nothing of it is flagged.\n"
    "Every input is checked first: one bad input, or two of the same GPU, and nothing is\n"
    "written. See docs/fleet.md.\n\n"
    "  -o, --out FILE      where the fleet document goes, atomically ('-': standard output)\n"
    "  -t, --tolerance PCT flag a figure worse than its peers' median by more than PCT percent\n"
    "                      (default 10)\n"
    "      --json          print the fleet document instead of the table\n"
    "  -h, --help          this help\n\n"
    "Exit status: 0 merged, 1 an unreadable or invalid input or a write failure (nothing\n"
    "written), 2 usage error.\n";

static const char fleet_usage[] = "usage: gpushare fleet SUBCOMMAND [OPTIONS]   (gpushare fleet "
                                  "SUBCOMMAND --help)\n";

static int parse_tolerance(struct error *err, const char *arg, double *tol)
{
    char buf[64];
    size_t len = strlen(arg);
    double pct;

    if (len == 0 || len >= sizeof(buf))
        return error_set(err, ERR_USAGE, "--tolerance '%.40s' is not a percentage", arg);
    memcpy(buf, arg, len + 1);
    if (buf[len - 1] == '%')
        buf[len - 1] = '\0';
    if (parse_double(err, "--tolerance", buf, 0.0, 999.0, &pct) < 0)
        return -1;
    if (pct <= 0.0)
        return error_set(err, ERR_USAGE, "--tolerance must be above 0 percent");
    *tol = pct / 100.0;
    return 0;
}

/* Is out one of the inputs (by name or by file)? Writing there would replace a document. */
static const char *out_is_input(const char *out, char *const *files, size_t n)
{
    struct stat so, si;
    bool have_out = strcmp(out, "-") != 0 && stat(out, &so) == 0;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(out, "-") != 0 && strcmp(out, files[i]) == 0)
            return files[i];
        if (have_out && stat(files[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return files[i];
    }
    return NULL;
}

static int merge_and_write(const char *out, char *const *files, size_t n, double tol, bool json)
{
    struct fleet_opts o = {.tolerance = tol, .git_dirty = -1};
    struct fleet_input *in = calloc(n, sizeof(*in));
    json_t **docs = calloc(n, sizeof(*docs)), *fleet = NULL;
    struct error err;
    int rc = EXIT_OK;

    if (in == NULL || docs == NULL)
        abort();
    progress("fleet: reading %zu document%s", n, n == 1 ? "" : "s");
    if (fleet_load_inputs(&err, files, n, docs) < 0) {
        free(in);
        free(docs);
        return cli_fail(&err);
    }
    for (size_t i = 0; i < n; i++) {
        in[i].file = files[i];
        in[i].doc = docs[i];
    }
    fleet = fleet_merge(&err, &o, in, n);
    if (fleet == NULL || fleet_check(&err, fleet, out) < 0 || results_write(&err, fleet, out) < 0)
        rc = cli_fail(&err);
    else {
        progress("fleet: wrote '%s': %zu nodes, %zu models, %zu flags", out, n,
                 json_object_size(json_object_get(fleet, "models")),
                 json_array_size(json_object_get(fleet, "flags")));
        if (json && strcmp(out, "-") != 0) {
            if (results_write(&err, fleet, "-") < 0)
                rc = cli_fail(&err);
        } else if (!json && strcmp(out, "-") != 0)
            fleet_print_table(stdout, fleet);
    }
    json_decref(fleet);
    for (size_t i = 0; i < n; i++)
        json_decref(docs[i]);
    free(docs);
    free(in);
    return rc;
}

static int fleet_merge_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"tolerance", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    double tol = FLEET_DEFAULT_TOLERANCE;
    const char *out = NULL, *clash;
    struct error err;
    bool json = false;
    int opt;

    while ((opt = getopt_long(argc, argv, ":o:t:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", usage, help);
            return EXIT_OK;
        case 'o':
            out = optarg;
            break;
        case 't':
            if (parse_tolerance(&err, optarg, &tol) < 0)
                return cli_usage_error(usage, &err);
            break;
        case 'j':
            json = true;
            break;
        default:
            return cli_bad_option(usage, argv, opt);
        }
    }
    if (out == NULL || out[0] == '\0') {
        error_set(&err, ERR_USAGE, "where does the fleet document go? pass -o FILE");
        return cli_usage_error(usage, &err);
    }
    if (optind >= argc) {
        error_set(&err, ERR_USAGE, "which results documents? pass one or more FILES");
        return cli_usage_error(usage, &err);
    }
    if ((size_t)(argc - optind) > FLEET_MAX_INPUTS) {
        error_set(&err, ERR_USAGE, "%d documents: a fleet takes at most %d", argc - optind,
                  FLEET_MAX_INPUTS);
        return cli_usage_error(usage, &err);
    }
    clash = out_is_input(out, argv + optind, (size_t)(argc - optind));
    if (clash != NULL) {
        error_set(&err, ERR_USAGE, "-o '%.100s' is one of the inputs ('%.100s')", out, clash);
        return cli_usage_error(usage, &err);
    }
    return merge_and_write(out, argv + optind, (size_t)(argc - optind), tol, json);
}

int cmd_fleet(int argc, char **argv)
{
    struct error err;
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (sub != NULL && (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0)) {
        printf("%s\nThe results documents of many nodes as one fleet document.\n\n"
               "subcommands:\n"
               "  merge  merge per-node results documents into a fleet document and flag GPUs\n"
               "         whose figures disagree with their same-model peers\n\n"
               "Exit status: 0 ok, 1 failure (nothing written), 2 usage error.\n",
               fleet_usage);
        return EXIT_OK;
    }
    if (sub == NULL) {
        error_set(&err, ERR_USAGE, "which subcommand? expected merge");
        return cli_usage_error(fleet_usage, &err);
    }
    if (strcmp(sub, "merge") != 0) {
        error_set(&err, ERR_USAGE, "unknown subcommand '%.40s': expected merge", sub);
        return cli_usage_error(fleet_usage, &err);
    }
    return fleet_merge_cmd(argc - 1, argv + 1);
}
