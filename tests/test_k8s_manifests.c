/*
 * Unit tests for emit/k8s_manifests: every YAML file is read back with libyaml's document API
 * (one document each) and its key paths checked: kind and apiVersion, the resource each mode
 * requests (facts 1.3, 1.5), the GFD node labels it selects, the MPS client limits, the fleet
 * Job's Indexed completion, anti-affinity and node list, the mig-manager ConfigMap's key
 * holding a mig-parted config that parses back (facts 2.1-2.2); the Dockerfile; the README's
 * order and isolation notes per mode; and the refusals of bad names, counts and options.
 */
#include "emit/k8s_manifests.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yaml.h>

#include "check.h"
#include "core/error.h"
#include "emit/migparted.h"
#include "mig/geometry.h"
#include "mig_check.h"

/* ---- Reading YAML back ----------------------------------------------------------------- */

/* No event carries a tag: libyaml writes "! 'text'" for a quoted scalar not marked implicit,
 * and its document loader would hide that by reading "!" as the default tag. */
static void no_tags(const char *text)
{
    yaml_parser_t p;
    yaml_event_t ev;
    bool done = false;

    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    while (!done) {
        if (!yaml_parser_parse(&p, &ev))
            fail_msg("not YAML:\n%s", text);
        if ((ev.type == YAML_SCALAR_EVENT && ev.data.scalar.tag != NULL) ||
            (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.tag != NULL) ||
            (ev.type == YAML_SEQUENCE_START_EVENT && ev.data.sequence_start.tag != NULL))
            fail_msg("a tag at line %lu:\n%s", (unsigned long)ev.start_mark.line + 1, text);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
}

/* Loads text as exactly one YAML document; fails the test otherwise. */
static void load_one(const char *text, yaml_document_t *doc)
{
    yaml_parser_t p;
    yaml_document_t extra;

    assert_non_null(text);
    no_tags(text);
    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    if (!yaml_parser_load(&p, doc))
        fail_msg("not YAML (%s, line %lu):\n%s", p.problem != NULL ? p.problem : "?",
                 (unsigned long)p.problem_mark.line + 1, text);
    assert_non_null(yaml_document_get_root_node(doc));
    /* A second load returns an empty document at the end of the stream. */
    assert_true(yaml_parser_load(&p, &extra));
    if (yaml_document_get_root_node(&extra) != NULL)
        fail_msg("more than one document:\n%s", text);
    yaml_document_delete(&extra);
    yaml_parser_delete(&p);
}

/* The node at a path of map keys and sequence indexes ("0", "1"), NULL-terminated; NULL when
 * it is missing. */
static yaml_node_t *vat(yaml_document_t *doc, va_list ap)
{
    yaml_node_t *n = yaml_document_get_root_node(doc);
    const char *k;

    while (n != NULL && (k = va_arg(ap, const char *)) != NULL) {
        yaml_node_t *next = NULL;

        if (n->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
                 pr++) {
                yaml_node_t *key = yaml_document_get_node(doc, pr->key);

                if (key->type == YAML_SCALAR_NODE &&
                    strcmp((const char *)key->data.scalar.value, k) == 0)
                    next = yaml_document_get_node(doc, pr->value);
            }
        } else if (n->type == YAML_SEQUENCE_NODE) {
            long i = strtol(k, NULL, 10);

            if (i >= 0 && i < n->data.sequence.items.top - n->data.sequence.items.start)
                next = yaml_document_get_node(doc, n->data.sequence.items.start[i]);
        }
        n = next;
    }
    return n;
}

static yaml_node_t *at(yaml_document_t *doc, ...)
{
    yaml_node_t *n;
    va_list ap;

    va_start(ap, doc);
    n = vat(doc, ap);
    va_end(ap);
    return n;
}

/* The scalar at a path, or NULL. */
static const char *val(yaml_document_t *doc, ...)
{
    yaml_node_t *n;
    va_list ap;

    va_start(ap, doc);
    n = vat(doc, ap);
    va_end(ap);
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static void want_str(const char *got, const char *want, const char *what)
{
    if (got == NULL || strcmp(got, want) != 0)
        fail_msg("%s: got '%s', want '%s'", what, got != NULL ? got : "(missing)", want);
}

static size_t map_len(const yaml_node_t *n)
{
    assert_non_null(n);
    assert_int_equal(n->type, YAML_MAPPING_NODE);
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static size_t seq_len(const yaml_node_t *n)
{
    assert_non_null(n);
    assert_int_equal(n->type, YAML_SEQUENCE_NODE);
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* A string that a YAML 1.1 reader would take for a bool or number must be quoted. */
static void want_quoted(const yaml_node_t *n, const char *what)
{
    assert_non_null(n);
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        fail_msg("%s: not a quoted scalar", what);
}

static void want_msg(const struct error *err, const char *part, const char *ctx)
{
    if (err->code != ERR_USAGE || strstr(err->msg, part) == NULL)
        fail_msg("%s: error %d '%s', want ERR_USAGE with '%s'", ctx, err->code, err->msg, part);
    if (err->msg[strlen(err->msg) - 1] == '.')
        fail_msg("%s: message '%s' ends in a full stop", ctx, err->msg);
}

/* ---- Names ------------------------------------------------------------------------------ */

static void test_names(void **state)
{
    static const struct {
        const char *v;
        bool label, subdomain, label_value;
    } cases[] = {
        {"a", true, true, true},
        {"gpushare-fleet", true, true, true},
        {"node-1.example.com", false, true, true},
        {"0abc", true, true, true},
        {"", false, false, true},
        {"-a", false, false, false},
        {"a-", false, false, false},
        {"A", false, false, true},
        {"a_b", false, false, true},
        {"a..b", false, false, true},
        {"a.", false, false, false},
        {"NVIDIA-H100-80GB-HBM3", false, false, true},
        {"a b", false, false, false},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, true, true},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false, false},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct error err = {0};

        if ((k8s_check_dns_label(&err, "name", cases[i].v) == 0) != cases[i].label)
            fail_msg("case %zu '%s': dns label", i, cases[i].v);
        if (!cases[i].label)
            want_msg(&err, "name", "dns label");
        if ((k8s_check_dns_subdomain(&err, "name", cases[i].v) == 0) != cases[i].subdomain)
            fail_msg("case %zu '%s': dns subdomain", i, cases[i].v);
        if ((k8s_check_label_value(&err, "name", cases[i].v) == 0) != cases[i].label_value)
            fail_msg("case %zu '%s': label value", i, cases[i].v);
    }
    /* 254 characters of valid labels: too long for a subdomain. */
    {
        char long_sub[300];
        struct error err = {0};

        memset(long_sub, 'a', 254);
        for (size_t i = 50; i < 254; i += 50)
            long_sub[i] = '.';
        long_sub[254] = '\0';
        assert_int_equal(k8s_check_dns_subdomain(&err, "cm", long_sub), -1);
        want_msg(&err, "at most 253", "long subdomain");
        long_sub[253] = '\0';
        assert_int_equal(k8s_check_dns_subdomain(&err, "cm", long_sub), 0);
    }
}

static void test_share_names(void **state)
{
    struct error err = {0};
    enum k8s_share m;

    (void)state;
    for (unsigned i = 0; i < K8S_SHARE_COUNT; i++) {
        assert_int_equal(k8s_share_parse(&err, k8s_share_name((enum k8s_share)i), &m), 0);
        assert_int_equal(m, i);
    }
    assert_int_equal(k8s_share_parse(&err, "mig", &m), -1);
    want_msg(&err, "mode 'mig'", "parse");
    assert_string_equal(k8s_share_name((enum k8s_share)9), "?");
}

/* ---- Example Deployment ---------------------------------------------------------------- */

static const struct {
    enum k8s_share mode;
    bool renamed;
    const char *profile, *resource, *sel_key, *sel_value;
} example_cases[] = {
    {K8S_SHARE_TIMESLICE, false, NULL, "nvidia.com/gpu", "nvidia.com/gpu.sharing-strategy",
     "time-slicing"},
    {K8S_SHARE_TIMESLICE, true, NULL, "nvidia.com/gpu.shared", "nvidia.com/gpu.sharing-strategy",
     "time-slicing"},
    {K8S_SHARE_MPS, false, NULL, "nvidia.com/gpu", "nvidia.com/gpu.sharing-strategy", "mps"},
    {K8S_SHARE_MPS, true, NULL, "nvidia.com/gpu.shared", "nvidia.com/gpu.sharing-strategy", "mps"},
    {K8S_SHARE_MIG_SINGLE, false, NULL, "nvidia.com/gpu", "nvidia.com/mig.strategy", "single"},
    {K8S_SHARE_MIG_MIXED, false, "1g.10gb", "nvidia.com/mig-1g.10gb", "nvidia.com/mig.strategy",
     "mixed"},
    {K8S_SHARE_MIG_MIXED, false, "03g.40gb", "nvidia.com/mig-3g.40gb", "nvidia.com/mig.strategy",
     "mixed"},
    {K8S_SHARE_MIG_MIXED, false, "1c.2g.20gb", "nvidia.com/mig-1c.2g.20gb",
     "nvidia.com/mig.strategy", "mixed"},
};

static void test_example_modes(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(example_cases); i++) {
        struct k8s_example_opts o = {.mode = example_cases[i].mode,
                                     .renamed = example_cases[i].renamed,
                                     .mig_profile = example_cases[i].profile};
        struct error err = {0};
        char *y = k8s_example_deployment(&err, &o), want_name[64];
        yaml_document_t d;
        yaml_node_t *limits, *requests, *c;
        size_t gpu_keys = 0;

        if (y == NULL)
            fail_msg("case %zu: %s", i, err.msg);
        assert_true(y[0] == '#'); /* the comment header */
        load_one(y, &d);
        want_str(val(&d, "apiVersion", NULL), "apps/v1", "apiVersion");
        want_str(val(&d, "kind", NULL), "Deployment", "kind");
        snprintf(want_name, sizeof(want_name), "gpushare-example-%s",
                 k8s_share_name(example_cases[i].mode));
        want_str(val(&d, "metadata", "name", NULL), want_name, "name");
        want_str(val(&d, "metadata", "namespace", NULL), "default", "namespace");
        want_str(val(&d, "spec", "replicas", NULL), "1", "replicas");
        want_str(val(&d, "spec", "selector", "matchLabels", "app.kubernetes.io/name", NULL),
                 want_name, "selector");
        want_str(val(&d, "spec", "template", "metadata", "labels", "app.kubernetes.io/name", NULL),
                 want_name, "template label");
        assert_non_null(val(&d, "metadata", "annotations", "gpushare.io/isolation", NULL));
        assert_int_equal(val(&d, "metadata", "annotations", "gpushare.io/mps-limits", NULL) != NULL,
                         example_cases[i].mode == K8S_SHARE_MPS);
        /* nodeSelector: exactly the GFD label of the mode. */
        assert_int_equal(map_len(at(&d, "spec", "template", "spec", "nodeSelector", NULL)), 1);
        want_str(
            val(&d, "spec", "template", "spec", "nodeSelector", example_cases[i].sel_key, NULL),
            example_cases[i].sel_value, "nodeSelector");
        assert_int_equal(seq_len(at(&d, "spec", "template", "spec", "containers", NULL)), 1);
        c = at(&d, "spec", "template", "spec", "containers", "0", NULL);
        assert_non_null(c);
        want_str(val(&d, "spec", "template", "spec", "containers", "0", "image", NULL),
                 K8S_DEFAULT_EXAMPLE_IMAGE, "image");
        assert_non_null(val(&d, "spec", "template", "spec", "containers", "0", "args", "0", NULL));
        assert_non_null(
            strstr(val(&d, "spec", "template", "spec", "containers", "0", "args", "0", NULL),
                   "nvidia-smi -L"));
        want_str(val(&d, "spec", "template", "spec", "containers", "0", "securityContext",
                     "allowPrivilegeEscalation", NULL),
                 "false", "allowPrivilegeEscalation");
        assert_null(at(&d, "spec", "template", "spec", "containers", "0", "env", NULL));
        /* Exactly 1 of exactly one nvidia.com resource, in requests and limits alike. */
        limits = at(&d, "spec", "template", "spec", "containers", "0", "resources", "limits", NULL);
        requests =
            at(&d, "spec", "template", "spec", "containers", "0", "resources", "requests", NULL);
        assert_int_equal(map_len(limits), 3);
        assert_int_equal(map_len(requests), 3);
        for (yaml_node_pair_t *p = limits->data.mapping.pairs.start;
             p < limits->data.mapping.pairs.top; p++)
            if (strncmp((const char *)yaml_document_get_node(&d, p->key)->data.scalar.value,
                        "nvidia.com/", 11) == 0)
                gpu_keys++;
        assert_int_equal(gpu_keys, 1);
        want_str(val(&d, "spec", "template", "spec", "containers", "0", "resources", "limits",
                     example_cases[i].resource, NULL),
                 "1", "limit");
        want_str(val(&d, "spec", "template", "spec", "containers", "0", "resources", "requests",
                     example_cases[i].resource, NULL),
                 "1", "request");
        assert_non_null(val(&d, "spec", "template", "spec", "containers", "0", "resources",
                            "limits", "memory", NULL));
        assert_non_null(val(&d, "spec", "template", "spec", "containers", "0", "resources",
                            "requests", "cpu", NULL));
        yaml_document_delete(&d);
        free(y);
    }
}

static void test_example_options(void **state)
{
    struct k8s_example_opts o = {.mode = K8S_SHARE_MPS,
                                 .name = "infer",
                                 .namespace = "ml",
                                 .replicas = 4,
                                 .image = "registry.example.com/app:1.0",
                                 .product = "NVIDIA-H100-80GB-HBM3",
                                 .mps_thread_pct = "25",
                                 .mps_mem_limit = "0=10G",
                                 .gpu_replicas = 4};
    struct error err = {0};
    yaml_document_t d;
    char *y;

    (void)state;
    y = k8s_example_deployment(&err, &o);
    if (y == NULL)
        fail_msg("%s", err.msg);
    load_one(y, &d);
    want_str(val(&d, "metadata", "name", NULL), "infer", "name");
    want_str(val(&d, "metadata", "namespace", NULL), "ml", "namespace");
    want_str(val(&d, "spec", "replicas", NULL), "4", "replicas");
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "image", NULL),
             "registry.example.com/app:1.0", "image");
    want_str(val(&d, "spec", "template", "spec", "nodeSelector", "nvidia.com/gpu.product", NULL),
             "NVIDIA-H100-80GB-HBM3-SHARED", "product");
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "env", "0", "name", NULL),
             "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", "env 0");
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "env", "0", "value", NULL),
             "25", "env 0 value");
    /* An env value must be a string: "25" quoted. */
    want_quoted(at(&d, "spec", "template", "spec", "containers", "0", "env", "0", "value", NULL),
                "env value");
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "env", "1", "name", NULL),
             "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT", "env 1");
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "env", "1", "value", NULL),
             "0=10G", "env 1 value");
    assert_non_null(strstr(val(&d, "metadata", "annotations", "gpushare.io/mps-limits", NULL),
                           "per CUDA client, not per pod"));
    yaml_document_delete(&d);
    free(y);

    /* Renamed: GFD keeps the model name (facts 1.5); MIG: verbatim; "-SHARED" not twice. */
    {
        static const struct {
            enum k8s_share mode;
            bool renamed;
            const char *profile, *product, *want;
        } pc[] = {
            {K8S_SHARE_TIMESLICE, true, NULL, "A100", "A100"},
            {K8S_SHARE_TIMESLICE, false, NULL, "A100", "A100-SHARED"},
            {K8S_SHARE_TIMESLICE, false, NULL, "A100-SHARED", "A100-SHARED"},
            {K8S_SHARE_MPS, true, NULL, "A100", "A100"},
            {K8S_SHARE_MIG_SINGLE, false, NULL, "A100-MIG-1g.10gb", "A100-MIG-1g.10gb"},
            {K8S_SHARE_MIG_MIXED, false, "1g.10gb", "A100", "A100"},
        };
        for (size_t i = 0; i < COUNT(pc); i++) {
            struct k8s_example_opts p = {.mode = pc[i].mode,
                                         .renamed = pc[i].renamed,
                                         .mig_profile = pc[i].profile,
                                         .product = pc[i].product};
            char *t = k8s_example_deployment(&err, &p);
            yaml_document_t pd;

            if (t == NULL)
                fail_msg("product case %zu: %s", i, err.msg);
            load_one(t, &pd);
            want_str(val(&pd, "spec", "template", "spec", "nodeSelector", "nvidia.com/gpu.product",
                         NULL),
                     pc[i].want, "product");
            yaml_document_delete(&pd);
            free(t);
        }
    }

    /* At the daemon's value exactly: 100/4 = 25 passes; 12.5 with 8 replicas too. */
    o.mps_thread_pct = "12.5";
    o.gpu_replicas = 8;
    o.mps_mem_limit = NULL;
    y = k8s_example_deployment(&err, &o);
    assert_non_null(y);
    load_one(y, &d);
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "env", "0", "value", NULL),
             "12.5", "12.5");
    assert_null(at(&d, "spec", "template", "spec", "containers", "0", "env", "1", NULL));
    yaml_document_delete(&d);
    free(y);
}

static void test_example_refusals(void **state)
{
    static const struct {
        struct k8s_example_opts o;
        const char *msg;
    } cases[] = {
        {{.mode = K8S_SHARE_TIMESLICE, .name = "Bad_Name"}, "name 'Bad_Name'"},
        {{.mode = K8S_SHARE_TIMESLICE, .name = ""}, "name ''"},
        {{.mode = K8S_SHARE_TIMESLICE, .namespace = "-ns"}, "namespace '-ns'"},
        {{.mode = K8S_SHARE_TIMESLICE, .namespace = "a.b"}, "namespace 'a.b'"},
        {{.mode = K8S_SHARE_TIMESLICE, .replicas = 1001}, "replicas 1001"},
        {{.mode = K8S_SHARE_TIMESLICE, .image = "img with space"}, "image"},
        {{.mode = K8S_SHARE_TIMESLICE, .image = ""}, "image"},
        {{.mode = K8S_SHARE_TIMESLICE, .product = "-H100"}, "product"},
        {{.mode = K8S_SHARE_TIMESLICE, .product = ""}, "product"},
        /* 57 characters: with "-SHARED" past a label value's 63. */
        {{.mode = K8S_SHARE_TIMESLICE,
          .product = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
         "product"},
        {{.mode = K8S_SHARE_MIG_SINGLE,
          .product =
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
         "product"},
        {{.mode = K8S_SHARE_TIMESLICE, .mig_profile = "1g.10gb"}, "mig profile '1g.10gb'"},
        {{.mode = K8S_SHARE_MIG_SINGLE, .renamed = true}, "mig-single"},
        {{.mode = K8S_SHARE_MIG_MIXED}, "mig profile"},
        {{.mode = K8S_SHARE_MIG_MIXED, .mig_profile = "1g10gb"}, "mig profile"},
        {{.mode = K8S_SHARE_MIG_MIXED, .mig_profile = "1g.10gb+me"}, "attributes"},
        {{.mode = K8S_SHARE_MIG_MIXED, .mig_profile = "1g.10gb", .renamed = true}, "mig-mixed"},
        {{.mode = K8S_SHARE_TIMESLICE, .mps_thread_pct = "50"}, "MPS client limits"},
        {{.mode = K8S_SHARE_MIG_SINGLE, .mps_mem_limit = "0=1G"}, "MPS client limits"},
        {{.mode = K8S_SHARE_MPS, .mps_thread_pct = "0"}, "thread percentage"},
        {{.mode = K8S_SHARE_MPS, .mps_thread_pct = "101"}, "thread percentage"},
        {{.mode = K8S_SHARE_MPS, .mps_thread_pct = "26", .gpu_replicas = 4}, "only lower"},
        {{.mode = K8S_SHARE_MPS, .mps_mem_limit = "10G"}, "memory limit"},
        {{.mode = K8S_SHARE_MPS, .gpu_replicas = 1}, "gpu replicas 1"},
        {{.mode = (enum k8s_share)7}, "mode 7"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct error err = {0};
        char ctx[32];

        snprintf(ctx, sizeof(ctx), "case %zu", i);
        if (k8s_example_deployment(&err, &cases[i].o) != NULL)
            fail_msg("%s: accepted", ctx);
        want_msg(&err, cases[i].msg, ctx);
    }
}

/* ---- mig-manager ConfigMap -------------------------------------------------------------- */

static void test_mig_configmap(void **state)
{
    struct mig_layout l;
    struct migparted_entry e[4];
    struct error err = {0};
    const char *data;
    char *cfg, *y, why[256];
    yaml_document_t d;
    size_t n;

    (void)state;
    if (mig_layout_parse(&err, catalog_gpu("H100-80GB"), "3g.40gb,2g.20gb,1g.10gb:2", &l) < 0)
        fail_msg("%s", err.msg);
    assert_true(mig_check_layout(&l, why, sizeof(why)));
    cfg = migparted_yaml(&err, &l, "gpushare-h100");
    assert_non_null(cfg);
    y = k8s_mig_manager_configmap(&err, "gpushare-mig-config", NULL, cfg);
    if (y == NULL)
        fail_msg("%s", err.msg);
    assert_true(y[0] == '#');
    load_one(y, &d);
    want_str(val(&d, "apiVersion", NULL), "v1", "apiVersion");
    want_str(val(&d, "kind", NULL), "ConfigMap", "kind");
    want_str(val(&d, "metadata", "name", NULL), "gpushare-mig-config", "name");
    want_str(val(&d, "metadata", "namespace", NULL), "gpu-operator", "namespace");
    assert_int_equal(map_len(at(&d, "data", NULL)), 1);
    data = val(&d, "data", "config.yaml", NULL);
    want_str(data, cfg, "data config.yaml"); /* byte for byte */
    /* And mig-parted's rules still hold for what mig-manager will read. */
    if (migparted_parse(&err, data, strlen(data), "config.yaml", "gpushare-h100", e, 4, &n) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n, 1);
    assert_true(e[0].mig_enabled);
    yaml_document_delete(&d);
    free(y);

    y = k8s_mig_manager_configmap(&err, "custom-mig.parted", "kube-gpu", cfg);
    assert_non_null(y);
    load_one(y, &d);
    want_str(val(&d, "metadata", "namespace", NULL), "kube-gpu", "namespace");
    want_str(val(&d, "metadata", "name", NULL), "custom-mig.parted", "name");
    yaml_document_delete(&d);
    free(y);
    free(cfg);
}

static void test_mig_configmap_refusals(void **state)
{
    static const struct {
        const char *name, *ns, *cfg, *msg;
    } cases[] = {
        {NULL, NULL, "version: v1\n", "name: missing"},
        {"Upper", NULL, "version: v1\n", "ConfigMap name 'Upper'"},
        {"a..b", NULL, "version: v1\n", "ConfigMap name 'a..b'"},
        {"ok", "Bad", "version: v1\n", "namespace 'Bad'"},
        {"ok", NULL, "", "mig-parted config: empty"},
        {"ok", NULL, NULL, "mig-parted config: empty"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct error err = {0};
        char ctx[32];

        snprintf(ctx, sizeof(ctx), "case %zu", i);
        if (k8s_mig_manager_configmap(&err, cases[i].name, cases[i].ns, cases[i].cfg) != NULL)
            fail_msg("%s: accepted", ctx);
        want_msg(&err, cases[i].msg, ctx);
    }
}

/* ---- Fleet Job ------------------------------------------------------------------------- */

/* The checks every fleet Job passes. */
static void check_job_common(yaml_document_t *d, const char *name, const char *pods,
                             const char *gpus)
{
    yaml_node_t *term;

    want_str(val(d, "apiVersion", NULL), "batch/v1", "apiVersion");
    want_str(val(d, "kind", NULL), "Job", "kind");
    want_str(val(d, "metadata", "name", NULL), name, "name");
    want_str(val(d, "spec", "completionMode", NULL), "Indexed", "completionMode");
    want_str(val(d, "spec", "completions", NULL), pods, "completions");
    want_str(val(d, "spec", "parallelism", NULL), pods, "parallelism");
    assert_non_null(val(d, "spec", "ttlSecondsAfterFinished", NULL));
    assert_non_null(val(d, "spec", "activeDeadlineSeconds", NULL));
    assert_non_null(val(d, "spec", "backoffLimit", NULL));
    want_str(val(d, "spec", "template", "spec", "restartPolicy", NULL), "Never", "restartPolicy");
    /* No nodeSelector: the GPU request keeps the pods on GPU nodes without relying on a label
     * only the GPU Operator sets. */
    assert_null(at(d, "spec", "template", "spec", "nodeSelector", NULL));
    /* Anti-affinity against the Job's own pods, whose template carries the label. */
    term = at(d, "spec", "template", "spec", "affinity", "podAntiAffinity",
              "requiredDuringSchedulingIgnoredDuringExecution", NULL);
    assert_int_equal(seq_len(term), 1);
    want_str(val(d, "spec", "template", "spec", "affinity", "podAntiAffinity",
                 "requiredDuringSchedulingIgnoredDuringExecution", "0", "topologyKey", NULL),
             "kubernetes.io/hostname", "topologyKey");
    want_str(val(d, "spec", "template", "spec", "affinity", "podAntiAffinity",
                 "requiredDuringSchedulingIgnoredDuringExecution", "0", "labelSelector",
                 "matchLabels", "app.kubernetes.io/instance", NULL),
             name, "anti-affinity selector");
    want_str(val(d, "spec", "template", "metadata", "labels", "app.kubernetes.io/instance", NULL),
             name, "pod label");
    want_str(val(d, "spec", "template", "spec", "containers", "0", "command", "0", NULL),
             "gpushare", "command");
    want_str(val(d, "spec", "template", "spec", "containers", "0", "resources", "requests",
                 "nvidia.com/gpu", NULL),
             gpus, "gpu request");
    want_str(val(d, "spec", "template", "spec", "containers", "0", "resources", "limits",
                 "nvidia.com/gpu", NULL),
             gpus, "gpu limit");
    want_str(val(d, "spec", "template", "spec", "containers", "0", "securityContext",
                 "allowPrivilegeEscalation", NULL),
             "false", "allowPrivilegeEscalation");
    assert_non_null(
        strstr(val(d, "metadata", "annotations", "gpushare.io/collect", NULL), "job-name="));
}

static void want_args(yaml_document_t *d, const char *const *want, size_t n)
{
    yaml_node_t *args = at(d, "spec", "template", "spec", "containers", "0", "args", NULL);

    assert_int_equal(seq_len(args), n);
    for (size_t i = 0; i < n; i++) {
        char idx[24];

        snprintf(idx, sizeof(idx), "%zu", i);
        want_str(val(d, "spec", "template", "spec", "containers", "0", "args", idx, NULL), want[i],
                 "arg");
    }
}

static void test_fleet_job_count(void **state)
{
    static const char *const args[] = {"-q", "bench", "streams", "--json"};
    struct k8s_fleet_opts o = {.nodes = 3};
    struct error err = {0};
    yaml_document_t d;
    char *y, want[16];

    (void)state;
    y = k8s_fleet_job(&err, &o);
    if (y == NULL)
        fail_msg("%s", err.msg);
    assert_true(y[0] == '#');
    assert_non_null(strstr(y, "kubectl logs -n default -l job-name=gpushare-fleet --tail=-1"));
    load_one(y, &d);
    check_job_common(&d, "gpushare-fleet", "3", "1");
    want_str(val(&d, "metadata", "namespace", NULL), "default", "namespace");
    want_str(val(&d, "spec", "backoffLimitPerIndex", NULL), "0", "backoffLimitPerIndex");
    want_str(val(&d, "spec", "backoffLimit", NULL), "3", "backoffLimit");
    snprintf(want, sizeof(want), "%d", K8S_DEFAULT_TTL_S);
    want_str(val(&d, "spec", "ttlSecondsAfterFinished", NULL), want, "ttl");
    want_str(val(&d, "spec", "template", "spec", "containers", "0", "image", NULL),
             K8S_DEFAULT_FLEET_IMAGE, "image");
    assert_null(at(&d, "spec", "template", "spec", "affinity", "nodeAffinity", NULL));
    want_args(&d, args, COUNT(args));
    yaml_document_delete(&d);
    free(y);
}

static void test_fleet_job_nodes(void **state)
{
    static const char *const nodes[] = {"gpu-node-a", "gpu-node-b.example.com"};
    static const char *const extra[] = {"--trials", "3", "--only", "gemm,h2d"};
    static const char *const args[] = {"-q",       "bench", "mps",    "--json",
                                       "--trials", "3",     "--only", "gemm,h2d"};
    struct k8s_fleet_opts o = {.name = "bench-h100",
                               .namespace = "gpu-bench",
                               .image = "registry.example.com/gpushare:0.1.0",
                               .nodes = 7, /* ignored: the list wins */
                               .node_names = nodes,
                               .n_node_names = COUNT(nodes),
                               .gpus_per_pod = 2,
                               .bench_mode = "mps",
                               .bench_args = extra,
                               .n_bench_args = COUNT(extra),
                               .retries = 1,
                               .ttl_s = 600,
                               .deadline_s = 1800};
    struct error err = {0};
    yaml_document_t d;
    yaml_node_t *values;
    char *y;

    (void)state;
    y = k8s_fleet_job(&err, &o);
    if (y == NULL)
        fail_msg("%s", err.msg);
    load_one(y, &d);
    check_job_common(&d, "bench-h100", "2", "2");
    want_str(val(&d, "metadata", "namespace", NULL), "gpu-bench", "namespace");
    want_str(val(&d, "spec", "backoffLimitPerIndex", NULL), "1", "backoffLimitPerIndex");
    want_str(val(&d, "spec", "backoffLimit", NULL), "4", "backoffLimit");
    want_str(val(&d, "spec", "ttlSecondsAfterFinished", NULL), "600", "ttl");
    want_str(val(&d, "spec", "activeDeadlineSeconds", NULL), "1800", "deadline");
    want_str(val(&d, "spec", "template", "spec", "affinity", "nodeAffinity",
                 "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", "0",
                 "matchExpressions", "0", "key", NULL),
             "kubernetes.io/hostname", "nodeAffinity key");
    want_str(val(&d, "spec", "template", "spec", "affinity", "nodeAffinity",
                 "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", "0",
                 "matchExpressions", "0", "operator", NULL),
             "In", "nodeAffinity operator");
    values = at(&d, "spec", "template", "spec", "affinity", "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", "0",
                "matchExpressions", "0", "values", NULL);
    assert_int_equal(seq_len(values), 2);
    want_str(val(&d, "spec", "template", "spec", "affinity", "nodeAffinity",
                 "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", "0",
                 "matchExpressions", "0", "values", "1", NULL),
             "gpu-node-b.example.com", "node 1");
    want_args(&d, args, COUNT(args));
    assert_non_null(strstr(val(&d, "metadata", "annotations", "gpushare.io/collect", NULL),
                           "kubectl get pods -n gpu-bench -l job-name=bench-h100"));
    yaml_document_delete(&d);
    free(y);
}

static void test_fleet_refusals(void **state)
{
    static const char *const dup[] = {"n1", "n2", "n1"};
    static const char *const upper[] = {"Node1"};
    static const char *const out_arg[] = {"-o", "x.json"};
    static const char *const ctl_arg[] = {"a\nb"};
    static const struct {
        struct k8s_fleet_opts o;
        const char *msg;
    } cases[] = {
        {{.nodes = 0}, "nodes 0"},
        {{.nodes = 1001}, "nodes 1001"},
        {{.node_names = dup, .n_node_names = 3}, "node name 'n1' given twice"},
        {{.node_names = upper, .n_node_names = 1}, "node name 'Node1'"},
        {{.node_names = dup, .n_node_names = 0}, "node names: 0 given"},
        {{.nodes = 1, .name = "Fleet"}, "name 'Fleet'"},
        {{.nodes = 1, .name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
         "at most 59"},
        {{.nodes = 1, .namespace = "NS"}, "namespace 'NS'"},
        {{.nodes = 1, .image = "a b"}, "image"},
        {{.nodes = 1, .bench_mode = "gemm"}, "bench mode 'gemm'"},
        {{.nodes = 1, .gpus_per_pod = 17}, "gpus per pod 17"},
        {{.nodes = 1, .retries = 6}, "retries 6"},
        {{.nodes = 1, .ttl_s = K8S_MAX_TTL_S + 1}, "ttl"},
        {{.nodes = 1, .deadline_s = K8S_MAX_TTL_S + 1}, "deadline"},
        {{.nodes = 1, .bench_args = out_arg, .n_bench_args = 2}, "stdout"},
        {{.nodes = 1, .bench_args = ctl_arg, .n_bench_args = 1}, "control character"},
        {{.nodes = 1, .bench_args = NULL, .n_bench_args = 1}, "bench args"},
        {{.nodes = 1, .cuda_archs = "80;90"}, "cuda archs"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct error err = {0};
        char ctx[32];

        snprintf(ctx, sizeof(ctx), "case %zu", i);
        if (k8s_fleet_job(&err, &cases[i].o) != NULL)
            fail_msg("%s: accepted", ctx);
        want_msg(&err, cases[i].msg, ctx);
    }
}

/* ---- Dockerfile ------------------------------------------------------------------------ */

static void test_dockerfile(void **state)
{
    static const char *const want[] = {
        "FROM nvidia/cuda:13.0.0-devel-ubuntu24.04 AS build\n",
        "libjansson-dev libyaml-dev",
        "COPY Makefile ./\n",
        "COPY src/ src/\n",
        "RUN make build/gpushare CUDA_ARCHS=\"80 90\"",
        "FROM nvidia/cuda:13.0.0-runtime-ubuntu24.04\n",
        "COPY --from=build /src/build/gpushare /usr/local/bin/gpushare\n",
        "ENTRYPOINT [\"gpushare\"]\n",
    };
    struct k8s_fleet_opts o = {0};
    struct error err = {0};
    const char *last = NULL;
    char *t;

    (void)state;
    t = k8s_fleet_dockerfile(&err, &o);
    assert_non_null(t);
    /* In this order. */
    last = t;
    for (size_t i = 0; i < COUNT(want); i++) {
        const char *p = strstr(last, want[i]);

        if (p == NULL)
            fail_msg("'%s' missing or out of order in:\n%s", want[i], t);
        last = p;
    }
    free(t);
    o.cuda_archs = "90a 100 120";
    t = k8s_fleet_dockerfile(&err, &o);
    assert_non_null(t);
    assert_non_null(strstr(t, "CUDA_ARCHS=\"90a 100 120\""));
    free(t);
    for (size_t i = 0; i < 5; i++) {
        static const char *const bad[] = {"", "80  90", "80 ", "sm_80", "80\"; rm -rf /"};

        o.cuda_archs = bad[i];
        assert_null(k8s_fleet_dockerfile(&err, &o));
        want_msg(&err, "cuda archs", bad[i]);
    }
}

/* ---- README ---------------------------------------------------------------------------- */

static void test_readme_modes(void **state)
{
    static const struct k8s_readme_file files[] = {
        {K8S_FILE_EXAMPLE, "manifests/example.yaml", NULL},
        {K8S_FILE_NODE_LABELS, "label-nodes.sh", NULL},
        {K8S_FILE_PLUGIN_CONFIGMAP, "manifests/device-plugin-config.yaml", NULL},
        {K8S_FILE_HELM_VALUES, "helm/values-device-plugin.yaml", NULL},
        {K8S_FILE_OPERATOR_VALUES, "helm/values-gpu-operator.yaml", NULL},
        {K8S_FILE_MIG_CONFIGMAP, "manifests/mig-parted-config.yaml", NULL},
        {K8S_FILE_FLEET_JOB, "manifests/fleet-job.yaml", NULL},
        {K8S_FILE_DOCKERFILE, "Dockerfile", NULL},
        {K8S_FILE_OTHER, "mig-layout.sh", "the nvidia-smi commands for one GPU, by hand"},
    };
    /* Every README keeps the notes of every mode. */
    static const char *const notes[] = {
        "\"each workload has access to the GPU memory and runs in the same fault-domain\"",
        "isolates neither memory nor faults",
        "limits apply per CUDA client, not per pod",
        "1/replicas of the GPU memory and 100/replicas percent of the threads",
        "MIG isolates memory, SMs and faults per instance",
    };
    static const char *const order[] = {
        "kubectl apply -f manifests/device-plugin-config.yaml",
        "-f helm/values-device-plugin.yaml",
        "-f helm/values-gpu-operator.yaml",
        "kubectl apply -f manifests/mig-parted-config.yaml",
        "`label-nodes.sh`",
        "kubectl apply -f manifests/example.yaml",
    };
    (void)state;
    for (unsigned m = 0; m < K8S_SHARE_COUNT; m++) {
        struct k8s_readme_opts o = {.mode = (enum k8s_share)m,
                                    .files = files,
                                    .n_files = COUNT(files),
                                    .config_name = "gpushare-mps-40",
                                    .mig_config = "gpushare-h100",
                                    .namespace = "ml",
                                    .fleet_name = "bench-h100"};
        struct error err = {0};
        char deploys[64], *t = k8s_readme(&err, &o);
        const char *last;

        if (t == NULL)
            fail_msg("mode %u: %s", m, err.msg);
        snprintf(deploys, sizeof(deploys), "This directory deploys **%s**",
                 k8s_share_name((enum k8s_share)m));
        assert_non_null(strstr(t, deploys));
        for (size_t i = 0; i < COUNT(notes); i++)
            if (strstr(t, notes[i]) == NULL)
                fail_msg("mode %u: note '%s' missing", m, notes[i]);
        for (size_t i = 0; i < COUNT(files); i++) {
            char item[128];

            snprintf(item, sizeof(item), "- `%s`: ", files[i].name);
            if (strstr(t, item) == NULL)
                fail_msg("mode %u: file '%s' not listed", m, files[i].name);
        }
        assert_non_null(strstr(t, "the nvidia-smi commands for one GPU, by hand"));
        last = strstr(t, "## Order of application");
        assert_non_null(last);
        for (size_t i = 0; i < COUNT(order); i++) {
            const char *p = strstr(last, order[i]);

            if (p == NULL)
                fail_msg("mode %u: step '%s' missing or out of order:\n%s", m, order[i], t);
            last = p;
        }
        assert_non_null(strstr(t, "nvidia.com/device-plugin.config=gpushare-mps-40"));
        assert_non_null(strstr(t, "nvidia.com/mig.config=gpushare-h100"));
        assert_non_null(strstr(t, "kubectl get pods -n ml -l job-name=bench-h100"));
        assert_non_null(strstr(t, "--tail=-1"));
        assert_non_null(strstr(t, "docker build -f Dockerfile"));
        free(t);
    }
}

static void test_readme_minimal(void **state)
{
    static const struct k8s_readme_file files[] = {{K8S_FILE_FLEET_JOB, "job.yaml", NULL}};
    static const struct k8s_readme_file labels[] = {{K8S_FILE_NODE_LABELS, "labels.sh", NULL}};
    struct k8s_readme_opts o = {.mode = K8S_SHARE_TIMESLICE, .files = files, .n_files = 1};
    struct error err = {0};
    char *t;

    (void)state;
    t = k8s_readme(&err, &o);
    assert_non_null(t);
    assert_non_null(strstr(t, "Nothing here changes the cluster's sharing mode"));
    assert_non_null(strstr(t, "1. `kubectl apply -f job.yaml`"));
    assert_non_null(strstr(t, "job-name=gpushare-fleet"));
    assert_null(strstr(t, "docker build"));
    assert_non_null(strstr(t, "same fault-domain"));
    free(t);

    /* The MIG label only where MIG is deployed or a mig-parted config is named. */
    o.files = labels;
    t = k8s_readme(&err, &o);
    assert_non_null(t);
    assert_non_null(strstr(t, "1. Label the nodes: review and run `labels.sh`"));
    assert_non_null(strstr(t, "nvidia.com/device-plugin.config=<config>"));
    assert_null(strstr(t, "nvidia.com/mig.config="));
    free(t);
    o.mode = K8S_SHARE_MIG_MIXED;
    t = k8s_readme(&err, &o);
    assert_non_null(t);
    assert_non_null(strstr(t, "nvidia.com/mig.config=<config>"));
    free(t);
}

static void test_readme_refusals(void **state)
{
    static const struct k8s_readme_file ok[] = {{K8S_FILE_EXAMPLE, "example.yaml", NULL}};
    static const struct k8s_readme_file dup[] = {{K8S_FILE_EXAMPLE, "a.yaml", NULL},
                                                 {K8S_FILE_FLEET_JOB, "a.yaml", NULL}};
    static const struct k8s_readme_file slash[] = {{K8S_FILE_EXAMPLE, "/abs/a.yaml", NULL}};
    static const struct k8s_readme_file dots[] = {{K8S_FILE_EXAMPLE, "..", NULL}};
    static const struct k8s_readme_file up[] = {{K8S_FILE_EXAMPLE, "a/../b.yaml", NULL}};
    static const struct k8s_readme_file twice[] = {{K8S_FILE_EXAMPLE, "a//b.yaml", NULL}};
    static const struct k8s_readme_file trail[] = {{K8S_FILE_EXAMPLE, "a/", NULL}};
    static const struct k8s_readme_file space[] = {{K8S_FILE_EXAMPLE, "a b.yaml", NULL}};
    static const struct k8s_readme_file other[] = {{K8S_FILE_OTHER, "x.txt", NULL}};
    static const struct k8s_readme_file tick[] = {{K8S_FILE_OTHER, "x.txt", "a `b`"}};
    static const struct k8s_readme_file nl[] = {{K8S_FILE_EXAMPLE, "x.yaml", "a\nb"}};
    static const struct k8s_readme_file kind[] = {{(enum k8s_file_kind)42, "x.yaml", NULL}};
    static const struct {
        struct k8s_readme_opts o;
        const char *msg;
    } cases[] = {
        {{.files = NULL, .n_files = 0}, "readme files: 0 given"},
        {{.files = ok, .n_files = 0}, "readme files: 0 given"},
        {{.files = dup, .n_files = 2}, "'a.yaml' given twice"},
        {{.files = slash, .n_files = 1}, "file name '/abs/a.yaml'"},
        {{.files = dots, .n_files = 1}, "file name '..'"},
        {{.files = up, .n_files = 1}, "file name 'a/../b.yaml'"},
        {{.files = twice, .n_files = 1}, "file name 'a//b.yaml'"},
        {{.files = trail, .n_files = 1}, "file name 'a/'"},
        {{.files = space, .n_files = 1}, "file name 'a b.yaml'"},
        {{.files = other, .n_files = 1}, "needs a description"},
        {{.files = tick, .n_files = 1}, "description"},
        {{.files = nl, .n_files = 1}, "description"},
        {{.files = kind, .n_files = 1}, "kind 42"},
        {{.files = ok, .n_files = 1, .config_name = "bad name"}, "config name 'bad name'"},
        {{.files = ok, .n_files = 1, .mig_config = ""}, "mig config: empty"},
        {{.files = ok, .n_files = 1, .namespace = "NS"}, "namespace 'NS'"},
        {{.files = ok, .n_files = 1, .fleet_name = "x_y"}, "fleet name 'x_y'"},
        {{.mode = (enum k8s_share)5, .files = ok, .n_files = 1}, "mode 5"},
    };
    (void)state;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct error err = {0};
        char ctx[32];

        snprintf(ctx, sizeof(ctx), "case %zu", i);
        if (k8s_readme(&err, &cases[i].o) != NULL)
            fail_msg("%s: accepted", ctx);
        want_msg(&err, cases[i].msg, ctx);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_share_names),
        cmocka_unit_test(test_example_modes),
        cmocka_unit_test(test_example_options),
        cmocka_unit_test(test_example_refusals),
        cmocka_unit_test(test_mig_configmap),
        cmocka_unit_test(test_mig_configmap_refusals),
        cmocka_unit_test(test_fleet_job_count),
        cmocka_unit_test(test_fleet_job_nodes),
        cmocka_unit_test(test_fleet_refusals),
        cmocka_unit_test(test_dockerfile),
        cmocka_unit_test(test_readme_modes),
        cmocka_unit_test(test_readme_minimal),
        cmocka_unit_test(test_readme_refusals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
