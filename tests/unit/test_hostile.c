/* Hostile input to the decoders of external messages: oversized, deeply nested, invalid
 * UTF-8, NUL bytes, SQL metacharacters. Each is rejected with a reason or accepted as data,
 * never a crash. */
#include "event.h"
#include "messages.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *example(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/examples/%s", getenv("LIC_PROTO_DIR"), name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int validate(const char *buf, size_t len, char *err, size_t size)
{
    char type[128];
    return msg_validate(buf, len, type, sizeof(type), err, size);
}

static void test_oversized_message_is_rejected_unread(void **state)
{
    (void)state;
    size_t len = EV_MAX_BYTES + 10;
    char *big = malloc(len);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    char err[256];
    assert_int_equal(validate(big, len, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "exceeds"));
    free(big);
}

static void test_deeply_nested_json_is_rejected(void **state)
{
    (void)state;
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    char err[256];
    assert_int_equal(validate(deep, depth * 2, err, sizeof(err)), -1);
    free(deep);
}

static void test_invalid_utf8_is_rejected(void **state)
{
    (void)state;
    char *ev = example("complaint.filed.v1.json");
    char *text = strstr(ev, "Прошу");
    assert_non_null(text);
    text[0] = (char)0xC3; /* a lead byte followed by a non-continuation byte */
    text[1] = 'x';
    char err[256];
    assert_int_equal(validate(ev, strlen(ev), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "JSON"));
}

static void test_nul_inside_a_string_is_rejected(void **state)
{
    (void)state;
    const char *ev =
        "{\"specversion\":\"1.0\",\"id\":\"a\\u0000b\",\"source\":\"/p\",\"type\":\"t\","
        "\"data\":{}}";
    char err[256];
    assert_int_equal(validate(ev, strlen(ev), err, sizeof(err)), -1);
}

static void test_sql_metacharacters_are_plain_data(void **state)
{
    (void)state;
    /* A complaint whose text is an SQL injection attempt is valid input: stored verbatim by
     * parameterised statements (the integration tests check the row). */
    json_t *ev = json_loads(example("complaint.filed.v1.json"), 0, NULL);
    json_object_set_new(json_object_get(ev, "data"), "text",
                        json_string("'); DROP TABLE complaints; -- \" \\\\ %s %n"));
    char *s = json_dumps(ev, JSON_COMPACT);
    char err[256];
    assert_int_equal(validate(s, strlen(s), err, sizeof(err)), 0);
    free(s);
    json_decref(ev);
}

static void test_every_truncation_of_an_example_is_handled(void **state)
{
    (void)state;
    const char *names[] = {"application.submitted.v1.json", "agency.replied.v1.json",
                           "complaint.filed.v1.json", "hearing.concluded.v1.json"};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        char *ev = strdup(example(names[k]));
        size_t len = strlen(ev);
        char err[256];
        for (size_t cut = 0; cut < len - 1; cut += 7)
            assert_int_equal(validate(ev, cut, err, sizeof(err)), -1);
        free(ev);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_message_is_rejected_unread),
        cmocka_unit_test(test_deeply_nested_json_is_rejected),
        cmocka_unit_test(test_invalid_utf8_is_rejected),
        cmocka_unit_test(test_nul_inside_a_string_is_rejected),
        cmocka_unit_test(test_sql_metacharacters_are_plain_data),
        cmocka_unit_test(test_every_truncation_of_an_example_is_handled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
