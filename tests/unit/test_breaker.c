/* breaker: closed, open after the threshold, half-open with one probe after the cool-down,
 * closed by a success, open again by a failed probe; opening reported once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "breaker.h"

static void test_cycle(void **state)
{
    (void)state;
    cb_t b;
    cb_init(&b, 3, 1000);
    assert_int_equal(cb_state(&b, 0), CB_CLOSED);
    assert_int_equal(cb_allowed(&b, 8, 2, 0), 6);
    assert_int_equal(cb_failure(&b, 10), 0);
    assert_int_equal(cb_failure(&b, 20), 0);
    assert_int_equal(cb_state(&b, 20), CB_CLOSED);
    assert_int_equal(cb_failure(&b, 30), 1); /* the third opens it */
    assert_int_equal(cb_state(&b, 31), CB_OPEN);
    assert_int_equal(cb_allowed(&b, 8, 0, 500), 0);
    assert_int_equal(cb_failure(&b, 40), 0); /* a late failure while open: reported once */
    assert_int_equal(cb_state(&b, 1040), CB_HALF_OPEN);
    assert_int_equal(cb_allowed(&b, 8, 0, 1040), 1); /* one probe */
    assert_int_equal(cb_allowed(&b, 8, 1, 1040), 0);
    assert_int_equal(cb_failure(&b, 1050), 1); /* the probe failed: open again */
    assert_int_equal(cb_state(&b, 1051), CB_OPEN);
    assert_int_equal(cb_state(&b, 2050), CB_HALF_OPEN);
    cb_success(&b);
    assert_int_equal(cb_state(&b, 2051), CB_CLOSED);
    assert_int_equal(cb_allowed(&b, 8, 0, 2051), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cycle)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
