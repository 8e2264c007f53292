/*
 * mig-parted output for a MIG layout: the config file NVIDIA's mig-parted and the GPU
 * Operator's mig-manager apply, the equivalent nvidia-smi commands (printed for the user,
 * never run by gpushare), and the node label that selects the config. Schema and rules:
 * NVIDIA/mig-parted api/spec/v1/spec.go, as summarised in k8s-mig-facts.md section 2.1.
 *
 * YAML is written and read with libyaml, never assembled by hand.
 */
#ifndef GPUSHARE_EMIT_MIGPARTED_H
#define GPUSHARE_EMIT_MIGPARTED_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "mig/catalog.h"
#include "mig/geometry.h"

/* A label value: at most 63 characters of [A-Za-z0-9._-] (Kubernetes), so the config name
 * can go in nvidia.com/mig.config=<name>. */
#define MIGPARTED_NAME_MAX 63

/* One entry of a named config, as mig-parted reads it. */
struct migparted_entry {
    char device_filter[4][16]; /* "0x233010DE"; none: every GPU */
    size_t n_filters;
    bool all_devices;     /* devices: all (else a list of indexes) */
    unsigned devices[16]; /* when !all_devices */
    size_t n_devices;
    bool mig_enabled;
    struct {
        char profile[32];
        unsigned count;
    } mig_devices[MIG_MAX_PROFILES];
    size_t n_mig_devices;
};

/* The default config name for a layout: "gpushare-3g.40gb-2g.20gb-1g.10gbx2", '+' as '.'
 * (mig-parted's own naming, builder.go normalizeProfileName). */
void migparted_default_name(const struct mig_layout *l, char *out, size_t size);

/* ERR_USAGE unless name is a valid label value (see MIGPARTED_NAME_MAX). */
int migparted_check_name(struct error *err, const char *name);

/*
 * The config: version v1, mig-configs with `name` holding one entry for every GPU of the
 * layout's model (device-filter by PCI device ID, devices: all, mig-enabled: true,
 * mig-devices: profile -> count). A malloc'd NUL-terminated string, or NULL with err set.
 */
char *migparted_yaml(struct error *err, const struct mig_layout *l, const char *name);

/*
 * Reads a mig-parted config and returns the entries of config `name` (at most max). Enforces
 * mig-parted's rules: version "v1", no unknown keys, a non-empty entry list, `devices` "all"
 * or a list of indexes, `mig-enabled` required, `mig-devices` required when enabled and
 * absent or empty when not, counts >= 0 and not all 0, profile names in mig-parted's grammar.
 * Errors name the file and line ("'cfg.yaml' line 7: ...").
 */
int migparted_parse(struct error *err, const char *buf, size_t len, const char *file,
                    const char *name, struct migparted_entry *out, size_t max, size_t *n);

/* The nvidia-smi commands that create the layout on one GPU, as a bash script. */
char *migparted_script(const struct mig_layout *l, const char *name);

#endif
