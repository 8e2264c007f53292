/*
 * gpushare bench mig: each MIG slice's share of the GPU, on MIG devices when MIG is enabled
 * with instances, else emulated with MPS (SMs and memory capacity only; bench/migbench.c).
 */
#ifndef GPUSHARE_BENCH_MIGBENCH_H
#define GPUSHARE_BENCH_MIGBENCH_H

#include "bench/multi.h"
#include "bench/timeslice.h"
#include "core/error.h"
#include "gpu/info.h"
#include "mig/catalog.h"
#include "mig/geometry.h"

struct migbench_opts {
    unsigned n;              /* gemm size */
    unsigned hidden, layers; /* the batch-1 inference workload */
    const char *profiles;    /* comma-separated profile names; NULL: every profile */
};

/* Appends mig.full and one mig.emulated.<profile> (or mig.device.<profile>) test per slice.
 * ERR_UNSUPPORTED when the GPU is not in the catalog, or MIG is on without instances. */
int bench_mig(struct error *err, struct multi_ctx *c, const struct migbench_opts *o,
              const struct gpu_info *info);

#endif
