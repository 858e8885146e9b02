/* Logging: IIN/BIN masking and one JSON object per line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_twelve_digit_identifiers_are_masked_to_last_four(void **state)
{
    char s[] = "applicant 880101300123 with BIN=070340001239.";
    log_mask_identifiers(s);
    assert_string_equal(s, "applicant ********0123 with BIN=********1239.");
}

static void test_other_digit_runs_are_left_alone(void **state)
{
    char s[] = "offset 12345678901 and 1234567890123 and 2026";
    log_mask_identifiers(s);
    assert_string_equal(s, "offset 12345678901 and 1234567890123 and 2026");
}

static void test_log_line_is_one_json_object_with_masked_fields(void **state)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    log_init("test", LOG_LEVEL_INFO);
    json_t *f = json_object();
    json_object_set_new(f, "iin", json_string("880101300123"));
    log_write(LOG_LEVEL_INFO, "registered 900515400232", f);
    log_write(LOG_LEVEL_DEBUG, "not shown", NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    FILE *in = fopen(path, "r");
    char line[1024];
    assert_non_null(fgets(line, sizeof(line), in));
    assert_null(fgets(line + 512, 512, in)); /* exactly one line */
    fclose(in);
    unlink(path);
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "iin")), "********0123");
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "registered ********0232");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(o, "service")), "test");
    assert_null(strstr(line, "880101300123"));
    json_decref(o);
}

/* A password read from configuration never reaches a log line, even inside a library's error
 * message or a field. */
static void test_secrets_are_never_written(void **state)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    log_init("test", LOG_LEVEL_INFO);
    log_add_secret("pg-Pa55word-7");
    log_add_secret("ab"); /* too short to mask: ignored */
    json_t *f = json_object();
    json_object_set_new(f, "error",
                        json_string("password authentication failed for"
                                    " \"pg-Pa55word-7\""));
    log_write(LOG_LEVEL_WARN, "conninfo password=pg-Pa55word-7 host=db label=ab", f);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    FILE *in = fopen(path, "r");
    char line[1024];
    assert_non_null(fgets(line, sizeof(line), in));
    fclose(in);
    unlink(path);
    assert_null(strstr(line, "pg-Pa55word-7"));
    json_t *o = json_loads(line, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "conninfo password=************* host=db label=ab");
    assert_non_null(strstr(json_string_value(json_object_get(o, "error")), "*************"));
    assert_non_null(strstr(line, "label=ab")); /* a short "secret" is not masked */
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twelve_digit_identifiers_are_masked_to_last_four),
        cmocka_unit_test(test_other_digit_runs_are_left_alone),
        cmocka_unit_test(test_log_line_is_one_json_object_with_masked_fields),
        cmocka_unit_test(test_secrets_are_never_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
