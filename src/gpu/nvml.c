/*
 * NVML through dlopen: one X-macro list of the symbols we use, resolved
 * newest version first (nvtop, libnvidia-container). A missing optional
 * symbol means "unsupported", never a crash.
 */
#include "gpu/nvml.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "gpu/nvml_api.h"

/* X(required, field, newest symbol, older symbol or NULL, parameter list). Every entry but
 * ErrorString returns nvmlReturn_t. */
#define NVML_SYMBOLS(X)                                                                            \
    X(1, Init, "nvmlInit_v2", "nvmlInit", (void))                                                  \
    X(1, Shutdown, "nvmlShutdown", NULL, (void))                                                   \
    X(1, ErrorString, "nvmlErrorString", NULL, (nvmlReturn_t))                                     \
    X(1, DeviceGetCount, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount", (unsigned int *))          \
    X(1, DeviceGetHandleByIndex, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex",    \
      (unsigned int, nvmlDevice_t *))                                                              \
    X(0, DeviceGetHandleByPciBusId, "nvmlDeviceGetHandleByPciBusId_v2",                            \
      "nvmlDeviceGetHandleByPciBusId", (const char *, nvmlDevice_t *))                             \
    X(0, SystemGetDriverVersion, "nvmlSystemGetDriverVersion", NULL, (char *, unsigned int))       \
    X(0, SystemGetCudaDriverVersion, "nvmlSystemGetCudaDriverVersion_v2",                          \
      "nvmlSystemGetCudaDriverVersion", (int *))                                                   \
    X(0, DeviceGetName, "nvmlDeviceGetName", NULL, (nvmlDevice_t, char *, unsigned int))           \
    X(0, DeviceGetUUID, "nvmlDeviceGetUUID", NULL, (nvmlDevice_t, char *, unsigned int))           \
    X(0, DeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo", NULL, (nvmlDevice_t, nvmlMemory_t *))     \
    X(0, DeviceGetCurrPcieLinkGeneration, "nvmlDeviceGetCurrPcieLinkGeneration", NULL,             \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, DeviceGetMaxPcieLinkGeneration, "nvmlDeviceGetMaxPcieLinkGeneration", NULL,               \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, DeviceGetCurrPcieLinkWidth, "nvmlDeviceGetCurrPcieLinkWidth", NULL,                       \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, DeviceGetMaxPcieLinkWidth, "nvmlDeviceGetMaxPcieLinkWidth", NULL,                         \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, DeviceGetComputeMode, "nvmlDeviceGetComputeMode", NULL,                                   \
      (nvmlDevice_t, nvmlComputeMode_t *))                                                         \
    X(0, DeviceGetPersistenceMode, "nvmlDeviceGetPersistenceMode", NULL,                           \
      (nvmlDevice_t, nvmlEnableState_t *))                                                         \
    X(0, DeviceGetMigMode, "nvmlDeviceGetMigMode", NULL,                                           \
      (nvmlDevice_t, unsigned int *, unsigned int *))                                              \
    X(0, DeviceGetGpuInstanceProfileInfoV, "nvmlDeviceGetGpuInstanceProfileInfoV", NULL,           \
      (nvmlDevice_t, unsigned int, nvmlGpuInstanceProfileInfo_v2_t *))                             \
    X(0, DeviceGetMaxMigDeviceCount, "nvmlDeviceGetMaxMigDeviceCount", NULL,                       \
      (nvmlDevice_t, unsigned int *))                                                              \
    X(0, DeviceGetMigDeviceHandleByIndex, "nvmlDeviceGetMigDeviceHandleByIndex", NULL,             \
      (nvmlDevice_t, unsigned int, nvmlDevice_t *))                                                \
    X(0, DeviceGetGpuInstancePossiblePlacements, "nvmlDeviceGetGpuInstancePossiblePlacements_v2",  \
      NULL, (nvmlDevice_t, unsigned int, nvmlGpuInstancePlacement_t *, unsigned int *))            \
    X(0, DeviceGetUtilizationRates, "nvmlDeviceGetUtilizationRates", NULL,                         \
      (nvmlDevice_t, nvmlUtilization_t *))                                                         \
    X(0, DeviceGetClockInfo, "nvmlDeviceGetClockInfo", NULL,                                       \
      (nvmlDevice_t, nvmlClockType_t, unsigned int *))                                             \
    X(0, DeviceGetPowerUsage, "nvmlDeviceGetPowerUsage", NULL, (nvmlDevice_t, unsigned int *))

#define NVML_FIELD(req, field, sym, old, params) void *field;
static struct {
    void *lib;
    bool ready;
    NVML_SYMBOLS(NVML_FIELD)
} nvml;
#undef NVML_FIELD

/* Calls through a function pointer typed from the parameter list, so every call is checked. */
#define NVML_CALL(name, params, ...) (((nvmlReturn_t(*) params)nvml.name)(__VA_ARGS__))

static const char *nvml_lib_name(void)
{
    const char *env = getenv("GPUSHARE_NVML_LIB");

    /* The unversioned libnvidia-ml.so exists only with -dev packages (htop's note). */
    return env != NULL && env[0] != '\0' ? env : "libnvidia-ml.so.1";
}

static void *resolve(const char *sym, const char *old)
{
    void *p;

    dlerror();
    p = dlsym(nvml.lib, sym);
    if (p == NULL && old != NULL) {
        dlerror();
        p = dlsym(nvml.lib, old);
    }
    return p;
}

static const char *nvml_errstr(nvmlReturn_t rc)
{
    if (nvml.ErrorString == NULL)
        return "unknown NVML error";
    return ((const char *(*)(nvmlReturn_t))nvml.ErrorString)(rc);
}

static int nvml_fail(struct error *err, const char *what, nvmlReturn_t rc)
{
    return error_set(err, ERR_NVML, "%s failed: %s (NVML %d)", what, nvml_errstr(rc), (int)rc);
}

static int nvml_load(struct error *err)
{
    const char *name = nvml_lib_name();

    nvml.lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (nvml.lib == NULL)
        return error_set(err, ERR_NO_GPU, "no NVIDIA driver: cannot load '%s': %s", name,
                         dlerror());
#define NVML_RESOLVE(req, field, sym, old, params)                                                 \
    nvml.field = resolve(sym, old);                                                                \
    if (nvml.field == NULL && (req)) {                                                             \
        nvml_close();                                                                              \
        return error_set(err, ERR_NO_GPU, "'%s' lacks '%s': driver too old", name, sym);           \
    }
    NVML_SYMBOLS(NVML_RESOLVE)
#undef NVML_RESOLVE
    return 0;
}

int nvml_open(struct error *err)
{
    nvmlReturn_t rc;
    unsigned int count = 0;

    if (nvml.ready)
        return 0;
    if (nvml_load(err) < 0)
        return -1;
    rc = NVML_CALL(Init, (void));
    if (rc != NVML_SUCCESS) {
        int code = rc == NVML_ERROR_DRIVER_NOT_LOADED ? ERR_NO_GPU : ERR_NVML;

        error_set(err, code, "NVML cannot start: %s", nvml_errstr(rc));
        nvml_close();
        return -1;
    }
    nvml.ready = true;
    rc = NVML_CALL(DeviceGetCount, (unsigned int *), &count);
    if (rc != NVML_SUCCESS) {
        error_set(err, ERR_NVML, "nvmlDeviceGetCount failed: %s (NVML %d)", nvml_errstr(rc),
                  (int)rc);
        nvml_close();
        return -1;
    }
    if (count == 0) {
        nvml_close();
        return error_set(err, ERR_NO_GPU, "the NVIDIA driver is loaded but reports no GPU");
    }
    return 0;
}

void nvml_close(void)
{
    if (nvml.ready)
        NVML_CALL(Shutdown, (void));
    if (nvml.lib != NULL)
        dlclose(nvml.lib);
    memset(&nvml, 0, sizeof(nvml));
}

static int device_handle(struct error *err, const char *pci_bus_id, int fallback_index,
                         nvmlDevice_t *dev)
{
    nvmlReturn_t rc;

    if (pci_bus_id != NULL && pci_bus_id[0] != '\0' && nvml.DeviceGetHandleByPciBusId != NULL) {
        rc = NVML_CALL(DeviceGetHandleByPciBusId, (const char *, nvmlDevice_t *), pci_bus_id, dev);
        if (rc == NVML_SUCCESS)
            return 0;
    }
    rc = NVML_CALL(DeviceGetHandleByIndex, (unsigned int, nvmlDevice_t *),
                   (unsigned int)fallback_index, dev);
    if (rc != NVML_SUCCESS)
        return nvml_fail(err, "nvmlDeviceGetHandleByIndex", rc);
    return 0;
}

static void query_identity(nvmlDevice_t dev, struct gpu_info *info)
{
    int cuda_version = 0;

    if (nvml.DeviceGetName != NULL)
        NVML_CALL(DeviceGetName, (nvmlDevice_t, char *, unsigned int), dev, info->name,
                  (unsigned int)sizeof(info->name));
    if (nvml.DeviceGetUUID != NULL)
        NVML_CALL(DeviceGetUUID, (nvmlDevice_t, char *, unsigned int), dev, info->uuid,
                  (unsigned int)sizeof(info->uuid));
    if (nvml.SystemGetDriverVersion != NULL)
        NVML_CALL(SystemGetDriverVersion, (char *, unsigned int), info->driver_version,
                  (unsigned int)sizeof(info->driver_version));
    if (nvml.SystemGetCudaDriverVersion != NULL &&
        NVML_CALL(SystemGetCudaDriverVersion, (int *), &cuda_version) == NVML_SUCCESS &&
        info->cuda_driver_version == 0)
        info->cuda_driver_version = cuda_version;
}

static void query_memory(nvmlDevice_t dev, struct gpu_info *info)
{
    nvmlMemory_t mem;

    if (nvml.DeviceGetMemoryInfo != NULL &&
        NVML_CALL(DeviceGetMemoryInfo, (nvmlDevice_t, nvmlMemory_t *), dev, &mem) == NVML_SUCCESS) {
        info->has_memory = true;
        info->memory_total_bytes = mem.total;
        info->memory_free_bytes = mem.free;
    }
}

/* One unsigned-valued NVML getter; false when missing or unsupported. */
static bool get_uint(void *fn, nvmlDevice_t dev, unsigned int *out)
{
    return fn != NULL &&
           ((nvmlReturn_t(*)(nvmlDevice_t, unsigned int *))fn)(dev, out) == NVML_SUCCESS;
}

static void query_pcie(nvmlDevice_t dev, struct pcie_info *p)
{
    p->has_gen_current = get_uint(nvml.DeviceGetCurrPcieLinkGeneration, dev, &p->gen_current);
    p->has_gen_max = get_uint(nvml.DeviceGetMaxPcieLinkGeneration, dev, &p->gen_max);
    p->has_width_current = get_uint(nvml.DeviceGetCurrPcieLinkWidth, dev, &p->width_current);
    p->has_width_max = get_uint(nvml.DeviceGetMaxPcieLinkWidth, dev, &p->width_max);
}

static const char *compute_mode_name(nvmlComputeMode_t m)
{
    switch (m) {
    case NVML_COMPUTEMODE_DEFAULT:
        return "Default";
    case NVML_COMPUTEMODE_EXCLUSIVE_THREAD:
        return "Exclusive_Thread";
    case NVML_COMPUTEMODE_PROHIBITED:
        return "Prohibited";
    case NVML_COMPUTEMODE_EXCLUSIVE_PROCESS:
        return "Exclusive_Process";
    }
    return "Unknown";
}

static void query_modes(nvmlDevice_t dev, struct gpu_info *info)
{
    nvmlComputeMode_t cm;
    nvmlEnableState_t pm;

    if (nvml.DeviceGetComputeMode != NULL &&
        NVML_CALL(DeviceGetComputeMode, (nvmlDevice_t, nvmlComputeMode_t *), dev, &cm) ==
            NVML_SUCCESS) {
        info->has_compute_mode = true;
        str_printf(info->compute_mode, sizeof(info->compute_mode), "%s", compute_mode_name(cm));
    }
    if (nvml.DeviceGetPersistenceMode != NULL &&
        NVML_CALL(DeviceGetPersistenceMode, (nvmlDevice_t, nvmlEnableState_t *), dev, &pm) ==
            NVML_SUCCESS) {
        info->has_persistence = true;
        info->persistence_enabled = pm == NVML_FEATURE_ENABLED;
    }
}

static void query_placements(nvmlDevice_t dev, struct mig_gi_profile *p)
{
    nvmlGpuInstancePlacement_t pl[INFO_MAX_PLACEMENTS];
    unsigned int count = INFO_MAX_PLACEMENTS;

    if (nvml.DeviceGetGpuInstancePossiblePlacements == NULL)
        return;
    /* Takes the profile ID (info.id), not the NVML_GPU_INSTANCE_PROFILE_* index. */
    if (NVML_CALL(DeviceGetGpuInstancePossiblePlacements,
                  (nvmlDevice_t, unsigned int, nvmlGpuInstancePlacement_t *, unsigned int *), dev,
                  p->id, pl, &count) != NVML_SUCCESS)
        return;
    p->n_placements = count < INFO_MAX_PLACEMENTS ? count : INFO_MAX_PLACEMENTS;
    for (unsigned int i = 0; i < p->n_placements; i++) {
        p->placements[i].start = pl[i].start;
        p->placements[i].size = pl[i].size;
    }
}

static void copy_profile(unsigned index, const nvmlGpuInstanceProfileInfo_v2_t *pi,
                         struct mig_gi_profile *p)
{
    memset(p, 0, sizeof(*p));
    p->index = index;
    p->id = pi->id;
    str_printf(p->name, sizeof(p->name), "%.*s", (int)sizeof(pi->name), pi->name);
    p->slices = pi->sliceCount;
    p->instances = pi->instanceCount;
    p->sms = pi->multiprocessorCount;
    p->copy_engines = pi->copyEngineCount;
    p->decoders = pi->decoderCount;
    p->encoders = pi->encoderCount;
    p->jpegs = pi->jpegCount;
    p->ofas = pi->ofaCount;
    p->memory_mib = pi->memorySizeMB;
}

/*
 * MIG mode and the GPU-instance profiles. NVML answers the profile and
 * placement queries with MIG disabled, as `nvidia-smi mig -lgip/-lgipp` do;
 * nothing here changes the mode.
 */
static void query_mig(nvmlDevice_t dev, struct mig_info *mig)
{
    unsigned int cur = 0, pend = 0;

    if (nvml.DeviceGetMigMode != NULL &&
        NVML_CALL(DeviceGetMigMode, (nvmlDevice_t, unsigned int *, unsigned int *), dev, &cur,
                  &pend) == NVML_SUCCESS) {
        mig->supported = true;
        mig->has_mode = true;
        mig->current_enabled = cur == 1;
        mig->pending_enabled = pend == 1;
    }
    if (!mig->supported || nvml.DeviceGetGpuInstanceProfileInfoV == NULL)
        return;
    for (unsigned int i = 0; i < GPUSHARE_NVML_GI_PROFILE_PROBE; i++) {
        nvmlGpuInstanceProfileInfo_v2_t pi;

        if (mig->n_profiles == INFO_MAX_MIG_PROFILES)
            break;
        memset(&pi, 0, sizeof(pi));
        pi.version = nvmlGpuInstanceProfileInfo_v2;
        if (NVML_CALL(DeviceGetGpuInstanceProfileInfoV,
                      (nvmlDevice_t, unsigned int, nvmlGpuInstanceProfileInfo_v2_t *), dev, i,
                      &pi) != NVML_SUCCESS)
            continue; /* profile not offered on this GPU */
        copy_profile(i, &pi, &mig->profiles[mig->n_profiles]);
        query_placements(dev, &mig->profiles[mig->n_profiles]);
        mig->n_profiles++;
    }
}

int nvml_query_device(struct error *err, const char *pci_bus_id, int fallback_index,
                      struct gpu_info *info)
{
    nvmlDevice_t dev;

    if (!nvml.ready && nvml_open(err) < 0)
        return -1;
    if (device_handle(err, pci_bus_id, fallback_index, &dev) < 0)
        return -1;
    query_identity(dev, info);
    query_memory(dev, info);
    query_pcie(dev, &info->pcie);
    query_modes(dev, info);
    query_mig(dev, &info->mig);
    return 0;
}

int nvml_sample(struct error *err, const char *pci_bus_id, int fallback_index,
                struct gpu_sample *out)
{
    nvmlDevice_t dev;
    nvmlUtilization_t util;
    nvmlMemory_t mem;
    unsigned int mhz = 0, mw = 0;

    memset(out, 0, sizeof(*out));
    if (!nvml.ready && nvml_open(err) < 0)
        return -1;
    if (device_handle(err, pci_bus_id, fallback_index, &dev) < 0)
        return -1;
    if (nvml.DeviceGetUtilizationRates != NULL &&
        NVML_CALL(DeviceGetUtilizationRates, (nvmlDevice_t, nvmlUtilization_t *), dev, &util) ==
            NVML_SUCCESS) {
        out->has_util = true;
        out->util_gpu_pct = util.gpu;
        out->util_mem_pct = util.memory;
    }
    if (nvml.DeviceGetClockInfo != NULL &&
        NVML_CALL(DeviceGetClockInfo, (nvmlDevice_t, nvmlClockType_t, unsigned int *), dev,
                  NVML_CLOCK_SM, &mhz) == NVML_SUCCESS) {
        out->has_sm_clock = true;
        out->sm_clock_mhz = mhz;
    }
    if (get_uint(nvml.DeviceGetPowerUsage, dev, &mw)) {
        out->has_power = true;
        out->power_w = mw / 1000.0;
    }
    if (nvml.DeviceGetMemoryInfo != NULL &&
        NVML_CALL(DeviceGetMemoryInfo, (nvmlDevice_t, nvmlMemory_t *), dev, &mem) == NVML_SUCCESS) {
        out->has_memory = true;
        out->memory_used_bytes = mem.used;
    }
    return 0;
}

/* The profile part of a MIG device's name, "NVIDIA H100 80GB HBM3 MIG 1g.10gb" -> "1g.10gb". */
static void mig_profile_of(const char *name, char *out, size_t size)
{
    const char *p = strstr(name, "MIG ");

    str_printf(out, size, "%s", p != NULL ? p + 4 : "");
}

static void describe_mig_device(nvmlDevice_t mig, struct mig_device *d)
{
    nvmlMemory_t mem;

    memset(d, 0, sizeof(*d));
    if (nvml.DeviceGetUUID != NULL)
        NVML_CALL(DeviceGetUUID, (nvmlDevice_t, char *, unsigned int), mig, d->uuid,
                  (unsigned int)sizeof(d->uuid));
    if (nvml.DeviceGetName != NULL)
        NVML_CALL(DeviceGetName, (nvmlDevice_t, char *, unsigned int), mig, d->name,
                  (unsigned int)sizeof(d->name));
    mig_profile_of(d->name, d->profile, sizeof(d->profile));
    if (nvml.DeviceGetMemoryInfo != NULL &&
        NVML_CALL(DeviceGetMemoryInfo, (nvmlDevice_t, nvmlMemory_t *), mig, &mem) == NVML_SUCCESS)
        d->memory_bytes = mem.total;
}

int nvml_mig_devices(struct error *err, const char *pci_bus_id, int fallback_index,
                     struct mig_device *out, size_t max, size_t *n)
{
    nvmlDevice_t dev, mig;
    unsigned int slots = 0;

    *n = 0;
    if (!nvml.ready && nvml_open(err) < 0)
        return -1;
    if (device_handle(err, pci_bus_id, fallback_index, &dev) < 0)
        return -1;
    if (nvml.DeviceGetMaxMigDeviceCount == NULL || nvml.DeviceGetMigDeviceHandleByIndex == NULL ||
        NVML_CALL(DeviceGetMaxMigDeviceCount, (nvmlDevice_t, unsigned int *), dev, &slots) !=
            NVML_SUCCESS)
        return 0; /* no MIG on this GPU or driver: no MIG devices */
    /* Slots without an instance answer NOT_FOUND (NVML docs): skip them. */
    for (unsigned int i = 0; i < slots && *n < max; i++)
        if (NVML_CALL(DeviceGetMigDeviceHandleByIndex, (nvmlDevice_t, unsigned int, nvmlDevice_t *),
                      dev, i, &mig) == NVML_SUCCESS)
            describe_mig_device(mig, &out[(*n)++]);
    return 0;
}
