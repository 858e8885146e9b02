/* The executor's part in pure code: the row 9 grounds by kind (every number once, a code of
 * another kind not found), a ground.raised.v1 decoded with its facts and evidence, and the
 * check of an official's act - the signature, the key, the role. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "grounds.h"
#include "messages.h"
#include "officials.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_grounds_by_kind(void **state)
{
    (void)state;
    const char *kinds[] = {"issue", "reissue", "reissue_split"};
    const int counts[] = {7, 7, 3};
    const char *all[] = {"activity_prohibited",   "fee_not_paid",
                         "qualification_not_met", "agency_non_compliant",
                         "court_activity_ban",    "debtor_permit_ban",
                         "data_unreliable",       "change_documents_missing",
                         "documents_missing",     "license_already_reissued_in_split"};
    for (int k = 0; k < 3; k++) {
        int seen[8] = {0}, n = 0;
        for (size_t c = 0; c < sizeof(all) / sizeof(all[0]); c++) {
            const rg_ground_t *g = rg_lookup(kinds[k], all[c]);
            if (!g)
                continue;
            assert_true(g->number >= 1 && g->number <= counts[k]);
            assert_int_equal(seen[g->number]++, 0);
            assert_non_null(strstr(rg_codes(kinds[k]), all[c]));
            n++;
        }
        assert_int_equal(n, counts[k]);
    }
    assert_int_equal(rg_lookup("issue", "qualification_not_met")->number, 3);
    assert_int_equal(rg_lookup("reissue", "agency_non_compliant")->number, 3);
    assert_null(rg_lookup("issue", "license_already_reissued_in_split"));
    assert_null(rg_lookup("reissue_split", "court_activity_ban"));
}

static void test_ground_decoded(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:s}]}", "application_id",
                          "0b9d3c64-6f2a-4e1b-8c55-3a7e9d2f1b01", "ground", "fee_not_paid", "facts",
                          "kk", "алым төленбеген", "ru", "сбор не уплачен", "evidence", "kind",
                          "fee_receipt", "id", "R-1", "sha256",
                          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    msg_ground_t g;
    char err[256];
    assert_int_equal(msg_decode_ground(d, NULL, &g, err, sizeof(err)), 0);
    assert_string_equal(g.facts_ru, "сбор не уплачен");
    assert_int_equal(json_array_size(g.evidence), 1);
    /* One text for both languages. */
    json_object_set_new(d, "facts", json_string("сбор не уплачен"));
    assert_int_equal(msg_decode_ground(d, NULL, &g, err, sizeof(err)), 0);
    assert_string_equal(g.facts_kk, "сбор не уплачен");
    /* A bad digest, no evidence array. */
    json_object_set_new(json_array_get(json_object_get(d, "evidence"), 0), "sha256",
                        json_string("XYZ"));
    assert_int_equal(msg_decode_ground(d, NULL, &g, err, sizeof(err)), -1);
    json_object_del(d, "evidence");
    assert_int_equal(msg_decode_ground(d, NULL, &g, err, sizeof(err)), -1);
    json_decref(d);
}

static void test_official_checked(void **state)
{
    (void)state;
    unsigned char pk[32], sk[64], other_pk[32], other_sk[64];
    assert_int_equal(sodium_init() >= 0, 1);
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(other_pk, other_sk);
    char pk64[64], path[] = "/tmp/test_acts_XXXXXX";
    assert_int_equal(sg_b64_encode(pk, 32, pk64, sizeof(pk64)), 0);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "{\"officials\": [{\"key_id\": \"e1\", \"public_key\": \"%s\", \"iin\":"
            " \"861115300452\", \"full_name\": \"Омарова Айгерім Серікқызы\", \"role\":"
            " \"executor\"}]}",
            pk64);
    fclose(f);
    of_config_t cfg;
    char err[300];
    assert_int_equal(of_load(path, &cfg, err, sizeof(err)), 0);
    unlink(path);
    const char *msg = "{\"act\": 1}";
    char sig[128], bad[128];
    assert_int_equal(sg_sign(sk, msg, strlen(msg), sig, sizeof(sig)), 0);
    assert_int_equal(sg_sign(other_sk, msg, strlen(msg), bad, sizeof(bad)), 0);
    const of_official_t *o = of_check(&cfg, "kz.gov.licensing.ground.raised.v1", "e1", sig, msg,
                                      strlen(msg), err, sizeof(err));
    assert_non_null(o);
    assert_int_equal(o->role, OF_EXECUTOR);
    /* The head's act, another key, a changed byte, no signature. */
    assert_null(of_check(&cfg, "kz.gov.licensing.hearing.concluded.v1", "e1", sig, msg, strlen(msg),
                         err, sizeof(err)));
    assert_non_null(strstr(err, "may not take this act"));
    assert_null(of_check(&cfg, NULL, "e1", bad, msg, strlen(msg), err, sizeof(err)));
    assert_non_null(strstr(err, "does not verify"));
    assert_null(of_check(&cfg, NULL, "e1", sig, "{\"act\": 2}", strlen(msg), err, sizeof(err)));
    assert_null(of_check(&cfg, NULL, "e2", sig, msg, strlen(msg), err, sizeof(err)));
    assert_null(of_check(&cfg, NULL, NULL, NULL, msg, strlen(msg), err, sizeof(err)));
    assert_non_null(strstr(err, "unsigned act"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grounds_by_kind),
        cmocka_unit_test(test_ground_decoded),
        cmocka_unit_test(test_official_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
