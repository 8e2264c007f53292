/*
 * Ideal bounds the streams benchmarks are judged against: how much concurrency the SMs,
 * wave quantisation, copy engines and PCIe link allow at best. Pure arithmetic, so CI
 * checks every formula without a GPU.
 */
#include "bench/bounds.h"

#include <math.h>

const char *verdict_name(enum verdict_status v)
{
    switch (v) {
    case VERDICT_INFO:
        return "info";
    case VERDICT_MEETS:
        return "meets";
    case VERDICT_MISSES:
        return "misses";
    }
    // A cast from a corrupt int must not become a NULL in a printf.
    return "unknown";
}

enum verdict_status verdict_at_least(double value, double bar)
{
    // Every comparison with NaN is false, so a NaN value (or bar) misses.
    return value >= bar ? VERDICT_MEETS : VERDICT_MISSES;
}

enum verdict_status verdict_within(double value, double lo, double hi)
{
    return (value >= lo && value <= hi) ? VERDICT_MEETS : VERDICT_MISSES;
}

double bound_stream_speedup(unsigned k, unsigned sms, unsigned sms_per_kernel)
{
    unsigned fit;

    // A kernel on no SMs has no defined footprint; claim no concurrency rather than divide.
    if (sms_per_kernel == 0)
        return 1.0;
    fit = sms / sms_per_kernel;
    if (k < fit)
        fit = k;
    if (fit <= 1)
        return 1.0;
    return (double)k / (double)((k + fit - 1) / fit);
}

double bound_gemm_two_streams(double waves)
{
    if (!(waves > 0.0) || !isfinite(waves))
        return NAN;
    return 2.0 * ceil(waves) / ceil(2.0 * waves);
}

void bound_pipeline(double h, double k, double d, unsigned chunks, unsigned streams,
                    struct pipe_bound *out)
{
    double sum, m;
    unsigned rounds;

    // fmax() would silently drop a NaN stage, so insist on real, non-negative times.
    if (!(h >= 0.0 && k >= 0.0 && d >= 0.0) || !isfinite(h + k + d) || chunks == 0 ||
        streams == 0) {
        out->resource_ms = NAN;
        out->stream_ms = NAN;
        out->bound_ms = NAN;
        return;
    }
    sum = h + k + d;
    m = fmax(h, fmax(k, d));
    // ceil(C / S) without (C + S - 1), which wraps for C near UINT_MAX.
    rounds = chunks / streams + (chunks % streams != 0);
    out->resource_ms = (sum - m) + (double)chunks * m;
    out->stream_ms = (double)rounds * sum;
    out->bound_ms = fmax(out->resource_ms, out->stream_ms);
}

double bound_efficiency(double bound_ms, double measured_ms)
{
    if (!(measured_ms > 0.0))
        return NAN;
    return bound_ms / measured_ms;
}

double bound_recovered(double serial_ms, double pipelined_ms)
{
    if (!(serial_ms > 0.0))
        return NAN;
    return 1.0 - pipelined_ms / serial_ms;
}

/* Per-lane rate and line encoding by PCIe generation. Gen6 has no 128b/130b: it sends PAM4
 * symbols in 256-byte FLITs whose FEC and CRC cost about 6%. Using 128/130 there too keeps one
 * formula and overstates the ceiling by about 4%, the safe side for a bound. */
static const struct {
    double gts;      /* GT/s per lane */
    double encoding; /* payload bits per line bit */
} pcie_gens[] = {
    [1] = {2.5, 8.0 / 10.0},     [2] = {5.0, 8.0 / 10.0},     [3] = {8.0, 128.0 / 130.0},
    [4] = {16.0, 128.0 / 130.0}, [5] = {32.0, 128.0 / 130.0}, [6] = {64.0, 128.0 / 130.0},
};

double bound_pcie_gbps(unsigned gen, unsigned width)
{
    if (gen == 0 || gen >= sizeof(pcie_gens) / sizeof(pcie_gens[0]) || width == 0)
        return NAN;
    return pcie_gens[gen].gts * (double)width * pcie_gens[gen].encoding / 8.0;
}
