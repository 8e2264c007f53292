/*
 * Evidence: the measured figures the planner's model is built from, read once from checked
 * documents into typed values, each with where it came from. A figure comes, in this order,
 * from the documents the user gave that measured the GPU model being planned (the median over
 * them), from the user's documents of another GPU, from the device results committed under
 * results/ (embedded in the binary, so the planner finds them anywhere), or from a documented
 * default with its public source. A figure none of these has is "not measured": never zero.
 *
 * Pure logic over jansson and results/: no CUDA, no NVML.
 */
#ifndef GPUSHARE_PLAN_EVIDENCE_H
#define GPUSHARE_PLAN_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "mig/catalog.h"

/* Where a figure came from. */
enum ev_kind {
    EV_UNKNOWN = 0, /* not measured, and no documented default */
    EV_MEASURED,    /* measured on the GPU model being planned */
    EV_OTHER_CARD,  /* measured, on another GPU model (the figure says which) */
    EV_DEFAULT,     /* a documented default (the figure's source cites it) */
};

/* The figures. Latencies are of gpushare's batch-1 inference request (8 layers of 4096, bf16):
 * alone, and beside K gemm neighbours that keep every SM busy (K = 1..3). */
enum ev_id {
    EV_SLICE_MS,   /* the time slice a context gets when others wait */
    EV_SWITCH_MS,  /* the GPU's idle time at each switch between contexts */
    EV_TS_P50_MS,  /* the request alone, no MPS: p50 */
    EV_TS_P99_MS,  /*   and p99 */
    EV_MPS_P50_MS, /* the request alone as an MPS client: p50 */
    EV_MPS_P99_MS, /*   and p99 */
    EV_MPS_K1_P50, /* MPS, beside K gemm clients: p50 and p99, ms */
    EV_MPS_K1_P99,
    EV_MPS_K2_P50,
    EV_MPS_K2_P99,
    EV_MPS_K3_P50,
    EV_MPS_K3_P99,
    EV_LOW_K1_P50, /* the same with the gemm clients at below-normal priority */
    EV_LOW_K1_P99,
    EV_LOW_K2_P50,
    EV_LOW_K2_P99,
    EV_LOW_K3_P50,
    EV_LOW_K3_P99,
    EV_CAP_K1_P50, /* the same with each gemm client capped at 50% of the threads */
    EV_CAP_K1_P99,
    EV_CAP_K2_P50,
    EV_CAP_K2_P99,
    EV_CAP_K3_P50,
    EV_CAP_K3_P99,
    EV_MPS_CLIENTS,   /* clients one MPS server took */
    EV_CTX_MIB,       /* device memory one client's context takes */
    EV_SM_STEP,       /* MPS gives SMs in steps of this many */
    EV_SM_MIN,        /* and never fewer than this many */
    EV_MEMLIMIT_OK,   /* 1: an allocation past CUDA_MPS_PINNED_DEVICE_MEM_LIMIT failed */
    EV_TS_AGGREGATE,  /* two gemm processes time-sliced: work done against one alone */
    EV_MPS_AGGREGATE, /* the same as MPS clients */
    EV_GPU_MEM_GIB,   /* the whole GPU's memory, as CUDA reports it */
    EV_GPU_SMS,       /* the whole GPU's SMs */
    EV_COUNT,
};

struct ev_fig {
    enum ev_kind kind;
    double v;      /* in the figure's unit; NAN when EV_UNKNOWN */
    char card[96]; /* NVML name of the GPU that measured it; "" for a default */
    char src[200]; /* "results/2026-11-24-h100-timeslice.json, timeslice.timeline.p2", or the
                      document a default comes from */
    unsigned docs; /* documents the median is over (1 for one; 0 for a default) */
};

/* The request time against the SMs a process may use (bench mig's emulated slices): at
 * sms[i] SMs a request takes factor[i] times as long as on the whole GPU. */
#define EV_CURVE_MAX 12
struct ev_curve {
    size_t n; /* points, by SMs ascending; 0: not measured */
    double sms[EV_CURVE_MAX], factor[EV_CURVE_MAX];
    enum ev_kind kind;
    char card[96];
    char src[200];
};

/* Every figure for one GPU model. */
struct evidence {
    const struct mig_gpu *gpu; /* the model planned */
    struct ev_fig f[EV_COUNT];
    struct ev_curve infer;
};

/* The documents to draw on: the committed ones, then what the user gave. */
struct ev_doc {
    json_t *doc;             /* a checked results document (owned) */
    char name[160];          /* the file, as messages name it ("fleet.json: node-3") */
    char card[96];           /* info.name; "" when the document has none */
    const struct mig_gpu *g; /* its catalog model; NULL when not in the catalog */
    bool user;               /* given by the user (else committed) */
};

struct ev_docs {
    size_t n, cap;
    struct ev_doc *d;
};

/* The committed device results, embedded at build time; their names, for tests. */
extern const char *const evidence_committed_names[];
extern const size_t evidence_committed_count;

/* An empty set of documents with the committed ones in it; 0, or -1 if one of them fails its
 * check (a build from a broken tree). */
int evidence_docs_init(struct error *err, struct ev_docs *docs);

/*
 * Adds a document the user gave: a results document (any `gpushare bench`) or a fleet
 * document (`gpushare fleet merge`, each node's document then counts on its own). Loaded and
 * checked by the stages' checkers; ERR_IO or ERR_INVALID naming the file otherwise.
 */
int evidence_docs_add(struct error *err, struct ev_docs *docs, const char *path);

void evidence_docs_release(struct ev_docs *docs);

/* The figures for gpu from docs, each with its source (see the top of this file). */
void evidence_for(const struct ev_docs *docs, const struct mig_gpu *gpu, struct evidence *ev);

/* "slice_ms", the figure's unit ("ms") and what it is in words. */
const char *evidence_name(enum ev_id id);
const char *evidence_unit(enum ev_id id);
const char *evidence_what(enum ev_id id);

/*
 * Where a figure came from, for a sentence: "results/2026-11-24-h100-timeslice.json,
 * timeslice.timeline.p2; measured on NVIDIA H100 80GB HBM3, not on this A100-80GB", "the
 * default of NVIDIA open-gpu-kernel-modules ...", or "not measured".
 */
void evidence_cite(const struct evidence *ev, enum ev_id id, char *out, size_t size);
void evidence_cite_curve(const struct evidence *ev, char *out, size_t size);

/* ---- MPS thread percentages, for `emit mps --results` ---- */

/* The id of the test in a `gpushare bench mps` document that measured the percentages. */
#define EV_THREADS_TEST_ID "mps.threads.sms"

/* What a results document measured at one thread percentage. */
struct ev_threads_at {
    bool present;              /* a document was looked up */
    char results[128];         /* its name, printable ASCII only */
    char gpu[96];              /* info.name, printable ASCII; "" when unknown */
    unsigned pct_centi;        /* the percentage looked up, in hundredths */
    bool exact;                /* that percentage was measured: sms_lo..sms_hi */
    unsigned sms_lo, sms_hi;   /* SMs a client saw there (several trials may differ) */
    bool has_below, has_above; /* otherwise: the nearest measured points around it */
    unsigned below_centi, below_sms, above_centi, above_sms;
    long sms_total, granularity; /* derived sms_total, granularity_sms; -1 when absent */
};

/* Looks pct_centi up in test EV_THREADS_TEST_ID of doc (a checked results document called
 * name). ERR_INVALID naming the file when the test is missing or malformed. */
int evidence_threads_at(struct error *err, const json_t *doc, const char *name, unsigned pct_centi,
                        struct ev_threads_at *m);

#endif
