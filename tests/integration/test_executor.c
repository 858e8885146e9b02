/* The executor's part (issue #27), end to end through every worker: the back office's acts are
 * acts of named officials. An unsigned act, one signed by a key no official holds and one
 * signed by an official whose role may not take it go to the dead letters and change nothing;
 * the head's signed act decides, and the head is recorded as its actor. */
#include "harness.h"
#include "util.h"

#include <setjmp.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"
#define T0 "2026-03-16T10:00:07+05:00"

static const char *const WORKERS[] = {"intake", "registries", "relay",  "dispatcher", "replies",
                                      "timer",  "decider",    "mailer", "actions",    NULL};

static json_t *hearing_act(const char *app, const char *hid, const char *outcome)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "specversion", "1.0", "id",
                     h_uuid(), "source", "/provider/back-office", "type",
                     "kz.gov.licensing.hearing.concluded.v1", "subject", app, "time", T0,
                     "datacontenttype", "application/json", "data", "application_id", app,
                     "hearing_id", hid, "outcome", outcome);
}

/* Waits for the dead letter of the n-th bad act, whose reason holds `why`. */
static void dead_lettered(int n, const char *why)
{
    assert_true(
        wait_q(n, 30000, "SELECT count(*) FROM dead_letters WHERE topic = 'provider.actions.v1'"));
    assert_int_equal(q("SELECT count(*) FROM dead_letters WHERE topic = 'provider.actions.v1'"
                       " AND reason LIKE '%%%s%%'",
                       why),
                     1);
}

static void acts_of_officials_only(void **state)
{
    (void)state;
    env = h_setup("executor_signed_acts");
    h_clock_freeze(env, T0);
    h_start_sim(env);
    json_t *r = h_sim(env, "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}");
    json_decref(r);
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        h_spawn(env, WORKERS[i], NULL);
    const char *id = "e0000000-0000-4000-8000-000000000001";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_non_null(hid);

    /* Unsigned. */
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), NULL), 0);
    dead_lettered(1, "unsigned act");
    /* Signed, but by a key no official holds. */
    unsigned char pk[32], sk[64];
    assert_int_equal(crypto_sign_keypair(pk, sk), 0);
    assert_int_equal(h_produce_signed(env, "provider.actions.v1",
                                      hearing_act(id, hid, "refusal_confirmed"), "head-2026", sk),
                     0);
    dead_lettered(2, "does not verify");
    assert_int_equal(h_produce_signed(env, "provider.actions.v1",
                                      hearing_act(id, hid, "refusal_confirmed"), "someone", sk),
                     0);
    dead_lettered(3, "is not the key of any official");
    /* The executor's own key: the outcome of the hearing is the head's (¶13). */
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "executor"), 0);
    dead_lettered(4, "the executor ''executor-2026'' may not take this act");
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "refusal_proposed");
    assert_int_equal(q("SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND outcome IS NULL",
                       id),
                     1);

    /* The head signs it, with approvalctl as an operator would. */
    char key[700];
    snprintf(key, sizeof(key), "%s/head.key", env->workdir);
    const char *args[] = {"act", "hearing", "--key", key, id, hid, "refusal_confirmed", NULL};
    assert_int_equal(h_stop(env, h_spawn(env, "approvalctl", args), 0, 30000), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused'",
                       id));
    char actor[200];
    snprintf(actor, sizeof(actor), "head %s Жақсыбеков Ерлан Маратұлы", env->head_iin);
    assert_str(qs("SELECT cause_actor FROM transitions WHERE application_id = '%s'"
                  " AND to_stage = 'refused'",
                  id),
               actor);
    assert_str(qs("SELECT concluded_by FROM hearings WHERE application_id = '%s'", id), actor);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'hearing_concluded' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->>'decided_by' = 'Жақсыбеков Ерлан Маратұлы'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM dead_letters"), 4);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(acts_of_officials_only, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("executor", tests, NULL, NULL);
}
