/*
 * Demands: what the workloads to be placed need, per replica (memory, compute, a request
 * stream and its latency target, a tenant and an isolation need), and the GPUs to place them
 * on. Read from the command line ("llama:20gb:30sm,bert:4gb:10%x3") or from a YAML file, and
 * checked the same way both times, so the planners (plan/mig_plan.h, plan/planner.h) can
 * trust every field. docs/plan.md specifies the file.
 *
 * One grammar, two forms of list: `models:` (what `gpushare mig plan` plans, bounded for its
 * layout search) and `workloads:` (what `gpushare plan` packs, up to fleet size).
 *
 * Pure logic: libyaml, no CUDA, no NVML.
 */
#ifndef GPUSHARE_PLAN_DEMAND_H
#define GPUSHARE_PLAN_DEMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* The `models:` and inline forms: what the MIG planner's layout search takes. */
#define PLAN_MAX_DEMANDS 256
/* Replicas of all demands together in those forms. Bounds every MIG plan's assignment table. */
#define PLAN_MAX_REPLICAS 1024
/* The `workloads:` form: a fleet. */
#define PLAN_MAX_WORKLOADS 100000
#define PLAN_MAX_WORKLOAD_REPLICAS 100000 /* of one workload */
#define PLAN_MAX_TOTAL_REPLICAS 1000000   /* of all workloads */
#define PLAN_MAX_GPU_MODELS 16            /* entries of `gpus:` */
#define PLAN_MAX_GPU_COUNT 100000         /* GPUs of one entry */
#define DEMAND_NAME_MAX 64
/* Sanity bounds on one replica: far above any GPU, low enough that sums stay exact. */
#define DEMAND_MAX_MEM_GIB 65536.0
#define DEMAND_MAX_SMS 65536u
#define DEMAND_MAX_RATE 1e6       /* requests per second */
#define DEMAND_MAX_REQUEST_MS 1e5 /* GPU time of one request */
#define DEMAND_MAX_SLO_MS 1e7
/* A plan file of 100,000 workloads is a few MiB; anything much bigger is not one. */
#define DEMAND_MAX_FILE_BYTES (32u << 20)
#define DEMAND_DEFAULT_TENANT "default"

/* What a workload needs kept from its neighbours (docs/plan.md, "Isolation"). */
enum demand_isolation {
    ISO_NONE = 0, /* nothing: it may share memory, faults and time with anyone */
    ISO_SOFT,     /* limits: its memory and SM share capped and protected by limits */
    ISO_HARD,     /* hardware: memory, faults and performance of its own (MIG or a GPU) */
};

struct demand {
    char name[DEMAND_NAME_MAX]; /* [A-Za-z0-9._-], from a letter or digit; unique in its set */
    double mem_gib;             /* GiB per replica, in (0, DEMAND_MAX_MEM_GIB] */
    /* Compute, at most one of the three forms: */
    unsigned min_sms;      /* SMs per replica at least, 1..DEMAND_MAX_SMS; 0: no floor */
    double min_fraction;   /* share of the whole GPU's SMs per replica, (0, 1]; 0: none */
    double rate;           /* requests per second per replica; 0: no request stream */
    double request_ms;     /* GPU time of one request alone on the whole GPU; > 0 with rate */
    double request_p99_ms; /* its p99 alone, >= request_ms; 0: not given (the evidence's tail) */
    double slo_ms;         /* p99 latency target of a request; 0: none (needs rate) */
    char tenant[DEMAND_NAME_MAX]; /* the trust boundary; DEMAND_DEFAULT_TENANT unless given */
    enum demand_isolation isolation;
    unsigned replicas; /* >= 1 */
    unsigned line;     /* 1-based line of its name in a file; 0 on the command line */
};

/* One entry of `gpus:`: a catalog model (mig/catalog.h) and how many of it. */
struct demand_gpu {
    char model[DEMAND_NAME_MAX]; /* the catalog's spelling ("A100-80GB") */
    unsigned long count;         /* 1..PLAN_MAX_GPU_COUNT */
    unsigned line;
};

/*
 * A set: the workloads in the order given, and the GPUs when the file names them. Filled by
 * the parsers below from nothing (any previous content is forgotten, not freed: release it
 * first); released with demand_set_release(). After an error n is 0 and nothing is held.
 */
struct demand_set {
    size_t n, cap;
    struct demand *d;
    size_t replicas; /* of all workloads */
    bool workloads;  /* the `workloads:` form (fleet limits) rather than `models:` */
    size_t n_gpus;
    struct demand_gpu gpus[PLAN_MAX_GPU_MODELS];
    size_t *index, index_cap; /* name -> position, for duplicates: internal */
};

void demand_set_release(struct demand_set *set);

/*
 * The command-line form: items separated by ',', each NAME:MEM[:COMPUTE][xCOUNT].
 *   MEM      a number with "gb" or "gib" (any case); both mean GiB (2^30 bytes), as nvidia-smi
 *            and MIG profile names do ("1g.10gb" is 9.75 GiB)
 *   COMPUTE  "<n>sm" (at least n SMs) or "<f>%" (at least f percent of the GPU's SMs)
 *   COUNT    replicas, 1 or more (default 1)
 * e.g. "llama:20gb:30sm,bert:4gb:10%x3,resnet:2.5gb". No spaces. Names are unique.
 * ERR_USAGE naming the item and what was expected.
 */
int demand_parse_inline(struct error *err, const char *s, struct demand_set *set)
    __attribute__((nonnull(2, 3), warn_unused_result));

/*
 * The file form, one YAML document (libyaml), docs/plan.md:
 *   gpus:                      # optional: the GPUs to plan on
 *     - model: A100-80GB       # a catalog model
 *       count: 1               # optional, default 1
 *   workloads:                 # or models: (the form `mig plan` takes), one of the two
 *     - name: llama-8b
 *       memory_gib: 20
 *       min_sms: 30            # or compute_fraction: 0.25, or requests_per_s: 50 with
 *                              #    gpu_ms_per_request: 4 (its p50 alone, and optionally
 *                              #    gpu_ms_p99_per_request); at most one of the three
 *       latency_slo_ms: 50     # optional p99 target, with requests_per_s
 *       tenant: team-a         # optional, default "default"
 *       isolation: soft        # optional: none (default), soft or hard
 *       replicas: 2            # optional, default 1
 * Numbers are plain (unquoted) scalars. Errors are "NAME:LINE:COLUMN: what was expected, got
 * what": YAML syntax, unknown or repeated keys, missing fields, wrong types, unknown GPU
 * models, duplicate names, too many workloads or replicas. ERR_INVALID for the document,
 * ERR_IO when the file cannot be read (a directory, a missing file).
 */
int demand_load_yaml(struct error *err, const char *path, struct demand_set *set)
    __attribute__((nonnull(2, 3), warn_unused_result));

/* The same from memory: buf[0..len) need not be NUL-terminated (buf may be NULL when len is
 * 0); name is what messages call it ("demands.yaml"). */
int demand_load_yaml_buf(struct error *err, const char *buf, size_t len, const char *name,
                         struct demand_set *set) __attribute__((nonnull(4, 5), warn_unused_result));

/* SMs one replica needs on a GPU of gpu_sms SMs: max(min_sms, ceil(min_fraction * gpu_sms)). */
unsigned demand_sms_needed(const struct demand *d, unsigned gpu_sms);

/* Replicas of all demands together. */
size_t demand_replicas(const struct demand_set *set);

/* "none", "soft", "hard". */
const char *demand_isolation_name(enum demand_isolation iso);

#endif
