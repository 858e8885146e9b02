/* jx_dumps(): the same bytes as json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) for every message
 * of the contract's examples, for strings holding every escape jansson makes (and the
 * characters it leaves alone), for numbers at their limits, and for random documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "jsonx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void same_as_jansson(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *got = jx_dumps(v);
    assert_non_null(want);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(want);
    free(got);
}

static void test_contract_examples(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/examples", getenv("LIC_PROTO_DIR"));
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".json"))
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        json_error_t err;
        json_t *v = json_load_file(path, 0, &err);
        assert_non_null(v);
        same_as_jansson(v);
        json_decref(v);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

static void test_escapes_and_limits(void **state)
{
    (void)state;
    /* Every control character, quote, backslash, slash, DEL, two-, three- and four-byte
     * characters, and a NUL inside a string. */
    char all[64];
    for (int i = 0; i < 32; i++)
        all[i] = (char)(i + 1 == 32 ? 31 : i + 1);
    json_t *o = json_object();
    json_object_set_new(o, "controls", json_stringn(all, 31));
    json_object_set_new(o, "marks", json_string("\"quoted\" back\\slash /slash/ \x7f del"));
    json_object_set_new(o, "kazakh", json_string("Қазақстан Республикасы, «Астана»"));
    json_object_set_new(o, "emoji", json_string("\xf0\x9f\x98\x80 and \xe2\x80\xa8"));
    json_object_set_new(o, "nul", json_stringn("a\0b", 3));
    json_object_set_new(o, "key \"with\"\n escapes", json_true());
    json_object_set_new(o, "", json_string(""));
    json_object_set_new(o, "max", json_integer(INT64_MAX));
    json_object_set_new(o, "min", json_integer(INT64_MIN));
    json_object_set_new(o, "zero", json_integer(0));
    json_object_set_new(o, "reals", json_pack("[f,f,f,f,f]", 0.1, 3.0, -1e300, 1e-7, 123456.789));
    json_object_set_new(o, "empty", json_pack("{s:{},s:[]}", "object", "array"));
    json_object_set_new(o, "literals", json_pack("[b,b,n]", 1, 0));
    same_as_jansson(o);
    /* Insertion order is kept, as jansson keeps it. */
    json_t *order = json_object();
    for (int i = 50; i > 0; i--) {
        char k[8];
        snprintf(k, sizeof(k), "k%d", i);
        json_object_set_new(order, k, json_integer(i));
    }
    json_object_del(order, "k25");
    json_object_set_new(order, "k25", json_null());
    same_as_jansson(order);
    json_decref(order);
    /* Scalars alone (JSON_ENCODE_ANY). */
    json_t *s = json_string("alone");
    same_as_jansson(s);
    json_decref(s);
    json_decref(o);
}

/* A random document: nested objects and arrays of random strings (random code points of one
 * to four bytes, control characters and quotes often), integers and literals. */
static unsigned long long rnd_state = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)(rnd_state % n);
}

static json_t *random_string(void)
{
    char b[256];
    size_t n = 0, len = rnd(40);
    for (size_t i = 0; i < len; i++) {
        unsigned k = rnd(10);
        if (k < 2) {
            b[n++] = (char)rnd(0x20);
        } else if (k < 3) {
            b[n++] = "\"\\/"[rnd(3)];
        } else if (k < 6) {
            b[n++] = (char)(0x20 + rnd(0x60));
        } else if (k < 8) { /* U+0080..U+07FF */
            unsigned cp = 0x80 + rnd(0x780);
            b[n++] = (char)(0xC0 | (cp >> 6));
            b[n++] = (char)(0x80 | (cp & 0x3F));
        } else if (k < 9) { /* U+0800..U+D7FF */
            unsigned cp = 0x800 + rnd(0xD000);
            b[n++] = (char)(0xE0 | (cp >> 12));
            b[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            b[n++] = (char)(0x80 | (cp & 0x3F));
        } else { /* U+10000..U+10FFFF */
            unsigned cp = 0x10000 + rnd(0x100000);
            b[n++] = (char)(0xF0 | (cp >> 18));
            b[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            b[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            b[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    json_t *s = json_stringn(b, n);
    assert_non_null(s); /* valid UTF-8 by construction */
    return s;
}

static json_t *random_value(int depth)
{
    switch (depth > 4 ? rnd(3) : rnd(5)) {
    case 0:
        return random_string();
    case 1:
        return json_integer((json_int_t)((long long)rnd(2000000) - 1000000) * (rnd(2) ? 1 : 9973));
    case 2:
        return rnd(3) == 0 ? json_null() : json_boolean(rnd(2));
    case 3: {
        json_t *a = json_array();
        for (unsigned i = rnd(6); i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (unsigned i = rnd(6); i > 0; i--) {
            json_t *k = random_string();
            json_object_set_new(o, json_string_value(k), random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void test_random_documents(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        json_t *v = random_value(0);
        same_as_jansson(v);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_examples),
        cmocka_unit_test(test_escapes_and_limits),
        cmocka_unit_test(test_random_documents),
    };
    return cmocka_run_group_tests_name("jsonx", tests, NULL, NULL);
}
