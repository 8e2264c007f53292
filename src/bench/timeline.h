/*
 * Time-slice timeline analysis. Each of N processes runs one long spin kernel whose reader
 * thread records every jump in %globaltimer larger than a threshold (a "gap": its context was
 * switched out). The timer is GPU-global, so the N traces share one time base; merging them
 * gives the slice each context gets, the gap while the others run, and the switch overhead.
 * Pure, so CI checks it on synthetic traces without a GPU.
 */
#ifndef GPUSHARE_BENCH_TIMELINE_H
#define GPUSHARE_BENCH_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct tl_gap {
    uint64_t start; /* last timer read before the jump, ns */
    uint64_t end;   /* first timer read after it, ns */
};

/* One worker's kernel. Its run intervals are [first, gaps[0].start],
 * [gaps[k].end, gaps[k+1].start], ..., [gaps[n_gaps-1].end, last]. */
struct tl_trace {
    uint64_t first, last;      /* first and last timer read of the kernel, ns */
    const struct tl_gap *gaps; /* ascending, disjoint, start < end, within [first, last] */
    size_t n_gaps;
};

struct tl_result {
    size_t workers;
    double window_us; /* common window [max first, min last], microseconds */
    /* Complete run intervals strictly inside the window, trace by trace, microseconds. */
    double *slices_us;
    size_t n_slices;
    /* Gaps strictly inside the window, trace by trace, microseconds. */
    double *gaps_us;
    size_t n_gaps;
    /* Idle hole between one context's run and the next context's run, in time order, us. */
    double *switches_us;
    size_t n_switches;
    size_t n_overlaps;  /* run intervals of different workers overlapping in time (MPS) */
    size_t n_self_gaps; /* holes where the same worker resumed with no other worker between */
    double busy_share;  /* union of all run intervals inside the window / window length */
    double concurrency; /* run time inside the window / union length (1 = one at a time) */
};

/*
 * Merges n traces into *r, which owns the three arrays until tl_result_free(). Run intervals
 * are clipped to the window; a slice or gap touching the window's edge is cut short by the
 * other kernels' start or end, so only those strictly inside count. Switches come from a
 * sweep in start order: a run that starts before the latest end so far overlaps it, one that
 * starts after it switches from another worker or resumes the same one (a self gap).
 * busy_share and concurrency are 0 when no worker ran inside the window.
 * Returns 0, or -1 with ERR_INVALID when n is 0, a trace (named by index, and its gap) is
 * malformed, or the kernels did not run at the same time; *r is zeroed then. Aborts when
 * out of memory, like the rest of the code base.
 */
int timeline_analyze(struct error *err, const struct tl_trace *t, size_t n, struct tl_result *r);

/* Frees the arrays and zeroes *r; safe on a zeroed result and twice. */
void tl_result_free(struct tl_result *r);

/*
 * Round-robin model of the gap one context sees: while it waits, the other n - 1 contexts
 * each run one slice and n switches happen (into each of them and back into it), so
 * gap = (n - 1) slice + n switch. NAN for n == 0.
 */
double timeline_expected_gap_us(size_t n, double slice_us, double switch_us);

#endif
