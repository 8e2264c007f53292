/*
 * MIG geometry: whether a set of GPU instances fits a GPU, where each one goes, and what it
 * leaves unused. A GPU instance occupies a run of memory slices given by one of its
 * profile's placements ({start}:size, nvidia-smi mig -lgipp); instances may not overlap
 * ("Creation of new GPU instance will fail if there is overlap with the already occupied
 * memory slices": NVML, nvmlDeviceGetGpuInstancePossiblePlacements_v2), and a profile has at
 * most max_instances instances. That is the whole rule (MIG User Guide, "Supported MIG
 * Profiles": https://docs.nvidia.com/datacenter/tesla/mig-user-guide/).
 *
 * Pure logic over the catalog (mig/catalog.h).
 */
#ifndef GPUSHARE_MIG_GEOMETRY_H
#define GPUSHARE_MIG_GEOMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "mig/catalog.h"

/* No GPU takes more GPU instances than it has memory slices. */
#define MIG_MAX_INSTANCES 8

/* A multiset of GPU instances on one GPU, and, once checked, where each goes. */
struct mig_layout {
    const struct mig_gpu *gpu;
    size_t n;
    unsigned prof[MIG_MAX_INSTANCES];  /* indexes into gpu->profiles */
    unsigned start[MIG_MAX_INSTANCES]; /* first memory slice, set by mig_check_layout() */
};

/* What a layout uses and leaves. */
struct mig_usage {
    unsigned sms;            /* SMs of all instances; 0 when !sms_known */
    unsigned sms_stranded;   /* gpu->sms - sms: SMs no instance can use; 0 when !stranded_known */
    unsigned mem_slices;     /* memory slices occupied */
    unsigned compute_slices; /* compute slices (sum of <g>) */
    double mem_gib;          /* memory of all instances; 0 when !mem_known */
    bool sms_known;          /* every profile's SMs is known */
    bool mem_known;          /* every profile's memory is known */
    bool stranded_known;     /* sms_known and the whole GPU's SMs known */
};

/*
 * Parses "3g.40gb,2g.20gb,1g.10gb:2" (PROFILE or PROFILE:COUNT, comma-separated) against
 * gpu's profiles, in order. ERR_USAGE naming the item: an unknown profile (with the GPU's
 * profile names), a malformed or zero count, more than MIG_MAX_INSTANCES instances.
 */
int mig_layout_parse(struct error *err, const struct mig_gpu *gpu, const char *list,
                     struct mig_layout *l);

/*
 * Finds a placement for every instance. true: l->start[] holds it (instances sorted by start
 * afterwards). false: why, in the user's terms, in why[size] ("two 3g.40gb use all 8 memory
 * slices; no 1g.10gb can be placed"; "1g.10gb+me: at most 1 instance, 2 asked"). A refusal
 * names the first profile over its max_instances; otherwise it adds instances largest first
 * and explains the first that finds no room, against where the ones before it go ("4g.40gb
 * takes slices 0-3 and 2g.20gb slices 4-5; 2g.20gb needs 2 free slices starting at 0, 2 or 4;
 * only slices 6-7 are free"). why may be NULL (size 0); it is cut to fit, never unterminated.
 * An empty layout fits.
 */
bool mig_check_layout(struct mig_layout *l, char *why, size_t size);

/* What a (placed or not) layout uses. */
void mig_layout_usage(const struct mig_layout *l, struct mig_usage *u);

/* "3g.40gb + 2g.20gb + 1g.10gb x2": the layout in words. */
void mig_layout_name(const struct mig_layout *l, char *out, size_t size);

/* "3g.40gb,2g.20gb,1g.10gb:2": the layout as mig_layout_parse() reads it. */
void mig_layout_spec(const struct mig_layout *l, char *out, size_t size);

/*
 * Draws the placed layout (after mig_check_layout() returned true) over the GPU's memory
 * slices, one row per instance in l's order, then a row of the free slices:
 *   slice      0    1    2    3    4    5    6    7
 *   4g.40gb  [==================]
 *   2g.20gb                      [========]
 *   free                                   [........]
 */
void mig_layout_draw(FILE *f, const struct mig_layout *l);

/*
 * Calls fn for every maximal valid layout of gpu: one that fits and takes no further
 * instance of any profile. Each multiset once, instances in catalog order, start[] holding a
 * placement. fn may be NULL. Returns the count (44 for the 7-compute/8-memory-slice GPUs).
 */
size_t mig_enumerate_maximal(const struct mig_gpu *gpu,
                             void (*fn)(const struct mig_layout *l, void *arg), void *arg);

#endif
