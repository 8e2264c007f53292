/*
 * gpushare worker: hidden; one process of a multi-process benchmark (bench/worker.h). The
 * parent starts it with fds 3 and 4 open and speaks the harness protocol with it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bench/worker.h"
#include "cli/cli.h"
#include "core/strparse.h"
#include "gpu/mps_spec.h"

static const char usage[] =
    "usage: gpushare worker --workload gemm|spin|infer|copy|info|client [--device N]\n"
    "                       [--duration S] [--warmup N] [--n N] [--dtype fp32|bf16] [--batch N]\n"
    "                       [--streams N] [--spin-ms X] [--gap-us X] [--hidden N] [--layers N]\n"
    "                       [--bytes SIZE] [--mps-thread-pct X] [--mps-mem-limit SPEC]\n"
    "                       [--mps-priority 0|1] [--visible-devices D]\n";

static const char help[] =
    "Internal: one process of `gpushare bench timeslice` and the other multi-process\n"
    "benchmarks. It reports over fd 3 and waits for the release on fd 4, so it only runs\n"
    "under the benchmark that starts it.\n\n"
    "  --workload W   gemm, spin, infer, copy, info or client\n"
    "  --duration S   timed region in seconds; 0: one step (default 2)\n"
    "  --warmup N     untimed steps first (default 3)\n"
    "  --n N          gemm size (default 4096)      --dtype T   fp32 or bf16 (default fp32)\n"
    "  --batch N      gemm/copy operations per synchronisation; 0: about 10 ms (default 0)\n"
    "  --streams N    gemm: N streams of `batch` GEMMs each, own matrices, 1..8 (default 1)\n"
    "  --spin-ms X    spin: run time per kernel (default 1)\n"
    "  --gap-us X     spin: a timer step longer than X is a gap (default 4)\n"
    "  --hidden N     infer: layer width (default 4096)  --layers N  infer (default 8)\n"
    "  --rate R       infer: requests arrive at R per second, at Poisson moments, each\n"
    "                 timed from its arrival (default 0: back to back)\n"
    "  --seed N       infer --rate: the arrivals' seed (default: the process id)\n"
    "  --bytes SIZE   copy: bytes each way (default 64MiB)\n"
    "  --mps-thread-pct X, --mps-mem-limit SPEC, --mps-priority P, --visible-devices D\n"
    "                 set CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, CUDA_MPS_PINNED_DEVICE_MEM_LIMIT\n"
    "                 (\"0=10G\"), CUDA_MPS_CLIENT_PRIORITY and CUDA_VISIBLE_DEVICES for this\n"
    "                 worker before CUDA starts\n";

static int parse_value(struct error *err, int opt, const char *arg, struct worker_opts *o)
{
    unsigned long v;
    uint64_t sz;
    int rc;

    switch (opt) {
    case 'W':
        return workload_parse(err, arg, &o->kind);
    case 'd':
        return cli_device(err, arg, &o->device);
    case 't':
        return parse_double(err, "--duration", arg, 0, 3600, &o->duration_s);
    case 'w':
        rc = parse_uint(err, "--warmup", arg, 0, 1000, &v);
        o->warmup = (unsigned)v;
        return rc;
    case 'n':
        rc = parse_uint(err, "--n", arg, 16, 32768, &v);
        o->n = (unsigned)v;
        return rc;
    case 'T':
        return dtype_parse(err, arg, &o->bf16);
    case 'b':
        rc = parse_uint(err, "--batch", arg, 0, 100000, &v);
        o->batch = (unsigned)v;
        return rc;
    case 's':
        return parse_double(err, "--spin-ms", arg, 0.001, 60000, &o->spin_ms);
    case 'g':
        return parse_double(err, "--gap-us", arg, 0.1, 1e6, &o->gap_us);
    case 'H':
        rc = parse_uint(err, "--hidden", arg, 16, 65536, &v);
        o->hidden = (unsigned)v;
        return rc;
    case 'L':
        rc = parse_uint(err, "--layers", arg, 1, 64, &v);
        o->layers = (unsigned)v;
        return rc;
    case 'P':
        o->mps_thread_pct = arg;
        return mps_pct_parse(err, "--mps-thread-pct", arg, &(unsigned){0});
    case 'M':
        o->mps_mem_limit = arg;
        return 0;
    case 'V':
        o->visible_devices = arg;
        return 0;
    case 'S':
        rc = parse_uint(err, "--streams", arg, 1, WORKER_MAX_STREAMS, &v);
        o->streams = (unsigned)v;
        return rc;
    case 'R':
        o->mps_priority = arg;
        return parse_uint(err, "--mps-priority", arg, 0, 1, &v);
    case 'r':
        return parse_double(err, "--rate", arg, 0, 1e5, &o->rate);
    case 'e':
        rc = parse_uint(err, "--seed", arg, 1, UINT32_MAX, &v);
        o->seed = (uint32_t)v;
        return rc;
    default: /* --bytes */
        rc = parse_size(err, "--bytes", arg, 1, (uint64_t)1 << 36, &sz);
        o->bytes = (size_t)sz;
        return rc;
    }
}

int cmd_worker(int argc, char **argv)
{
    static const struct option opts[] = {
        {"workload", required_argument, NULL, 'W'},
        {"device", required_argument, NULL, 'd'},
        {"duration", required_argument, NULL, 't'},
        {"warmup", required_argument, NULL, 'w'},
        {"n", required_argument, NULL, 'n'},
        {"dtype", required_argument, NULL, 'T'},
        {"batch", required_argument, NULL, 'b'},
        {"spin-ms", required_argument, NULL, 's'},
        {"gap-us", required_argument, NULL, 'g'},
        {"hidden", required_argument, NULL, 'H'},
        {"layers", required_argument, NULL, 'L'},
        {"bytes", required_argument, NULL, 'B'},
        {"mps-thread-pct", required_argument, NULL, 'P'},
        {"mps-mem-limit", required_argument, NULL, 'M'},
        {"visible-devices", required_argument, NULL, 'V'},
        {"streams", required_argument, NULL, 'S'},
        {"mps-priority", required_argument, NULL, 'R'},
        {"rate", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct worker_opts o = {.kind = WL_INFO,
                            .duration_s = 2,
                            .warmup = 3,
                            .n = 4096,
                            .streams = 1,
                            .spin_ms = 1,
                            .gap_us = 4,
                            .hidden = 4096,
                            .layers = 8,
                            .bytes = 64u << 20};
    bool have_workload = false;
    struct error err;
    int opt;

    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s\n%s", usage, help);
            return EXIT_OK;
        }
        if (opt == '?' || opt == ':')
            return cli_bad_option(usage, argv, opt);
        if (parse_value(&err, opt, optarg, &o) < 0)
            return cli_usage_error(usage, &err);
        have_workload |= opt == 'W';
    }
    if (!have_workload || optind < argc) {
        error_set(&err, ERR_USAGE, "%s", have_workload ? "unexpected argument" : "no --workload");
        return cli_usage_error(usage, &err);
    }
    if (bench_worker(&err, &o) == 0)
        return EXIT_OK;
    /* The parent already has the message from the error line; say it here only when there
     * is no parent to read it. */
    return err.code == ERR_USAGE ? cli_usage_error(usage, &err) : error_exit_status(err.code);
}
