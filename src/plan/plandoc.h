/*
 * The plan document (gpushare.plan/1, docs/plan.md): what `gpushare plan` decided, for the
 * emitters and the report. The input it planned, the figures it used with their sources, every
 * mode's verdict with its predictions, the recommendation, and the deployment: the one set of
 * figures (MPS clients, thread percentage, memory limit, replicas, MIG layout) that every
 * emitter writes. Deterministic: the same plan gives the same bytes.
 *
 * Pure logic over jansson: no CUDA, no NVML.
 */
#ifndef GPUSHARE_PLAN_PLANDOC_H
#define GPUSHARE_PLAN_PLANDOC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/error.h"
#include "mig/geometry.h"
#include "plan/planner.h"

#define PLAN_SCHEMA_ID "gpushare.plan/1"
/* Workloads and GPUs listed one by one in a mode's entry; a fleet's are summed up instead. */
#define PLANDOC_DETAIL_MAX 256

/* The deployment the plan decided: what `emit --plan` and `plan --emit` write. */
struct plan_deploy {
    enum plan_mode mode;
    char gpu_model[64];
    size_t gpus;
    /* MPS on whole GPUs: 0 clients when the mode has no MPS daemon on a whole GPU */
    unsigned mps_clients;       /* the most clients of one daemon */
    unsigned thread_pct;        /* each client's cap, whole percent; 0: none */
    unsigned long long mem_mib; /* each client's pinned memory limit, MiB; 0: none */
    bool low_priority_batch;    /* batch clients at CUDA_MPS_CLIENT_PRIORITY=1 */
    char mps_why[400];          /* where the thread percentage and the limit come from */
    /* Kubernetes: the device plugin's sharing, or none when it cannot deploy this mode */
    char k8s_mode[16]; /* "timeslice", "mps", "mig-mixed" or "" */
    unsigned k8s_replicas;
    char k8s_why[400]; /* why no Kubernetes files, when there are none */
    /* MIG: the layout of the first MIG GPU ("" for none), as mig check takes it:
     * "3g.40gb,2g.20gb,1g.10gb:2" */
    char mig_layout[160];
};

/* The plan as a document (new reference). file names the input ("" for an example: name). */
json_t *plandoc_build(const struct plan *p, const char *file);

/* The deployment of the recommendation (d->mode is PM_COUNT when nothing works). */
void plandoc_deploy_of(const struct plan *p, struct plan_deploy *d);

/* Checks a parsed plan document: the schema id, the members and their types, the deploy
 * section the emitters read. 0, or -1 with ERR_INVALID: "'<where>': deploy.mps.thread_pct: ...". */
int plandoc_check(struct error *err, const json_t *doc, const char *where);

/* Loads and checks path; a new reference or NULL (ERR_IO, ERR_INVALID with line and column). */
json_t *plandoc_load(struct error *err, const char *path);

/* The deploy section of a checked document; -1 (ERR_INVALID) when the plan recommends nothing
 * deployable ("the plan recommends no mode: ..."). */
int plandoc_deploy(struct error *err, const json_t *doc, const char *where, struct plan_deploy *d);

/* plandoc_load then plandoc_deploy: what an emitter's --plan reads. 0 or -1 as they fail. */
int plandoc_load_deploy(struct error *err, const char *path, struct plan_deploy *d);

#endif
