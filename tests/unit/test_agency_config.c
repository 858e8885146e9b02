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

/* A configuration whose two agencies have their units at URL and the raw public key PUB. */
static void write_config_with(const char *url, int allow_plain, const unsigned char pub[32])
{
    char pubs[64];
    b64(pub, 32, pubs);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"allow_plain_http\": %s, \"agencies\": {"
            "\"industrial_safety\": {\"units\": {\"*\": \"%s\"}, \"keys\": {\"k1\": \"%s\"}},"
            "\"sanitary\": {\"units\": {\"KZ-KAR\": \"%s\"}, \"keys\": {\"k2\": \"%s\"}}}}",
            allow_plain ? "true" : "false", url, pubs, url, pubs);
    fclose(f);
}

/* The same with the test's own key. */
static void write_config(const char *url, int allow_plain)
{
    unsigned char pub[32];
    size_t len = sizeof(pub);
    EVP_PKEY_get_raw_public_key(key, pub, &len);
    write_config_with(url, allow_plain, pub);
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

static void unhex(const char *hex, unsigned char *out)
{
    for (size_t i = 0; hex[2 * i]; i++)
        sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* RFC 8032, 7.1, TEST 2 (a one-byte message) verifies, and fails with any bit of it changed; a
 * public key of small order (the neutral point, with which a "signature" verifies for any
 * message) is refused when the configuration is loaded. */
static void test_rfc8032_vector_and_small_order_keys(void **state)
{
    (void)state;
    unsigned char pub[32], sig[64];
    unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", pub);
    unhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
          "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
          sig);
    char sig_b64[128], err[256];
    b64(sig, sizeof(sig), sig_b64);
    write_config_with("https://u.example.kz", 0, pub);
    ag_config_t cfg;
    assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), 0);
    const unsigned char msg[] = {0x72};
    assert_int_equal(ag_verify(&cfg, AG_SANITARY, "k2", sig_b64, msg, 1, err, sizeof(err)), 0);
    for (int bit = 0; bit < 8; bit++) {
        unsigned char other = (unsigned char)(msg[0] ^ (1u << bit));
        assert_int_equal(ag_verify(&cfg, AG_SANITARY, "k2", sig_b64, &other, 1, err, sizeof(err)),
                         -1);
    }
    ag_free(&cfg);
    unsigned char neutral[32] = {1};
    write_config_with("https://u.example.kz", 0, neutral);
    assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a valid Ed25519 public key"));
}

/* The key format of proto/schemas/agencies.schema.json: a raw 32-byte key in base64, not a
 * shorter or longer one, nor the same key as SPKI DER, PEM or hex. */
static void test_keys_of_another_form_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", /* hex */
        "MCowBQYDK2VwAyEAPUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=",     /* SPKI DER */
        "-----BEGIN PUBLIC KEY-----",                                       /* PEM */
        "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zg==",                     /* 31 bytes */
        "PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0ZgwA",                     /* 33 bytes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fopen(path, "w");
        fprintf(f,
                "{\"agencies\": {"
                "\"industrial_safety\": {\"units\": {\"*\": \"https://u.kz\"}, \"keys\": {\"k1\":"
                " \"%s\"}}, \"sanitary\": {\"units\": {\"*\": \"https://u.kz\"}, \"keys\":"
                " {\"k2\": \"%s\"}}}}",
                bad[i], bad[i]);
        fclose(f);
        ag_config_t cfg;
        char err[256];
        assert_int_equal(ag_load(path, &cfg, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "Ed25519 public key"));
    }
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
    snprintf(example, sizeof(example), "%s/proto/examples/agencies.json",
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
        cmocka_unit_test(test_rfc8032_vector_and_small_order_keys),
        cmocka_unit_test(test_units_resolve_by_region_then_star),
        cmocka_unit_test(test_plain_http_needs_an_explicit_opt_in),
        cmocka_unit_test(test_the_shipped_example_loads),
        cmocka_unit_test(test_keys_of_another_form_are_refused),
        cmocka_unit_test(test_reply_topics_name_their_agency),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    EVP_PKEY_free(key);
    return rc;
}
