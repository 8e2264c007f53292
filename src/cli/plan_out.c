/*
 * The text of a plan (cli/plan_out.h). Numbers are for people (str_ms, str_num); labels are
 * never cut: columns are as wide as their longest entry.
 */
#include "cli/plan_out.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/str.h"
#include "plan/evidence.h"
#include "plan/plandoc.h"
#include "plan/planner.h"

/* A mode's verdict in a few words. */
static void verdict(const struct plan_mode_result *r, char *out, size_t size)
{
    if (!r->evaluated)
        str_printf(out, size, "not applicable");
    else if (r->rank == 1)
        str_printf(out, size, "recommended");
    else if (r->rank > 1)
        str_printf(out, size, "works, #%d", r->rank);
    else if (!r->memory_met)
        str_printf(out, size, "too big");
    else if (r->n_units == 0 || !r->fits)
        str_printf(out, size, r->n_units > 0 ? "needs %zu GPUs" : "does not fit", r->gpus_needed);
    else if (!r->stable)
        str_printf(out, size, "overloaded");
    else if (!r->slo_met)
        str_printf(out, size, "misses an SLO");
    else if (!r->iso_met)
        str_printf(out, size, "misses isolation");
    else
        str_printf(out, size, "not predicted");
}

static void worst_cell(const struct plan *p, const struct plan_mode_result *r, char *out,
                       size_t size)
{
    char a[32], b[32];

    if (!r->evaluated || r->n_units == 0 || r->worst_name == NULL) {
        str_printf(out, size, "-");
        return;
    }
    for (size_t w = 0; w < p->set->n; w++)
        if (p->set->d[w].name == r->worst_name) {
            str_ms(a, sizeof(a), r->wl[w].stable ? r->wl[w].p99_ms : INFINITY);
            str_ms(b, sizeof(b), p->set->d[w].slo_ms);
            str_printf(out, size, "%s / %s", a, b);
            return;
        }
    str_printf(out, size, "-");
}

struct row {
    char mode[24], gpus[40], fits[8], worst[48], mem[8], faults[8], perf[8], verdict[40];
};

void plan_out_table(FILE *f, const struct plan *p)
{
    struct row rows[PM_COUNT + 1];
    size_t w[8] = {0};

    str_printf(rows[0].mode, sizeof(rows[0].mode), "mode");
    str_printf(rows[0].gpus, sizeof(rows[0].gpus), "GPUs");
    str_printf(rows[0].fits, sizeof(rows[0].fits), "fits");
    str_printf(rows[0].worst, sizeof(rows[0].worst), "worst p99 / SLO");
    str_printf(rows[0].mem, sizeof(rows[0].mem), "memory");
    str_printf(rows[0].faults, sizeof(rows[0].faults), "faults");
    str_printf(rows[0].perf, sizeof(rows[0].perf), "perf");
    str_printf(rows[0].verdict, sizeof(rows[0].verdict), "verdict");
    for (int m = 0; m < PM_COUNT; m++) {
        const struct plan_mode_result *r = &p->modes[m];
        struct row *o = &rows[m + 1];
        bool shown = r->evaluated && r->n_units > 0;

        str_printf(o->mode, sizeof(o->mode), "%s", plan_mode_name(r->mode));
        if (shown)
            str_printf(o->gpus, sizeof(o->gpus), "%zu of %zu", r->gpus_needed, r->gpus_available);
        else
            str_printf(o->gpus, sizeof(o->gpus), "-");
        str_printf(o->fits, sizeof(o->fits), "%s", !r->evaluated ? "-" : r->fits ? "yes" : "no");
        worst_cell(p, r, o->worst, sizeof(o->worst));
        /* A mode that does not apply isolates nothing: its classes would read as a claim. */
        str_printf(o->mem, sizeof(o->mem), "%s", r->evaluated ? plan_iso_name(r->iso.memory) : "-");
        str_printf(o->faults, sizeof(o->faults), "%s",
                   r->evaluated ? plan_iso_name(r->iso.faults) : "-");
        str_printf(o->perf, sizeof(o->perf), "%s",
                   r->evaluated ? plan_iso_name(r->iso.performance) : "-");
        verdict(r, o->verdict, sizeof(o->verdict));
    }
    for (int i = 0; i <= PM_COUNT; i++) {
        const char *cells[8] = {rows[i].mode, rows[i].gpus,   rows[i].fits, rows[i].worst,
                                rows[i].mem,  rows[i].faults, rows[i].perf, rows[i].verdict};

        for (int c = 0; c < 8; c++)
            w[c] = strlen(cells[c]) > w[c] ? strlen(cells[c]) : w[c];
    }
    for (int i = 0; i <= PM_COUNT; i++)
        fprintf(f, "  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], rows[i].mode,
                (int)w[1], rows[i].gpus, (int)w[2], rows[i].fits, (int)w[3], rows[i].worst,
                (int)w[4], rows[i].mem, (int)w[5], rows[i].faults, (int)w[6], rows[i].perf,
                rows[i].verdict);
}

void plan_out_deploy(FILE *f, const struct plan_deploy *d)
{
    if (d->mps_clients > 0) {
        fprintf(f, "  MPS: up to %u clients per GPU", d->mps_clients);
        if (d->thread_pct > 0)
            fprintf(f, ", each capped at %u%% of the threads", d->thread_pct);
        if (d->mem_mib > 0)
            fprintf(f, ", each under a %llu MiB pinned memory limit", d->mem_mib);
        if (d->low_priority_batch)
            fprintf(f, ", batch clients at below-normal priority");
        fprintf(f, "\n");
        if (d->mps_why[0] != '\0')
            fprintf(f, "       (%s)\n", d->mps_why);
    }
    if (d->k8s_mode[0] != '\0') {
        fprintf(f, "  Kubernetes: the device plugin's %s sharing", d->k8s_mode);
        if (d->k8s_replicas > 0)
            fprintf(f, ", %u replicas per GPU", d->k8s_replicas);
        fprintf(f, "\n");
    } else if (d->k8s_why[0] != '\0') {
        fprintf(f, "  Kubernetes: no device-plugin files: %s\n", d->k8s_why);
    }
    if (d->mig_layout[0] != '\0')
        fprintf(f, "  MIG: %s on %s (mig-parted config and nvidia-smi script)\n", d->mig_layout,
                d->gpu_model);
}

/* The figures the evaluated modes' predictions use, with their sources. */
static void evidence_block(FILE *f, const struct plan *p)
{
    static const enum ev_id shown[] = {EV_SLICE_MS,   EV_SWITCH_MS,   EV_TS_P50_MS,  EV_TS_P99_MS,
                                       EV_MPS_P50_MS, EV_MPS_P99_MS,  EV_MPS_K1_P99, EV_LOW_K1_P99,
                                       EV_CAP_K1_P99, EV_MPS_CLIENTS, EV_CTX_MIB,    EV_SM_STEP,
                                       EV_SM_MIN,     EV_MEMLIMIT_OK, EV_GPU_MEM_GIB};
    const struct plan_gpu *pg = &p->gpus[0];
    char cite[400], v[32];

    fprintf(f,
            "\nThe figures behind the predictions for %s (gpushare plan ... --json lists every "
            "one):\n",
            pg->g->model);
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        const struct ev_fig *fig = &pg->ev.f[shown[i]];
        const char *unit = evidence_unit(shown[i]);

        if (strcmp(unit, "ms") == 0)
            str_ms(v, sizeof(v), fig->v);
        else if (shown[i] == EV_MEMLIMIT_OK)
            str_printf(v, sizeof(v), "%s", isnan(fig->v) ? "?" : fig->v > 0 ? "yes" : "no");
        else {
            char n[24];

            str_num(n, sizeof(n), fig->v);
            str_printf(v, sizeof(v), "%s %s", n, unit);
        }
        evidence_cite(&pg->ev, shown[i], cite, sizeof(cite));
        fprintf(f, "  %s: %s\n      %s\n", evidence_what(shown[i]), v, cite);
    }
    evidence_cite_curve(&pg->ev, cite, sizeof(cite));
    fprintf(f,
            "  a request's time against its SMs (thread caps, MIG slices): %zu points\n      %s\n",
            pg->ev.infer.n, cite);
}

void plan_out_text(FILE *f, const struct plan *p, const char *file, const char *invocation)
{
    const struct plan_mode_result *b = p->any_works ? &p->modes[p->best] : NULL;
    struct plan_deploy d;
    char a[24], c[24];

    plandoc_deploy_of(p, &d);
    if (b != NULL) {
        fprintf(f, "Recommended: %s\n", b->summary);
        fprintf(f, "  why: %s\n", p->rationale);
        plan_out_deploy(f, &d);
    } else {
        fprintf(f, "No sharing mode fits: %s\n", p->rationale);
    }
    fprintf(f, "\nWhat breaks with the others:\n");
    for (int m = 0; m < PM_COUNT; m++) {
        const struct plan_mode_result *r = &p->modes[m];

        if (b != NULL && r->mode == b->mode)
            continue;
        fprintf(f, "  %s: %s%s\n", plan_mode_title(r->mode), r->rank > 1 ? "works too; " : "",
                r->breaks);
    }
    fprintf(f, "\nDecision table: %zu workload%s, %zu replica%s, on %zu GPU%s (%s):\n", p->set->n,
            p->set->n == 1 ? "" : "s", p->replicas, p->replicas == 1 ? "" : "s", p->gpus_available,
            p->gpus_available == 1 ? "" : "s", file);
    plan_out_table(f, p);
    evidence_block(f, p);
    str_num(a, sizeof(a), 100 * p->util_before);
    fprintf(f, "\nFleet: %zu replica%s", p->replicas, p->replicas == 1 ? "" : "s");
    if (b != NULL) {
        str_num(c, sizeof(c), 100 * b->util_after);
        fprintf(f,
                " on %zu GPU%s instead of %zu, one per replica: busy %s%% -> %s%% of the time "
                "(the requests' and batch shares' GPU time); no packing fits them on fewer than "
                "%zu\n",
                b->gpus_needed, b->gpus_needed == 1 ? "" : "s", p->replicas, a, c, b->lower_bound);
        fprintf(f, "\nArtifacts: %s --emit DIR writes DIR/plan.json%s%s%s\n", invocation,
                d.mps_clients > 0 ? ", DIR/mps/ (the MPS daemon's scripts and systemd unit)" : "",
                d.k8s_mode[0] != '\0' ? ", DIR/k8s/ (the device plugin's config and manifests)"
                                      : "",
                d.mig_layout[0] != '\0' ? ", DIR/mig/ (the mig-parted config and script)" : "");
    } else {
        fprintf(f, ", %s%% busy on one GPU each\n", a);
    }
}
