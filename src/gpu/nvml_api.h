/*
 * The subset of NVML that gpushare calls, declared here because the toolkit
 * ships no nvml.h and the driver's library is loaded with dlopen (nvtop's
 * approach). Layouts, constants and prototypes follow NVIDIA's nvml.h (NVML
 * API 12); nvml.c and the tests' fake library include this file.
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

/*
 * X(required, return type, field, newest symbol, older symbol or NULL, parameter list): the
 * real prototypes, one place only, so nvml.c's pointers are typed from them and a call that
 * disagrees fails to compile. An older symbol is tried when the newest is missing and must
 * share its prototype (every _v2 below does). Without a required symbol nvml_open fails;
 * an optional one may be missing from older drivers and reads as "unsupported".
 */
#define NVML_SYMBOLS(X)                                                                            \
    X(1, nvmlReturn_t, Init, "nvmlInit_v2", "nvmlInit", (void))                                    \
    X(1, nvmlReturn_t, Shutdown, "nvmlShutdown", NULL, (void))                                     \
    X(1, const char *, ErrorString, "nvmlErrorString", NULL, (nvmlReturn_t))                       \
    X(1, nvmlReturn_t, DeviceGetCount, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount",              \
      (unsigned int *))                                                                            \
    X(1, nvmlReturn_t, DeviceGetHandleByIndex, "nvmlDeviceGetHandleByIndex_v2",                    \
      "nvmlDeviceGetHandleByIndex", (unsigned int, nvmlDevice_t *))                                \
    X(0, nvmlReturn_t, DeviceGetHandleByPciBusId, "nvmlDeviceGetHandleByPciBusId_v2",              \
      "nvmlDeviceGetHandleByPciBusId", (const char *, nvmlDevice_t *))                             \
    X(0, nvmlReturn_t, SystemGetDriverVersion, "nvmlSystemGetDriverVersion", NULL,                 \
      (char *, unsigned int))                                                                      \
    X(0, nvmlReturn_t, SystemGetCudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2",            \
      "nvmlSystemGetCudaDriverVersion", (int *))                                                   \
    X(0, nvmlReturn_t, DeviceGetName, "nvmlDeviceGetName", NULL,                                   \
      (nvmlDevice_t, char *, unsigned int))                                                        \
    X(0, nvmlReturn_t, DeviceGetUUID, "nvmlDeviceGetUUID", NULL,                                   \
      (nvmlDevice_t, char *, unsigned int))                                                        \
    X(0, nvmlReturn_t, DeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo", NULL,                       \
      (nvmlDevice_t, nvmlMemory_t *))                                                              \
    X(0, nvmlReturn_t, DeviceGetCurrPcieLinkGeneration, "nvmlDeviceGetCurrPcieLinkGeneration",     \
      NULL, (nvmlDevice_t, unsigned int *))                                                        \
    X(0, nvmlReturn_t, DeviceGetMaxPcieLinkGeneration, "nvmlDeviceGetMaxPcieLinkGeneration", NULL, \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, nvmlReturn_t, DeviceGetCurrPcieLinkWidth, "nvmlDeviceGetCurrPcieLinkWidth", NULL,         \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, nvmlReturn_t, DeviceGetMaxPcieLinkWidth, "nvmlDeviceGetMaxPcieLinkWidth", NULL,           \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, nvmlReturn_t, DeviceGetComputeMode, "nvmlDeviceGetComputeMode", NULL,                     \
      (nvmlDevice_t, nvmlComputeMode_t *))                                                         \
    X(0, nvmlReturn_t, DeviceGetPersistenceMode, "nvmlDeviceGetPersistenceMode", NULL,             \
      (nvmlDevice_t, nvmlEnableState_t *))                                                         \
    X(0, nvmlReturn_t, DeviceGetMigMode, "nvmlDeviceGetMigMode", NULL,                             \
      (nvmlDevice_t, unsigned int *, unsigned int *))                                              \
    X(0, nvmlReturn_t, DeviceGetGpuInstanceProfileInfoV, "nvmlDeviceGetGpuInstanceProfileInfoV",   \
      NULL, (nvmlDevice_t, unsigned int, nvmlGpuInstanceProfileInfo_v2_t *))                       \
    X(0, nvmlReturn_t, DeviceGetMaxMigDeviceCount, "nvmlDeviceGetMaxMigDeviceCount", NULL,         \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, nvmlReturn_t, DeviceGetMigDeviceHandleByIndex, "nvmlDeviceGetMigDeviceHandleByIndex",     \
      NULL, (nvmlDevice_t, unsigned int, nvmlDevice_t *))                                          \
    X(0, nvmlReturn_t, DeviceGetGpuInstancePossiblePlacements,                                     \
      "nvmlDeviceGetGpuInstancePossiblePlacements_v2", NULL,                                       \
      (nvmlDevice_t, unsigned int, nvmlGpuInstancePlacement_t *, unsigned int *))                  \
    X(0, nvmlReturn_t, DeviceGetUtilizationRates, "nvmlDeviceGetUtilizationRates", NULL,           \
      (nvmlDevice_t, nvmlUtilization_t *))                                                         \
    X(0, nvmlReturn_t, DeviceGetClockInfo, "nvmlDeviceGetClockInfo", NULL,                         \
      (nvmlDevice_t, nvmlClockType_t, unsigned int *))                                             \
    X(0, nvmlReturn_t, DeviceGetPowerUsage, "nvmlDeviceGetPowerUsage", NULL,                       \
      (nvmlDevice_t, unsigned int *))

/* One function type per entry, named after the symbol: nvmlInit_fn, nvmlDeviceGetCount_fn, ... */
#define NVML_TYPEDEF(req, ret, field, sym, old, params) typedef ret nvml##field##_fn params;
NVML_SYMBOLS(NVML_TYPEDEF)
#undef NVML_TYPEDEF

#endif
