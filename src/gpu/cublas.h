/*
 * GEMM through cuBLASLt, loaded with dlopen so gpushare starts where cuBLAS
 * is missing (bench streams then skips its GEMM test and says so). Running
 * the heuristic's algorithm ourselves, rather than cublasSgemm, lets us report
 * the launch shape of the very kernel that ran: tile, split-K, CTAs, waves.
 */
#ifndef GPUSHARE_GPU_CUBLAS_H
#define GPUSHARE_GPU_CUBLAS_H

#include <stddef.h>

#include <cublasLt.h>

#include "core/error.h"

enum gemm_dtype {
    GEMM_F32,  /* SGEMM: fp32 in and out, fp32 compute (CUBLAS_COMPUTE_32F, no TF32) */
    GEMM_BF16, /* bf16 in and out, fp32 accumulate: the tensor-core path */
};

const char *gemm_dtype_name(enum gemm_dtype t);
size_t gemm_elem_size(enum gemm_dtype t);

/* Loads libcublasLt ($GPUSHARE_CUBLASLT_LIB overrides) and creates the handle.
 * ERR_UNSUPPORTED with the reason when the library is absent. */
int blas_open(struct error *err);
void blas_close(void);
/* Version of the loaded library, e.g. 130100; 0 when not loaded. */
size_t blas_version(void);

/* One C(m x n) = A(m x k) B(k x n) problem with its chosen algorithm and launch shape. */
struct gemm_plan {
    enum gemm_dtype dtype;
    unsigned m, n, k;
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t layout[3]; /* A, B, C: column-major, leading dimension = rows */
    cublasLtMatmulAlgo_t algo;
    size_t workspace_bytes; /* what the algorithm needs */
    float waves;            /* heuristic's wavesCount: 1.0 fills every SM once */
    int algo_id;
    unsigned tile_m, tile_n; /* 0 when the algorithm does not name its tile */
    unsigned cluster_x, cluster_y, cluster_z;
    unsigned splitk;    /* 1: no split */
    unsigned long ctas; /* tiles x split-K; 0 when the tile is unknown */
};

/* Asks the heuristic for the best algorithm under ws_limit bytes of workspace: square n. */
int gemm_plan_init(struct error *err, struct gemm_plan *p, enum gemm_dtype dtype, unsigned n,
                   size_t ws_limit);
/* The same for any shape; n = 1 is a matrix-vector product (batch-1 inference). */
int gemm_plan_init_mnk(struct error *err, struct gemm_plan *p, enum gemm_dtype dtype, unsigned m,
                       unsigned n, unsigned k, size_t ws_limit);
void gemm_plan_release(struct gemm_plan *p);

/* C = A B on stream s (alpha 1, beta 0); ws must hold p->workspace_bytes. */
int gemm_run(struct error *err, const struct gemm_plan *p, cudaStream_t s, const void *a,
             const void *b, void *c, void *ws);

#endif
