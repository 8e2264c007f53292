/*
 * What every benchmark gets: the device it runs on, the document it appends
 * its tests to, and the repetition counts. Benchmarks warm up before they
 * time, repeat `trials` times and store every sample.
 */
#ifndef GPUSHARE_BENCH_BENCH_H
#define GPUSHARE_BENCH_BENCH_H

#include <jansson.h>

#include "core/error.h"
#include "gpu/info.h"

struct bench_ctx {
    int device;
    const struct gpu_info *info;
    json_t *doc;     /* results document the tests are appended to */
    unsigned trials; /* timed repetitions per figure */
    unsigned warmup; /* untimed repetitions first */
};

/* Parts of `bench streams`, selectable with --only. */
enum streams_part {
    STREAMS_KERNELS = 1 << 0,
    STREAMS_GEMM = 1 << 1,
    STREAMS_COPY = 1 << 2,
    STREAMS_PIPELINE = 1 << 3,
    STREAMS_PRIORITY = 1 << 4,
    STREAMS_ALL = (1 << 5) - 1,
};

/* A name a list option accepts, and its bit. */
struct bench_name {
    unsigned bit;
    const char *name;
};

/* "a,b,c" into a mask of the named bits. ERR_USAGE on an unknown or empty name: "unknown
 * <noun> 'x' for <option>: expected <expected>". */
int bench_parse_names(struct error *err, const struct bench_name *names, size_t n, const char *noun,
                      const char *option, const char *expected, const char *list, unsigned *mask);

/* Parses "kernels,gemm,copy,pipeline,priority" into a mask; ERR_USAGE on unknown names. */
int streams_parse_parts(struct error *err, const char *list, unsigned *mask);
/* The name of one part's bit, for progress lines and "skipped" entries. */
const char *streams_part_name(unsigned bit);

/*
 * Runs the selected parts. A part that cannot run here (no cuBLAS, say) is
 * recorded under "skipped" and the others go on; -1 when a part failed, after
 * the rest have run, so the document still holds everything measured.
 */
int bench_streams(struct error *err, struct bench_ctx *c, unsigned parts);

/* The parts, one per file; each appends its tests to c->doc. */
int streams_kernels(struct error *err, struct bench_ctx *c);
int streams_priority(struct error *err, struct bench_ctx *c);
int streams_gemm(struct error *err, struct bench_ctx *c);
int streams_copy(struct error *err, struct bench_ctx *c);
int streams_pipeline(struct error *err, struct bench_ctx *c);

/* Shared by the parts: a reproducible xorshift PRNG and the sample-array allocator. */
double *bench_samples(unsigned n); /* zeroed; aborts on out-of-memory */

#endif
