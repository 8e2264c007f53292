/*
 * gpushare fleet merge: the results documents of many nodes merged into one fleet document,
 * one node per GPU (fleet/merge.h, docs/fleet.md), that the planner reads. Needs no GPU.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/str.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "fleet/merge.h"
#include "results/results.h"

static const char usage[] =
    "usage: gpushare fleet merge [--tolerance PCT] [--json] [--force] -o FILE FILES...\n";

static const char help[] =
    "Merge the results documents of many nodes into one fleet document, one node per GPU: each\n"
    "node's identity (host, GPU UUID, PCI bus id, model, driver) and every document measured\n"
    "on it, whole (the documents of several benchmarks of one GPU make one node), and each\n"
    "figure set against the median of the GPUs of the same model. A GPU whose figure is worse\n"
    "than that median by more than the tolerance is flagged; a model with fewer than 3 GPUs is\n"
    "recorded as having too few peers and nothing of it is flagged. Every input is checked\n"
    "first: one bad input, or one test in two documents of one GPU, and nothing is written.\n"
    "See docs/fleet.md.\n\n"
    "  -o, --out FILE      where the fleet document goes, atomically ('-': standard output);\n"
    "                      an existing FILE is refused unless --force\n"
    "  -t, --tolerance PCT flag a figure worse than its peers' median by more than PCT percent\n"
    "                      (default 10)\n"
    "      --json          print the fleet document instead of the table\n"
    "  -f, --force         replace an existing FILE\n"
    "  -h, --help          this help\n\n"
    "Exit status: 0 merged, 1 an unreadable or invalid input, an existing FILE without --force\n"
    "or a write failure (nothing written), 2 usage error (FILE a directory among them).\n";

static const char fleet_usage[] = "usage: gpushare fleet SUBCOMMAND [OPTIONS]   (gpushare fleet "
                                  "SUBCOMMAND --help)\n";

static int fleet_merge_cmd(int argc, char **argv);

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

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

struct merge_args {
    const char *out;
    char *const *files;
    size_t n;
    double tol;
    bool json, force;
};

/* What goes to stdout after the file is written: the document (--json) or the table. */
static int report(const struct merge_args *a, const json_t *fleet)
{
    struct error err;
    size_t nodes = json_array_size(json_object_get(fleet, "nodes"));
    size_t models = json_object_size(json_object_get(fleet, "models"));
    size_t flags = json_array_size(json_object_get(fleet, "flags"));

    progress("fleet: wrote '%s': %zu node%s from %zu document%s, %zu model%s, %zu flag%s", a->out,
             nodes, plural(nodes), a->n, plural(a->n), models, plural(models), flags,
             plural(flags));
    if (strcmp(a->out, "-") == 0)
        return EXIT_OK;
    if (a->json)
        return js_dump(&err, fleet, stdout, "the fleet document") < 0 ? cli_fail(&err) : EXIT_OK;
    fleet_print_table(stdout, fleet);
    return EXIT_OK;
}

static int merge_and_write(const struct merge_args *a)
{
    struct fleet_opts o = {.tolerance = a->tol, .git_dirty = -1};
    struct fleet_input *in = xcalloc(a->n, sizeof(*in));
    json_t **docs = xcalloc(a->n, sizeof(*docs)), *fleet = NULL;
    struct error err;
    int rc;

    progress("fleet: reading %zu document%s", a->n, plural(a->n));
    if (fleet_load_inputs(&err, a->files, a->n, docs) < 0) {
        free(in);
        free(docs);
        return cli_fail(&err);
    }
    for (size_t i = 0; i < a->n; i++) {
        in[i].file = a->files[i];
        in[i].doc = docs[i];
    }
    fleet = fleet_merge(&err, &o, in, a->n);
    if (fleet == NULL || fleet_check(&err, fleet, a->out) < 0 ||
        cli_write_doc(&err, fleet, a->out, a->force) < 0)
        rc = cli_fail(&err);
    else
        rc = report(a, fleet);
    json_decref(fleet);
    for (size_t i = 0; i < a->n; i++)
        json_decref(docs[i]);
    free(docs);
    free(in);
    return rc;
}

/* The arguments after the options: where to, from what; ERR_USAGE when they do not do. */
static int check_args(struct error *err, const struct merge_args *a)
{
    const char *clash;

    if (a->out == NULL || a->out[0] == '\0')
        return error_set(err, ERR_USAGE, "where does the fleet document go? pass -o FILE");
    if (a->n == 0)
        return error_set(err, ERR_USAGE, "which results documents? pass one or more FILES");
    if (a->n > FLEET_MAX_INPUTS)
        return error_set(err, ERR_USAGE, "%zu documents: a fleet takes at most %d", a->n,
                         FLEET_MAX_INPUTS);
    clash = out_is_input(a->out, a->files, a->n);
    if (clash != NULL)
        return error_set(err, ERR_USAGE, "-o '%.100s' is one of the inputs ('%.100s')", a->out,
                         clash);
    return 0;
}

static int fleet_merge_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"tolerance", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},      {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    struct merge_args a = {.tol = FLEET_DEFAULT_TOLERANCE};
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":o:t:fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s\n%s", usage, help);
            return EXIT_OK;
        case 'o':
            a.out = optarg;
            break;
        case 't':
            if (parse_tolerance(&err, optarg, &a.tol) < 0)
                return cli_usage_error(usage, &err);
            break;
        case 'j':
            a.json = true;
            break;
        case 'f':
            a.force = true;
            break;
        default:
            return cli_bad_option(usage, argv, opt);
        }
    }
    a.files = argv + optind;
    a.n = optind < argc ? (size_t)(argc - optind) : 0;
    if (check_args(&err, &a) < 0)
        return cli_usage_error(usage, &err);
    // The output's rule before any input is read: a directory or an existing file (without
    // --force) is refused here, not after the merge's work.
    if (cli_check_out(&err, a.out, a.force) < 0)
        return err.code == ERR_USAGE ? cli_usage_error(usage, &err) : cli_fail(&err);
    return merge_and_write(&a);
}

static const struct cmd subs[] = {
    {"merge", fleet_merge_cmd,
     "merge per-node results documents into a fleet document and flag GPUs\n"
     "         whose figures disagree with their same-model peers",
     false},
};

static const struct cli_group group = {
    .noun = "subcommand",
    .usage = fleet_usage,
    .about = "The results documents of many nodes as one fleet document.",
    .footer = "Exit status: 0 ok, 1 failure (nothing written), 2 usage error.\n",
    .width = 6,
    .subs = subs,
    .n = sizeof(subs) / sizeof(subs[0]),
};

int cmd_fleet(int argc, char **argv)
{
    return cli_dispatch(&group, argc, argv);
}
