#include "results/jtype.h"

unsigned jtype_of(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return JT_OBJECT;
    case JSON_ARRAY:
        return JT_ARRAY;
    case JSON_STRING:
        return JT_STRING;
    case JSON_INTEGER:
        return JT_INTEGER;
    case JSON_REAL:
        return JT_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return JT_BOOL;
    case JSON_NULL:
        break;
    }
    return JT_NULL;
}

const char *jtype_text(unsigned types)
{
    switch (types) {
    case JT_OBJECT:
        return "an object";
    case JT_ARRAY:
        return "an array";
    case JT_STRING:
        return "a string";
    case JT_INTEGER:
        return "an integer";
    case JT_REAL:
    case JT_NUMBER:
        return "a number";
    case JT_BOOL:
        return "a boolean";
    case JT_NULL:
        return "null";
    case JT_OBJECT | JT_NULL:
        return "an object or null";
    case JT_STRING | JT_NULL:
        return "a string or null";
    case JT_INTEGER | JT_NULL:
        return "an integer or null";
    case JT_NUMBER | JT_NULL:
        return "a number or null";
    case JT_SCALAR:
        return "a number, string, boolean or null";
    }
    return "another type";
}
