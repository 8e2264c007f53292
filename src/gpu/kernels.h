/*
 * The CUDA kernels behind a C interface. Each launcher takes C types, enqueues
 * one kernel and returns the launch status as an int (cudaError_t), so host
 * code in C11 can check it like any other runtime call.
 */
#ifndef GPUSHARE_GPU_KERNELS_H
#define GPUSHARE_GPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Spin kernel: every block busy-waits `ns` nanoseconds of %globaltimer from its own start,
 * so duration does not depend on clocks or SM count. `smem` bytes of dynamic shared memory
 * per block pin the residency: with more than half an SM's shared memory, each block has an
 * SM to itself and `blocks` is the number of SMs the kernel occupies. If smids is not NULL,
 * block b writes the SM it ran on to smids[b].
 */
int k_spin(cudaStream_t s, unsigned blocks, unsigned threads, size_t smem, uint64_t ns,
           unsigned *smids);

/* What the timeline kernel leaves in device memory (zero it, done included, before launch). */
struct k_timeline_out {
    uint64_t first, last; /* first and last %globaltimer read, ns */
    uint64_t run_ns;      /* time counted as running: the sum of steps up to gap_ns */
    uint64_t tick_ns;     /* smallest non-zero step seen: the timer's resolution here */
    unsigned n_gaps;      /* pairs written to gaps[] */
    unsigned dropped;     /* gaps beyond cap, not recorded */
    int done;
};

/*
 * Time-slice recorder: `blocks` blocks of one warp hold the SMs while one thread spins until
 * it has run run_ns, recording every step longer than gap_ns as a gap (start, end) pair in
 * gaps[2 * i], gaps[2 * i + 1], up to cap pairs. Steps that long are time the context spent
 * switched out.
 */
int k_timeline(cudaStream_t s, unsigned blocks, struct k_timeline_out *out, uint64_t *gaps,
               unsigned cap, uint64_t run_ns, uint64_t gap_ns);

/* Raises the spin kernel's dynamic shared-memory limit (needed above 48 KiB). */
int k_spin_allow_smem(size_t smem);

/*
 * Latch (nvbandwidth's method): one thread spins until *flag is non-zero, holding the stream
 * while the host enqueues the timed work behind it. Gives up after timeout_ns so a host
 * failure can never wedge the GPU; sets *timed_out to 1 when it does.
 */
int k_latch(cudaStream_t s, volatile int *flag, volatile int *timed_out, uint64_t timeout_ns);

/* Pipeline compute stage: x[i] = iters rounds of a dependent FMA chain on x[i]. */
int k_compute(cudaStream_t s, float *x, size_t n, unsigned iters, unsigned sms);

/* Fills with reproducible values in [-1, 1) from a hash of (seed, index): never zeros. */
int k_fill_f32(cudaStream_t s, float *x, size_t n, uint32_t seed);
int k_fill_bf16(cudaStream_t s, void *x, size_t n, uint32_t seed);

/*
 * Launches every kernel above once, doing nothing. CUDA loads modules lazily, at a kernel's
 * first launch, and a load waits for the device: the first launch of a kernel queued behind a
 * running latch would wait for the latch, which waits for the host. So warm up unlatched first.
 */
int k_warm(cudaStream_t s);

#ifdef __cplusplus
}
#endif

#endif
