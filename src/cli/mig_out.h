/*
 * What `gpushare mig` prints: text for people, JSON for machines, and the files it writes.
 * Each printing function returns the command's exit status where it decides one, and 1 with
 * the message on stderr when JSON could not be written to stdout. A figure the catalog does
 * not know prints as "?" and is JSON null, never 0.
 */
#ifndef GPUSHARE_CLI_MIG_OUT_H
#define GPUSHARE_CLI_MIG_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "emit/migparted.h"
#include "mig/catalog.h"
#include "mig/geometry.h"
#include "plan/demand.h"
#include "plan/mig_fleet.h"
#include "plan/mig_plan.h"

/* ERR_USAGE: "unknown GPU 'X': expected one of A100-40GB, ...". */
int mig_out_unknown_gpu(struct error *err, const char *model);

int mig_out_catalog(bool json);
int mig_out_profiles(const struct mig_gpu *g, bool json);
/* The local GPU through NVML against its catalog entry: 0 match, 1 mismatch, 69 no GPU. */
int mig_out_live(int device, bool json);

/* The verdict on a checked layout (l placed when valid): 0, or 1 when stdout failed. */
int mig_out_check(const struct mig_layout *l, bool valid, const char *why, bool json);
int mig_out_layouts(const struct mig_gpu *g, bool json);
int mig_out_all_layouts(bool json);
/* A plan, fitting or not: 0, or 1 when stdout failed. The unverified rows of g are noted on
 * stderr. */
int mig_out_plan(const struct mig_gpu *g, const struct demand_set *d, const struct mig_plan *p,
                 bool json);

/* mig plan --fleet: the verdict first, each model, then the chosen model's plan. 0, or 1 when
 * stdout failed. */
int mig_out_fleet(const char *file, const struct mig_fleet *f, const struct demand_set *d,
                  bool json);
/* Why --out writes nothing for f's chosen plan (it does not fit on one GPU with MIG alone),
 * in why[size]. */
void mig_out_fleet_nothing_why(const struct mig_fleet *f, char *why, size_t size);

/* DIR/NAME.yaml (mig-parted config) and DIR/NAME.sh (nvidia-smi commands) through
 * core/fileset.h: DIR made if missing, existing files refused unless force ("'PATH' exists:
 * pass --force to replace it"), both or neither. Prints nothing. ERR_IO. */
int mig_out_write(struct error *err, const char *dir, const struct mig_layout *l, const char *name,
                  bool force);
/* What mig_out_write wrote and the node label line, on stdout. */
void mig_out_wrote(const char *dir, const char *name);
/* "gpushare: nothing written to DIR: WHY" on stderr. */
void mig_out_nothing_written(const char *dir, const char *why);

#endif
