/*
 * gpushare bench MODE: measure one sharing mode on this GPU and write the
 * results document. Modes: streams (in-process), timeslice (processes, no MPS), mps
 * (processes through a private MPS daemon), mig (slices, real or emulated).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/migbench.h"
#include "bench/mix.h"
#include "bench/mpsbench.h"
#include "bench/multi.h"
#include "bench/timeslice.h"
#include "bench/worker.h"
#include "cli/cli.h"
#include "core/progress.h"
#include "core/strparse.h"
#include "core/xalloc.h"
#include "gpu/mps_daemon.h"
#include "gpu/nvml.h"
#include "results/info_json.h"
#include "results/results.h"
#include "results/table.h"

static const char usage[] =
    "usage: gpushare bench streams [--device N] [--trials N] [--warmup N] [--only PARTS]\n"
    "                              [--json] [-o FILE [--force]]\n"
    "       gpushare bench timeslice [--device N] [--trials N] [--duration S] [--procs N]\n"
    "                              [--sizes LIST] [--dtype fp32|bf16] [--only PARTS]\n"
    "                              [--spin-ms X] [--gap-us X] [--json] [-o FILE [--force]]\n"
    "       gpushare bench mps [--device N] [--trials N] [--duration S] [--procs N]\n"
    "                              [--sizes LIST] [--dtype fp32|bf16] [--only PARTS]\n"
    "                              [--clients N] [--sweep-step P] [--json] [-o FILE [--force]]\n"
    "       gpushare bench mig [--device N] [--trials N] [--duration S] [--profiles LIST]\n"
    "                              [--json] [-o FILE [--force]]\n"
    "       gpushare bench mix [--device N] [--trials N] [--duration S] [--procs LIST]\n"
    "                              [--rate R] [--modes LIST] [--neighbour LIST]\n"
    "                              [--hidden N] [--layers N] [--json] [-o FILE [--force]]\n";

static const char help[] =
    "streams: in-process sharing with CUDA streams: spin-kernel concurrency against its ideal,\n"
    "the two-stream GEMM test (fp32 and bf16, n = 256..4096), pinned and pageable copy\n"
    "bandwidth, the chunked H2D-kernel-D2H pipeline against its bound, and stream-priority\n"
    "latency.\n\n"
    "timeslice: N processes sharing the GPU without MPS, each a separate gpushare worker\n"
    "released behind a barrier: every worker's slowdown against itself alone and the aggregate\n"
    "(contention), the time slice, wait and switch overhead seen from a spin kernel (timeline),\n"
    "and a batch-1 inference process's p50/p99/p99.9/max latency beside gemm aggressors\n"
    "(victim). NVML utilization is sampled at 20 Hz during every run.\n\n"
    "mps: the same processes as clients of a private MPS daemon that gpushare starts and\n"
    "always stops (also on SIGINT and SIGTERM): gemm contention against time-slicing and against\n"
    "one process running the same GEMMs on N streams (the upper bound), the timeline (no\n"
    "slices expected), the inference victim beside normal and below-normal-priority\n"
    "aggressors, the SMs a client sees at every thread percentage and gemm throughput against\n"
    "it, a pinned-memory limit, and how many clients one server accepts.\n\n"
    "mig: what each MIG slice of this GPU gives a gemm (n=4096) and a batch-1 inference\n"
    "process, against the whole GPU. With MIG enabled and instances created, on each MIG\n"
    "device. Otherwise emulated, never by enabling MIG: each slice is an MPS client of a\n"
    "private daemon capped at the slice's SMs and memory. Emulated means SMs and memory\n"
    "capacity only, no L2 or DRAM-bandwidth isolation.\n\n"
    "mix: a plan's workload mix run for real: N batch-1 inference processes, each serving\n"
    "requests that arrive at Poisson moments at a rate, alone or beside a gemm process, under\n"
    "time-slicing and as clients of a private MPS daemon; every request timed from its\n"
    "arrival. `gpushare plan check` sets the planner's predictions beside it.\n\n"
    "Prints a table on stdout and progress on stderr.\n\n"
    "  -d, --device N     CUDA device ordinal (default 0)\n"
    "  -n, --trials N     timed repetitions per figure: streams 3..1000 (default 10),\n"
    "                     timeslice and mig 1..20 (default 3)\n"
    "  -w, --warmup N     streams: untimed repetitions first, 1..100 (default 2)\n"
    "      --only PARTS   streams: kernels,gemm,copy,pipeline,priority;\n"
    "                     timeslice: contention,timeline,victim;\n"
    "                     mps: contention,timeline,victim,threads,memlimit,clients (default all)\n"
    "      --duration S   timeslice, mps, mig: timed region of every worker, 0.2..60 s\n"
    "                     (default 2)\n"
    "      --profiles LIST  mig: the profiles to measure (default every profile of the GPU)\n"
    "      --procs N      timeslice, mps: up to N processes at once, 2..8 (default 4);\n"
    "                     mix: the inference processes of each mix, e.g. 8,16 (default 8,16)\n"
    "      --rate R       mix: requests per second of each process (default 100)\n"
    "      --modes LIST   mix: timeslice,mps (default both)\n"
    "      --neighbour LIST  mix: none,gemm: alone, and beside a gemm (default both)\n"
    "      --hidden N, --layers N  mix: the inference request, N layers of N x N (default\n"
    "                     4096 and 8)\n"
    "      --sizes LIST   timeslice, mps: contention gemm sizes (default 4096,1024)\n"
    "      --dtype T      timeslice, mps: gemm type, fp32 or bf16 (default fp32)\n"
    "      --clients N    mps: clients started at once to find the client limit, 2..64\n"
    "                     (default 64)\n"
    "      --sweep-step P mps: percent between gemm throughput points, 5..50 (default 10)\n"
    "      --spin-ms X    timeslice: run time of each timeline kernel (default 200)\n"
    "      --gap-us X     timeslice: a timer step longer than X us is a gap (default 4)\n"
    "      --json         print the results document on stdout instead of the table\n"
    "  -o, --output FILE  write the results document to FILE (atomically); checked before\n"
    "                     anything is measured\n"
    "  -f, --force        replace FILE when it exists\n"
    "  -h, --help         this help\n\n"
    "Exit status: 0 ok, 1 a part failed (the document still holds the rest), 2 usage error,\n"
    "69 no NVIDIA driver or GPU, 130 interrupted (workers stopped, the MPS daemon stopped, the\n"
    "document written).\n";

enum bench_mode { MODE_NONE, MODE_STREAMS, MODE_TIMESLICE, MODE_MPS, MODE_MIG, MODE_MIX };

struct bench_opts {
    enum bench_mode mode;
    int device;
    unsigned trials, warmup, parts;
    const char *trials_arg; /* --trials as given: its range depends on the mode */
    const char *only;
    bool json, force;
    const char *out;
    double duration;
    struct timeslice_opts ts;
    struct migbench_opts mig;
    struct mpsbench_opts mps;
    struct mix_opts mix;
    const char *procs; /* --procs as given: a count, or mix's list */
};

static int parse_sizes(struct error *err, const char *arg, struct timeslice_opts *ts)
{
    unsigned long v[TS_MAX_SIZES];

    if (parse_uint_list(err, "--sizes", arg, 64, 16384, v, TS_MAX_SIZES, &ts->n_sizes) < 0)
        return -1;
    for (size_t i = 0; i < ts->n_sizes; i++)
        ts->sizes[i] = (unsigned)v[i];
    return 0;
}

static int parse_ts_value(int opt, const char *arg, struct bench_opts *o, struct error *err)
{
    unsigned long v;

    switch (opt) {
    case 't':
        return parse_double(err, "--duration", arg, 0.2, 60, &o->duration);
    case 'P':
        o->procs = arg; /* a count or a list: the mode decides, once known */
        return 0;
    case 'r':
        return parse_double(err, "--rate", arg, 0.1, 10000, &o->mix.rate);
    case 'M':
        return mix_parse_modes(err, arg, &o->mix.modes);
    case 'N':
        return mix_parse_neighbours(err, arg, &o->mix.neighbours);
    case 'H':
        if (parse_uint(err, "--hidden", arg, 256, 16384, &v) < 0)
            return -1;
        o->mix.hidden = (unsigned)v;
        return 0;
    case 'L':
        if (parse_uint(err, "--layers", arg, 1, 64, &v) < 0)
            return -1;
        o->mix.layers = (unsigned)v;
        return 0;
    case 'S':
        return parse_sizes(err, arg, &o->ts);
    case 'T':
        return dtype_parse(err, arg, &o->ts.bf16);
    case 's':
        return parse_double(err, "--spin-ms", arg, 10, 10000, &o->ts.spin_ms);
    case 'm':
        o->mig.profiles = arg;
        return 0;
    case 'C':
        if (parse_uint(err, "--clients", arg, 2, MPS_MAX_CLIENTS, &v) < 0)
            return -1;
        o->mps.max_clients = (unsigned)v;
        return 0;
    case 'W':
        if (parse_uint(err, "--sweep-step", arg, 5, 50, &v) < 0)
            return -1;
        o->mps.sweep_step = (unsigned)v;
        return 0;
    default: /* --gap-us */
        return parse_double(err, "--gap-us", arg, 0.5, 1000, &o->ts.gap_us);
    }
}

static int parse_value(int opt, const char *arg, struct bench_opts *o, struct error *err)
{
    unsigned long v;

    switch (opt) {
    case 'd':
        return cli_device(err, arg, &o->device);
    case 'n':
        o->trials_arg = arg;
        return 0;
    case 'w':
        if (parse_uint(err, "--warmup", arg, 1, 100, &v) < 0)
            return -1;
        o->warmup = (unsigned)v;
        return 0;
    case 'p':
        o->only = arg;
        return 0;
    default:
        return parse_ts_value(opt, arg, o, err);
    }
}

static int run_multi(struct bench_opts *o);
static int run_streams(struct bench_opts *o);

/* The modes, their --trials range and default, and what runs them. Streams repeats short
 * kernels, so it takes more trials; the multi-process modes repeat seconds-long windows. */
static const struct bench_mode_row {
    const char *name;
    enum bench_mode mode;
    unsigned trials_min, trials_max, trials_default;
    int (*run)(struct bench_opts *o);
} bench_modes[] = {
    {"streams", MODE_STREAMS, 3, 1000, 10, run_streams},
    {"timeslice", MODE_TIMESLICE, 1, TS_MAX_TRIALS, 3, run_multi},
    {"mps", MODE_MPS, 1, TS_MAX_TRIALS, 3, run_multi},
    {"mig", MODE_MIG, 1, TS_MAX_TRIALS, 3, run_multi},
    {"mix", MODE_MIX, 1, TS_MAX_TRIALS, 3, run_multi},
};
#define BENCH_MODES "streams, timeslice, mps, mig or mix"

static const struct bench_mode_row *mode_row(enum bench_mode m)
{
    for (size_t i = 0; i < sizeof(bench_modes) / sizeof(bench_modes[0]); i++)
        if (bench_modes[i].mode == m)
            return &bench_modes[i];
    return NULL;
}

static int parse_mode(struct error *err, int argc, char **argv, struct bench_opts *o)
{
    if (optind >= argc)
        return error_set(err, ERR_USAGE, "which mode? expected " BENCH_MODES);
    for (size_t i = 0; i < sizeof(bench_modes) / sizeof(bench_modes[0]); i++)
        if (strcmp(argv[optind], bench_modes[i].name) == 0)
            o->mode = bench_modes[i].mode;
    if (o->mode == MODE_NONE)
        return error_set(err, ERR_USAGE, "unknown mode '%.40s': expected " BENCH_MODES,
                         argv[optind]);
    if (optind + 1 < argc)
        return error_set(err, ERR_USAGE, "unexpected argument '%.40s'", argv[optind + 1]);
    return 0;
}

/* --trials in the mode's range, or the mode's default. */
static int check_trials(struct error *err, struct bench_opts *o)
{
    const struct bench_mode_row *m = mode_row(o->mode);
    unsigned long v;

    if (o->trials_arg == NULL) {
        o->trials = m->trials_default;
        return 0;
    }
    if (parse_uint(err, "--trials", o->trials_arg, m->trials_min, m->trials_max, &v) < 0)
        return error_wrap(err, "bench %s", m->name);
    o->trials = (unsigned)v;
    return 0;
}

/* --procs: a count for timeslice and mps, a list for mix. */
static int check_procs(struct error *err, struct bench_opts *o)
{
    unsigned long v[MIX_MAX_SIZES];

    if (o->procs == NULL)
        return 0;
    if (o->mode == MODE_MIX) {
        if (parse_uint_list(err, "--procs", o->procs, 2, MIX_MAX_PROCS, v, MIX_MAX_SIZES,
                            &o->mix.n_procs) < 0)
            return -1;
        for (size_t i = 0; i < o->mix.n_procs; i++)
            o->mix.procs[i] = (unsigned)v[i];
        return 0;
    }
    if (parse_uint(err, "--procs", o->procs, 2, TS_MAX_PROCS, v) < 0)
        return -1;
    o->ts.max_procs = (unsigned)v[0];
    return 0;
}

/* Ranges and parts that depend on the mode, which may come after the options. */
static int check_mode_options(struct error *err, struct bench_opts *o)
{
    if (check_procs(err, o) < 0 || check_trials(err, o) < 0)
        return -1;
    if (o->mode == MODE_STREAMS)
        return o->only != NULL ? streams_parse_parts(err, o->only, &o->parts) : 0;
    if (o->mode == MODE_MIG || o->mode == MODE_MIX)
        return o->only != NULL
                   ? error_set(err, ERR_USAGE, "--only is for streams, timeslice and mps")
                   : 0;
    if (o->mode == MODE_MPS)
        return o->only != NULL ? mps_parse_parts(err, o->only, &o->mps.parts) : 0;
    return o->only != NULL ? timeslice_parse_parts(err, o->only, &o->ts.parts) : 0;
}

static int parse(int argc, char **argv, struct bench_opts *o, bool *done)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'd'},
        {"trials", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'},
        {"only", required_argument, NULL, 'p'},
        {"duration", required_argument, NULL, 't'},
        {"procs", required_argument, NULL, 'P'},
        {"sizes", required_argument, NULL, 'S'},
        {"dtype", required_argument, NULL, 'T'},
        {"spin-ms", required_argument, NULL, 's'},
        {"gap-us", required_argument, NULL, 'g'},
        {"profiles", required_argument, NULL, 'm'},
        {"clients", required_argument, NULL, 'C'},
        {"sweep-step", required_argument, NULL, 'W'},
        {"rate", required_argument, NULL, 'r'},
        {"modes", required_argument, NULL, 'M'},
        {"neighbour", required_argument, NULL, 'N'},
        {"hidden", required_argument, NULL, 'H'},
        {"layers", required_argument, NULL, 'L'},
        CLI_DOC_OPTIONS,
    };
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":d:n:w:o:fh", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            *done = true;
            return EXIT_OK;
        }
        if (opt == 'j')
            o->json = true;
        else if (opt == 'o')
            o->out = optarg;
        else if (opt == 'f')
            o->force = true;
        else if (opt == '?' || opt == ':')
            return cli_bad_option(usage, argv, opt);
        else if (parse_value(opt, optarg, o, &err) < 0)
            return cli_usage_error(usage, &err);
    }
    if (parse_mode(&err, argc, argv, o) < 0 || check_mode_options(&err, o) < 0)
        return cli_usage_error(usage, &err);
    // Before any measuring: a benchmark that cannot write its document has wasted its run.
    if (cli_check_out(&err, o->out, o->force) < 0)
        return cli_fail(&err);
    return EXIT_OK;
}

/* Writes whatever was measured, also when a part failed; then the exit status. */
static int finish(json_t *doc, const struct bench_opts *o, int bench_rc, const struct error *err)
{
    struct error werr;
    int rc = EXIT_OK;

    if (cli_write_doc(&werr, doc, o->out, o->force) < 0 ||
        (o->json && results_write(&werr, doc, "-") < 0))
        rc = cli_fail(&werr);
    if (!o->json)
        results_print_table(stdout, doc);
    if (bench_rc < 0 && rc == EXIT_OK)
        rc = cli_fail(err);
    return rc;
}

/* The mode's parts, given the GPU as a worker described it. */
static int run_mode(struct error *err, struct bench_opts *o, struct multi_ctx *c, json_t *info)
{
    struct gpu_info *g;
    int rc;

    if (o->mode == MODE_TIMESLICE) {
        progress("bench timeslice on %s: up to %u processes, %u trials of %.1f s",
                 json_string_value(json_object_get(info, "name")), o->ts.max_procs, o->trials,
                 o->duration);
        return bench_timeslice(err, c, &o->ts);
    }
    if (o->mode == MODE_MIX) {
        progress("bench mix on %s: %u trials of %.1f s per mix",
                 json_string_value(json_object_get(info, "name")), o->trials, o->duration);
        return bench_mix(err, c, &o->mix);
    }
    g = xcalloc(1, sizeof(*g));
    rc = gpu_info_from_json(err, info, g);
    if (rc == 0 && o->mode == MODE_MPS) {
        /* The same processes as timeslice, through the daemon. */
        o->mps.ts = o->ts;
        o->mps.ts.mode = "mps";
        o->mps.sms_total = g->sm_count;
        o->mps.cuda_driver_version = g->cuda_driver_version;
        progress("bench mps on %s: up to %u processes, %u trials of %.1f s", g->name,
                 o->ts.max_procs, o->trials, o->duration);
        rc = bench_mps(err, c, &o->mps);
    } else if (rc == 0) {
        progress("bench mig on %s: %u trials of %.1f s per slice", g->name, o->trials, o->duration);
        rc = bench_mig(err, c, &o->mig, g);
    }
    free(g);
    return rc;
}

/* Multi-process modes: the parent never initialises CUDA; a worker describes the GPU. */
static int run_multi(struct bench_opts *o)
{
    struct multi_ctx *c = xcalloc(1, sizeof(*c));
    struct run_meta meta = {.git_dirty = -1,
                            .command = o->mode == MODE_MIG   ? "bench mig"
                                       : o->mode == MODE_MPS ? "bench mps"
                                       : o->mode == MODE_MIX ? "bench mix"
                                                             : "bench timeslice",
                            .argc = cli_given_argc(),
                            .argv = cli_given_argv()};
    struct mps_guard guard = {0};
    struct error err;
    json_t *info, *doc;
    int rc;

    /* For the whole run SIGINT and SIGTERM only raise a flag, which every run checks: the
     * document is written, and an MPS daemon of bench mig is stopped, whenever they come. */
    mps_guard_install(&guard);
    if (multi_init(&err, c, o->device, o->duration, o->trials) < 0 ||
        (info = multi_info(&err, c)) == NULL) {
        mps_guard_remove(&guard);
        free(c);
        return cli_fail(&err);
    }
    doc = results_new(&meta, json_incref(info));
    c->doc = doc;
    rc = run_mode(&err, o, c, info);
    /* A signal after the last run (during the daemon's stop, say) only raised the flag. */
    if (rc == 0 && mps_guard_pending() != 0)
        rc = error_set(&err, ERR_INTERRUPTED, "interrupted by signal %d (%s)", mps_guard_pending(),
                       strsignal(mps_guard_pending()));
    rc = finish(doc, o, rc, &err);
    json_decref(info);
    json_decref(doc);
    nvml_close();
    free(c);
    mps_guard_remove(&guard);
    return rc;
}

static int run_streams(struct bench_opts *o)
{
    struct gpu_info *g = xcalloc(1, sizeof(*g));
    struct run_meta meta = {.git_dirty = -1,
                            .command = "bench streams",
                            .argc = cli_given_argc(),
                            .argv = cli_given_argv()};
    struct bench_ctx c;
    struct error err;
    int rc;
    json_t *doc;

    if (gpu_info_query(&err, o->device, NULL, g) < 0) {
        rc = cli_fail(&err);
        free(g);
        return rc;
    }
    doc = results_new(&meta, gpu_info_to_json(g));
    c = (struct bench_ctx){
        .device = o->device, .info = g, .doc = doc, .trials = o->trials, .warmup = o->warmup};
    progress("bench streams on %s (%u SMs), %u trials each", g->name, g->sm_count, o->trials);
    rc = finish(doc, o, bench_streams(&err, &c, o->parts), &err);
    json_decref(doc);
    free(g);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    struct bench_opts o = {
        .warmup = 2,
        .parts = STREAMS_ALL,
        .duration = 2,
        .ts = {.parts = TS_ALL,
               .max_procs = 4,
               .sizes = {4096, 1024},
               .n_sizes = 2,
               .spin_ms = 200,
               .gap_us = 4,
               .victim_n = 4096,
               .hidden = 4096,
               .layers = 8},
        .mig = {.n = 4096, .hidden = 4096, .layers = 8},
        .mps = {.parts = MPS_ALL,
                .sweep_n = 4096,
                .sweep_step = 10,
                .max_clients = MPS_MAX_CLIENTS},
        .mix = {.procs = {8, 16},
                .n_procs = 2,
                .rate = 100,
                .modes = MIX_TIMESLICE | MIX_MPS,
                .neighbours = MIX_QUIET | MIX_GEMM,
                .hidden = 4096,
                .layers = 8,
                .gemm_n = 4096},
    };
    bool done = false;
    int rc = parse(argc, argv, &o, &done);

    if (rc != EXIT_OK || done)
        return rc;
    return mode_row(o.mode)->run(&o);
}
