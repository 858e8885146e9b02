/* agencies: configuration loading and reply signature verification. */
#include "agencies.h"

#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static EVP_PKEY *key;
static char path[256];

static void b64(const unsigned char *in, size_t len, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static void write_config(const char *url, int allow_plain)
{
    unsigned char pub[32];
    size_t len = sizeof(pub);
    char pubs[64];
    EVP_PKEY_get_raw_public_key(key, pub, &len);
    b64(pub, len, pubs);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"allow_plain_http\": %s, \"agencies\": {"
            "\"industrial_safety\": {\"units\": {\"*\": \"%s\"}, \"keys\": {\"k1\": \"%s\"}},"
            "\"sanitary\": {\"units\": {\"KZ-KAR\": \"%s\"}, \"keys\": {\"k2\": \"%s\"}}}}",
            allow_plain ? "true" : "false", url, pubs, url, pubs);
    fclose(f);
}

static void sign(const char *msg, char *sig_b64)
{
    unsigned char sig[64];
    size_t n = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key);
    EVP_DigestSign(ctx, sig, &n, (const unsigned char *)msg, strlen(msg));
    EVP_MD_CTX_free(ctx);
    b64(sig, n, sig_b64);
}

static void test_reply_signed_with_the_configured_key_verifies(void **state)
{
    (void)state;
    write_config("https://ps.example.kz", 0);
    ag_config_t cfg;
    char err[256], sig[128];
    assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), 0);
    const char *msg = "{\"specversion\":\"1.0\"}";
    sign(msg, sig);
    assert_int_equal(
        ag_verify(&cfg, AG_INDUSTRIAL_SAFETY, "k1", sig, msg, strlen(msg), err, sizeof(err)), 0);
    /* One byte changed: the signature no longer verifies. */
    const char *other = "{\"specversion\":\"1.1\"}";
    assert_int_equal(
        ag_verify(&cfg, AG_INDUSTRIAL_SAFETY, "k1", sig, other, strlen(other), err, sizeof(err)),
        -1);
    assert_non_null(strstr(err, "does not verify"));
    /* The sanitary service's key id is not a key of industrial safety. */
    assert_int_equal(
        ag_verify(&cfg, AG_INDUSTRIAL_SAFETY, "k2", sig, msg, strlen(msg), err, sizeof(err)), -1);
    assert_int_equal(
        ag_verify(&cfg, AG_INDUSTRIAL_SAFETY, NULL, NULL, msg, strlen(msg), err, sizeof(err)), -1);
    assert_int_equal(ag_verify(&cfg, AG_INDUSTRIAL_SAFETY, "k1", "not-base64!", msg, strlen(msg),
                               err, sizeof(err)),
                     -1);
    ag_free(&cfg);
}

static void test_units_resolve_by_region_then_star(void **state)
{
    (void)state;
    write_config("https://u.example.kz", 0);
    ag_config_t cfg;
    char err[256];
    assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), 0);
    assert_string_equal(ag_unit_url(&cfg, AG_INDUSTRIAL_SAFETY, "KZ-PAV"), "https://u.example.kz");
    assert_string_equal(ag_unit_url(&cfg, AG_SANITARY, "KZ-KAR"), "https://u.example.kz");
    assert_null(ag_unit_url(&cfg, AG_SANITARY, "KZ-PAV")); /* no unit, no "*" */
    ag_free(&cfg);
}

static void test_plain_http_needs_an_explicit_opt_in(void **state)
{
    (void)state;
    ag_config_t cfg;
    char err[256];
    write_config("http://u.example.kz", 0);
    assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "allow_plain_http"));
    write_config("http://u.example.kz", 1);
    assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), 0);
    ag_free(&cfg);
}

static void test_the_shipped_example_loads(void **state)
{
    (void)state;
    char example[512];
    snprintf(example, sizeof(example), "%s/deploy/config/agencies.example.json",
             getenv("LIC_SRC_DIR") ? getenv("LIC_SRC_DIR") : ".");
    ag_config_t cfg;
    char err[256];
    assert_int_equal(ag_load(example, &cfg, err, sizeof(err)), 0);
    assert_non_null(cfg.tls_cert);
    assert_int_equal(cfg.allow_plain_http, 0);
    ag_free(&cfg);
}

static void test_reply_topics_name_their_agency(void **state)
{
    (void)state;
    assert_int_equal(ag_for_reply_topic("agency.sanitary.replies.v1"), AG_SANITARY);
    assert_int_equal(ag_for_reply_topic("agency.industrial-safety.replies.v1"),
                     AG_INDUSTRIAL_SAFETY);
    assert_int_equal(ag_for_reply_topic("portal.applications.v1"), -1);
}

int main(void)
{
    key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    snprintf(path, sizeof(path), "/tmp/lic-test-agencies-%d.json", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_signed_with_the_configured_key_verifies),
        cmocka_unit_test(test_units_resolve_by_region_then_star),
        cmocka_unit_test(test_plain_http_needs_an_explicit_opt_in),
        cmocka_unit_test(test_the_shipped_example_loads),
        cmocka_unit_test(test_reply_topics_name_their_agency),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    EVP_PKEY_free(key);
    return rc;
}
