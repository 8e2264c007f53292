/*
 * gpushare bench MODE: measure one sharing mode on this GPU and write the
 * results document. Modes: streams (more arrive with the harness).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "core/progress.h"
#include "core/strparse.h"
#include "gpu/info_json.h"
#include "results/results.h"
#include "results/table.h"

static const char usage[] = "usage: gpushare bench streams [--device N] [--trials N] [--warmup N]\n"
                            "                              [--only PARTS] [--json] [-o FILE]\n";

static const char help[] =
    "Measure in-process sharing with CUDA streams: spin-kernel concurrency against its ideal,\n"
    "the two-stream GEMM test (fp32 and bf16, n = 256..4096), pinned and pageable copy\n"
    "bandwidth, the chunked H2D-kernel-D2H pipeline against its bound, and stream-priority\n"
    "latency. Prints a table on stdout and progress on stderr.\n\n"
    "  -d, --device N     CUDA device ordinal (default 0)\n"
    "  -n, --trials N     timed repetitions per figure, 3..1000 (default 10)\n"
    "  -w, --warmup N     untimed repetitions first, 1..100 (default 2)\n"
    "      --only PARTS   comma-separated subset of kernels,gemm,copy,pipeline,priority\n"
    "      --json         print the results document on stdout instead of the table\n"
    "  -o, --output FILE  write the results document to FILE (atomically)\n"
    "  -h, --help         this help\n\n"
    "Exit status: 0 ok, 1 a part failed (the document still holds the rest), 2 usage error,\n"
    "69 no NVIDIA driver or GPU.\n";

struct bench_opts {
    int device;
    unsigned trials, warmup, parts;
    bool json;
    const char *out;
};

static int parse_value(int opt, const char *arg, struct bench_opts *o, struct error *err)
{
    unsigned long v;

    switch (opt) {
    case 'd':
        if (parse_uint(err, "--device", arg, 0, 63, &v) < 0)
            return -1;
        o->device = (int)v;
        return 0;
    case 'n':
        if (parse_uint(err, "--trials", arg, 3, 1000, &v) < 0)
            return -1;
        o->trials = (unsigned)v;
        return 0;
    case 'w':
        if (parse_uint(err, "--warmup", arg, 1, 100, &v) < 0)
            return -1;
        o->warmup = (unsigned)v;
        return 0;
    default: /* --only */
        return streams_parse_parts(err, arg, &o->parts);
    }
}

static int parse(int argc, char **argv, struct bench_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'}, {"trials", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'}, {"only", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},         {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":d:n:w:o:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        }
        if (opt == 'j')
            o->json = true;
        else if (opt == 'o')
            o->out = optarg;
        else if (opt == 'd' || opt == 'n' || opt == 'w' || opt == 'p') {
            if (parse_value(opt, optarg, o, &err) < 0)
                return cli_usage_error(usage, &err);
        } else
            return cli_bad_option(usage, argv, opt);
    }
    if (optind >= argc || strcmp(argv[optind], "streams") != 0) {
        error_set(&err, ERR_USAGE,
                  optind >= argc ? "which mode? expected 'streams'"
                                 : "unknown mode '%s': expected 'streams'",
                  optind < argc ? argv[optind] : "");
        return cli_usage_error(usage, &err);
    }
    if (optind + 1 < argc) {
        error_set(&err, ERR_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        return cli_usage_error(usage, &err);
    }
    return EXIT_OK;
}

static int run(struct bench_opts *o, int argc, char **argv)
{
    struct gpu_info *g = calloc(1, sizeof(*g));
    struct run_meta meta = {
        .git_dirty = -1, .command = "bench streams", .argc = argc, .argv = argv};
    struct bench_ctx c;
    struct error err, werr;
    int bench_rc, rc = EXIT_OK;
    json_t *doc;

    if (g == NULL)
        abort();
    if (gpu_info_query(&err, o->device, NULL, g) < 0) {
        rc = cli_fail(&err);
        free(g);
        return rc;
    }
    doc = results_new(&meta, gpu_info_to_json(g));
    c = (struct bench_ctx){
        .device = o->device, .info = g, .doc = doc, .trials = o->trials, .warmup = o->warmup};
    progress("bench streams on %s (%u SMs), %u trials each", g->name, g->sm_count, o->trials);
    bench_rc = bench_streams(&err, &c, o->parts);
    /* Whatever was measured is written, also when a part failed. */
    if (cli_write_doc(&werr, doc, o->out) < 0 || (o->json && results_write(&werr, doc, "-") < 0))
        rc = cli_fail(&werr);
    if (!o->json)
        results_print_table(stdout, doc);
    if (bench_rc < 0 && rc == EXIT_OK)
        rc = cli_fail(&err);
    json_decref(doc);
    free(g);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    struct bench_opts o = {.trials = 10, .warmup = 2, .parts = STREAMS_ALL};
    bool done = false;
    int rc = parse(argc, argv, &o, &done);

    if (rc != EXIT_OK || done)
        return rc;
    return run(&o, argc, argv);
}
