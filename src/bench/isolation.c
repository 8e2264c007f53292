/*
 * The isolation matrix's pure half (bench/isolation.h): the claims, the records a run leaves in
 * the results document, and the matrix read back from them.
 */
#include "bench/isolation.h"

#include <math.h>
#include <string.h>

#include "core/stats.h"
#include "core/str.h"
#include "results/results.h"

static const char *const mode_names[ISO_MODES] = {
    "streams", "timeslice", "mps", "mps-limits", "mig-emulated", "mig",
};
static const char *const prop_names[ISO_PROPS] = {"fault", "memory", "performance"};

/* The sources, as a reader finds them. */
#define SRC_CUDA_ERR                                                                               \
    "CUDA Runtime API, cudaError_t (cudaErrorIllegalAddress, cudaErrorLaunchFailure)"
#define SRC_CUDA_PRIO "CUDA Runtime API, cudaStreamCreateWithPriority"
#define SRC_K8S_README "NVIDIA/k8s-device-plugin README, time-slicing"
#define SRC_K8S_BLOG "NVIDIA technical blog, Improving GPU Utilization in Kubernetes (2022)"
#define SRC_MPS "NVIDIA Multi-Process Service documentation"
#define SRC_MIG "NVIDIA MIG User Guide (docs.nvidia.com/datacenter/tesla/mig-user-guide)"

static const struct iso_claim claims[ISO_MODES][ISO_PROPS] = {
    [ISO_STREAMS] =
        {
            {ISO_NOT_ISOLATED,
             "one context: a fault leaves it unusable for every stream, and the process must "
             "restart",
             SRC_CUDA_ERR},
            {ISO_NOT_ISOLATED, "one context, one allocator: streams share all of its memory",
             SRC_CUDA_ERR},
            {ISO_NOT_ISOLATED, "priorities only order the work; high-priority work may preempt",
             SRC_CUDA_PRIO},
        },
    [ISO_TIMESLICE] =
        {
            {ISO_CONFLICT,
             "the blog's table gives time-slicing error isolation; the device plugin's README "
             "says time-sliced replicas share one fault domain",
             SRC_K8S_BLOG "; " SRC_K8S_README},
            {ISO_NOT_ISOLATED,
             "each workload has access to the GPU memory: nothing limits what one takes",
             SRC_K8S_README},
            {ISO_NOT_ISOLATED, "processes take turns in time slices of about 1 ms",
             SRC_K8S_README "; NVIDIA/open-gpu-kernel-modules kernel_fifo_gv100.c"},
        },
    [ISO_MPS] =
        {
            {ISO_NOT_ISOLATED,
             "a fatal fault is reported to every client of the GPU; the server takes no new "
             "client until they have all exited",
             SRC_MPS ", section 2.3.3.2"},
            {ISO_NOT_ISOLATED,
             "address spaces are separate, but without a pinned limit one client can take all "
             "the memory",
             SRC_MPS ", sections 2.3.3.1 and 4.2.7"},
            {ISO_NOT_ISOLATED, "clients share the SMs unless a thread percentage caps them",
             SRC_MPS ", section 4.2.5"},
        },
    [ISO_MPS_LIMITS] =
        {
            {ISO_NOT_ISOLATED, "limits change nothing about faults: every client gets them",
             SRC_MPS ", section 2.3.3.2"},
            {ISO_ISOLATED, "an allocation past a client's pinned limit fails for that client",
             SRC_MPS ", sections 2.3.5.4 and 4.2.7"},
            {ISO_NOT_ISOLATED,
             "a thread cap limits SMs but reserves nothing; memory bandwidth and L2 stay shared",
             SRC_MPS ", section 2.3.5.2"},
        },
    [ISO_MIG_EMULATED] =
        {
            {ISO_NOT_ISOLATED,
             "emulated with MPS: MPS's fault behaviour, not MIG's (MIG isolates faults)",
             SRC_MPS ", section 2.3.3.2; " SRC_MIG},
            {ISO_ISOLATED, "emulated with a pinned memory limit of the slice's size",
             SRC_MPS ", section 4.2.7"},
            {ISO_NOT_ISOLATED,
             "emulated with a thread cap: SMs only; a real slice also has its own L2 and memory "
             "bandwidth",
             SRC_MPS ", section 2.3.5.2; " SRC_MIG},
        },
    [ISO_MIG] =
        {
            {ISO_ISOLATED, "a fault in one GPU instance does not reach the others", SRC_MIG},
            {ISO_ISOLATED, "each instance has its own memory", SRC_MIG},
            {ISO_ISOLATED, "each instance has its own SMs, L2 slices and memory bandwidth",
             SRC_MIG},
        },
};

const char *iso_mode_name(enum iso_mode m)
{
    return m >= 0 && m < ISO_MODES ? mode_names[m] : "?";
}

const char *iso_prop_name(enum iso_prop p)
{
    return p >= 0 && p < ISO_PROPS ? prop_names[p] : "?";
}

const struct iso_claim *iso_claim(enum iso_mode m, enum iso_prop p)
{
    static const struct iso_claim none = {ISO_UNKNOWN, "no claim published", ""};

    return m >= 0 && m < ISO_MODES && p >= 0 && p < ISO_PROPS ? &claims[m][p] : &none;
}

enum iso_verdict iso_agreement(const struct iso_claim *c, enum iso_level measured)
{
    if (measured != ISO_ISOLATED && measured != ISO_NOT_ISOLATED)
        return ISO_NOT_MEASURED;
    if (c->level == ISO_CONFLICT)
        return ISO_SETTLES;
    if (c->level == ISO_UNKNOWN)
        return ISO_NOT_MEASURED;
    return c->level == measured ? ISO_AGREES : ISO_CONTRADICTS;
}

const char *iso_level_name(enum iso_level l)
{
    switch (l) {
    case ISO_ISOLATED:
        return "isolated";
    case ISO_NOT_ISOLATED:
        return "not isolated";
    case ISO_CONFLICT:
        return "conflicting";
    default:
        return "not measured";
    }
}

const char *iso_verdict_name(enum iso_verdict v)
{
    switch (v) {
    case ISO_AGREES:
        return "agrees";
    case ISO_CONTRADICTS:
        return "contradicts";
    case ISO_SETTLES:
        return "settles";
    default:
        return "not measured";
    }
}

/* ---- records ---- */

static json_t *iso_test(json_t *doc, enum iso_mode m, const char *prop, const char *kind,
                        const char *title)
{
    char id[96], group[64];

    str_printf(id, sizeof(id), "isolation.%s.%s%s%s", iso_mode_name(m), prop, kind[0] ? "." : "",
               kind);
    str_printf(group, sizeof(group), "isolation.%s", prop);
    return results_add_test(doc, id, group, title);
}

/* The verdict of one record: the claim, and whether the outcome agrees with it. */
static void iso_judge(json_t *t, enum iso_mode m, enum iso_prop p, enum iso_level measured,
                      const char *outcome)
{
    const struct iso_claim *c = iso_claim(m, p);
    char detail[512];

    results_derived_str(t, "measured", iso_level_name(measured));
    results_derived_str(t, "claim", iso_level_name(c->level));
    results_derived_str(t, "claim_source", c->source);
    results_derived_str(t, "agreement", iso_verdict_name(iso_agreement(c, measured)));
    str_printf(detail, sizeof(detail), "%s; claimed: %s (%s): %s", outcome, c->text, c->source,
               iso_verdict_name(iso_agreement(c, measured)));
    results_verdict(t, VERDICT_INFO, "the published claim", detail);
}

int iso_record_fault(struct error *err, json_t *doc, enum iso_mode m, const struct iso_fault *f)
{
    char title[160], outcome[200];
    bool contained = strcmp(f->error, "none") == 0 && f->victim_continues == 1;
    json_t *t;

    str_printf(title, sizeof(title), "%s: the victim while its neighbour hits %s", iso_mode_name(m),
               strcmp(f->kind, "trap") == 0 ? "__trap()" : "an illegal address");
    t = iso_test(doc, m, "fault", f->kind, title);
    if (results_metric(err, t, "recovery", "ms", "lower", f->recovery_ms, f->trials) < 0)
        return -1;
    results_derived_str(t, "victim_error", f->error);
    results_derived_str(t, "victim_error_at", f->at);
    results_derived(t, "victim_continues", f->victim_continues);
    results_derived(t, "new_process_ok", f->new_process_ok);
    results_derived(t, "server_survived", f->server_survived < 0 ? NAN : f->server_survived);
    if (contained)
        str_printf(outcome, sizeof(outcome), "the victim saw no error and went on");
    else
        str_printf(outcome, sizeof(outcome), "the victim got %s at %s and %s", f->error,
                   f->at[0] != '\0' ? f->at : "?",
                   f->victim_continues == 1 ? "went on" : "had to restart");
    iso_judge(t, m, ISO_FAULT, contained ? ISO_ISOLATED : ISO_NOT_ISOLATED, outcome);
    return 0;
}

int iso_record_memory(struct error *err, json_t *doc, enum iso_mode m, const struct iso_memory *r)
{
    char title[160], outcome[200];
    json_t *t;

    str_printf(title, sizeof(title),
               "%s: the victim's next allocation while its neighbour "
               "takes all it can",
               iso_mode_name(m));
    t = iso_test(doc, m, "memory", "", title);
    if (results_metric(err, t, "victim_free", "MiB", "higher", r->victim_mib, r->trials) < 0)
        return -1;
    results_derived(t, "neighbour_gib", r->neighbour_gib);
    results_derived(t, "victim_failed", r->victim_failed);
    results_derived(t, "limit_held", r->limit_held < 0 ? NAN : r->limit_held);
    str_printf(outcome, sizeof(outcome),
               "the neighbour took %.1f GiB%s; the victim's next "
               "allocation %s",
               r->neighbour_gib, r->limit_held == 1 ? ", stopped by its pinned limit" : "",
               r->victim_failed ? "failed" : "succeeded");
    iso_judge(t, m, ISO_MEMORY, r->victim_failed ? ISO_NOT_ISOLATED : ISO_ISOLATED, outcome);
    return 0;
}

int iso_record_perf(struct error *err, json_t *doc, enum iso_mode m, const double *alone_us,
                    const double *beside_us, unsigned trials)
{
    char title[160], outcome[200], a[32], b[32];
    double alone, beside, x;
    json_t *t;

    if (trials == 0)
        return error_set(err, ERR_INVALID, "isolation %s: no trial", iso_mode_name(m));
    str_printf(title, sizeof(title), "%s: the victim's p99 beside a gemm neighbour",
               iso_mode_name(m));
    t = iso_test(doc, m, "perf", "", title);
    if (results_metric(err, t, "p99_beside", "us", "lower", beside_us, trials) < 0 ||
        results_series(err, t, "p99_alone_us", "us", alone_us, trials) < 0)
        return -1;
    alone = stats_percentile(alone_us, trials, 50);
    beside = stats_percentile(beside_us, trials, 50);
    x = beside / alone;
    // Nothing beside it can make the victim faster than it is alone.
    results_bound(t, alone, "us", "lower", "the victim's p99 alone, the same run");
    results_derived(t, "inflation", x);
    str_ms(a, sizeof(a), alone / 1e3);
    str_ms(b, sizeof(b), beside / 1e3);
    str_printf(outcome, sizeof(outcome), "p99 %s alone, %s beside the gemm: %.2fx (bar %.1fx)", a,
               b, x, ISO_PERF_BAR);
    iso_judge(t, m, ISO_PERF, x <= ISO_PERF_BAR ? ISO_ISOLATED : ISO_NOT_ISOLATED, outcome);
    return 0;
}

/* ---- the matrix of a document ---- */

static enum iso_level level_of(const char *s)
{
    if (s == NULL)
        return ISO_UNKNOWN;
    if (strcmp(s, "isolated") == 0)
        return ISO_ISOLATED;
    if (strcmp(s, "not isolated") == 0)
        return ISO_NOT_ISOLATED;
    return ISO_UNKNOWN;
}

/* One test into its cell: a second record of a property (the trap after the illegal address)
 * keeps the worse outcome, and says both. */
static void add_record(struct iso_matrix *mx, enum iso_mode m, enum iso_prop p, const json_t *t)
{
    struct iso_cell *c = &mx->cell[m][p];
    const json_t *d = json_object_get(t, "derived");
    enum iso_level l = level_of(json_string_value(json_object_get(d, "measured")));
    const char *detail =
        json_string_value(json_object_get(json_object_get(t, "verdict"), "detail"));
    size_t cut = detail != NULL ? strcspn(detail, ";") : 0;

    if (l == ISO_UNKNOWN)
        return;
    if (c->measured == ISO_UNKNOWN || l == ISO_NOT_ISOLATED)
        c->measured = l;
    str_append(c->outcome, sizeof(c->outcome), "%s%.*s", c->outcome[0] != '\0' ? "; " : "",
               (int)cut, detail != NULL ? detail : "");
}

void iso_matrix_of(const json_t *doc, struct iso_matrix *mx)
{
    const json_t *t;
    size_t i;

    memset(mx, 0, sizeof(*mx));
    json_array_foreach (json_object_get(doc, "tests"), i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        char mode[32];
        size_t len;

        if (id == NULL || strncmp(id, "isolation.", 10) != 0)
            continue;
        len = strcspn(id + 10, ".");
        str_printf(mode, sizeof(mode), "%.*s", (int)len, id + 10);
        for (int m = 0; m < ISO_MODES; m++) {
            const char *prop = id + 10 + len + (id[10 + len] == '.');

            if (strcmp(mode, mode_names[m]) != 0)
                continue;
            if (strncmp(prop, "fault", 5) == 0)
                add_record(mx, (enum iso_mode)m, ISO_FAULT, t);
            else if (strcmp(prop, "memory") == 0)
                add_record(mx, (enum iso_mode)m, ISO_MEMORY, t);
            else if (strcmp(prop, "perf") == 0)
                add_record(mx, (enum iso_mode)m, ISO_PERF, t);
            mx->emulated_mig |= m == ISO_MIG_EMULATED;
        }
    }
    for (int m = 0; m < ISO_MODES; m++)
        for (int p = 0; p < ISO_PROPS; p++) {
            struct iso_cell *c = &mx->cell[m][p];

            c->claim = iso_claim((enum iso_mode)m, (enum iso_prop)p);
            c->verdict = iso_agreement(c->claim, c->measured);
        }
}

/* ---- for people ---- */

static void print_row(FILE *f, const struct iso_matrix *mx, int m)
{
    fprintf(f, "  %-13s", mode_names[m]);
    for (int p = 0; p < ISO_PROPS; p++) {
        const struct iso_cell *c = &mx->cell[m][p];
        char cell[48];

        if (c->measured == ISO_UNKNOWN)
            str_printf(cell, sizeof(cell), "-");
        else
            str_printf(cell, sizeof(cell), "%s (%s)", iso_level_name(c->measured),
                       iso_verdict_name(c->verdict));
        fprintf(f, p + 1 < ISO_PROPS ? "  %-28s" : "  %s", cell);
    }
    fprintf(f, "\n");
}

void iso_matrix_print(FILE *f, const struct iso_matrix *mx)
{
    size_t agree = 0, contra = 0, settled = 0;

    for (int m = 0; m < ISO_MODES; m++)
        for (int p = 0; p < ISO_PROPS; p++) {
            enum iso_verdict v = mx->cell[m][p].verdict;

            agree += v == ISO_AGREES;
            contra += v == ISO_CONTRADICTS;
            settled += v == ISO_SETTLES;
        }
    fprintf(f,
            "Isolation: %zu published claim%s held here, %zu did not, %zu conflicting claim%s "
            "settled\n\n",
            agree, agree == 1 ? "" : "s", contra, settled, settled == 1 ? "" : "s");
    fprintf(f, "  %-13s  %-28s  %-28s  %s\n", "mode", "fault", "memory", "performance");
    for (int m = 0; m < ISO_MODES; m++)
        print_row(f, mx, m);
    if (mx->emulated_mig)
        fprintf(f, "  (mig-emulated: a slice emulated with MPS caps; it shows MPS's behaviour, "
                   "not MIG's)\n");
    fprintf(f, "\nWhat happened, and the claims:\n");
    for (int m = 0; m < ISO_MODES; m++)
        for (int p = 0; p < ISO_PROPS; p++) {
            const struct iso_cell *c = &mx->cell[m][p];

            if (c->verdict == ISO_NOT_MEASURED)
                continue;
            fprintf(f, "  %s, %s: %s\n    claimed: %s (%s): %s\n", mode_names[m], prop_names[p],
                    c->outcome, c->claim->text, c->claim->source, iso_verdict_name(c->verdict));
        }
}
