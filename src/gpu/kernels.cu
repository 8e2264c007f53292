/*
 * Kernels and their extern "C" launchers, nothing else (STYLE 3.4). Timing
 * kernels read %globaltimer, the GPU's nanosecond wall clock, so a spin of
 * N ns lasts N ns whatever the SM clock does.
 */
#include "gpu/kernels.h"

#include <cuda_bf16.h>

static __device__ __forceinline__ uint64_t globaltimer()
{
    uint64_t t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}

static __device__ __forceinline__ unsigned smid()
{
    unsigned id;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(id));
    return id;
}

__global__ void spin_kernel(uint64_t ns, unsigned *smids)
{
    /* The dynamic shared memory is reserved by the launch, never used: it fixes residency. */
    uint64_t start = globaltimer();

    if (smids != nullptr && threadIdx.x == 0)
        smids[blockIdx.x] = smid();
    while (globaltimer() - start < ns) {
    }
}

extern "C" int k_spin(cudaStream_t s, unsigned blocks, unsigned threads, size_t smem, uint64_t ns,
                      unsigned *smids)
{
    spin_kernel<<<blocks, threads, smem, s>>>(ns, smids);
    return (int)cudaGetLastError();
}

extern "C" int k_spin_allow_smem(size_t smem)
{
    return (int)cudaFuncSetAttribute(spin_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)smem);
}

__global__ void latch_kernel(volatile int *flag, volatile int *timed_out, uint64_t timeout_ns)
{
    uint64_t start = globaltimer();

    while (*flag == 0) {
        if (globaltimer() - start > timeout_ns) {
            *timed_out = 1;
            break;
        }
    }
}

extern "C" int k_latch(cudaStream_t s, volatile int *flag, volatile int *timed_out,
                       uint64_t timeout_ns)
{
    latch_kernel<<<1, 1, 0, s>>>(flag, timed_out, timeout_ns);
    return (int)cudaGetLastError();
}

__global__ void compute_kernel(float *x, size_t n, unsigned iters)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;

    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        float v = x[i];
        for (unsigned k = 0; k < iters; k++)
            v = fmaf(v, 0.999f, 0.001f);
        x[i] = v;
    }
}

extern "C" int k_compute(cudaStream_t s, float *x, size_t n, unsigned iters, unsigned sms)
{
    /* A grid-stride loop over 8 blocks of 256 per SM: full occupancy without a grid that
     * grows with n, so small chunks and large ones run the same code. */
    unsigned blocks = sms * 8;
    size_t need = (n + 255) / 256;

    if (need < blocks)
        blocks = (unsigned)need;
    if (blocks == 0)
        blocks = 1;
    compute_kernel<<<blocks, 256, 0, s>>>(x, n, iters);
    return (int)cudaGetLastError();
}

static __device__ __forceinline__ float hash_unit(uint32_t seed, size_t i)
{
    uint32_t h = seed ^ (uint32_t)i ^ (uint32_t)(i >> 32) * 0x9e3779b9u;

    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return (float)(h >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

__global__ void fill_f32_kernel(float *x, size_t n, uint32_t seed)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;

    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        x[i] = hash_unit(seed, i);
}

__global__ void fill_bf16_kernel(__nv_bfloat16 *x, size_t n, uint32_t seed)
{
    size_t stride = (size_t)gridDim.x * blockDim.x;

    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        x[i] = __float2bfloat16(hash_unit(seed, i));
}

extern "C" int k_fill_f32(cudaStream_t s, float *x, size_t n, uint32_t seed)
{
    fill_f32_kernel<<<1024, 256, 0, s>>>(x, n, seed);
    return (int)cudaGetLastError();
}

extern "C" int k_fill_bf16(cudaStream_t s, void *x, size_t n, uint32_t seed)
{
    fill_bf16_kernel<<<1024, 256, 0, s>>>((__nv_bfloat16 *)x, n, seed);
    return (int)cudaGetLastError();
}

/*
 * Block 0, thread 0 reads %globaltimer in a tight loop. A step longer than gap_ns means the
 * context was switched out (nothing inside one context can stop this thread that long); the
 * step is recorded as a gap and not counted as run time. The kernel ends after run_ns of
 * counted run time, so under time-slicing it takes N times longer and under MPS it does not.
 * Every other block holds its SM until thread 0 raises done.
 */
__global__ void timeline_kernel(struct k_timeline_out *out, uint64_t *gaps, unsigned cap,
                                uint64_t run_ns, uint64_t gap_ns)
{
    if (out == nullptr) /* k_warm's launch */
        return;
    volatile int *done = &out->done;

    if (blockIdx.x != 0 || threadIdx.x != 0) {
        while (*done == 0) {
        }
        return;
    }
    uint64_t first = globaltimer(), prev = first, run = 0, tick = ~0ull;
    unsigned n = 0, dropped = 0;

    while (run < run_ns) {
        uint64_t t = globaltimer(), dt = t - prev;

        if (dt > gap_ns) {
            if (n < cap) {
                gaps[2 * n] = prev;
                gaps[2 * n + 1] = t;
                n++;
            } else
                dropped++;
        } else {
            run += dt;
            if (dt != 0 && dt < tick)
                tick = dt;
        }
        prev = t;
    }
    out->first = first;
    out->last = prev;
    out->run_ns = run;
    out->tick_ns = tick;
    out->n_gaps = n;
    out->dropped = dropped;
    __threadfence();
    *done = 1;
}

extern "C" int k_timeline(cudaStream_t s, unsigned blocks, struct k_timeline_out *out,
                          uint64_t *gaps, unsigned cap, uint64_t run_ns, uint64_t gap_ns)
{
    timeline_kernel<<<blocks, 32, 0, s>>>(out, gaps, cap, run_ns, gap_ns);
    return (int)cudaGetLastError();
}

static __device__ int warm_open = 1;
static __device__ int warm_sink;

extern "C" int k_warm(cudaStream_t s)
{
    int *open = nullptr, *sink = nullptr;
    cudaError_t rc;

    rc = cudaGetSymbolAddress((void **)&open, warm_open);
    if (rc == cudaSuccess)
        rc = cudaGetSymbolAddress((void **)&sink, warm_sink);
    if (rc != cudaSuccess)
        return (int)rc;
    spin_kernel<<<1, 32, 0, s>>>(0, nullptr);
    timeline_kernel<<<1, 1, 0, s>>>(nullptr, nullptr, 0, 0, 0);
    latch_kernel<<<1, 1, 0, s>>>(open, sink, 0);
    compute_kernel<<<1, 32, 0, s>>>(nullptr, 0, 0);
    fill_f32_kernel<<<1, 32, 0, s>>>(nullptr, 0, 0);
    fill_bf16_kernel<<<1, 32, 0, s>>>(nullptr, 0, 0);
    return (int)cudaGetLastError();
}
