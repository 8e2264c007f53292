/*
 * Helpers shared by the MIG suites (geometry, migparted, mig_plan). Include after <cmocka.h>.
 */
#ifndef GPUSHARE_TESTS_MIG_CHECK_H
#define GPUSHARE_TESTS_MIG_CHECK_H

#include "mig/catalog.h"

/* The catalog's row for model; fails the test when there is none. */
static inline const struct mig_gpu *catalog_gpu(const char *model)
{
    const struct mig_gpu *g = mig_gpu_find(model);

    if (g == NULL)
        fail_msg("no '%s' in the catalog", model);
    return g;
}

#endif
