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
#define TERM_ISSUE_RU_TEXT                                                                                                                              \
    "переоформление требует согласования государственных органов (пункт 12 Правил): " \
    "применяется срок выдачи лицензии - 15 рабочих дней"

static const char *const WORKERS[] = {"intake",  "registries", "relay",   "dispatcher",
                                      "replies", "timer",      "decider", "mailer",
                                      "actions", "complaints", "notary",  NULL};

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

/* A stack named `name` at `at` whose agency simulator is told `control`, every worker but
 * `skip`. */
static void start_stack_at(const char *name, const char *at, const char *control, const char *skip)
{
    env = h_setup(name);
    h_clock_freeze(env, at);
    h_start_sim(env);
    json_t *r = h_sim(env, control);
    json_decref(r);
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        if (!skip || strcmp(skip, WORKERS[i]) != 0)
            h_spawn(env, WORKERS[i], NULL);
}

/* The stack at T0, and the application `id` submitted. */
static void start_skipping(const char *name, const char *control, const char *id, const char *skip)
{
    start_stack_at(name, T0, control, skip);
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
}

static void start_with(const char *name, const char *control, const char *id)
{
    start_skipping(name, control, id, NULL);
}

static void acts_of_officials_only(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000001";
    start_with("executor_signed_acts",
               "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id);
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

static json_t *ground_act(const char *app, const char *code)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:s}]}}",
                     "specversion", "1.0", "id", h_uuid(), "source", "/provider/back-office",
                     "type", "kz.gov.licensing.ground.raised.v1", "subject", app, "time", T0,
                     "datacontenttype", "application/json", "data", "application_id", app, "ground",
                     code, "facts", "kk", "тау-кен инженерінің біліктілік куәлігінің мерзімі өткен",
                     "ru", "срок квалификационного удостоверения горного инженера истёк",
                     "evidence", "kind", "qualification", "id", "QUAL-2026-0042", "sha256",
                     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

/* The executor finds the qualification requirements unmet (issue ground 3) while the agencies
 * are still to answer; they agree (one deemed), and the decision proposes the refusal on the
 * executor's ground, with its hearing; the head confirms it, and the refusal quotes the facts.
 * A code of another kind of application is bad input. */
static void executor_ground_refused_after_hearing(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000002";
    start_with("executor_ground", "{\"agency\": \"sanitary\", \"verdict\": \"silent\"}", id);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_replies'",
                       id));
    /* A split's ground on a first issue: not a ground of its kind. */
    assert_int_equal(
        h_produce_act(env, ground_act(id, "license_already_reissued_in_split"), "executor"), 0);
    dead_lettered(1, "is not a ground of Standard row 9 for an application of kind issue");
    /* The valid one, made and signed by approvalctl with the executor's key. */
    char key[700];
    snprintf(key, sizeof(key), "%s/executor.key", env->workdir);
    const char *args[] = {"act",
                          "ground",
                          "--key",
                          key,
                          id,
                          "qualification_not_met",
                          "--facts-kk",
                          "тау-кен инженерінің біліктілік куәлігінің мерзімі өткен",
                          "--facts-ru",
                          "срок квалификационного удостоверения горного инженера истёк",
                          "--evidence",
                          "qualification:QUAL-2026-0042:"
                          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                          NULL};
    assert_int_equal(h_stop(env, h_spawn(env, "approvalctl", args), 0, 30000), 0);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM grounds WHERE application_id = '%s'"
                       " AND source = 'executor' AND code = 'qualification_not_met'"
                       " AND number = 3 AND evidence->'documents'->0->>'id' = 'QUAL-2026-0042'",
                       id));
    char actor[200];
    snprintf(actor, sizeof(actor), "executor %s Омарова Айгерім Серікқызы", env->executor_iin);
    assert_str(qs("SELECT raised_by FROM grounds WHERE application_id = '%s'", id), actor);
    /* ¶13: the refusal proposed at once, the sanitary unit's reply still awaited. */
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_str(qs("SELECT from_stage FROM transitions WHERE application_id = '%s'"
                  " AND to_stage = 'refusal_proposed'",
                  id),
               "awaiting_replies");
    /* Its 10 WD pass: deemed approved, recorded; the hearing stands. */
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND outcome = 'deemed_approved'",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "refusal_proposed");
    assert_str(qs("SELECT grounds->0->>'code' || ' ' || (grounds->0->>'rule')"
                  " FROM hearings WHERE application_id = '%s'",
                  id),
               "qualification_not_met Standard row 9, issue ground 3; raised by the executor");
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    const char *body = json_string_value(json_object_get(json_array_get(mails, 0), "body"));
    assert_non_null(strstr(body, "срок квалификационного удостоверения горного инженера истёк"));
    assert_non_null(strstr(body, "біліктілік куәлігінің мерзімі өткен"));
    json_decref(mails);
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND kind = 'refusal' AND body->'grounds'->0->>'code' ="
                       " 'qualification_not_met' AND body->'grounds'->0->>'text_ru' LIKE"
                       " '%%квалификационным требованиям: срок квалификационного%%'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM licenses"), 0);
}

static json_t *complaint_act(const char *app, const char *complaint, const char *outcome,
                             const char *id)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "specversion", "1.0", "id",
                     id, "source", "/provider/back-office", "type",
                     "kz.gov.licensing.complaint.resolved.v1", "subject", app, "time", T0,
                     "datacontenttype", "application/json", "data", "complaint_id", complaint,
                     "application_id", app, "outcome", outcome);
}

/* The portal files a complaint `cid` against application `app`, addressed to the provider. */
static void file_complaint(const char *app, const char *cid)
{
    json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "specversion",
                          "1.0", "id", h_uuid(), "source", "/portal", "type",
                          "kz.gov.licensing.complaint.filed.v1", "subject", app, "time", T0,
                          "datacontenttype", "application/json", "data", "complaint_id", cid,
                          "application_id", app, "filed_at", T0, "addressed_to", "provider", "text",
                          "Заключение было приложено.");
    assert_int_equal(h_produce_event(env, "portal.complaints.v1", c), 0);
    json_decref(c);
}

/* ¶15: a refusal, a complaint against it; the provider satisfies it - the refusal overturned,
 * the application decided again and licensed, the complaint's resolution the cause. A
 * complaint the provider rejects is forwarded, not closed. */
static void satisfied_complaint_licenses(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000003";
    start_with("executor_complaint",
               "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused'",
                       id));
    /* Two complaints: one the provider rejects (forwarded), one it satisfies. */
    const char *cids[] = {"c2000000-0000-4000-8000-000000000001",
                          "c2000000-0000-4000-8000-000000000002"};
    for (int i = 0; i < 2; i++)
        file_complaint(id, cids[i]);
    assert_true(
        wait_q(2, 30000, "SELECT count(*) FROM complaints WHERE application_id = '%s'", id));
    assert_int_equal(h_produce_act(env, complaint_act(id, cids[0], "rejected", h_uuid()), "head"),
                     0);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM complaints WHERE complaint_id = '%s'"
                       " AND state = 'forwarded'",
                       cids[0]));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id), "refused");
    char act_id[UUID_STR_LEN];
    snprintf(act_id, sizeof(act_id), "%s", h_uuid());
    assert_int_equal(h_produce_act(env, complaint_act(id, cids[1], "satisfied", act_id), "head"),
                     0);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_str(qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
                  " FROM transitions WHERE application_id = '%s' AND cause_event_id = '%s'",
                  id, act_id),
               "refused>awaiting_decision awaiting_decision>license_issued");
    assert_int_equal(q("SELECT count(*) FROM licenses WHERE application_id = '%s'", id), 1);
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND kind = 'refusal'",
                       id),
                     1); /* the refusal stays in the record */
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id),
                     1);
}

/* ¶13: the hearing is fixed from the notice as it actually goes. Proposed on Monday 16 March,
 * the notice waits (no mailer) until Wednesday 18 March 12:00 - past the hearing planned for
 * 18 March 11:00: it goes then and fixes the hearing on Friday 20 March 11:00, two working days
 * on; the e-mail, the event, the hearing and the outcome's limit (a WD after it, past the
 * Nauryz days off: 26 March) all say so. */
static void hearing_fixed_from_the_notice_sent(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000004";
    start_skipping("executor_notice_sent",
                   "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id,
                   "mailer");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM email_outbox WHERE application_id = '%s'"
                       " AND kind = 'hearing_notice'",
                       id));
    assert_str(qs("SELECT to_char(hearing_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI')"
                  " FROM hearings WHERE application_id = '%s'",
                  id),
               "2026-03-18 11:00"); /* as planned */
    h_clock_freeze(env, "2026-03-18T12:00:00+05:00");
    h_spawn(env, "mailer", NULL);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_str(qs("SELECT to_char(notice_sent_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI')"
                  " || ' ' || to_char(hearing_at AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM hearings WHERE application_id = '%s'",
                  id),
               "2026-03-18 12:00 2026-03-20 11:00");
    assert_str(qs("SELECT to_char(due_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI')"
                  " FROM timers WHERE application_id = '%s' AND kind = 'hearing_outcome_due'",
                  id),
               "2026-03-26 18:30");
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    const char *body = json_string_value(json_object_get(json_array_get(mails, 0), "body"));
    assert_non_null(strstr(body, "2026-03-20T11:00:00+05:00"));
    assert_null(strstr(body, "{{hearing_at}}"));
    assert_null(strstr(body, "2026-03-18T11:00:00+05:00"));
    json_decref(mails);
    assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE application_id = '%s'"
                       " AND body LIKE '%%2026-03-20T11:00:00+05:00%%'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refusal_proposed' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->>'hearing_at' = '2026-03-20T11:00:00+05:00'",
                       id),
                     1);
}

/* With executor review configured, the agencies' agreement is not enough: the application
 * waits in awaiting_decision for the executor. In the afternoon of the review's day (due
 * 17 March 18:30, a WD after the replies of 16 March) operators are warned - an event and an
 * incident - and the executor's review.completed then issues the license, the executor its
 * actor. */
static void executor_review_waits(void **state)
{
    (void)state;
    setenv("LIC_EXECUTOR_REVIEW", "1", 1);
    const char *id = "e0000000-0000-4000-8000-000000000005";
    start_with("executor_review", "{\"agency\": \"sanitary\", \"verdict\": \"compliant\"}", id);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    h_clock_freeze(env, "2026-03-17T15:31:00+05:00");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'deadline_at_risk' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail' @> '{\"deadline\": \"executor_review\","
                       " \"due\": \"2026-03-17T18:30:00+05:00\"}'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'executor_review_due'",
                       id),
                     1);
    /* The decider has looked at it in the rounds that warned: still not decided. */
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_decision");
    assert_int_equal(q("SELECT count(*) FROM licenses"), 0);
    /* The executor's review, made and signed by approvalctl. */
    char key[700];
    snprintf(key, sizeof(key), "%s/executor.key", env->workdir);
    /* With the license's special conditions (art. 36 of the Law on Permits). */
#define SC_KK "Жару жұмыстары тек №3 учаскеде жүргізіледі."
#define SC_RU "Взрывные работы ведутся только на участке №3."
    const char *args[] = {"act",   "review",
                          "--key", key,
                          id,      "--special-conditions-kk",
                          SC_KK,   "--special-conditions-ru",
                          SC_RU,   NULL};
    assert_int_equal(h_stop(env, h_spawn(env, "approvalctl", args), 0, 30000), 0);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_str(qs("SELECT string_agg(kind || ': ' || (body->>'special_conditions'), ' | ' ORDER BY"
                  " kind) FROM issued_documents WHERE application_id = '%s'",
                  id),
               "annex: " SC_KK "\n" SC_RU " | license: " SC_KK "\n" SC_RU);
    /* On the signed PDF as the notary stored it. */
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND signed_at IS NOT NULL",
                       id));
    const char *text = stored_pdf_text("KPR-L-2026-000001", "'\\n' ' '");
    if (!strstr(text, SC_KK) || !strstr(text, SC_RU))
        fail_msg("the license PDF does not state the special conditions:\n%s", text);
    char actor[200];
    snprintf(actor, sizeof(actor), "executor %s Омарова Айгерім Серікқызы", env->executor_iin);
    assert_str(qs("SELECT cause_actor FROM transitions WHERE application_id = '%s'"
                  " AND to_stage = 'license_issued'",
                  id),
               actor);
    unsetenv("LIC_EXECUTOR_REVIEW");
}

/* ¶13: an early non_compliant reply is a ground at once - the refusal is proposed with the
 * other agency silent, the notice goes on the first day and the hearing is fixed within 2 WD
 * of it. The head withdraws the refusal: the silent agency is waited for (its approval deemed
 * after 10 WD) and the application decided again, the withdrawn ground not raised twice. */
static void early_non_compliant_heard_at_once(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000006";
    start_with("executor_early_ground",
               "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id);
    sim("{\"agency\": \"sanitary\", \"verdict\": \"silent\"}");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    /* Proposed before the sanitary unit answered: from awaiting_replies (or approvals). */
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE application_id = '%s'"
                       " AND to_stage = 'refusal_proposed'"
                       " AND from_stage IN ('awaiting_replies', 'awaiting_approvals')",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND outcome IS NULL",
                       id),
                     1);
    /* The notice on day 1 of the term (registered 16 March), the hearing 2 WD after it. */
    assert_str(qs("SELECT to_char(notice_sent_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD')"
                  " || ' ' || to_char(hearing_at AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM hearings WHERE application_id = '%s'",
                  id),
               "2026-03-16 2026-03-18 11:00");
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refusal_proposed' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->>'hearing_at' = '2026-03-18T11:00:00+05:00'",
                       id),
                     1);
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    json_decref(mails);

    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_withdrawn"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM transitions WHERE application_id = '%s'"
                       " AND from_stage = 'refusal_proposed' AND to_stage = 'awaiting_replies'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM licenses"), 0);
    /* The sanitary unit's 10 WD pass: deemed, then the license - no second hearing. */
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM hearings WHERE application_id = '%s'", id), 1);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND outcome = 'deemed_approved'",
                       id),
                     1);
}

/* A ground found while the hearing is pending joins it: the sanitary unit's non_compliant
 * reply comes after the notice of the industrial-safety one went; a further notice tells the
 * applicant, refusal_proposed is published again with both grounds, and the refusal the head
 * confirms quotes both. */
static void ground_joins_pending_hearing(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000007";
    start_with("executor_ground_joins",
               "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id);
    sim("{\"agency\": \"sanitary\", \"verdict\": \"non_compliant\", \"reply_delay_ms\": 12000}");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    /* The first notice holds the industrial-safety ground only. */
    assert_int_equal(q("SELECT jsonb_array_length(convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->'grounds') FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refusal_proposed'",
                       id),
                     1);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM email_outbox WHERE application_id = '%s'"
                       " AND kind = 'hearing_supplement' AND sent_at IS NOT NULL",
                       id));
    assert_str(qs("SELECT string_agg(g->>'agency', ' ' ORDER BY g->>'agency') FROM hearings,"
                  " jsonb_array_elements(grounds) g WHERE application_id = '%s'",
                  id),
               "industrial_safety sanitary");
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 2);
    /* The maildir lists them in no particular order: the further notice by its subject. */
    const char *body = NULL;
    for (size_t i = 0; i < json_array_size(mails); i++) {
        json_t *m = json_array_get(mails, i);
        const char *subject = json_string_value(json_object_get(m, "subject"));
        if (subject && strstr(subject, "Дополнительное уведомление о заслушивании"))
            body = json_string_value(json_object_get(m, "body"));
    }
    assert_non_null(body);
    assert_non_null(strstr(body, "санитарно-эпидемиологического контроля"));
    assert_null(strstr(body, "промышленной безопасности"));
    /* The hearing's time as the first notice fixed it. */
    assert_non_null(strstr(body, "2026-03-18T11:00:00+05:00"));
    assert_null(strstr(body, "{{hearing_at}}"));
    json_decref(mails);
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refusal_proposed' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail' ? 'further_notice_sent_at'"
                       " AND jsonb_array_length(convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->'grounds') = 2",
                       id));

    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refused' AND jsonb_array_length(convert_from(payload,"
                       " 'UTF8')::jsonb->'data'->'detail'->'document'->'grounds') = 2",
                       id));
}

/* A ground raised on the term's last day (with executor review the decision waited): the
 * notice goes at once, operators get an incident, and the refusal records that the term could
 * not be kept and why. */
static void late_ground_term_not_kept(void **state)
{
    (void)state;
    setenv("LIC_EXECUTOR_REVIEW", "1", 1);
    const char *id = "e0000000-0000-4000-8000-000000000008";
    start_with("executor_late_ground", "{\"agency\": \"sanitary\", \"verdict\": \"compliant\"}",
               id);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_str(qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM applications WHERE application_id = '%s'",
                  id),
               "2026-04-09 18:30");
    h_clock_freeze(env, "2026-04-09T11:00:00+05:00");
    assert_int_equal(h_produce_act(env, ground_act(id, "qualification_not_met"), "executor"), 0);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'hearing_notice_late'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND term_note LIKE '%%could not be kept%%'",
                       id),
                     1);
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refused' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->>'term_not_kept' LIKE '%%2026-04-09T11:00%%'",
                       id));
    unsetenv("LIC_EXECUTOR_REVIEW");
}

/* Standard rows 6 and 9: the fee is measured by the MCI in force on the day it was paid. Both
 * applications are registered on Monday 5 January 2026 and paid 39,320 tenge, 10 MCI of 2025:
 * the one paid on 30 December 2025 is not underpaid and is licensed; the one paid on 5 January
 * owes 10 MCI of 2026 (43,250) - ground 2, a hearing quoting both amounts, and the head's
 * confirmed refusal quotes them too. No ¶9 return for either. */
static void fee_measured_by_payment_date(void **state)
{
    (void)state;
    const char *paid_2025 = "e0000000-0000-4000-8000-000000000009",
               *paid_2026 = "e0000000-0000-4000-8000-00000000000a";
    start_stack_at("executor_fee", "2026-01-05T10:00:07+05:00",
                   "{\"agency\": \"industrial_safety\", \"verdict\": \"compliant\"}", NULL);
    const char *ids[] = {paid_2025, paid_2026},
               *paid_at[] = {"2025-12-30T15:00:00+05:00", "2026-01-05T09:30:00+05:00"};
    for (int i = 0; i < 2; i++) {
        json_t *ev = h_submission(ids[i], h_uuid(), "2026-01-05T10:00:00+05:00");
        json_t *data = json_object_get(ev, "data");
        json_object_set_new(data, "portal_ref", json_sprintf("KZ-EL-2026-00000%d", i + 1));
        json_object_set_new(data, "fee",
                            json_pack("{s:s,s:i,s:s,s:s}", "paid_via", "egov_gateway", "amount_kzt",
                                      39320, "payment_ref", "EGOV-PAY-1", "paid_at", paid_at[i]));
        assert_int_equal(h_produce_event(env, APPS, ev), 0);
        json_decref(ev);
    }
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       paid_2025));
    assert_str(qs("SELECT mci_year || ' ' || mci_kzt || ' ' || due_kzt FROM fees"
                  " WHERE application_id = '%s'",
                  paid_2025),
               "2025 3932 39320");
    assert_int_equal(q("SELECT count(*) FROM grounds WHERE application_id = '%s'", paid_2025), 0);

    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       paid_2026));
    assert_str(qs("SELECT mci_year || ' ' || mci_kzt || ' ' || due_kzt FROM fees"
                  " WHERE application_id = '%s'",
                  paid_2026),
               "2026 4325 43250");
    assert_str(qs("SELECT source || ' ' || code || ' ' || number || ' ' || rule || ' '"
                  " || (evidence->>'amount_kzt') || '/' || (evidence->>'due_kzt')"
                  " FROM grounds WHERE application_id = '%s'",
                  paid_2026),
               "intake fee_not_paid 2 Standard row 9, issue ground 2; row 6 39320/43250");
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'refusal'"), 0);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refusal_proposed' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->'grounds'->0->>'code' = 'fee_not_paid'",
                       paid_2026),
                     1);
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    const char *body = json_string_value(json_object_get(json_array_get(mails, 0), "body"));
    assert_non_null(strstr(body, "оплачено 39320 тенге из причитавшихся 43250 тенге"));
    assert_non_null(strstr(body, "39320 теңге төленген, 43250 теңге тиесілі"));
    json_decref(mails);

    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", paid_2026);
    assert_int_equal(h_produce_act(env, hearing_act(paid_2026, hid, "refusal_confirmed"), "head"),
                     0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND kind = 'refusal' AND body->'grounds'->0->>'code' = 'fee_not_paid'"
                       " AND body->'grounds'->0->>'text_ru' LIKE '%%оплачено 39320 тенге%%'",
                       paid_2026));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", paid_2026),
               "refused");
}

/* Standard row 5: an issue application naming a license its applicant holds adds the next
 * annex to it - the license's number kept, no new license, no number of the license series
 * taken. The license was issued before this system (imported: it carries its first annex), so
 * the annex is KPR-L-2025-000117/2, with the sub-activity and production base applied for. */
static void annex_added_to_held_license(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-00000000000b";
    start_stack_at("executor_annex", T0,
                   "{\"agency\": \"industrial_safety\", \"verdict\": \"compliant\"}", NULL);
    import_licenses("KPR-L-2025-000117,legal_entity,070340001239,ТОО «Қарағанды Көмір»,"
                    "2025-02-10\n");
    json_t *ev = annex_submission(id, NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_str(qs("SELECT string_agg(kind || ' ' || number || ' v' || version, ',')"
                  " FROM issued_documents WHERE application_id = '%s'",
                  id),
               "annex KPR-L-2025-000117/2 v1");
    assert_str(
        qs("SELECT (body->>'license_number') || ' ' || (body->>'license_date') || ' '"
           " || (body->'subtypes'->0->>'code') || ' ' || (body->'production_base'->>'address')"
           " FROM issued_documents WHERE application_id = '%s'",
           id),
        "KPR-L-2025-000117 2025-02-10 5 Қарағанды облысы, Саран қ., Кеншілер көшесі, 12");
    assert_str(qs("SELECT string_agg(number || ' ' || holder_id || ' v' || version || ' annexes '"
                  " || annexes, ',') FROM licenses"),
               "KPR-L-2025-000117 070340001239 v1 annexes 2");
    assert_int_equal(q("SELECT count(*) FROM document_counters WHERE kind = 'license'"), 0);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'license_issued' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->'annex'->>'number' = 'KPR-L-2025-000117/2'",
                       id),
                     1);
}

/* ¶7 gives a re-registration 3 WD, ¶12 the agencies 10 WD. With
 * LIC_REISSUE_APPROVALS_TERM=issue_term a re-registration that needs them (the object's address
 * changed) takes the issue's 15 WD, announced at registration with its reason; no incident,
 * and it is re-registered after the agencies agree. */
static void reissue_with_agencies_issue_term(void **state)
{
    (void)state;
    setenv("LIC_REISSUE_APPROVALS_TERM", "issue_term", 1);
    const char *id = "e0000000-0000-4000-8000-00000000000c";
    start_stack_at("executor_reissue_term", T0,
                   "{\"agency\": \"industrial_safety\", \"verdict\": \"compliant\"}", NULL);
    import_licenses("KPR-L-2025-000117,legal_entity,070340001239,ТОО «Қарағанды Көмір»,"
                    "2025-02-10\n");
    json_t *ev = h_submission(id, h_uuid(), NULL);
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(data, "kind", json_string("reissue"));
    json_object_set_new(data, "reissue",
                        json_pack("{s:s,s:b,s:[s]}", "license_number", "KPR-L-2025-000117",
                                  "annex_only", 0, "grounds", "object_address_changed"));
    json_array_append_new(json_object_get(data, "documents"),
                          json_pack("{s:s,s:s,s:s}", "kind", "change_evidence", "id", "C", "sha256",
                                    "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e88626"
                                    "6e7ae"));
    json_object_set_new(data, "fee",
                        json_pack("{s:s,s:i}", "paid_via", "egov_gateway", "amount_kzt", 4325));
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_reissued'",
                       id));
    assert_str(qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM applications WHERE application_id = '%s'",
                  id),
               "2026-04-09 18:30"); /* the issue's 15 WD, not 19 March */
    assert_str(qs("SELECT (d->>'term_working_days') || ' ' || (d->'term_note'->>'policy') || ' '"
                  " || (d->'term_note'->>'text_ru') FROM (SELECT convert_from(payload, 'UTF8')::"
                  "jsonb->'data'->'detail' d FROM outbox WHERE application_id = '%s'"
                  " AND stage = 'registered') x",
                  id),
               "15 issue_term " TERM_ISSUE_RU_TEXT);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", id), 2);
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'term_cannot_be_kept'"), 0);
    unsetenv("LIC_REISSUE_APPROVALS_TERM");
}

/* A ground found before the approval requests are made (here the fee's, at registration)
 * waits for them: should the hearing withdraw the refusal, the agencies' answers are due. With
 * the dispatcher down the application stays in awaiting_approvals with its ground; once the
 * requests are made, the refusal is proposed. */
static void ground_waits_for_approval_requests(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-00000000000d";
    start_stack_at("executor_ground_waits", T0,
                   "{\"agency\": \"industrial_safety\", \"verdict\": \"compliant\"}", "dispatcher");
    json_t *ev = h_submission(id, h_uuid(), NULL);
    json_object_set_new(json_object_get(ev, "data"), "fee",
                        json_pack("{s:s,s:i,s:s}", "paid_via", "egov_gateway", "amount_kzt", 40000,
                                  "payment_ref", "EGOV-PAY-2"));
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_approvals' AND ground_pending",
                       id));
    h_spawn(env, "dispatcher", NULL);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", id), 2);
    assert_int_equal(q("SELECT count(*) FROM transitions t JOIN applications a"
                       " USING (application_id) WHERE application_id = '%s'"
                       " AND t.to_stage = 'refusal_proposed'"
                       " AND t.recorded_at >= a.approvals_requested_at",
                       id),
                     1);
}

/* A ground that comes once the hearing's time has passed cannot join it: the applicant was
 * not heard on it. The head withdraws the refusal at that hearing - the late ground is then
 * heard on its own (a second hearing and notice), never granted over. */
static void unheard_ground_gets_its_own_hearing(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-00000000000e";
    start_with("executor_unheard_ground",
               "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id);
    /* Later than the first hearing's notice can take under a sanitizer on a loaded machine: the
     * ground must come once the clock is past that hearing. */
    sim("{\"agency\": \"sanitary\", \"verdict\": \"non_compliant\", \"reply_delay_ms\": 15000}");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    /* Past the hearing fixed for 18 March 11:00, before its outcome is due. */
    h_clock_freeze(env, "2026-03-18T12:00:00+05:00");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND outcome = 'non_compliant'",
                       id));
    assert_true(wait_q(0, 20000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND ground_pending",
                       id));
    assert_str(qs("SELECT string_agg(g->>'agency', ' ') FROM hearings,"
                  " jsonb_array_elements(grounds) g WHERE application_id = '%s'",
                  id),
               "industrial_safety"); /* not joined */
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_withdrawn"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND outcome IS NULL AND notice_sent_at IS NOT NULL"
                       " AND grounds->0->>'agency' = 'sanitary'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM hearings WHERE application_id = '%s'", id), 2);
    assert_int_equal(q("SELECT count(*) FROM licenses"), 0);
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "refusal_proposed");
    assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE application_id = '%s'"
                       " AND kind = 'hearing_notice' AND sent_at IS NOT NULL",
                       id),
                     2);
}

/* ¶15 with ¶12: the refusal confirmed while the sanitary unit is still within its 10 WD, a
 * complaint against it satisfied - the application waits for that unit (its approval deemed
 * when the 10 WD pass) and only then is licensed; the overturned grounds are not raised
 * again. */
static void overturned_before_the_agency_answered(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-00000000000f";
    start_with("executor_overturn_early",
               "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id);
    sim("{\"agency\": \"sanitary\", \"verdict\": \"silent\"}");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused'",
                       id));
    const char *cid = "c2000000-0000-4000-8000-000000000003";
    file_complaint(id, cid);
    assert_true(wait_q(1, 30000, "SELECT count(*) FROM complaints WHERE complaint_id = '%s'", cid));
    const char *act_id = h_uuid();
    assert_int_equal(h_produce_act(env, complaint_act(id, cid, "satisfied", act_id), "head"), 0);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM transitions WHERE application_id = '%s'"
                       " AND from_stage = 'refused' AND to_stage = 'awaiting_replies'"
                       " AND cause_event_id = '%s'",
                       id, act_id));
    assert_int_equal(q("SELECT count(*) FROM licenses"), 0);
    assert_str(qs("SELECT overturned_by FROM hearings WHERE application_id = '%s'", id), cid);
    /* The sanitary unit's 10 WD pass: deemed, then the license - no refusal again. */
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00");
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM hearings WHERE application_id = '%s'", id), 1);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND outcome = 'deemed_approved'",
                       id),
                     1);
}

/* A further notice whose hearing concluded before it went is retired, never sent: the mailer
 * is down when the sanitary unit's ground joins the hearing, the head confirms the refusal
 * meanwhile; back, the mailer does not send it, and no refusal_proposed follows the refusal. */
static void further_notice_retired_after_the_outcome(void **state)
{
    (void)state;
    const char *id = "e0000000-0000-4000-8000-000000000010";
    start_skipping("executor_notice_retired",
                   "{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}", id,
                   "mailer");
    /* Later than the first notice and the mailer's stop can take under a sanitizer on a loaded
     * machine: the further notice must find the mailer down. */
    sim("{\"agency\": \"sanitary\", \"verdict\": \"non_compliant\", \"reply_delay_ms\": 15000}");
    pid_t mailer = h_spawn(env, "mailer", NULL);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_int_equal(h_stop(env, mailer, SIGTERM, 10000), 0);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM email_outbox WHERE application_id = '%s'"
                       " AND kind = 'hearing_supplement' AND sent_at IS NULL",
                       id));
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", id);
    assert_int_equal(h_produce_act(env, hearing_act(id, hid, "refusal_confirmed"), "head"), 0);
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused'",
                       id));
    h_spawn(env, "mailer", NULL);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM email_outbox WHERE application_id = '%s'"
                       " AND kind = 'hearing_supplement' AND sent_at IS NULL"
                       " AND next_attempt_at = 'infinity' AND last_error LIKE 'retired:%%'",
                       id));
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    json_decref(mails);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'refusal_proposed'",
                       id),
                     1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(acts_of_officials_only, teardown),
        cmocka_unit_test_teardown(executor_ground_refused_after_hearing, teardown),
        cmocka_unit_test_teardown(satisfied_complaint_licenses, teardown),
        cmocka_unit_test_teardown(hearing_fixed_from_the_notice_sent, teardown),
        cmocka_unit_test_teardown(executor_review_waits, teardown),
        cmocka_unit_test_teardown(early_non_compliant_heard_at_once, teardown),
        cmocka_unit_test_teardown(ground_joins_pending_hearing, teardown),
        cmocka_unit_test_teardown(late_ground_term_not_kept, teardown),
        cmocka_unit_test_teardown(fee_measured_by_payment_date, teardown),
        cmocka_unit_test_teardown(annex_added_to_held_license, teardown),
        cmocka_unit_test_teardown(reissue_with_agencies_issue_term, teardown),
        cmocka_unit_test_teardown(ground_waits_for_approval_requests, teardown),
        cmocka_unit_test_teardown(unheard_ground_gets_its_own_hearing, teardown),
        cmocka_unit_test_teardown(overturned_before_the_agency_answered, teardown),
        cmocka_unit_test_teardown(further_notice_retired_after_the_outcome, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("executor", tests, NULL, NULL);
}
