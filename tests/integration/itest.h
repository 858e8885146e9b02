/* itest: what every integration test file shares on top of the harness - one environment
 * per test (`env`), printf-style queries, and the teardown that fails a test whose workers did
 * not stop cleanly or whose logs show a sanitizer report. Include after <cmocka.h>. */
#ifndef LIC_ITEST_H
#define LIC_ITEST_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* `approvalctl app WHICH` as an operator runs it must show every string of `expect`
 * (NULL-terminated); the test fails with the output otherwise. */
static inline void assert_app_shows(const char *which, const char *const *expect)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s/approvalctl' app %s", getenv("LIC_TEST_BIN_DIR"), which);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char text[1 << 16];
    text[fread(text, 1, sizeof(text) - 1, p)] = '\0';
    assert_int_equal(pclose(p), 0);
    for (int k = 0; expect[k]; k++)
        if (!strstr(text, expect[k]))
            fail_msg("approvalctl app does not show '%s':\n%s", expect[k], text);
}

/* The example application of the imported KPR-L-2025-000117's holder asking for the license's
 * next annex (Standard row 5): sub-activity 5 at a base in Saran (a new reference). */
static inline json_t *annex_submission(const char *id, const char *submitted_at)
{
    json_t *ev = h_submission(id, h_uuid(), submitted_at);
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(data, "annex_to", json_string("KPR-L-2025-000117"));
    json_object_set_new(data, "subtypes", json_pack("[i]", 5));
    json_object_set_new(data, "production_base",
                        json_pack("{s:s,s:s}", "region", "KZ-KAR", "address",
                                  "Қарағанды облысы, Саран қ., Кеншілер көшесі, 12"));
    return ev;
}

/* The text of document NUMBER's PDF as stored (`approvalctl document get`, then pdftotext),
 * passed through `tr TR_ARGS`; a static buffer. */
static inline const char *stored_pdf_text(const char *number, const char *tr_args)
{
    char cmd[1400];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s/approvalctl' document get '%s' --pdf stored.pdf >/dev/null"
             " && pdftotext -enc UTF-8 stored.pdf - | tr %s",
             env->workdir, getenv("LIC_TEST_BIN_DIR"), number, tr_args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char text[1 << 16];
    text[fread(text, 1, sizeof(text) - 1, p)] = '\0';
    assert_int_equal(pclose(p), 0);
    return text;
}

/* Imports licenses (CSV rows after the header) with `approvalctl import-licenses`, the
 * migration path of licenses issued before this system. */
static inline void import_licenses(const char *csv)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/licenses.csv", env->workdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("number,holder_type,holder_id,holder_name,first_issued_on\n", f);
    fputs(csv, f);
    fclose(f);
    const char *args[] = {"import-licenses", path, NULL};
    assert_int_equal(h_stop(env, h_spawn(env, "approvalctl", args), 0, 30000), 0);
}

#endif
