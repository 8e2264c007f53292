/*
 * NVIDIA device-plugin config, its ConfigMap, Helm and GPU Operator values, and the node-label
 * script (emit/k8s_plugin.h). Every rule below cites where the plugin states it; the facts are
 * k8s-mig-facts.md section 1 (NVIDIA/k8s-device-plugin v0.20.0).
 */
#include "emit/k8s_plugin.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/str.h"
#include "core/xalloc.h"
#include "core/yamlr.h"
#include "emit/yamlw.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* No resource at fault: the rule is about the whole config. */
#define NO_RESOURCE SIZE_MAX

static const char *const strategy_names[] = {"none", "single", "mixed"};

const char *k8s_mig_strategy_name(enum k8s_mig_strategy s)
{
    return (unsigned)s < COUNT(strategy_names) ? strategy_names[s] : NULL;
}

/* ---- Names ---------------------------------------------------------------------------- */

int k8s_label_value_check(struct error *err, const char *what, const char *value)
{
    size_t len = strlen(value);

    // Kubernetes label values (apimachinery IsValidLabelValue): <= 63 characters of
    // [A-Za-z0-9._-], alphanumeric at both ends. The config name is the value of
    // nvidia.com/device-plugin.config (facts 1.6).
    if (len == 0 || len > K8S_DP_NAME_MAX)
        return error_set(err, ERR_USAGE,
                         "%s of %zu characters: a Kubernetes label value has 1 to %d", what, len,
                         K8S_DP_NAME_MAX);
    if (!isalnum((unsigned char)value[0]) || !isalnum((unsigned char)value[len - 1]))
        return error_set(err, ERR_USAGE,
                         "%s '%.63s': a Kubernetes label value begins and ends with a letter or "
                         "digit",
                         what, value);
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)value[i]) && strchr("._-", value[i]) == NULL)
            return error_set(err, ERR_USAGE,
                             "%s '%.63s': a Kubernetes label value holds only letters, digits, "
                             "'.', '_' and '-'",
                             what, value);
    return 0;
}

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, len bytes of s. */
static bool dns_label(const char *s, size_t len)
{
    if (len == 0 || len > 63 || !lower_alnum(s[0]) || !lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* RFC 1123 subdomain (apimachinery IsDNS1123Subdomain): <= 253 characters, labels joined by
 * '.'. */
static bool dns_subdomain(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 253)
        return false;
    for (const char *p = s;;) {
        size_t k = strcspn(p, ".");

        if (!dns_label(p, k))
            return false;
        if (p[k] == '\0')
            return true;
        p += k + 1;
    }
}

/* Object names (ConfigMaps) are DNS subdomains, namespaces DNS labels (Kubernetes). */
static int check_object_name(struct error *err, const char *what, const char *name, bool label)
{
    if (name == NULL || (label ? !dns_label(name, strlen(name)) : !dns_subdomain(name)))
        return error_set(err, ERR_USAGE,
                         "%s '%.63s': Kubernetes wants a DNS %s: lowercase letters, digits, '-'%s, "
                         "alphanumeric at both ends, at most %d characters",
                         what, name != NULL ? name : "", label ? "label" : "subdomain",
                         label ? "" : " and '.'", label ? 63 : 253);
    return 0;
}

/* The resource's full name, nvidia.com/ added where absent, as the plugin does
 * (resources.go NewResourceName, facts 1.3); it may not fit in a resource name. */
static void full_name(const char *name, char *out, size_t size)
{
    if (strncmp(name, K8S_DP_PREFIX, strlen(K8S_DP_PREFIX)) == 0)
        str_printf(out, size, "%s", name);
    else
        str_printf(out, size, "%s%s", K8S_DP_PREFIX, name);
}

/* nvidia.com/mig-<g>g.<mem>gb: the mixed strategy's resources (plugin README, facts 1.3). */
static bool mig_resource(const char *full)
{
    const char *p = full + strlen(K8S_DP_PREFIX);
    size_t k;

    if (strncmp(p, "mig-", 4) != 0)
        return false;
    p += 4;
    if ((k = strspn(p, "0123456789")) == 0 || strncmp(p + k, "g.", 2) != 0)
        return false;
    p += k + 2;
    if ((k = strspn(p, "0123456789")) == 0)
        return false;
    return strcmp(p + k, "gb") == 0;
}

void k8s_dp_normalize(struct k8s_dp_config *cfg)
{
    char full[2 * sizeof(cfg->resources[0].name)];

    for (size_t i = 0; i < cfg->n_resources && i < K8S_DP_MAX_RESOURCES; i++) {
        struct k8s_dp_resource *r = &cfg->resources[i];

        full_name(r->name, full, sizeof(full));
        if (r->name[0] != '\0' && strlen(full) < sizeof(r->name))
            str_printf(r->name, sizeof(r->name), "%s", full);
    }
    if (cfg->sharing != K8S_DP_SHARE_NONE && cfg->fail_requests_gt_one < 0)
        cfg->fail_requests_gt_one = 1;
}

/* ---- The rules ------------------------------------------------------------------------ */

/* One resource's own rules (facts 1.3); full is its full name. */
static int check_resource(struct error *err, const struct k8s_dp_config *cfg,
                          const struct k8s_dp_resource *r, const char *full)
{
    const char *strategy = k8s_mig_strategy_name(cfg->mig_strategy);

    if (r->name[0] == '\0')
        return error_set(err, ERR_USAGE,
                         "no resource name specified: every resource needs a name "
                         "(api/config/v1/replicas.go)");
    if (strlen(full) > K8S_DP_RESOURCE_MAX)
        return error_set(err, ERR_USAGE,
                         "resource name '%.40s...' of %zu characters with its prefix: the device "
                         "plugin allows %d (api/config/v1/resources.go)",
                         full, strlen(full), K8S_DP_RESOURCE_MAX);
    if (!dns_subdomain(full + strlen(K8S_DP_PREFIX)))
        return error_set(err, ERR_USAGE,
                         "resource name '%.40s': the part after nvidia.com/ must be a DNS "
                         "subdomain, [a-z0-9.-] alphanumeric at both ends "
                         "(api/config/v1/resources.go)",
                         full);
    if (r->replicas < 2)
        return error_set(err, ERR_USAGE,
                         "replicas %u for %s: the device plugin requires replicas >= 2 "
                         "(api/config/v1/replicas.go); to turn sharing off, leave sharing out",
                         r->replicas, full);
    if (cfg->sharing == K8S_DP_SHARE_MPS && strcmp(full, "nvidia.com/gpu") != 0)
        return error_set(err, ERR_USAGE,
                         "sharing %s by MPS: MPS shares only nvidia.com/gpu, full GPUs, and is not "
                         "supported on devices with MIG enabled (plugin README)",
                         full);
    if (cfg->sharing == K8S_DP_SHARE_TIMESLICING && strcmp(full, "nvidia.com/gpu") != 0 &&
        !mig_resource(full))
        return error_set(err, ERR_USAGE,
                         "time-slicing %s: only nvidia.com/gpu and nvidia.com/mig-<g>g.<mem>gb "
                         "can be time-sliced (plugin README)",
                         full);
    if (cfg->sharing == K8S_DP_SHARE_TIMESLICING && mig_resource(full) &&
        cfg->mig_strategy != K8S_MIG_MIXED)
        return error_set(err, ERR_USAGE,
                         "time-slicing %s with migStrategy %s: mig-* resources exist only with "
                         "migStrategy mixed (plugin README)",
                         full, strategy);
    return 0;
}

/* The config-wide rules and each resource's; *bad says which resource broke one (NO_RESOURCE
 * for the config as a whole). The name is checked only when check_name. */
static int check_config(struct error *err, const struct k8s_dp_config *cfg, bool check_name,
                        size_t *bad)
{
    char full[K8S_DP_MAX_RESOURCES][2 * sizeof(cfg->resources[0].name)];

    *bad = NO_RESOURCE;
    if (check_name && k8s_label_value_check(err, "config name", cfg->name) < 0)
        return -1;
    if (k8s_mig_strategy_name(cfg->mig_strategy) == NULL)
        return error_set(err, ERR_USAGE,
                         "migStrategy %d: expected none, single or mixed (api/config/v1/flags.go)",
                         (int)cfg->mig_strategy);
    if (cfg->fail_requests_gt_one < -1 || cfg->fail_requests_gt_one > 1)
        return error_set(err, ERR_USAGE, "failRequestsGreaterThanOne %d: expected -1, 0 or 1",
                         cfg->fail_requests_gt_one);
    switch (cfg->sharing) {
    case K8S_DP_SHARE_NONE:
        // Resources, renameByDefault and failRequestsGreaterThanOne are fields of
        // sharing.timeSlicing and sharing.mps (sharing.go, replicas.go): with no sharing
        // block they would be dropped without a word.
        if (cfg->n_resources > 0 || cfg->rename_by_default || cfg->fail_requests_gt_one >= 0)
            return error_set(err, ERR_USAGE,
                             "resources, renameByDefault or failRequestsGreaterThanOne without "
                             "sharing: they belong to sharing.timeSlicing or sharing.mps "
                             "(api/config/v1/sharing.go)");
        return 0;
    case K8S_DP_SHARE_TIMESLICING:
        break;
    case K8S_DP_SHARE_MPS:
        // Refused by the plugin at start (facts 1.3).
        if (cfg->mig_strategy == K8S_MIG_MIXED)
            return error_set(
                err, ERR_USAGE,
                "sharing by MPS with migStrategy mixed: 'using --mig-strategy=mixed is not "
                "supported with MPS' (cmd/nvidia-device-plugin/main.go)");
        // Not refused at start, but single exists to advertise MIG devices as nvidia.com/gpu,
        // and the plugin refuses to share a MIG device with MPS (facts 1.3); on a node
        // without MIG, single serves full GPUs exactly as none does.
        if (cfg->mig_strategy == K8S_MIG_SINGLE)
            return error_set(
                err, ERR_USAGE,
                "sharing by MPS with migStrategy single: 'sharing using MPS is not supported "
                "for MIG devices' (internal/plugin/mps.go); use migStrategy none");
        break;
    default:
        return error_set(err, ERR_USAGE,
                         "sharing kind %d: expected none, time-slicing or MPS, one per config "
                         "(plugin README)",
                         (int)cfg->sharing);
    }
    if (cfg->n_resources == 0)
        return error_set(err, ERR_USAGE,
                         "no resources specified: sharing needs at least one resource "
                         "(api/config/v1/replicas.go)");
    if (cfg->n_resources > K8S_DP_MAX_RESOURCES)
        return error_set(err, ERR_USAGE, "%zu resources: gpushare models at most %d per config",
                         cfg->n_resources, K8S_DP_MAX_RESOURCES);
    for (size_t i = 0; i < cfg->n_resources; i++) {
        *bad = i;
        full_name(cfg->resources[i].name, full[i], sizeof(full[i]));
        if (check_resource(err, cfg, &cfg->resources[i], full[i]) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(full[i], full[j]) == 0)
                return error_set(err, ERR_USAGE,
                                 "resource %s named twice: each resource is listed once, so its "
                                 "replica count is not ambiguous (gpushare)",
                                 full[i]);
    }
    *bad = NO_RESOURCE;
    return 0;
}

int k8s_dp_check(struct error *err, const struct k8s_dp_config *cfg)
{
    size_t bad;

    return check_config(err, cfg, true, &bad);
}

bool k8s_dp_equal(const struct k8s_dp_config *a, const struct k8s_dp_config *b)
{
    if (strcmp(a->name, b->name) != 0 || a->sharing != b->sharing ||
        a->mig_strategy != b->mig_strategy || a->rename_by_default != b->rename_by_default ||
        a->fail_requests_gt_one != b->fail_requests_gt_one || a->n_resources != b->n_resources ||
        a->n_resources > K8S_DP_MAX_RESOURCES)
        return false;
    for (size_t i = 0; i < a->n_resources; i++)
        if (strcmp(a->resources[i].name, b->resources[i].name) != 0 ||
            a->resources[i].replicas != b->resources[i].replicas)
            return false;
    return true;
}

int k8s_dp_check_strategy(struct error *err, const struct k8s_dp_config *configs, size_t n,
                          enum k8s_mig_strategy s)
{
    for (size_t i = 0; i < n; i++)
        if (configs[i].mig_strategy != s)
            return error_set(err, ERR_USAGE,
                             "config '%.63s' has migStrategy %s but the deployment sets %s: a flag "
                             "or environment variable overrides the file (NewConfig, plugin "
                             "README)",
                             configs[i].name,
                             k8s_mig_strategy_name(configs[i].mig_strategy) != NULL
                                 ? k8s_mig_strategy_name(configs[i].mig_strategy)
                                 : "?",
                             k8s_mig_strategy_name(s) != NULL ? k8s_mig_strategy_name(s) : "?");
    return 0;
}

/* ---- Writing: libyaml's emitter ------------------------------------------------------- */

/* Would a YAML 1.1 reader (go-yaml v2 under sigs.k8s.io/yaml, which Kubernetes, Helm and the
 * plugin use) resolve this plain scalar to a bool, a null or a number? A config named "on" or
 * "1e3" is then double-quoted so it stays a string. A wide net, as in emit/migparted.c. */
static bool yaml11_not_string(const char *s)
{
    static const char *const words[] = {"",    "~",    "y",     "n",    "yes",  "no",  "on",
                                        "off", "true", "false", "null", ".inf", ".nan"};
    char low[64];
    size_t i;

    for (i = 0; s[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    for (i = 0; i < COUNT(words); i++)
        if (strcmp(low, words[i]) == 0)
            return true;
    return strchr("0123456789+-.", low[0]) != NULL &&
           strspn(low, "0123456789abcdefox_.:+-") == strlen(low);
}

/* A scalar, plain unless style says otherwise. Untagged, so an explicit style needs
 * quoted_implicit set (libyaml refuses an event with neither tag nor implicit flag). */
static int scalar_styled(yaml_emitter_t *e, const char *v, yaml_scalar_style_t style)
{
    bool plain = style == YAML_PLAIN_SCALAR_STYLE;

    return yamlw_scalar(e, v, style, plain, !plain);
}

/* A word the emitter writes itself (keys, true, numbers): plain. */
static int word(yaml_emitter_t *e, const char *v)
{
    return scalar_styled(e, v, YAML_PLAIN_SCALAR_STYLE);
}

/* A string from outside (names): plain unless YAML 1.1 would read it as something else. */
static int string(yaml_emitter_t *e, const char *v)
{
    return scalar_styled(
        e, v, yaml11_not_string(v) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
}

/* key: value, both plain words. */
static int pair(yaml_emitter_t *e, const char *k, const char *v)
{
    return word(e, k) < 0 ? -1 : word(e, v);
}

/* A writer: a document built by fn, after the comment head (may be ""). */
typedef int (*doc_fn)(yaml_emitter_t *e, const void *arg);

static char *write_yaml(struct error *err, const char *what, const char *head, doc_fn fn,
                        const void *arg)
{
    yaml_emitter_t e;
    struct strbuf b = {0};
    int rc;

    // A comment is not an event: it goes before the stream.
    yamlw_init(&e, &b, head);
    rc = yamlw_stream_start(&e);
    rc = rc < 0 ? rc : yamlw_doc_start(&e);
    rc = rc < 0 ? rc : fn(&e, arg);
    rc = rc < 0 ? rc : yamlw_doc_end(&e);
    rc = rc < 0 ? rc : yamlw_stream_end(&e);
    if (rc < 0)
        error_set(err, ERR_INVALID, "cannot write the %s: %s", what, yamlw_problem(&e));
    return yamlw_finish(&e, &b, rc == 0);
}

static int emit_resources(yaml_emitter_t *e, const struct k8s_dp_config *c)
{
    char num[16];

    if (word(e, "resources") < 0 || yamlw_seq_open(e, YAML_BLOCK_SEQUENCE_STYLE) < 0)
        return -1;
    for (size_t i = 0; i < c->n_resources; i++) {
        str_printf(num, sizeof(num), "%u", c->resources[i].replicas);
        if (yamlw_map_open(e) < 0 || word(e, "name") < 0 || string(e, c->resources[i].name) < 0 ||
            pair(e, "replicas", num) < 0 || yamlw_map_close(e) < 0)
            return -1;
    }
    return yamlw_seq_close(e);
}

/* The config's document; c is normalized and checked. */
static int emit_config(yaml_emitter_t *e, const void *arg)
{
    const struct k8s_dp_config *c = arg;

    if (yamlw_map_open(e) < 0 || pair(e, "version", "v1") < 0 || word(e, "flags") < 0 ||
        yamlw_map_open(e) < 0 ||
        pair(e, "migStrategy", k8s_mig_strategy_name(c->mig_strategy)) < 0 ||
        yamlw_map_close(e) < 0)
        return -1;
    if (c->sharing != K8S_DP_SHARE_NONE &&
        (word(e, "sharing") < 0 || yamlw_map_open(e) < 0 ||
         word(e, c->sharing == K8S_DP_SHARE_MPS ? "mps" : "timeSlicing") < 0 ||
         yamlw_map_open(e) < 0 ||
         pair(e, "renameByDefault", c->rename_by_default ? "true" : "false") < 0 ||
         pair(e, "failRequestsGreaterThanOne", c->fail_requests_gt_one ? "true" : "false") < 0 ||
         emit_resources(e, c) < 0 || yamlw_map_close(e) < 0 || yamlw_map_close(e) < 0))
        return -1;
    return yamlw_map_close(e);
}

/* The checked, normalized copy of cfg in *c. */
static int prepare(struct error *err, const struct k8s_dp_config *cfg, struct k8s_dp_config *c)
{
    *c = *cfg;
    if (c->n_resources > K8S_DP_MAX_RESOURCES)
        return error_set(err, ERR_USAGE, "%zu resources: gpushare models at most %d per config",
                         c->n_resources, K8S_DP_MAX_RESOURCES);
    k8s_dp_normalize(c);
    return k8s_dp_check(err, c);
}

/* The file without its comment head: the value of a ConfigMap key. */
static char *config_body(struct error *err, const struct k8s_dp_config *cfg)
{
    struct k8s_dp_config c;

    if (prepare(err, cfg, &c) < 0)
        return NULL;
    return write_yaml(err, "device-plugin config", "", emit_config, &c);
}

char *k8s_dp_yaml(struct error *err, const struct k8s_dp_config *cfg)
{
    struct k8s_dp_config c;
    struct strbuf head = {0};
    char *s;

    if (prepare(err, cfg, &c) < 0)
        return NULL;
    strbuf_printf(&head,
                  "# NVIDIA device-plugin config '%s', written by gpushare for k8s-device-plugin "
                  "v0.20.0.\n# A node uses it once labelled nvidia.com/device-plugin.config=%s.\n",
                  c.name, c.name);
    if (c.sharing == K8S_DP_SHARE_TIMESLICING && c.fail_requests_gt_one)
        strbuf_printf(
            &head, "# failRequestsGreaterThanOne is true, as the plugin README recommends: a "
                   "pod asking for 2\n# replicas gets two time slots, perhaps of one GPU, not two "
                   "GPUs.\n");
    if (c.sharing == K8S_DP_SHARE_MPS)
        strbuf_printf(&head,
                      "# MPS: the plugin needs mpsRoot; the Helm chart gives it from mps.root "
                      "(default " K8S_DP_MPS_ROOT "),\n# which also places the MPS control "
                      "daemon, so it is not set here.\n");
    s = write_yaml(err, "device-plugin config", head.p, emit_config, &c);
    free(head.p);
    return s;
}

/* ---- Reading: libyaml's document API -------------------------------------------------- */

/* A string to the plugin's decoder: a scalar that YAML 1.1 does not read as a bool, null or
 * number when plain (a number would not decode into a Go string). */
static const char *string_of(const yaml_node_t *n)
{
    const char *t = yamlr_text(n);

    // A NUL inside ("gpu\0x", written "gpu\x00x") would cut the name short without a word.
    if (t == NULL || (yamlr_plain(n) && yaml11_not_string(t)) || strlen(t) != n->data.scalar.length)
        return NULL;
    return t;
}

static int read_bool(struct yamlr *r, yaml_node_t *v, const char *key, bool *out)
{
    // Plain true or false only: a quoted "true" is a string to the plugin's JSON decoder.
    if (yamlr_plain(v) && strcmp(yamlr_text(v), "true") == 0)
        *out = true;
    else if (yamlr_plain(v) && strcmp(yamlr_text(v), "false") == 0)
        *out = false;
    else
        return yamlr_fail(r, v, "%s: expected true or false", key);
    return 0;
}

/* The map's pairs, each key a string seen once; else the line of the offending key. */
static int check_keys(struct yamlr *r, yaml_node_t *m, const char *what)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return yamlr_fail(r, m, "%s: expected a map", what);
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));

        if (k == NULL)
            return yamlr_fail(r, yamlr_node(r, p->key), "%s: a key is not a string", what);
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++)
            if (strcmp(yamlr_text(yamlr_node(r, q->key)), k) == 0)
                return yamlr_fail(r, yamlr_node(r, p->key), "%s: field '%.40s' given twice", what,
                                  k);
    }
    return 0;
}

static int read_resource(struct yamlr *r, yaml_node_t *m, struct k8s_dp_resource *res)
{
    bool have_name = false, have_replicas = false;

    if (check_keys(r, m, "resources[]") < 0)
        return -1;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        yaml_node_t *v = yamlr_node(r, p->value);

        if (strcmp(k, "name") == 0) {
            const char *t = string_of(v);

            if (t == NULL)
                return yamlr_fail(r, v, "resources[].name: expected a string");
            // Longer would be cut; the rule is the same one k8s_dp_check states.
            if (strlen(t) > K8S_DP_RESOURCE_MAX)
                return yamlr_fail(r, v,
                                  "resource name '%.40s...' of %zu characters: the device plugin "
                                  "allows %d (api/config/v1/resources.go)",
                                  t, strlen(t), K8S_DP_RESOURCE_MAX);
            str_printf(res->name, sizeof(res->name), "%s", t);
            have_name = true;
        } else if (strcmp(k, "replicas") == 0) {
            const char *t = yamlr_text(v);
            char *end;
            unsigned long x;

            // A plain decimal integer: the plugin decodes replicas as a Go int.
            if (!yamlr_plain(v) || t[0] < '0' || t[0] > '9' || strspn(t, "0123456789") != strlen(t))
                return yamlr_fail(r, v, "resources[].replicas: expected an integer");
            x = strtoul(t, &end, 10);
            if (x > UINT_MAX || strlen(t) > 10)
                return yamlr_fail(r, v, "resources[].replicas: %.20s is out of range", t);
            res->replicas = (unsigned)x;
            have_replicas = true;
        } else {
            return yamlr_fail(r, yamlr_node(r, p->key),
                              "resources[]: unexpected field '%.40s' (gpushare reads name and "
                              "replicas; the plugin resets devices and rename at run time)",
                              k);
        }
    }
    if (!have_name)
        return yamlr_fail(r, m, "no resource name specified (api/config/v1/replicas.go)");
    if (!have_replicas)
        return yamlr_fail(r, m, "no replicas specified (api/config/v1/replicas.go)");
    return 0;
}

/* sharing.timeSlicing or sharing.mps; lines[] gets each resource's line for the rules. */
static int read_replicated(struct yamlr *r, yaml_node_t *m, const char *what,
                           struct k8s_dp_config *out, yaml_node_t **res_nodes)
{
    bool have_resources = false;

    if (check_keys(r, m, what) < 0)
        return -1;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        yaml_node_t *v = yamlr_node(r, p->value);

        if (strcmp(k, "renameByDefault") == 0) {
            if (read_bool(r, v, k, &out->rename_by_default) < 0)
                return -1;
        } else if (strcmp(k, "failRequestsGreaterThanOne") == 0) {
            bool b;

            if (read_bool(r, v, k, &b) < 0)
                return -1;
            out->fail_requests_gt_one = b;
        } else if (strcmp(k, "resources") == 0) {
            yaml_node_item_t *it;

            if (v->type != YAML_SEQUENCE_NODE && !(yamlr_plain(v) && yamlr_text(v)[0] == '\0'))
                return yamlr_fail(r, v, "resources: expected a list");
            have_resources = true;
            if (v->type != YAML_SEQUENCE_NODE)
                continue; // null: no resources, refused below
            for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                if (out->n_resources == K8S_DP_MAX_RESOURCES)
                    return yamlr_fail(r, yamlr_node(r, *it),
                                      "more than %d resources: gpushare models "
                                      "at most %d per config",
                                      K8S_DP_MAX_RESOURCES, K8S_DP_MAX_RESOURCES);
                res_nodes[out->n_resources] = yamlr_node(r, *it);
                if (read_resource(r, yamlr_node(r, *it), &out->resources[out->n_resources]) < 0)
                    return -1;
                out->n_resources++;
            }
        } else {
            return yamlr_fail(r, yamlr_node(r, p->key), "%s: unexpected field '%.40s'", what, k);
        }
    }
    if (!have_resources || out->n_resources == 0)
        return yamlr_fail(r, m,
                          "no resources specified: sharing needs at least one resource "
                          "(api/config/v1/replicas.go)");
    return 0;
}

static int read_sharing(struct yamlr *r, yaml_node_t *m, struct k8s_dp_config *out,
                        yaml_node_t **res_nodes, yaml_node_t **kind)
{
    if (check_keys(r, m, "sharing") < 0)
        return -1;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        bool ts = strcmp(k, "timeSlicing") == 0, mps = strcmp(k, "mps") == 0;

        if (!ts && !mps)
            return yamlr_fail(r, yamlr_node(r, p->key),
                              "sharing: unexpected field '%.40s' (timeSlicing or mps)", k);
        if (out->sharing != K8S_DP_SHARE_NONE)
            return yamlr_fail(r, yamlr_node(r, p->key),
                              "sharing: timeSlicing and mps in one config: they are mutually "
                              "exclusive (plugin README)");
        out->sharing = ts ? K8S_DP_SHARE_TIMESLICING : K8S_DP_SHARE_MPS;
        *kind = yamlr_node(r, p->key);
        if (read_replicated(r, yamlr_node(r, p->value), ts ? "sharing.timeSlicing" : "sharing.mps",
                            out, res_nodes) < 0)
            return -1;
    }
    return 0;
}

static int read_flags(struct yamlr *r, yaml_node_t *m, struct k8s_dp_config *out)
{
    if (check_keys(r, m, "flags") < 0)
        return -1;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        const char *v = string_of(yamlr_node(r, p->value));
        size_t s;

        if (strcmp(k, "migStrategy") != 0)
            return yamlr_fail(r, yamlr_node(r, p->key),
                              "flags: field '%.40s' is not handled by gpushare (migStrategy only; "
                              "mpsRoot comes from the Helm value mps.root)",
                              k);
        for (s = 0; v != NULL && s < COUNT(strategy_names); s++)
            if (strcmp(v, strategy_names[s]) == 0)
                break;
        if (v == NULL || s == COUNT(strategy_names))
            return yamlr_fail(r, yamlr_node(r, p->value),
                              "flags.migStrategy: unknown MIG strategy, expected none, single or "
                              "mixed (api/config/v1/flags.go)");
        out->mig_strategy = (enum k8s_mig_strategy)s;
    }
    return 0;
}

static int read_top(struct yamlr *r, struct k8s_dp_config *out)
{
    yaml_node_t *root = yamlr_root(r), *kind = NULL;
    yaml_node_t *res_nodes[K8S_DP_MAX_RESOURCES] = {NULL};
    const char *version = NULL;
    size_t bad;
    int rc = 0;

    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return yamlr_fail(r, root, "expected a map with version, flags and sharing");
    if (check_keys(r, root, "config") < 0)
        return -1;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         rc == 0 && p < root->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        yaml_node_t *v = yamlr_node(r, p->value);

        if (strcmp(k, "version") == 0) {
            if ((version = string_of(v)) == NULL || strcmp(version, "v1") != 0)
                rc = yamlr_fail(r, v,
                                "version: unknown version, expected v1 (api/config/v1/config.go)");
        } else if (strcmp(k, "flags") == 0) {
            rc = read_flags(r, v, out);
        } else if (strcmp(k, "sharing") == 0) {
            rc = read_sharing(r, v, out, res_nodes, &kind);
        } else {
            rc = yamlr_fail(r, yamlr_node(r, p->key),
                            "unexpected field '%.40s' (gpushare reads version, flags and sharing)",
                            k);
        }
    }
    if (rc < 0)
        return -1;
    if (version == NULL)
        return yamlr_fail(r, root, "version: missing; gpushare requires version: v1 to be stated");
    // The plugin adds the prefix itself (resources.go); so does the reader, so the rules see
    // full names and the result equals what the emitter was given, normalized.
    for (size_t i = 0; i < out->n_resources; i++) {
        char full[2 * sizeof(out->resources[0].name)];

        full_name(out->resources[i].name, full, sizeof(full));
        if (strlen(full) < sizeof(out->resources[i].name))
            str_printf(out->resources[i].name, sizeof(out->resources[i].name), "%s", full);
    }
    if (check_config(r->err, out, false, &bad) < 0) {
        char msg[sizeof(r->err->msg)];

        memcpy(msg, r->err->msg, sizeof(msg));
        return yamlr_fail(r,
                          bad != NO_RESOURCE ? res_nodes[bad]
                          : kind != NULL     ? kind
                                             : root,
                          "%s", msg);
    }
    return 0;
}

int k8s_dp_parse(struct error *err, const char *buf, size_t len, const char *file,
                 struct k8s_dp_config *out)
{
    struct yamlr r;
    int rc;

    memset(out, 0, sizeof(*out));
    out->fail_requests_gt_one = -1;
    // One document: a second would be a config the plugin never reads.
    if (yamlr_load(&r, err, buf, len, file) < 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    rc = read_top(&r, out);
    yamlr_done(&r);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- ConfigMap and Helm values -------------------------------------------------------- */

/* Configs with their files (without comment heads), ready to write. */
struct bodies {
    const struct k8s_dp_config *configs;
    size_t n;
    char **text;
};

static void free_bodies(struct bodies *b)
{
    for (size_t i = 0; b->text != NULL && i < b->n; i++)
        free(b->text[i]);
    free(b->text);
    b->text = NULL;
}

/* Each config checked and written; names distinct (they are keys of one map). */
static int make_bodies(struct error *err, const struct k8s_dp_config *configs, size_t n,
                       struct bodies *b)
{
    b->configs = configs;
    b->n = n;
    b->text = NULL;
    if (n == 0)
        return error_set(err, ERR_USAGE, "no device-plugin config to write");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(configs[i].name, configs[j].name) == 0)
                return error_set(err, ERR_USAGE,
                                 "config '%.63s' named twice: each is one key of the ConfigMap",
                                 configs[i].name);
    b->text = xcalloc(n, sizeof(b->text[0]));
    for (size_t i = 0; i < n; i++)
        if ((b->text[i] = config_body(err, &configs[i])) == NULL) {
            free_bodies(b);
            return -1;
        }
    return 0;
}

/* name: |\n  <file>, one per config: ConfigMap data and the chart's config.map alike. */
static int emit_bodies(yaml_emitter_t *e, const struct bodies *b)
{
    if (yamlw_map_open(e) < 0)
        return -1;
    for (size_t i = 0; i < b->n; i++)
        if (string(e, b->configs[i].name) < 0 ||
            scalar_styled(e, b->text[i], YAML_LITERAL_SCALAR_STYLE) < 0)
            return -1;
    return yamlw_map_close(e);
}

struct configmap_args {
    const char *name, *namespace;
    const struct bodies *b;
};

static int emit_configmap(yaml_emitter_t *e, const void *arg)
{
    const struct configmap_args *a = arg;

    if (yamlw_map_open(e) < 0 || pair(e, "apiVersion", "v1") < 0 ||
        pair(e, "kind", "ConfigMap") < 0 || word(e, "metadata") < 0 || yamlw_map_open(e) < 0 ||
        word(e, "name") < 0 || string(e, a->name) < 0 || word(e, "namespace") < 0 ||
        string(e, a->namespace) < 0 || yamlw_map_close(e) < 0 || word(e, "data") < 0 ||
        emit_bodies(e, a->b) < 0)
        return -1;
    return yamlw_map_close(e);
}

char *k8s_dp_configmap(struct error *err, const char *name, const char *namespace,
                       const struct k8s_dp_config *configs, size_t n)
{
    struct configmap_args a = {.name = name, .namespace = namespace};
    struct bodies b;
    char *s;

    if (check_object_name(err, "the ConfigMap's name", name, false) < 0 ||
        check_object_name(err, "namespace", namespace, true) < 0 ||
        make_bodies(err, configs, n, &b) < 0)
        return NULL;
    a.b = &b;
    s = write_yaml(err, "ConfigMap",
                   "# NVIDIA device-plugin configs, written by gpushare. The plugin chart's "
                   "config.name (or the GPU\n# Operator's devicePlugin.config.name) names this "
                   "ConfigMap; a node picks a key with the label\n"
                   "# nvidia.com/device-plugin.config=KEY.\n",
                   emit_configmap, &a);
    free_bodies(&b);
    return s;
}

struct helm_args {
    const struct bodies *b;
    const char *default_name;
    bool mps;
};

static int emit_helm(yaml_emitter_t *e, const void *arg)
{
    const struct helm_args *a = arg;

    if (yamlw_map_open(e) < 0 || word(e, "config") < 0 || yamlw_map_open(e) < 0 ||
        word(e, "map") < 0 || emit_bodies(e, a->b) < 0 || word(e, "default") < 0 ||
        string(e, a->default_name) < 0 || yamlw_map_close(e) < 0)
        return -1;
    if (a->mps && (word(e, "mps") < 0 || yamlw_map_open(e) < 0 || word(e, "root") < 0 ||
                   string(e, K8S_DP_MPS_ROOT) < 0 || yamlw_map_close(e) < 0))
        return -1;
    /* GPU Feature Discovery is off in the chart by default, yet it sets the labels the MPS
     * control daemon's DaemonSet (nvidia.com/mps.capable) and the examples' nodeSelectors
     * (nvidia.com/gpu.sharing-strategy, nvidia.com/mig.strategy) need (facts 1.4, 1.5). */
    if (word(e, "gfd") < 0 || yamlw_map_open(e) < 0 || word(e, "enabled") < 0 ||
        word(e, "true") < 0 || yamlw_map_close(e) < 0)
        return -1;
    return yamlw_map_close(e);
}

char *k8s_dp_helm_values(struct error *err, const struct k8s_dp_config *configs, size_t n,
                         const char *default_name)
{
    struct helm_args a = {.default_name = default_name};
    struct bodies b;
    bool found = false;
    char *s;

    if (make_bodies(err, configs, n, &b) < 0)
        return NULL;
    // The chart's fallbacks (facts 1.6): a key named "default", else the only config.
    for (size_t i = 0; a.default_name == NULL && i < n; i++)
        if (strcmp(configs[i].name, "default") == 0)
            a.default_name = configs[i].name;
    if (a.default_name == NULL && n == 1)
        a.default_name = configs[0].name;
    for (size_t i = 0; a.default_name != NULL && i < n; i++) {
        found |= strcmp(configs[i].name, a.default_name) == 0;
        a.mps |= configs[i].sharing == K8S_DP_SHARE_MPS;
    }
    if (!found) {
        free_bodies(&b);
        if (a.default_name == NULL)
            error_set(err, ERR_USAGE,
                      "%zu configs and no default: with no config.default, no key named "
                      "'default' and more than one config the chart fails (plugin README)",
                      n);
        else
            error_set(err, ERR_USAGE, "default config '%.63s' is not one of the configs",
                      a.default_name);
        return NULL;
    }
    a.b = &b;
    s = write_yaml(err, "Helm values",
                   "# Values for the nvidia-device-plugin Helm chart, written by gpushare: the "
                   "configs, the default\n# one, and for MPS the root the plugin and its MPS "
                   "control daemon share. The legacy values\n# (migStrategy, failOnInitError, "
                   "...) are left unset: they would override the files.\n",
                   emit_helm, &a);
    free_bodies(&b);
    return s;
}

struct operator_args {
    const char *configmap, *default_name, *mig_configmap, *strategy;
};

static int emit_operator(yaml_emitter_t *e, const void *arg)
{
    const struct operator_args *a = arg;

    if (yamlw_map_open(e) < 0 || word(e, "devicePlugin") < 0 || yamlw_map_open(e) < 0 ||
        word(e, "config") < 0 || yamlw_map_open(e) < 0 || word(e, "name") < 0 ||
        string(e, a->configmap) < 0)
        return -1;
    if (a->default_name != NULL && (word(e, "default") < 0 || string(e, a->default_name) < 0))
        return -1;
    if (yamlw_map_close(e) < 0 || yamlw_map_close(e) < 0)
        return -1;
    if (a->mig_configmap != NULL &&
        (word(e, "migManager") < 0 || yamlw_map_open(e) < 0 || word(e, "config") < 0 ||
         yamlw_map_open(e) < 0 || word(e, "name") < 0 || string(e, a->mig_configmap) < 0 ||
         yamlw_map_close(e) < 0 || yamlw_map_close(e) < 0))
        return -1;
    if (word(e, "mig") < 0 || yamlw_map_open(e) < 0 || pair(e, "strategy", a->strategy) < 0 ||
        yamlw_map_close(e) < 0)
        return -1;
    return yamlw_map_close(e);
}

char *k8s_operator_values(struct error *err, const char *configmap_name, const char *default_name,
                          const char *mig_configmap_name, enum k8s_mig_strategy mig_strategy)
{
    struct operator_args a = {.configmap = configmap_name,
                              .default_name = default_name,
                              .mig_configmap = mig_configmap_name,
                              .strategy = k8s_mig_strategy_name(mig_strategy)};

    if (check_object_name(err, "the ConfigMap's name", configmap_name, false) < 0 ||
        (default_name != NULL && k8s_label_value_check(err, "default config", default_name) < 0) ||
        (mig_configmap_name != NULL &&
         check_object_name(err, "the mig-parted ConfigMap's name", mig_configmap_name, false) < 0))
        return NULL;
    if (a.strategy == NULL) {
        error_set(err, ERR_USAGE, "mig.strategy %d: expected none, single or mixed",
                  (int)mig_strategy);
        return NULL;
    }
    return write_yaml(err, "GPU Operator values",
                      "# GPU Operator Helm values, written by gpushare: the device-plugin "
                      "ConfigMap (ClusterPolicy\n# spec.devicePlugin.config), the mig-parted "
                      "ConfigMap when given, and the cluster's MIG\n# strategy, which every "
                      "device-plugin config in the ConfigMap states as well.\n",
                      emit_operator, &a);
}

/* ---- The node-label script ------------------------------------------------------------ */

char *k8s_label_script(struct error *err, const char *config_name, const char *mig_config)
{
    struct strbuf b = {0};

    // Label values only: [A-Za-z0-9._-], nothing the shell would read, so written bare.
    if (k8s_label_value_check(err, "config name", config_name) < 0 ||
        (mig_config != NULL &&
         k8s_label_value_check(err, "mig-parted config name", mig_config) < 0))
        return NULL;
    strbuf_printf(&b,
                  "#!/usr/bin/env bash\n# Labels every node named as an argument to use the NVIDIA "
                  "device-plugin config\n# '%s'",
                  config_name);
    if (mig_config != NULL)
        strbuf_printf(&b, " and the mig-parted config '%s'", mig_config);
    strbuf_printf(&b, ". The plugin's config-manager reloads the plugin");
    if (mig_config != NULL)
        strbuf_printf(&b,
                      ";\n# mig-manager repartitions the GPUs first, pausing the node's GPU pods "
                      "(watch the label\n# nvidia.com/mig.config.state)");
    strbuf_printf(&b,
                  ".\n# Written by gpushare, which never runs it. Usage: %s.sh NODE...\n"
                  "set -euo pipefail\n\n"
                  "if [[ $# -eq 0 ]]; then\n"
                  "    echo \"usage: $0 NODE...\" >&2\n"
                  "    exit 2\n"
                  "fi\n"
                  "for NODE in \"$@\"; do\n"
                  "    kubectl label node \"$NODE\" nvidia.com/device-plugin.config=%s",
                  config_name, config_name);
    if (mig_config != NULL)
        strbuf_printf(&b, " \\\n        nvidia.com/mig.config=%s", mig_config);
    strbuf_printf(&b, " --overwrite\ndone\n");
    return b.p;
}
