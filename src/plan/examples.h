/*
 * The example plans that ship with gpushare (examples/plan/NAME.yaml), embedded at build time so
 * `gpushare plan --example NAME` works wherever the binary is.
 */
#ifndef GPUSHARE_PLAN_EXAMPLES_H
#define GPUSHARE_PLAN_EXAMPLES_H

#include <stddef.h>

struct plan_example {
    const char *name; /* "40-models-a100-80gb" */
    const char *path; /* its file in the repository: examples/plan/NAME.yaml */
    const char *what; /* one line */
    const char *text; /* the YAML */
    size_t len;
};

const struct plan_example *plan_examples(size_t *n);
const struct plan_example *plan_example_find(const char *name);

#endif
