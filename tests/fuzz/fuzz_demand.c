/*
 * libFuzzer harness for plan/demand: the same bytes through the command-line parser (as a
 * string) and the YAML parser (by length, in a buffer of exactly that size so a read past
 * the end is caught). Refusals must be git-style messages with the right code; whatever is
 * accepted must keep every promise of demand.h. Small accepted sets are planned on one GPU
 * by the MIG planner, and small plan files (with gpus:) by the whole planner, into a plan
 * document its own checker accepts, so both meet inputs no one wrote by hand.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mig/catalog.h"
#include "plan/demand.h"
#include "plan/evidence.h"
#include "plan/mig_plan.h"
#include "plan/plandoc.h"
#include "plan/planner.h"

#define FUZZ_NAME "fuzz_demand"
#define FUZZ_SUBJECT "message"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A git-style refusal that was not cut to fit, printable, with no demand left behind. */
static void fuzz_check_demand_refusal(const struct error *err, int code,
                                      const struct demand_set *set)
{
    size_t len = fuzz_check_refusal(err, code, err->msg);

    fuzz_require(len < sizeof(err->msg) - 1, "message cut", err->msg);
    for (size_t i = 0; i < len; i++)
        fuzz_require(err->msg[i] >= 0x20 && err->msg[i] < 0x7f, "control byte in message",
                     err->msg);
    fuzz_require(set->n == 0, "demands left after a refusal", err->msg);
}

static int fuzz_name_ok(const char *s)
{
    size_t len = strnlen(s, DEMAND_NAME_MAX);

    if (len == 0 || len >= DEMAND_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

static void fuzz_check_set(const struct demand_set *set)
{
    size_t total = 0;

    size_t max_n = set->workloads ? PLAN_MAX_WORKLOADS : PLAN_MAX_DEMANDS;
    size_t max_total = set->workloads ? PLAN_MAX_TOTAL_REPLICAS : PLAN_MAX_REPLICAS;

    fuzz_require(set->n >= 1 && set->n <= max_n, "accepted set size", "");
    fuzz_require(set->n_gpus <= PLAN_MAX_GPU_MODELS, "accepted GPU entries", "");
    for (size_t i = 0; i < set->n_gpus; i++) {
        fuzz_require(mig_gpu_find(set->gpus[i].model) != NULL, "unknown GPU accepted",
                     set->gpus[i].model);
        fuzz_require(set->gpus[i].count >= 1 && set->gpus[i].count <= PLAN_MAX_GPU_COUNT,
                     "accepted GPU count", set->gpus[i].model);
        for (size_t j = 0; j < i; j++)
            fuzz_require(strcmp(set->gpus[i].model, set->gpus[j].model) != 0, "duplicate GPU model",
                         set->gpus[i].model);
    }
    for (size_t i = 0; i < set->n; i++) {
        const struct demand *d = &set->d[i];

        fuzz_require(fuzz_name_ok(d->name), "accepted name", d->name);
        fuzz_require(isfinite(d->mem_gib) && d->mem_gib > 0 && d->mem_gib <= DEMAND_MAX_MEM_GIB,
                     "accepted memory", d->name);
        fuzz_require(d->min_sms <= DEMAND_MAX_SMS, "accepted SMs", d->name);
        fuzz_require(isfinite(d->min_fraction) && d->min_fraction >= 0 && d->min_fraction <= 1,
                     "accepted share", d->name);
        fuzz_require(d->min_sms == 0 || d->min_fraction == 0, "both SMs and share", d->name);
        fuzz_require(d->replicas >= 1, "accepted replicas", d->name);
        fuzz_require((d->rate > 0) == (d->request_ms > 0), "rate without request time", d->name);
        fuzz_require(isfinite(d->rate) && d->rate <= DEMAND_MAX_RATE && isfinite(d->request_ms) &&
                         d->request_ms <= DEMAND_MAX_REQUEST_MS,
                     "accepted request stream", d->name);
        fuzz_require(d->rate == 0 || (d->min_sms == 0 && d->min_fraction == 0),
                     "request stream and SMs or share", d->name);
        fuzz_require(d->slo_ms == 0 || (d->rate > 0 && isfinite(d->slo_ms)), "SLO without rate",
                     d->name);
        fuzz_require(fuzz_name_ok(d->tenant), "accepted tenant", d->tenant);
        fuzz_require(d->isolation == ISO_NONE || d->isolation == ISO_SOFT ||
                         d->isolation == ISO_HARD,
                     "accepted isolation", d->name);
        for (size_t j = 0; j < i; j++)
            fuzz_require(strcmp(set->d[j].name, d->name) != 0, "duplicate name", d->name);
        total += d->replicas;
    }
    fuzz_require(total == demand_replicas(set) && total <= max_total, "accepted replicas in all",
                 "");
}

/* A small accepted set, planned: a fit holds every replica; a refusal says why. */
static void fuzz_plan(const struct demand_set *set)
{
    static struct mig_plan plan; /* about 140 KiB: off the stack */
    const struct mig_gpu *gpu = mig_gpu_find("H100-80GB");
    struct error err = {0};

    if (gpu == NULL || demand_replicas(set) > 12)
        return;
    fuzz_require(mig_plan_solve(&err, gpu, set, &plan) == 0, "plan refused", err.msg);
    if (plan.fits) {
        fuzz_require(plan.n_items == plan.replicas && plan.layout.n == plan.replicas,
                     "a fit without every replica", "");
    } else {
        fuzz_require(plan.why[0] != '\0', "no reason given", "");
        fuzz_require(plan.multi.k == 0 || plan.multi.k >= plan.multi.lower_bound,
                     "fewer GPUs than the bound", plan.why);
    }
}

/* A small plan file, planned by every mode: one recommendation at most, ranked first, that
 * fits the GPUs given; a sentence for every mode; a document the checker accepts. */
static void fuzz_planner(const struct demand_set *set)
{
    static struct ev_docs docs;
    static bool loaded;
    static struct plan plan; /* large: off the stack */
    struct error err = {0};
    unsigned long gpus = 0;
    json_t *doc;
    int ranked = 0;

    for (size_t i = 0; i < set->n_gpus; i++)
        gpus += set->gpus[i].count;
    if (set->n_gpus == 0 || gpus > 16 || demand_replicas(set) > 24)
        return;
    if (!loaded) {
        fuzz_require(evidence_docs_init(&err, &docs) == 0, "committed results", err.msg);
        loaded = true;
    }
    fuzz_require(plan_solve(&err, set, &docs, &plan) == 0, "plan refused", err.msg);
    for (int m = 0; m < PM_COUNT; m++) {
        const struct plan_mode_result *r = &plan.modes[m];

        fuzz_require(!r->evaluated || r->n_units == 0 || r->breaks[0] != '\0',
                     "a mode without its sentence", plan_mode_name(r->mode));
        ranked += r->rank == 1;
        fuzz_require(r->rank == 0 || (r->fits && r->gpus_needed <= r->gpus_available),
                     "a ranked mode that does not fit", plan_mode_name(r->mode));
    }
    fuzz_require(ranked == (plan.any_works ? 1 : 0), "not exactly one recommendation",
                 plan.rationale);
    fuzz_require(plan.rationale[0] != '\0', "no rationale", "");
    doc = plandoc_build(&plan, "fuzz.yaml");
    fuzz_require(plandoc_check(&err, doc, "fuzz.yaml") == 0, "plan document refused", err.msg);
    json_decref(doc);
    plan_release(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct demand_set set;
    struct error err = {0};
    char *s = malloc(size + 1);
    char *exact = malloc(size ? size : 1);

    if (s == NULL || exact == NULL) {
        free(s);
        free(exact);
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    memcpy(exact, data, size);

    if (demand_parse_inline(&err, s, &set) == 0) {
        fuzz_check_set(&set);
        fuzz_plan(&set);
        demand_set_release(&set);
    } else {
        fuzz_check_demand_refusal(&err, ERR_USAGE, &set);
    }
    error_clear(&err);
    if (demand_load_yaml_buf(&err, exact, size, "fuzz.yaml", &set) == 0) {
        fuzz_check_set(&set);
        fuzz_plan(&set);
        fuzz_planner(&set);
        demand_set_release(&set);
    } else {
        fuzz_check_demand_refusal(&err, ERR_INVALID, &set);
    }
    free(exact);
    free(s);
    return 0;
}
