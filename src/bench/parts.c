/*
 * Names: the parts of `bench streams` and `bench timeslice` with their --only parser, and
 * the worker's workloads. Pure, so the CLI tests and builds without CUDA share them.
 */
#include "bench/bench.h"

#include <string.h>

#include "bench/mpsbench.h"
#include "bench/timeslice.h"
#include "bench/worker.h"

static const struct bench_name streams_names[] = {
    {STREAMS_KERNELS, "kernels"},   {STREAMS_GEMM, "gemm"},         {STREAMS_COPY, "copy"},
    {STREAMS_PIPELINE, "pipeline"}, {STREAMS_PRIORITY, "priority"},
};

static const struct bench_name ts_names[] = {
    {TS_CONTENTION, "contention"},
    {TS_TIMELINE, "timeline"},
    {TS_VICTIM, "victim"},
};

static const struct bench_name mps_names[] = {
    {MPS_CONTENTION, "contention"}, {MPS_TIMELINE, "timeline"}, {MPS_VICTIM, "victim"},
    {MPS_THREADS, "threads"},       {MPS_MEMLIMIT, "memlimit"}, {MPS_CLIENTS, "clients"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Enough of a bad name to recognise it; the rest of the message must fit too. */
#define NAME_ECHO 40

static const char *part_name(const struct bench_name *names, size_t n, unsigned bit)
{
    for (size_t i = 0; i < n; i++)
        if (names[i].bit == bit)
            return names[i].name;
    return "?";
}

int bench_parse_names(struct error *err, const struct bench_name *names, size_t n, const char *noun,
                      const char *option, const char *expected, const char *list, unsigned *mask)
{
    const char *p = list;

    *mask = 0;
    for (;;) {
        size_t len = strcspn(p, ","), i;

        for (i = 0; i < n; i++)
            if (strlen(names[i].name) == len && strncmp(p, names[i].name, len) == 0)
                break;
        if (i == n)
            return error_set(err, ERR_USAGE, "unknown %s '%.*s' for %s: expected %s", noun,
                             (int)(len < NAME_ECHO ? len : NAME_ECHO), p, option, expected);
        *mask |= names[i].bit;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

const char *streams_part_name(unsigned bit)
{
    return part_name(streams_names, COUNT(streams_names), bit);
}

int streams_parse_parts(struct error *err, const char *list, unsigned *mask)
{
    return bench_parse_names(err, streams_names, COUNT(streams_names), "part", "--only",
                             "kernels, gemm, copy, pipeline or priority", list, mask);
}

const char *timeslice_part_name(unsigned bit)
{
    return part_name(ts_names, COUNT(ts_names), bit);
}

int timeslice_parse_parts(struct error *err, const char *list, unsigned *mask)
{
    return bench_parse_names(err, ts_names, COUNT(ts_names), "part", "--only",
                             "contention, timeline or victim", list, mask);
}

const char *mps_part_name(unsigned bit)
{
    return part_name(mps_names, COUNT(mps_names), bit);
}

int mps_parse_parts(struct error *err, const char *list, unsigned *mask)
{
    return bench_parse_names(err, mps_names, COUNT(mps_names), "part", "--only",
                             "contention, timeline, victim, threads, memlimit or clients", list,
                             mask);
}

static const char *const workload_names[] = {
    [WL_GEMM] = "gemm", [WL_SPIN] = "spin", [WL_INFER] = "infer",
    [WL_COPY] = "copy", [WL_INFO] = "info", [WL_CLIENT] = "client",
};

const char *workload_name(enum workload_kind k)
{
    return (size_t)k < COUNT(workload_names) ? workload_names[k] : "?";
}

int workload_parse(struct error *err, const char *name, enum workload_kind *k)
{
    for (size_t i = 0; i < COUNT(workload_names); i++)
        if (strcmp(name, workload_names[i]) == 0) {
            *k = (enum workload_kind)i;
            return 0;
        }
    return error_set(err, ERR_USAGE,
                     "unknown workload '%.*s': expected gemm, spin, infer, copy, info or client",
                     NAME_ECHO, name);
}

int dtype_parse(struct error *err, const char *name, bool *bf16)
{
    if (strcmp(name, "fp32") != 0 && strcmp(name, "bf16") != 0)
        return error_set(err, ERR_USAGE, "unknown --dtype '%.*s': expected fp32 or bf16", NAME_ECHO,
                         name);
    *bf16 = name[0] == 'b';
    return 0;
}
