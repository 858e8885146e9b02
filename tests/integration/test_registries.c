/* The state registries (¶10) end to end: the gateway simulator (SOAP SyncChannel), the agency
 * simulator, the SMTP sink and every worker. What the registries answer decides: a clean
 * applicant is licensed as before; a ban, a liquidated entity or a name that differs is a
 * ground with its hearing; a gateway that is down keeps the application waiting; only the
 * license's holder, or the successor the registry names, may re-register it. Each case checks
 * rows, status events and what the simulator received. */
#include "harness.h"
#include "domain.h"
#include "util.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"
#define ACTIONS "provider.actions.v1"
#define T0 "2026-03-16T10:00:07+05:00"
#define BIN "070340001239"

static const char *const WORKERS[] = {"intake",  "registries", "relay",   "dispatcher",
                                      "replies", "timer",      "decider", "mailer",
                                      "actions", "notary",     NULL};

static void start_stack(void)
{
    /* A circuit opened by a test's outage is probed again within a second. */
    setenv("LIC_GATEWAY_BREAKER_COOLDOWN_MS", "1000", 1);
    setenv("LIC_GATEWAY_RETRY_BASE_MS", "50", 1);
    h_start_sim(env);
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        h_spawn(env, WORKERS[i], NULL);
}

/* Tells the gateway simulator something (POST /control). */
static void registry(const char *body)
{
    json_t *r = h_registry(env, NULL, body);
    assert_non_null(r);
    json_decref(r);
}

static void produce(const char *topic, json_t *ev)
{
    assert_int_equal(h_produce_event(env, topic, ev), 0);
    json_decref(ev);
}

/* A back-office act, signed by the head. */
static void act(json_t *ev)
{
    assert_int_equal(h_produce_act(env, ev, "head"), 0);
}

static void submit(const char *id)
{
    produce(APPS, h_submission(id, h_uuid(), NULL));
}

static void hearing_outcome(const char *app, const char *outcome)
{
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", app);
    assert_non_null(hid);
    act(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "specversion", "1.0", "id",
                  h_uuid(), "source", "/provider/back-office", "type",
                  "kz.gov.licensing.hearing.concluded.v1", "subject", app, "time", T0,
                  "datacontenttype", "application/json", "data", "application_id", app,
                  "hearing_id", hid, "outcome", outcome));
    free(hid);
}

static void wait_stage(const char *id, const char *stage)
{
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = '%s'",
                       id, stage));
}

/* The calls the simulator received for `subject`, as "SERVICE:answer" sorted. */
static char *received(const char *subject)
{
    json_t *calls = h_registry(env, "calls", NULL);
    assert_non_null(calls);
    h_exec(env, "CREATE TEMP TABLE IF NOT EXISTS got (line text)");
    h_exec(env, "TRUNCATE got");
    size_t i;
    json_t *c;
    json_array_foreach(calls, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "subject")), subject) != 0)
            continue;
        assert_string_equal(json_string_value(json_object_get(c, "sender")), "KPR_LICENSING");
        char sql[300];
        snprintf(sql, sizeof(sql), "INSERT INTO got VALUES ('%s:%s')",
                 json_string_value(json_object_get(c, "service")),
                 json_string_value(json_object_get(c, "answer")));
        h_exec(env, sql);
    }
    json_decref(calls);
    return qs("SELECT coalesce(string_agg(line, ' ' ORDER BY line), '') FROM got");
}

/* A clean applicant: three questions, three answers kept as evidence, no ground, the license
 * as before. */
static void clean_applicant_licensed(void **state)
{
    (void)state;
    env = h_setup("registries_clean");
    h_clock_freeze(env, T0);
    start_stack();
    const char *id = "f0000000-0000-4000-8000-000000000001";
    submit(id);
    wait_stage(id, "license_issued");
    assert_str(qs("SELECT string_agg(service_id || ':' || outcome, ' ' ORDER BY service_id)"
                  " FROM gateway_calls WHERE application_id = '%s'",
                  id),
               "COURT_BANS:answered ERD_BANS:answered GBDUL_ENTITY:answered");
    assert_str(qs("SELECT answer->>'name_ru' FROM registry_answers WHERE application_id = '%s'"
                  " AND service_id = 'GBDUL_ENTITY'",
                  id),
               "ТОО «Қарағанды Көмір»");
    assert_int_equal(q("SELECT count(*) FROM grounds WHERE application_id = '%s'", id), 0);
    assert_str(qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
                  " FROM transitions WHERE application_id = '%s' AND from_stage IN"
                  " ('registered', 'awaiting_registries')",
                  id),
               "registered>awaiting_registries awaiting_registries>awaiting_approvals");
    assert_str(received(BIN), "COURT_BANS:answered ERD_BANS:answered GBDUL_ENTITY:answered");
    /* One messageId per question (derived from the application and the service). */
    assert_int_equal(
        q("SELECT count(DISTINCT message_id) FROM gateway_calls WHERE application_id = '%s'", id),
        3);
}

/* A bailiff's ban on issuing permits to the debtor: issue ground 6, a hearing e-mailed, and the
 * refusal confirmed at it quotes the ban. */
static void bailiff_ban_refused_after_hearing(void **state)
{
    (void)state;
    env = h_setup("registries_bailiff");
    h_clock_freeze(env, T0);
    start_stack();
    registry("{\"debtor_bans\": {\"" BIN "\": [{\"authority\": \"ЧСИ Карагандинской области\","
             " \"date\": \"2026-02-20\", \"case\": \"ИП-09-2026-001178\"}]}}");
    const char *id = "f0000000-0000-4000-8000-000000000002";
    submit(id);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "refusal_proposed");
    assert_str(qs("SELECT code || ' ' || number || ' ' || rule FROM grounds"
                  " WHERE application_id = '%s'",
                  id),
               "debtor_permit_ban 6 Standard row 9, issue ground 6; ¶10 (ERD_BANS)");
    assert_int_equal(q("SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND grounds @> '[{\"code\": \"debtor_permit_ban\"}]'",
                       id),
                     1);
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(mails, 0), "body")),
                           "ИП-09-2026-001178"));
    json_decref(mails);
    /* The agencies were asked as usual (the registries come first), before the refusal was
     * proposed - a withdrawn refusal would need their answers; the ground stands whatever
     * they said. */
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", id), 2);
    hearing_outcome(id, "refusal_confirmed");
    wait_stage(id, "refused");
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND kind = 'refusal' AND body->>'text_ru' LIKE '%%ИП-09-2026-001178%%'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'license'"), 0);
    /* The operator sees what was asked, what came back and the ground it gave. */
    const char *expect[] = {
        "registered -> awaiting_registries", "ERD_BANS     answered", "ИП-09-2026-001178",
        "debtor_permit_ban (Standard row 9, issue ground 6; ¶10 (ERD_BANS))", NULL};
    assert_app_shows(id, expect);
}

/* A liquidated entity, named otherwise in the registry: two grounds 7, both names quoted. */
static void liquidated_and_name_mismatch(void **state)
{
    (void)state;
    env = h_setup("registries_liquidated");
    h_clock_freeze(env, T0);
    start_stack();
    registry("{\"entities\": {\"" BIN "\": {\"name_ru\": \"ТОО «Темиртау Металл»\","
             " \"legal_address\": \"Қарағанды қ., Бұқар Жырау даңғылы, 47\","
             " \"status\": \"liquidated\"}}}");
    const char *id = "f0000000-0000-4000-8000-000000000003";
    submit(id);
    wait_stage(id, "refusal_proposed");
    assert_str(qs("SELECT string_agg(code || ' ' || number, ', ' ORDER BY id) FROM grounds"
                  " WHERE application_id = '%s'",
                  id),
               "registry_entity_liquidated 7, registry_name_mismatch 7");
    char *ru = qs("SELECT text_ru FROM grounds WHERE application_id = '%s'"
                  " AND code = 'registry_name_mismatch'",
                  id);
    assert_non_null(ru);
    assert_non_null(strstr(ru, "ТОО «Қарағанды Көмір»"));
    assert_non_null(strstr(ru, "ТОО «Темиртау Металл»"));
    free(ru);
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'license'"), 0);
}

/* The gateway down for a while: the application waits, an incident is raised, nothing is
 * granted; back up, it goes on with exactly one answered call per service. */
static void gateway_down_then_back(void **state)
{
    (void)state;
    env = h_setup("registries_down");
    h_clock_freeze(env, T0);
    start_stack();
    registry("{\"down\": true}");
    const char *id = "f0000000-0000-4000-8000-000000000004";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'registry_unavailable' AND resolved_at IS NULL",
                       id));
    assert_true(wait_q(1, 30000,
                       "SELECT (count(*) >= 2)::int FROM gateway_calls WHERE application_id = '%s'"
                       " AND outcome IN ('unavailable', 'circuit_open')",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_registries");
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", id), 0);
    assert_int_equal(q("SELECT count(*) FROM registry_answers WHERE application_id = '%s'", id), 0);
    registry("{\"down\": false}");
    wait_stage(id, "license_issued");
    assert_str(qs("SELECT string_agg(service_id || ':' || n, ' ' ORDER BY service_id) FROM"
                  " (SELECT service_id, count(*) n FROM gateway_calls WHERE application_id = '%s'"
                  " AND outcome = 'answered' GROUP BY service_id) c",
                  id),
               "COURT_BANS:1 ERD_BANS:1 GBDUL_ENTITY:1");
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'registry_unavailable' AND resolved_at IS NOT NULL",
                       id),
                     1);
    char *got = received(BIN);
    assert_non_null(got);
    assert_non_null(strstr(got, "ERD_BANS:answered"));
    free(got);
}

/* A SOAP fault, then a malformed answer: each recorded, an incident, asked again, no crash
 * (the teardown fails a worker that did not stop cleanly). */
static void fault_and_malformed_answers(void **state)
{
    (void)state;
    env = h_setup("registries_fault");
    h_clock_freeze(env, T0);
    start_stack();
    registry("{\"fail_next\": 1, \"fail\": \"fault\", \"service\": \"ERD_BANS\"}");
    const char *a = "f0000000-0000-4000-8000-000000000005";
    submit(a);
    wait_stage(a, "license_issued");
    registry("{\"fail_next\": 1, \"fail\": \"malformed\", \"service\": \"COURT_BANS\"}");
    const char *b = "f0000000-0000-4000-8000-000000000006";
    submit(b);
    wait_stage(b, "license_issued");
    /* A whole answer with HTTP 500 is not taken as one. */
    registry("{\"fail_next\": 1, \"fail\": \"answer_500\", \"service\": \"GBDUL_ENTITY\"}");
    const char *c = "f0000000-0000-4000-8000-000000000009";
    submit(c);
    wait_stage(c, "license_issued");
    assert_str(qs("SELECT string_agg(application_id::text || ' ' || service_id || ' ' || outcome"
                  " || ' ' || coalesce(code, '-') || ' ' || coalesce(http_status, 0), ', '"
                  " ORDER BY id) FROM gateway_calls WHERE outcome <> 'answered'"),
               "f0000000-0000-4000-8000-000000000005 ERD_BANS fault SE0003 500, "
               "f0000000-0000-4000-8000-000000000006 COURT_BANS malformed - 200, "
               "f0000000-0000-4000-8000-000000000009 GBDUL_ENTITY malformed SCSS001 500");
    assert_str(qs("SELECT message FROM gateway_calls WHERE application_id = '%s'"
                  " AND outcome = 'malformed'",
                  c),
               "an answer with HTTP 500");
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'registry_unavailable'"), 3);
    assert_int_equal(q("SELECT count(*) FROM registry_answers"), 9);
}

static json_t *reissue_example(const char *id)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/proto/examples/application.submitted.v1.reissue.json",
             getenv("LIC_SRC_DIR"));
    json_t *ev = json_load_file(path, 0, NULL);
    assert_non_null(ev);
    json_object_set_new(ev, "id", json_string(h_uuid()));
    json_object_set_new(ev, "subject", json_string(id));
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(data, "application_id", json_string(id));
    json_object_set_new(data, "submitted_at", json_string(T0));
    return ev;
}

/* Someone who does not hold the license asks to have it re-registered: refused after a hearing
 * (re-registration ground 6), the license unchanged. */
static void stranger_reissue_refused(void **state)
{
    (void)state;
    env = h_setup("registries_stranger");
    h_clock_freeze(env, T0);
    import_licenses("KPR-L-2025-000117,legal_entity," BIN ",ТОО «Қарағанды Көмір»,2025-02-10\n");
    start_stack();
    const char *id = "f0000000-0000-4000-8000-000000000007";
    produce(APPS, reissue_example(id)); /* the individual 880101300123 asks */
    wait_stage(id, "refusal_proposed");
    assert_str(qs("SELECT code || ' ' || number FROM grounds WHERE application_id = '%s'", id),
               "not_license_holder 6");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    hearing_outcome(id, "refusal_confirmed");
    wait_stage(id, "refused");
    assert_str(qs("SELECT holder_id || ' ' || version FROM licenses"
                  " WHERE number = 'KPR-L-2025-000117'"),
               BIN " 1");
    assert_str(received("880101300123"),
               "COURT_BANS:answered ERD_BANS:answered GBDFL_PERSON:answered");
}

/* A valid BIN: `prefix` (11 digits) and the check digit that makes it valid. */
static const char *valid_id(const char *prefix)
{
    static char b[13];
    for (int d = 0; d < 10; d++) {
        snprintf(b, 13, "%s%d", prefix, d);
        if (dom_iin_bin_valid(b))
            return b;
    }
    fail_msg("no check digit makes %s valid", prefix);
    return NULL;
}

/* The successor of a merger that the registry names re-registers the merged entity's license. */
static void merger_successor_reissued(void **state)
{
    (void)state;
    env = h_setup("registries_merger");
    h_clock_freeze(env, T0);
    char old_bin[13], csv[300], control[700];
    snprintf(old_bin, sizeof(old_bin), "%s", valid_id("99014000234"));
    snprintf(csv, sizeof(csv), "KPR-L-2024-000042,legal_entity,%s,ТОО «Шахтинск Руда»,2024-06-03\n",
             old_bin);
    import_licenses(csv);
    start_stack();
    snprintf(control, sizeof(control),
             "{\"entities\": {\"" BIN "\": {\"name_kk\": \"«Қарағанды Көмір» ЖШС\","
             " \"name_ru\": \"ТОО «Қарағанды Көмір»\", \"legal_address\": \"Қарағанды қ., Бұқар"
             " Жырау даңғылы, 47\", \"status\": \"active\", \"predecessors\": [{\"form\":"
             " \"merger\", \"date\": \"2025-11-03\", \"bin\": \"%s\"}]}}}",
             old_bin);
    registry(control);
    const char *id = "f0000000-0000-4000-8000-000000000008";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(data, "kind", json_string("reissue"));
    json_object_set_new(data, "reissue",
                        json_pack("{s:s,s:b,s:[s],s:s}", "license_number", "KPR-L-2024-000042",
                                  "annex_only", 0, "grounds", "legal_entity_reorganized",
                                  "reorganization", "merger"));
    json_array_append_new(json_object_get(data, "documents"),
                          json_pack("{s:s,s:s,s:s}", "kind", "change_evidence", "id", "C", "sha256",
                                    "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e88626"
                                    "6e7ae"));
    json_object_set_new(data, "fee",
                        json_pack("{s:s,s:i}", "paid_via", "egov_gateway", "amount_kzt", 4325));
    produce(APPS, ev);
    wait_stage(id, "license_reissued");
    assert_int_equal(q("SELECT count(*) FROM grounds WHERE application_id = '%s'", id), 0);
    /* The merger needs the agencies: by default (LIC_REISSUE_APPROVALS_TERM=statutory) the
     * 3-WD term of ¶7 stays, flagged at registration as one their 10 WD will exceed. */
    assert_str(qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD')"
                  " FROM applications WHERE application_id = '%s'",
                  id),
               "2026-03-19");
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'registered' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->'term_note'->>'policy' = 'statutory'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'term_cannot_be_kept'",
                       id),
                     1);
    /* Row 8 item 2: the registry's answer is the evidence of the reorganisation. */
    assert_str(qs("SELECT (stands_for->>'document') || ' ' || (stands_for->'grounds')::text"
                  " || ' ' || (stands_for->>'rule') FROM registry_answers"
                  " WHERE application_id = '%s' AND service_id = 'GBDUL_ENTITY'",
                  id),
               "change_evidence [\"legal_entity_reorganized\"] Standard row 8, item 2; ¶10");
    assert_int_equal(q("SELECT count(*) FROM registry_answers WHERE application_id = '%s'"
                       " AND stands_for IS NOT NULL",
                       id),
                     1);
    assert_str(qs("SELECT holder_id || ' ' || version FROM licenses"
                  " WHERE number = 'KPR-L-2024-000042'"),
               BIN " 2");
}

/* The database refuses the check's writes: set aside (not retried in a loop) with an incident,
 * nothing granted; once the operator has repaired it and asks again, it proceeds and the
 * incident is resolved. */
static void refused_write_set_aside(void **state)
{
    (void)state;
    env = h_setup("registries_set_aside");
    h_clock_freeze(env, T0);
    h_exec(env, "REVOKE INSERT ON registry_answers FROM lic_worker");
    start_stack();
    const char *id = "f0000000-0000-4000-8000-00000000000a";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'registry_check_failed' AND resolved_at IS NULL"
                       " AND detail LIKE '%%permission denied%%'",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_registries");
    /* Put off for the longest back-off (5 minutes), not asked again meanwhile. */
    assert_int_equal(q("SELECT (next_attempt_at > now() + interval '4 minutes')::int"
                       " FROM registry_checks WHERE application_id = '%s'",
                       id),
                     1);
    long long calls = q("SELECT count(*) FROM gateway_calls");
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", id), 0);
    h_exec(env, "GRANT INSERT ON registry_answers TO lic_worker");
    char sql[200];
    snprintf(sql, sizeof(sql),
             "UPDATE registry_checks SET next_attempt_at = now() WHERE application_id = '%s'", id);
    h_exec(env, sql);
    wait_stage(id, "license_issued");
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'registry_check_failed' AND resolved_at IS NOT NULL",
                       id),
                     1);
    /* The answers the refused round brought were not kept: asked again, recorded once each. */
    assert_int_equal(q("SELECT count(*) FROM gateway_calls") - calls, 3);
    assert_int_equal(q("SELECT count(*) FROM registry_answers WHERE application_id = '%s'", id), 3);
}

/* The gateway down for weeks: the application waits in awaiting_registries, and the service
 * term is at risk a working day before it ends (registered 16 March, 15 WD end 9 April
 * 18:30), said in the event with the stage it waits in. */
static void waiting_for_registries_at_risk(void **state)
{
    (void)state;
    env = h_setup("registries_at_risk");
    h_clock_freeze(env, T0);
    start_stack();
    registry("{\"down\": true}");
    const char *id = "f0000000-0000-4000-8000-00000000000b";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'registry_unavailable'",
                       id));
    h_clock_freeze(env, "2026-04-08T18:31:00+05:00");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'deadline_at_risk' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail' @> '{\"deadline\": \"service_term\","
                       " \"stage\": \"awaiting_registries\"}'",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_registries");
    assert_int_equal(q("SELECT count(*) FROM licenses"), 0);
    registry("{\"down\": false}");
}

/* A `reissue` declaring a split is registered as the split's re-registration (15 WD), and its
 * registered event says why. */
static void reissue_declaring_split_derived(void **state)
{
    (void)state;
    env = h_setup("registries_split_derived");
    h_clock_freeze(env, T0);
    start_stack();
    const char *id = "f0000000-0000-4000-8000-00000000000c";
    json_t *ev = reissue_example(id);
    json_t *re = json_object_get(json_object_get(ev, "data"), "reissue");
    json_object_set_new(re, "grounds", json_pack("[s]", "legal_entity_reorganized"));
    json_object_set_new(re, "reorganization", json_string("spin_off"));
    produce(APPS, ev);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'registered' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail' @> '{\"kind\": \"reissue_split\", \"kind_derived\":"
                       " {\"declared\": \"reissue\", \"reorganization\": \"spin_off\"}}'",
                       id));
    assert_str(qs("SELECT kind FROM applications WHERE application_id = '%s'", id),
               "reissue_split");
}

/* The gateway over mutual TLS, as in production: the workers' client certificate of the CA
 * the gateway trusts gets answers; a certificate of another CA is refused, recorded, and the
 * application waits. */
static void mutual_tls(void **state)
{
    (void)state;
    env = h_setup("registries_tls");
    h_clock_freeze(env, T0);
    setenv("LIC_GATEWAY_BREAKER_COOLDOWN_MS", "1000", 1);
    setenv("LIC_GATEWAY_RETRY_BASE_MS", "50", 1);
    setenv("LIC_TEST_GATEWAY_TLS", "1", 1);
    h_start_sim(env);
    unsetenv("LIC_TEST_GATEWAY_TLS");
    assert_int_equal(strncmp(getenv("LIC_GATEWAY_URL"), "https://", 8), 0);
    h_start_smtp(env);
    pid_t reg = 0;
    for (int i = 0; WORKERS[i]; i++) {
        pid_t p = h_spawn(env, WORKERS[i], NULL);
        if (strcmp(WORKERS[i], "registries") == 0)
            reg = p;
    }
    const char *id = "f0000000-0000-4000-8000-00000000000d";
    submit(id);
    wait_stage(id, "license_issued");
    assert_int_equal(q("SELECT count(*) FROM gateway_calls WHERE application_id = '%s'"
                       " AND outcome = 'answered'",
                       id),
                     3);
    assert_str(received(BIN), "COURT_BANS:answered ERD_BANS:answered GBDUL_ENTITY:answered");
    json_t *st = h_registry(env, "stats", NULL);
    assert_int_equal(json_integer_value(json_object_get(st, "refused_clients")), 0);
    json_decref(st);
    /* Another CA's certificate. */
    assert_int_equal(h_stop(env, reg, SIGTERM, 10000), 0);
    char path[700];
    snprintf(path, sizeof(path), "%s/tls/stranger.pem", env->workdir);
    setenv("LIC_GATEWAY_TLS_CERT", path, 1);
    snprintf(path, sizeof(path), "%s/tls/stranger.key", env->workdir);
    setenv("LIC_GATEWAY_TLS_KEY", path, 1);
    h_spawn(env, "registries", NULL);
    const char *other = "f0000000-0000-4000-8000-00000000000e";
    submit(other);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'registry_unavailable'",
                       other));
    assert_int_equal(q("SELECT count(*) FROM gateway_calls WHERE application_id = '%s'"
                       " AND outcome = 'answered'",
                       other),
                     0);
    st = h_registry(env, "stats", NULL);
    print_message("refused clients: %lld\n",
                  (long long)json_integer_value(json_object_get(st, "refused_clients")));
    assert_true(json_integer_value(json_object_get(st, "refused_clients")) > 0);
    json_decref(st);
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", other),
               "awaiting_registries");
}

/* Two workers, answers slower than the lease: the second takes the check over under a new
 * attempt while the first still waits. Both record their calls; one passes the application on,
 * once, and the other's lease writes are fenced off - nothing is left leased or duplicated. */
static void lease_taken_over(void **state)
{
    (void)state;
    env = h_setup("registries_lease");
    h_clock_freeze(env, T0);
    setenv("LIC_REGISTRIES_LEASE_S", "1", 1);
    start_stack();
    h_spawn(env, "registries", NULL); /* a second one */
    registry("{\"response_delay_ms\": 2500}");
    const char *id = "f0000000-0000-4000-8000-00000000000f";
    submit(id);
    wait_stage(id, "license_issued");
    registry("{\"response_delay_ms\": 0}");
    /* Two attempts asked (three calls each, each attempt its own messageIds). */
    assert_true(wait_q(2, 30000,
                       "SELECT count(DISTINCT message_id) / 3 FROM gateway_calls"
                       " WHERE application_id = '%s' AND outcome = 'answered'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE application_id = '%s'"
                       " AND from_stage = 'awaiting_registries'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM registry_answers WHERE application_id = '%s'", id), 3);
    assert_true(wait_q(0, 10000, "SELECT count(*) FROM registry_checks"));
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id),
                     1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(clean_applicant_licensed, teardown),
        cmocka_unit_test_teardown(bailiff_ban_refused_after_hearing, teardown),
        cmocka_unit_test_teardown(liquidated_and_name_mismatch, teardown),
        cmocka_unit_test_teardown(gateway_down_then_back, teardown),
        cmocka_unit_test_teardown(fault_and_malformed_answers, teardown),
        cmocka_unit_test_teardown(stranger_reissue_refused, teardown),
        cmocka_unit_test_teardown(merger_successor_reissued, teardown),
        cmocka_unit_test_teardown(refused_write_set_aside, teardown),
        cmocka_unit_test_teardown(waiting_for_registries_at_risk, teardown),
        cmocka_unit_test_teardown(reissue_declaring_split_derived, teardown),
        cmocka_unit_test_teardown(mutual_tls, teardown),
        cmocka_unit_test_teardown(lease_taken_over, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("registries", tests, NULL, NULL);
}
