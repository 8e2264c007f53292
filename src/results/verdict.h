/*
 * A test's verdict against its bar (docs/results.md: "verdict"): one enum for the benchmarks
 * that judge and the readers that print.
 */
#ifndef GPUSHARE_RESULTS_VERDICT_H
#define GPUSHARE_RESULTS_VERDICT_H

enum verdict_status {
    VERDICT_INFO = 0, /* measured and reported; no bar applies */
    VERDICT_MEETS,
    VERDICT_MISSES,
};

/* "info", "meets" or "misses"; "unknown" for a value outside the enum, never NULL. */
const char *verdict_name(enum verdict_status v);

/* value >= bar: MEETS, else MISSES. NaN value: MISSES. */
enum verdict_status verdict_at_least(double value, double bar);
/* value within [lo, hi] inclusive: MEETS, else (NaN included) MISSES. */
enum verdict_status verdict_within(double value, double lo, double hi);

#endif
