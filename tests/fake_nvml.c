/*
 * A stand-in libnvidia-ml.so.1 for tests/test_nvml.c: answers as an H100 80GB HBM3 on driver
 * 580.159.04 did, with failures switched on by FAKE_NVML_* variables read in nvmlInit_v2.
 *
 *   FAKE_NVML_INIT_RC   nvmlInit_v2 returns this nvmlReturn_t (e.g. 9, DRIVER_NOT_LOADED)
 *   FAKE_NVML_DEVICES   device count, 0 to FAKE_MAX_DEVICES (default 1)
 *   FAKE_NVML_NO_MIG    set: MIG mode and GPU-instance queries answer NOT_SUPPORTED
 *   FAKE_NVML_NO_PCIE   set: the four PCIe link getters answer NOT_SUPPORTED
 *   FAKE_NVML_NO_UTIL   set: utilization answers NOT_SUPPORTED (as on a MIG-enabled GPU)
 *   FAKE_NVML_NO_CLOCK  set: clock queries answer NOT_SUPPORTED
 *   FAKE_NVML_NO_POWER  set: power answers NOT_SUPPORTED
 *   FAKE_NVML_UTIL      comma-separated GPU utilization %s (at most FAKE_MAX_UTIL), answered
 *                       in turn by successive calls and cycling; default (also when malformed)
 *                       100. Memory utilization is always 35
 *   FAKE_NVML_TRACE     file to append "init" and "shutdown" to, one line per call
 *   FAKE_NVML_MIG       comma-separated profile names ("1g.10gb,3g.40gb"): MIG mode is enabled
 *                       and device 0 has one MIG device of each, in MIG slots 0, 2, 4, ...
 *                       (odd slots are empty and answer NOT_FOUND, as unused slots do)
 *
 * Like NVML, every device query answers UNINITIALIZED outside Init/Shutdown, checks its handle
 * and buffer sizes, and the placements query takes a profile ID, not a profile index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/nvml_api.h"

#define FAKE_MAX_DEVICES 8
#define FAKE_MAX_MIG 7
#define FAKE_MAX_UTIL 16
#define MIB 1048576ULL

struct nvmlDevice_st {
    unsigned int index;
};

struct fake_profile {
    unsigned int index; /* NVML_GPU_INSTANCE_PROFILE_* constant */
    unsigned int id, slices, instances, sms, ces, dec, enc, jpeg, ofa;
    unsigned long long memory_mib;
    const char *name;
    /* Placements start at 0, step, 2 * step, ...: n_placements of size memory slices each. */
    unsigned int n_placements, step, size;
};

/* nvidia-smi mig -lgip / -lgipp on the H100 80GB HBM3 of the device machine, MIG disabled. */
static const struct fake_profile profiles[] = {
    {0, 19, 1, 7, 16, 1, 1, 0, 1, 0, 9984, "MIG 1g.10gb", 7, 1, 1},
    {1, 14, 2, 3, 32, 2, 2, 0, 2, 0, 20096, "MIG 2g.20gb", 3, 2, 2},
    {2, 9, 3, 2, 60, 3, 3, 0, 3, 0, 40448, "MIG 3g.40gb", 2, 4, 4},
    {3, 5, 4, 1, 64, 4, 4, 0, 4, 0, 40448, "MIG 4g.40gb", 1, 4, 4},
    {4, 0, 7, 1, 132, 8, 7, 0, 7, 1, 81152, "MIG 7g.80gb", 1, 8, 8},
    {7, 20, 1, 1, 16, 1, 1, 0, 1, 1, 9984, "MIG 1g.10gb+me", 7, 1, 1},
    {9, 15, 1, 4, 26, 1, 1, 0, 1, 0, 20096, "MIG 1g.20gb", 4, 2, 2},
};

static struct {
    int init_count; /* NVML reference-counts Init/Shutdown */
    unsigned int n_devices;
    int no_mig, no_pcie, no_util, no_clock, no_power;
    unsigned int util[FAKE_MAX_UTIL], n_util, util_calls;
    char trace[512];
    struct nvmlDevice_st devices[FAKE_MAX_DEVICES];
    struct nvmlDevice_st mig[FAKE_MAX_MIG]; /* index: position in mig_profile */
    const struct fake_profile *mig_profile[FAKE_MAX_MIG];
    unsigned int n_mig;
} fake;

/* The exported API, declared here because the real nvml.h is not available to include. */
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t rc);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev);
nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *bus_id, nvmlDevice_t *dev);
nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length);
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version);
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned int length);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *uuid, unsigned int length);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t dev, nvmlMemory_t *mem);
nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t dev, unsigned int *gen);
nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t dev, unsigned int *gen);
nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t dev, unsigned int *width);
nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t dev, unsigned int *width);
nvmlReturn_t nvmlDeviceGetComputeMode(nvmlDevice_t dev, nvmlComputeMode_t *mode);
nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t dev, nvmlEnableState_t *mode);
nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t dev, unsigned int *current, unsigned int *pending);
nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(nvmlDevice_t dev, unsigned int profile,
                                                  nvmlGpuInstanceProfileInfo_v2_t *info);
nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements_v2(nvmlDevice_t dev,
                                                           unsigned int profile_id,
                                                           nvmlGpuInstancePlacement_t *placements,
                                                           unsigned int *count);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *util);
nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t dev, unsigned int *count);
nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t dev, unsigned int index,
                                                 nvmlDevice_t *mig);
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t dev, nvmlClockType_t type, unsigned int *clock);
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int *power);

static void trace(const char *event)
{
    FILE *f;

    if (fake.trace[0] == '\0')
        return;
    f = fopen(fake.trace, "a");
    if (f == NULL)
        return;
    fprintf(f, "%s\n", event);
    fclose(f);
}

static long env_long(const char *name, long dflt)
{
    const char *s = getenv(name);
    char *end;
    long v;

    if (s == NULL || s[0] == '\0')
        return dflt;
    v = strtol(s, &end, 10);
    return *end == '\0' ? v : dflt;
}

static int env_set(const char *name)
{
    const char *s = getenv(name);

    return s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
}

static const struct fake_profile *profile_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (strlen(profiles[i].name) == len + 4 && strncmp(profiles[i].name + 4, name, len) == 0)
            return &profiles[i];
    return NULL;
}

/* FAKE_NVML_MIG, "1g.10gb,3g.40gb": unknown names are skipped. */
static void read_mig_devices(void)
{
    const char *p = getenv("FAKE_NVML_MIG");

    fake.n_mig = 0;
    while (p != NULL && *p != '\0' && fake.n_mig < FAKE_MAX_MIG) {
        size_t k = strcspn(p, ",");
        const struct fake_profile *f = profile_by_name(p, k);

        if (f != NULL) {
            fake.mig[fake.n_mig].index = fake.n_mig;
            fake.mig_profile[fake.n_mig++] = f;
        }
        p += k + (p[k] == ',');
    }
}

/* FAKE_NVML_UTIL, "100,0,50": the whole list, or the default if it is malformed or too long. */
static void read_util_sequence(void)
{
    const char *s = getenv("FAKE_NVML_UTIL");
    unsigned int seq[FAKE_MAX_UTIL], n = 0;

    fake.util[0] = 100;
    fake.n_util = 1;
    fake.util_calls = 0;
    if (s == NULL || s[0] == '\0')
        return;
    for (;;) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);

        if (end == s || (*end != ',' && *end != '\0') || n == FAKE_MAX_UTIL)
            return;
        seq[n++] = (unsigned int)v;
        if (*end == '\0')
            break;
        s = end + 1;
    }
    memcpy(fake.util, seq, n * sizeof(seq[0]));
    fake.n_util = n;
}

/* UNINITIALIZED outside Init/Shutdown, INVALID_ARGUMENT for a handle we did not give out. */
static int is_mig(nvmlDevice_t dev)
{
    return dev >= &fake.mig[0] && dev < &fake.mig[fake.n_mig];
}

/* A GPU handle, or a MIG device handle where with_mig says the call takes one. */
static nvmlReturn_t check_handle(nvmlDevice_t dev, int with_mig)
{
    if (fake.init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (with_mig && is_mig(dev))
        return NVML_SUCCESS;
    if (dev == NULL || dev < &fake.devices[0] || dev >= &fake.devices[fake.n_devices])
        return NVML_ERROR_INVALID_ARGUMENT;
    return NVML_SUCCESS;
}

static nvmlReturn_t check_device(nvmlDevice_t dev)
{
    return check_handle(dev, 0);
}

/*
 * What a GPU query checks before it answers, in NVML's order: the handle, then its arguments
 * (args_ok: the output pointers are there and valid), then whether the fake was told the query
 * is not supported (unsupported). NVML_SUCCESS when the query may answer.
 */
static nvmlReturn_t check_query(nvmlDevice_t dev, int args_ok, int unsupported)
{
    nvmlReturn_t rc = check_device(dev);

    if (rc != NVML_SUCCESS)
        return rc;
    if (!args_ok)
        return NVML_ERROR_INVALID_ARGUMENT;
    return unsupported ? NVML_ERROR_NOT_SUPPORTED : NVML_SUCCESS;
}

/* NVML's string getters: INSUFFICIENT_SIZE rather than a truncated answer. */
static nvmlReturn_t copy_string(char *dst, unsigned int length, const char *src)
{
    size_t n = strlen(src);

    if (dst == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (length < n + 1)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(dst, src, n + 1);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void)
{
    const char *path = getenv("FAKE_NVML_TRACE");
    long rc = env_long("FAKE_NVML_INIT_RC", NVML_SUCCESS);
    long n = env_long("FAKE_NVML_DEVICES", 1);

    snprintf(fake.trace, sizeof(fake.trace), "%s", path != NULL ? path : "");
    trace("init");
    if (rc != NVML_SUCCESS)
        return (nvmlReturn_t)rc;
    fake.n_devices = n < 0 ? 0 : n > FAKE_MAX_DEVICES ? FAKE_MAX_DEVICES : (unsigned int)n;
    fake.no_mig = env_set("FAKE_NVML_NO_MIG");
    fake.no_pcie = env_set("FAKE_NVML_NO_PCIE");
    fake.no_util = env_set("FAKE_NVML_NO_UTIL");
    fake.no_clock = env_set("FAKE_NVML_NO_CLOCK");
    fake.no_power = env_set("FAKE_NVML_NO_POWER");
    read_util_sequence();
    read_mig_devices();
    for (unsigned int i = 0; i < FAKE_MAX_DEVICES; i++)
        fake.devices[i].index = i;
    fake.init_count++;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void)
{
    trace("shutdown");
    if (fake.init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    fake.init_count--;
    return NVML_SUCCESS;
}

const char *nvmlErrorString(nvmlReturn_t rc)
{
    switch (rc) {
    case NVML_SUCCESS:
        return "Success";
    case NVML_ERROR_UNINITIALIZED:
        return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
        return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
        return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
        return "Insufficient Permissions";
    case NVML_ERROR_NOT_FOUND:
        return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE:
        return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return "Driver Not Loaded";
    case NVML_ERROR_FUNCTION_NOT_FOUND:
        return "Function Not Found";
    case NVML_ERROR_GPU_IS_LOST:
        return "GPU is lost";
    case NVML_ERROR_UNKNOWN:
        break;
    }
    return "Unknown Error";
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (fake.init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (count == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = fake.n_devices;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *dev)
{
    if (fake.init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (dev == NULL || index >= fake.n_devices)
        return NVML_ERROR_INVALID_ARGUMENT;
    *dev = &fake.devices[index];
    return NVML_SUCCESS;
}

/* Device i sits on bus 0x19 + i; NVML takes the 4- and 8-digit domain forms alike. */
nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *bus_id, nvmlDevice_t *dev)
{
    if (fake.init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (bus_id == NULL || dev == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (unsigned int i = 0; i < fake.n_devices; i++) {
        char short_id[32], long_id[32];

        snprintf(short_id, sizeof(short_id), "0000:%02X:00.0", 0x19 + i);
        snprintf(long_id, sizeof(long_id), "00000000:%02X:00.0", 0x19 + i);
        if (strcmp(bus_id, short_id) == 0 || strcmp(bus_id, long_id) == 0) {
            *dev = &fake.devices[i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
    if (fake.init_count == 0)
        return NVML_ERROR_UNINITIALIZED;
    return copy_string(version, length, "580.159.04");
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *version)
{
    if (version == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    *version = 13000;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char *name, unsigned int length)
{
    nvmlReturn_t rc = check_handle(dev, 1);
    char s[96];

    if (rc != NVML_SUCCESS || !is_mig(dev))
        return rc != NVML_SUCCESS ? rc : copy_string(name, length, "NVIDIA H100 80GB HBM3");
    /* A MIG device's name is the GPU's and its profile's, as nvidia-smi -L prints it. */
    snprintf(s, sizeof(s), "NVIDIA H100 80GB HBM3 %s", fake.mig_profile[dev->index]->name);
    return copy_string(name, length, s);
}

/* Device i's UUID ends in i, so a test can tell which device was queried. */
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *uuid, unsigned int length)
{
    nvmlReturn_t rc = check_handle(dev, 1);
    char s[64];

    if (rc != NVML_SUCCESS)
        return rc;
    snprintf(s, sizeof(s), "%s-5b6c2a4e-7f1d-4c3b-9a8e-0d2f1e3c4b5%u", is_mig(dev) ? "MIG" : "GPU",
             dev->index);
    return copy_string(uuid, length, s);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t dev, nvmlMemory_t *mem)
{
    nvmlReturn_t rc = check_handle(dev, 1);

    if (rc != NVML_SUCCESS)
        return rc;
    if (mem == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    mem->total = is_mig(dev) ? fake.mig_profile[dev->index]->memory_mib * MIB : 81559 * MIB;
    mem->used = 479 * MIB;
    mem->free = mem->total - mem->used;
    return NVML_SUCCESS;
}

static nvmlReturn_t pcie_value(nvmlDevice_t dev, unsigned int *out, unsigned int value)
{
    nvmlReturn_t rc = check_query(dev, out != NULL, fake.no_pcie);

    if (rc != NVML_SUCCESS)
        return rc;
    *out = value;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t dev, unsigned int *gen)
{
    return pcie_value(dev, gen, 5);
}

nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t dev, unsigned int *gen)
{
    return pcie_value(dev, gen, 5);
}

nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t dev, unsigned int *width)
{
    return pcie_value(dev, width, 16);
}

nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t dev, unsigned int *width)
{
    return pcie_value(dev, width, 16);
}

nvmlReturn_t nvmlDeviceGetComputeMode(nvmlDevice_t dev, nvmlComputeMode_t *mode)
{
    nvmlReturn_t rc = check_query(dev, mode != NULL, 0);

    if (rc != NVML_SUCCESS)
        return rc;
    *mode = NVML_COMPUTEMODE_DEFAULT;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t dev, nvmlEnableState_t *mode)
{
    nvmlReturn_t rc = check_query(dev, mode != NULL, 0);

    if (rc != NVML_SUCCESS)
        return rc;
    *mode = NVML_FEATURE_ENABLED;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t dev, unsigned int *current, unsigned int *pending)
{
    nvmlReturn_t rc = check_query(dev, current != NULL && pending != NULL, fake.no_mig);

    if (rc != NVML_SUCCESS)
        return rc;
    *current = fake.n_mig > 0; /* NVML_DEVICE_MIG_ENABLE when FAKE_NVML_MIG lists devices */
    *pending = fake.n_mig > 0;
    return NVML_SUCCESS;
}

static const struct fake_profile *profile_by_index(unsigned int index)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (profiles[i].index == index)
            return &profiles[i];
    return NULL;
}

static const struct fake_profile *profile_by_id(unsigned int id)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (profiles[i].id == id)
            return &profiles[i];
    return NULL;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(nvmlDevice_t dev, unsigned int profile,
                                                  nvmlGpuInstanceProfileInfo_v2_t *info)
{
    int args_ok = info != NULL && info->version == nvmlGpuInstanceProfileInfo_v2;
    nvmlReturn_t rc = check_query(dev, args_ok, fake.no_mig);
    const struct fake_profile *p;

    if (rc != NVML_SUCCESS)
        return rc;
    p = profile_by_index(profile);
    if (p == NULL)
        return NVML_ERROR_NOT_SUPPORTED;
    info->id = p->id;
    info->isP2pSupported = 0;
    info->sliceCount = p->slices;
    info->instanceCount = p->instances;
    info->multiprocessorCount = p->sms;
    info->copyEngineCount = p->ces;
    info->decoderCount = p->dec;
    info->encoderCount = p->enc;
    info->jpegCount = p->jpeg;
    info->ofaCount = p->ofa;
    info->memorySizeMB = p->memory_mib;
    snprintf(info->name, sizeof(info->name), "%s", p->name);
    return NVML_SUCCESS;
}

/*
 * *count is in/out: the room in `placements` going in, the number of placements coming out.
 * NULL placements asks for the count only; too little room is INSUFFICIENT_SIZE.
 */
nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements_v2(nvmlDevice_t dev,
                                                           unsigned int profile_id,
                                                           nvmlGpuInstancePlacement_t *placements,
                                                           unsigned int *count)
{
    nvmlReturn_t rc = check_query(dev, count != NULL, fake.no_mig);
    const struct fake_profile *p;

    if (rc != NVML_SUCCESS)
        return rc;
    p = profile_by_id(profile_id);
    if (p == NULL)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (placements == NULL) {
        *count = p->n_placements;
        return NVML_SUCCESS;
    }
    if (*count < p->n_placements) {
        *count = p->n_placements;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    for (unsigned int i = 0; i < p->n_placements; i++) {
        placements[i].start = i * p->step;
        placements[i].size = p->size;
    }
    *count = p->n_placements;
    return NVML_SUCCESS;
}

/* Each successful call answers the next entry of FAKE_NVML_UTIL, so samples differ. */
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *util)
{
    nvmlReturn_t rc = check_query(dev, util != NULL, fake.no_util);

    if (rc != NVML_SUCCESS)
        return rc;
    util->gpu = fake.util[fake.util_calls % fake.n_util];
    util->memory = 35;
    fake.util_calls++;
    return NVML_SUCCESS;
}

/*
 * An H100 SXM at full boost: SM 1980 MHz, HBM3 2619 MHz. A real H100 reports the same
 * graphics and SM clocks; here they differ so a test can tell which domain was asked for.
 */
nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t dev, nvmlClockType_t type, unsigned int *clock)
{
    nvmlReturn_t rc = check_query(dev, clock != NULL, fake.no_clock);

    if (rc != NVML_SUCCESS)
        return rc;
    switch (type) {
    case NVML_CLOCK_GRAPHICS:
        *clock = 1755;
        return NVML_SUCCESS;
    case NVML_CLOCK_SM:
        *clock = 1980;
        return NVML_SUCCESS;
    case NVML_CLOCK_MEM:
        *clock = 2619;
        return NVML_SUCCESS;
    }
    return NVML_ERROR_INVALID_ARGUMENT;
}

/* Milliwatts, as NVML answers: 312.456 W, and device i draws i W more, so a test can tell
 * which device was sampled. */
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int *power)
{
    nvmlReturn_t rc = check_query(dev, power != NULL, fake.no_power);

    if (rc != NVML_SUCCESS)
        return rc;
    *power = 312456 + 1000 * dev->index;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t dev, unsigned int *count)
{
    nvmlReturn_t rc = check_query(dev, count != NULL, fake.no_mig);

    if (rc != NVML_SUCCESS)
        return rc;
    *count = 7;
    return NVML_SUCCESS;
}

/* Device 0's MIG devices sit in the even slots; every other slot is empty. */
nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t dev, unsigned int index,
                                                 nvmlDevice_t *mig)
{
    nvmlReturn_t rc = check_query(dev, mig != NULL && index < 7, 0);

    if (rc != NVML_SUCCESS)
        return rc;
    if (dev->index != 0 || index % 2 != 0 || index / 2 >= fake.n_mig)
        return NVML_ERROR_NOT_FOUND;
    *mig = &fake.mig[index / 2];
    return NVML_SUCCESS;
}
