/*
 * Demands: what the models to be placed need, per replica: memory, compute, and how many
 * copies. Read from the command line ("llama:20gb:30sm,bert:4gb:10%x3") or from a YAML file
 * (a `models:` list), and checked the same way both times, so the planners (plan/mig_plan.h)
 * can trust every field.
 *
 * Pure logic: libyaml, no CUDA, no NVML.
 */
#ifndef GPUSHARE_PLAN_DEMAND_H
#define GPUSHARE_PLAN_DEMAND_H

#include <stddef.h>

#include "core/error.h"

#define PLAN_MAX_DEMANDS 256
/* Replicas of all demands together. Bounds every plan's assignment table. */
#define PLAN_MAX_REPLICAS 1024
#define DEMAND_NAME_MAX 64
/* Sanity bounds on one replica: far above any GPU, low enough that sums stay exact. */
#define DEMAND_MAX_MEM_GIB 65536.0
#define DEMAND_MAX_SMS 65536u
/* A demands file is a short list; anything bigger is not one. */
#define DEMAND_MAX_FILE_BYTES (1u << 20)

struct demand {
    char name[DEMAND_NAME_MAX]; /* [A-Za-z0-9._-], from a letter or digit; unique in its set */
    double mem_gib;             /* GiB per replica, in (0, DEMAND_MAX_MEM_GIB] */
    unsigned min_sms;           /* SMs per replica at least, 1..DEMAND_MAX_SMS; 0: no floor */
    double min_fraction;        /* share of the whole GPU's SMs per replica, (0, 1]; 0: none */
    unsigned replicas;          /* >= 1 */
};
/* At most one of min_sms and min_fraction is non-zero. */

struct demand_set {
    size_t n;
    struct demand d[PLAN_MAX_DEMANDS];
};

/*
 * The command-line form: items separated by ',', each NAME:MEM[:COMPUTE][xCOUNT].
 *   MEM      a number with "gb" or "gib" (any case); both mean GiB (2^30 bytes), as nvidia-smi
 *            and MIG profile names do ("1g.10gb" is 9.75 GiB)
 *   COMPUTE  "<n>sm" (at least n SMs) or "<f>%" (at least f percent of the GPU's SMs)
 *   COUNT    replicas, 1 or more (default 1)
 * e.g. "llama:20gb:30sm,bert:4gb:10%x3,resnet:2.5gb". No spaces. Names are unique.
 * ERR_USAGE naming the item and what was expected; set->n is 0 after an error.
 */
int demand_parse_inline(struct error *err, const char *s, struct demand_set *set)
    __attribute__((nonnull(2, 3), warn_unused_result));

/*
 * The file form, one YAML document (libyaml):
 *   models:
 *     - name: llama-8b
 *       memory_gib: 20
 *       min_sms: 30            # or compute_fraction: 0.25 (of the GPU's SMs), not both
 *       replicas: 2            # optional, default 1
 * Numbers are plain (unquoted) scalars. Errors are "NAME:LINE:COLUMN: what was expected, got
 * what": YAML syntax, unknown or repeated keys, missing name or memory_gib, wrong types,
 * duplicate model names, too many models or replicas. ERR_INVALID for the document, ERR_IO
 * when the file cannot be read; set->n is 0 after an error.
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

#endif
