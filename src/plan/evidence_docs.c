/*
 * The device results committed under results/ that the planner draws on when the user gave
 * none: embedded whole at build time (the assembler's .incbin, run from the repository root as
 * make is), so `gpushare plan` finds them wherever the binary runs. One of each kind, the
 * newest: tests/test_evidence.c fails when a newer one is committed and this list is not
 * moved to it. The Makefile's EVIDENCE_DOCS names the same files, so a change rebuilds this.
 */
#include <stddef.h>

#define EV_EMBED(sym, path)                                                                        \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n"                                                                         \
            ".type " #sym ", @object\n" #sym ":\n"                                                 \
            ".incbin \"" path "\"\n"                                                               \
            ".byte 0\n"                                                                            \
            ".type " #sym "_end, @object\n" #sym "_end:\n"                                         \
            ".previous\n")

#define DOC_TIMESLICE "results/2026-11-24-h100-timeslice.json"
#define DOC_MPS_CONTENTION "results/2026-11-24-h100-mps-contention.json"
#define DOC_MPS "results/2026-11-24-h100-mps.json"
#define DOC_MIG "results/2026-11-24-h100-mig.json"

EV_EMBED(ev_doc_timeslice, DOC_TIMESLICE);
EV_EMBED(ev_doc_mps_contention, DOC_MPS_CONTENTION);
EV_EMBED(ev_doc_mps, DOC_MPS);
EV_EMBED(ev_doc_mig, DOC_MIG);

/* Local to this object: the asm above defines them, C only reads them. */
extern const char ev_doc_timeslice[], ev_doc_timeslice_end[];
extern const char ev_doc_mps_contention[], ev_doc_mps_contention_end[];
extern const char ev_doc_mps[], ev_doc_mps_end[];
extern const char ev_doc_mig[], ev_doc_mig_end[];

const char *const evidence_committed_names[] = {DOC_TIMESLICE, DOC_MPS_CONTENTION, DOC_MPS,
                                                DOC_MIG};
const size_t evidence_committed_count =
    sizeof(evidence_committed_names) / sizeof(evidence_committed_names[0]);

void evidence_committed_blob(size_t i, const char **buf, size_t *len);

void evidence_committed_blob(size_t i, const char **buf, size_t *len)
{
    static const char *const start[] = {ev_doc_timeslice, ev_doc_mps_contention, ev_doc_mps,
                                        ev_doc_mig};
    static const char *const end[] = {ev_doc_timeslice_end, ev_doc_mps_contention_end,
                                      ev_doc_mps_end, ev_doc_mig_end};

    *buf = start[i];
    *len = (size_t)(end[i] - start[i]) - 1; /* the NUL .byte after each */
}
