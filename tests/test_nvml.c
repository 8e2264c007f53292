/*
 * Unit tests for gpu/nvml: loading, init and shutdown, and what nvml_query_device reads, run
 * against tests/fake_nvml.c (an H100 80GB HBM3 stand-in) loaded through $GPUSHARE_NVML_LIB.
 */
#include "gpu/nvml.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"
#include "core/error.h"
#include "gpu/info.h"
#include "gpu/nvml_api.h"

#define MIB (UINT64_C(1) << 20)
#define MISSING_LIB "/nonexistent/libnvidia-ml.so.1"

static const char *const fake_vars[] = {
    "FAKE_NVML_INIT_RC",  "FAKE_NVML_DEVICES", "FAKE_NVML_NO_MIG",
    "FAKE_NVML_NO_PCIE",  "FAKE_NVML_NO_UTIL", "FAKE_NVML_NO_CLOCK",
    "FAKE_NVML_NO_POWER", "FAKE_NVML_UTIL",    "FAKE_NVML_MIG",
};

static char trace_path[64]; /* the fake appends "init"/"shutdown" here (FAKE_NVML_TRACE) */

#define FAKE_NAME "libfakenvml.so"

/*
 * $GPUSHARE_TEST_FAKE_NVML, else the copy the Makefile builds next to this test, so a
 * private build directory (make BUILD=...) tests its own fake, never build/'s.
 */
static const char *fake_path(void)
{
    static char path[4096];
    const char *env = getenv("GPUSHARE_TEST_FAKE_NVML");
    ssize_t n;
    char *slash;

    if (env != NULL && env[0] != '\0')
        return env;
    if (path[0] != '\0')
        return path;
    // Room is left for the file name; a link that fills it may be truncated.
    n = readlink("/proc/self/exe", path, sizeof(path) - sizeof(FAKE_NAME));
    if (n > 0 && (size_t)n < sizeof(path) - sizeof(FAKE_NAME)) {
        path[n] = '\0';
        slash = strrchr(path, '/');
        if (slash != NULL) {
            memcpy(slash + 1, FAKE_NAME, sizeof(FAKE_NAME));
            return path;
        }
    }
    snprintf(path, sizeof(path), "build/test/" FAKE_NAME); // tests run from the repo root
    return path;
}

static int group_setup(void **state)
{
    (void)state;
    if (access(fake_path(), R_OK) != 0) {
        fprintf(stderr, "test_nvml: cannot read '%s': set GPUSHARE_TEST_FAKE_NVML\n", fake_path());
        return -1;
    }
    return 0;
}

/* Every test starts with the fake as the library, all switches off and an empty trace. */
static int setup(void **state)
{
    int fd;

    (void)state;
    for (size_t i = 0; i < sizeof(fake_vars) / sizeof(fake_vars[0]); i++)
        unsetenv(fake_vars[i]);
    snprintf(trace_path, sizeof(trace_path), "/tmp/gpushare-nvml-trace-XXXXXX");
    fd = mkstemp(trace_path);
    if (fd < 0)
        return -1;
    close(fd);
    setenv("FAKE_NVML_TRACE", trace_path, 1);
    setenv("GPUSHARE_NVML_LIB", fake_path(), 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nvml_close();
    for (size_t i = 0; i < sizeof(fake_vars) / sizeof(fake_vars[0]); i++)
        unsetenv(fake_vars[i]);
    unsetenv("FAKE_NVML_TRACE");
    unsetenv("GPUSHARE_NVML_LIB");
    return unlink(trace_path);
}

static void clear_trace(void)
{
    FILE *f = fopen(trace_path, "w");

    assert_non_null(f);
    fclose(f);
}

/* The Init/Shutdown calls the fake saw since the last clear, one per line. */
static void assert_trace(const char *want)
{
    char got[256];
    size_t n;
    FILE *f = fopen(trace_path, "r");

    assert_non_null(f);
    n = fread(got, 1, sizeof(got) - 1, f);
    fclose(f);
    got[n] = '\0';
    assert_string_equal(got, want);
}

/* Whether the fake is mapped in this process, i.e. nvml.c holds it open. */
static bool fake_loaded(void)
{
    void *h = dlopen(fake_path(), RTLD_NOW | RTLD_NOLOAD);

    if (h == NULL)
        return false;
    dlclose(h);
    return true;
}

/* git's message rules: lowercase first letter, no full stop. */
static void assert_message_style(const struct error *err)
{
    size_t len = strlen(err->msg);

    assert_true(len > 0);
    assert_true(err->msg[0] >= 'a' && err->msg[0] <= 'z');
    assert_true(err->msg[len - 1] != '.');
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", haystack, needle);
}

static void test_missing_library(void **state)
{
    struct error err = {0};
    struct gpu_info info;

    (void)state;
    setenv("GPUSHARE_NVML_LIB", MISSING_LIB, 1);
    assert_int_equal(nvml_open(&err), -1);
    assert_int_equal(err.code, ERR_NO_GPU);
    assert_contains(err.msg, "'" MISSING_LIB "'");
    assert_message_style(&err);
    assert_false(fake_loaded());

    // The query opens NVML itself and fails the same way.
    memset(&err, 0, sizeof(err));
    memset(&info, 0, sizeof(info));
    assert_int_equal(nvml_query_device(&err, NULL, 0, &info), -1);
    assert_int_equal(err.code, ERR_NO_GPU);
    assert_contains(err.msg, MISSING_LIB);
    assert_trace("");
}

static const struct {
    const char *rc; /* FAKE_NVML_INIT_RC */
    int want_code;
    const char *want_msg;
} init_cases[] = {
    {"9", ERR_NO_GPU, "NVML cannot start: Driver Not Loaded"},
    {"4", ERR_NVML, "NVML cannot start: Insufficient Permissions"},
    {"15", ERR_NVML, "NVML cannot start: GPU is lost"},
    {"999", ERR_NVML, "NVML cannot start: Unknown Error"},
};

/* A failed Init is not paired with Shutdown, unloads the library, and a later open retries. */
static void test_init_failures(void **state)
{
    struct error err;

    (void)state;
    for (size_t i = 0; i < sizeof(init_cases) / sizeof(init_cases[0]); i++) {
        memset(&err, 0, sizeof(err));
        clear_trace();
        setenv("FAKE_NVML_INIT_RC", init_cases[i].rc, 1);
        if (nvml_open(&err) != -1)
            fail_msg("case %zu (rc %s): open succeeded", i, init_cases[i].rc);
        if (err.code != init_cases[i].want_code)
            fail_msg("case %zu (rc %s): code %d, want %d", i, init_cases[i].rc, err.code,
                     init_cases[i].want_code);
        if (strcmp(err.msg, init_cases[i].want_msg) != 0)
            fail_msg("case %zu (rc %s): message \"%s\", want \"%s\"", i, init_cases[i].rc, err.msg,
                     init_cases[i].want_msg);
        if (fake_loaded())
            fail_msg("case %zu (rc %s): library still loaded", i, init_cases[i].rc);
        assert_trace("init\n");
    }
    unsetenv("FAKE_NVML_INIT_RC");
    clear_trace();
    assert_int_equal(nvml_open(&err), 0);
    assert_trace("init\n");
}

static void test_no_devices(void **state)
{
    struct error err = {0};

    (void)state;
    setenv("FAKE_NVML_DEVICES", "0", 1);
    assert_int_equal(nvml_open(&err), -1);
    assert_int_equal(err.code, ERR_NO_GPU);
    assert_string_equal(err.msg, "the NVIDIA driver is loaded but reports no GPU");
    assert_trace("init\nshutdown\n");
    assert_false(fake_loaded());
}

static const struct want_profile {
    unsigned index, id;
    const char *name;
    unsigned slices, instances, sms, ces, dec, enc, jpeg, ofa;
    uint64_t memory_mib;
    const char *placements; /* start:size ..., as nvidia-smi mig -lgipp prints them */
} want_profiles[] = {
    {0, 19, "MIG 1g.10gb", 1, 7, 16, 1, 1, 0, 1, 0, 9984, "0:1 1:1 2:1 3:1 4:1 5:1 6:1"},
    {1, 14, "MIG 2g.20gb", 2, 3, 32, 2, 2, 0, 2, 0, 20096, "0:2 2:2 4:2"},
    {2, 9, "MIG 3g.40gb", 3, 2, 60, 3, 3, 0, 3, 0, 40448, "0:4 4:4"},
    {3, 5, "MIG 4g.40gb", 4, 1, 64, 4, 4, 0, 4, 0, 40448, "0:4"},
    {4, 0, "MIG 7g.80gb", 7, 1, 132, 8, 7, 0, 7, 1, 81152, "0:8"},
    {7, 20, "MIG 1g.10gb+me", 1, 1, 16, 1, 1, 0, 1, 1, 9984, "0:1 1:1 2:1 3:1 4:1 5:1 6:1"},
    {9, 15, "MIG 1g.20gb", 1, 4, 26, 1, 1, 0, 1, 0, 20096, "0:2 2:2 4:2 6:2"},
};

#define N_WANT_PROFILES (sizeof(want_profiles) / sizeof(want_profiles[0]))

static void check_profile(size_t i, const struct mig_gi_profile *got)
{
    const struct want_profile *w = &want_profiles[i];
    const unsigned got_fields[] = {got->index, got->id,           got->slices,   got->instances,
                                   got->sms,   got->copy_engines, got->decoders, got->encoders,
                                   got->jpegs, got->ofas};
    const unsigned want_fields[] = {w->index, w->id,  w->slices, w->instances, w->sms,
                                    w->ces,   w->dec, w->enc,    w->jpeg,      w->ofa};
    static const char *const field_names[] = {"index", "id",           "slices",   "instances",
                                              "sms",   "copy_engines", "decoders", "encoders",
                                              "jpegs", "ofas"};
    char placements[256] = "";
    size_t len = 0;

    for (size_t f = 0; f < sizeof(got_fields) / sizeof(got_fields[0]); f++)
        if (got_fields[f] != want_fields[f])
            fail_msg("profile %zu (%s): %s = %u, want %u", i, w->name, field_names[f],
                     got_fields[f], want_fields[f]);
    if (strcmp(got->name, w->name) != 0)
        fail_msg("profile %zu: name \"%s\", want \"%s\"", i, got->name, w->name);
    if (got->memory_mib != w->memory_mib)
        fail_msg("profile %zu (%s): memory %llu MiB, want %llu", i, w->name,
                 (unsigned long long)got->memory_mib, (unsigned long long)w->memory_mib);
    assert_true(got->n_placements <= INFO_MAX_PLACEMENTS);
    for (unsigned p = 0; p < got->n_placements && len < sizeof(placements); p++)
        len +=
            (size_t)snprintf(placements + len, sizeof(placements) - len, "%s%u:%u",
                             p > 0 ? " " : "", got->placements[p].start, got->placements[p].size);
    if (strcmp(placements, w->placements) != 0)
        fail_msg("profile %zu (%s): placements \"%s\", want \"%s\"", i, w->name, placements,
                 w->placements);
}

static void test_happy_path(void **state)
{
    struct error err = {0};
    struct gpu_info info;

    (void)state;
    memset(&info, 0, sizeof(info));
    assert_int_equal(nvml_open(&err), 0);
    assert_true(fake_loaded());
    assert_int_equal(nvml_query_device(&err, NULL, 0, &info), 0);

    assert_string_equal(info.name, "NVIDIA H100 80GB HBM3");
    assert_string_equal(info.uuid, "GPU-5b6c2a4e-7f1d-4c3b-9a8e-0d2f1e3c4b50");
    assert_string_equal(info.driver_version, "580.159.04");
    assert_int_equal(info.cuda_driver_version, 13000);
    assert_true(info.has_memory);
    assert_int_equal(info.memory_total_bytes, 81559 * MIB);
    assert_int_equal(info.memory_free_bytes, (81559 - 479) * MIB);

    assert_true(info.pcie.has_gen_current);
    assert_true(info.pcie.has_gen_max);
    assert_true(info.pcie.has_width_current);
    assert_true(info.pcie.has_width_max);
    assert_int_equal(info.pcie.gen_current, 5);
    assert_int_equal(info.pcie.gen_max, 5);
    assert_int_equal(info.pcie.width_current, 16);
    assert_int_equal(info.pcie.width_max, 16);

    assert_true(info.has_compute_mode);
    assert_string_equal(info.compute_mode, "Default");
    assert_true(info.has_persistence);
    assert_true(info.persistence_enabled);

    assert_true(info.mig.supported);
    assert_true(info.mig.has_mode);
    assert_false(info.mig.current_enabled);
    assert_false(info.mig.pending_enabled);
    assert_int_equal(info.mig.n_profiles, N_WANT_PROFILES);
    for (size_t i = 0; i < N_WANT_PROFILES; i++)
        check_profile(i, &info.mig.profiles[i]);

    // NVML-only: what CUDA and the MPS probe fill is left alone.
    assert_int_equal(info.sm_count, 0);
    assert_int_equal(info.pci_bus_id[0], '\0');
    assert_false(info.mps.answers);

    nvml_close();
    assert_false(fake_loaded());
    assert_trace("init\nshutdown\n");
}

/* The CUDA runtime fills cuda_driver_version first; NVML only fills a gap. */
static void test_cuda_version_kept(void **state)
{
    struct error err = {0};
    struct gpu_info info;

    (void)state;
    memset(&info, 0, sizeof(info));
    info.cuda_driver_version = 12080;
    assert_int_equal(nvml_query_device(&err, NULL, 0, &info), 0);
    assert_int_equal(info.cuda_driver_version, 12080);
    assert_string_equal(info.driver_version, "580.159.04");
}

static const struct {
    const char *var; /* switch set for the case, or NULL */
    bool mig, pcie;
} switch_cases[] = {
    {NULL, true, true},
    {"FAKE_NVML_NO_MIG", false, true},
    {"FAKE_NVML_NO_PCIE", true, false},
};

/* What NVML answers NOT_SUPPORTED for stays absent; the rest is still read. */
static void test_unsupported_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(switch_cases) / sizeof(switch_cases[0]); i++) {
        const char *var = switch_cases[i].var != NULL ? switch_cases[i].var : "(none)";
        struct error err = {0};
        struct gpu_info info;
        bool pcie_flags[4];

        memset(&info, 0, sizeof(info));
        if (switch_cases[i].var != NULL)
            setenv(switch_cases[i].var, "1", 1);
        if (nvml_query_device(&err, NULL, 0, &info) != 0)
            fail_msg("case %zu (%s): %s", i, var, err.msg);
        nvml_close();
        if (switch_cases[i].var != NULL)
            unsetenv(switch_cases[i].var);

        if (info.mig.supported != switch_cases[i].mig || info.mig.has_mode != switch_cases[i].mig)
            fail_msg("case %zu (%s): mig supported %d has_mode %d", i, var, info.mig.supported,
                     info.mig.has_mode);
        if (info.mig.n_profiles != (switch_cases[i].mig ? N_WANT_PROFILES : 0))
            fail_msg("case %zu (%s): %u profiles", i, var, info.mig.n_profiles);
        pcie_flags[0] = info.pcie.has_gen_current;
        pcie_flags[1] = info.pcie.has_gen_max;
        pcie_flags[2] = info.pcie.has_width_current;
        pcie_flags[3] = info.pcie.has_width_max;
        for (size_t f = 0; f < 4; f++)
            if (pcie_flags[f] != switch_cases[i].pcie)
                fail_msg("case %zu (%s): pcie flag %zu is %d", i, var, f, pcie_flags[f]);
        if (!switch_cases[i].pcie && (info.pcie.gen_current != 0 || info.pcie.width_max != 0))
            fail_msg("case %zu (%s): unsupported pcie fields written", i, var);
        if (strcmp(info.name, "NVIDIA H100 80GB HBM3") != 0 || !info.has_compute_mode ||
            !info.has_persistence || !info.has_memory)
            fail_msg("case %zu (%s): supported fields missing", i, var);
    }
}

static void test_open_idempotent(void **state)
{
    struct error err = {0};

    (void)state;
    assert_int_equal(nvml_open(&err), 0);
    assert_int_equal(nvml_open(&err), 0);
    assert_trace("init\n");
    assert_true(fake_loaded());
    nvml_close();
    nvml_close();
    assert_trace("init\nshutdown\n");
    assert_false(fake_loaded());
}

/* close resets the table: the next open loads and initialises again, reading the env anew. */
static void test_reopen(void **state)
{
    struct error err = {0};
    struct gpu_info info;

    (void)state;
    assert_int_equal(nvml_open(&err), 0);
    nvml_close();
    setenv("FAKE_NVML_DEVICES", "2", 1);
    assert_int_equal(nvml_open(&err), 0);
    memset(&info, 0, sizeof(info));
    assert_int_equal(nvml_query_device(&err, NULL, 1, &info), 0);
    assert_string_equal(info.uuid, "GPU-5b6c2a4e-7f1d-4c3b-9a8e-0d2f1e3c4b51");
    assert_int_equal(info.mig.n_profiles, N_WANT_PROFILES);
    nvml_close();
    assert_trace("init\nshutdown\ninit\nshutdown\n");
}

static const struct {
    const char *bus_id;
    int fallback;
    int rc;
    char uuid_last; /* which device answered: '0' or '1' */
} select_cases[] = {
    {"00000000:1A:00.0", 0, 0, '1'},
    {"0000:1A:00.0", 0, 0, '1'},
    {"00000000:19:00.0", 1, 0, '0'},
    {"00000000:FF:00.0", 1, 0, '1'}, // unknown bus id: the CUDA ordinal decides
    {"", 1, 0, '1'},
    {NULL, 0, 0, '0'},
    {NULL, 2, -1, 0},
    {"00000000:FF:00.0", 5, -1, 0},
    {NULL, -1, -1, 0},
};

#define BAD_INDEX_MSG "nvmlDeviceGetHandleByIndex failed: Invalid Argument (NVML 2)"

/* Two GPUs on buses 0x19 and 0x1A: by bus id first, else by index. */
static void test_device_selection(void **state)
{
    (void)state;
    setenv("FAKE_NVML_DEVICES", "2", 1);
    for (size_t i = 0; i < sizeof(select_cases) / sizeof(select_cases[0]); i++) {
        const char *bus = select_cases[i].bus_id != NULL ? select_cases[i].bus_id : "(null)";
        struct error err = {0};
        struct gpu_info info;
        int rc;

        memset(&info, 0, sizeof(info));
        rc = nvml_query_device(&err, select_cases[i].bus_id, select_cases[i].fallback, &info);
        if (rc != select_cases[i].rc)
            fail_msg("case %zu (%s, %d): rc %d, want %d: %s", i, bus, select_cases[i].fallback, rc,
                     select_cases[i].rc, err.msg);
        if (rc == 0) {
            size_t len = strlen(info.uuid);

            if (len == 0 || info.uuid[len - 1] != select_cases[i].uuid_last)
                fail_msg("case %zu (%s, %d): uuid \"%s\", want device %c", i, bus,
                         select_cases[i].fallback, info.uuid, select_cases[i].uuid_last);
        } else {
            if (err.code != ERR_NVML)
                fail_msg("case %zu (%s): code %d, want ERR_NVML", i, bus, err.code);
            if (strcmp(err.msg, BAD_INDEX_MSG) != 0)
                fail_msg("case %zu (%s): message \"%s\"", i, bus, err.msg);
        }
    }
    nvml_close();
    assert_trace("init\nshutdown\n");
}

typedef nvmlReturn_t (*fake_void_fn)(void);
typedef nvmlReturn_t (*fake_handle_fn)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*fake_profile_fn)(nvmlDevice_t, unsigned int,
                                        nvmlGpuInstanceProfileInfo_v2_t *);
typedef nvmlReturn_t (*fake_placements_fn)(nvmlDevice_t, unsigned int, nvmlGpuInstancePlacement_t *,
                                           unsigned int *);

/*
 * The fake keeps the NVML contracts nvml.c must honour, so a test above passing means
 * something: the v2 struct version is checked, placements take a profile ID and an in/out
 * count, and nothing answers before Init.
 */
static void test_fake_keeps_nvml_contract(void **state)
{
    void *h = dlopen(fake_path(), RTLD_NOW | RTLD_LOCAL);
    fake_void_fn init, shutdown;
    fake_handle_fn by_index;
    fake_profile_fn profile;
    fake_placements_fn placements;
    nvmlDevice_t dev = NULL;
    nvmlGpuInstanceProfileInfo_v2_t pi;
    nvmlGpuInstancePlacement_t pl[8];
    unsigned int count;

    (void)state;
    assert_non_null(h);
    init = (fake_void_fn)dlsym(h, "nvmlInit_v2");
    shutdown = (fake_void_fn)dlsym(h, "nvmlShutdown");
    by_index = (fake_handle_fn)dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    profile = (fake_profile_fn)dlsym(h, "nvmlDeviceGetGpuInstanceProfileInfoV");
    placements = (fake_placements_fn)dlsym(h, "nvmlDeviceGetGpuInstancePossiblePlacements_v2");
    assert_true(init && shutdown && by_index && profile && placements);

    assert_int_equal(by_index(0, &dev), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(init(), NVML_SUCCESS);
    assert_int_equal(by_index(0, &dev), NVML_SUCCESS);
    assert_int_equal(by_index(1, &dev), NVML_ERROR_INVALID_ARGUMENT);

    memset(&pi, 0, sizeof(pi));
    assert_int_equal(profile(dev, 0, &pi), NVML_ERROR_INVALID_ARGUMENT);
    pi.version = (unsigned int)sizeof(pi) | (1U << 24);
    assert_int_equal(profile(dev, 0, &pi), NVML_ERROR_INVALID_ARGUMENT);
    pi.version = nvmlGpuInstanceProfileInfo_v2;
    assert_int_equal(pi.version, 152U | (2U << 24));
    assert_int_equal(profile(dev, 5, &pi), NVML_ERROR_NOT_SUPPORTED);
    assert_int_equal(profile(dev, 0, &pi), NVML_SUCCESS);
    assert_int_equal(pi.id, 19);

    count = 6;
    assert_int_equal(placements(dev, 19, pl, &count), NVML_ERROR_INSUFFICIENT_SIZE);
    assert_int_equal(count, 7);
    count = 0;
    assert_int_equal(placements(dev, 19, NULL, &count), NVML_SUCCESS);
    assert_int_equal(count, 7);
    count = 8;
    assert_int_equal(placements(dev, 19, pl, &count), NVML_SUCCESS);
    assert_int_equal(count, 7);
    assert_int_equal(pl[6].start, 6);
    count = 8;
    assert_int_equal(placements(dev, 1, pl, &count), NVML_ERROR_INVALID_ARGUMENT);
    count = 8;
    assert_int_equal(placements(dev, 0, pl, &count), NVML_SUCCESS); // ID 0 is 7g.80gb
    assert_int_equal(count, 1);
    assert_int_equal(pl[0].size, 8);

    assert_int_equal(shutdown(), NVML_SUCCESS);
    assert_int_equal(shutdown(), NVML_ERROR_UNINITIALIZED);
    dlclose(h);
    assert_trace("init\nshutdown\nshutdown\n");
}

#define SAMPLE_POWER_W 312.456 /* the fake's device 0; device i draws i W more */
#define SAMPLE_SM_MHZ 1980     /* its SM clock; graphics is 1755 and memory 2619 */

/* Poisons a sample so a field nvml_sample forgets to write, or to clear, shows. */
static void poison_sample(struct gpu_sample *s)
{
    memset(s, 0xa5, sizeof(*s));
    s->has_util = s->has_sm_clock = s->has_power = s->has_memory = true; // valid bools
}

/* One reading of device 0 with everything supported; NVML opens on demand, as for the query. */
static void test_sample_happy_path(void **state)
{
    struct error err = {0};
    struct gpu_sample s;

    (void)state;
    poison_sample(&s);
    if (nvml_sample(&err, NULL, 0, &s) != 0)
        fail_msg("nvml_sample: %s", err.msg);
    assert_trace("init\n");
    assert_true(s.has_util);
    assert_true(s.has_sm_clock);
    assert_true(s.has_power);
    assert_true(s.has_memory);
    assert_int_equal(s.util_gpu_pct, 100);
    assert_int_equal(s.util_mem_pct, 35);
    assert_int_equal(s.sm_clock_mhz, SAMPLE_SM_MHZ);
    check_close(s.power_w, SAMPLE_POWER_W, 1e-9, "power_w", 0);
    assert_int_equal(s.memory_used_bytes, 479 * MIB);
    nvml_close();
    assert_trace("init\nshutdown\n");
}

static const struct {
    const char *util; /* FAKE_NVML_UTIL */
    unsigned want[5]; /* five successive readings */
} util_seq_cases[] = {
    {"10,90,50", {10, 90, 50, 10, 90}},
    {"0", {0, 0, 0, 0, 0}},
    {"100,0", {100, 0, 100, 0, 100}},
    {"7,x", {100, 100, 100, 100, 100}}, // malformed: the fake's default
    {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", {100, 100, 100, 100, 100}}, // too long
};

/* Each call reads the device anew: successive samples follow the fake's sequence. */
static void test_sample_sequence(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(util_seq_cases) / sizeof(util_seq_cases[0]); i++) {
        struct error err = {0};

        setenv("FAKE_NVML_UTIL", util_seq_cases[i].util, 1);
        for (size_t k = 0; k < 5; k++) {
            struct gpu_sample s;

            poison_sample(&s);
            if (nvml_sample(&err, NULL, 0, &s) != 0)
                fail_msg("case %zu (%s), reading %zu: %s", i, util_seq_cases[i].util, k, err.msg);
            if (!s.has_util || s.util_gpu_pct != util_seq_cases[i].want[k])
                fail_msg("case %zu (%s), reading %zu: util %u (has %d), want %u", i,
                         util_seq_cases[i].util, k, s.util_gpu_pct, s.has_util,
                         util_seq_cases[i].want[k]);
            if (s.util_mem_pct != 35)
                fail_msg("case %zu, reading %zu: memory util %u", i, k, s.util_mem_pct);
        }
        nvml_close(); // the next case's Init reads the sequence afresh
    }
}

static const struct {
    const char *vars[3]; /* switches set for the case */
    bool util, clock, power;
} sample_switch_cases[] = {
    {{NULL}, true, true, true},
    {{"FAKE_NVML_NO_UTIL"}, false, true, true},
    {{"FAKE_NVML_NO_CLOCK"}, true, false, true},
    {{"FAKE_NVML_NO_POWER"}, true, true, false},
    {{"FAKE_NVML_NO_UTIL", "FAKE_NVML_NO_CLOCK", "FAKE_NVML_NO_POWER"}, false, false, false},
};

/* A reading NVML answers NOT_SUPPORTED for is absent and zero, the sample still succeeds, and
 * the other fields are still read. */
static void test_sample_unsupported(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sample_switch_cases) / sizeof(sample_switch_cases[0]); i++) {
        struct error err = {0};
        struct gpu_sample s;
        int rc;

        for (size_t v = 0; v < 3 && sample_switch_cases[i].vars[v] != NULL; v++)
            setenv(sample_switch_cases[i].vars[v], "1", 1);
        poison_sample(&s);
        rc = nvml_sample(&err, NULL, 0, &s);
        nvml_close();
        for (size_t v = 0; v < 3 && sample_switch_cases[i].vars[v] != NULL; v++)
            unsetenv(sample_switch_cases[i].vars[v]);
        if (rc != 0)
            fail_msg("case %zu: %s", i, err.msg);
        if (s.has_util != sample_switch_cases[i].util ||
            s.has_sm_clock != sample_switch_cases[i].clock ||
            s.has_power != sample_switch_cases[i].power || !s.has_memory)
            fail_msg("case %zu: has util %d clock %d power %d memory %d", i, s.has_util,
                     s.has_sm_clock, s.has_power, s.has_memory);
        if (s.util_gpu_pct != (s.has_util ? 100U : 0U) || s.util_mem_pct != (s.has_util ? 35U : 0U))
            fail_msg("case %zu: util %u/%u", i, s.util_gpu_pct, s.util_mem_pct);
        if (s.sm_clock_mhz != (s.has_sm_clock ? SAMPLE_SM_MHZ : 0U))
            fail_msg("case %zu: sm clock %u", i, s.sm_clock_mhz);
        check_close(s.power_w, s.has_power ? SAMPLE_POWER_W : 0.0, 1e-9, "power_w", i);
        if (s.memory_used_bytes != 479 * MIB)
            fail_msg("case %zu: memory used %llu", i, (unsigned long long)s.memory_used_bytes);
    }
}

static const struct {
    const char *bus_id;
    int fallback;
    int rc;
    double power_w; /* tells the fake's devices apart */
} sample_select_cases[] = {
    {"00000000:1A:00.0", 0, 0, SAMPLE_POWER_W + 1.0},
    {"0000:19:00.0", 1, 0, SAMPLE_POWER_W},
    {"00000000:FF:00.0", 1, 0, SAMPLE_POWER_W + 1.0}, // unknown bus id: the CUDA ordinal
    {NULL, 0, 0, SAMPLE_POWER_W},
    {NULL, 2, -1, 0.0},
    {"00000000:FF:00.0", 5, -1, 0.0},
};

/* The device is found as nvml_query_device finds it; a device that is not there is an error. */
static void test_sample_device_selection(void **state)
{
    (void)state;
    setenv("FAKE_NVML_DEVICES", "2", 1);
    for (size_t i = 0; i < sizeof(sample_select_cases) / sizeof(sample_select_cases[0]); i++) {
        struct error err = {0};
        struct gpu_sample s;
        int rc;

        poison_sample(&s);
        rc = nvml_sample(&err, sample_select_cases[i].bus_id, sample_select_cases[i].fallback, &s);
        if (rc != sample_select_cases[i].rc)
            fail_msg("case %zu: rc %d, want %d: %s", i, rc, sample_select_cases[i].rc, err.msg);
        if (rc == 0) {
            check_close(s.power_w, sample_select_cases[i].power_w, 1e-9, "power_w", i);
            continue;
        }
        if (err.code != ERR_NVML || strcmp(err.msg, BAD_INDEX_MSG) != 0)
            fail_msg("case %zu: code %d, message \"%s\"", i, err.code, err.msg);
        if (s.has_util || s.has_sm_clock || s.has_power || s.has_memory)
            fail_msg("case %zu: a failed sample claims a field", i);
    }
    nvml_close();
    assert_trace("init\nshutdown\n");
}

/* Without a driver the sample fails as nvml_open does, and claims nothing. */
static void test_sample_no_driver(void **state)
{
    struct error err = {0};
    struct gpu_sample s;

    (void)state;
    setenv("GPUSHARE_NVML_LIB", MISSING_LIB, 1);
    poison_sample(&s);
    assert_int_equal(nvml_sample(&err, NULL, 0, &s), -1);
    assert_int_equal(err.code, ERR_NO_GPU);
    assert_contains(err.msg, MISSING_LIB);
    assert_message_style(&err);
    assert_false(s.has_util || s.has_sm_clock || s.has_power || s.has_memory);
    assert_trace("");
}

typedef nvmlReturn_t (*fake_util_fn)(nvmlDevice_t, nvmlUtilization_t *);
typedef nvmlReturn_t (*fake_clock_fn)(nvmlDevice_t, nvmlClockType_t, unsigned int *);
typedef nvmlReturn_t (*fake_power_fn)(nvmlDevice_t, unsigned int *);

/* The sampling calls keep NVML's contracts too: nothing before Init, NULL refused, the three
 * clock domains answer differently, and an unknown domain is an invalid argument. */
static void test_fake_sampling_contract(void **state)
{
    void *h = dlopen(fake_path(), RTLD_NOW | RTLD_LOCAL);
    fake_void_fn init, shutdown;
    fake_handle_fn by_index;
    fake_util_fn util;
    fake_clock_fn clock;
    fake_power_fn power;
    nvmlDevice_t dev = NULL;
    nvmlUtilization_t u;
    unsigned int v = 0;

    (void)state;
    assert_non_null(h);
    init = (fake_void_fn)dlsym(h, "nvmlInit_v2");
    shutdown = (fake_void_fn)dlsym(h, "nvmlShutdown");
    by_index = (fake_handle_fn)dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    util = (fake_util_fn)dlsym(h, "nvmlDeviceGetUtilizationRates");
    clock = (fake_clock_fn)dlsym(h, "nvmlDeviceGetClockInfo");
    power = (fake_power_fn)dlsym(h, "nvmlDeviceGetPowerUsage");
    assert_true(init && shutdown && by_index && util && clock && power);

    assert_int_equal(init(), NVML_SUCCESS);
    assert_int_equal(by_index(0, &dev), NVML_SUCCESS);
    assert_int_equal(util(dev, NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(util(NULL, &u), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(clock(dev, NVML_CLOCK_SM, NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(clock(dev, (nvmlClockType_t)7, &v), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(clock(dev, NVML_CLOCK_GRAPHICS, &v), NVML_SUCCESS);
    assert_int_equal(v, 1755);
    assert_int_equal(clock(dev, NVML_CLOCK_SM, &v), NVML_SUCCESS);
    assert_int_equal(v, SAMPLE_SM_MHZ);
    assert_int_equal(clock(dev, NVML_CLOCK_MEM, &v), NVML_SUCCESS);
    assert_int_equal(v, 2619);
    assert_int_equal(power(dev, NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(power(dev, &v), NVML_SUCCESS);
    assert_int_equal(v, 312456);
    assert_int_equal(shutdown(), NVML_SUCCESS);

    assert_int_equal(util(dev, &u), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(clock(dev, NVML_CLOCK_SM, &v), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(power(dev, &v), NVML_ERROR_UNINITIALIZED);
    dlclose(h);
}

/* MIG devices: the listed ones with their UUID, profile and memory; none when MIG is off. */
static void test_mig_devices(void **state)
{
    struct error err = {0};
    struct mig_device d[4];
    size_t n = 99;

    (void)state;
    if (nvml_mig_devices(&err, NULL, 0, d, 4, &n) != 0)
        fail_msg("nvml_mig_devices: %s", err.msg);
    assert_int_equal(n, 0);
    nvml_close();
    setenv("FAKE_NVML_MIG", "1g.10gb,3g.40gb,7g.80gb", 1);
    if (nvml_mig_devices(&err, NULL, 0, d, 2, &n) != 0)
        fail_msg("nvml_mig_devices: %s", err.msg);
    assert_int_equal(n, 2); /* max */
    if (nvml_mig_devices(&err, NULL, 0, d, 4, &n) != 0)
        fail_msg("nvml_mig_devices: %s", err.msg);
    assert_int_equal(n, 3);
    assert_string_equal(d[0].uuid, "MIG-5b6c2a4e-7f1d-4c3b-9a8e-0d2f1e3c4b50");
    assert_string_equal(d[0].profile, "1g.10gb");
    assert_string_equal(d[1].name, "NVIDIA H100 80GB HBM3 MIG 3g.40gb");
    assert_string_equal(d[1].profile, "3g.40gb");
    assert_int_equal(d[1].memory_bytes, 40448 * MIB);
    assert_string_equal(d[2].profile, "7g.80gb");
    nvml_close();
    setenv("FAKE_NVML_NO_MIG", "1", 1);
    if (nvml_mig_devices(&err, NULL, 0, d, 4, &n) != 0)
        fail_msg("nvml_mig_devices: %s", err.msg);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_library, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_happy_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cuda_version_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fake_keeps_nvml_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_happy_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_device_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_no_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fake_sampling_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mig_devices, setup, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
