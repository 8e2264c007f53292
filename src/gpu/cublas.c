/*
 * cuBLASLt through dlopen. The header supplies the types; each function
 * pointer takes its type from the header's own declaration (__typeof__), so
 * calls are checked by the compiler as if linked (libnvidia-container's way).
 */
#include "gpu/cublas.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

#define LT_SYMBOLS(X)                                                                              \
    X(cublasLtCreate)                                                                              \
    X(cublasLtDestroy)                                                                             \
    X(cublasLtGetVersion)                                                                          \
    X(cublasLtGetStatusString)                                                                     \
    X(cublasLtMatmulDescCreate)                                                                    \
    X(cublasLtMatmulDescDestroy)                                                                   \
    X(cublasLtMatrixLayoutCreate)                                                                  \
    X(cublasLtMatrixLayoutDestroy)                                                                 \
    X(cublasLtMatmulPreferenceCreate)                                                              \
    X(cublasLtMatmulPreferenceSetAttribute)                                                        \
    X(cublasLtMatmulPreferenceDestroy)                                                             \
    X(cublasLtMatmulAlgoGetHeuristic)                                                              \
    X(cublasLtMatmulAlgoConfigGetAttribute)                                                        \
    X(cublasLtMatmul)

#define LT_FIELD(sym) __typeof__(&sym) sym;
static struct {
    void *lib;
    cublasLtHandle_t handle;
    LT_SYMBOLS(LT_FIELD)
} lt;
#undef LT_FIELD

static const struct {
    unsigned id, m, n;
} tile_shapes[] = {
#include "cublaslt_tiles.inc"
    {0, 0, 0},
};

static const struct {
    unsigned id, x, y, z;
} cluster_shapes[] = {
#include "cublaslt_clusters.inc"
    {0, 0, 0, 0},
};

#define STR_(x) #x
#define STR(x) STR_(x)

const char *gemm_dtype_name(enum gemm_dtype t)
{
    return t == GEMM_BF16 ? "bf16" : "fp32";
}

size_t gemm_elem_size(enum gemm_dtype t)
{
    return t == GEMM_BF16 ? 2 : 4;
}

static int lt_fail(struct error *err, const char *what, cublasStatus_t st)
{
    return error_set(err, ERR_CUDA, "%s failed: %s", what,
                     lt.cublasLtGetStatusString ? lt.cublasLtGetStatusString(st) : "?");
}

/* The soname first; then the toolkit's own directory, which ld.so may not search. */
static void *load_library(char *tried, size_t tried_size)
{
    const char *env = getenv("GPUSHARE_CUBLASLT_LIB");
    const char *home = getenv("CUDA_HOME");
    const char *soname = "libcublasLt.so." STR(CUBLAS_VER_MAJOR);
    char path[512];
    void *h;

    if (env != NULL && env[0] != '\0') {
        str_printf(tried, tried_size, "'%s'", env);
        return dlopen(env, RTLD_NOW | RTLD_LOCAL);
    }
    str_printf(tried, tried_size, "'%s'", soname);
    h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h != NULL)
        return h;
    str_printf(path, sizeof(path), "%s/lib64/%s", home ? home : "/usr/local/cuda", soname);
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

int blas_open(struct error *err)
{
    char tried[300];
    cublasStatus_t st;

    if (lt.handle != NULL)
        return 0;
    lt.lib = load_library(tried, sizeof(tried));
    if (lt.lib == NULL)
        return error_set(err, ERR_UNSUPPORTED, "cuBLASLt not found (tried %s): %s", tried,
                         dlerror());
#define LT_RESOLVE(sym)                                                                            \
    dlerror();                                                                                     \
    *(void **)&lt.sym = dlsym(lt.lib, #sym);                                                       \
    if (lt.sym == NULL) {                                                                          \
        blas_close();                                                                              \
        return error_set(err, ERR_UNSUPPORTED, "cuBLASLt lacks '%s'", #sym);                       \
    }
    LT_SYMBOLS(LT_RESOLVE)
#undef LT_RESOLVE
    st = lt.cublasLtCreate(&lt.handle);
    if (st != CUBLAS_STATUS_SUCCESS) {
        lt_fail(err, "cublasLtCreate", st);
        blas_close();
        return -1;
    }
    return 0;
}

void blas_close(void)
{
    if (lt.handle != NULL)
        lt.cublasLtDestroy(lt.handle);
    if (lt.lib != NULL)
        dlclose(lt.lib);
    memset(&lt, 0, sizeof(lt));
}

size_t blas_version(void)
{
    return lt.lib != NULL ? lt.cublasLtGetVersion() : 0;
}

static void lookup_tile(unsigned id, unsigned *m, unsigned *n)
{
    *m = *n = 0;
    for (size_t i = 0; tile_shapes[i].id != 0; i++)
        if (tile_shapes[i].id == id) {
            *m = tile_shapes[i].m;
            *n = tile_shapes[i].n;
        }
}

static void lookup_cluster(unsigned id, struct gemm_plan *p)
{
    p->cluster_x = p->cluster_y = p->cluster_z = 0;
    for (size_t i = 0; cluster_shapes[i].id != 0; i++)
        if (cluster_shapes[i].id == id) {
            p->cluster_x = cluster_shapes[i].x;
            p->cluster_y = cluster_shapes[i].y;
            p->cluster_z = cluster_shapes[i].z;
        }
}

/* Reads the launch shape of the chosen algorithm; attributes an algorithm does not carry
 * stay 0 ("unknown") rather than failing the plan. */
static void describe_algo(struct gemm_plan *p)
{
    uint32_t tile = 0;
    uint16_t cluster = 0;
    int32_t splitk = 1, id = 0;
    size_t w;

    lt.cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof(id), &w);
    lt.cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile,
                                            sizeof(tile), &w);
    lt.cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM, &splitk,
                                            sizeof(splitk), &w);
    lt.cublasLtMatmulAlgoConfigGetAttribute(&p->algo, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID,
                                            &cluster, sizeof(cluster), &w);
    p->algo_id = id;
    p->splitk = splitk > 1 ? (unsigned)splitk : 1;
    lookup_tile(tile, &p->tile_m, &p->tile_n);
    lookup_cluster(cluster, p);
    p->ctas = 0;
    if (p->tile_m > 0 && p->tile_n > 0)
        p->ctas = (unsigned long)((p->m + p->tile_m - 1) / p->tile_m) *
                  ((p->n + p->tile_n - 1) / p->tile_n) * p->splitk;
}

static int choose_algo(struct error *err, struct gemm_plan *p, size_t ws_limit)
{
    cublasLtMatmulPreference_t pref = NULL;
    cublasLtMatmulHeuristicResult_t res;
    int found = 0;
    cublasStatus_t st;

    st = lt.cublasLtMatmulPreferenceCreate(&pref);
    if (st != CUBLAS_STATUS_SUCCESS)
        return lt_fail(err, "cublasLtMatmulPreferenceCreate", st);
    st = lt.cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                 &ws_limit, sizeof(ws_limit));
    if (st == CUBLAS_STATUS_SUCCESS)
        st = lt.cublasLtMatmulAlgoGetHeuristic(lt.handle, p->op, p->layout[0], p->layout[1],
                                               p->layout[2], p->layout[2], pref, 1, &res, &found);
    lt.cublasLtMatmulPreferenceDestroy(pref);
    if (st != CUBLAS_STATUS_SUCCESS)
        return lt_fail(err, "cublasLtMatmulAlgoGetHeuristic", st);
    if (found < 1)
        return error_set(err, ERR_UNSUPPORTED, "cuBLASLt has no %s algorithm for %ux%ux%u",
                         gemm_dtype_name(p->dtype), p->m, p->n, p->k);
    p->algo = res.algo;
    p->workspace_bytes = res.workspaceSize;
    p->waves = res.wavesCount;
    describe_algo(p);
    return 0;
}

/* Column-major, leading dimension = rows: A is m x k, B is k x n, C is m x n. */
static cublasStatus_t create_layouts(struct gemm_plan *p, cudaDataType_t t)
{
    const unsigned rows[3] = {p->m, p->k, p->m}, cols[3] = {p->k, p->n, p->n};
    cublasStatus_t st = CUBLAS_STATUS_SUCCESS;

    for (int i = 0; i < 3 && st == CUBLAS_STATUS_SUCCESS; i++)
        st = lt.cublasLtMatrixLayoutCreate(&p->layout[i], t, rows[i], cols[i], rows[i]);
    return st;
}

int gemm_plan_init(struct error *err, struct gemm_plan *p, enum gemm_dtype dtype, unsigned n,
                   size_t ws_limit)
{
    return gemm_plan_init_mnk(err, p, dtype, n, n, n, ws_limit);
}

int gemm_plan_init_mnk(struct error *err, struct gemm_plan *p, enum gemm_dtype dtype, unsigned m,
                       unsigned n, unsigned k, size_t ws_limit)
{
    cudaDataType_t t = dtype == GEMM_BF16 ? CUDA_R_16BF : CUDA_R_32F;
    cublasStatus_t st;

    memset(p, 0, sizeof(*p));
    p->dtype = dtype;
    p->m = m;
    p->n = n;
    p->k = k;
    if (blas_open(err) < 0)
        return -1;
    /* fp32 accumulate and scale for both types; no TF32 for the fp32 case. */
    st = lt.cublasLtMatmulDescCreate(&p->op, CUBLAS_COMPUTE_32F, CUDA_R_32F);
    if (st != CUBLAS_STATUS_SUCCESS)
        return lt_fail(err, "cublasLtMatmulDescCreate", st);
    st = create_layouts(p, t);
    if (st != CUBLAS_STATUS_SUCCESS) {
        gemm_plan_release(p);
        return lt_fail(err, "cublasLtMatrixLayoutCreate", st);
    }
    if (choose_algo(err, p, ws_limit) < 0) {
        gemm_plan_release(p);
        return -1;
    }
    return 0;
}

void gemm_plan_release(struct gemm_plan *p)
{
    for (int i = 0; i < 3; i++) {
        if (p->layout[i] != NULL)
            lt.cublasLtMatrixLayoutDestroy(p->layout[i]);
        p->layout[i] = NULL;
    }
    if (p->op != NULL)
        lt.cublasLtMatmulDescDestroy(p->op);
    p->op = NULL;
}

int gemm_run(struct error *err, const struct gemm_plan *p, cudaStream_t s, const void *a,
             const void *b, void *c, void *ws)
{
    const float alpha = 1.0f, beta = 0.0f;
    cublasStatus_t st;

    st = lt.cublasLtMatmul(lt.handle, p->op, &alpha, a, p->layout[0], b, p->layout[1], &beta, c,
                           p->layout[2], c, p->layout[2], &p->algo, ws, p->workspace_bytes, s);
    if (st != CUBLAS_STATUS_SUCCESS)
        return lt_fail(err, "cublasLtMatmul", st);
    return 0;
}
