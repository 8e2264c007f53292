/*
 * NVML through dlopen: one X-macro list of the symbols we use (nvml_api.h), resolved
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

/* Typed from the list's prototypes: a call that disagrees with NVML's fails to compile. */
#define NVML_FIELD(req, ret, field, sym, old, params) nvml##field##_fn *field;
static struct {
    void *lib;
    bool ready;
    NVML_SYMBOLS(NVML_FIELD)
} nvml;
#undef NVML_FIELD

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
    return nvml.ErrorString(rc);
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
/* The one cast: ISO C leaves void * to function pointer undefined; POSIX defines it for dlsym. */
#define NVML_RESOLVE(req, ret, field, sym, old, params)                                            \
    nvml.field = (nvml##field##_fn *)resolve(sym, old);                                            \
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
    rc = nvml.Init();
    if (rc != NVML_SUCCESS) {
        int code = rc == NVML_ERROR_DRIVER_NOT_LOADED ? ERR_NO_GPU : ERR_NVML;

        error_set(err, code, "NVML cannot start: %s", nvml_errstr(rc));
        nvml_close();
        return -1;
    }
    nvml.ready = true;
    rc = nvml.DeviceGetCount(&count);
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
        nvml.Shutdown();
    if (nvml.lib != NULL)
        dlclose(nvml.lib);
    memset(&nvml, 0, sizeof(nvml));
}

static int device_handle(struct error *err, const char *pci_bus_id, int fallback_index,
                         nvmlDevice_t *dev)
{
    nvmlReturn_t rc;

    if (pci_bus_id != NULL && pci_bus_id[0] != '\0' && nvml.DeviceGetHandleByPciBusId != NULL) {
        rc = nvml.DeviceGetHandleByPciBusId(pci_bus_id, dev);
        if (rc == NVML_SUCCESS)
            return 0;
    }
    rc = nvml.DeviceGetHandleByIndex((unsigned int)fallback_index, dev);
    if (rc != NVML_SUCCESS)
        return nvml_fail(err, "nvmlDeviceGetHandleByIndex", rc);
    return 0;
}

static void query_identity(nvmlDevice_t dev, struct gpu_info *info)
{
    int cuda_version = 0;

    if (nvml.DeviceGetName != NULL)
        nvml.DeviceGetName(dev, info->name, (unsigned int)sizeof(info->name));
    if (nvml.DeviceGetUUID != NULL)
        nvml.DeviceGetUUID(dev, info->uuid, (unsigned int)sizeof(info->uuid));
    if (nvml.SystemGetDriverVersion != NULL)
        nvml.SystemGetDriverVersion(info->driver_version,
                                    (unsigned int)sizeof(info->driver_version));
    if (nvml.SystemGetCudaDriverVersion != NULL &&
        nvml.SystemGetCudaDriverVersion(&cuda_version) == NVML_SUCCESS &&
        info->cuda_driver_version == 0)
        info->cuda_driver_version = cuda_version;
}

static void query_memory(nvmlDevice_t dev, struct gpu_info *info)
{
    nvmlMemory_t mem;

    if (nvml.DeviceGetMemoryInfo != NULL && nvml.DeviceGetMemoryInfo(dev, &mem) == NVML_SUCCESS) {
        info->has_memory = true;
        info->memory_total_bytes = mem.total;
        info->memory_free_bytes = mem.free;
    }
}

/* The PCIe and power getters' shared prototype: a field whose type differs cannot be passed. */
typedef nvmlReturn_t nvml_uint_getter(nvmlDevice_t device, unsigned int *value);

/* One unsigned-valued NVML getter; false when missing or unsupported. */
static bool get_uint(nvml_uint_getter *fn, nvmlDevice_t dev, unsigned int *out)
{
    return fn != NULL && fn(dev, out) == NVML_SUCCESS;
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

    if (nvml.DeviceGetComputeMode != NULL && nvml.DeviceGetComputeMode(dev, &cm) == NVML_SUCCESS) {
        info->has_compute_mode = true;
        str_printf(info->compute_mode, sizeof(info->compute_mode), "%s", compute_mode_name(cm));
    }
    if (nvml.DeviceGetPersistenceMode != NULL &&
        nvml.DeviceGetPersistenceMode(dev, &pm) == NVML_SUCCESS) {
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
    if (nvml.DeviceGetGpuInstancePossiblePlacements(dev, p->id, pl, &count) != NVML_SUCCESS)
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

    if (nvml.DeviceGetMigMode != NULL && nvml.DeviceGetMigMode(dev, &cur, &pend) == NVML_SUCCESS) {
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
        if (nvml.DeviceGetGpuInstanceProfileInfoV(dev, i, &pi) != NVML_SUCCESS)
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
        nvml.DeviceGetUtilizationRates(dev, &util) == NVML_SUCCESS) {
        out->has_util = true;
        out->util_gpu_pct = util.gpu;
        out->util_mem_pct = util.memory;
    }
    if (nvml.DeviceGetClockInfo != NULL &&
        nvml.DeviceGetClockInfo(dev, NVML_CLOCK_SM, &mhz) == NVML_SUCCESS) {
        out->has_sm_clock = true;
        out->sm_clock_mhz = mhz;
    }
    if (get_uint(nvml.DeviceGetPowerUsage, dev, &mw)) {
        out->has_power = true;
        out->power_w = mw / 1000.0;
    }
    if (nvml.DeviceGetMemoryInfo != NULL && nvml.DeviceGetMemoryInfo(dev, &mem) == NVML_SUCCESS) {
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
        nvml.DeviceGetUUID(mig, d->uuid, (unsigned int)sizeof(d->uuid));
    if (nvml.DeviceGetName != NULL)
        nvml.DeviceGetName(mig, d->name, (unsigned int)sizeof(d->name));
    mig_profile_of(d->name, d->profile, sizeof(d->profile));
    if (nvml.DeviceGetMemoryInfo != NULL && nvml.DeviceGetMemoryInfo(mig, &mem) == NVML_SUCCESS)
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
        nvml.DeviceGetMaxMigDeviceCount(dev, &slots) != NVML_SUCCESS)
        return 0; /* no MIG on this GPU or driver: no MIG devices */
    /* Slots without an instance answer NOT_FOUND (NVML docs): skip them. */
    for (unsigned int i = 0; i < slots && *n < max; i++)
        if (nvml.DeviceGetMigDeviceHandleByIndex(dev, i, &mig) == NVML_SUCCESS)
            describe_mig_device(mig, &out[(*n)++]);
    return 0;
}
