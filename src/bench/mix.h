/*
 * gpushare bench mix: a plan's workload mix run for real, to check the planner's latency model
 * (docs/plan.md) against the device. P batch-1 inference processes, each serving requests that
 * arrive at Poisson moments at a given rate (open loop: a request is timed from its arrival,
 * so a queue behind a busy GPU counts), alone or beside a gemm process that keeps every SM
 * busy; under time-slicing and as clients of a private MPS daemon. `gpushare plan check` then
 * sets the planner's prediction for each mix beside what was measured.
 *
 * Pure C: the workers touch CUDA, this file only starts and reads them.
 */
#ifndef GPUSHARE_BENCH_MIX_H
#define GPUSHARE_BENCH_MIX_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/multi.h"
#include "core/error.h"

#define MIX_MAX_PROCS 32
#define MIX_MAX_SIZES 4
#define MIX_MAX_TRIALS 20

enum mix_mode { MIX_TIMESLICE = 1 << 0, MIX_MPS = 1 << 1 };
enum mix_neighbour { MIX_QUIET = 1 << 0, MIX_GEMM = 1 << 1 };

struct mix_opts {
    unsigned procs[MIX_MAX_SIZES]; /* inference processes of each mix */
    size_t n_procs;
    double rate;             /* requests per second of each process */
    unsigned modes;          /* enum mix_mode bits */
    unsigned neighbours;     /* enum mix_neighbour bits */
    unsigned hidden, layers; /* the inference request */
    unsigned gemm_n;         /* the neighbour's gemm size (fp32) */
};

/* Parses "timeslice,mps" and "none,gemm" into masks (ERR_USAGE on an unknown name). */
int mix_parse_modes(struct error *err, const char *list, unsigned *mask);
int mix_parse_neighbours(struct error *err, const char *list, unsigned *mask);

/*
 * Runs the mixes: the request alone (the input the planner takes as its time), then every
 * mix under time-slicing, then, under one private MPS daemon, the request alone and every mix
 * again. Tests mix.MODE.alone, mix.MODE.pP.NEIGHBOUR (docs/results.md). -1 when a run failed (the
 * document holds what was measured), ERR_INTERRUPTED on SIGINT or SIGTERM.
 */
int bench_mix(struct error *err, struct multi_ctx *c, const struct mix_opts *o);

#endif
