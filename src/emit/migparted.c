/*
 * mig-parted config, nvidia-smi script and config name for a MIG layout (emit/migparted.h).
 */
#include "emit/migparted.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/str.h"
#include "core/yamlr.h"
#include "emit/yamlw.h"
#include "mig/profile.h"

/* Instances of each profile of the layout, in catalog order. */
static void count_profiles(const struct mig_layout *l, unsigned counts[MIG_MAX_PROFILES])
{
    memset(counts, 0, MIG_MAX_PROFILES * sizeof(counts[0]));
    for (size_t i = 0; i < l->n; i++)
        counts[l->prof[i]]++;
}

void migparted_default_name(const struct mig_layout *l, char *out, size_t size)
{
    unsigned counts[MIG_MAX_PROFILES];
    size_t len;

    count_profiles(l, counts);
    str_printf(out, size, "gpushare");
    /* Largest profile first, as people write layouts ("3g + 2g + 1g x2"). */
    for (unsigned k = l->gpu->n_profiles; k-- > 0;) {
        if (counts[k] == 0)
            continue;
        len = strlen(out);
        str_printf(out + len, size - len, counts[k] > 1 ? "-%sx%u" : "-%s",
                   l->gpu->profiles[k].name, counts[k]);
    }
    for (char *p = out; *p != '\0'; p++)
        if (*p == '+')
            *p = '.';
}

int migparted_check_name(struct error *err, const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > MIGPARTED_NAME_MAX)
        return error_set(err, ERR_USAGE, "config name of %zu characters: expected 1 to %d", len,
                         MIGPARTED_NAME_MAX);
    /* A label value also begins and ends with an alphanumeric character. */
    if (!isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[len - 1]))
        return error_set(err, ERR_USAGE,
                         "config name '%.40s' must begin and end with a letter or digit", name);
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && strchr("._-", name[i]) == NULL)
            return error_set(err, ERR_USAGE,
                             "config name '%.40s': only letters, digits, '.', '_' and '-' may "
                             "appear in a node label",
                             name);
    return 0;
}

/* A scalar; quoted where a YAML 1.1 reader would take it for a number (0x233010DE). Untagged,
 * so quoted_implicit must be set for the quoted style: with both implicit flags clear libyaml
 * refuses the event ("neither tag nor implicit flags are specified"). */
static int scalar(yaml_emitter_t *e, const char *v, bool quoted)
{
    return yamlw_scalar(e, v, quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE,
                        !quoted, true);
}

/* device-filter: every PCI device ID of the model; a string for one, a list for several. */
static int emit_filter(yaml_emitter_t *e, const char *ids)
{
    char id[32];
    size_t n = 0;
    int rc;

    for (const char *p = ids; *p != '\0'; p += strcspn(p, "|") + (p[strcspn(p, "|")] == '|'))
        n++;
    if (n == 0)
        return 0;
    rc = scalar(e, "device-filter", false);
    if (rc == 0 && n > 1)
        rc = yamlw_seq_open(e, YAML_FLOW_SEQUENCE_STYLE);
    for (const char *p = ids; rc == 0 && *p != '\0';) {
        size_t k = strcspn(p, "|");

        str_printf(id, sizeof(id), "%.*s", (int)k, p);
        rc = scalar(e, id, true);
        p += k + (p[k] == '|');
    }
    return rc == 0 && n > 1 ? yamlw_seq_close(e) : rc;
}

static int emit_devices(yaml_emitter_t *e, const struct mig_layout *l)
{
    unsigned counts[MIG_MAX_PROFILES];
    char num[16];
    int rc = scalar(e, "mig-devices", false);

    count_profiles(l, counts);
    rc = rc < 0 ? rc : yamlw_map_open(e);
    for (unsigned k = 0; rc == 0 && k < l->gpu->n_profiles; k++) {
        if (counts[k] == 0)
            continue;
        str_printf(num, sizeof(num), "%u", counts[k]);
        rc = scalar(e, l->gpu->profiles[k].name, false);
        rc = rc < 0 ? rc : scalar(e, num, false);
    }
    return rc < 0 ? rc : yamlw_map_close(e);
}

/* Would a YAML 1.1 reader (go-yaml v2, under mig-parted's sigs.k8s.io/yaml) resolve this
 * plain scalar to a bool, a null or a number? Then a config name "0x10", "1e3" or "y" would
 * come back as the key "16", "1000" or "true". A wide net: any word made only of digits and
 * number characters that starts like a number. */
static bool yaml11_not_string(const char *s)
{
    static const char *const words[] = {"y",   "n",    "yes",   "no",  "on",
                                        "off", "true", "false", "null"};
    char low[MIGPARTED_NAME_MAX + 1];
    size_t i;

    for (i = 0; s[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(low, words[i]) == 0)
            return true;
    return strchr("0123456789+-.", low[0]) != NULL &&
           strspn(low, "0123456789abcdefox_.:+-") == strlen(low);
}

static int emit_entry(yaml_emitter_t *e, const struct mig_layout *l)
{
    if (yamlw_seq_open(e, YAML_BLOCK_SEQUENCE_STYLE) < 0 || yamlw_map_open(e) < 0 ||
        emit_filter(e, l->gpu->device_filter) < 0 || scalar(e, "devices", false) < 0 ||
        scalar(e, "all", false) < 0 || scalar(e, "mig-enabled", false) < 0 ||
        scalar(e, "true", false) < 0 || emit_devices(e, l) < 0 || yamlw_map_close(e) < 0)
        return -1;
    return yamlw_seq_close(e);
}

static int emit_doc(yaml_emitter_t *e, const struct mig_layout *l, const char *name)
{
    if (yamlw_stream_start(e) < 0 || yamlw_doc_start(e) < 0 || yamlw_map_open(e) < 0 ||
        scalar(e, "version", false) < 0 || scalar(e, "v1", false) < 0 ||
        scalar(e, "mig-configs", false) < 0 || yamlw_map_open(e) < 0 ||
        scalar(e, name, yaml11_not_string(name)) < 0 || emit_entry(e, l) < 0 ||
        yamlw_map_close(e) < 0 || yamlw_map_close(e) < 0)
        return -1;
    if (yamlw_doc_end(e) < 0)
        return -1;
    return yamlw_stream_end(e);
}

char *migparted_yaml(struct error *err, const struct mig_layout *l, const char *name)
{
    yaml_emitter_t e;
    struct strbuf b = {0};
    char head[512]; /* the name twice (MIGPARTED_NAME_MAX) and the model: about 330 */
    int rc;

    if (migparted_check_name(err, name) < 0)
        return NULL;
    /* A comment is not an event: it goes before the stream. */
    str_printf(head, sizeof(head),
               "# mig-parted config for %s, written by gpushare. Apply with\n"
               "#   nvidia-mig-parted apply -f FILE -c %s\n"
               "# or label a node nvidia.com/mig.config=%s for the GPU Operator's mig-manager.\n",
               l->gpu->model, name, name);
    yamlw_init(&e, &b, head);
    rc = emit_doc(&e, l, name);
    if (rc < 0)
        error_set(err, ERR_INVALID, "cannot write the mig-parted config: %s", yamlw_problem(&e));
    return yamlw_finish(&e, &b, rc == 0);
}

/* Reading it back: the document API, each node checked against mig-parted's rules. */

static int parse_uint_text(const char *s, unsigned *v)
{
    char *end;
    unsigned long x;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    x = strtoul(s, &end, 10);
    if (*end != '\0' || x > 1000000)
        return -1;
    *v = (unsigned)x;
    return 0;
}

/* One device-filter value. Longer than the entry holds ("0x233010DE:0x16A110DE", with a
 * subsystem ID) is refused: cut, it would match other GPUs. */
static int add_filter(struct yamlr *r, yaml_node_t *v, struct migparted_entry *e)
{
    const char *t = yamlr_text(v);

    if (t == NULL)
        return yamlr_fail(r, v, "device-filter: expected a string or a list of strings");
    if (e->n_filters == sizeof(e->device_filter) / sizeof(e->device_filter[0]))
        return yamlr_fail(r, v, "device-filter: more than %zu PCI device IDs",
                          sizeof(e->device_filter) / sizeof(e->device_filter[0]));
    if (strlen(t) >= sizeof(e->device_filter[0]))
        return yamlr_fail(r, v, "device-filter: '%.40s' is longer than %zu characters", t,
                          sizeof(e->device_filter[0]) - 1);
    str_printf(e->device_filter[e->n_filters++], sizeof(e->device_filter[0]), "%s", t);
    return 0;
}

static int read_filter(struct yamlr *r, yaml_node_t *v, struct migparted_entry *e)
{
    yaml_node_item_t *it;

    e->n_filters = 0; /* a repeated key: the last one counts, as in mig-parted's decoder */
    if (v->type != YAML_SEQUENCE_NODE)
        return add_filter(r, v, e);
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (add_filter(r, yamlr_node(r, *it), e) < 0)
            return -1;
    return 0;
}

static int read_devices(struct yamlr *r, yaml_node_t *v, struct migparted_entry *e)
{
    yaml_node_item_t *it;

    e->all_devices = false; /* a repeated key: the last one counts */
    e->n_devices = 0;
    /* "The only valid string is all" (spec.go). */
    if (yamlr_text(v) != NULL) {
        if (strcmp(yamlr_text(v), "all") != 0)
            return yamlr_fail(r, v, "devices: expected 'all' or a list of GPU indexes");
        e->all_devices = true;
        return 0;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return yamlr_fail(r, v, "devices: expected 'all' or a list of GPU indexes");
    for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *item = yamlr_node(r, *it);

        if (yamlr_text(item) == NULL)
            return yamlr_fail(r, item, "devices: expected 'all' or a list of GPU indexes");
        if (parse_uint_text(yamlr_text(item), &e->devices[e->n_devices]) < 0)
            return yamlr_fail(r, item, "devices: '%.40s' is not a GPU index", yamlr_text(item));
        if (++e->n_devices == 16 && it + 1 < v->data.sequence.items.top)
            return yamlr_fail(r, v, "devices: more than 16 GPU indexes");
    }
    return 0;
}

static int read_mig_devices(struct yamlr *r, yaml_node_t *v, struct migparted_entry *e)
{
    struct mig_profile_name pn;
    yaml_node_pair_t *p;
    unsigned total = 0;

    e->n_mig_devices = 0; /* a repeated key: the last one counts */
    if (v->type != YAML_MAPPING_NODE)
        return yamlr_fail(r, v, "mig-devices: expected a map of profile to count");
    for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        unsigned *count = &e->mig_devices[e->n_mig_devices].count;

        if (k == NULL || mig_profile_parse(r->err, k, &pn) < 0)
            return yamlr_fail(r, yamlr_node(r, p->key),
                              "mig-devices: '%.40s' is not a MIG profile name",
                              k != NULL ? k : "?");
        /* Cut, a name could turn into another one ("1g.10gb+me.all" into "1g.10gb+me"). */
        if (strlen(k) >= sizeof(e->mig_devices[0].profile))
            return yamlr_fail(r, yamlr_node(r, p->key),
                              "mig-devices: '%.40s' is longer than %zu characters", k,
                              sizeof(e->mig_devices[0].profile) - 1);
        if (e->n_mig_devices == MIG_MAX_PROFILES)
            return yamlr_fail(r, v, "mig-devices: more than %d profiles", MIG_MAX_PROFILES);
        if (parse_uint_text(yamlr_text(yamlr_node(r, p->value)), count) < 0)
            return yamlr_fail(r, yamlr_node(r, p->value), "mig-devices: %s: expected a count >= 0",
                              k);
        str_printf(e->mig_devices[e->n_mig_devices].profile, sizeof(e->mig_devices[0].profile),
                   "%s", k);
        total += *count;
        e->n_mig_devices++;
    }
    if (e->n_mig_devices > 0 && total == 0)
        return yamlr_fail(r, v, "mig-devices: all counts for all MIG profiles are 0");
    return 0;
}

static int read_bool(struct yamlr *r, yaml_node_t *v, bool *out)
{
    const char *t = yamlr_text(v);

    if (t != NULL && strcmp(t, "true") == 0)
        *out = true;
    else if (t != NULL && strcmp(t, "false") == 0)
        *out = false;
    else
        return yamlr_fail(r, v, "mig-enabled: expected true or false");
    return 0;
}

static int read_entry(struct yamlr *r, yaml_node_t *m, struct migparted_entry *e)
{
    bool have_devices = false, have_enabled = false, have_mig = false;
    yaml_node_pair_t *p;
    int rc = 0;

    memset(e, 0, sizeof(*e));
    if (m->type != YAML_MAPPING_NODE)
        return yamlr_fail(r, m, "expected a map with devices, mig-enabled and mig-devices");
    for (p = m->data.mapping.pairs.start; rc == 0 && p < m->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));
        yaml_node_t *v = yamlr_node(r, p->value);

        if (k != NULL && strcmp(k, "device-filter") == 0)
            rc = read_filter(r, v, e);
        else if (k != NULL && strcmp(k, "devices") == 0 && (have_devices = true))
            rc = read_devices(r, v, e);
        else if (k != NULL && strcmp(k, "mig-enabled") == 0 && (have_enabled = true))
            rc = read_bool(r, v, &e->mig_enabled);
        else if (k != NULL && strcmp(k, "mig-devices") == 0 && (have_mig = true))
            rc = read_mig_devices(r, v, e);
        else
            rc = yamlr_fail(r, yamlr_node(r, p->key), "unexpected field '%.40s'",
                            k != NULL ? k : "?");
    }
    if (rc == 0 && (!have_devices || !have_enabled))
        rc = yamlr_fail(r, m, "an entry needs devices and mig-enabled");
    if (rc == 0 && e->mig_enabled && !have_mig)
        rc = yamlr_fail(r, m, "mig-enabled is true but mig-devices is missing");
    if (rc == 0 && !e->mig_enabled && e->n_mig_devices > 0)
        rc = yamlr_fail(r, m, "mig-enabled is false but mig-devices is not empty");
    return rc;
}

static int read_config(struct yamlr *r, yaml_node_t *list, struct migparted_entry *out, size_t max,
                       size_t *n)
{
    yaml_node_item_t *it;

    if (list->type != YAML_SEQUENCE_NODE ||
        list->data.sequence.items.start == list->data.sequence.items.top)
        return yamlr_fail(r, list, "a config is a non-empty list of entries");
    for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
        if (*n == max)
            return yamlr_fail(r, list, "more than %zu entries", max);
        if (read_entry(r, yamlr_node(r, *it), &out[*n]) < 0)
            return -1;
        (*n)++;
    }
    return 0;
}

/* version: v1 and mig-configs: {name: [...]}, nothing else (spec.go). */
static int read_top(struct yamlr *r, const char *name, struct migparted_entry *out, size_t max,
                    size_t *n)
{
    yaml_node_t *root = yamlr_root(r), *configs = NULL;
    const char *version = NULL;
    yaml_node_pair_t *p;

    if (root == NULL || root->type != YAML_MAPPING_NODE)
        return yamlr_fail(r, root, "expected a map with version and mig-configs");
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));

        if (k != NULL && strcmp(k, "version") == 0)
            version = yamlr_text(yamlr_node(r, p->value));
        else if (k != NULL && strcmp(k, "mig-configs") == 0)
            configs = yamlr_node(r, p->value);
        else
            return yamlr_fail(r, yamlr_node(r, p->key), "unexpected field '%.40s'",
                              k != NULL ? k : "?");
    }
    if (version == NULL || strcmp(version, "v1") != 0)
        return yamlr_fail(r, root, "version: expected v1");
    if (configs == NULL || configs->type != YAML_MAPPING_NODE)
        return yamlr_fail(r, root, "mig-configs: expected a map of config names");
    for (p = configs->data.mapping.pairs.start; p < configs->data.mapping.pairs.top; p++) {
        const char *k = yamlr_text(yamlr_node(r, p->key));

        if (k != NULL && strcmp(k, name) == 0)
            return read_config(r, yamlr_node(r, p->value), out, max, n);
    }
    return yamlr_fail(r, configs, "no config named '%.40s'", name);
}

int migparted_parse(struct error *err, const char *buf, size_t len, const char *file,
                    const char *name, struct migparted_entry *out, size_t max, size_t *n)
{
    struct yamlr r;
    int rc;

    *n = 0;
    if (yamlr_load(&r, err, buf, len, file) < 0)
        return -1;
    rc = read_top(&r, name, out, max, n);
    if (rc < 0)
        *n = 0;
    yamlr_done(&r);
    return rc;
}

char *migparted_script(const struct mig_layout *l, const char *name)
{
    struct strbuf b = {0};
    char words[256];
    size_t order[MIG_MAX_INSTANCES];

    /* Placement order whatever order l is in (mig_enumerate_maximal's layouts are in catalog
     * order): created otherwise, a 3g.20gb before the 4g.20gb takes slice 0 from it. */
    for (size_t i = 0; i < l->n; i++) {
        size_t j = i;

        for (; j > 0 && l->start[order[j - 1]] > l->start[i]; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    mig_layout_name(l, words, sizeof(words));
    strbuf_printf(&b,
                  "#!/usr/bin/env bash\n# MIG layout '%s' for %s: %s. Written by gpushare, which "
                  "never runs it.\n",
                  name, l->gpu->model, words);
    strbuf_printf(&b,
                  "# Run as root on an idle GPU whose MIG mode is enabled ('nvidia-smi -i GPU -mig "
                  "1', then a\n# GPU reset); usage: %s.sh [GPU index, default 0].\n",
                  name);
    strbuf_printf(&b, "# The placement gpushare found, in memory slices:");
    for (size_t i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p = &l->gpu->profiles[l->prof[order[i]]];
        unsigned first = l->start[order[i]], last = first + p->placements[0].size - 1;

        strbuf_printf(&b, i == 0 ? " %s %u" : ", %s %u", p->name, first);
        if (last > first)
            strbuf_printf(&b, "-%u", last);
    }
    strbuf_printf(&b,
                  ".\n# Instances are created in that order, so a driver that takes the first free "
                  "placement puts\n# each where gpushare placed it. mig-parted searches for a "
                  "placement itself.\nset -euo pipefail\ngpu=${1:-0}\nnvidia-smi mig -i \"$gpu\" "
                  "-cgi ");
    /* nvidia-smi takes a profile's ID or its name; the name where no source gives the ID. */
    for (size_t i = 0; i < l->n; i++) {
        const struct mig_profile_spec *p = &l->gpu->profiles[l->prof[order[i]]];

        if (i > 0)
            strbuf_printf(&b, ",");
        if (p->id != MIG_ID_UNKNOWN)
            strbuf_printf(&b, "%u", p->id);
        else
            strbuf_printf(&b, "%s", p->name);
    }
    strbuf_printf(&b, " -C\nnvidia-smi mig -i \"$gpu\" -lgi\n");
    return b.p;
}
