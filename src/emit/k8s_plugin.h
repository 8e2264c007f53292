/*
 * NVIDIA k8s-device-plugin output: the plugin's config file (sharing by time-slicing or MPS,
 * the MIG strategy), the ConfigMap and Helm values that deliver it, GPU Operator values and
 * the node-labelling script that selects it. Pure C, no CUDA. Every rule the plugin enforces
 * is checked here first, each refusal naming the rule and where the plugin states it; the facts
 * are k8s-mig-facts.md section 1 ("facts 1.3" below is its section 1.3), read from
 * NVIDIA/k8s-device-plugin v0.20.0 (api/config/v1, cmd/nvidia-device-plugin/main.go).
 *
 * YAML is written and read with libyaml, never assembled by hand.
 */
#ifndef GPUSHARE_EMIT_K8S_PLUGIN_H
#define GPUSHARE_EMIT_K8S_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* A config name is a ConfigMap key and the value of the node label
 * nvidia.com/device-plugin.config (facts 1.6), so a Kubernetes label value: 1 to 63 characters
 * of [A-Za-z0-9._-], beginning and ending with a letter or digit. */
#define K8S_DP_NAME_MAX 63
/* A full resource name ("nvidia.com/gpu") is at most 63 characters (facts 1.3, resources.go
 * NewResourceName). */
#define K8S_DP_RESOURCE_MAX 63
/* Resources of one config that gpushare models. */
#define K8S_DP_MAX_RESOURCES 8
/* The prefix the plugin adds to a resource name that lacks it (facts 1.3). */
#define K8S_DP_PREFIX "nvidia.com/"
/* The Helm chart's default for mps.root (facts 1.2), written into the chart's values. */
#define K8S_DP_MPS_ROOT "/run/nvidia/mps"

/* sharing.timeSlicing, sharing.mps, or no sharing block. One kind per config: "Time-slicing
 * and MPS are mutually exclusive" (plugin README, facts 1.3). Prefixed K8S_DP_ so as not to
 * clash with emit/k8s_manifests.h, whose enum k8s_share holds the CLI's deployment modes. */
enum k8s_dp_sharing {
    K8S_DP_SHARE_NONE = 0,
    K8S_DP_SHARE_TIMESLICING,
    K8S_DP_SHARE_MPS,
};

/* flags.migStrategy (facts 1.2). */
enum k8s_mig_strategy {
    K8S_MIG_NONE = 0,
    K8S_MIG_SINGLE,
    K8S_MIG_MIXED,
};

struct k8s_dp_resource {
    char name[K8S_DP_RESOURCE_MAX + 1]; /* "nvidia.com/gpu", "mig-1g.10gb": the prefix is added
                                           where absent (k8s_dp_normalize) */
    unsigned replicas;                  /* >= 2 */
};

/*
 * One named device-plugin config. What the file holds beyond this (flags other than
 * migStrategy, imex, resources[].devices and .rename, which the plugin resets at run time,
 * facts 1.3) is not modelled, and k8s_dp_parse refuses it.
 */
struct k8s_dp_config {
    char name[K8S_DP_NAME_MAX + 1]; /* the ConfigMap key; not written into the file itself */
    enum k8s_dp_sharing sharing;
    enum k8s_mig_strategy mig_strategy;
    bool rename_by_default; /* resources advertised as <name>.shared; false without sharing */
    /* failRequestsGreaterThanOne: -1 not set, 0 false, 1 true. Not set means true for both
     * kinds (k8s_dp_normalize): for MPS the plugin forces true when it is omitted (v0.20.0
     * NewConfig) and always enforced it before v0.20.0; for time-slicing the README recommends
     * true: a pod asking for 2 replicas gets two time slots, which may lie on one GPU, not two
     * GPUs (facts section 5, rows 4 and 8). Explicit false for MPS is honoured from v0.20.0
     * only. Must be -1 without sharing. */
    int fail_requests_gt_one;
    struct k8s_dp_resource resources[K8S_DP_MAX_RESOURCES];
    size_t n_resources; /* 0 without sharing, else 1 to K8S_DP_MAX_RESOURCES */
};

/* "none", "single" or "mixed"; NULL for a value out of range. */
const char *k8s_mig_strategy_name(enum k8s_mig_strategy s);

/* ERR_USAGE unless value is a Kubernetes label value of 1 to 63 characters (see
 * K8S_DP_NAME_MAX); what names the value in the message ("config name"). */
int k8s_label_value_check(struct error *err, const char *what, const char *value);

/*
 * Puts cfg in the form the file reads back as: the nvidia.com/ prefix on every resource name
 * that lacks it (where it fits) and, with sharing, failRequestsGreaterThanOne resolved to 1
 * when not set. Checks nothing. k8s_dp_yaml writes what this gives, so
 * k8s_dp_parse(k8s_dp_yaml(c)) equals k8s_dp_normalize(c) (name aside).
 */
void k8s_dp_normalize(struct k8s_dp_config *cfg);

/*
 * 0 if cfg is a config the device plugin accepts and honours, else -1 with ERR_USAGE and a
 * message naming the rule and its source. The rules (facts 1.2, 1.3):
 *  - the name is a label value (K8S_DP_NAME_MAX);
 *  - without sharing: no resources, renameByDefault false, failRequestsGreaterThanOne not set;
 *  - with sharing: 1 to K8S_DP_MAX_RESOURCES resources, each named (the prefix added where
 *    absent), the full name <= 63 characters with a DNS subdomain after the prefix, replicas
 *    >= 2, no name twice;
 *  - time-slicing: nvidia.com/gpu or nvidia.com/mig-<g>g.<mem>gb only, mig-* only with
 *    migStrategy mixed (plugin README);
 *  - MPS: nvidia.com/gpu only, and migStrategy none: mixed is refused by the plugin's
 *    validateFlags, and single is refused here because it exists to advertise MIG devices as
 *    nvidia.com/gpu, which MPS cannot share ("sharing using MPS is not supported for MIG
 *    devices", internal/plugin/mps.go).
 */
int k8s_dp_check(struct error *err, const struct k8s_dp_config *cfg)
    __attribute__((warn_unused_result));

/* Whether a and b hold the same config (fields compared, not bytes). */
bool k8s_dp_equal(const struct k8s_dp_config *a, const struct k8s_dp_config *b);

/*
 * The config file: version: v1, flags: {migStrategy}, and with sharing
 * sharing: {timeSlicing|mps: {renameByDefault, failRequestsGreaterThanOne, resources: [{name,
 * replicas}]}}, after a comment header. k8s_dp_check first (normalized, see k8s_dp_normalize).
 *
 * flags.mpsRoot is not written: the plugin reads a command-line flag before an environment
 * variable before the file (facts 1.2), and the Helm chart passes its value mps.root (default
 * /run/nvidia/mps) to the plugin and mounts that same host path in the MPS control daemon, so a
 * root in the file would be overridden or, worse, disagree with the daemon's. The root goes in
 * the Helm values (k8s_dp_helm_values); the GPU Operator sets it itself.
 *
 * A malloc'd NUL-terminated string, or NULL with err set (ERR_USAGE for a rule).
 */
char *k8s_dp_yaml(struct error *err, const struct k8s_dp_config *cfg);

/*
 * Reads a device-plugin config file into *out: version (required, "v1"), flags (migStrategy
 * only) and sharing (timeSlicing or mps, not both). Refuses unknown keys, wrong types (only
 * plain true/false for booleans, plain decimal integers for replicas, as the plugin's JSON
 * decoding under sigs.k8s.io/yaml requires) and every rule of k8s_dp_check. A missing version
 * is refused although the plugin reads it as v1 (facts 1.1): gpushare's files always state it.
 * Resource names get the nvidia.com/ prefix where absent, as the plugin adds it; a
 * failRequestsGreaterThanOne the file omits stays -1 (the plugin then allows requests > 1 under
 * time-slicing and refuses them under MPS; k8s_dp_yaml would write true). One YAML document.
 * out->name is "" (the name is the ConfigMap key, not in the file); the caller sets it.
 * 0, or -1 with ERR_INVALID and "'FILE' line N: ..."; *out is then zeroed.
 */
int k8s_dp_parse(struct error *err, const char *buf, size_t len, const char *file,
                 struct k8s_dp_config *out) __attribute__((warn_unused_result));

/*
 * A v1 ConfigMap `name` in `namespace` whose data holds one key per config, the config's file
 * as a literal block string: the object the plugin chart's config.name and the GPU Operator's
 * devicePlugin.config.name point at (facts 1.6). name: a DNS subdomain of <= 253 characters;
 * namespace: a DNS label of <= 63; configs: 1 or more, each checked, names distinct. Keys in
 * the order given. A malloc'd string, or NULL with err set.
 */
char *k8s_dp_configmap(struct error *err, const char *name, const char *namespace,
                       const struct k8s_dp_config *configs, size_t n);

/*
 * Values for the nvidia-device-plugin Helm chart: config.map {name: file}, config.default, and
 * mps.root (K8S_DP_MPS_ROOT) when any config shares by MPS (see k8s_dp_yaml). default_name
 * must name one of the configs; NULL is taken as the only config's name when there is one, or
 * "default" when a config has that name (the chart's own fallback, facts 1.6); otherwise the
 * deployment would fail and it is refused. The legacy top-level values (migStrategy, ...) are
 * not written: they would override the files (facts 1.6). A malloc'd string, or NULL.
 */
char *k8s_dp_helm_values(struct error *err, const struct k8s_dp_config *configs, size_t n,
                         const char *default_name);

/*
 * GPU Operator Helm values: devicePlugin.config.{name, default}, migManager.config.name when
 * mig_configmap_name is not NULL, and mig.strategy (facts 1.6, 2.2; the chart's default is
 * single). default_name may be NULL (the plugin's fallbacks apply). mig.strategy is the
 * cluster's MIG strategy for the operator's components; keep every file's migStrategy equal to
 * it (k8s_dp_check_strategy). A malloc'd string, or NULL with err set.
 */
char *k8s_operator_values(struct error *err, const char *configmap_name, const char *default_name,
                          const char *mig_configmap_name, enum k8s_mig_strategy mig_strategy);

/* ERR_USAGE unless every config's migStrategy is s. Where the deployment also sets the strategy
 * (the operator's mig.strategy, the chart's legacy migStrategy), a file that says otherwise is
 * overridden (flag, then environment, then file: facts 1.2) or disagrees with the rest of the
 * cluster; either way the file would not mean what it says. */
int k8s_dp_check_strategy(struct error *err, const struct k8s_dp_config *configs, size_t n,
                          enum k8s_mig_strategy s);

/*
 * A bash script that labels the nodes named on its command line
 * nvidia.com/device-plugin.config=<config_name> (and nvidia.com/mig.config=<mig_config> when
 * not NULL; facts 1.6, 2.1) with kubectl --overwrite; usage message and exit 2 with no node.
 * Both names are checked as label values. Written by gpushare, never run by it. A malloc'd
 * string, or NULL with err set.
 */
char *k8s_label_script(struct error *err, const char *config_name, const char *mig_config);

#endif
