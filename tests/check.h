/*
 * Assertions shared by the table-driven suites. Include after <cmocka.h>.
 */
#ifndef GPUSHARE_TESTS_CHECK_H
#define GPUSHARE_TESTS_CHECK_H

#include <math.h>
#include <stddef.h>

#include <jansson.h>

/* The number of rows in a table (an array, not a pointer). */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka's assert_float_equal narrows to float and lets NaN through; this does neither. A NaN
 * want demands a NaN; table row i and the field name say which case failed. */
static inline void check_close(double got, double want, double tol, const char *field, size_t i)
{
    if (isnan(want)) {
        if (!isnan(got))
            fail_msg("case %zu: %s = %.17g, want NaN", i, field, got);
        return;
    }
    if (!(fabs(got - want) <= tol))
        fail_msg("case %zu: %s = %.17g, want %.17g (tolerance %g)", i, field, got, want, tol);
}

/* The JSON document at path, parsed; fails the test when it cannot be read or is not JSON. */
static inline json_t *check_load_json(const char *path)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);

    if (doc == NULL)
        fail_msg("'%s' is not JSON: line %d: %s", path, je.line, je.text);
    return doc;
}

#endif
