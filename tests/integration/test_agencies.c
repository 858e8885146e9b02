/* Agency approvals end to end: portal event in, the intake, dispatcher, replies, timer and
 * relay workers, the agency simulator answering over HTTP and on the reply topics, and the
 * test clock moved past the 10-working-day window. */
#include "harness.h"
#include "util.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"
#define STATUS "licensing.status.v1"
#define DLQ "licensing.dead-letter.v1"

static long long sim_stat(const char *agency, const char *key)
{
    json_t *s = h_sim(env, NULL);
    assert_non_null(s);
    long long v = json_integer_value(json_object_get(json_object_get(s, agency), key));
    json_decref(s);
    return v;
}

/* Spawns the workers named in a NULL-terminated list. */
static void spawn_workers(const char *const *names)
{
    for (int i = 0; names[i]; i++)
        h_spawn(env, names[i], NULL);
}

/* Starts the simulator, configured by `controls` (NULL-terminated, may be NULL). */
static void start_sim(const char *const *controls)
{
    h_start_sim(env);
    for (int i = 0; controls && controls[i]; i++)
        sim(controls[i]);
}

/* Starts the simulator (configured by `controls`, may be NULL) and every worker. */
static void start_stack(const char *const *controls)
{
    start_sim(controls);
    const char *workers[] = {"intake",  "registries", "relay", "dispatcher",
                             "replies", "timer",      NULL};
    spawn_workers(workers);
}

static void submit(const char *id)
{
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
}

/* Status events of the topic for one application, as "stage[:agency[:verdict]]" sorted. */
static char *status_summary(const char *id, int expected)
{
    json_t *msgs = published_status(expected, 15000);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    h_exec(env, "CREATE TEMP TABLE IF NOT EXISTS seen (event_id text, line text)");
    h_exec(env, "TRUNCATE seen");
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        json_t *d = json_object_get(v, "data");
        if (strcmp(json_string_value(json_object_get(d, "application_id")), id) == 0) {
            json_t *det = json_object_get(d, "detail");
            char line[200], sql[400];
            snprintf(
                line, sizeof(line), "%s%s%s%s%s", json_string_value(json_object_get(d, "stage")),
                json_object_get(det, "agency") ? ":" : "",
                json_object_get(det, "agency") ? json_string_value(json_object_get(det, "agency"))
                                               : "",
                json_object_get(det, "verdict") ? ":" : "",
                json_object_get(det, "verdict") ? json_string_value(json_object_get(det, "verdict"))
                                                : "");
            snprintf(sql, sizeof(sql), "INSERT INTO seen VALUES ('%s', '%s')",
                     json_string_value(json_object_get(v, "id")), line);
            h_exec(env, sql);
        }
        json_decref(v);
    }
    json_decref(msgs);
    return h_query_str(env, "SELECT string_agg(line, ' ' ORDER BY line) FROM"
                            " (SELECT DISTINCT event_id, line FROM seen) x");
}

/* Both agencies compliant: requests received, replies counted, awaiting_decision. */
static void both_compliant(void **state)
{
    (void)state;
    env = h_setup("agencies_compliant");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    start_stack(NULL);
    const char *id = "a0000000-0000-4000-8000-000000000001";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_str(
        qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
           " FROM transitions WHERE application_id = '%s'",
           id),
        "none>registered registered>awaiting_registries awaiting_registries>awaiting_approvals"
        " awaiting_approvals>awaiting_replies"
        " awaiting_replies>awaiting_decision");
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND state = 'received' AND outcome = 'compliant' AND attempts = 1",
                       id),
                     2);
    /* ¶12: 10 WD from the receipt on Monday 16 March 10:00:07 (Nauryz and its carry-overs
     * 21-25 March are off): Thursday 2 April 18:30. */
    assert_str(qs("SELECT DISTINCT to_char(reply_due_at AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM agency_requests WHERE application_id = '%s'",
                  id),
               "2026-04-02 18:30");
    assert_int_equal(q("SELECT count(*) FROM agency_replies WHERE application_id = '%s'"
                       " AND counted",
                       id),
                     2);
    /* Both reply windows were closed by the replies, none deemed, and no timers row repeats
     * them (migration 017). */
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s' AND"
                       " outcome = 'compliant'",
                       id),
                     2);
    assert_int_equal(q("SELECT count(*) FROM reply_windows WHERE application_id = '%s'", id), 0);
    assert_int_equal(q("SELECT count(*) FROM timers WHERE application_id = '%s'", id), 0);
    assert_int_equal(sim_stat("industrial_safety", "distinct_keys"), 1);
    assert_int_equal(sim_stat("sanitary", "distinct_keys"), 1);
    /* The request body the agencies got is the contract's. */
    assert_str(qs("SELECT body->>'reply_topic' FROM agency_requests WHERE application_id = '%s'"
                  " AND agency = 'sanitary'",
                  id),
               "agency.sanitary.replies.v1");
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND body->'applicant' ? 'email'",
                       id),
                     0);
    /* Each body has the members approval-request.schema.json requires, no others, and its
     * own request's id, agency and region with the application's rows. */
    assert_int_equal(
        q("SELECT count(*) FROM agency_requests q JOIN production_bases b USING (application_id)"
          " WHERE q.application_id = '%s'"
          " AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(q.body) k) ="
          " '{agency,applicant,application_id,documents,production_base,region,reply_due_at,"
          "reply_topic,request_id,subtypes}'"
          " AND q.body->>'request_id' = q.request_id::text AND q.body->>'agency' = q.agency"
          " AND q.body->>'region' = q.region AND q.body->>'application_id' = '%s'"
          " AND q.body->'production_base'->>'address' = b.address"
          " AND q.body->'applicant'->>'name' = (SELECT name FROM applicants p"
          "  WHERE p.application_id = q.application_id)"
          " AND jsonb_array_length(q.body->'subtypes') = (SELECT count(*) FROM"
          "  application_subtypes s WHERE s.application_id = q.application_id)"
          " AND jsonb_array_length(q.body->'documents') = (SELECT count(*) FROM"
          "  application_documents d WHERE d.application_id = q.application_id)"
          " AND q.body->>'reply_due_at' ~ "
          "'^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d$'",
          id, id),
        2);
    char *sum = status_summary(id, 5);
    assert_str(sum, "agency_replied:industrial_safety:compliant agency_replied:sanitary:compliant"
                    " approvals_requested:industrial_safety approvals_requested:sanitary"
                    " registered");
}

/* One agency silent past the window: deemed approval, recorded as deemed; its reply arriving
 * after that is recorded and ignored. */
static void silent_deemed_then_late_reply(void **state)
{
    (void)state;
    env = h_setup("agencies_deemed");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"sanitary\", \"reply_delay_ms\": 6000}", NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000002";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'industrial_safety' AND outcome = 'compliant'",
                       id));
    assert_true(wait_q(2, 10000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND state = 'received'",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_replies");
    /* A timer the database will not let fire (its reference is no complaint id), due before
     * the window: it is set aside with an incident and does not hold the window back. */
    h_exec(env, "INSERT INTO timers (application_id, kind, ref, due_at) VALUES"
                " ('a0000000-0000-4000-8000-000000000002', 'complaint_review_at_risk',"
                " 'not-a-uuid', '2026-04-01T09:00:00+05:00')");
    /* The window closes at 18:30 on 2 April; the day after, the timer deems. */
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00");
    assert_true(wait_q(1, 5000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_str(qs("SELECT outcome FROM agency_requests WHERE application_id = '%s'"
                  " AND agency = 'sanitary'",
                  id),
               "deemed_approved");
    assert_int_equal(q("SELECT count(*) FROM reply_windows WHERE application_id = '%s'", id), 0);
    /* Caused by the window, which names its request. */
    assert_int_equal(q("SELECT count(*) FROM transitions t JOIN agency_requests q"
                       " ON q.request_id = t.cause_request_id AND q.agency = 'sanitary'"
                       " WHERE t.application_id = '%s' AND t.to_stage = 'awaiting_decision'"
                       " AND t.cause_kind = 'timer' AND t.cause_timer_id IS NULL",
                       id),
                     1);
    /* The timers are fired in a transaction after the windows': wait for it, it may not have
     * committed when the stage is seen. */
    assert_true(wait_q(1, 5000,
                       "SELECT count(*) FROM timers WHERE ref = 'not-a-uuid' AND fired_at IS NULL"
                       " AND failed_at IS NOT NULL AND error LIKE '%%uuid%%'"));
    assert_int_equal(q("SELECT count(*) FROM incidents i JOIN timers t ON i.ref = t.id::text"
                       " WHERE i.kind = 'timer_failed' AND t.ref = 'not-a-uuid'"
                       " AND i.application_id = '%s'",
                       id),
                     1);
    /* The late reply: recorded, not counted, nothing else changes. */
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM agency_replies WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND NOT counted AND ignored_reason ="
                       " 'after_deemed'",
                       id));
    assert_str(qs("SELECT outcome FROM agency_requests WHERE application_id = '%s'"
                  " AND agency = 'sanitary'",
                  id),
               "deemed_approved");
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE application_id = '%s'", id), 5);
    char *sum = status_summary(id, 5);
    assert_str(sum, "agency_deemed_approved:sanitary agency_replied:industrial_safety:compliant"
                    " approvals_requested:industrial_safety approvals_requested:sanitary"
                    " registered");
}

/* A non_compliant reply: its reasons are stored and published. */
static void non_compliant_reasons(void **state)
{
    (void)state;
    env = h_setup("agencies_noncompliant");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}",
                              NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000003";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_int_equal(q("SELECT jsonb_array_length(reasons) FROM agency_requests"
                       " WHERE application_id = '%s' AND agency = 'industrial_safety'"
                       " AND outcome = 'non_compliant'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND reasons->>0 LIKE '%%экспертиз%%'",
                       id),
                     1);
    char *sum = status_summary(id, 5);
    assert_non_null(strstr(sum, "agency_replied:industrial_safety:non_compliant"));
    free(sum);
}

/* 500 three times, then 202: one request as far as the agency is concerned. */
static void retries_one_key(void **state)
{
    (void)state;
    setenv("LIC_AGENCY_RETRY_BASE_MS", "100", 1);
    env = h_setup("agencies_retry");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"fail_next\": 3}", NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000004";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_int_equal(sim_stat("industrial_safety", "requests"), 4);
    assert_int_equal(sim_stat("industrial_safety", "failed"), 3);
    assert_int_equal(sim_stat("industrial_safety", "distinct_keys"), 1);
    assert_int_equal(sim_stat("sanitary", "requests"), 1);
    assert_int_equal(q("SELECT attempts FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'industrial_safety'",
                       id),
                     4);
    /* Within the 2-WD limit of ¶11: no incident. */
    assert_int_equal(q("SELECT count(*) FROM incidents"), 0);
}

/* Past the 2-WD limit of ¶11 the failing request raises an incident (and keeps trying); a
 * request the agency rejects (422) is an incident at once and never retried. */
static void overdue_and_rejected_incidents(void **state)
{
    (void)state;
    setenv("LIC_AGENCY_RETRY_BASE_MS", "100", 1);
    env = h_setup("agencies_incidents");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"fail_next\": 1000000}",
                              "{\"agency\": \"sanitary\", \"fail_next\": 1,"
                              " \"fail_status\": 422}",
                              NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000007";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'approval_request_rejected' AND ref = 'sanitary'",
                       id));
    assert_str(qs("SELECT state FROM agency_requests WHERE application_id = '%s'"
                  " AND agency = 'sanitary'",
                  id),
               "rejected");
    /* The incident quotes the agency's answer. */
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'approval_request_rejected'"
                       " AND detail LIKE '%%HTTP 422: %%simulated failure%%'",
                       id),
                     1);
    assert_true(wait_q(1, 30000,
                       "SELECT (attempts >= 2)::int FROM agency_requests WHERE application_id ="
                       " '%s' AND agency = 'industrial_safety'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'approval_request_overdue'"),
                     0);
    /* Three days later the limit (18 March 18:30) has passed. */
    h_clock_freeze(env, "2026-03-19T10:00:00+05:00");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'approval_request_overdue' AND ref = 'industrial_safety'",
                       id));
    assert_int_equal(sim_stat("sanitary", "requests"), 1); /* never retried */
}

/* Forged replies (bad signature, another agency's key) go to the dead-letter topic and change
 * nothing; a second reply to the same request is recorded as a duplicate and ignored. */
static void forged_and_duplicate(void **state)
{
    (void)state;
    env = h_setup("agencies_forged");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"bad_signature\": true}",
                              "{\"agency\": \"sanitary\", \"reply_twice\": true}", NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000005";
    submit(id);
    assert_true(wait_q(1, 30000, "SELECT count(*) FROM dead_letters"));
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_replies WHERE application_id = '%s'"
                       " AND agency = 'sanitary'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM agency_replies WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND ignored_reason = 'duplicate'",
                       id),
                     1);
    /* A reply signed with the other agency's key. */
    sim("{\"agency\": \"industrial_safety\", \"bad_signature\": false, \"wrong_key\": true}");
    const char *id2 = "a0000000-0000-4000-8000-000000000006";
    submit(id2);
    assert_true(wait_q(2, 30000, "SELECT count(*) FROM dead_letters"));
    /* Nothing changed for industrial safety: no outcome, no counted reply, still waiting. */
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE agency = 'industrial_safety'"
                       " AND outcome IS NOT NULL"),
                     0);
    assert_int_equal(q("SELECT count(*) FROM agency_replies WHERE agency = 'industrial_safety'"),
                     0);
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_replies");
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    json_t *dl = h_read_topic(env, DLQ, 2, 15000);
    assert_int_equal(json_array_size(dl), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *hd = json_object_get(json_array_get(dl, i), "headers");
        const char *err = json_string_value(json_object_get(hd, "x-error"));
        print_message("forged reply -> %s\n", err);
        assert_non_null(strstr(err, "signature"));
        assert_string_equal(json_string_value(json_object_get(hd, "x-source-topic")),
                            "agency.industrial-safety.replies.v1");
    }
    json_decref(dl);
    char *sum = status_summary(id, 4);
    /* One agency_replied for sanitary despite its two replies. */
    assert_str(sum, "agency_replied:sanitary:compliant approvals_requested:industrial_safety"
                    " approvals_requested:sanitary registered");
}

/* 1,000 applications against agencies answering 202 in 50 ms: every request goes out, never
 * more than the configured number in flight per agency. */
static void thousand_with_limit(void **state)
{
    (void)state;
    setenv("LIC_AGENCY_MAX_IN_FLIGHT", "8", 1);
    env = h_setup("agencies_thousand");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"response_delay_ms\": 50}",
                              "{\"agency\": \"sanitary\", \"response_delay_ms\": 50}", NULL};
    start_stack(controls);
    assert_int_equal(h_produce_submissions(env, 1000, 0), 0);
    assert_true(
        wait_q(2000, 120000, "SELECT count(*) FROM agency_requests WHERE state = 'received'"));
    long long is_max = sim_stat("industrial_safety", "max_in_flight");
    long long san_max = sim_stat("sanitary", "max_in_flight");
    print_message("most requests in flight: industrial_safety %lld, sanitary %lld (limit 8)\n",
                  is_max, san_max);
    assert_true(is_max <= 8 && san_max <= 8);
    assert_true(is_max >= 2 && san_max >= 2); /* they did go out concurrently */
    assert_int_equal(sim_stat("industrial_safety", "distinct_keys"), 1000);
    assert_int_equal(sim_stat("sanitary", "distinct_keys"), 1000);
    assert_int_equal(sim_stat("industrial_safety", "requests"), 1000);
    assert_int_equal(sim_stat("sanitary", "requests"), 1000);
    assert_true(
        wait_q(1000, 60000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
}

/* Replies consumed in one batch (the replies worker starts after both agencies answered 12
 * applications): the batch handler judges each reply as the one-by-one path does - both
 * replies of an application in the same batch move it on once, a reply after a deemed
 * approval and a late one are recorded and change nothing - and writes each reply, the
 * request's outcome, the cancelled window, the status event and the stage change. */
static void replies_in_one_batch(void **state)
{
    (void)state;
    env = h_setup("agencies_batch");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    h_start_sim(env);
    /* No timer worker: the second application's window is made to end before its reply is
     * read, and the reply must be judged late, not after a deemed approval. */
    const char *workers[] = {"intake", "registries", "relay", "dispatcher", NULL};
    spawn_workers(workers);
    assert_int_equal(h_produce_submissions(env, 12, 0), 0);
    assert_true(
        wait_q(12, 30000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_replies'"));
    const char *topics[] = {"agency.industrial-safety.replies.v1", "agency.sanitary.replies.v1"};
    for (int t = 0; t < 2; t++) {
        json_t *replies = h_read_topic(env, topics[t], 12, 15000);
        assert_int_equal(json_array_size(replies), 12);
        json_decref(replies);
    }
    /* The first application's industrial safety approval was deemed meanwhile; the second's
     * sanitary window closed before its reply is read. */
    h_exec(env, "CREATE TABLE two AS SELECT application_id, row_number() OVER"
                " (ORDER BY application_id) AS n FROM applications ORDER BY application_id"
                " LIMIT 2");
    h_exec(env, "WITH u AS (UPDATE agency_requests SET outcome = 'deemed_approved',"
                " outcome_at = now() WHERE agency = 'industrial_safety'"
                " AND application_id = (SELECT application_id FROM two WHERE n = 1)"
                " RETURNING request_id)"
                " DELETE FROM reply_windows WHERE request_id IN (SELECT request_id FROM u)");
    h_exec(env, "UPDATE agency_requests SET reply_due_at = '2026-03-16T09:00:00+05:00'"
                " WHERE agency = 'sanitary'"
                " AND application_id = (SELECT application_id FROM two WHERE n = 2)");
    h_spawn(env, "replies", NULL);
    assert_true(wait_q(24, 30000, "SELECT count(*) FROM agency_replies"));
    assert_true(
        wait_q(11, 10000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
    assert_int_equal(q("SELECT count(*) FROM processed_events WHERE consumer = 'lic-replies'"), 24);
    assert_str(qs("SELECT string_agg(coalesce(ignored_reason, 'counted') || ':' || agency || ':'"
                  " || coalesce(n::text, '-'), ' ' ORDER BY ignored_reason, agency, n)"
                  " FROM agency_replies r LEFT JOIN two USING (application_id)"
                  " WHERE NOT counted OR n IS NOT NULL"),
               "after_deemed:industrial_safety:1 late:sanitary:2 counted:industrial_safety:2"
               " counted:sanitary:1");
    /* The second application waits for sanitary (its reply came late). */
    assert_str(qs("SELECT stage FROM applications JOIN two USING (application_id) WHERE n = 2"),
               "awaiting_replies");
    /* Each counted reply is its request's outcome; every other request has none but the
     * deemed one. */
    assert_int_equal(q("SELECT count(*) FROM agency_requests q JOIN agency_replies r"
                       " ON r.id = q.reply_id AND r.request_id = q.request_id"
                       " WHERE r.counted AND q.outcome = r.verdict"),
                     22);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE reply_id IS NULL"
                       " AND outcome IS NOT NULL"),
                     1);
    /* The counted replies' windows closed by them, the deemed one's by the deemed outcome;
     * the late one's still open (a timer worker would deem it). */
    assert_str(qs("SELECT string_agg(t.n || ':' || q.agency, ' ') FROM reply_windows w"
                  " JOIN agency_requests q USING (request_id) JOIN two t"
                  " ON t.application_id = q.application_id"),
               "2:sanitary");
    assert_int_equal(q("SELECT count(*) FROM reply_windows"), 1);
    /* One move an application, caused by its second reply's event. */
    assert_int_equal(q("SELECT count(*) FROM transitions t WHERE to_stage = 'awaiting_decision'"
                       " AND cause_kind = 'event' AND cause_event_id IN (SELECT event_id FROM"
                       " agency_replies r WHERE r.application_id = t.application_id)"),
                     11);
    assert_int_equal(q("SELECT count(DISTINCT application_id) FROM transitions"
                       " WHERE to_stage = 'awaiting_decision'"),
                     11);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'agency_replied'"), 22);
    /* All of it by the batch handler: no batch went to the one-by-one path. */
    assert_true(h_wait_log(env, "replies", "consuming as", 1000));
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "cat '%s'/replies.*.log | grep -q 'runs again'", env->workdir);
    assert_int_not_equal(system(cmd), 0);
}

/* A correctly signed reply naming a request nobody made, read in one batch with valid
 * replies: the batch handler looks the request up, dead-letters that reply (the request
 * unknown) and counts the others, without passing the batch on. */
static void unknown_request_in_batch(void **state)
{
    (void)state;
    env = h_setup("agencies_unknown_request");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    h_start_sim(env);
    const char *workers[] = {"intake", "registries", "relay", "dispatcher", NULL};
    spawn_workers(workers);
    sim("{\"agency\": \"industrial_safety\", \"unknown_request\": true}");
    const char *bad = "a0000000-0000-4000-8000-000000000021";
    submit(bad);
    json_t *first = h_read_topic(env, "agency.industrial-safety.replies.v1", 1, 15000);
    assert_int_equal(json_array_size(first), 1);
    json_decref(first);
    sim("{\"agency\": \"industrial_safety\", \"unknown_request\": false}");
    submit("a0000000-0000-4000-8000-000000000022");
    submit("a0000000-0000-4000-8000-000000000023");
    const char *topics[] = {"agency.industrial-safety.replies.v1", "agency.sanitary.replies.v1"};
    for (int t = 0; t < 2; t++) {
        json_t *replies = h_read_topic(env, topics[t], 3, 15000);
        assert_int_equal(json_array_size(replies), 3);
        json_decref(replies);
    }
    h_spawn(env, "replies", NULL);
    assert_true(wait_q(1, 30000, "SELECT count(*) FROM dead_letters"));
    assert_true(wait_q(5, 30000, "SELECT count(*) FROM agency_replies WHERE counted"));
    assert_true(
        wait_q(2, 10000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", bad),
               "awaiting_replies");
    assert_int_equal(q("SELECT count(*) FROM agency_replies WHERE application_id = '%s'"
                       " AND agency = 'industrial_safety'",
                       bad),
                     0);
    assert_int_equal(q("SELECT count(*) FROM dead_letters WHERE reason LIKE"
                       " 'unknown request_id %%'"),
                     1);
    /* All of it by the batch handler: it did not pass the batch to the careful path. */
    assert_true(h_wait_log(env, "replies", "consuming as", 1000));
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "cat '%s'/replies.*.log | grep -q 'batch handler passed'",
             env->workdir);
    assert_int_not_equal(system(cmd), 0);
}

/* A receipt recorded while the replies worker holds the application: both agencies' replies
 * came before the sanitary receipt (the replies worker records them, nothing moves yet: one
 * request not received). The dispatcher gets the receipt, waits for the application's lock,
 * and once the replies commit must see both outcomes: the application goes on to
 * awaiting_decision. (Reading the counts in the statement that waited for the lock gives the
 * counts from before the replies, and the application stays in awaiting_replies for good.) */
static void receipt_after_replies_under_lock(void **state)
{
    (void)state;
    setenv("LIC_AGENCY_RETRY_BASE_MS", "100", 1);
    setenv("LIC_AGENCY_RETRY_MAX_MS", "200", 1);
    setenv("LIC_AGENCY_BREAKER_COOLDOWN_MS", "200", 1);
    env = h_setup("agencies_receipt_lock");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"verdict\": \"silent\"}",
                              "{\"agency\": \"sanitary\", \"verdict\": \"silent\","
                              " \"fail_next\": 1000000}",
                              NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000011";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'industrial_safety' AND state = 'received'",
                       id));
    assert_true(wait_q(1, 10000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND state = 'pending' AND attempts >= 2",
                       id));
    /* The sanitary unit takes the next attempt and answers it 2 s later. */
    sim("{\"agency\": \"sanitary\", \"fail_next\": 0, \"response_delay_ms\": 2000}");
    for (int64_t until = util_mono_ms() + 10000;
         sim_stat("sanitary", "in_flight") != 1 && util_mono_ms() < until;)
        util_sleep_ms(20);
    assert_int_equal(sim_stat("sanitary", "in_flight"), 1);
    /* Meanwhile what the replies worker does with both replies, in a transaction left
     * open; the dispatcher, with the receipt, waits for the lock. */
    char sql[600];
    snprintf(sql, sizeof(sql),
             "SELECT 1 FROM applications WHERE application_id = '%s' FOR UPDATE;"
             " UPDATE agency_requests SET outcome = 'compliant', outcome_at = now()"
             " WHERE application_id = '%s';"
             " DELETE FROM reply_windows WHERE application_id = '%s'",
             id, id, id);
    PGconn *holder = h_holder_begin(env, sql);
    assert_true(h_holder_wait_blocked(env, holder, 10000));
    h_holder_commit(holder);
    assert_true(wait_q(1, 10000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_str(
        qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
           " FROM transitions WHERE application_id = '%s'",
           id),
        "none>registered registered>awaiting_registries awaiting_registries>awaiting_approvals"
        " awaiting_approvals>awaiting_replies"
        " awaiting_replies>awaiting_decision");
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND state = 'received'",
                       id),
                     2);
    /* The sanitary reply came before its receipt: no reply window was opened for it (the
     * industrial one's was closed by its reply). */
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND outcome = 'compliant'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM reply_windows WHERE application_id = '%s'", id), 0);
}

/* A reply that waits for the application's lock while the holder records the other
 * agency's outcome (as the timer does when a window ends): once the holder commits, the reply
 * must count that outcome and move the application to awaiting_decision. A worker reading the
 * counts in the statement that takes the lock would see them as they were before the wait. */
static void reply_after_deemed_under_lock(void **state)
{
    (void)state;
    env = h_setup("agencies_reply_lock");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"verdict\": \"silent\"}",
                              "{\"agency\": \"sanitary\", \"reply_delay_ms\": 3000}", NULL};
    start_stack(controls);
    const char *id = "a0000000-0000-4000-8000-000000000013";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_replies'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND outcome IS NOT NULL",
                       id),
                     0);
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT 1 FROM applications WHERE application_id = '%s' FOR UPDATE;"
             " UPDATE agency_requests SET outcome = 'deemed_approved', outcome_at = now()"
             " WHERE application_id = '%s' AND agency = 'industrial_safety'",
             id, id);
    PGconn *holder = h_holder_begin(env, sql);
    /* The sanitary reply arrives and the replies worker waits for the lock. */
    assert_true(h_holder_wait_blocked(env, holder, 15000));
    h_holder_commit(holder);
    assert_true(wait_q(1, 10000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_str(qs("SELECT string_agg(agency || ':' || outcome, ' ' ORDER BY agency)"
                  " FROM agency_requests WHERE application_id = '%s'",
                  id),
               "industrial_safety:deemed_approved sanitary:compliant");
}

/* Test `name` with the clock frozen at `clock` and only the intake and the registries running:
 * application `id` submitted, registered and checked (awaiting_approvals), nothing asked of the
 * agencies yet. */
static void registered_alone(const char *name, const char *clock, const char *id)
{
    env = h_setup(name);
    h_clock_freeze(env, clock);
    h_start_registry(env);
    h_spawn(env, "intake", NULL);
    h_spawn(env, "registries", NULL);
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_approvals'",
                       id));
}

/* A received request of the (one) application, written by hand as the dispatcher would: SQL
 * expressions for its id, agency and reply deadline; WINDOW_ROWS opens the windows of the
 * requests `where` selects, ending at their deadlines. */
#define REQUEST_ROW(rid, agency, due)                                                              \
    "INSERT INTO agency_requests (request_id, application_id, agency, region, base_url, body,"     \
    " state, next_attempt_at, send_due, received_at, reply_due_at) SELECT " rid ","                \
    " application_id, " agency ", 'KZ-KAR', 'http://test.invalid', '{}', 'received', now(),"       \
    " now(), now(), " due " FROM applications"
#define WINDOW_ROWS(where)                                                                         \
    "INSERT INTO reply_windows (request_id, application_id, due_at) SELECT request_id,"            \
    " application_id, reply_due_at FROM agency_requests WHERE " where

/* The timer worker on the real clock, waiting for a reply window that ends in an hour: a
 * window opened that ends in 2 s (as the dispatcher opens one with a receipt) must be fired in
 * about 2 s - its wake-up says when it ends - not when the worker next looks on its own (a
 * minute). */
static void timer_wakes_for_earlier_window(void **state)
{
    (void)state;
    const char *id = "a0000000-0000-4000-8000-000000000014";
    registered_alone("agencies_timer_wake", "2026-03-16T10:00:07+05:00", id);
    unsetenv("LIC_CLOCK_FILE"); /* the timer worker on the real clock */
    h_spawn(env, "timer", NULL);
    assert_true(h_wait_log(env, "timer", "firing timers", 10000));
    h_exec(env, REQUEST_ROW("'b0000000-0000-4000-8000-000000000002'", "'industrial_safety'",
                            "now() + interval '1 hour'"));
    h_exec(env, REQUEST_ROW("'b0000000-0000-4000-8000-000000000001'", "'sanitary'",
                            "now() + interval '2 seconds'"));
    h_exec(env, WINDOW_ROWS("request_id = 'b0000000-0000-4000-8000-000000000002'"));
    int64_t t0 = util_mono_ms();
    h_exec(env, WINDOW_ROWS("request_id = 'b0000000-0000-4000-8000-000000000001'"));
    assert_true(wait_q(1, 15000,
                       "SELECT count(*) FROM agency_requests WHERE request_id ="
                       " 'b0000000-0000-4000-8000-000000000001' AND outcome = 'deemed_approved'"));
    int64_t took = util_mono_ms() - t0;
    assert_true(took < 10000);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE request_id ="
                       " 'b0000000-0000-4000-8000-000000000002' AND outcome IS NULL"),
                     1);
    /* Both receipts in: the application waits for the other reply. */
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_replies");
    /* Registered in March by the frozen clock, its service term is long past by the real one:
     * that breach is right; nothing else is an incident. */
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind <> 'service_term_breached'"), 0);
}

/* A reply window whose deemed approval the database rejects (here a trigger of the test's):
 * the batch is fired again window by window, that window is set aside with the error and an
 * incident, and the application's other window is deemed all the same. */
static void window_set_aside(void **state)
{
    (void)state;
    const char *id = "a0000000-0000-4000-8000-000000000015";
    registered_alone("agencies_window_aside", "2026-04-03T09:00:00+05:00", id);
    h_exec(env, "CREATE FUNCTION reject_deemed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " IF NEW.request_id = 'c0000000-0000-4000-8000-000000000001'"
                " AND NEW.outcome = 'deemed_approved' THEN"
                " RAISE EXCEPTION 'deemed approval rejected by the test'; END IF;"
                " RETURN NEW; END $$");
    h_exec(env, "CREATE TRIGGER reject_deemed BEFORE UPDATE ON agency_requests"
                " FOR EACH ROW EXECUTE FUNCTION reject_deemed()");
    h_exec(env, REQUEST_ROW("('c0000000-0000-4000-8000-00000000000' || n)::uuid",
                            "(ARRAY['industrial_safety', 'sanitary'])[n]",
                            "'2026-04-02T18:30:00+05:00'") ", generate_series(1, 2) n");
    h_exec(env, WINDOW_ROWS("true"));
    h_spawn(env, "timer", NULL);
    assert_true(wait_q(1, 15000,
                       "SELECT count(*) FROM agency_requests WHERE request_id ="
                       " 'c0000000-0000-4000-8000-000000000002' AND outcome = 'deemed_approved'"));
    assert_int_equal(q("SELECT count(*) FROM agency_requests q JOIN reply_windows w"
                       " USING (request_id) WHERE request_id ="
                       " 'c0000000-0000-4000-8000-000000000001' AND q.outcome IS NULL"
                       " AND w.failed_at IS NOT NULL AND w.error LIKE '%%rejected by the test%%'"),
                     1);
    /* The deemed one's window closed. */
    assert_int_equal(q("SELECT count(*) FROM reply_windows"), 1);
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'timer_failed'"
                       " AND ref = 'c0000000-0000-4000-8000-000000000001'"
                       " AND application_id = '%s'",
                       id),
                     1);
    /* Both receipts in, one reply (deemed): the application waits for the other. */
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "awaiting_replies");
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'agency_deemed_approved'"), 1);
    /* The operator's view: the window set aside with its error, the move and its cause. */
    const char *expect[] = {"reply window set aside: ", "deemed approval rejected by the test",
                            "awaiting_approvals -> awaiting_replies  (reply window of request "
                            "c0000000-0000-4000-8000-000000000002)",
                            NULL};
    assert_app_shows(id, expect);
}

/* Two timer workers on one set of due reply windows (a deployment may run more than one; the
 * benchmark does): each window fires once. The ten applications of the first batch (their
 * windows due first, LIC_TIMER_BATCH = 20) include one held locked (a reply being recorded):
 * whichever worker claims that batch leaves its windows for a later round instead of waiting,
 * and both go on with every other window meanwhile (a claim skips the windows the other
 * worker has claimed). */
static void two_timer_workers(void **state)
{
    (void)state;
    env = h_setup("agencies_two_timers");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"verdict\": \"silent\"}",
                              "{\"agency\": \"sanitary\", \"verdict\": \"silent\"}", NULL};
    start_sim(controls);
    const char *workers[] = {"intake", "registries", "relay", "dispatcher", NULL};
    spawn_workers(workers);
    assert_int_equal(h_produce_submissions(env, 100, 0), 0);
    assert_true(wait_q(200, 60000, "SELECT count(*) FROM reply_windows"));
    h_exec(env, "CREATE TABLE first_ten AS SELECT application_id FROM applications"
                " ORDER BY application_id LIMIT 10");
    h_exec(env, "UPDATE agency_requests SET reply_due_at = reply_due_at - interval '1 hour'"
                " WHERE application_id IN (SELECT application_id FROM first_ten)");
    h_exec(env, "UPDATE reply_windows SET due_at = due_at - interval '1 hour'"
                " WHERE application_id IN (SELECT application_id FROM first_ten)");
    PGconn *holder = h_holder_begin(
        env, "SELECT 1 FROM applications WHERE application_id ="
             " (SELECT application_id FROM first_ten ORDER BY application_id LIMIT 1)"
             " FOR UPDATE");
    setenv("LIC_TIMER_BATCH", "20", 1);
    h_spawn(env, "timer", NULL);
    h_spawn(env, "timer", NULL);
    unsetenv("LIC_TIMER_BATCH");
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00"); /* past the 10 working days */
    /* Every window but the held application's two fires, and no worker waits on it. */
    assert_true(wait_q(198, 30000,
                       "SELECT count(*) FROM agency_requests WHERE outcome = 'deemed_approved'"));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE outcome IS NULL"
                       " AND application_id = (SELECT application_id FROM first_ten"
                       " ORDER BY application_id LIMIT 1)"),
                     2);
    /* No one waits for a row's lock (the held application's). */
    assert_int_equal(q("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                       " AND wait_event IN ('transactionid', 'tuple')"),
                     0);
    h_holder_commit(holder);
    assert_true(
        wait_q(100, 30000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
    /* Each window once: its request deemed, one status event, one move an application. */
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE outcome = 'deemed_approved'"),
                     200);
    assert_int_equal(q("SELECT count(*) FROM reply_windows"), 0);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'agency_deemed_approved'"), 200);
    assert_int_equal(q("SELECT count(DISTINCT event_id) FROM outbox"
                       " WHERE stage = 'agency_deemed_approved'"),
                     200);
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE to_stage = 'awaiting_decision'"
                       " AND cause_kind = 'timer' AND cause_request_id IS NOT NULL"),
                     100);
    assert_int_equal(q("SELECT count(DISTINCT application_id) FROM transitions"
                       " WHERE to_stage = 'awaiting_decision'"),
                     100);
    assert_int_equal(q("SELECT count(*) FROM incidents"), 0);
    assert_int_equal(q("SELECT count(*) FROM timers"), 0);
}

/* An application in awaiting_approvals without its production base row (the intake writes it
 * with the application; a hand-made row could lack it): no request can be made for it, an
 * incident says so, and the applications behind it in the same page still get theirs. */
static void data_missing_incident(void **state)
{
    (void)state;
    env = h_setup("agencies_data_missing");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    h_start_sim(env);
    const char *workers[] = {"intake", "registries", "relay", "replies", "timer", NULL};
    spawn_workers(workers);
    const char *broken = "a0000000-0000-4000-8000-000000000021";
    const char *fine = "a0000000-0000-4000-8000-000000000022";
    submit(broken);
    submit(fine);
    assert_true(
        wait_q(2, 30000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_approvals'"));
    h_exec(env, "DELETE FROM production_bases WHERE application_id ="
                " 'a0000000-0000-4000-8000-000000000021'");
    h_spawn(env, "dispatcher", NULL);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       fine));
    assert_true(wait_q(1, 10000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'application_data_missing' AND resolved_at IS NULL",
                       broken));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", broken),
                     0);
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", broken),
               "awaiting_approvals");
}

/* No sanitary unit for the application's region: the industrial-safety request goes out and an
 * incident is raised for the missing one. Once the operator adds the unit, resolves the incident
 * and reloads the dispatcher (SIGHUP), the missing request is created and the approval completes.
 */
static void unit_missing_then_added(void **state)
{
    (void)state;
    env = h_setup("agencies_unit_missing");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    h_start_sim(env);
    const char *path = getenv("LIC_AGENCIES_FILE");
    json_t *full = json_load_file(path, 0, NULL);
    assert_non_null(full);
    json_t *partial = json_deep_copy(full);
    json_t *units =
        json_object_get(json_object_get(json_object_get(partial, "agencies"), "sanitary"), "units");
    json_t *url = json_incref(json_object_get(units, "*"));
    json_object_clear(units);
    json_object_set_new(units, "KZ-ALA", url); /* the application is in KZ-KAR */
    assert_int_equal(json_dump_file(partial, path, JSON_INDENT(2)), 0);
    json_decref(partial);
    pid_t dispatcher = 0;
    const char *workers[] = {"intake", "registries", "relay", "dispatcher", "replies", "timer"};
    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
        pid_t p = h_spawn(env, workers[i], NULL);
        if (strcmp(workers[i], "dispatcher") == 0)
            dispatcher = p;
    }
    const char *id = "a0000000-0000-4000-8000-000000000008";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'agency_unit_missing' AND ref = 'sanitary'"
                       " AND resolved_at IS NULL",
                       id));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'industrial_safety' AND state = 'received'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE agency = 'sanitary'"), 0);
    assert_int_equal(sim_stat("sanitary", "requests"), 0);
    assert_int_equal(q("SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id),
                     0);
    /* The operator adds the unit, resolves the incident and reloads the dispatcher. */
    assert_int_equal(json_dump_file(full, path, JSON_INDENT(2)), 0);
    json_decref(full);
    h_exec(env, "UPDATE incidents SET resolved_at = now() WHERE kind = 'agency_unit_missing'");
    assert_int_equal(kill(dispatcher, SIGHUP), 0);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND state = 'received'",
                       id));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_decision'",
                       id));
    assert_int_equal(sim_stat("sanitary", "distinct_keys"), 1);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", id), 2);
}

/* The stages of an application's status events in the topic's order, "stage[:agency]" joined
 * by spaces, each event once (a republished one repeats its id); *copies counts every
 * message. */
static char *stages_in_order(const char *id, int expected, int *copies)
{
    json_t *msgs = h_read_topic(env, STATUS, expected, 15000);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    json_t *ids = json_object();
    char *out = calloc(1, 4096);
    assert_non_null(out);
    *copies = 0;
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        json_t *d = json_object_get(v, "data");
        const char *agency =
            json_string_value(json_object_get(json_object_get(d, "detail"), "agency"));
        const char *eid = json_string_value(json_object_get(v, "id"));
        if (strcmp(json_string_value(json_object_get(d, "application_id")), id) == 0) {
            (*copies)++;
            if (!json_object_get(ids, eid)) {
                json_object_set_new(ids, eid, json_true());
                size_t l = strlen(out);
                snprintf(out + l, 4096 - l, "%s%s%s%s", l ? " " : "",
                         json_string_value(json_object_get(d, "stage")), agency ? ":" : "",
                         agency ? agency : "");
            }
        }
        json_decref(v);
    }
    json_decref(ids);
    json_decref(msgs);
    return out;
}

/* Whether `a` comes before `b` in a space-separated list (both present). */
static int before(const char *list, const char *a, const char *b)
{
    const char *pa = strstr(list, a), *pb = strstr(list, b);
    return pa && pb && pa < pb;
}

/* The sanitary unit receives the request but its 202 is lost, and its retries fail until
 * released; its reply reaches the replies worker first. The reply proves the receipt:
 * recorded with the reply and published before it, so each agency's approvals_requested
 * precedes its agency_replied on the topic, and the released retry's 409 adds nothing - through
 * the batch path (the worker starts after both replies of two applications are on the topic)
 * and the one-by-one path (a reply sent twice in one batch sends the batch there). */
static void reply_overtakes_receipt(void **state)
{
    (void)state;
    setenv("LIC_AGENCY_RETRY_BASE_MS", "100", 1);
    setenv("LIC_AGENCY_RETRY_MAX_MS", "200", 1);
    setenv("LIC_AGENCY_BREAKER_COOLDOWN_MS", "200", 1);
    env = h_setup("agencies_reply_overtakes");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    const char *controls[] = {
        "{\"agency\": \"sanitary\", \"drop_response_next\": 2, \"hold_retries\": true}", NULL};
    start_sim(controls);
    const char *workers[] = {"intake", "registries", "relay", "dispatcher", "timer", NULL};
    spawn_workers(workers);
    const char *ids[] = {"a0000000-0000-4000-8000-000000000021",
                         "a0000000-0000-4000-8000-000000000022",
                         "a0000000-0000-4000-8000-000000000023"};
    submit(ids[0]);
    submit(ids[1]);
    for (int64_t until = util_mono_ms() + 15000;
         sim_stat("sanitary", "replies") + sim_stat("industrial_safety", "replies") < 4 &&
         util_mono_ms() < until;)
        h_poll_interval(20);
    assert_int_equal(sim_stat("sanitary", "replies"), 2);
    pid_t replies = h_spawn(env, "replies", NULL);
    assert_true(wait_q(4, 30000, "SELECT count(*) FROM agency_replies WHERE counted"));
    assert_false(h_wait_log(env, "replies", "the batch handler passed the batch on", 0));
    /* The one-by-one path: a batch holding one reply twice. */
    assert_int_equal(h_stop(env, replies, SIGTERM, 10000), 0);
    sim("{\"agency\": \"sanitary\", \"drop_response_next\": 1, \"reply_twice\": true}");
    submit(ids[2]);
    for (int64_t until = util_mono_ms() + 15000;
         sim_stat("sanitary", "replies") < 4 && util_mono_ms() < until;)
        h_poll_interval(20);
    assert_int_equal(sim_stat("sanitary", "replies"), 4);
    h_spawn(env, "replies", NULL);
    assert_true(wait_q(6, 30000, "SELECT count(*) FROM agency_replies WHERE counted"));
    assert_true(h_wait_log(env, "replies", "the batch handler passed the batch on", 0));
    /* The agency answers retries again: a request the reply left pending is received now. */
    sim("{\"agency\": \"sanitary\", \"hold_retries\": false}");
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM agency_requests WHERE state = 'pending'"));
    assert_true(
        wait_q(3, 30000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    for (int i = 0; i < 3; i++) {
        int copies = 0;
        char *order = stages_in_order(ids[i], 15, &copies);
        print_message("%s: %s\n", ids[i], order);
        assert_true(before(order, "approvals_requested:sanitary", "agency_replied:sanitary"));
        assert_true(before(order, "approvals_requested:industrial_safety",
                           "agency_replied:industrial_safety"));
        assert_int_equal(copies, 5); /* registered, two receipts, two replies: each once */
        free(order);
        /* The receipt the reply proved: no later than the agency's decision, its window's end
         * 10 WD on, no window left open. */
        assert_int_equal(q("SELECT count(*) FROM agency_requests q JOIN agency_replies r"
                           " ON r.id = q.reply_id WHERE q.application_id = '%s'"
                           " AND q.agency = 'sanitary' AND q.state = 'received'"
                           " AND q.received_at <= r.decided_at AND q.outcome = 'compliant'"
                           " AND to_char(q.reply_due_at AT TIME ZONE 'Asia/Almaty',"
                           " 'YYYY-MM-DD') = '2026-04-02'",
                           ids[i]),
                         1);
        assert_str(qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
                      " FROM transitions WHERE application_id = '%s'",
                      ids[i]),
                   "none>registered registered>awaiting_registries"
                   " awaiting_registries>awaiting_approvals awaiting_approvals>awaiting_replies"
                   " awaiting_replies>awaiting_decision");
    }
    assert_int_equal(q("SELECT count(*) FROM reply_windows"), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(both_compliant, teardown),
        cmocka_unit_test_teardown(silent_deemed_then_late_reply, teardown),
        cmocka_unit_test_teardown(non_compliant_reasons, teardown),
        cmocka_unit_test_teardown(retries_one_key, teardown),
        cmocka_unit_test_teardown(overdue_and_rejected_incidents, teardown),
        cmocka_unit_test_teardown(forged_and_duplicate, teardown),
        cmocka_unit_test_teardown(thousand_with_limit, teardown),
        cmocka_unit_test_teardown(unit_missing_then_added, teardown),
        cmocka_unit_test_teardown(receipt_after_replies_under_lock, teardown),
        cmocka_unit_test_teardown(data_missing_incident, teardown),
        cmocka_unit_test_teardown(reply_after_deemed_under_lock, teardown),
        cmocka_unit_test_teardown(timer_wakes_for_earlier_window, teardown),
        cmocka_unit_test_teardown(window_set_aside, teardown),
        cmocka_unit_test_teardown(replies_in_one_batch, teardown),
        cmocka_unit_test_teardown(two_timer_workers, teardown),
        cmocka_unit_test_teardown(unknown_request_in_batch, teardown),
        cmocka_unit_test_teardown(reply_overtakes_receipt, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("agencies", tests, NULL, NULL);
}
