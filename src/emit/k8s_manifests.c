/*
 * Example Deployment, mig-manager ConfigMap, fleet Job, its Dockerfile and the README of a
 * `gpushare emit k8s` directory (emit/k8s_manifests.h). "facts N.N" are sections of
 * k8s-mig-facts.md.
 */
#include "emit/k8s_manifests.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/str.h"
#include "emit/mps.h"
#include "emit/yamlw.h"
#include "gpu/mps_spec.h"
#include "mig/profile.h"

/* ---- Names and checks ------------------------------------------------------------------ */

static const char *const share_names[K8S_SHARE_COUNT] = {"timeslice", "mps", "mig-single",
                                                         "mig-mixed"};

const char *k8s_share_name(enum k8s_share mode)
{
    return (unsigned)mode < K8S_SHARE_COUNT ? share_names[mode] : "?";
}

int k8s_share_parse(struct error *err, const char *s, enum k8s_share *out)
{
    for (unsigned i = 0; i < K8S_SHARE_COUNT; i++)
        if (strcmp(s, share_names[i]) == 0) {
            *out = (enum k8s_share)i;
            return 0;
        }
    return error_set(err, ERR_USAGE,
                     "k8s: mode '%.40s': expected timeslice, mps, mig-single or mig-mixed", s);
}

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One DNS-1123 label inside value, of len characters; NULL when valid, else why not. */
static const char *label_problem(const char *s, size_t len)
{
    if (len == 0)
        return "empty";
    if (len > 63)
        return "longer than 63 characters";
    for (size_t i = 0; i < len; i++)
        if (!lower_alnum(s[i]) && s[i] != '-')
            return "only lower-case letters, digits and '-' may appear";
    if (!lower_alnum(s[0]) || !lower_alnum(s[len - 1]))
        return "must begin and end with a lower-case letter or digit";
    return NULL;
}

int k8s_check_dns_label(struct error *err, const char *field, const char *value)
{
    const char *why = label_problem(value, strlen(value));

    if (why != NULL)
        return error_set(err, ERR_USAGE, "k8s: %s '%.70s': %s (a DNS-1123 label)", field, value,
                         why);
    return 0;
}

int k8s_check_dns_subdomain(struct error *err, const char *field, const char *value)
{
    size_t len = strlen(value);

    if (len > 253)
        return error_set(err, ERR_USAGE,
                         "k8s: %s of %zu characters: at most 253 (a DNS-1123 subdomain)", field,
                         len);
    for (const char *p = value;;) {
        size_t k = strcspn(p, ".");
        const char *why = label_problem(p, k);

        if (why != NULL)
            return error_set(err, ERR_USAGE,
                             "k8s: %s '%.70s': each dot-separated part: %s (a DNS-1123 "
                             "subdomain)",
                             field, value, why);
        if (p[k] == '\0')
            return 0;
        p += k + 1;
    }
}

int k8s_check_label_value(struct error *err, const char *field, const char *value)
{
    size_t len = strlen(value);

    if (len == 0)
        return 0;
    if (len > 63)
        return error_set(err, ERR_USAGE, "k8s: %s of %zu characters: a label value has at most 63",
                         field, len);
    if (!isalnum((unsigned char)value[0]) || !isalnum((unsigned char)value[len - 1]))
        return error_set(err, ERR_USAGE,
                         "k8s: %s '%.70s': a label value begins and ends with a letter or digit",
                         field, value);
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)value[i]) && strchr("._-", value[i]) == NULL)
            return error_set(err, ERR_USAGE,
                             "k8s: %s '%.70s': only letters, digits, '.', '_' and '-' may appear "
                             "in a label value",
                             field, value);
    return 0;
}

/* An image reference: printable ASCII without spaces or quotes, at most 255 characters. The
 * registry grammar is left to the container runtime; this keeps a value on its line. */
static int check_image(struct error *err, const char *field, const char *image)
{
    size_t len = strlen(image);

    if (len == 0 || len > 255)
        return error_set(err, ERR_USAGE, "k8s: %s of %zu characters: expected 1 to 255", field,
                         len);
    for (size_t i = 0; i < len; i++)
        if (image[i] <= ' ' || image[i] > '~' || strchr("\"'`\\$", image[i]) != NULL)
            return error_set(err, ERR_USAGE,
                             "k8s: %s '%.70s': an image reference has no spaces, quotes, '\\', "
                             "'$' or control characters",
                             field, image);
    return 0;
}

int k8s_share_resource(struct error *err, enum k8s_share mode, bool renamed,
                       const char *mig_profile, char *out, size_t size)
{
    struct mig_profile_name pn;
    char canon[MIG_PROFILE_NAME_SIZE];

    if ((unsigned)mode >= K8S_SHARE_COUNT)
        return error_set(err, ERR_USAGE, "k8s: mode %d out of range", (int)mode);
    if (mode != K8S_SHARE_MIG_MIXED) {
        if (mig_profile != NULL)
            return error_set(err, ERR_USAGE,
                             "k8s: mig profile '%.40s' given for mode %s: only mig-mixed "
                             "advertises one resource per profile",
                             mig_profile, k8s_share_name(mode));
        /* renameByDefault only exists for the sharing modes (facts 1.3). */
        if (renamed && mode == K8S_SHARE_MIG_SINGLE)
            return error_set(err, ERR_USAGE,
                             "k8s: renamed resources apply to timeslice and mps, not mig-single");
        str_printf(out, size, "%s",
                   renamed ? "nvidia.com/gpu.shared" : "nvidia.com/gpu"); /* facts 1.5 */
        return 0;
    }
    if (renamed)
        return error_set(err, ERR_USAGE,
                         "k8s: renamed resources apply to timeslice and mps, not mig-mixed");
    if (mig_profile == NULL)
        return error_set(err, ERR_USAGE,
                         "k8s: mig profile: mig-mixed needs one, e.g. 1g.10gb (the pod "
                         "requests nvidia.com/mig-<profile>)");
    if (mig_profile_parse(err, mig_profile, &pn) < 0)
        return error_wrap(err, "k8s: mig profile");
    /* '+' cannot appear in an extended resource name, and how the plugin names a profile with
     * attributes (+me) is not in the facts: refuse rather than guess. */
    if (pn.attrs[0] != '\0')
        return error_set(err, ERR_USAGE,
                         "k8s: mig profile '%.40s': profiles with attributes are not supported "
                         "here; give the base profile (e.g. 1g.10gb)",
                         mig_profile);
    mig_profile_format(&pn, canon, sizeof(canon));
    str_printf(out, size, "nvidia.com/mig-%s", canon);
    /* A resource name's part after the prefix is at most 63 characters. */
    if (strlen(out) - strlen("nvidia.com/") > 63)
        return error_set(err, ERR_USAGE, "k8s: mig profile '%.40s': resource name too long",
                         mig_profile);
    return 0;
}

/* ---- The YAML writer ------------------------------------------------------------------- */

/* An emitter that stops at its first error: every call after it does nothing, and the caller
 * checks once at the end. The events are emit/yamlw.h's. */
struct yw {
    yaml_emitter_t e;
    struct strbuf b;
    bool failed;
};

/* Would a YAML 1.1 reader (sigs.k8s.io/yaml, which kubectl uses) take this plain scalar for a
 * bool, a null or a number? Then it is double-quoted: an env value "25" or a label value "true"
 * must stay a string. A wide net, as in emit/migparted.c. */
static bool not_string(const char *s)
{
    static const char *const words[] = {"",    "~",    "y",     "n",    "yes",  "no",  "on",
                                        "off", "true", "false", "null", ".inf", ".nan"};
    char low[16];
    size_t i;

    for (i = 0; s[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    if (strlen(s) < sizeof(low))
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (strcmp(low, words[i]) == 0)
                return true;
    if (strchr("0123456789+-.", s[0]) == NULL)
        return false;
    return strspn(s, "0123456789abcdefABCDEFoOxX_.:+-") == strlen(s);
}

/* Untagged, both implicit flags set: where libyaml cannot keep the plain style (": " in an
 * annotation) it quotes the scalar, and without quoted_implicit it would add the non-specific
 * tag "!" in front. */
static void scalar_styled(struct yw *y, const char *v, yaml_scalar_style_t style)
{
    if (!y->failed && yamlw_scalar(&y->e, v, style, true, true) < 0)
        y->failed = true;
}

/* A string value: plain unless a YAML 1.1 reader would take it for something else. */
static void str(struct yw *y, const char *v)
{
    scalar_styled(y, v, not_string(v) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
}

/* A number or bool, written as it is. */
static void raw(struct yw *y, const char *v)
{
    scalar_styled(y, v, YAML_PLAIN_SCALAR_STYLE);
}

static void num(struct yw *y, unsigned long v)
{
    char t[24];

    str_printf(t, sizeof(t), "%lu", v);
    raw(y, t);
}

static void kv(struct yw *y, const char *k, const char *v)
{
    str(y, k);
    str(y, v);
}

static void kn(struct yw *y, const char *k, unsigned long v)
{
    str(y, k);
    num(y, v);
}

static void map_open(struct yw *y)
{
    if (!y->failed && yamlw_map_open(&y->e) < 0)
        y->failed = true;
}

/* key: followed by a block map. */
static void kmap(struct yw *y, const char *k)
{
    str(y, k);
    map_open(y);
}

static void map_close(struct yw *y)
{
    if (!y->failed && yamlw_map_close(&y->e) < 0)
        y->failed = true;
}

static void seq_open(struct yw *y, yaml_sequence_style_t style)
{
    if (!y->failed && yamlw_seq_open(&y->e, style) < 0)
        y->failed = true;
}

static void kseq(struct yw *y, const char *k, yaml_sequence_style_t style)
{
    str(y, k);
    seq_open(y, style);
}

static void seq_close(struct yw *y)
{
    if (!y->failed && yamlw_seq_close(&y->e) < 0)
        y->failed = true;
}

/* Starts the emitter after a '#' header (libyaml has no comment event: the header is written
 * before the stream, as emit/migparted.c does). */
static void yw_begin(struct yw *y, const char *header)
{
    memset(y, 0, sizeof(*y));
    yamlw_init(&y->e, &y->b, header);
    yaml_emitter_set_width(&y->e, -1); /* no folding of long annotations */
    if (!y->failed && yamlw_stream_start(&y->e) < 0)
        y->failed = true;
}

static void doc_open(struct yw *y)
{
    if (!y->failed && yamlw_doc_start(&y->e) < 0)
        y->failed = true;
}

static void doc_close(struct yw *y)
{
    if (!y->failed && yamlw_doc_end(&y->e) < 0)
        y->failed = true;
}

/* Ends the stream; the text, or NULL with err set. */
static char *yw_end(struct yw *y, struct error *err, const char *what)
{
    if (!y->failed && yamlw_stream_end(&y->e) < 0)
        y->failed = true;
    if (y->failed)
        error_set(err, ERR_INVALID, "k8s: cannot write the %s: %s", what, yamlw_problem(&y->e));
    return yamlw_finish(&y->e, &y->b, !y->failed);
}

/* apiVersion, kind and metadata up to (not including) labels/annotations. */
static void head(struct yw *y, const char *api, const char *kind, const char *name, const char *ns)
{
    kv(y, "apiVersion", api);
    kv(y, "kind", kind);
    kmap(y, "metadata");
    kv(y, "name", name);
    kv(y, "namespace", ns);
}

/* ---- The example Deployment ------------------------------------------------------------ */

/* What each mode isolates, for annotations and the README (facts 1.3-1.5, sharing-facts). */
static const char *const isolation_note[K8S_SHARE_COUNT] = {
    /* device-plugin README, quoted in facts 1.6 */
    "time-slicing isolates neither memory nor faults: each workload has access to the GPU "
    "memory and runs in the same fault-domain (k8s-device-plugin README); the GPU is shared "
    "in turns, so a pod's latency depends on the others",
    /* facts 1.4 */
    "MPS limits apply per CUDA client, not per pod: the plugin's daemon gives every client an "
    "equal fraction, 1/replicas of the GPU memory and 100/replicas percent of the threads, so "
    "a pod that starts several CUDA processes gets that share for each; a fatal GPU fault "
    "reaches every client on the GPU",
    "MIG isolates memory, SMs and faults per instance: the pod gets one MIG device (migStrategy "
    "single: every GPU on the node is split alike and each instance is nvidia.com/gpu)",
    "MIG isolates memory, SMs and faults per instance: the pod gets one MIG device of the "
    "profile it requests (migStrategy mixed: nvidia.com/mig-<profile>)",
};

/* The GFD node label and value that select nodes of this mode (facts 1.5). */
static void mode_selector(enum k8s_share mode, const char **key, const char **value)
{
    static const char *const values[K8S_SHARE_COUNT] = {"time-slicing", "mps", "single", "mixed"};

    *key = mode <= K8S_SHARE_MPS ? "nvidia.com/gpu.sharing-strategy" : "nvidia.com/mig.strategy";
    *value = values[mode];
}

/* The checked MPS client limits of an example. */
struct mps_limits {
    char pct[16];  /* "" when not given */
    char mem[512]; /* "" when not given: "0=4G,1=2G" as parsed */
};

static int check_mps(struct error *err, const struct k8s_example_opts *o, struct mps_limits *m)
{
    unsigned centi;

    m->pct[0] = m->mem[0] = '\0';
    if (o->mode != K8S_SHARE_MPS && (o->mps_thread_pct != NULL || o->mps_mem_limit != NULL))
        return error_set(err, ERR_USAGE,
                         "k8s: MPS client limits given for mode %s: they apply to mps only",
                         k8s_share_name(o->mode));
    /* Facts 1.3: replicas must be >= 2. */
    if (o->gpu_replicas == 1 || o->gpu_replicas > K8S_MAX_REPLICAS)
        return error_set(err, ERR_USAGE, "k8s: gpu replicas %u: expected 2 to %d", o->gpu_replicas,
                         K8S_MAX_REPLICAS);
    if (o->mps_thread_pct != NULL) {
        if (mps_pct_parse(err, "k8s: mps thread percentage", o->mps_thread_pct, &centi) < 0)
            return -1;
        /* A client can only lower the daemon's 100/replicas (facts 1.4, sharing-facts 1). */
        if (o->gpu_replicas >= 2 && (unsigned long)centi * o->gpu_replicas > 10000)
            return error_set(err, ERR_USAGE,
                             "k8s: mps thread percentage %s is above the daemon's 100/%u: a "
                             "client can only lower it",
                             o->mps_thread_pct, o->gpu_replicas);
        mps_pct_text(centi, m->pct, sizeof(m->pct));
    }
    if (o->mps_mem_limit != NULL && mps_mem_normalize(err, "k8s: mps memory limit",
                                                      o->mps_mem_limit, m->mem, sizeof(m->mem)) < 0)
        return -1;
    return 0;
}

/* The example's checked options, defaults filled in. */
struct example {
    char defname[64];
    char product[80]; /* "" when not selected; a label value of at most 63 once checked */
    const char *name, *ns, *image;
    unsigned replicas;
    char resource[96];
    struct mps_limits mps;
};

static int check_example(struct error *err, const struct k8s_example_opts *o, struct example *x)
{
    memset(x, 0, sizeof(*x));
    if ((unsigned)o->mode >= K8S_SHARE_COUNT)
        return error_set(err, ERR_USAGE, "k8s: mode %d out of range", (int)o->mode);
    str_printf(x->defname, sizeof(x->defname), "gpushare-example-%s", k8s_share_name(o->mode));
    x->name = o->name != NULL ? o->name : x->defname;
    x->ns = o->namespace != NULL ? o->namespace : K8S_DEFAULT_NAMESPACE;
    x->image = o->image != NULL ? o->image : K8S_DEFAULT_EXAMPLE_IMAGE;
    x->replicas = o->replicas == 0 ? 1 : o->replicas;
    if (k8s_check_dns_label(err, "name", x->name) < 0 ||
        k8s_check_dns_label(err, "namespace", x->ns) < 0 || check_image(err, "image", x->image) < 0)
        return -1;
    if (x->replicas > K8S_MAX_REPLICAS)
        return error_set(err, ERR_USAGE, "k8s: replicas %u: expected 1 to %d", x->replicas,
                         K8S_MAX_REPLICAS);
    if (o->product != NULL) {
        size_t len = strlen(o->product);

        if (len == 0)
            return error_set(err, ERR_USAGE, "k8s: product: empty");
        /* Facts 1.5: GFD labels a shared, not renamed GPU "<model>-SHARED". */
        if (o->mode <= K8S_SHARE_MPS && !o->renamed &&
            (len < 7 || strcmp(o->product + len - 7, "-SHARED") != 0))
            str_printf(x->product, sizeof(x->product), "%s-SHARED", o->product);
        else
            str_printf(x->product, sizeof(x->product), "%s", o->product);
        if (len >= sizeof(x->product) - 7)
            return k8s_check_label_value(err, "product", o->product) < 0
                       ? -1
                       : error_set(err, ERR_USAGE, "k8s: product '%.70s': too long", o->product);
        if (k8s_check_label_value(err, "product", x->product) < 0)
            return -1;
    }
    if (k8s_share_resource(err, o->mode, o->renamed, o->mig_profile, x->resource,
                           sizeof(x->resource)) < 0)
        return -1;
    return check_mps(err, o, &x->mps);
}

static void example_container(struct yw *y, const struct example *x)
{
    seq_open(y, YAML_BLOCK_SEQUENCE_STYLE);
    map_open(y);
    kv(y, "name", "cuda");
    kv(y, "image", x->image);
    kseq(y, "command", YAML_FLOW_SEQUENCE_STYLE);
    str(y, "/bin/sh");
    str(y, "-c");
    seq_close(y);
    /* nvidia-smi -L names the GPU or MIG device the pod was given; then it idles so that
     * `kubectl exec` can run a CUDA program in it. */
    kseq(y, "args", YAML_BLOCK_SEQUENCE_STYLE);
    str(y, "nvidia-smi -L; exec sleep infinity");
    seq_close(y);
    if (x->mps.pct[0] != '\0' || x->mps.mem[0] != '\0') {
        /* Per CUDA client: each process of the container is held to these (facts 1.4). */
        kseq(y, "env", YAML_BLOCK_SEQUENCE_STYLE);
        if (x->mps.pct[0] != '\0') {
            map_open(y);
            kv(y, "name", "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE");
            kv(y, "value", x->mps.pct);
            map_close(y);
        }
        if (x->mps.mem[0] != '\0') {
            map_open(y);
            kv(y, "name", "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT");
            kv(y, "value", x->mps.mem);
            map_close(y);
        }
        seq_close(y);
    }
    kmap(y, "resources");
    /* Exactly 1 of the shared resource: a request for more fails admission (facts 1.3). */
    kmap(y, "requests");
    kv(y, "cpu", "10m");
    kv(y, "memory", "64Mi");
    kn(y, x->resource, 1);
    map_close(y);
    kmap(y, "limits");
    kv(y, "cpu", "100m");
    kv(y, "memory", "128Mi");
    kn(y, x->resource, 1);
    map_close(y);
    map_close(y);
    kmap(y, "securityContext");
    str(y, "allowPrivilegeEscalation");
    raw(y, "false");
    kmap(y, "capabilities");
    kseq(y, "drop", YAML_FLOW_SEQUENCE_STYLE);
    str(y, "ALL");
    seq_close(y);
    map_close(y);
    map_close(y);
    map_close(y);
    seq_close(y);
}

char *k8s_example_deployment(struct error *err, const struct k8s_example_opts *o)
{
    struct example x;
    struct yw y;
    char header[512];
    const char *sel_key, *sel_value;

    if (check_example(err, o, &x) < 0)
        return NULL;
    mode_selector(o->mode, &sel_key, &sel_value);
    str_printf(header, sizeof(header),
               "# Example workload for %s GPU sharing, written by gpushare: it requests 1 %s.\n"
               "# Apply once the device plugin runs with the %s config: kubectl apply -f FILE\n"
               "# Notes are in metadata.annotations (gpushare.io/...).\n",
               k8s_share_name(o->mode), x.resource, k8s_share_name(o->mode));
    yw_begin(&y, header);
    doc_open(&y);
    map_open(&y);
    head(&y, "apps/v1", "Deployment", x.name, x.ns);
    kmap(&y, "labels");
    kv(&y, "app.kubernetes.io/name", x.name);
    kv(&y, "app.kubernetes.io/part-of", "gpushare");
    map_close(&y);
    kmap(&y, "annotations");
    kv(&y, "gpushare.io/note",
       "example for the sharing mode; it runs nvidia-smi -L, then sleeps: kubectl logs shows "
       "the device each replica got");
    kv(&y, "gpushare.io/isolation", isolation_note[o->mode]);
    /* MIG devices time-sliced on top share their instance: its memory and faults too. */
    if (o->mode >= K8S_SHARE_MIG_SINGLE && o->gpu_replicas >= 2)
        kv(&y, "gpushare.io/mig-time-slicing",
           "these MIG devices are also time-sliced (replicas per instance in the device-plugin "
           "config): pods on one instance share its memory and its faults, and take turns");
    if (o->mode == K8S_SHARE_MPS)
        kv(&y, "gpushare.io/mps-limits",
           "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT apply per "
           "CUDA client, not per pod, and can only lower the daemon's 100/replicas percent and "
           "memory/replicas (k8s-device-plugin mps-control-daemon)");
    map_close(&y);
    map_close(&y); /* metadata */
    kmap(&y, "spec");
    kn(&y, "replicas", x.replicas);
    kmap(&y, "selector");
    kmap(&y, "matchLabels");
    kv(&y, "app.kubernetes.io/name", x.name);
    map_close(&y);
    map_close(&y);
    kmap(&y, "template");
    kmap(&y, "metadata");
    kmap(&y, "labels");
    kv(&y, "app.kubernetes.io/name", x.name);
    map_close(&y);
    map_close(&y);
    kmap(&y, "spec");
    /* GFD's labels (facts 1.5): only nodes configured for this mode advertise its resource. */
    kmap(&y, "nodeSelector");
    kv(&y, sel_key, sel_value);
    if (x.product[0] != '\0')
        kv(&y, "nvidia.com/gpu.product", x.product);
    map_close(&y);
    kmap(&y, "securityContext");
    kmap(&y, "seccompProfile");
    kv(&y, "type", "RuntimeDefault");
    map_close(&y);
    map_close(&y);
    str(&y, "containers");
    example_container(&y, &x);
    map_close(&y); /* template.spec */
    map_close(&y); /* template */
    map_close(&y); /* spec */
    map_close(&y);
    doc_close(&y);
    return yw_end(&y, err, "example Deployment");
}

/* ---- The mig-manager ConfigMap --------------------------------------------------------- */

char *k8s_mig_manager_configmap(struct error *err, const char *name, const char *namespace,
                                const char *mig_parted_yaml)
{
    const char *ns = namespace != NULL ? namespace : K8S_MIG_MANAGER_NAMESPACE;
    char header[768];
    struct yw y;

    if (name == NULL) {
        error_set(err, ERR_USAGE, "k8s: mig-manager ConfigMap name: missing");
        return NULL;
    }
    if (k8s_check_dns_subdomain(err, "mig-manager ConfigMap name", name) < 0 ||
        k8s_check_dns_label(err, "namespace", ns) < 0)
        return NULL;
    if (mig_parted_yaml == NULL || mig_parted_yaml[0] == '\0') {
        error_set(err, ERR_USAGE, "k8s: mig-parted config: empty");
        return NULL;
    }
    /* Facts 2.2: a custom migManager.config makes mig-manager read CONFIG_FILE=
     * /mig-parted-config/config.yaml, the ConfigMap's key; facts 2.1: the node label
     * nvidia.com/mig.config=<config name> picks the config inside it. */
    str_printf(header, sizeof(header),
               "# mig-parted config for the GPU Operator's mig-manager, written by gpushare.\n"
               "# kubectl apply -f FILE, then set migManager.config.name=%.253s in the "
               "operator's\n# values (ClusterPolicy spec.migManager.config.name) and label "
               "each node\n# nvidia.com/mig.config=<config name>.\n",
               name);
    yw_begin(&y, header);
    doc_open(&y);
    map_open(&y);
    head(&y, "v1", "ConfigMap", name, ns);
    kmap(&y, "labels");
    kv(&y, "app.kubernetes.io/part-of", "gpushare");
    map_close(&y);
    kmap(&y, "annotations");
    kv(&y, "gpushare.io/note",
       "mig-manager reads key config.yaml as CONFIG_FILE=/mig-parted-config/config.yaml when "
       "the operator's migManager.config.name names this ConfigMap; the node label "
       "nvidia.com/mig.config selects a config in it");
    map_close(&y);
    map_close(&y); /* metadata */
    kmap(&y, "data");
    str(&y, K8S_MIG_MANAGER_KEY);
    scalar_styled(&y, mig_parted_yaml, YAML_LITERAL_SCALAR_STYLE);
    map_close(&y);
    map_close(&y);
    doc_close(&y);
    return yw_end(&y, err, "mig-manager ConfigMap");
}

/* ---- The fleet Job and its Dockerfile -------------------------------------------------- */

struct fleet {
    const char *name, *ns, *image, *mode;
    unsigned pods, gpus, ttl, deadline;
};

static int check_archs(struct error *err, const char *archs)
{
    size_t len = strlen(archs);

    if (len == 0 || len > 100)
        return error_set(err, ERR_USAGE, "k8s: cuda archs of %zu characters: expected 1 to 100",
                         len);
    for (const char *p = archs;;) {
        size_t k = strspn(p, "0123456789abcdefghijklmnopqrstuvwxyz");

        if (k == 0 || !isdigit((unsigned char)p[0]) || (p[k] != ' ' && p[k] != '\0'))
            return error_set(err, ERR_USAGE,
                             "k8s: cuda archs '%.70s': expected words like 80, 90 or 90a, "
                             "separated by single spaces",
                             archs);
        if (p[k] == '\0')
            return 0;
        p += k + 1;
    }
}

static int check_fleet(struct error *err, const struct k8s_fleet_opts *o, struct fleet *f)
{
    static const char *const modes[] = {"streams", "timeslice", "mps", "mig"};
    bool mode_ok = false;

    f->name = o->name != NULL ? o->name : "gpushare-fleet";
    f->ns = o->namespace != NULL ? o->namespace : K8S_DEFAULT_NAMESPACE;
    f->image = o->image != NULL ? o->image : K8S_DEFAULT_FLEET_IMAGE;
    f->mode = o->bench_mode != NULL ? o->bench_mode : "streams";
    f->gpus = o->gpus_per_pod == 0 ? 1 : o->gpus_per_pod;
    f->ttl = o->ttl_s == 0 ? K8S_DEFAULT_TTL_S : o->ttl_s;
    f->deadline = o->deadline_s == 0 ? K8S_DEFAULT_DEADLINE_S : o->deadline_s;
    if (k8s_check_dns_label(err, "name", f->name) < 0 ||
        k8s_check_dns_label(err, "namespace", f->ns) < 0 || check_image(err, "image", f->image) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        mode_ok = mode_ok || strcmp(f->mode, modes[i]) == 0;
    /* An Indexed Job's pods take <job>-<index> as their hostname, a DNS label: room for "-999"
     * (K8S_MAX_NODES - 1). */
    if (strlen(f->name) > 59)
        return error_set(err, ERR_USAGE,
                         "k8s: name '%.70s': at most 59 characters, so that the pods' hostnames "
                         "<name>-<index> stay DNS labels",
                         f->name);
    if (!mode_ok)
        return error_set(err, ERR_USAGE,
                         "k8s: bench mode '%.40s': expected streams, timeslice, mps or mig",
                         f->mode);
    if (o->node_names != NULL) {
        if (o->n_node_names == 0 || o->n_node_names > K8S_MAX_NODES)
            return error_set(err, ERR_USAGE, "k8s: node names: %zu given, expected 1 to %d",
                             o->n_node_names, K8S_MAX_NODES);
        for (size_t i = 0; i < o->n_node_names; i++) {
            /* A node name is a DNS subdomain; kubernetes.io/hostname is a label value. */
            if (k8s_check_dns_subdomain(err, "node name", o->node_names[i]) < 0 ||
                k8s_check_label_value(err, "node name", o->node_names[i]) < 0)
                return -1;
            /* Twice would ask for two pods on one node: anti-affinity leaves one pending. */
            for (size_t j = 0; j < i; j++)
                if (strcmp(o->node_names[i], o->node_names[j]) == 0)
                    return error_set(err, ERR_USAGE, "k8s: node name '%.70s' given twice",
                                     o->node_names[i]);
        }
        f->pods = (unsigned)o->n_node_names;
    } else {
        if (o->nodes == 0 || o->nodes > K8S_MAX_NODES)
            return error_set(err, ERR_USAGE, "k8s: nodes %u: expected 1 to %d", o->nodes,
                             K8S_MAX_NODES);
        f->pods = o->nodes;
    }
    if (f->gpus > K8S_MAX_GPUS_PER_POD)
        return error_set(err, ERR_USAGE, "k8s: gpus per pod %u: expected 1 to %d", f->gpus,
                         K8S_MAX_GPUS_PER_POD);
    if (o->retries > K8S_MAX_RETRIES)
        return error_set(err, ERR_USAGE, "k8s: retries %u: expected 0 to %d", o->retries,
                         K8S_MAX_RETRIES);
    if (f->ttl > K8S_MAX_TTL_S)
        return error_set(err, ERR_USAGE, "k8s: ttl %u s: expected 1 to %d", f->ttl, K8S_MAX_TTL_S);
    if (f->deadline > K8S_MAX_TTL_S)
        return error_set(err, ERR_USAGE, "k8s: deadline %u s: expected 1 to %d", f->deadline,
                         K8S_MAX_TTL_S);
    if (o->n_bench_args > K8S_MAX_BENCH_ARGS || (o->n_bench_args > 0 && o->bench_args == NULL))
        return error_set(err, ERR_USAGE, "k8s: bench args: %zu given, expected 0 to %d",
                         o->n_bench_args, K8S_MAX_BENCH_ARGS);
    for (size_t i = 0; i < o->n_bench_args; i++) {
        const char *a = o->bench_args[i];

        if (strlen(a) > 200)
            return error_set(err, ERR_USAGE, "k8s: bench argument %zu: longer than 200", i + 1);
        for (const char *p = a; *p != '\0'; p++)
            if ((unsigned char)*p < ' ' || *p == 0x7f)
                return error_set(err, ERR_USAGE,
                                 "k8s: bench argument %zu: control character 0x%02x", i + 1,
                                 (unsigned)(unsigned char)*p);
        /* The document goes to stdout; -o would move it out of the pod's log. */
        if (strcmp(a, "-o") == 0 || strncmp(a, "--output", 8) == 0)
            return error_set(err, ERR_USAGE,
                             "k8s: bench argument '%.40s': the Job collects the document from "
                             "stdout",
                             a);
    }
    return o->cuda_archs != NULL ? check_archs(err, o->cuda_archs) : 0;
}

/* The command that fetches every pod's document, one file per node. */
static void collect_command(char *out, size_t size, const char *name, const char *ns)
{
    str_printf(out, size,
               "kubectl get pods -n %s -l job-name=%s -o jsonpath='{range .items[*]}"
               "{.metadata.name} {.spec.nodeName}{\"\\n\"}{end}' | while read -r pod node; do "
               "kubectl logs -n %s \"$pod\" > \"gpushare-$node.json\"; done",
               ns, name, ns);
}

static void fleet_pod_spec(struct yw *y, const struct k8s_fleet_opts *o, const struct fleet *f)
{
    kmap(y, "spec");
    kv(y, "restartPolicy", "Never");
    /* No nodeSelector: the nvidia.com/gpu request already keeps pods on GPU nodes, and
     * nvidia.com/gpu.present is set by the GPU Operator, not by every installation. */
    kmap(y, "affinity");
    if (o->node_names != NULL) {
        kmap(y, "nodeAffinity");
        kmap(y, "requiredDuringSchedulingIgnoredDuringExecution");
        kseq(y, "nodeSelectorTerms", YAML_BLOCK_SEQUENCE_STYLE);
        map_open(y);
        kseq(y, "matchExpressions", YAML_BLOCK_SEQUENCE_STYLE);
        map_open(y);
        kv(y, "key", "kubernetes.io/hostname");
        kv(y, "operator", "In");
        kseq(y, "values", YAML_BLOCK_SEQUENCE_STYLE);
        for (size_t i = 0; i < o->n_node_names; i++)
            str(y, o->node_names[i]);
        seq_close(y);
        map_close(y);
        seq_close(y);
        map_close(y);
        seq_close(y);
        map_close(y);
        map_close(y);
    }
    /* One pod per node: never beside another pod of this Job. */
    kmap(y, "podAntiAffinity");
    kseq(y, "requiredDuringSchedulingIgnoredDuringExecution", YAML_BLOCK_SEQUENCE_STYLE);
    map_open(y);
    kmap(y, "labelSelector");
    kmap(y, "matchLabels");
    kv(y, "app.kubernetes.io/instance", f->name);
    map_close(y);
    map_close(y);
    kv(y, "topologyKey", "kubernetes.io/hostname");
    map_close(y);
    seq_close(y);
    map_close(y);
    map_close(y); /* affinity */
    kseq(y, "containers", YAML_BLOCK_SEQUENCE_STYLE);
    map_open(y);
    kv(y, "name", "gpushare");
    kv(y, "image", f->image);
    kseq(y, "command", YAML_FLOW_SEQUENCE_STYLE);
    str(y, "gpushare");
    seq_close(y);
    /* -q: progress off, so the log holds the results document (stdout) and errors only. */
    kseq(y, "args", YAML_FLOW_SEQUENCE_STYLE);
    str(y, "-q");
    str(y, "bench");
    str(y, f->mode);
    str(y, "--json");
    for (size_t i = 0; i < o->n_bench_args; i++)
        str(y, o->bench_args[i]);
    seq_close(y);
    kmap(y, "resources");
    kmap(y, "requests");
    kv(y, "cpu", "2");
    kv(y, "memory", "4Gi");
    kn(y, "nvidia.com/gpu", f->gpus);
    map_close(y);
    /* No cpu limit: throttling would show up in the measurements. */
    kmap(y, "limits");
    kv(y, "memory", "8Gi");
    kn(y, "nvidia.com/gpu", f->gpus);
    map_close(y);
    map_close(y);
    kmap(y, "securityContext");
    str(y, "allowPrivilegeEscalation");
    raw(y, "false");
    map_close(y);
    map_close(y);
    seq_close(y);
    map_close(y); /* spec */
}

char *k8s_fleet_job(struct error *err, const struct k8s_fleet_opts *o)
{
    struct fleet f = {0};
    struct yw y;
    char header[1024], collect[768];

    if (check_fleet(err, o, &f) < 0)
        return NULL;
    collect_command(collect, sizeof(collect), f.name, f.ns);
    str_printf(header, sizeof(header),
               "# gpushare bench %s on %u GPU node(s), one pod each, written by gpushare.\n"
               "# Each pod prints its results document on stdout. Collect them with\n"
               "#   kubectl logs -n %s -l job-name=%s --tail=-1 --max-log-requests=%u\n"
               "# or one file per node: see the annotation gpushare.io/collect.\n",
               f.mode, f.pods, f.ns, f.name, f.pods < 5 ? 5 : f.pods);
    yw_begin(&y, header);
    doc_open(&y);
    map_open(&y);
    head(&y, "batch/v1", "Job", f.name, f.ns);
    kmap(&y, "labels");
    kv(&y, "app.kubernetes.io/name", "gpushare-fleet");
    kv(&y, "app.kubernetes.io/instance", f.name);
    map_close(&y);
    kmap(&y, "annotations");
    kv(&y, "gpushare.io/note",
       "one pod per GPU node (podAntiAffinity on kubernetes.io/hostname); each prints its "
       "gpushare results document on stdout; pods that find no free node stay Pending until "
       "activeDeadlineSeconds");
    kv(&y, "gpushare.io/collect", collect);
    map_close(&y);
    map_close(&y); /* metadata */
    kmap(&y, "spec");
    kv(&y, "completionMode", "Indexed");
    kn(&y, "completions", f.pods);
    kn(&y, "parallelism", f.pods);
    /* Per index (Kubernetes >= 1.29): one node's failure leaves the others running. The global
     * backoffLimit is every index's failures at most, so it never ends the Job early; on a
     * cluster without per-index limits it still bounds the retries. */
    kn(&y, "backoffLimitPerIndex", o->retries);
    kn(&y, "backoffLimit", (unsigned long)f.pods * (o->retries + 1));
    kn(&y, "activeDeadlineSeconds", f.deadline);
    kn(&y, "ttlSecondsAfterFinished", f.ttl);
    kmap(&y, "template");
    kmap(&y, "metadata");
    kmap(&y, "labels");
    kv(&y, "app.kubernetes.io/name", "gpushare-fleet");
    kv(&y, "app.kubernetes.io/instance", f.name);
    map_close(&y);
    map_close(&y);
    fleet_pod_spec(&y, o, &f);
    map_close(&y); /* template */
    map_close(&y); /* spec */
    map_close(&y);
    doc_close(&y);
    return yw_end(&y, err, "fleet Job");
}

char *k8s_fleet_dockerfile(struct error *err, const struct k8s_fleet_opts *o)
{
    const char *archs = o->cuda_archs != NULL ? o->cuda_archs : K8S_DEFAULT_CUDA_ARCHS;
    struct strbuf b = {0};

    if (check_archs(err, archs) < 0)
        return NULL;
    strbuf_printf(
        &b, "# syntax=docker/dockerfile:1\n"
            "# The gpushare image the fleet Job runs, written by gpushare. From the repository "
            "root:\n"
            "#   docker build -f THIS_FILE --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t "
            "REGISTRY/gpushare:TAG .\n"
            "#   docker push REGISTRY/gpushare:TAG\n"
            "# Assumptions: the build needs only the Makefile and src/ (tools/ and tests/ are for "
            "make test);\n"
            "# jansson and libyaml are linked statically from Ubuntu's -dev packages (the "
            "Makefile's\n"
            "# -l:libjansson.a -l:libyaml.a), the CUDA runtime statically too, so the binary "
            "needs only\n"
            "# libc, libstdc++, the driver's libnvidia-ml and cuBLASLt at run time.\n\n");
    strbuf_printf(&b, "FROM %s AS build\n", K8S_BUILD_IMAGE);
    strbuf_printf(
        &b, "# g++ brings libstdc++ for the link (-lstdc++) and is nvcc's host compiler.\n"
            "RUN apt-get update \\\n"
            " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\\n"
            "      make gcc g++ libc6-dev libjansson-dev libyaml-dev \\\n"
            " && rm -rf /var/lib/apt/lists/*\n"
            "WORKDIR /src\n"
            "COPY Makefile ./\n"
            "COPY src/ src/\n"
            "# No .git in the context: the commit comes in as an argument and goes into every "
            "results document.\n"
            "ARG GIT_COMMIT=unknown\n");
    strbuf_printf(
        &b,
        "RUN make build/gpushare CUDA_ARCHS=\"%s\" GIT_COMMIT=\"$GIT_COMMIT\" GIT_DIRTY=0 \\\n"
        " && ./build/gpushare --version\n\n",
        archs);
    strbuf_printf(&b,
                  "# The runtime image has cuBLASLt, which gpushare loads with dlopen; the NVIDIA "
                  "container\n"
                  "# toolkit adds the driver's libraries and nvidia-smi.\n");
    strbuf_printf(&b, "FROM %s\n", K8S_RUNTIME_IMAGE);
    strbuf_printf(&b, "COPY --from=build /src/build/gpushare /usr/local/bin/gpushare\n"
                      "ENTRYPOINT [\"gpushare\"]\n"
                      "CMD [\"-q\", \"bench\", \"streams\", \"--json\"]\n");
    return b.p;
}

/* ---- README ---------------------------------------------------------------------------- */

static const char *const kind_what[] = {
    [K8S_FILE_PLUGIN_CONFIGMAP] = "the NVIDIA device plugin's config as a ConfigMap (sharing "
                                  "mode, replicas, MIG strategy)",
    [K8S_FILE_HELM_VALUES] = "values for the nvidia-device-plugin Helm chart that point it at "
                             "the config",
    [K8S_FILE_OPERATOR_VALUES] = "values for the GPU Operator Helm chart (devicePlugin.config, "
                                 "migManager.config)",
    [K8S_FILE_NODE_LABELS] = "the `kubectl label node` commands that select the config per node",
    [K8S_FILE_MIG_CONFIGMAP] = "the mig-parted config as the ConfigMap the GPU Operator's "
                               "mig-manager reads (key config.yaml)",
    [K8S_FILE_EXAMPLE] = "an example Deployment that requests one shared device and prints "
                         "which one it got",
    [K8S_FILE_FLEET_JOB] = "an Indexed Job that runs `gpushare bench` on one pod per GPU node",
    [K8S_FILE_DOCKERFILE] = "the Dockerfile of the gpushare image the fleet Job runs",
    [K8S_FILE_OTHER] = NULL,
};

/* A path relative to the output directory, safe to print in Markdown and a shell command. */
static bool path_ok(const char *name)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t len = name != NULL ? strlen(name) : 0;

    if (len == 0 || len > 100)
        return false;
    for (const char *p = name;;) {
        size_t k = strcspn(p, "/");

        if (k == 0 || strspn(p, ok) < k)
            return false;
        if ((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[k] == '\0')
            return true;
        p += k + 1;
    }
}

/* An optional non-empty label value. */
static int check_config_name(struct error *err, const char *field, const char *v)
{
    if (v == NULL)
        return 0;
    if (v[0] == '\0')
        return error_set(err, ERR_USAGE, "k8s: %s: empty", field);
    return k8s_check_label_value(err, field, v);
}

static int check_readme(struct error *err, const struct k8s_readme_opts *o)
{
    if ((unsigned)o->mode >= K8S_SHARE_COUNT)
        return error_set(err, ERR_USAGE, "k8s: mode %d out of range", (int)o->mode);
    if (o->files == NULL || o->n_files == 0 || o->n_files > K8S_MAX_README_FILES)
        return error_set(err, ERR_USAGE, "k8s: readme files: %zu given, expected 1 to %d",
                         o->n_files, K8S_MAX_README_FILES);
    for (size_t i = 0; i < o->n_files; i++) {
        const struct k8s_readme_file *f = &o->files[i];

        if ((unsigned)f->kind > K8S_FILE_OTHER)
            return error_set(err, ERR_USAGE, "k8s: readme file %zu: kind %d out of range", i + 1,
                             (int)f->kind);
        if (!path_ok(f->name))
            return error_set(err, ERR_USAGE,
                             "k8s: readme file name '%.70s': expected a relative path of at most "
                             "100 characters, parts of [A-Za-z0-9._-] other than '.' and '..'",
                             f->name != NULL ? f->name : "");
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->name, o->files[j].name) == 0)
                return error_set(err, ERR_USAGE, "k8s: readme file name '%.70s' given twice",
                                 f->name);
        if (f->what == NULL && f->kind == K8S_FILE_OTHER)
            return error_set(err, ERR_USAGE, "k8s: readme file '%.70s': needs a description",
                             f->name);
        if (f->what != NULL) {
            if (strlen(f->what) > 300)
                return error_set(err, ERR_USAGE,
                                 "k8s: readme file '%.70s': description longer than 300", f->name);
            for (const char *p = f->what; *p != '\0'; p++)
                if ((unsigned char)*p < ' ' || *p == 0x7f || *p == '`')
                    return error_set(err, ERR_USAGE,
                                     "k8s: readme file '%.70s': description with a control "
                                     "character or '`'",
                                     f->name);
        }
    }
    if (check_config_name(err, "config name", o->config_name) < 0 ||
        check_config_name(err, "mig config", o->mig_config) < 0)
        return -1;
    if (o->namespace != NULL && k8s_check_dns_label(err, "namespace", o->namespace) < 0)
        return -1;
    if (o->fleet_name != NULL && k8s_check_dns_label(err, "fleet name", o->fleet_name) < 0)
        return -1;
    return 0;
}

/* The first file of a kind, or NULL. */
static const struct k8s_readme_file *file_of(const struct k8s_readme_opts *o,
                                             enum k8s_file_kind kind)
{
    for (size_t i = 0; i < o->n_files; i++)
        if (o->files[i].kind == kind)
            return &o->files[i];
    return NULL;
}

/* Step n of the order of application for every file of this kind. */
static unsigned apply_steps(struct strbuf *b, const struct k8s_readme_opts *o, unsigned n,
                            enum k8s_file_kind kind, const char *ns)
{
    bool mig = o->mode == K8S_SHARE_MIG_SINGLE || o->mode == K8S_SHARE_MIG_MIXED;

    for (size_t i = 0; i < o->n_files; i++) {
        const char *f = o->files[i].name;

        if (o->files[i].kind != kind)
            continue;
        switch (kind) {
        case K8S_FILE_PLUGIN_CONFIGMAP:
        case K8S_FILE_MIG_CONFIGMAP:
            /* On a fresh cluster the namespace does not exist before a chart creates it. */
            strbuf_printf(
                b,
                "%u. `kubectl apply -f %s` (its namespace is in the file; create it first "
                "if no chart has yet: `kubectl create namespace NAMESPACE`).\n",
                ++n, f);
            break;
        case K8S_FILE_HELM_VALUES:
            strbuf_printf(
                b,
                "%u. Either the device plugin chart: `helm upgrade -i nvdp nvdp/nvidia-device-"
                "plugin -n nvidia-device-plugin --create-namespace -f %s`.\n",
                ++n, f);
            break;
        case K8S_FILE_OPERATOR_VALUES:
            strbuf_printf(
                b,
                "%u. Or, where the GPU Operator manages the plugin: `helm upgrade -i "
                "gpu-operator nvidia/gpu-operator -n gpu-operator --create-namespace -f %s` "
                "(use one of the two charts, not both).\n",
                ++n, f);
            break;
        case K8S_FILE_NODE_LABELS:
            /* Facts 1.6: the plugin's config-manager reloads on the label; facts 2.1:
             * mig-manager applies the named config and reports nvidia.com/mig.config.state. */
            strbuf_printf(
                b,
                "%u. Label the nodes: review and run `%s`. nvidia.com/device-plugin.config=%s "
                "selects the device plugin config",
                ++n, f, o->config_name != NULL ? o->config_name : "<config>");
            if (mig || o->mig_config != NULL)
                strbuf_printf(
                    b,
                    "; nvidia.com/mig.config=%s makes mig-manager repartition the GPUs, which "
                    "must be idle (watch nvidia.com/mig.config.state reach success)",
                    o->mig_config != NULL ? o->mig_config : "<config>");
            strbuf_printf(b, ".\n");
            break;
        case K8S_FILE_EXAMPLE:
            strbuf_printf(
                b,
                "%u. Once GPU Feature Discovery has relabelled the nodes (`kubectl get nodes -L "
                "nvidia.com/gpu.sharing-strategy -L nvidia.com/mig.strategy`): `kubectl apply "
                "-f %s`, then `kubectl logs -n %s deploy/<name>`, where nvidia-smi -L names the "
                "device the pod got.\n",
                ++n, f, ns);
            break;
        default:
            break;
        }
    }
    return n;
}

static void isolation_section(struct strbuf *b, enum k8s_share mode, bool fleet)
{
    strbuf_printf(b, "\n## What each mode isolates\n\n");
    if (fleet)
        strbuf_printf(b, "This directory deploys no sharing mode: the Job measures what each "
                         "would give on every node, for the choice below.\n\n");
    else
        strbuf_printf(b, "This directory deploys **%s**.\n\n", k8s_share_name(mode));
    strbuf_printf(b,
                  "- **timeslice** (device plugin `sharing.timeSlicing`): the GPU's processes take "
                  "turns. It isolates neither memory nor faults: \"each workload has access to the "
                  "GPU memory and runs in the same fault-domain\" (k8s-device-plugin README). One "
                  "pod can take all the memory, and one fault can end the others; a pod's latency "
                  "depends on what else runs.\n");
    strbuf_printf(
        b, "- **mps** (device plugin `sharing.mps`): processes run at once under one MPS "
           "daemon, which the plugin starts with equal fractions: each client is limited to "
           "1/replicas of the GPU memory and 100/replicas percent of the threads (SMs). These "
           "limits apply per CUDA client, not per pod: a pod that starts several CUDA "
           "processes gets that share for each of them, and a pod cannot get a larger share "
           "(CUDA_MPS_ACTIVE_THREAD_PERCENTAGE and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT in a pod "
           "can only lower it). It does not isolate faults: a fatal GPU fault is reported to "
           "every client on the GPU. Not available on MIG devices.\n");
    strbuf_printf(
        b, "- **mig-single** and **mig-mixed** (MIG, mig-manager): each pod gets a MIG "
           "instance. MIG isolates memory, SMs and faults per instance (and L2 and DRAM "
           "bandwidth with them); it does not share inside an instance unless time-slicing is "
           "added on top. Sizes are fixed by the profiles, and changing the layout needs idle "
           "GPUs.\n");
}

char *k8s_readme(struct error *err, const struct k8s_readme_opts *o)
{
    const char *ns = o->namespace != NULL ? o->namespace : K8S_DEFAULT_NAMESPACE;
    const char *job = o->fleet_name != NULL ? o->fleet_name : "gpushare-fleet";
    const struct k8s_readme_file *jobf, *dockerf;
    struct strbuf b = {0};
    bool fleet;
    char collect[768];
    unsigned n = 0;

    if (check_readme(err, o) < 0)
        return NULL;
    jobf = file_of(o, K8S_FILE_FLEET_JOB);
    dockerf = file_of(o, K8S_FILE_DOCKERFILE);
    // The fleet Job alone deploys no mode: it measures them.
    fleet = jobf != NULL && file_of(o, K8S_FILE_PLUGIN_CONFIGMAP) == NULL;
    if (fleet)
        strbuf_printf(&b, "# GPU sharing on Kubernetes: a benchmark of every GPU node\n\n");
    else
        strbuf_printf(&b, "# GPU sharing on Kubernetes: %s\n\n", k8s_share_name(o->mode));
    strbuf_printf(
        &b, "Written by `gpushare emit k8s`. The files use the NVIDIA device plugin (or the GPU "
            "Operator) and the node labels of GPU Feature Discovery.\n\n## Files\n\n");
    for (size_t i = 0; i < o->n_files; i++)
        strbuf_printf(&b, "- `%s`: %s.\n", o->files[i].name,
                      o->files[i].what != NULL ? o->files[i].what : kind_what[o->files[i].kind]);
    strbuf_printf(&b, "\n## Order of application\n\n");
    n = apply_steps(&b, o, n, K8S_FILE_PLUGIN_CONFIGMAP, ns);
    n = apply_steps(&b, o, n, K8S_FILE_HELM_VALUES, ns);
    n = apply_steps(&b, o, n, K8S_FILE_OPERATOR_VALUES, ns);
    n = apply_steps(&b, o, n, K8S_FILE_MIG_CONFIGMAP, ns);
    n = apply_steps(&b, o, n, K8S_FILE_NODE_LABELS, ns);
    n = apply_steps(&b, o, n, K8S_FILE_EXAMPLE, ns);
    if (n == 0)
        strbuf_printf(&b, "Nothing here changes the cluster's sharing mode.\n");
    if (file_of(o, K8S_FILE_MIG_CONFIGMAP) != NULL)
        strbuf_printf(&b,
                      "\nThe mig-manager ConfigMap goes in before the labels: with a custom "
                      "`migManager.config.name`, mig-manager reads it as "
                      "`/mig-parted-config/config.yaml`, and the label nvidia.com/mig.config names "
                      "the config to apply.\n");
    if (jobf != NULL || dockerf != NULL) {
        strbuf_printf(&b, "\n## Fleet benchmark\n\n");
        if (dockerf != NULL)
            strbuf_printf(
                &b,
                "1. Build and push the image from the repository root: `docker build -f %s "
                "--build-arg GIT_COMMIT=$(git rev-parse HEAD) -t REGISTRY/gpushare:TAG .` and "
                "`docker push REGISTRY/gpushare:TAG`; set the Job's image to it.\n",
                dockerf->name);
        if (jobf != NULL) {
            collect_command(collect, sizeof(collect), job, ns);
            strbuf_printf(
                &b,
                "%s `kubectl apply -f %s`. One pod per GPU node (required podAntiAffinity on "
                "kubernetes.io/hostname); each prints its results document on stdout.\n",
                dockerf != NULL ? "2." : "1.", jobf->name);
            strbuf_printf(
                &b,
                "%s Once the Job has finished (`kubectl get job -n %s %s`), collect one document "
                "per node:\n\n```sh\n%s\n```\n\n`kubectl logs -l "
                "job-name=%s` alone shows only the last 10 lines of 5 pods: add `--tail=-1 "
                "--max-log-requests=N`. The logs go with the pods when the Job is deleted "
                "(ttlSecondsAfterFinished).\n",
                dockerf != NULL ? "3." : "2.", ns, job, collect, job);
        }
    }
    isolation_section(&b, o->mode, fleet);
    return b.p;
}
