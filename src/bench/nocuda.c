/*
 * The benchmarks' stand-ins when gpushare is built without nvcc (CUDA=0): bench says so and
 * exits 69, while the pure modules work.
 */
#include "bench/bench.h"
#include "bench/harness.h"
#include "bench/worker.h"

int bench_streams(struct error *err, struct bench_ctx *c, unsigned parts)
{
    (void)c;
    (void)parts;
    return error_set(err, ERR_NO_GPU, "this gpushare was built without CUDA (no nvcc)");
}

int bench_worker(struct error *err, const struct worker_opts *o)
{
    (void)o;
    if (harness_worker_attached(err) < 0)
        return -1;
    error_set(err, ERR_NO_GPU, "this gpushare was built without CUDA (no nvcc)");
    harness_send_error(err->msg);
    return -1;
}
