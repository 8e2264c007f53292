/*
 * struct gpu_info <-> the "info" member of the results document (docs/results.md). Writing
 * maps absent fields to null; reading is strict (exact keys, types, ranges, sizes), because
 * the planner sizes MIG layouts and MPS limits from what it reads here.
 */
#include "results/info_json.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "gpu/pcie.h"

/* Versions are "major.minor" with major in [1, INFO_VERSION_MAJOR_MAX], minor in [0, 99]. */
#define INFO_VERSION_MAJOR_MAX 9999

/* ---- writing ---- */

/* uint64 fields are stored as JSON integers (int64); nothing real comes near the limit. */
static json_t *info_uint(uint64_t v)
{
    return js_must(json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

static json_t *info_opt_uint(bool has, uint64_t v)
{
    return has ? info_uint(v) : js_must(json_null());
}

/* A fixed char field, cut to what the reader accepts should it lack its terminator. */
static json_t *info_text(const char *s, size_t cap, bool null_if_empty)
{
    char buf[256];
    size_t n = strnlen(s, cap < sizeof(buf) ? cap - 1 : sizeof(buf) - 1);

    memcpy(buf, s, n);
    buf[n] = '\0';
    if (n == 0 && null_if_empty)
        return js_must(json_null());
    return js_string(buf);
}

#define INFO_TEXT(field, null_if_empty) info_text((field), sizeof(field), (null_if_empty))

const char *mig_mode_name(bool enabled)
{
    return enabled ? "Enabled" : "Disabled";
}

static json_t *info_mode(bool has, bool enabled)
{
    return js_must(has ? json_string(mig_mode_name(enabled)) : json_null());
}

static json_t *info_version(int major, int minor)
{
    char buf[32];

    if (major < 1 || major > INFO_VERSION_MAJOR_MAX || minor < 0 || minor > 99)
        return js_must(json_null());
    snprintf(buf, sizeof(buf), "%d.%d", major, minor);
    return js_must(json_string(buf));
}

/* CUDA encodes 13.0 as 13000 and 12.8 as 12080. */
static json_t *info_cuda_version(int v)
{
    if (v <= 0)
        return js_must(json_null());
    return info_version(v / 1000, (v % 1000) / 10);
}

static json_t *info_pcie_json(const struct pcie_info *p)
{
    json_t *o = js_must(json_object());
    json_t *gbps = NULL;

    js_set(o, "gen_current", info_opt_uint(p->has_gen_current, p->gen_current));
    js_set(o, "gen_max", info_opt_uint(p->has_gen_max, p->gen_max));
    js_set(o, "width_current", info_opt_uint(p->has_width_current, p->width_current));
    js_set(o, "width_max", info_opt_uint(p->has_width_max, p->width_max));
    if (p->has_gen_max && p->has_width_max)
        gbps = js_real(pcie_gbps_per_direction(p->gen_max, p->width_max));
    js_set(o, "max_gbps_per_direction", gbps ? gbps : json_null());
    return o;
}

static json_t *info_profile_json(const struct mig_gi_profile *p)
{
    json_t *o = js_must(json_object());
    json_t *pl = js_must(json_array());
    unsigned n = p->n_placements < INFO_MAX_PLACEMENTS ? p->n_placements : INFO_MAX_PLACEMENTS;

    js_set(o, "profile_index", info_uint(p->index));
    js_set(o, "id", info_uint(p->id));
    js_set(o, "name", INFO_TEXT(p->name, false));
    js_set(o, "slices", info_uint(p->slices));
    js_set(o, "instances", info_uint(p->instances));
    js_set(o, "sms", info_uint(p->sms));
    js_set(o, "copy_engines", info_uint(p->copy_engines));
    js_set(o, "decoders", info_uint(p->decoders));
    js_set(o, "encoders", info_uint(p->encoders));
    js_set(o, "jpegs", info_uint(p->jpegs));
    js_set(o, "ofas", info_uint(p->ofas));
    js_set(o, "memory_mib", info_uint(p->memory_mib));
    for (unsigned i = 0; i < n; i++) {
        json_t *e = js_must(json_object());

        js_set(e, "start", info_uint(p->placements[i].start));
        js_set(e, "size", info_uint(p->placements[i].size));
        js_append(pl, e);
    }
    js_set(o, "placements", pl);
    return o;
}

static json_t *info_mig_json(const struct mig_info *m)
{
    json_t *o = js_must(json_object());
    json_t *profiles = js_must(json_array());
    unsigned n = m->n_profiles < INFO_MAX_MIG_PROFILES ? m->n_profiles : INFO_MAX_MIG_PROFILES;

    js_set(o, "supported", json_boolean(m->supported));
    js_set(o, "current", info_mode(m->has_mode, m->current_enabled));
    js_set(o, "pending", info_mode(m->has_mode, m->pending_enabled));
    for (unsigned i = 0; i < n; i++)
        js_append(profiles, info_profile_json(&m->profiles[i]));
    js_set(o, "gpu_instance_profiles", profiles);
    return o;
}

static json_t *info_mps_json(const struct mps_probe_result *m)
{
    json_t *o = js_must(json_object());

    js_set(o, "pipe_dir", INFO_TEXT(m->pipe_dir, false));
    js_set(o, "answers", json_boolean(m->answers));
    js_set(o, "daemon_pid",
           m->has_pid && m->daemon_pid > 0 ? js_must(json_integer(m->daemon_pid))
                                           : js_must(json_null()));
    js_set(o, "detail", INFO_TEXT(m->detail, false));
    return o;
}

json_t *gpu_info_to_json(const struct gpu_info *info)
{
    json_t *o, *prio;

    if (info == NULL)
        return js_must(json_null());
    o = js_must(json_object());
    js_set(o, "device_index",
           js_must(json_integer(info->device_index < 0 ? 0 : info->device_index)));
    js_set(o, "name", INFO_TEXT(info->name, true));
    js_set(o, "uuid", INFO_TEXT(info->uuid, true));
    js_set(o, "pci_bus_id", INFO_TEXT(info->pci_bus_id, true));
    js_set(o, "driver_version", INFO_TEXT(info->driver_version, true));
    js_set(o, "cuda_driver_version", info_cuda_version(info->cuda_driver_version));
    js_set(o, "cuda_runtime_version", info_cuda_version(info->cuda_runtime_version));
    js_set(o, "compute_capability", info_version(info->cc_major, info->cc_minor));
    js_set(o, "sm_count", info_uint(info->sm_count));
    js_set(o, "memory_total_bytes", info_opt_uint(info->has_memory, info->memory_total_bytes));
    js_set(o, "memory_free_bytes", info_opt_uint(info->has_memory, info->memory_free_bytes));
    js_set(o, "l2_bytes", info_uint(info->l2_bytes));
    js_set(o, "copy_engines", info_uint(info->copy_engines));
    js_set(o, "max_threads_per_sm", info_uint(info->max_threads_per_sm));
    js_set(o, "smem_per_sm_bytes", info_uint(info->smem_per_sm_bytes));
    js_set(o, "smem_per_block_optin_bytes", info_uint(info->smem_per_block_optin_bytes));
    prio = js_must(json_object());
    js_set(prio, "least", js_must(json_integer(info->priority_least)));
    js_set(prio, "greatest", js_must(json_integer(info->priority_greatest)));
    js_set(o, "stream_priority_range", prio);
    js_set(o, "pcie", info_pcie_json(&info->pcie));
    js_set(o, "compute_mode",
           info->has_compute_mode ? INFO_TEXT(info->compute_mode, false) : js_must(json_null()));
    js_set(o, "persistence_mode", info_mode(info->has_persistence, info->persistence_enabled));
    js_set(o, "mig", info_mig_json(&info->mig));
    js_set(o, "mps", info_mps_json(&info->mps));
    return o;
}

/* ---- reading ---- */

/* The member key of obj at path base, of one of types; NULL with err set otherwise. */
static const json_t *info_get(struct error *err, const json_t *obj, const char *base,
                              const char *key, unsigned types)
{
    const json_t *v = json_object_get(obj, key);

    if (v == NULL) {
        error_set(err, ERR_INVALID, "missing \"%s.%s\"", base, key);
        return NULL;
    }
    if ((jtype_of(v) & types) == 0) {
        error_set(err, ERR_INVALID, "\"%s.%s\" must be %s, not %s", base, key, jtype_text(types),
                  jtype_text(jtype_of(v)));
        return NULL;
    }
    return v;
}

static int info_object(struct error *err, const json_t *v, const char *path,
                       const char *const *keys)
{
    const char *k;
    json_t *m;

    if (!json_is_object(v))
        return error_set(err, ERR_INVALID, "\"%s\" must be an object, not %s", path,
                         jtype_text(jtype_of(v)));
    json_object_foreach ((json_t *)v, k, m) {
        size_t i;

        for (i = 0; keys[i] != NULL && strcmp(keys[i], k) != 0; i++)
            ;
        if (keys[i] == NULL)
            return error_set(err, ERR_INVALID, "unknown key \"%s.%s\"", path, k);
    }
    return 0;
}

/* An integer in [min, max]; null allowed when has is not NULL (then *has says which). */
static int info_int(struct error *err, const json_t *obj, const char *base, const char *key,
                    long long min, long long max, bool *has, long long *out)
{
    const json_t *v = info_get(err, obj, base, key, JT_INTEGER | (has ? JT_NULL : 0));
    long long x;

    *out = 0;
    if (v == NULL)
        return -1;
    if (has != NULL)
        *has = !json_is_null(v);
    if (json_is_null(v))
        return 0;
    x = json_integer_value(v);
    if (x < min || x > max)
        return error_set(err, ERR_INVALID, "\"%s.%s\" is %lld, out of range [%lld, %lld]", base,
                         key, x, min, max);
    *out = x;
    return 0;
}

static int info_uint_field(struct error *err, const json_t *obj, const char *base, const char *key,
                           unsigned *out)
{
    long long x;

    if (info_int(err, obj, base, key, 0, UINT_MAX, NULL, &x) < 0)
        return -1;
    *out = (unsigned)x;
    return 0;
}

static int info_u64_field(struct error *err, const json_t *obj, const char *base, const char *key,
                          bool *has, uint64_t *out)
{
    long long x;

    if (info_int(err, obj, base, key, 0, INT64_MAX, has, &x) < 0)
        return -1;
    *out = (uint64_t)x;
    return 0;
}

/* A string that must fit dst with its terminator; null allowed when has is not NULL. */
static int info_str(struct error *err, const json_t *obj, const char *base, const char *key,
                    char *dst, size_t cap, bool *has)
{
    const json_t *v = info_get(err, obj, base, key, JT_STRING | (has ? JT_NULL : 0));
    size_t len;

    dst[0] = '\0';
    if (v == NULL)
        return -1;
    if (has != NULL)
        *has = !json_is_null(v);
    if (json_is_null(v))
        return 0;
    len = json_string_length(v);
    if (len >= cap)
        return error_set(err, ERR_INVALID, "\"%s.%s\" is longer than %zu bytes", base, key,
                         cap - 1);
    if (memchr(json_string_value(v), '\0', len) != NULL)
        return error_set(err, ERR_INVALID, "\"%s.%s\" contains a NUL byte", base, key);
    memcpy(dst, json_string_value(v), len + 1);
    return 0;
}

static int info_mode_field(struct error *err, const json_t *obj, const char *base, const char *key,
                           bool *has, bool *enabled)
{
    const json_t *v = info_get(err, obj, base, key, JT_STRING | JT_NULL);
    const char *s;

    *has = false;
    *enabled = false;
    if (v == NULL)
        return -1;
    if (json_is_null(v))
        return 0;
    s = json_string_value(v);
    if (strcmp(s, "Enabled") != 0 && strcmp(s, "Disabled") != 0)
        return error_set(err, ERR_INVALID,
                         "\"%s.%s\" must be \"Enabled\", \"Disabled\" or null, not \"%s\"", base,
                         key, s);
    *has = true;
    *enabled = strcmp(s, "Enabled") == 0;
    return 0;
}

/* Reads "major.minor" (null: 0, 0) with the bounds info_version() writes. */
static int info_version_field(struct error *err, const json_t *obj, const char *base,
                              const char *key, int *major, int *minor)
{
    const json_t *v = info_get(err, obj, base, key, JT_STRING | JT_NULL);
    const char *s, *p;
    long ma = 0, mi = 0;
    int digits;

    *major = 0;
    *minor = 0;
    if (v == NULL)
        return -1;
    if (json_is_null(v))
        return 0;
    s = json_string_value(v);
    p = s;
    for (digits = 0; *p >= '0' && *p <= '9' && digits < 5; p++, digits++)
        ma = ma * 10 + (*p - '0');
    if (digits == 0 || *p != '.')
        goto bad;
    for (p++, digits = 0; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
        mi = mi * 10 + (*p - '0');
    if (digits == 0 || *p != '\0' || ma < 1 || ma > INFO_VERSION_MAJOR_MAX || mi > 99)
        goto bad;
    *major = (int)ma;
    *minor = (int)mi;
    return 0;
bad:
    return error_set(err, ERR_INVALID,
                     "\"%s.%s\" is \"%s\", not a version \"major.minor\" (1-%d, 0-99) or null",
                     base, key, s, INFO_VERSION_MAJOR_MAX);
}

static int info_pcie_from(struct error *err, const json_t *j, struct pcie_info *p)
{
    static const char *const keys[] = {
        "gen_current", "gen_max", "width_current", "width_max", "max_gbps_per_direction", NULL};
    static const char *const base = "info.pcie";
    long long x;
    const json_t *v;

    if (info_object(err, j, base, keys) < 0)
        return -1;
    if (info_int(err, j, base, "gen_current", 0, UINT_MAX, &p->has_gen_current, &x) < 0)
        return -1;
    p->gen_current = (unsigned)x;
    if (info_int(err, j, base, "gen_max", 0, UINT_MAX, &p->has_gen_max, &x) < 0)
        return -1;
    p->gen_max = (unsigned)x;
    if (info_int(err, j, base, "width_current", 0, UINT_MAX, &p->has_width_current, &x) < 0)
        return -1;
    p->width_current = (unsigned)x;
    if (info_int(err, j, base, "width_max", 0, UINT_MAX, &p->has_width_max, &x) < 0)
        return -1;
    p->width_max = (unsigned)x;
    // Derived from gen_max and width_max: its type is checked, its value recomputed.
    v = info_get(err, j, base, "max_gbps_per_direction", JT_INTEGER | JT_REAL | JT_NULL);
    if (v == NULL)
        return -1;
    if (json_is_number(v) && !(json_number_value(v) >= 0))
        return error_set(err, ERR_INVALID, "\"%s.max_gbps_per_direction\" must not be negative",
                         base);
    return 0;
}

static int info_profile_from(struct error *err, const json_t *j, const char *base,
                             struct mig_gi_profile *p)
{
    static const char *const keys[] = {
        "profile_index", "id",       "name",  "slices", "instances",  "sms",        "copy_engines",
        "decoders",      "encoders", "jpegs", "ofas",   "memory_mib", "placements", NULL};
    static const char *const pl_keys[] = {"start", "size", NULL};
    const json_t *arr, *e;
    char path[128];
    size_t i;

    if (info_object(err, j, base, keys) < 0 ||
        info_uint_field(err, j, base, "profile_index", &p->index) < 0 ||
        info_uint_field(err, j, base, "id", &p->id) < 0 ||
        info_str(err, j, base, "name", p->name, sizeof(p->name), NULL) < 0 ||
        info_uint_field(err, j, base, "slices", &p->slices) < 0 ||
        info_uint_field(err, j, base, "instances", &p->instances) < 0 ||
        info_uint_field(err, j, base, "sms", &p->sms) < 0 ||
        info_uint_field(err, j, base, "copy_engines", &p->copy_engines) < 0 ||
        info_uint_field(err, j, base, "decoders", &p->decoders) < 0 ||
        info_uint_field(err, j, base, "encoders", &p->encoders) < 0 ||
        info_uint_field(err, j, base, "jpegs", &p->jpegs) < 0 ||
        info_uint_field(err, j, base, "ofas", &p->ofas) < 0 ||
        info_u64_field(err, j, base, "memory_mib", NULL, &p->memory_mib) < 0)
        return -1;
    arr = info_get(err, j, base, "placements", JT_ARRAY);
    if (arr == NULL)
        return -1;
    if (json_array_size(arr) > INFO_MAX_PLACEMENTS)
        return error_set(err, ERR_INVALID, "\"%s.placements\" has %zu entries, at most %d fit",
                         base, json_array_size(arr), INFO_MAX_PLACEMENTS);
    json_array_foreach (arr, i, e) {
        snprintf(path, sizeof(path), "%s.placements[%zu]", base, i);
        if (info_object(err, e, path, pl_keys) < 0 ||
            info_uint_field(err, e, path, "start", &p->placements[i].start) < 0 ||
            info_uint_field(err, e, path, "size", &p->placements[i].size) < 0)
            return -1;
    }
    p->n_placements = (unsigned)json_array_size(arr);
    return 0;
}

static int info_mig_from(struct error *err, const json_t *j, struct mig_info *m)
{
    static const char *const keys[] = {"supported", "current", "pending", "gpu_instance_profiles",
                                       NULL};
    static const char *const base = "info.mig";
    bool has_cur, has_pend;
    const json_t *v, *e;
    char path[64];
    size_t i;

    if (info_object(err, j, base, keys) < 0)
        return -1;
    v = info_get(err, j, base, "supported", JT_BOOL);
    if (v == NULL)
        return -1;
    m->supported = json_is_true(v);
    if (info_mode_field(err, j, base, "current", &has_cur, &m->current_enabled) < 0 ||
        info_mode_field(err, j, base, "pending", &has_pend, &m->pending_enabled) < 0)
        return -1;
    // One NVML call answers both: they are known together or not at all.
    if (has_cur != has_pend)
        return error_set(err, ERR_INVALID,
                         "\"%s.current\" and \"%s.pending\" must both be null or both be set", base,
                         base);
    m->has_mode = has_cur;
    v = info_get(err, j, base, "gpu_instance_profiles", JT_ARRAY);
    if (v == NULL)
        return -1;
    if (json_array_size(v) > INFO_MAX_MIG_PROFILES)
        return error_set(err, ERR_INVALID,
                         "\"%s.gpu_instance_profiles\" has %zu entries, at most %d fit", base,
                         json_array_size(v), INFO_MAX_MIG_PROFILES);
    json_array_foreach (v, i, e) {
        snprintf(path, sizeof(path), "%s.gpu_instance_profiles[%zu]", base, i);
        if (info_profile_from(err, e, path, &m->profiles[i]) < 0)
            return -1;
    }
    m->n_profiles = (unsigned)json_array_size(v);
    return 0;
}

static int info_mps_from(struct error *err, const json_t *j, struct mps_probe_result *m)
{
    static const char *const keys[] = {"pipe_dir", "answers", "daemon_pid", "detail", NULL};
    static const char *const base = "info.mps";
    const json_t *v;
    long long pid;

    if (info_object(err, j, base, keys) < 0 ||
        info_str(err, j, base, "pipe_dir", m->pipe_dir, sizeof(m->pipe_dir), NULL) < 0)
        return -1;
    v = info_get(err, j, base, "answers", JT_BOOL);
    if (v == NULL)
        return -1;
    m->answers = json_is_true(v);
    if (info_int(err, j, base, "daemon_pid", 1, LONG_MAX, &m->has_pid, &pid) < 0 ||
        info_str(err, j, base, "detail", m->detail, sizeof(m->detail), NULL) < 0)
        return -1;
    m->daemon_pid = (long)pid;
    return 0;
}

int gpu_info_from_json(struct error *err, const json_t *j, struct gpu_info *info)
{
    static const char *const keys[] = {"device_index",
                                       "name",
                                       "uuid",
                                       "pci_bus_id",
                                       "driver_version",
                                       "cuda_driver_version",
                                       "cuda_runtime_version",
                                       "compute_capability",
                                       "sm_count",
                                       "memory_total_bytes",
                                       "memory_free_bytes",
                                       "l2_bytes",
                                       "copy_engines",
                                       "max_threads_per_sm",
                                       "smem_per_sm_bytes",
                                       "smem_per_block_optin_bytes",
                                       "stream_priority_range",
                                       "pcie",
                                       "compute_mode",
                                       "persistence_mode",
                                       "mig",
                                       "mps",
                                       NULL};
    static const char *const prio_keys[] = {"least", "greatest", NULL};
    static const char *const base = "info";
    bool has_name, has_total, has_free;
    int major, minor;
    long long x;
    const json_t *v;

    memset(info, 0, sizeof(*info));
    if (info_object(err, j, base, keys) < 0)
        return -1;
    if (info_int(err, j, base, "device_index", 0, INT_MAX, NULL, &x) < 0)
        return -1;
    info->device_index = (int)x;
    // Unknown strings are null; has_name only satisfies the reader's signature.
    if (info_str(err, j, base, "name", info->name, sizeof(info->name), &has_name) < 0 ||
        info_str(err, j, base, "uuid", info->uuid, sizeof(info->uuid), &has_name) < 0 ||
        info_str(err, j, base, "pci_bus_id", info->pci_bus_id, sizeof(info->pci_bus_id),
                 &has_name) < 0 ||
        info_str(err, j, base, "driver_version", info->driver_version, sizeof(info->driver_version),
                 &has_name) < 0)
        return -1;
    if (info_version_field(err, j, base, "cuda_driver_version", &major, &minor) < 0)
        return -1;
    info->cuda_driver_version = major * 1000 + minor * 10;
    if (info_version_field(err, j, base, "cuda_runtime_version", &major, &minor) < 0)
        return -1;
    info->cuda_runtime_version = major * 1000 + minor * 10;
    if (info_version_field(err, j, base, "compute_capability", &info->cc_major, &info->cc_minor) <
        0)
        return -1;
    if (info_uint_field(err, j, base, "sm_count", &info->sm_count) < 0 ||
        info_u64_field(err, j, base, "memory_total_bytes", &has_total, &info->memory_total_bytes) <
            0 ||
        info_u64_field(err, j, base, "memory_free_bytes", &has_free, &info->memory_free_bytes) < 0)
        return -1;
    // cudaMemGetInfo answers both or neither.
    if (has_total != has_free)
        return error_set(err, ERR_INVALID,
                         "\"info.memory_total_bytes\" and \"info.memory_free_bytes\" must both "
                         "be null or both be set");
    info->has_memory = has_total;
    if (info_u64_field(err, j, base, "l2_bytes", NULL, &info->l2_bytes) < 0 ||
        info_uint_field(err, j, base, "copy_engines", &info->copy_engines) < 0 ||
        info_uint_field(err, j, base, "max_threads_per_sm", &info->max_threads_per_sm) < 0 ||
        info_u64_field(err, j, base, "smem_per_sm_bytes", NULL, &info->smem_per_sm_bytes) < 0 ||
        info_u64_field(err, j, base, "smem_per_block_optin_bytes", NULL,
                       &info->smem_per_block_optin_bytes) < 0)
        return -1;

    v = info_get(err, j, base, "stream_priority_range", JT_OBJECT);
    if (v == NULL || info_object(err, v, "info.stream_priority_range", prio_keys) < 0)
        return -1;
    if (info_int(err, v, "info.stream_priority_range", "least", INT_MIN, INT_MAX, NULL, &x) < 0)
        return -1;
    info->priority_least = (int)x;
    if (info_int(err, v, "info.stream_priority_range", "greatest", INT_MIN, INT_MAX, NULL, &x) < 0)
        return -1;
    info->priority_greatest = (int)x;

    v = info_get(err, j, base, "pcie", JT_OBJECT);
    if (v == NULL || info_pcie_from(err, v, &info->pcie) < 0)
        return -1;
    if (info_str(err, j, base, "compute_mode", info->compute_mode, sizeof(info->compute_mode),
                 &info->has_compute_mode) < 0 ||
        info_mode_field(err, j, base, "persistence_mode", &info->has_persistence,
                        &info->persistence_enabled) < 0)
        return -1;
    v = info_get(err, j, base, "mig", JT_OBJECT);
    if (v == NULL || info_mig_from(err, v, &info->mig) < 0)
        return -1;
    v = info_get(err, j, base, "mps", JT_OBJECT);
    if (v == NULL || info_mps_from(err, v, &info->mps) < 0)
        return -1;
    return 0;
}
