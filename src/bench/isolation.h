/*
 * The isolation matrix (bench isolation): for each sharing mode, what a neighbour's fault, its
 * memory hunger and its GEMM did to a victim, set beside what NVIDIA's documents claim, and
 * whether the two agree. This half is pure: the outcomes as the results document records them,
 * the published claims with their sources, and the verdict, so CI checks all of it. The GPU
 * half (the workers that fault) records the outcomes.
 */
#ifndef GPUSHARE_BENCH_ISOLATION_H
#define GPUSHARE_BENCH_ISOLATION_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "core/error.h"

enum iso_mode {
    ISO_STREAMS,      /* two CUDA streams of one process */
    ISO_TIMESLICE,    /* two processes, no MPS */
    ISO_MPS,          /* two clients of one MPS server */
    ISO_MPS_LIMITS,   /* the same, each capped in threads and pinned memory */
    ISO_MIG_EMULATED, /* a MIG slice emulated with MPS caps: MPS's behaviour, labelled so */
    ISO_MIG,          /* two MIG instances, where MIG is enabled with instances */
    ISO_MODES,
};

enum iso_prop {
    ISO_FAULT,  /* the neighbour's illegal address or __trap() */
    ISO_MEMORY, /* the neighbour allocates until it runs out */
    ISO_PERF,   /* the victim's p99 beside a GEMM neighbour against alone */
    ISO_PROPS,
};

/* What a property is, measured or claimed. */
enum iso_level {
    ISO_UNKNOWN = 0,  /* not measured, or no claim published */
    ISO_ISOLATED,     /* the victim did not notice (within the bar, for performance) */
    ISO_NOT_ISOLATED, /* it did */
    ISO_CONFLICT,     /* claims only: the published sources disagree */
};

/* A measurement against a claim. */
enum iso_verdict {
    ISO_NOT_MEASURED = 0,
    ISO_AGREES,
    ISO_CONTRADICTS,
    ISO_SETTLES, /* the published sources disagree: the measurement says which held here */
};

/* Performance counts as isolated when the victim's p99 beside the GEMM is within this many
 * times its p99 alone: a bar, not a measurement (docs/isolation.md says why 1.5). */
#define ISO_PERF_BAR 1.5

/* A published claim and where it is written. */
struct iso_claim {
    enum iso_level level;
    const char *text;   /* what the source says, in a few words */
    const char *source; /* the public document: NVIDIA's doc and section, a repository's file */
};

/* One cell: the measured outcome, the claim, and the verdict. */
struct iso_cell {
    enum iso_level measured;
    char outcome[200]; /* what happened, in words: "the victim got cudaErrorLaunchFailure at
                          cudaStreamSynchronize and had to restart" */
    const struct iso_claim *claim;
    enum iso_verdict verdict;
};

struct iso_matrix {
    struct iso_cell cell[ISO_MODES][ISO_PROPS];
    bool emulated_mig; /* the MIG row is the emulation */
};

/* "streams", "timeslice", "mps", "mps-limits", "mig-emulated", "mig"; "fault", "memory",
 * "performance". */
const char *iso_mode_name(enum iso_mode m);
const char *iso_prop_name(enum iso_prop p);

/* The claim NVIDIA's documents make for m and p (never NULL). */
const struct iso_claim *iso_claim(enum iso_mode m, enum iso_prop p);

/* The verdict for a measured level against a claim. */
enum iso_verdict iso_agreement(const struct iso_claim *c, enum iso_level measured);

/* "isolated", "not isolated", "conflicting", "not measured"; "agrees", "contradicts",
 * "settles", "not measured". */
const char *iso_level_name(enum iso_level l);
const char *iso_verdict_name(enum iso_verdict v);

/* ---- what a run records (one test per mode and property; docs/isolation.md) ---- */

/* A fault run: what the victim saw and what came after. */
struct iso_fault {
    const char *kind;      /* "illegal-address" or "trap" */
    const char *error;     /* the victim's CUDA error name, "none" when it saw none */
    const char *at;        /* the call that returned it ("" for none) */
    int victim_continues;  /* 1: its next kernel ran and gave the right answer; 0: no */
    int new_process_ok;    /* 1: a fresh process ran a kernel afterwards */
    int server_survived;   /* MPS: 1 the server took new clients again, 0 not; -1 not MPS */
    double recovery_ms[2]; /* per trial: until a new process ran a kernel */
    unsigned trials;
};

/* A memory run: the neighbour allocated until it could not. */
struct iso_memory {
    double neighbour_gib; /* what it got */
    int victim_failed;    /* 1: the victim's next allocation failed */
    int limit_held;       /* 1: the neighbour stopped at its pinned limit; -1: no limit */
    double victim_mib[2]; /* per trial: what the victim could still allocate */
    unsigned trials;
};

/* Adds the test of a fault run (id "isolation.MODE.fault.KIND"); 0, or -1 (ERR_INVALID for a
 * run that recorded no trial). */
int iso_record_fault(struct error *err, json_t *doc, enum iso_mode m, const struct iso_fault *f);
int iso_record_memory(struct error *err, json_t *doc, enum iso_mode m, const struct iso_memory *r);
/* The performance row: p99 alone and beside the GEMM, per trial, in us. */
int iso_record_perf(struct error *err, json_t *doc, enum iso_mode m, const double *alone_us,
                    const double *beside_us, unsigned trials);

/* The matrix of a checked results document: each cell from its tests (a property with two
 * fault runs is not isolated when either got through), its claim and the verdict. */
void iso_matrix_of(const json_t *doc, struct iso_matrix *mx);

/* The matrix for people: one line per mode, a cell per property, the claims and sources
 * below, and which claims held and which did not. */
void iso_matrix_print(FILE *f, const struct iso_matrix *mx);

#endif
