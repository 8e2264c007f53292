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

#include "core/error.h"
#include "gpu/info.h"
#include "gpu/nvml_api.h"

#define MIB (UINT64_C(1) << 20)
#define MISSING_LIB "/nonexistent/libnvidia-ml.so.1"

static const char *const fake_vars[] = {
    "FAKE_NVML_INIT_RC",
    "FAKE_NVML_DEVICES",
    "FAKE_NVML_NO_MIG",
    "FAKE_NVML_NO_PCIE",
};

static char trace_path[64]; /* the fake appends "init"/"shutdown" here (FAKE_NVML_TRACE) */

/* $GPUSHARE_TEST_FAKE_NVML, else the default build's copy (tests run from the repo root). */
static const char *fake_path(void)
{
    const char *env = getenv("GPUSHARE_TEST_FAKE_NVML");

    return env != NULL && env[0] != '\0' ? env : "build/test/libfakenvml.so";
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
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
