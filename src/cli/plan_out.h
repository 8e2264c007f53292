/*
 * What `gpushare plan` prints: the answer first, then what breaks with each other mode, the
 * decision table, the figures behind the predictions, the fleet's numbers and the artifacts.
 */
#ifndef GPUSHARE_CLI_PLAN_OUT_H
#define GPUSHARE_CLI_PLAN_OUT_H

#include <stdio.h>

#include "plan/plandoc.h"
#include "plan/planner.h"

/* The whole text; file names the input, invocation how to run it again ("gpushare plan
 * --example NAME"), for the artifacts line. */
void plan_out_text(FILE *f, const struct plan *p, const char *file, const char *invocation);

/* The decision table alone: what the golden files hold. */
void plan_out_table(FILE *f, const struct plan *p);

/* One line per deployment figure, for --emit's report. */
void plan_out_deploy(FILE *f, const struct plan_deploy *d);

#endif
