/*
 * JSON value types as bit masks, so a reader can accept "an integer or null" in one test and
 * name what it wanted in its error. Shared by every checker of documents we are handed.
 */
#ifndef GPUSHARE_RESULTS_JTYPE_H
#define GPUSHARE_RESULTS_JTYPE_H

#include <jansson.h>

enum jtype {
    JT_OBJECT = 1u << 0,
    JT_ARRAY = 1u << 1,
    JT_STRING = 1u << 2,
    JT_INTEGER = 1u << 3,
    JT_REAL = 1u << 4,
    JT_BOOL = 1u << 5,
    JT_NULL = 1u << 6,
    JT_NUMBER = JT_INTEGER | JT_REAL,
    JT_SCALAR = JT_NUMBER | JT_STRING | JT_BOOL | JT_NULL,
};

/* The one bit of j's type. */
unsigned jtype_of(const json_t *j);

/* "an integer or null" for a mask, for messages; "another type" for masks no reader uses. */
const char *jtype_text(unsigned types);

#endif
