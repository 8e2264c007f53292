/*
 * Unit tests for emit/k8s_plugin: every sharing mode (time-slicing, MPS, MIG single, MIG mixed
 * with time-sliced mig-1g.10gb) goes to a device-plugin config and back unchanged; each rule
 * of k8s-mig-facts.md section 1.3 is refused with a message that names it and its source, by
 * k8s_dp_check and by the reader; the ConfigMap and the Helm and GPU Operator values are loaded
 * back with libyaml and their key paths checked; the label script passes bash -n and shellcheck
 * and is run against a stand-in kubectl.
 */
#include "emit/k8s_plugin.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <yaml.h>

#include "check.h"
#include "core/error.h"

/* git's message style: not empty, lowercase first (after any "file:line:column: " prefix), no
 * full stop, and room to spare in struct error. */
static void check_style(const char *msg, const char *ctx)
{
    size_t len = strlen(msg);

    if (len == 0 || msg[len - 1] == '.' || isupper((unsigned char)msg[0]) ||
        len >= sizeof(((struct error *)0)->msg) - 1)
        fail_msg("%s: message '%s' not in git style or cut", ctx, msg);
}

/* ---- The modes ------------------------------------------------------------------------- */

static const struct k8s_dp_config modes[] = {
    {.name = "timeslice",
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .fail_requests_gt_one = -1,
     .resources = {{"nvidia.com/gpu", 4}},
     .n_resources = 1},
    {.name = "timeslice-renamed",
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .rename_by_default = true,
     .fail_requests_gt_one = 0,
     .resources = {{"gpu", 10}},
     .n_resources = 1},
    {.name = "mps",
     .sharing = K8S_DP_SHARE_MPS,
     .fail_requests_gt_one = -1,
     .resources = {{"nvidia.com/gpu", 8}},
     .n_resources = 1},
    {.name = "mps-allow-2",
     .sharing = K8S_DP_SHARE_MPS,
     .rename_by_default = true,
     .fail_requests_gt_one = 0,
     .resources = {{"gpu", 2}},
     .n_resources = 1},
    {.name = "mig-single", .mig_strategy = K8S_MIG_SINGLE, .fail_requests_gt_one = -1},
    {.name = "mig-single-timeslice",
     .mig_strategy = K8S_MIG_SINGLE,
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .fail_requests_gt_one = 1,
     .resources = {{"nvidia.com/gpu", 3}},
     .n_resources = 1},
    {.name = "mig-mixed", .mig_strategy = K8S_MIG_MIXED, .fail_requests_gt_one = -1},
    {.name = "mig-mixed-1g.10gb-x3",
     .mig_strategy = K8S_MIG_MIXED,
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .fail_requests_gt_one = -1,
     .resources = {{"nvidia.com/mig-1g.10gb", 3}, {"mig-3g.40gb", 2}, {"gpu", 4}},
     .n_resources = 3},
    {.name = "none", .fail_requests_gt_one = -1},
    {.name = "eight",
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .mig_strategy = K8S_MIG_MIXED,
     .fail_requests_gt_one = -1,
     .resources = {{"gpu", 4294967295u},
                   {"mig-1g.5gb", 2},
                   {"mig-1g.10gb", 3},
                   {"mig-2g.20gb", 4},
                   {"mig-3g.40gb", 5},
                   {"mig-4g.40gb", 6},
                   {"mig-7g.80gb", 7},
                   {"mig-1g.20gb", 8}},
     .n_resources = 8},
};

/* k8s_dp_yaml(c), read back, equals k8s_dp_normalize(c) with the name set. */
static void round_trip(const struct k8s_dp_config *c)
{
    struct k8s_dp_config want = *c, got;
    struct error err = {0};
    char *y;

    k8s_dp_normalize(&want);
    if (k8s_dp_check(&err, c) < 0)
        fail_msg("'%s' refused: %s", c->name, err.msg);
    y = k8s_dp_yaml(&err, c);
    if (y == NULL)
        fail_msg("'%s' not written: %s", c->name, err.msg);
    if (k8s_dp_parse(&err, y, strlen(y), "rt.yaml", &got) < 0)
        fail_msg("'%s' does not read back: %s\n%s", c->name, err.msg, y);
    assert_string_equal(got.name, "");
    memcpy(got.name, c->name, sizeof(got.name));
    if (!k8s_dp_equal(&got, &want))
        fail_msg("'%s' reads back otherwise:\n%s", c->name, y);
    // Normalized input writes the same file.
    {
        char *again = k8s_dp_yaml(&err, &want);

        assert_non_null(again);
        assert_string_equal(again, y);
        free(again);
    }
    free(y);
}

static void test_round_trip_modes(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(modes); i++)
        round_trip(&modes[i]);
}

/* The file for time-slicing, whole: the keys in the plugin's spelling, the comment that says
 * why failRequestsGreaterThanOne is true. */
static void test_yaml_timeslice_text(void **state)
{
    struct error err = {0};
    char *y;

    (void)state;
    y = k8s_dp_yaml(&err, &modes[0]);
    assert_non_null(y);
    assert_non_null(strstr(y, "README recommends"));
    assert_non_null(strstr(y, "\nversion: v1\nflags:\n  migStrategy: none\nsharing:\n"
                              "  timeSlicing:\n    renameByDefault: false\n"
                              "    failRequestsGreaterThanOne: true\n    resources:\n"
                              "    - name: nvidia.com/gpu\n      replicas: 4\n"));
    assert_null(strstr(y, "mpsRoot"));
    free(y);
    // MPS: the root is the Helm chart's, said in the head, not a flag of the file.
    y = k8s_dp_yaml(&err, &modes[2]);
    assert_non_null(y);
    assert_non_null(strstr(y, "  mps:\n    renameByDefault: false\n"
                              "    failRequestsGreaterThanOne: true\n"));
    assert_null(strstr(y, "mpsRoot:"));
    assert_non_null(strstr(y, "mps.root"));
    free(y);
    // No sharing: no sharing block at all.
    y = k8s_dp_yaml(&err, &modes[4]);
    assert_non_null(y);
    assert_non_null(strstr(y, "version: v1\nflags:\n  migStrategy: single\n"));
    assert_null(strstr(y, "sharing"));
    free(y);
}

/* ---- k8s_dp_check's refusals ----------------------------------------------------------- */

#define TS(...)                                                                                    \
    {                                                                                              \
        .name = "c", .sharing = K8S_DP_SHARE_TIMESLICING, .fail_requests_gt_one = -1, __VA_ARGS__  \
    }
#define MPS(...)                                                                                   \
    {                                                                                              \
        .name = "c", .sharing = K8S_DP_SHARE_MPS, .fail_requests_gt_one = -1, __VA_ARGS__          \
    }
#define ONE(n, r) .resources = {{n, r}}, .n_resources = 1

/* 60 characters: 71 with the prefix. */
#define LONG60 "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcde"

static void test_check_refusals(void **state)
{
    static const struct {
        const char *what;
        struct k8s_dp_config cfg;
        const char *msg;
    } cases[] = {
        {"replicas 1", TS(ONE("nvidia.com/gpu", 1)),
         "replicas 1 for nvidia.com/gpu: the device plugin requires replicas >= 2 "
         "(api/config/v1/replicas.go); to turn sharing off, leave sharing out"},
        {"replicas 0", TS(ONE("gpu", 0)), "replicas 0 for nvidia.com/gpu: the device plugin"},
        {"MPS replicas 1", MPS(ONE("gpu", 1)), "requires replicas >= 2 (api/config/v1/replicas"},
        {"MPS + mixed", MPS(.mig_strategy = K8S_MIG_MIXED, ONE("gpu", 4)),
         "'using --mig-strategy=mixed is not supported with MPS' "
         "(cmd/nvidia-device-plugin/main.go)"},
        {"MPS + single", MPS(.mig_strategy = K8S_MIG_SINGLE, ONE("gpu", 4)),
         "'sharing using MPS is not supported for MIG devices' (internal/plugin/mps.go)"},
        {"MPS on a MIG resource", MPS(ONE("mig-1g.10gb", 4)),
         "sharing nvidia.com/mig-1g.10gb by MPS: MPS shares only nvidia.com/gpu, full GPUs"},
        {"MPS on gpu.shared", MPS(ONE("nvidia.com/gpu.shared", 4)),
         "not supported on devices with MIG enabled (plugin README)"},
        {"uppercase name", TS(ONE("GPU", 4)),
         "resource name 'nvidia.com/GPU': the part after nvidia.com/ must be a DNS subdomain"},
        {"underscore", TS(ONE("my_gpu", 4)), "must be a DNS subdomain"},
        {"ends in a dot", TS(ONE("gpu.", 4)), "must be a DNS subdomain"},
        {"empty label", TS(ONE("a..b", 4)), "must be a DNS subdomain"},
        {"another domain", TS(ONE("amd.com/gpu", 4)), "(api/config/v1/resources.go)"},
        {"too long", TS(ONE(LONG60, 4)), "characters with its prefix: the device plugin allows 63"},
        {"no name", TS(ONE("", 4)),
         "no resource name specified: every resource needs a name (api/config/v1/replicas.go)"},
        {"duplicate", TS(.resources = {{"gpu", 2}, {"nvidia.com/gpu", 3}}, .n_resources = 2),
         "resource nvidia.com/gpu named twice"},
        {"no resources", TS(.n_resources = 0),
         "no resources specified: sharing needs at least one resource "
         "(api/config/v1/replicas.go)"},
        {"nine resources", TS(.n_resources = 9), "9 resources: gpushare models at most 8"},
        {"mig-* with none", TS(ONE("mig-1g.10gb", 4)),
         "time-slicing nvidia.com/mig-1g.10gb with migStrategy none: mig-* resources exist only "
         "with migStrategy mixed (plugin README)"},
        {"mig-* with single", TS(.mig_strategy = K8S_MIG_SINGLE, ONE("mig-1g.10gb", 4)),
         "with migStrategy single: mig-* resources exist only with migStrategy mixed"},
        {"other resource", TS(.mig_strategy = K8S_MIG_MIXED, ONE("tpu", 4)),
         "time-slicing nvidia.com/tpu: only nvidia.com/gpu and nvidia.com/mig-<g>g.<mem>gb can "
         "be time-sliced (plugin README)"},
        {"compute-instance profile", TS(.mig_strategy = K8S_MIG_MIXED, ONE("mig-1c.2g.10gb", 4)),
         "only nvidia.com/gpu and nvidia.com/mig-<g>g.<mem>gb"},
        {"mig- without gb", TS(.mig_strategy = K8S_MIG_MIXED, ONE("mig-1g.10", 4)),
         "only nvidia.com/gpu and nvidia.com/mig-<g>g.<mem>gb"},
        {"resources without sharing",
         {.name = "c", .fail_requests_gt_one = -1, ONE("gpu", 2)},
         "without sharing: they belong to sharing.timeSlicing or sharing.mps"},
        {"rename without sharing",
         {.name = "c", .fail_requests_gt_one = -1, .rename_by_default = 1},
         "(api/config/v1/sharing.go)"},
        {"failRequests without sharing",
         {.name = "c", .fail_requests_gt_one = 1},
         "(api/config/v1/sharing.go)"},
        {"sharing kind 7",
         {.name = "c", .sharing = 7, .fail_requests_gt_one = -1, ONE("gpu", 2)},
         "sharing kind 7: expected none, time-slicing or MPS, one per config (plugin README)"},
        {"strategy 3", TS(.mig_strategy = 3, ONE("gpu", 2)),
         "migStrategy 3: expected none, single or mixed (api/config/v1/flags.go)"},
        {"failRequests 2",
         {.name = "c",
          .sharing = K8S_DP_SHARE_TIMESLICING,
          .fail_requests_gt_one = 2,
          ONE("gpu", 2)},
         "failRequestsGreaterThanOne 2: expected -1, 0 or 1"},
        {"config name empty",
         {.name = "", .fail_requests_gt_one = -1},
         "config name of 0 characters: a Kubernetes label value has 1 to 63"},
        {"config name with a space",
         {.name = "a b", .fail_requests_gt_one = -1},
         "config name 'a b': a Kubernetes label value holds only"},
        {"config name with a slash",
         {.name = "a/b", .fail_requests_gt_one = -1},
         "holds only letters, digits, '.', '_' and '-'"},
        {"config name starting with -",
         {.name = "-a", .fail_requests_gt_one = -1},
         "begins and ends with a letter or digit"},
        {"config name ending with .",
         {.name = "a.", .fail_requests_gt_one = -1},
         "begins and ends with a letter or digit"},
    };
    struct error err;

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char ctx[128];
        char *y;

        snprintf(ctx, sizeof(ctx), "case %zu '%s'", i, cases[i].what);
        error_clear(&err);
        if (k8s_dp_check(&err, &cases[i].cfg) == 0)
            fail_msg("%s: accepted", ctx);
        if (err.code != ERR_USAGE)
            fail_msg("%s: code %d, want ERR_USAGE", ctx, err.code);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("%s: message '%s', want '%s' in it", ctx, err.msg, cases[i].msg);
        check_style(err.msg, ctx);
        // The writer refuses it the same way.
        error_clear(&err);
        y = k8s_dp_yaml(&err, &cases[i].cfg);
        if (y != NULL)
            fail_msg("%s: written\n%s", ctx, y);
        if (err.code != ERR_USAGE || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("%s: k8s_dp_yaml says '%s'", ctx, err.msg);
    }
}

/* At the limits, on the accepting side. */
static void test_check_accepts(void **state)
{
    static const struct {
        const char *what;
        struct k8s_dp_config cfg;
    } cases[] = {
        {"replicas 2", TS(ONE("gpu", 2))},
        {"MPS on gpu", MPS(ONE("nvidia.com/gpu", 2))},
        {"mig-7g.80gb mixed", TS(.mig_strategy = K8S_MIG_MIXED, ONE("mig-7g.80gb", 2))},
        {"gpu with mixed", TS(.mig_strategy = K8S_MIG_MIXED, ONE("gpu", 2))},
        {"gpu with single", TS(.mig_strategy = K8S_MIG_SINGLE, ONE("gpu", 2))},
        {"name of 63",
         {.name = "a23456789-123456789-123456789-123456789-123456789-123456789-12z",
          .fail_requests_gt_one = -1}},
        {"name with . _ -", {.name = "A.b_c-9", .fail_requests_gt_one = -1}},
        {"name 1e3", {.name = "1e3", .fail_requests_gt_one = -1}},
    };
    struct error err = {0};

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++)
        if (k8s_dp_check(&err, &cases[i].cfg) < 0)
            fail_msg("case %zu '%s': refused: %s", i, cases[i].what, err.msg);
}

/* The length rule counts the prefix: 63 characters in all pass it (and meet the time-slicing
 * rule next), 64 do not. */
static void test_check_name_length(void **state)
{
    struct k8s_dp_config c = TS(.mig_strategy = K8S_MIG_MIXED, .n_resources = 1);
    struct error err = {0};
    char name[64];

    (void)state;
    c.resources[0].replicas = 2;
    memset(name, 'a', sizeof(name));
    name[63 - strlen(K8S_DP_PREFIX)] = '\0';
    snprintf(c.resources[0].name, sizeof(c.resources[0].name), "%s", name);
    assert_int_equal(k8s_dp_check(&err, &c), -1);
    assert_non_null(strstr(err.msg, "can be time-sliced"));
    name[63 - strlen(K8S_DP_PREFIX)] = 'a';
    name[64 - strlen(K8S_DP_PREFIX)] = '\0';
    snprintf(c.resources[0].name, sizeof(c.resources[0].name), "%s", name);
    assert_int_equal(k8s_dp_check(&err, &c), -1);
    assert_non_null(strstr(err.msg, "of 64 characters with its prefix"));
    check_style(err.msg, "64");
}

static void test_normalize(void **state)
{
    struct k8s_dp_config c = TS(.resources = {{"gpu", 2}, {"nvidia.com/mig-1g.5gb", 3}},
                                .n_resources = 2),
                         n;

    (void)state;
    n = c;
    k8s_dp_normalize(&n);
    assert_string_equal(n.resources[0].name, "nvidia.com/gpu");
    assert_string_equal(n.resources[1].name, "nvidia.com/mig-1g.5gb");
    assert_int_equal(n.fail_requests_gt_one, 1);
    assert_false(k8s_dp_equal(&c, &n));
    c.fail_requests_gt_one = 0;
    n = c;
    k8s_dp_normalize(&n);
    assert_int_equal(n.fail_requests_gt_one, 0);
    // Without sharing, "not set" stays: there is no block to hold it.
    n = (struct k8s_dp_config){.name = "n", .fail_requests_gt_one = -1};
    k8s_dp_normalize(&n);
    assert_int_equal(n.fail_requests_gt_one, -1);
}

/* ---- The reader ------------------------------------------------------------------------ */

#define TSHEAD "version: v1\nsharing:\n  timeSlicing:\n    resources:\n"

static void test_parse_refusals(void **state)
{
    static const struct {
        const char *what, *yaml;
        unsigned line;
        const char *msg; /* a part of the message after "bad.yaml:N:C: " */
    } cases[] = {
        {"not YAML", "version: [v1\n", 2, "did not find expected"},
        {"a list", "- version: v1\n", 1, "expected a map with version, flags and sharing"},
        {"empty", "", 1, "expected a map"},
        {"two documents", "version: v1\n---\nversion: v1\n", 3, "a second document: expected one"},
        {"bad second document", "version: v1\n---\n[\n", 4, "did not find expected"},
        {"version missing", "flags:\n  migStrategy: none\n", 1,
         "version: missing; gpushare requires version: v1"},
        {"version v2", "version: v2\n", 1,
         "version: unknown version, expected v1 (api/config/v1/config.go)"},
        {"version a number", "version: 1\n", 1, "unknown version"},
        {"version a list", "version: [v1]\n", 1, "unknown version"},
        {"unknown top-level key", "version: v1\nfoo: 1\n", 2,
         "unexpected field 'foo' (gpushare reads version, flags and sharing)"},
        {"resources at top level", "version: v1\nresources: {}\n", 2, "unexpected field"},
        {"key twice", "version: v1\nversion: v1\n", 2, "config: field 'version' given twice"},
        {"flags a list", "version: v1\nflags: []\n", 2, "flags: expected a map"},
        {"mpsRoot", "version: v1\nflags:\n  mpsRoot: /run/nvidia/mps\n", 3,
         "flags: field 'mpsRoot' is not handled by gpushare"},
        {"failOnInitError", "version: v1\nflags: {failOnInitError: true}\n", 2,
         "field 'failOnInitError' is not handled"},
        {"unknown strategy", "version: v1\nflags:\n  migStrategy: all\n", 3,
         "flags.migStrategy: unknown MIG strategy, expected none, single or mixed "
         "(api/config/v1/flags.go)"},
        {"strategy a map", "version: v1\nflags:\n  migStrategy: {a: 1}\n", 3,
         "unknown MIG strategy"},
        {"sharing a list", "version: v1\nsharing: []\n", 2, "sharing: expected a map"},
        {"sharing unknown kind", "version: v1\nsharing:\n  dra: {}\n", 3,
         "sharing: unexpected field 'dra' (timeSlicing or mps)"},
        {"both kinds",
         "version: v1\nsharing:\n  timeSlicing:\n    resources: [{name: gpu, replicas: 2}]\n"
         "  mps:\n    resources: [{name: gpu, replicas: 2}]\n",
         5, "timeSlicing and mps in one config: they are mutually exclusive (plugin README)"},
        {"unknown key in timeSlicing", TSHEAD "    - {name: gpu, replicas: 2}\n    bogus: 1\n", 6,
         "sharing.timeSlicing: unexpected field 'bogus'"},
        {"devices in a resource", TSHEAD "    - name: gpu\n      replicas: 2\n      devices: all\n",
         7, "resources[]: unexpected field 'devices'"},
        {"rename in a resource", TSHEAD "    - {name: gpu, replicas: 2, rename: g}\n", 5,
         "unexpected field 'rename'"},
        {"replicas quoted", TSHEAD "    - name: gpu\n      replicas: \"4\"\n", 6,
         "resources[].replicas: expected an integer"},
        {"replicas a float", TSHEAD "    - {name: gpu, replicas: 4.5}\n", 5, "expected an integer"},
        {"replicas negative", TSHEAD "    - {name: gpu, replicas: -2}\n", 5, "expected an integer"},
        {"replicas a list", TSHEAD "    - {name: gpu, replicas: [4]}\n", 5, "expected an integer"},
        {"replicas huge", TSHEAD "    - {name: gpu, replicas: 99999999999}\n", 5,
         "resources[].replicas: 99999999999 is out of range"},
        {"replicas 1", TSHEAD "    - name: gpu\n      replicas: 1\n", 5,
         "replicas 1 for nvidia.com/gpu: the device plugin requires replicas >= 2 "
         "(api/config/v1/replicas.go)"},
        {"replicas 0, second",
         TSHEAD "    - {name: gpu, replicas: 2}\n    - {name: mig-1g.10gb, "
                "replicas: 0}\n",
         6, "replicas 0 for nvidia.com/mig-1g.10gb"},
        {"no replicas", TSHEAD "    - name: gpu\n", 5,
         "no replicas specified (api/config/v1/replicas.go)"},
        {"no name", TSHEAD "    - replicas: 2\n", 5,
         "no resource name specified (api/config/v1/replicas.go)"},
        {"name a number", TSHEAD "    - {name: 5, replicas: 2}\n", 5,
         "resources[].name: expected a string"},
        {"name with a NUL", TSHEAD "    - {name: \"gpu\\x00x\", replicas: 2}\n", 5,
         "resources[].name: expected a string"},
        {"name a list", TSHEAD "    - {name: [gpu], replicas: 2}\n", 5, "expected a string"},
        {"name too long",
         TSHEAD "    - {name: abcdefghij-abcdefghij-abcdefghij-abcdefghij-"
                "abcdefghij-abcdefghi, replicas: 2}\n",
         5, "of 64 characters: the device plugin allows 63 (api/config/v1/resources.go)"},
        {"name too long with prefix",
         TSHEAD "    - {name: " /* 55, 66 with the prefix */
                "abcdefghij-abcdefghij-abcdefghij-abcdefghij-"
                "abcdefghijk, replicas: 2}\n",
         5, "characters with its prefix: the device plugin allows 63"},
        {"name not DNS", TSHEAD "    - {name: Gpu, replicas: 2}\n", 5,
         "the part after nvidia.com/ must be a DNS subdomain"},
        {"renameByDefault yes", TSHEAD "    - {name: gpu, replicas: 2}\n    renameByDefault: yes\n",
         6, "renameByDefault: expected true or false"},
        {"renameByDefault quoted",
         TSHEAD "    - {name: gpu, replicas: 2}\n"
                "    renameByDefault: \"true\"\n",
         6, "renameByDefault: expected true or false"},
        {"failRequests 1",
         TSHEAD "    - {name: gpu, replicas: 2}\n"
                "    failRequestsGreaterThanOne: 1\n",
         6, "failRequestsGreaterThanOne: expected true or false"},
        {"resources a map", "version: v1\nsharing:\n  timeSlicing:\n    resources: {}\n", 4,
         "resources: expected a list"},
        {"resources empty", "version: v1\nsharing:\n  timeSlicing:\n    resources: []\n", 4,
         "no resources specified: sharing needs at least one resource"},
        {"resources null", "version: v1\nsharing:\n  timeSlicing:\n    resources:\n", 4,
         "no resources specified"},
        {"resources missing", "version: v1\nsharing:\n  mps:\n    renameByDefault: true\n", 4,
         "no resources specified"},
        {"timeSlicing null", "version: v1\nsharing:\n  timeSlicing:\n", 3,
         "sharing.timeSlicing: expected a map"},
        {"duplicate names",
         TSHEAD "    - {name: gpu, replicas: 2}\n"
                "    - {name: nvidia.com/gpu, replicas: 3}\n",
         6, "resource nvidia.com/gpu named twice"},
        {"nine resources",
         "version: v1\nflags: {migStrategy: mixed}\nsharing:\n  timeSlicing:\n    resources:\n"
         "    - {name: mig-1g.5gb, replicas: 2}\n    - {name: mig-1g.6gb, replicas: 2}\n"
         "    - {name: mig-1g.10gb, replicas: 2}\n    - {name: mig-1g.12gb, replicas: 2}\n"
         "    - {name: mig-1g.20gb, replicas: 2}\n    - {name: mig-1g.24gb, replicas: 2}\n"
         "    - {name: mig-1g.40gb, replicas: 2}\n    - {name: mig-1g.80gb, replicas: 2}\n"
         "    - {name: gpu, replicas: 2}\n",
         14, "more than 8 resources"},
        {"mig-* without mixed", TSHEAD "    - {name: mig-1g.10gb, replicas: 2}\n", 5,
         "time-slicing nvidia.com/mig-1g.10gb with migStrategy none: mig-* resources exist only "
         "with migStrategy mixed"},
        {"mig-* with single",
         "version: v1\nflags: {migStrategy: single}\nsharing:\n  timeSlicing:\n    resources:\n"
         "    - {name: mig-1g.10gb, replicas: 2}\n",
         6, "with migStrategy single: mig-* resources exist only with migStrategy mixed"},
        {"MPS + mixed",
         "version: v1\nflags: {migStrategy: mixed}\nsharing:\n  mps:\n    resources:\n"
         "    - {name: gpu, replicas: 2}\n",
         4, "'using --mig-strategy=mixed is not supported with MPS'"},
        {"MPS + single",
         "version: v1\nflags: {migStrategy: single}\nsharing:\n  mps:\n    resources:\n"
         "    - {name: gpu, replicas: 2}\n",
         4, "(internal/plugin/mps.go); use migStrategy none"},
        {"MPS on a MIG resource",
         "version: v1\nsharing:\n  mps:\n    resources:\n    - {name: mig-1g.10gb, replicas: 2}\n",
         5, "sharing nvidia.com/mig-1g.10gb by MPS: MPS shares only nvidia.com/gpu"},
        {"time-slicing other", TSHEAD "    - {name: gpu.shared, replicas: 2}\n", 5,
         "time-slicing nvidia.com/gpu.shared: only nvidia.com/gpu and"},
    };
    struct k8s_dp_config out;
    struct error err;

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char ctx[128], prefix[64];

        snprintf(ctx, sizeof(ctx), "case %zu '%s'", i, cases[i].what);
        snprintf(prefix, sizeof(prefix), "bad.yaml:%u:", cases[i].line);
        error_clear(&err);
        memset(&out, 0x5a, sizeof(out));
        if (k8s_dp_parse(&err, cases[i].yaml, strlen(cases[i].yaml), "bad.yaml", &out) == 0)
            fail_msg("%s: accepted", ctx);
        if (err.code != ERR_INVALID)
            fail_msg("%s: code %d, want ERR_INVALID", ctx, err.code);
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
            fail_msg("%s: '%s', want it to begin '%s'", ctx, err.msg, prefix);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("%s: '%s', want '%s' in it", ctx, err.msg, cases[i].msg);
        // After "bad.yaml:LINE:COLUMN: ".
        check_style(strstr(err.msg + strlen(prefix), ": ") + 2, ctx);
        assert_int_equal(out.n_resources, 0);
        assert_int_equal(out.sharing, K8S_DP_SHARE_NONE);
    }
}

static void test_parse_accepts(void **state)
{
    static const struct {
        const char *what, *yaml;
        struct k8s_dp_config want;
    } cases[] = {
        // The plugin README's example.
        {"README time-slicing",
         "version: v1\nsharing:\n  timeSlicing:\n    renameByDefault: true\n    resources:\n"
         "    - name: nvidia.com/gpu\n      replicas: 10\n",
         {.sharing = K8S_DP_SHARE_TIMESLICING,
          .rename_by_default = true,
          .fail_requests_gt_one = -1,
          ONE("nvidia.com/gpu", 10)}},
        {"flow style, prefix added",
         "{version: v1, flags: {migStrategy: mixed}, sharing: {timeSlicing: {resources: [{name: "
         "mig-1g.10gb, replicas: 3}], failRequestsGreaterThanOne: false}}}",
         {.sharing = K8S_DP_SHARE_TIMESLICING,
          .mig_strategy = K8S_MIG_MIXED,
          .fail_requests_gt_one = 0,
          ONE("nvidia.com/mig-1g.10gb", 3)}},
        {"MPS, quoted strings",
         "version: \"v1\"\nsharing:\n  mps:\n    resources:\n    - name: 'gpu'\n"
         "      replicas: 2\n",
         {.sharing = K8S_DP_SHARE_MPS, .fail_requests_gt_one = -1, ONE("nvidia.com/gpu", 2)}},
        {"only a version", "version: v1\n", {.fail_requests_gt_one = -1}},
        {"empty sharing", "version: v1\nflags: {}\nsharing: {}\n", {.fail_requests_gt_one = -1}},
        {"single, no sharing",
         "version: v1\nflags:\n  migStrategy: single\n",
         {.mig_strategy = K8S_MIG_SINGLE, .fail_requests_gt_one = -1}},
    };
    struct k8s_dp_config out;
    struct error err = {0};

    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        if (k8s_dp_parse(&err, cases[i].yaml, strlen(cases[i].yaml), "ok.yaml", &out) < 0)
            fail_msg("case %zu '%s': refused: %s", i, cases[i].what, err.msg);
        if (!k8s_dp_equal(&out, &cases[i].want))
            fail_msg("case %zu '%s': read otherwise (sharing %d strategy %d fail %d n %zu '%s')", i,
                     cases[i].what, out.sharing, out.mig_strategy, out.fail_requests_gt_one,
                     out.n_resources, out.resources[0].name);
    }
}

/* ---- A second reader for the wrappers: libyaml's document API, key paths --------------- */

struct loaded {
    yaml_document_t doc;
};

static void load(struct loaded *l, const char *y)
{
    yaml_parser_t p;

    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)y, strlen(y));
    if (!yaml_parser_load(&p, &l->doc))
        fail_msg("not YAML (%s, line %zu):\n%s", p.problem, p.problem_mark.line + 1, y);
    yaml_parser_delete(&p);
    assert_non_null(yaml_document_get_root_node(&l->doc));
}

/* The node at a path of keys (NULL-terminated), or NULL. */
static yaml_node_t *at(struct loaded *l, ...)
{
    yaml_node_t *n = yaml_document_get_root_node(&l->doc);
    const char *k;
    va_list ap;

    va_start(ap, l);
    while (n != NULL && (k = va_arg(ap, const char *)) != NULL) {
        yaml_node_t *next = NULL;

        if (n->type != YAML_MAPPING_NODE) {
            n = NULL;
            break;
        }
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *key = yaml_document_get_node(&l->doc, p->key);

            if (key->type == YAML_SCALAR_NODE && strcmp((char *)key->data.scalar.value, k) == 0)
                next = yaml_document_get_node(&l->doc, p->value);
        }
        n = next;
    }
    va_end(ap);
    return n;
}

static const char *scalar_text(const yaml_node_t *n, const char *path)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE)
        fail_msg("%s: no scalar there", path);
    return (const char *)n->data.scalar.value;
}

static size_t map_size(const yaml_node_t *n)
{
    assert_non_null(n);
    assert_int_equal(n->type, YAML_MAPPING_NODE);
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/* A config held as a literal block string: reads back as the config, normalized. */
static void check_embedded(const yaml_node_t *n, const struct k8s_dp_config *c, const char *path)
{
    struct k8s_dp_config got, want = *c;
    struct error err = {0};
    const char *v = scalar_text(n, path);

    if (n->data.scalar.style != YAML_LITERAL_SCALAR_STYLE)
        fail_msg("%s: style %d, want a literal block", path, n->data.scalar.style);
    if (k8s_dp_parse(&err, v, strlen(v), path, &got) < 0)
        fail_msg("%s: %s", path, err.msg);
    memcpy(got.name, c->name, sizeof(got.name));
    k8s_dp_normalize(&want);
    if (!k8s_dp_equal(&got, &want))
        fail_msg("%s: reads back otherwise:\n%s", path, v);
}

/* time-slicing, MPS, MIG mixed with mig-1g.10gb shared, and a name YAML 1.1 would take for a
 * number. */
static const struct k8s_dp_config cm_configs[] = {
    {.name = "timeslice",
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .fail_requests_gt_one = -1,
     ONE("gpu", 4)},
    {.name = "mps", .sharing = K8S_DP_SHARE_MPS, .fail_requests_gt_one = -1, ONE("gpu", 8)},
    {.name = "mig-mixed",
     .mig_strategy = K8S_MIG_MIXED,
     .sharing = K8S_DP_SHARE_TIMESLICING,
     .fail_requests_gt_one = -1,
     ONE("mig-1g.10gb", 3)},
    {.name = "1e3", .fail_requests_gt_one = -1},
};

static void test_configmap(void **state)
{
    struct error err = {0};
    struct loaded l;
    char *y;

    (void)state;
    y = k8s_dp_configmap(&err, "gpushare-device-plugin", "gpu-operator", cm_configs,
                         COUNT(cm_configs));
    if (y == NULL)
        fail_msg("%s", err.msg);
    load(&l, y);
    assert_string_equal(scalar_text(at(&l, "apiVersion", NULL), "apiVersion"), "v1");
    assert_string_equal(scalar_text(at(&l, "kind", NULL), "kind"), "ConfigMap");
    assert_string_equal(scalar_text(at(&l, "metadata", "name", NULL), "metadata.name"),
                        "gpushare-device-plugin");
    assert_string_equal(scalar_text(at(&l, "metadata", "namespace", NULL), "metadata.namespace"),
                        "gpu-operator");
    assert_int_equal(map_size(at(&l, "data", NULL)), COUNT(cm_configs));
    for (size_t i = 0; i < COUNT(cm_configs); i++)
        check_embedded(at(&l, "data", cm_configs[i].name, NULL), &cm_configs[i],
                       cm_configs[i].name);
    // "1e3" is a float to YAML 1.1: the key must be quoted to stay a string.
    assert_non_null(strstr(y, "\n  \"1e3\": |\n"));
    yaml_document_delete(&l.doc);
    free(y);
}

static void test_configmap_refusals(void **state)
{
    struct k8s_dp_config two[2] = {cm_configs[0], cm_configs[0]};
    struct k8s_dp_config bad = TS(ONE("gpu", 1));
    struct error err = {0};

    (void)state;
    assert_null(k8s_dp_configmap(&err, "Bad_Name", "default", cm_configs, 1));
    assert_int_equal(err.code, ERR_USAGE);
    assert_non_null(
        strstr(err.msg, "the ConfigMap's name 'Bad_Name': Kubernetes wants a DNS subdomain"));
    check_style(err.msg, "ConfigMap name");
    assert_null(k8s_dp_configmap(&err, "ok", "a.b", cm_configs, 1));
    assert_non_null(strstr(err.msg, "namespace 'a.b': Kubernetes wants a DNS label"));
    assert_null(k8s_dp_configmap(&err, "ok", NULL, cm_configs, 1));
    assert_null(k8s_dp_configmap(&err, "ok", "default", cm_configs, 0));
    assert_non_null(strstr(err.msg, "no device-plugin config"));
    assert_null(k8s_dp_configmap(&err, "ok", "default", two, 2));
    assert_non_null(strstr(err.msg, "config 'timeslice' named twice"));
    assert_null(k8s_dp_configmap(&err, "ok", "default", &bad, 1));
    assert_non_null(strstr(err.msg, "replicas 1 for nvidia.com/gpu"));
    check_style(err.msg, "bad config");
}

static void test_helm_values(void **state)
{
    struct error err = {0};
    struct loaded l;
    char *y;

    (void)state;
    y = k8s_dp_helm_values(&err, cm_configs, COUNT(cm_configs), "timeslice");
    if (y == NULL)
        fail_msg("%s", err.msg);
    load(&l, y);
    assert_int_equal(map_size(at(&l, "config", "map", NULL)), COUNT(cm_configs));
    for (size_t i = 0; i < COUNT(cm_configs); i++)
        check_embedded(at(&l, "config", "map", cm_configs[i].name, NULL), &cm_configs[i],
                       cm_configs[i].name);
    assert_string_equal(scalar_text(at(&l, "config", "default", NULL), "config.default"),
                        "timeslice");
    // An MPS config is among them: the root the plugin and its daemon share.
    assert_string_equal(scalar_text(at(&l, "mps", "root", NULL), "mps.root"), K8S_DP_MPS_ROOT);
    // No legacy value that would override the files.
    assert_null(at(&l, "migStrategy", NULL));
    // GPU Feature Discovery on: the MPS daemon's DaemonSet and the examples select its labels.
    assert_string_equal(scalar_text(at(&l, "gfd", "enabled", NULL), "gfd.enabled"), "true");
    assert_int_equal(map_size(yaml_document_get_root_node(&l.doc)), 3);
    yaml_document_delete(&l.doc);
    free(y);

    // One config, no default: that one; no MPS, no mps.root.
    y = k8s_dp_helm_values(&err, &cm_configs[2], 1, NULL);
    assert_non_null(y);
    load(&l, y);
    assert_string_equal(scalar_text(at(&l, "config", "default", NULL), "config.default"),
                        "mig-mixed");
    assert_null(at(&l, "mps", NULL));
    yaml_document_delete(&l.doc);
    free(y);
}

static void test_helm_values_default(void **state)
{
    struct k8s_dp_config two[2] = {cm_configs[0], cm_configs[2]};
    struct error err = {0};
    struct loaded l;
    char *y;

    (void)state;
    // Several configs and no default: the chart would fail, so it is refused.
    assert_null(k8s_dp_helm_values(&err, two, 2, NULL));
    assert_int_equal(err.code, ERR_USAGE);
    assert_non_null(strstr(err.msg, "2 configs and no default"));
    check_style(err.msg, "no default");
    assert_null(k8s_dp_helm_values(&err, two, 2, "other"));
    assert_non_null(strstr(err.msg, "default config 'other' is not one of the configs"));
    // A config named "default" is the chart's own fallback.
    snprintf(two[1].name, sizeof(two[1].name), "default");
    y = k8s_dp_helm_values(&err, two, 2, NULL);
    assert_non_null(y);
    load(&l, y);
    assert_string_equal(scalar_text(at(&l, "config", "default", NULL), "config.default"),
                        "default");
    yaml_document_delete(&l.doc);
    free(y);
}

static void test_operator_values(void **state)
{
    struct error err = {0};
    struct loaded l;
    char *y;

    (void)state;
    y = k8s_operator_values(&err, "gpushare-device-plugin", "timeslice", "gpushare-mig",
                            K8S_MIG_MIXED);
    if (y == NULL)
        fail_msg("%s", err.msg);
    load(&l, y);
    assert_string_equal(
        scalar_text(at(&l, "devicePlugin", "config", "name", NULL), "devicePlugin.config.name"),
        "gpushare-device-plugin");
    assert_string_equal(scalar_text(at(&l, "devicePlugin", "config", "default", NULL),
                                    "devicePlugin.config.default"),
                        "timeslice");
    assert_string_equal(
        scalar_text(at(&l, "migManager", "config", "name", NULL), "migManager.config.name"),
        "gpushare-mig");
    assert_string_equal(scalar_text(at(&l, "mig", "strategy", NULL), "mig.strategy"), "mixed");
    yaml_document_delete(&l.doc);
    free(y);

    // No mig-parted ConfigMap, no default: neither key.
    y = k8s_operator_values(&err, "dp", NULL, NULL, K8S_MIG_SINGLE);
    assert_non_null(y);
    load(&l, y);
    assert_null(at(&l, "migManager", NULL));
    assert_null(at(&l, "devicePlugin", "config", "default", NULL));
    assert_int_equal(map_size(at(&l, "devicePlugin", "config", NULL)), 1);
    assert_string_equal(scalar_text(at(&l, "mig", "strategy", NULL), "mig.strategy"), "single");
    yaml_document_delete(&l.doc);
    free(y);

    assert_null(k8s_operator_values(&err, "Dp", NULL, NULL, K8S_MIG_NONE));
    assert_non_null(strstr(err.msg, "the ConfigMap's name 'Dp'"));
    assert_null(k8s_operator_values(&err, "dp", "-x", NULL, K8S_MIG_NONE));
    assert_non_null(strstr(err.msg, "default config '-x'"));
    assert_null(k8s_operator_values(&err, "dp", NULL, "mig_cm", K8S_MIG_NONE));
    assert_non_null(strstr(err.msg, "the mig-parted ConfigMap's name 'mig_cm'"));
    assert_null(k8s_operator_values(&err, "dp", NULL, NULL, (enum k8s_mig_strategy)9));
    assert_non_null(strstr(err.msg, "mig.strategy 9"));
    check_style(err.msg, "strategy");
}

static void test_check_strategy(void **state)
{
    struct error err = {0};

    (void)state;
    assert_int_equal(k8s_dp_check_strategy(&err, &cm_configs[0], 2, K8S_MIG_NONE), 0);
    assert_int_equal(k8s_dp_check_strategy(&err, cm_configs, COUNT(cm_configs), K8S_MIG_NONE), -1);
    assert_int_equal(err.code, ERR_USAGE);
    assert_non_null(strstr(err.msg, "config 'mig-mixed' has migStrategy mixed but the deployment "
                                    "sets none"));
    check_style(err.msg, "strategy");
}

/* ---- The label script ------------------------------------------------------------------ */

static bool have_shellcheck(void)
{
    return system("command -v shellcheck >/dev/null 2>&1") == 0;
}

/* Writes text to dir/name with mode; the path in out. */
static void put_file(const char *dir, const char *name, const char *text, mode_t mode, char *out,
                     size_t size)
{
    FILE *f;

    snprintf(out, size, "%s/%s", dir, name);
    f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(out, mode), 0);
}

/* bash -n, shellcheck, then a run against a kubectl that records its arguments: with no node
 * (usage, exit 2, kubectl not called) and with two. */
static void check_script(const char *s, const char *want_labels)
{
    char dir[] = "/tmp/gpushare-test-k8s-XXXXXX", script[256], kubectl[256], log[300];
    char cmd[1024], got[1024] = "", want[1024];
    FILE *f;
    size_t n;

    assert_non_null(mkdtemp(dir));
    put_file(dir, "label.sh", s, 0755, script, sizeof(script));
    put_file(dir, "kubectl", "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/log\"\n", 0755, kubectl,
             sizeof(kubectl));
    snprintf(log, sizeof(log), "%s/log", dir);
    snprintf(cmd, sizeof(cmd), "bash -n '%s'", script);
    assert_int_equal(system(cmd), 0);
    if (have_shellcheck()) {
        snprintf(cmd, sizeof(cmd), "shellcheck -s bash '%s'", script);
        if (system(cmd) != 0)
            fail_msg("shellcheck refuses\n%s", s);
    } else {
        print_message("shellcheck not installed: skipped\n");
    }
    snprintf(cmd, sizeof(cmd), "PATH='%s':\"$PATH\" '%s' 2>'%s/err'", dir, script, dir);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    assert_int_equal(access(log, F_OK), -1);
    snprintf(cmd, sizeof(cmd), "grep -q '^usage: .* NODE\\.\\.\\.$' '%s/err'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "PATH='%s':\"$PATH\" '%s' node-a 'node b'", dir, script);
    assert_int_equal(system(cmd), 0);
    f = fopen(log, "r");
    assert_non_null(f);
    n = fread(got, 1, sizeof(got) - 1, f);
    got[n] = '\0';
    fclose(f);
    snprintf(want, sizeof(want),
             "label node node-a %s --overwrite\nlabel node node b %s --overwrite\n", want_labels,
             want_labels);
    assert_string_equal(got, want);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_label_script(void **state)
{
    struct error err = {0};
    char *s;

    (void)state;
    s = k8s_label_script(&err, "timeslice", NULL);
    assert_non_null(s);
    assert_non_null(strstr(s, "\nset -euo pipefail\n"));
    assert_non_null(strstr(s, "kubectl label node \"$NODE\" nvidia.com/device-plugin.config="
                              "timeslice --overwrite\n"));
    assert_null(strstr(s, "mig.config="));
    check_script(s, "nvidia.com/device-plugin.config=timeslice");
    free(s);

    s = k8s_label_script(&err, "mig-mixed", "all-1g.10gb");
    assert_non_null(s);
    check_script(s, "nvidia.com/device-plugin.config=mig-mixed nvidia.com/mig.config=all-1g.10gb");
    free(s);

    assert_null(k8s_label_script(&err, "a;rm -rf /", NULL));
    assert_int_equal(err.code, ERR_USAGE);
    assert_non_null(strstr(err.msg, "config name 'a;rm -rf /': a Kubernetes label value"));
    assert_null(k8s_label_script(&err, "ok", "$(id)"));
    assert_non_null(strstr(err.msg, "mig-parted config name '$(id)'"));
    check_style(err.msg, "mig name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_modes),  cmocka_unit_test(test_yaml_timeslice_text),
        cmocka_unit_test(test_check_refusals),    cmocka_unit_test(test_check_accepts),
        cmocka_unit_test(test_check_name_length), cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_parse_refusals),    cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_configmap),         cmocka_unit_test(test_configmap_refusals),
        cmocka_unit_test(test_helm_values),       cmocka_unit_test(test_helm_values_default),
        cmocka_unit_test(test_operator_values),   cmocka_unit_test(test_check_strategy),
        cmocka_unit_test(test_label_script),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
