/*
 * The subset of NVML that gpushare calls, declared here because the toolkit
 * ships no nvml.h and the driver's library is loaded with dlopen (nvtop's
 * approach). Layouts and constants follow NVIDIA's nvml.h (NVML API 12);
 * only nvml.c includes this file.
 */
#ifndef GPUSHARE_GPU_NVML_API_H
#define GPUSHARE_GPU_NVML_API_H

typedef struct nvmlDevice_st *nvmlDevice_t;

typedef enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_UNKNOWN = 999,
} nvmlReturn_t;

typedef enum {
    NVML_FEATURE_DISABLED = 0,
    NVML_FEATURE_ENABLED = 1,
} nvmlEnableState_t;

typedef enum {
    NVML_COMPUTEMODE_DEFAULT = 0,
    NVML_COMPUTEMODE_EXCLUSIVE_THREAD = 1, /* deprecated by NVIDIA */
    NVML_COMPUTEMODE_PROHIBITED = 2,
    NVML_COMPUTEMODE_EXCLUSIVE_PROCESS = 3,
} nvmlComputeMode_t;

typedef struct {
    unsigned long long total; /* bytes */
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

/*
 * The sampling subset, checked against NVIDIA's nvml.h (NVML 12.2.140, as vendored in
 * NVIDIA/go-nvml gen/nvml/nvml.h) and docs.nvidia.com/deploy/nvml-api:
 *   nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t, nvmlUtilization_t *);
 *   nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t, nvmlClockType_t, unsigned int *clock);  MHz
 *   nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t, unsigned int *power);  milliwatts
 * Utilization is NOT_SUPPORTED on a GPU with MIG enabled; power is averaged over 1 s on
 * Ampere (bar GA100) and newer, instantaneous on older parts.
 */
typedef struct {
    unsigned int gpu;    /* % of the last sample period (1/6 s to 1 s) in which any kernel ran */
    unsigned int memory; /* % of it in which device memory was read or written */
} nvmlUtilization_t;

typedef enum {
    NVML_CLOCK_GRAPHICS = 0,
    NVML_CLOCK_SM = 1,
    NVML_CLOCK_MEM = 2,
} nvmlClockType_t;

typedef struct {
    unsigned int start; /* memory slice */
    unsigned int size;  /* memory slices */
} nvmlGpuInstancePlacement_t;

#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80

typedef struct {
    unsigned int version; /* nvmlGpuInstanceProfileInfo_v2 */
    unsigned int id;
    unsigned int isP2pSupported;
    unsigned int sliceCount;
    unsigned int instanceCount;
    unsigned int multiprocessorCount;
    unsigned int copyEngineCount;
    unsigned int decoderCount;
    unsigned int encoderCount;
    unsigned int jpegCount;
    unsigned int ofaCount;
    unsigned long long memorySizeMB;
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
} nvmlGpuInstanceProfileInfo_v2_t;

/* NVML_STRUCT_VERSION(GpuInstanceProfileInfo, 2): size | version << 24 (152 | 2 << 24). */
#define nvmlGpuInstanceProfileInfo_v2                                                              \
    ((unsigned int)(sizeof(nvmlGpuInstanceProfileInfo_v2_t) | (2U << 24U)))

/* NVML_GPU_INSTANCE_PROFILE_1_SLICE (0) .. _2_SLICE_ALL_ME (0x10) in the R570+ header; the
 * loop probes past the known ones so a newer driver's profiles are listed too. */
#define GPUSHARE_NVML_GI_PROFILE_PROBE 32

#endif
