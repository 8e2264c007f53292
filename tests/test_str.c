/*
 * Unit tests for core/str: bounded printf and the growing string buffer.
 */
#include "core/str.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_str_printf_cuts(void **state)
{
    char small[6];

    (void)state;
    str_printf(small, sizeof(small), "%s-%d", "abcdef", 7);
    assert_string_equal(small, "abcde");
}

/* Appends of every kind grow the buffer, keep it terminated and lose nothing. */
static void test_strbuf(void **state)
{
    struct strbuf b = {0};
    char want[5000];

    (void)state;
    strbuf_add(&b, "", 0);
    assert_non_null(b.p);
    assert_string_equal(b.p, "");
    strbuf_puts(&b, "ab");
    strbuf_add(&b, "cdef", 2);
    strbuf_printf(&b, "%d%s", 42, "!");
    assert_string_equal(b.p, "abcd42!");
    assert_int_equal(b.len, 7);
    memset(want, 'x', 4000);
    want[4000] = '\0';
    strbuf_printf(&b, "%s", want); /* longer than any fixed line buffer */
    assert_int_equal(b.len, 4007);
    assert_int_equal(strlen(b.p), 4007);
    assert_memory_equal(b.p + 7, want, 4000);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_printf_cuts),
        cmocka_unit_test(test_strbuf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
