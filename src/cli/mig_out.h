/*
 * What `gpushare mig` prints: text for people, JSON for machines, and the files it writes.
 * Each function returns the command's exit status where it decides one.
 */
#ifndef GPUSHARE_CLI_MIG_OUT_H
#define GPUSHARE_CLI_MIG_OUT_H

#include <stdbool.h>

#include "core/error.h"
#include "emit/migparted.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/mig_plan.h"

/* ERR_USAGE: "unknown GPU 'X': expected one of A100-40GB, ...". */
int mig_out_unknown_gpu(struct error *err, const char *model);

int mig_out_catalog(bool json);
int mig_out_profiles(const struct mig_gpu *g, bool json);
/* The local GPU through NVML against its catalog entry: 0 match, 1 mismatch, 69 no GPU. */
int mig_out_live(int device, bool json);

void mig_out_check(const struct mig_layout *l, bool valid, const char *why, bool json);
int mig_out_layouts(const struct mig_gpu *g, bool json);
int mig_out_all_layouts(bool json);
void mig_out_plan(const struct mig_gpu *g, const struct demand_set *d, const struct mig_plan *p,
                  bool json);

/* DIR/NAME.yaml and DIR/NAME.sh, both staged before either is renamed (a failure while writing
 * replaces nothing; each rename is atomic), and the node label line. */
int mig_out_files(struct error *err, const char *dir, const struct mig_layout *l, const char *name,
                  bool json);

#endif
