#include "results/verdict.h"

#include <math.h>

const char *verdict_name(enum verdict_status v)
{
    switch (v) {
    case VERDICT_INFO:
        return "info";
    case VERDICT_MEETS:
        return "meets";
    case VERDICT_MISSES:
        return "misses";
    }
    // A cast from a corrupt int must not become a NULL in a printf.
    return "unknown";
}

enum verdict_status verdict_at_least(double value, double bar)
{
    // Every comparison with NaN is false, so a NaN value (or bar) misses.
    return value >= bar ? VERDICT_MEETS : VERDICT_MISSES;
}

enum verdict_status verdict_within(double value, double lo, double hi)
{
    return (value >= lo && value <= hi) ? VERDICT_MEETS : VERDICT_MISSES;
}
