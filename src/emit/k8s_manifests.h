/*
 * Kubernetes files for `gpushare emit k8s` besides the device plugin's own config: an example
 * Deployment for one sharing mode, the mig-manager ConfigMap that carries a mig-parted config,
 * the fleet Job that runs `gpushare bench` on one pod per GPU node, the Dockerfile of the image
 * it runs, and the directory's README. Pure C, no CUDA. Facts cited as "facts N.N" are
 * sections of k8s-mig-facts.md (NVIDIA k8s-device-plugin, mig-parted, GPU Operator).
 *
 * YAML is written with libyaml's emitter, never assembled by hand. libyaml has no comment
 * event, so each YAML file opens with a '#' header written before the stream and keeps its
 * notes in metadata.annotations (gpushare.io/...), which survive `kubectl apply`.
 *
 * Every function checks its input first (names as DNS-1123 labels or subdomains, counts,
 * images) and returns a malloc'd NUL-terminated string the caller frees, or NULL with err set:
 * ERR_USAGE naming the field ("k8s: namespace 'Foo': ..."), ERR_INVALID if libyaml refuses.
 * Out of memory aborts, as everywhere in gpushare.
 */
#ifndef GPUSHARE_EMIT_K8S_MANIFESTS_H
#define GPUSHARE_EMIT_K8S_MANIFESTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Images: the example's default (CUDA base has nvidia-smi injected by the container toolkit,
 * nothing else needed) and the fleet image's build and runtime stages. */
#define K8S_DEFAULT_EXAMPLE_IMAGE "nvcr.io/nvidia/cuda:13.0.0-base-ubuntu24.04"
#define K8S_BUILD_IMAGE "nvidia/cuda:13.0.0-devel-ubuntu24.04"
#define K8S_RUNTIME_IMAGE "nvidia/cuda:13.0.0-runtime-ubuntu24.04"
#define K8S_DEFAULT_FLEET_IMAGE "gpushare:latest"
#define K8S_DEFAULT_NAMESPACE "default"
#define K8S_DEFAULT_CUDA_ARCHS "80 90" /* the Makefile's CUDA_ARCHS */

/* Limits of what the functions accept. */
#define K8S_MAX_REPLICAS 1000   /* example Deployment replicas */
#define K8S_MAX_NODES 1000      /* fleet Job pods (completions) */
#define K8S_MAX_GPUS_PER_POD 16 /* nvidia.com/gpu per fleet pod */
#define K8S_MAX_RETRIES 5       /* fleet Job backoffLimitPerIndex */
#define K8S_MAX_BENCH_ARGS 32   /* extra `gpushare bench` arguments */
#define K8S_MAX_TTL_S 2592000   /* ttlSecondsAfterFinished, 30 days */
#define K8S_DEFAULT_TTL_S 86400 /* one day to collect the logs */
#define K8S_DEFAULT_DEADLINE_S 7200
#define K8S_MAX_README_FILES 32

/* The sharing mode a directory deploys. */
enum k8s_share {
    K8S_SHARE_TIMESLICE = 0, /* sharing.timeSlicing (facts 1.3) */
    K8S_SHARE_MPS,           /* sharing.mps: the plugin's MPS control daemon (facts 1.4) */
    K8S_SHARE_MIG_SINGLE,    /* migStrategy single: every MIG device is nvidia.com/gpu */
    K8S_SHARE_MIG_MIXED,     /* migStrategy mixed: nvidia.com/mig-<profile> (facts 1.5) */
};
#define K8S_SHARE_COUNT 4

/* "timeslice", "mps", "mig-single", "mig-mixed"; "?" out of range. */
const char *k8s_share_name(enum k8s_share mode);

/* The inverse of k8s_share_name; ERR_USAGE naming the accepted words. */
int k8s_share_parse(struct error *err, const char *s, enum k8s_share *out);

/*
 * Name checks; field names the value in the message ("k8s: name 'X': ...").
 * DNS-1123 label: 1-63 of [a-z0-9-], alphanumeric at both ends (namespaces, Deployment and
 * Job names: a Job's name goes into its pods' job-name label, so it too is a label).
 * DNS-1123 subdomain: 1-253, dot-separated labels of [a-z0-9-] (ConfigMap names).
 * Label value: 0-63 of [A-Za-z0-9._-], alphanumeric at both ends (empty allowed).
 */
int k8s_check_dns_label(struct error *err, const char *field, const char *value);
int k8s_check_dns_subdomain(struct error *err, const char *field, const char *value);
int k8s_check_label_value(struct error *err, const char *field, const char *value);

/* The extended resource a pod of this mode requests (facts 1.5): "nvidia.com/gpu",
 * "nvidia.com/gpu.shared" (timeslice or mps with renamed), "nvidia.com/mig-<profile>" (mixed;
 * profile in mig-parted's grammar, without '+' attributes). Writes it to out. */
int k8s_share_resource(struct error *err, enum k8s_share mode, bool renamed,
                       const char *mig_profile, char *out, size_t size);

/* What the example Deployment is built from; NULL/0 means the default. Borrowed. */
struct k8s_example_opts {
    enum k8s_share mode;
    const char *name;        /* DNS label; default "gpushare-example-<mode>" */
    const char *namespace;   /* DNS label; default K8S_DEFAULT_NAMESPACE */
    unsigned replicas;       /* 1..K8S_MAX_REPLICAS; 0: 1 */
    const char *image;       /* default K8S_DEFAULT_EXAMPLE_IMAGE */
    bool renamed;            /* timeslice/mps: the plugin config has renameByDefault: true */
    const char *mig_profile; /* mig-mixed: required ("1g.10gb"); refused for other modes */
    const char *product;     /* optional nodeSelector nvidia.com/gpu.product (a label value):
                                the model as GFD writes it ("NVIDIA-H100-80GB-HBM3"); for
                                timeslice/mps without renamed, "-SHARED" is appended as GFD
                                does (facts 1.5) unless present; MIG modes use it verbatim
                                (single: "<model>-MIG-<profile>") */
    /* mps only, both optional: a client can only lower the daemon's values (facts 1.4). */
    const char *mps_thread_pct; /* CUDA_MPS_ACTIVE_THREAD_PERCENTAGE, "1".."100", 2 decimals */
    const char *mps_mem_limit;  /* CUDA_MPS_PINNED_DEVICE_MEM_LIMIT, "0=4G[,...]" */
    unsigned gpu_replicas;      /* optional: the plugin config's replicas per GPU (>= 2); with
                                   mps, a thread percentage above 100/replicas is refused */
};

/*
 * An apps/v1 Deployment whose container runs `nvidia-smi -L` then sleeps, with limits of
 * exactly 1 of the mode's resource (more than one shared replica is refused at admission with
 * UnexpectedAdmissionError, facts 1.3), cpu and memory, and allowPrivilegeEscalation false.
 * nodeSelector: nvidia.com/gpu.sharing-strategy time-slicing|mps, or nvidia.com/mig.strategy
 * single|mixed (GFD labels, facts 1.5), plus nvidia.com/gpu.product when given.
 */
char *k8s_example_deployment(struct error *err, const struct k8s_example_opts *o);

/*
 * A v1 ConfigMap `name` (DNS subdomain) in `namespace` (NULL: "gpu-operator") whose data key
 * "config.yaml" holds mig_parted_yaml (migparted_yaml(), emit/migparted.h) for the GPU
 * Operator's migManager.config.name (facts 2.1-2.2). mig_parted_yaml must be non-empty text;
 * it is not re-validated here.
 */
char *k8s_mig_manager_configmap(struct error *err, const char *name, const char *namespace,
                                const char *mig_parted_yaml);
#define K8S_MIG_MANAGER_NAMESPACE "gpu-operator"
#define K8S_MIG_MANAGER_KEY "config.yaml"

/* The fleet Job and its image. NULL/0 means the default. Borrowed. */
struct k8s_fleet_opts {
    const char *name;              /* DNS label; default "gpushare-fleet" */
    const char *namespace;         /* DNS label; default K8S_DEFAULT_NAMESPACE */
    const char *image;             /* default K8S_DEFAULT_FLEET_IMAGE */
    unsigned nodes;                /* pods, one per node; ignored when node_names given */
    const char *const *node_names; /* explicit kubernetes.io/hostname values, or NULL */
    size_t n_node_names;           /* 1..K8S_MAX_NODES when node_names != NULL */
    unsigned gpus_per_pod;         /* 1..K8S_MAX_GPUS_PER_POD; 0: 1 */
    const char *bench_mode;        /* streams|timeslice|mps|mig; default "streams" */
    const char *const *bench_args; /* extra arguments after `bench MODE --json` */
    size_t n_bench_args;           /* 0..K8S_MAX_BENCH_ARGS */
    unsigned retries;              /* backoffLimitPerIndex, 0..K8S_MAX_RETRIES */
    unsigned ttl_s;                /* ttlSecondsAfterFinished; 0: K8S_DEFAULT_TTL_S */
    unsigned deadline_s;           /* activeDeadlineSeconds; 0: K8S_DEFAULT_DEADLINE_S */
    const char *cuda_archs;        /* Dockerfile: CUDA_ARCHS; default "80 90" */
};

/*
 * A batch/v1 Job, completionMode Indexed, completions = parallelism = nodes (or the number of
 * node names), restartPolicy Never, backoffLimitPerIndex `retries` (one node's failure does not
 * stop the others), ttlSecondsAfterFinished and activeDeadlineSeconds. Each pod runs
 * `gpushare -q bench MODE --json ARGS...` (the results document on stdout), requests
 * nvidia.com/gpu: gpus_per_pod (which keeps it on GPU nodes), and keeps one pod per
 * node with a required podAntiAffinity on kubernetes.io/hostname against the Job's own pods; a
 * node list adds a required nodeAffinity on kubernetes.io/hostname In [names]. Node names are
 * label values and DNS subdomains, each at most once.
 */
char *k8s_fleet_job(struct error *err, const struct k8s_fleet_opts *o);

/* The Dockerfile of the fleet image (plain text): a build stage FROM K8S_BUILD_IMAGE running
 * `make build/gpushare CUDA_ARCHS=...` on the repository's Makefile and src/, a runtime stage
 * FROM K8S_RUNTIME_IMAGE (cuBLASLt, which gpushare dlopens) with ENTRYPOINT ["gpushare"].
 * Only cuda_archs is read (words of [0-9a-z], e.g. "80 90a"). */
char *k8s_fleet_dockerfile(struct error *err, const struct k8s_fleet_opts *o);

/* What a file of the directory is; the README's order of application follows this order. */
enum k8s_file_kind {
    K8S_FILE_PLUGIN_CONFIGMAP = 0, /* device plugin config as a ConfigMap (facts 1.6) */
    K8S_FILE_HELM_VALUES,          /* values for the nvidia-device-plugin chart */
    K8S_FILE_OPERATOR_VALUES,      /* values for the gpu-operator chart */
    K8S_FILE_NODE_LABELS,          /* a script of `kubectl label node` commands */
    K8S_FILE_MIG_CONFIGMAP,        /* k8s_mig_manager_configmap() */
    K8S_FILE_EXAMPLE,              /* k8s_example_deployment() */
    K8S_FILE_FLEET_JOB,            /* k8s_fleet_job() */
    K8S_FILE_DOCKERFILE,           /* k8s_fleet_dockerfile() */
    K8S_FILE_OTHER,                /* described only by `what` */
};

struct k8s_readme_file {
    enum k8s_file_kind kind;
    const char *name; /* path relative to DIR ("manifests/example.yaml"): '/'-separated parts
                         of [A-Za-z0-9._-], none empty, "." or "..", at most 100 characters */
    const char *what; /* optional one-line description; NULL: the kind's own (required for
                         K8S_FILE_OTHER); printable, no newline or backquote */
};

struct k8s_readme_opts {
    enum k8s_share mode;
    const struct k8s_readme_file *files; /* 1..K8S_MAX_README_FILES, each name at most once */
    size_t n_files;
    const char *config_name; /* optional: the device plugin config key that the label
                                nvidia.com/device-plugin.config selects (a label value) */
    const char *mig_config;  /* optional: the mig-parted config name that the label
                                nvidia.com/mig.config selects (a label value) */
    const char *namespace;   /* optional: where the example and fleet Job go (DNS label) */
    const char *fleet_name;  /* optional: the fleet Job's name, for the collect command */
};

/*
 * README.md for the directory (Markdown): the mode deployed, what each file is, what to apply
 * in which order, how to collect the fleet results, and what every mode isolates and does not
 * (time-slicing: neither memory nor faults; MPS: limits per CUDA client, not per pod, equal
 * fractions 1/replicas; MIG: memory, SMs and faults per instance).
 */
char *k8s_readme(struct error *err, const struct k8s_readme_opts *o);

#endif
