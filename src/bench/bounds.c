/*
 * Ideal bounds the streams benchmarks are judged against: how much concurrency the SMs,
 * wave quantisation and copy engines allow at best (the PCIe link: gpu/pcie.h). Pure arithmetic, so
 * CI checks every formula without a GPU.
 */
#include "bench/bounds.h"

#include <math.h>

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

double bound_pct(double share)
{
    double p = round(100 * share);

    return p == 0 ? 0 : p;
}
