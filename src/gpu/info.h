/*
 * What `gpushare info` reports about one GPU. Plain data, no CUDA types, so the
 * results document, the planner and the tests can use it without a GPU.
 *
 * Every field that may be unavailable has a `has_` flag: a field NVML answers
 * NOT_SUPPORTED for is absent (JSON null), never 0 (nvtop's validity mask).
 */
#ifndef GPUSHARE_GPU_INFO_H
#define GPUSHARE_GPU_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

#define INFO_MAX_MIG_PROFILES 32
#define INFO_MAX_PLACEMENTS 16

struct mig_placement {
    unsigned start; /* first memory slice */
    unsigned size;  /* memory slices */
};

/* One GPU-instance profile as NVML reports it (nvidia-smi mig -lgip / -lgipp). */
struct mig_gi_profile {
    unsigned index;     /* NVML_GPU_INSTANCE_PROFILE_* constant queried */
    unsigned id;        /* profile ID nvidia-smi prints, e.g. 19 for 1g.10gb on H100 */
    char name[96];      /* e.g. "MIG 1g.10gb" */
    unsigned slices;    /* GPU (compute) slices */
    unsigned instances; /* maximum instances */
    unsigned sms;       /* multiprocessors */
    unsigned copy_engines;
    unsigned decoders, encoders, jpegs, ofas;
    uint64_t memory_mib;
    unsigned n_placements;
    struct mig_placement placements[INFO_MAX_PLACEMENTS];
};

struct mig_info {
    bool supported; /* NVML answered the MIG mode query */
    bool has_mode;
    bool current_enabled, pending_enabled;
    unsigned n_profiles;
    struct mig_gi_profile profiles[INFO_MAX_MIG_PROFILES];
};

struct mps_probe_result {
    char pipe_dir[256];
    bool answers; /* a control daemon answered a command at pipe_dir */
    bool has_pid;
    long daemon_pid;  /* from nvidia-cuda-mps-control.pid when readable */
    char detail[256]; /* why not, or what it answered */
};

struct pcie_info {
    bool has_gen_current, has_gen_max, has_width_current, has_width_max;
    unsigned gen_current, gen_max, width_current, width_max;
};

struct gpu_info {
    int device_index; /* CUDA ordinal */
    char name[96];
    char uuid[96];
    char pci_bus_id[32];
    char driver_version[80];  /* NVML system driver version, e.g. "580.159.04" */
    int cuda_driver_version;  /* e.g. 13000 */
    int cuda_runtime_version; /* of the runtime linked in, e.g. 13000 */
    int cc_major, cc_minor;
    unsigned sm_count;
    uint64_t memory_total_bytes, memory_free_bytes;
    bool has_memory;
    uint64_t l2_bytes;
    unsigned copy_engines; /* cudaDevAttrAsyncEngineCount */
    unsigned max_threads_per_sm;
    uint64_t smem_per_sm_bytes;
    uint64_t smem_per_block_optin_bytes;
    int priority_least, priority_greatest; /* cudaDeviceGetStreamPriorityRange */
    struct pcie_info pcie;
    bool has_compute_mode;
    char compute_mode[24]; /* Default, Exclusive_Process, Prohibited, Exclusive_Thread */
    bool has_persistence;
    bool persistence_enabled;
    struct mig_info mig;
    struct mps_probe_result mps;
};

/*
 * One NVML reading of a device while work runs on it (nvml_sample). Plain data,
 * so the sample log (bench/sampler.h) and the results need no NVML types.
 */
/* One MIG device as NVML lists it (nvml_mig_devices). */
struct mig_device {
    char uuid[96];    /* "MIG-...": what CUDA_VISIBLE_DEVICES takes */
    char name[96];    /* "NVIDIA H100 80GB HBM3 MIG 1g.10gb" */
    char profile[32]; /* "1g.10gb" */
    uint64_t memory_bytes;
};

struct gpu_sample {
    bool has_util, has_sm_clock, has_power, has_memory;
    unsigned util_gpu_pct; /* share of NVML's last sample period (1/6 s to 1 s) in which any
                            * kernel ran, however few SMs it used: not a measure of SM load */
    unsigned util_mem_pct; /* share of that period in which device memory was read or written */
    unsigned sm_clock_mhz;
    double power_w; /* board power, W (averaged over 1 s by the driver on Ampere and newer) */
    uint64_t memory_used_bytes;
};

/*
 * Fills `info` for CUDA device `device` from the CUDA runtime and NVML, and
 * probes for an MPS daemon at mps_pipe_dir (NULL: $CUDA_MPS_PIPE_DIRECTORY or
 * /tmp/nvidia-mps). ERR_NO_GPU when there is no driver or no such device;
 * its message says which. Initialises CUDA in the calling process.
 */
int gpu_info_query(struct error *err, int device, const char *mps_pipe_dir, struct gpu_info *info);

/* "Enabled" or "Disabled": how the document and `info` spell an on/off mode (info_json.c). */
const char *mig_mode_name(bool enabled);

#endif
