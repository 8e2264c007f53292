/*
 * CUDA runtime helpers (see cu.h). The latch's timeout is a safety net only:
 * a timed region that hit it is reported invalid, never used.
 */
#include "gpu/cu.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "gpu/kernels.h"

/* Long enough for any enqueue loop here, short enough that a bug never looks like a hang. */
#define LATCH_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)

int cu_check(struct error *err, int rc, const char *expr, const char *file, int line)
{
    if (rc == (int)cudaSuccess)
        return 0;
    return error_set(err, ERR_CUDA, "%s failed: %s (%s) at %s:%d", expr,
                     cudaGetErrorName((cudaError_t)rc), cudaGetErrorString((cudaError_t)rc), file,
                     line);
}

double cu_elapsed_ms(cudaEvent_t start, cudaEvent_t stop)
{
    float ms = 0;

    if (cudaEventElapsedTime(&ms, start, stop) != cudaSuccess)
        return NAN;
    return (double)ms;
}

int cu_latch_init(struct error *err, struct cu_latch *l)
{
    void *p = NULL;

    l->flag = NULL;
    l->timed_out = NULL;
    if (CU(err, cudaHostAlloc(&p, 2 * sizeof(int), cudaHostAllocMapped)) < 0)
        return -1;
    l->flag = (volatile int *)p;
    l->timed_out = l->flag + 1;
    *l->flag = 0;
    *l->timed_out = 0;
    return 0;
}

void cu_latch_release_all(struct cu_latch *l)
{
    if (l->flag != NULL)
        cudaFreeHost((void *)l->flag);
    l->flag = NULL;
    l->timed_out = NULL;
}

int cu_latch_hold(struct error *err, struct cu_latch *l, cudaStream_t s)
{
    *l->flag = 0;
    *l->timed_out = 0;
    atomic_thread_fence(memory_order_seq_cst);
    /* With unified addressing the mapped host pointer is valid on the device as is. */
    return CU(err, k_latch(s, l->flag, l->timed_out, LATCH_TIMEOUT_NS));
}

void cu_latch_open(struct cu_latch *l)
{
    atomic_thread_fence(memory_order_seq_cst);
    *l->flag = 1;
    atomic_thread_fence(memory_order_seq_cst);
}

int cu_latch_check(struct error *err, const struct cu_latch *l)
{
    if (*l->timed_out)
        return error_set(err, ERR_CUDA,
                         "latch timed out: the enqueue took over %llu s, "
                         "timing discarded",
                         LATCH_TIMEOUT_NS / 1000000000ull);
    return 0;
}

int cu_stream_follow(struct error *err, cudaStream_t follower, cudaStream_t leader, cudaEvent_t ev)
{
    if (CU(err, cudaEventRecord(ev, leader)) < 0)
        return -1;
    return CU(err, cudaStreamWaitEvent(follower, ev, 0));
}

int cu_region_init(struct error *err, struct cu_region *r)
{
    memset(r, 0, sizeof(*r));
    if (cu_latch_init(err, &r->latch) < 0 || CU(err, cudaEventCreate(&r->start)) < 0 ||
        CU(err, cudaEventCreate(&r->stop)) < 0)
        return -1;
    for (int i = 0; i < CU_MAX_STREAMS; i++)
        if (CU(err, cudaStreamCreateWithFlags(&r->s[i], cudaStreamNonBlocking)) < 0 ||
            CU(err, cudaEventCreate(&r->join[i])) < 0)
            return -1;
    return 0;
}

void cu_region_release(struct cu_region *r)
{
    for (int i = 0; i < CU_MAX_STREAMS; i++) {
        if (r->s[i] != NULL)
            cudaStreamDestroy(r->s[i]);
        if (r->join[i] != NULL)
            cudaEventDestroy(r->join[i]);
    }
    if (r->start != NULL)
        cudaEventDestroy(r->start);
    if (r->stop != NULL)
        cudaEventDestroy(r->stop);
    cu_latch_release_all(&r->latch);
    memset(r, 0, sizeof(*r));
}

int cu_region_begin(struct error *err, struct cu_region *r, unsigned n)
{
    if (cu_latch_hold(err, &r->latch, r->s[0]) < 0 ||
        CU(err, cudaEventRecord(r->start, r->s[0])) < 0)
        return -1;
    for (unsigned j = 1; j < n; j++)
        if (CU(err, cudaStreamWaitEvent(r->s[j], r->start, 0)) < 0)
            return -1;
    return 0;
}

int cu_region_end(struct error *err, struct cu_region *r, unsigned n, double *ms)
{
    for (unsigned j = 1; j < n; j++)
        if (cu_stream_follow(err, r->s[0], r->s[j], r->join[j]) < 0)
            return -1;
    if (CU(err, cudaEventRecord(r->stop, r->s[0])) < 0)
        return -1;
    cu_latch_open(&r->latch);
    if (CU(err, cudaEventSynchronize(r->stop)) < 0 || cu_latch_check(err, &r->latch) < 0)
        return -1;
    *ms = cu_elapsed_ms(r->start, r->stop);
    return 0;
}
