/* itest: what every integration test file shares on top of the harness - one environment
 * per test (`env`), printf-style queries, and the teardown that fails a test whose workers did
 * not stop cleanly or whose logs show a sanitizer report. Include after <cmocka.h>. */
#ifndef LIC_ITEST_H
#define LIC_ITEST_H

#include "harness.h"

#include <stdlib.h>

static h_env_t *env;

#define q(...) h_qf(env, __VA_ARGS__)
#define qs(...) h_qsf(env, __VA_ARGS__)
#define wait_q(expected, timeout_ms, ...) h_waitf(env, expected, timeout_ms, __VA_ARGS__)

/* Compares a string from qs() (freed here) with the expected value. */
static inline void assert_str(char *got, const char *expected)
{
    assert_non_null(got);
    assert_string_equal(got, expected);
    free(got);
}

static inline int teardown(void **state)
{
    (void)state;
    int problems = h_teardown(env);
    env = NULL;
    return problems ? -1 : 0;
}

/* The status events published so far, once the outbox has drained: the topic read until
 * `count` arrived or `timeout_ms` passed (h_read_topic()). */
static inline json_t *published_status(int count, int timeout_ms)
{
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    return h_read_topic(env, "licensing.status.v1", count, timeout_ms);
}

/* Tells the agency simulator something (POST /control). */
static inline void sim(const char *body)
{
    json_t *r = h_sim(env, body);
    assert_non_null(r);
    json_decref(r);
}

#endif
