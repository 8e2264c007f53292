/*
 * The MIG profile catalog: for each GPU model that supports MIG, its GPU-instance profiles
 * as `nvidia-smi mig -lgip` / `-lgipp` print them, each row with its source: NVIDIA's MIG
 * User Guide (https://docs.nvidia.com/datacenter/tesla/mig-user-guide/), the NVIDIA/mig-parted
 * and NVIDIA/gpu-operator repositories, public printouts. A row whose every field comes
 * from a primary source is `verified`; the others say what is missing, in the data and in
 * every output that uses them.
 *
 * Pure data and lookups: no CUDA, no NVML.
 */
#ifndef GPUSHARE_MIG_CATALOG_H
#define GPUSHARE_MIG_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#define MIG_MAX_PROFILES 12
#define MIG_MAX_PLACEMENTS 8

struct mig_placement_spec {
    unsigned start; /* first memory slice */
    unsigned size;  /* memory slices */
};

/* One GPU-instance profile. */
/* A profile ID no primary source gave: nvidia-smi takes the name instead (-cgi 1g.10gb). */
#define MIG_ID_UNKNOWN 0xffffffffu

struct mig_profile_spec {
    const char *name;       /* mig-parted's spelling: "1g.10gb", "1g.10gb+me" */
    unsigned id;            /* nvidia-smi's GI profile ID; MIG_ID_UNKNOWN: not known */
    unsigned gslices;       /* compute slices, the <g> of the name */
    unsigned sms;           /* 0: not known (the row is unverified) */
    double mem_gib;         /* as -lgip prints it; 0: not known. Varies by driver */
    unsigned max_instances; /* of this profile at once */
    bool media_ext;         /* +me: the GPU's media engines; one instance at most */
    unsigned n_placements;
    struct mig_placement_spec placements[MIG_MAX_PLACEMENTS];
    bool verified;      /* SMs, memory, count and placements all from primary sources */
    const char *source; /* where the row comes from; what is unverified and why */
};

struct mig_gpu {
    const char *model;         /* catalog key, as --gpu takes it: "H100-80GB" */
    const char *nvml_names;    /* NVML device names that map here, '|'-separated */
    const char *device_filter; /* mig-parted device-filter: PCI device<<16|vendor, e.g.
                                  "0x233010DE"; '|'-separated when several boards */
    unsigned sms;              /* the whole GPU with MIG disabled; 0: not known */
    unsigned mem_slices;       /* 8 (A30: 4) */
    unsigned compute_slices;   /* 7 (A30: 4) */
    double mem_gib;            /* the whole GPU, nominal */
    unsigned n_profiles;
    struct mig_profile_spec profiles[MIG_MAX_PROFILES];
    const char *source;
    const char *note; /* caveats the output repeats: driver minimums, unverified parts */
};

/* Every GPU in the catalog. */
const struct mig_gpu *mig_catalog(size_t *n);

/* By model key, case-insensitively ("h100-80gb"); NULL if none. */
const struct mig_gpu *mig_gpu_find(const char *model);

/* By the device name NVML reports ("NVIDIA H100 80GB HBM3"); NULL if none. */
const struct mig_gpu *mig_gpu_by_nvml_name(const char *name);

/* A profile of gpu by name ("1g.10gb", "1g.10gb+me"); NULL if none. The index in
 * gpu->profiles goes to *index when index is not NULL. */
const struct mig_profile_spec *mig_profile_find(const struct mig_gpu *gpu, const char *name,
                                                unsigned *index);

/* Does the GPU have any row that is not verified? */
bool mig_gpu_verified(const struct mig_gpu *gpu);

/*
 * Is a figure known? The rows spell "no source gives it" as 0 (an ID as MIG_ID_UNKNOWN), so
 * code asks these instead of comparing with 0: an unknown is printed "?" (JSON null), never
 * as 0, and a sum or difference over one is unknown too.
 */
bool mig_sms_known(const struct mig_profile_spec *p);
bool mig_mem_known(const struct mig_profile_spec *p);
bool mig_gpu_sms_known(const struct mig_gpu *gpu);
/* Every profile's SMs and memory known. */
bool mig_gpu_figures_known(const struct mig_gpu *gpu);

#endif
