/* util: derived uuids stay what they were - an event's id is derived from what it records
 * (ob_status_payload, the hearing's id), so a retry or a rerun after an upgrade must derive
 * the same one, or consumers would see the event twice - and random uuids have the v4 form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Known answers, from Python: SHA-256 of the name, first 16 bytes, variant and version bits
 * (hashlib.sha256(name).digest()[:16], byte 6 = 0x8X, byte 8 = 10XX XXXX). */
static void test_derived_uuid_known_answers(void **state)
{
    (void)state;
    char id[UUID_STR_LEN];
    util_uuid_derive("status|0b7f6a4e-1d2c-4f3a-9e8d-7c6b5a493827|agency_deemed_approved|timer:42",
                     id);
    assert_string_equal(id, "0e1f9dde-7967-8352-bf73-c58f6a697f07");
    util_uuid_derive("hearing|x", id);
    assert_string_equal(id, "8caa8de2-3315-870f-a4ff-e1605b6b3230");
    /* The same name again (the digest is set up once and reused). */
    util_uuid_derive("hearing|x", id);
    assert_string_equal(id, "8caa8de2-3315-870f-a4ff-e1605b6b3230");
}

static void test_random_uuid_form(void **state)
{
    (void)state;
    char a[UUID_STR_LEN], b[UUID_STR_LEN];
    assert_int_equal(util_uuid_v4(a), 0);
    assert_int_equal(util_uuid_v4(b), 0);
    assert_true(util_is_uuid(a));
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
    assert_string_not_equal(a, b);
}

/* util_reserve: room for what is asked, doubling from `first`, the contents kept, and no
 * reallocation when the room is there. */
static void test_reserve(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t cap = 0;
    assert_int_equal(util_reserve(&buf, &cap, 10, 16), 0);
    assert_non_null(buf);
    assert_int_equal(cap, 16);
    memcpy(buf, "0123456789", 10);
    char *before = buf;
    assert_int_equal(util_reserve(&buf, &cap, 16, 16), 0);
    assert_ptr_equal(buf, before);
    assert_int_equal(cap, 16);
    assert_int_equal(util_reserve(&buf, &cap, 100, 16), 0);
    assert_int_equal(cap, 128);
    assert_memory_equal(buf, "0123456789", 10);
    assert_int_equal(util_reserve(&buf, &cap, 129, 16), 0);
    assert_int_equal(cap, 256);
    assert_memory_equal(buf, "0123456789", 10);
    free(buf);
}

static void test_replace_all(void **state)
{
    (void)state;
    char *r = util_replace_all("a {{x}} b {{x}}", "{{x}}", "2026-03-20T11:00:00+05:00");
    assert_string_equal(r, "a 2026-03-20T11:00:00+05:00 b 2026-03-20T11:00:00+05:00");
    free(r);
    r = util_replace_all("none here", "{{x}}", "y");
    assert_string_equal(r, "none here");
    free(r);
    r = util_replace_all("{{x}}", "{{x}}", "");
    assert_string_equal(r, "");
    free(r);
}

static void test_hex_round_trip(void **state)
{
    (void)state;
    const unsigned char b[] = {0x00, 0x7f, 0x80, 0xff, 0x25};
    char *h = util_hex_encode(b, sizeof(b));
    assert_string_equal(h, "007f80ff25");
    size_t n = 0;
    unsigned char *back = util_hex_decode(h, &n);
    assert_int_equal(n, sizeof(b));
    assert_memory_equal(back, b, sizeof(b));
    free(back);
    free(h);
    assert_null(util_hex_decode("0g", &n));
    assert_null(util_hex_decode("abc", &n));
    back = util_hex_decode("ABcd", &n);
    assert_int_equal(n, 2);
    assert_int_equal(back[0], 0xab);
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derived_uuid_known_answers),
        cmocka_unit_test(test_random_uuid_form),
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_replace_all),
        cmocka_unit_test(test_hex_round_trip),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
