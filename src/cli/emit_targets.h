/*
 * The targets of `gpushare emit` that live in files of their own (cli/cmd_emit.c holds the
 * table). Each parses its own options; argv[0] is the target's name.
 */
#ifndef GPUSHARE_CLI_EMIT_TARGETS_H
#define GPUSHARE_CLI_EMIT_TARGETS_H

#include <stdbool.h>

#include "core/error.h"
#include "emit/mps.h"

/* gpushare emit k8s (cli/emit_k8s.c). */
int emit_k8s(int argc, char **argv);

/* What `gpushare plan --emit` asks of the Kubernetes emitter: the options of emit k8s. */
struct emit_k8s_req {
    const char *out;
    const char *mode; /* timeslice, mps, mig-single, mig-mixed */
    unsigned replicas;
    const char *mig_layout, *gpu;
    const char *thread_pct, *mem_limit;
    bool force, quiet;
};

/* Writes the files emit k8s would for q, checked by the same rules; 0, or -1 with err set
 * (ERR_USAGE for a rule the request breaks). Prints what was written unless quiet. */
int emit_k8s_write(struct error *err, const struct emit_k8s_req *q);

/* Writes the MPS files for o into out (cli/cmd_emit.c), as emit mps does, the checked values
 * left in *cfg; results names a `bench mps` document whose thread-percentage test the files
 * cite (NULL: none). 0, or -1 with err set (ERR_USAGE for a bad value). */
int emit_mps_write(struct error *err, const struct emit_mps_opts *o, const char *out, bool force,
                   const char *results, struct emit_mps_config *cfg);

/*
 * clients MPS clients on one GPU, as option gives them: 0, or ERR_USAGE when that is more than
 * one MPS server accepted, with the figure and where it came from (the committed device
 * results, or results, a `gpushare bench mps` document of the user's card, when given).
 */
int emit_mps_clients_check(struct error *err, const char *option, unsigned clients,
                           const char *results);

#endif
