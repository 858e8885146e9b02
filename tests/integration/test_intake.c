/* Intake worker, end to end: the development broker, the project's PostgreSQL, the intake and
 * relay processes. Each test is run on its own by CTest (argument: the test's name), with a
 * database and a broker of its own. */
#include "harness.h"
#include "util.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"
#define STATUS "licensing.status.v1"
#define DLQ "licensing.dead-letter.v1"

/* A relay comes with a notary: a refusal's event waits for its document's signature. */
static pid_t start(const char *binary)
{
    if (strcmp(binary, "relay") == 0)
        h_spawn(env, "notary", NULL);
    return h_spawn(env, binary, NULL);
}

static int setup(void **state)
{
    (void)state;
    return 0;
}

/* Messages of `topic` whose value has data.application_id == id and data.stage == stage. */
static json_t *status_events(json_t *msgs, const char *id, const char *stage)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        json_t *data = json_object_get(v, "data");
        if (v && !strcmp(json_string_value(json_object_get(data, "application_id")), id) &&
            !strcmp(json_string_value(json_object_get(data, "stage")), stage))
            json_array_append(out, v);
        json_decref(v);
    }
    return out;
}

/* A complete issue application is registered with the calendar's deadlines, assigned an
 * executor, announced as `registered`, and moves on to the registries (¶10), noting that the
 * agencies must approve it; a second delivery of the
 * same event id writes nothing more. */
static void complete_and_duplicate(void **state)
{
    (void)state;
    env = h_setup("intake_complete");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    start("intake");
    start("relay");
    const char *id = "0b9d3c64-6f2a-4e1b-8c55-3a7e9d2f1b01";
    json_t *ev = h_submission(id, "5d1f7c52-8d3e-4b8e-9a0f-2f4c1e6b7a10", NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);

    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_registries'",
                       id));
    /* ¶8: submitted Monday 10:00 within working hours: registered at that moment. ¶7: 15 WD
     * for issue; 21-23 March are Nauryz, 24-25 March the carry-overs of 21 (Saturday) and 22
     * (Sunday). */
    assert_str(qs("SELECT to_char(registered_at AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM applications WHERE application_id = '%s'",
                  id),
               "2026-03-16 10:00");
    assert_str(qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM applications WHERE application_id = '%s'",
                  id),
               "2026-04-09 18:30");
    assert_str(qs("SELECT to_char(completeness_due AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM applications WHERE application_id = '%s'",
                  id),
               "2026-03-18 18:30");
    /* Normalised rows. */
    assert_str(qs("SELECT bin FROM applicants WHERE application_id = '%s'", id), "070340001239");
    assert_str(qs("SELECT string_agg(code::text, ',' ORDER BY code) FROM application_subtypes"
                  " WHERE application_id = '%s'",
                  id),
               "1,4");
    assert_str(qs("SELECT region FROM production_bases WHERE application_id = '%s'", id), "KZ-KAR");
    assert_int_equal(
        q("SELECT count(*) FROM application_documents WHERE application_id = '%s'", id), 2);
    assert_int_equal(q("SELECT amount_kzt FROM fees WHERE application_id = '%s'", id), 43250);
    assert_int_equal(q("SELECT due_kzt FROM fees WHERE application_id = '%s'", id), 43250);
    assert_str(qs("SELECT executor FROM applications WHERE application_id = '%s'", id),
               "Executor 1");
    /* Two transitions, each caused by the event at its topic, partition and offset. */
    assert_str(qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
                  " FROM transitions WHERE application_id = '%s'",
                  id),
               "none>registered registered>awaiting_registries");
    assert_str(qs("SELECT needs_approvals::text FROM applications WHERE application_id = '%s'", id),
               "true");
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE application_id = '%s'"
                       " AND cause_kind = 'event' AND cause_event_id ="
                       " '5d1f7c52-8d3e-4b8e-9a0f-2f4c1e6b7a10' AND cause_topic = '%s'"
                       " AND cause_offset = 0",
                       id, APPS),
                     2);

    /* The `registered` status event, published by the relay, keyed by the application. */
    json_t *msgs = published_status(1, 10000);
    assert_int_equal(json_array_size(msgs), 1);
    json_t *m = json_array_get(msgs, 0);
    assert_string_equal(json_string_value(json_object_get(m, "key")), id);
    json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "specversion")), "1.0");
    assert_string_equal(json_string_value(json_object_get(v, "type")),
                        "kz.gov.licensing.status.v1");
    assert_string_equal(json_string_value(json_object_get(v, "subject")), id);
    json_t *data = json_object_get(v, "data");
    assert_string_equal(json_string_value(json_object_get(data, "stage")), "registered");
    assert_string_equal(json_string_value(json_object_get(data, "portal_ref")),
                        "KZ-EL-2026-0001234");
    assert_string_equal(json_string_value(json_object_get(data, "service_deadline")),
                        "2026-04-09T18:30:00+05:00");
    json_t *detail = json_object_get(data, "detail");
    assert_string_equal(json_string_value(json_object_get(detail, "registered_at")),
                        "2026-03-16T10:00:00+05:00");
    assert_string_equal(json_string_value(json_object_get(detail, "executor")), "Executor 1");
    assert_int_equal(h_check_status_events(env, msgs), 0);
    json_decref(v);
    json_decref(msgs);

    /* The same event again, then a different application on the same partition key: once the
     * second is registered the first has certainly been consumed again. */
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    const char *id2 = "7e0c1b38-2f5d-4c0a-9d61-1f2e3a4b5c6d";
    json_t *ev2 = h_submission(id2, h_uuid(), NULL);
    char *s = json_dumps(ev2, JSON_COMPACT);
    json_decref(ev2);
    assert_int_equal(h_produce(env, APPS, id, s, strlen(s)), 0); /* key: same partition */
    free(s);
    assert_true(
        wait_q(1, 20000, "SELECT count(*) FROM applications WHERE application_id = '%s'", id2));
    assert_int_equal(q("SELECT count(*) FROM applications"), 2);
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE application_id = '%s'", id), 2);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'", id), 1);
    assert_int_equal(q("SELECT count(*) FROM dead_letters"), 0);
    /* Round-robin: the second application goes to the second executor. */
    assert_str(qs("SELECT executor FROM applications WHERE application_id = '%s'", id2),
               "Executor 2");
    /* Every offset, including the duplicate's, is committed in PostgreSQL. */
    assert_int_equal(q("SELECT sum(next_offset) FROM consumer_offsets WHERE topic = '%s'", APPS),
                     3);
    json_decref(ev);
}

/* ¶9: an incomplete package is registered, then refused with a reasoned refusal document
 * (Appendix 2) and a `refused_incomplete` status event. */
static void incomplete_refused(void **state)
{
    (void)state;
    env = h_setup("intake_incomplete");
    h_clock_freeze(env, "2026-03-16T11:00:00+05:00");
    start("intake");
    start("relay");
    const char *id = "2c4e6a80-1b3d-4f5a-8c7e-9d0f1a2b3c4d";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    json_t *data = json_object_get(ev, "data");
    /* No qualification document, and a bank payment of less than 10 MCI without a receipt. */
    json_array_remove(json_object_get(data, "documents"), 1);
    json_object_set_new(data, "fee",
                        json_pack("{s:s,s:i,s:s}", "paid_via", "bank", "amount_kzt", 40000,
                                  "payment_ref", "BANK-1"));
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);

    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused_incomplete'",
                       id));
    assert_str(qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
                  " FROM transitions WHERE application_id = '%s'",
                  id),
               "none>registered registered>refused_incomplete");
    assert_str(qs("SELECT number FROM issued_documents WHERE application_id = '%s'"
                  " AND kind = 'refusal'",
                  id),
               "KPR-R-2026-000001");
    assert_str(qs("SELECT body->'application'->>'number' FROM issued_documents"
                  " WHERE application_id = '%s'",
                  id),
               "KZ-EL-2026-0001234");
    assert_str(qs("SELECT body->>'date' FROM issued_documents WHERE application_id = '%s'", id),
               "2026-03-16");
    assert_str(qs("SELECT body->'addressee'->>'name' FROM issued_documents"
                  " WHERE application_id = '%s'",
                  id),
               "ТОО «Қарағанды Көмір»");
    /* The basis is ¶9's incompleteness, not ¶13's hearing. */
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND body->>'text_ru' LIKE '%%неполнотой%%(пункт 9 Правил)%%'"
                       " AND body->'grounds'->0->>'rule' = '¶9; Standard row 8'",
                       id),
                     1);
    /* The grounds: the missing qualification document and the missing receipt. */
    long long ngrounds = q("SELECT jsonb_array_length(body->'grounds') FROM issued_documents"
                           " WHERE application_id = '%s'",
                           id);
    assert_int_equal(ngrounds, 2);
    assert_int_equal(q("SELECT count(*) FROM issued_documents d, jsonb_array_elements(d.body->"
                       "'grounds') g WHERE g->>'code' = 'qualification_documents_missing'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM issued_documents d, jsonb_array_elements(d.body->"
                       "'grounds') g WHERE g->>'code' = 'fee_receipt_missing'"),
                     1);
    /* Each ground quoted in the Kazakh body too. */
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND body->>'text_kk' LIKE '%%(Қағидалардың 9-тармағы)%%біліктілік"
                       " талаптарына%%'",
                       id),
                     1);
    /* The short amount is row 9 ground 2, for a hearing once the payment is known: not ¶9's. */
    assert_int_equal(q("SELECT count(*) FROM issued_documents d, jsonb_array_elements(d.body->"
                       "'grounds') g WHERE g->>'code' = 'fee_underpaid'"),
                     0);
    assert_int_equal(q("SELECT count(*) FROM grounds"), 0);

    json_t *msgs = published_status(2, 10000);
    assert_int_equal(json_array_size(msgs), 2);
    json_t *reg = status_events(msgs, id, "registered");
    json_t *ref = status_events(msgs, id, "refused_incomplete");
    assert_int_equal(json_array_size(reg), 1);
    assert_int_equal(json_array_size(ref), 1);
    json_t *doc = json_object_get(
        json_object_get(json_object_get(json_array_get(ref, 0), "data"), "detail"), "document");
    assert_string_equal(json_string_value(json_object_get(doc, "number")), "KPR-R-2026-000001");
    assert_string_equal(json_string_value(json_object_get(doc, "date")), "2026-03-16");
    assert_true(json_array_size(json_object_get(doc, "grounds")) >= 2);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    json_decref(reg);
    json_decref(ref);
    json_decref(msgs);
}

typedef struct {
    const char *name;
    char *value;        /* malloc'd */
    const char *reason; /* a fragment the x-error header must contain */
} bad_t;

static char *mutated(void (*mutate)(json_t *ev))
{
    json_t *ev = h_submission(h_uuid(), h_uuid(), NULL);
    mutate(ev);
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    return s;
}

static void no_specversion(json_t *ev)
{
    json_object_del(ev, "specversion");
}
static void unknown_type(json_t *ev)
{
    json_object_set_new(ev, "type", json_string("kz.gov.licensing.application.withdrawn.v1"));
}
static void no_portal_ref(json_t *ev)
{
    json_object_del(json_object_get(ev, "data"), "portal_ref");
}
static void bad_bin(json_t *ev)
{
    json_object_set_new(json_object_get(json_object_get(ev, "data"), "applicant"), "bin",
                        json_string("070340001238"));
}
static void bad_region(json_t *ev)
{
    json_object_set_new(json_object_get(json_object_get(ev, "data"), "production_base"), "region",
                        json_string("KZ-XXX"));
}
/* A payment dated in a year LIC_MCI does not hold (the table starts in 2024). */
static void paid_long_ago(json_t *ev)
{
    json_object_set_new(json_object_get(json_object_get(ev, "data"), "fee"), "paid_at",
                        json_string("2019-05-06T10:00:00+06:00"));
}
static void bad_subtype(json_t *ev)
{
    json_object_set_new(json_object_get(ev, "data"), "subtypes", json_pack("[i]", 10));
}

/* Bad input of every kind goes to the dead-letter topic with its reason and source
 * coordinates, its offset is committed, and the next valid message is processed. */
static void bad_input_dead_lettered(void **state)
{
    (void)state;
    env = h_setup("intake_bad_input");
    start("intake");
    start("relay");
    const char *key = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    bad_t bad[] = {
        {"not JSON", strdup("{\"specversion\": \"1.0\", "), "JSON"},
        {"not a CloudEvent", mutated(no_specversion), "specversion"},
        {"unknown type", mutated(unknown_type), "type"},
        {"schema failure", mutated(no_portal_ref), "portal_ref"},
        {"invalid BIN", mutated(bad_bin), "check digit"},
        {"unknown region", mutated(bad_region), "region"},
        {"unknown sub-activity", mutated(bad_subtype), "subtypes"},
        {"payment in a year without MCI", mutated(paid_long_ago), "fee.paid_at: no MCI"},
    };
    const int nbad = (int)(sizeof(bad) / sizeof(bad[0]));
    for (int i = 0; i < nbad; i++)
        assert_int_equal(h_produce(env, APPS, key, bad[i].value, strlen(bad[i].value)), 0);
    const char *good = "3f2e1d0c-9b8a-4766-8544-332211009988";
    json_t *ev = h_submission(good, h_uuid(), NULL);
    json_object_set_new(ev, "subject", json_string(good));
    char *s = json_dumps(ev, JSON_COMPACT);
    assert_int_equal(h_produce(env, APPS, key, s, strlen(s)), 0);
    free(s);
    json_decref(ev);

    assert_true(
        wait_q(1, 20000, "SELECT count(*) FROM applications WHERE application_id = '%s'", good));
    assert_int_equal(q("SELECT count(*) FROM applications"), 1);
    assert_int_equal(q("SELECT count(*) FROM dead_letters"), nbad);
    assert_int_equal(q("SELECT sum(next_offset) FROM consumer_offsets WHERE topic = '%s'", APPS),
                     nbad + 1);

    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    json_t *msgs = h_read_topic(env, DLQ, nbad, 15000);
    assert_int_equal(json_array_size(msgs), nbad);
    for (int i = 0; i < nbad; i++) {
        json_t *m = json_array_get(msgs, i);
        json_t *hd = json_object_get(m, "headers");
        const char *value = json_string_value(json_object_get(m, "value"));
        const char *err = json_string_value(json_object_get(hd, "x-error"));
        print_message("%s -> x-error: %s\n", bad[i].name, err ? err : "(none)");
        /* The original bytes, unchanged, in order. */
        assert_string_equal(value, bad[i].value);
        assert_non_null(err);
        assert_non_null(strstr(err, bad[i].reason));
        assert_string_equal(json_string_value(json_object_get(hd, "x-source-topic")), APPS);
        char off[16];
        snprintf(off, sizeof(off), "%d", i);
        assert_string_equal(json_string_value(json_object_get(hd, "x-source-offset")), off);
        assert_non_null(json_object_get(hd, "x-source-partition"));
        assert_string_equal(json_string_value(json_object_get(m, "key")), key);
    }
    json_decref(msgs);
    /* An operator replays the first dead letter to its source topic: it is consumed again
     * (still bad, so dead-lettered again) and marked replayed. */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "'%s/approvalctl' dead-letters replay 1 >/dev/null",
             getenv("LIC_TEST_BIN_DIR"));
    assert_int_equal(system(cmd), 0);
    assert_true(wait_q(nbad + 1, 20000, "SELECT count(*) FROM dead_letters"));
    assert_int_equal(
        q("SELECT count(*) FROM dead_letters WHERE id = 1 AND replayed_at IS NOT NULL"), 1);
    assert_int_equal(q("SELECT count(*) FROM dead_letters WHERE payload = (SELECT payload FROM"
                       " dead_letters WHERE id = 1)"),
                     2);
    for (int i = 0; i < nbad; i++)
        free(bad[i].value);
}

/* Deferred writes: a batch in which the database rejects one message's rows (the same
 * application id again under another event id) runs again statement by statement; that one
 * message is dead-lettered, the others commit once each. */
static void rejected_write_in_batch(void **state)
{
    (void)state;
    env = h_setup("intake_rejected_write");
    const char *a = "5a000000-0000-4000-8000-00000000000a";
    const char *b = "5b000000-0000-4000-8000-00000000000b";
    const char *ids[] = {a, a, b};
    for (int i = 0; i < 3; i++) {
        json_t *ev = h_submission(ids[i], h_uuid(), NULL);
        assert_int_equal(h_produce_event(env, APPS, ev), 0);
        json_decref(ev);
    }
    /* Started after the three are on the topic, so they come in one batch. */
    start("intake");
    assert_true(wait_q(1, 20000, "SELECT count(*) FROM dead_letters"));
    assert_true(wait_q(3, 20000,
                       "SELECT sum(next_offset) FROM consumer_offsets WHERE consumer ="
                       " 'lic-intake'"));
    assert_int_equal(q("SELECT count(*) FROM applications"), 2);
    assert_int_equal(q("SELECT count(*) FROM dead_letters WHERE reason LIKE"
                       " '%%application_id %s is already registered%%'",
                       a),
                     1);
    /* Each application's history written once. */
    assert_int_equal(q("SELECT count(*) FROM transitions WHERE application_id = '%s'", a),
                     q("SELECT count(*) FROM transitions WHERE application_id = '%s'", b));
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'", a),
                     q("SELECT count(*) FROM outbox WHERE application_id = '%s'", b));
    assert_true(h_wait_log(env, "intake", "the batch runs again without deferred writes", 1000));
}

/* A submission in a year the calendar does not cover is never given a guessed deadline: it
 * waits (no row, no dead letter) until the operator supplies the year and sends SIGHUP. */
static void calendar_gap_waits_for_reload(void **state)
{
    (void)state;
    env = h_setup("intake_calendar_gap");
    char path[700], cmd[2400];
    snprintf(path, sizeof(path), "%s/calendar.json", env->workdir);
    const char *full = getenv("LIC_CALENDAR_FILE");
    assert_non_null(full);
    json_t *cal = json_load_file(full, 0, NULL);
    assert_non_null(cal);
    json_t *years = json_object_get(cal, "years");
    json_object_del(years, "2026");
    json_object_del(years, "2027");
    assert_int_equal(json_dump_file(cal, path, JSON_INDENT(1)), 0);
    json_decref(cal);
    setenv("LIC_CALENDAR_FILE", path, 1);
    pid_t in = start("intake");
    start("relay");
    const char *id = "4d5e6f70-8192-4a3b-9c4d-5e6f70819243";
    json_t *ev = h_submission(id, h_uuid(), NULL); /* submitted 2026-03-16 */
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(h_wait_log(env, "intake", "cannot process message now, will retry", 20000));
    assert_int_equal(q("SELECT count(*) FROM applications"), 0);
    assert_int_equal(q("SELECT count(*) FROM dead_letters"), 0);
    assert_int_equal(q("SELECT count(*) FROM processed_events"), 0);

    /* The operator installs the calendar with 2026 and reloads. */
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", full, path);
    assert_int_equal(system(cmd), 0);
    kill(in, SIGHUP);
    assert_true(h_wait_log(env, "intake", "calendar reloaded", 20000));
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'awaiting_registries' AND service_deadline ="
                       " '2026-04-09T18:30:00+05:00'",
                       id));
    assert_int_equal(q("SELECT count(*) FROM dead_letters"), 0);
    setenv("LIC_CALENDAR_FILE", full, 1);
}

#define BULK 1000

/* Exactly-once checks shared by the crash tests: every application registered once, one
 * transition per step, refusal numbers gapless, every status event published at least once
 * and exactly once per (application, stage) after dedupe on the event id. */
static void assert_exactly_once(int n)
{
    assert_int_equal(q("SELECT count(*) FROM applications"), n);
    assert_int_equal(q("SELECT count(*) FROM (SELECT application_id FROM transitions"
                       " GROUP BY 1 HAVING count(*) <> 2) x"),
                     0);
    assert_int_equal(q("SELECT count(*) FROM processed_events"), n);
    assert_int_equal(q("SELECT count(*) FROM dead_letters"), 0);
    long long refusals = q("SELECT count(*) FROM issued_documents WHERE kind = 'refusal'");
    assert_int_equal(refusals, n / 10);
    assert_int_equal(q("SELECT max(seq) FROM issued_documents WHERE kind = 'refusal'"), refusals);
    assert_int_equal(q("SELECT sum(next_offset) FROM consumer_offsets WHERE topic = '%s'", APPS),
                     n);

    long long expected_events = n + refusals; /* registered + refused_incomplete */
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE topic = '%s'", STATUS), expected_events);
    assert_true(wait_q(0, 60000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    json_t *msgs = h_read_topic(env, STATUS, (int)expected_events, 60000);
    assert_true((long long)json_array_size(msgs) >= expected_events);
    /* Dedupe on the event id as a consumer would; then (application, stage) must be unique
     * and complete, and one id must always carry the same (application, stage). */
    h_exec(env, "CREATE TEMP TABLE seen (event_id text, application_id text, stage text)");
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        assert_non_null(v);
        char sql[512];
        snprintf(sql, sizeof(sql), "INSERT INTO seen VALUES ('%s', '%s', '%s')",
                 json_string_value(json_object_get(v, "id")),
                 json_string_value(json_object_get(json_object_get(v, "data"), "application_id")),
                 json_string_value(json_object_get(json_object_get(v, "data"), "stage")));
        h_exec(env, sql);
        json_decref(v);
    }
    json_decref(msgs);
    assert_int_equal(q("SELECT count(DISTINCT event_id) FROM seen"), expected_events);
    assert_int_equal(q("SELECT count(*) FROM (SELECT DISTINCT event_id, application_id, stage"
                       " FROM seen) x"),
                     expected_events);
    assert_int_equal(q("SELECT count(*) FROM (SELECT DISTINCT application_id, stage FROM seen)"
                       " x"),
                     expected_events);
    assert_int_equal(q("SELECT count(*) FROM applications a WHERE NOT EXISTS (SELECT 1 FROM seen"
                       " s WHERE s.application_id = a.application_id::text AND"
                       " s.stage = 'registered')"),
                     0);
    print_message("status messages read: %lld distinct events (%lld duplicates after the "
                  "crash)\n",
                  expected_events, q("SELECT count(*) - count(DISTINCT event_id) FROM seen"));
}

/* SIGKILL in the middle of a batch, twice, and of the relay once: nothing lost, nothing
 * duplicated. */
static void kill_mid_batch(void **state)
{
    (void)state;
    setenv("LIC_BATCH_MAX", "100", 1);
    env = h_setup("intake_kill");
    assert_int_equal(h_produce_submissions(env, BULK, 10), 0);
    pid_t in = start("intake");
    pid_t relay = start("relay");
    /* Kill as soon as some batches are committed and more are in flight. */
    assert_true(h_wait_ll(env, "SELECT (count(*) > 0)::int FROM applications", 1, 30000));
    assert_int_equal(h_stop(env, in, SIGKILL, 5000), 128 + SIGKILL);
    assert_int_equal(h_stop(env, relay, SIGKILL, 5000), 128 + SIGKILL);
    long long after_first = q("SELECT count(*) FROM applications");
    print_message("killed the intake and the relay with %lld of %d registered\n", after_first,
                  BULK);
    assert_true(after_first < BULK);
    in = start("intake");
    start("relay");
    /* A second kill while the restarted worker is busy. */
    long long target = after_first + 150 < BULK ? after_first + 150 : BULK - 1;
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT (count(*) >= %lld)::int FROM applications", target);
    h_wait_ll(env, sql, 1, 30000);
    assert_int_equal(h_stop(env, in, SIGKILL, 5000), 128 + SIGKILL);
    print_message("killed the intake again with %lld registered\n",
                  q("SELECT count(*) FROM applications"));
    start("intake");
    assert_true(wait_q(BULK, 60000, "SELECT count(*) FROM applications"));
    assert_exactly_once(BULK);
}

/* SIGTERM: the batch in hand is finished and committed, the process exits 0 within 5 s, and
 * a restart continues exactly where it stopped. */
static void sigterm_clean(void **state)
{
    (void)state;
    setenv("LIC_BATCH_MAX", "100", 1);
    env = h_setup("intake_sigterm");
    assert_int_equal(h_produce_submissions(env, BULK, 10), 0);
    pid_t in = start("intake");
    start("relay");
    assert_true(h_wait_ll(env, "SELECT (count(*) > 0)::int FROM applications", 1, 30000));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = h_stop(env, in, SIGTERM, 5000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    print_message("SIGTERM: exit %d after %ld ms\n", rc, ms);
    assert_int_equal(rc, 0);
    /* Everything the worker did is committed: offsets stored equal the rows written. */
    long long done = q("SELECT count(*) FROM applications");
    assert_int_equal(q("SELECT sum(next_offset) FROM consumer_offsets WHERE topic = '%s'", APPS),
                     done);
    /* Kafka got the same offsets (committed after the database). */
    assert_int_equal(q("SELECT count(*) FROM processed_events"), done);
    start("intake");
    assert_true(wait_q(BULK, 60000, "SELECT count(*) FROM applications"));
    assert_exactly_once(BULK);
}

/* Messages the broker deleted before the intake read them (the development broker keeps about
 * 5 MB a partition; Kafka's retention does the same to a consumer days behind): the intake
 * does not skip them silently - an incident names the lost offsets, an error line and a metric
 * report them - and it goes on from the oldest message the broker has. */
static void retention_gap_recorded(void **state)
{
    (void)state;
    env = h_setup("intake_retention");
    const char *key = "one-partition";
    json_t *ev = h_submission(h_uuid(), h_uuid(), NULL);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    assert_int_equal(h_produce(env, APPS, key, text, strlen(text)), 0);
    free(text);
    pid_t in = start("intake");
    assert_true(wait_q(1, 30000, "SELECT count(*) FROM applications"));
    assert_int_equal(h_stop(env, in, SIGTERM, 10000), 0);
    int part = (int)q("SELECT partition FROM consumer_offsets WHERE next_offset = 1");
    assert_true(part >= 0);
    /* About 7 MB to the same partition while the intake is stopped. */
    enum { MORE = 5000 };
    for (int i = 0; i < MORE; i++) {
        json_t *e = h_submission(h_uuid(), h_uuid(), NULL);
        char *t = json_dumps(e, JSON_COMPACT);
        json_decref(e);
        assert_int_equal(h_produce_async(env, APPS, key, t, strlen(t)), 0);
        free(t);
    }
    assert_int_equal(h_flush(env, 60000), 0);
    int64_t lo = -1, hi = -1;
    assert_int_equal(h_watermarks(env, APPS, part, &lo, &hi), 0);
    print_message("partition %d keeps offsets %lld to %lld\n", part, (long long)lo,
                  (long long)hi - 1);
    assert_int_equal(hi, MORE + 1);
    assert_true(lo > 1); /* the broker deleted some the intake never read */
    start("intake");
    assert_true(wait_q(1 + hi - lo, 120000, "SELECT count(*) FROM applications"));
    assert_int_equal(q("SELECT next_offset FROM consumer_offsets WHERE partition = %d", part), hi);
    char ref[200], detail[300];
    snprintf(ref, sizeof(ref), "lic-intake/%s/%d/1", APPS, part);
    snprintf(detail, sizeof(detail), "offsets 1 to %lld were deleted", (long long)lo - 1);
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'messages_expired_unconsumed'"
                       " AND ref = '%s' AND position('%s' IN detail) > 0 AND resolved_at IS NULL",
                       ref, detail),
                     1);
    assert_true(h_wait_log(env, "intake", "consumer offset not on the broker", 5000));
    /* Nothing else was skipped: the application of every offset the broker kept is here. */
    assert_int_equal(q("SELECT count(*) FROM processed_events WHERE partition = %d AND \"offset\""
                       " >= %lld",
                       part, (long long)lo),
                     hi - lo);
}

/* The partition of the portal topic (3 partitions in the tests) a key goes to. */
static int partition_of(const char *key)
{
    return rd_kafka_msg_partitioner_consistent_random(NULL, key, strlen(key), 3, NULL, NULL);
}

/* A portal message of `size` bytes, larger than the intake takes: a JSON object padded out. */
static char *oversized(size_t size)
{
    char *v = malloc(size + 1);
    assert_non_null(v);
    memset(v, 'x', size);
    memcpy(v, "{\"pad\":\"", 8);
    memcpy(v + size - 2, "\"}", 2);
    v[size] = '\0';
    return v;
}

static const char *hdr(json_t *m, const char *name)
{
    return json_string_value(json_object_get(json_object_get(m, "headers"), name));
}

/* Status events of the topic are each on it once, as many as the outbox queued, every one a
 * structured-mode CloudEvent with the binding's content-type header. */
static void status_once_each(void)
{
    long long queued = q("SELECT count(*) FROM outbox WHERE topic = '%s'", STATUS);
    assert_true(queued > 0);
    json_t *msgs = h_read_topic(env, STATUS, (int)queued + 50, 8000);
    assert_int_equal((long long)json_array_size(msgs), queued);
    json_t *ids = json_object();
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        const char *id = json_string_value(json_object_get(v, "id"));
        assert_non_null(id);
        assert_null(json_object_get(ids, id));
        json_object_set_new(ids, id, json_true());
        assert_non_null(hdr(m, "content-type"));
        assert_string_equal(hdr(m, "content-type"), "application/cloudevents+json; charset=UTF-8");
        json_decref(v);
    }
    json_decref(ids);
    json_decref(msgs);
}

/* A 2 MB and a 4 MB portal message among valid ones: each is one dead letter on the topic, cut
 * to what the topic takes and flagged, naming its dead_letters row, size and SHA-256; the
 * outbox drains; every valid application's status events are on the topic once; the table and
 * the topic agree; a replay sends the whole 4 MB back. */
static void oversized_input(void **state)
{
    (void)state;
    env = h_setup("intake_oversized");
    start("intake");
    start("relay");
    const size_t sizes[] = {2 * 1024 * 1024, 4 * 1000 * 1000};
    /* The development broker keeps about 5 MB a partition and drops the oldest messages
     * beyond that: the 4 MB message gets a partition of its own, the rest share another. */
    static char apps[3][40], keys[2][16];
    snprintf(keys[0], sizeof(keys[0]), "big-1");
    int shared = partition_of(keys[0]);
    for (int i = 0, n = 0; i < 3; n++)
        if (snprintf(apps[i], sizeof(apps[i]), "6a000000-0000-4000-8000-%012d", n) > 0 &&
            partition_of(apps[i]) == shared)
            i++;
    for (int n = 2; snprintf(keys[1], sizeof(keys[1]), "big-%d", n) > 0; n++)
        if (partition_of(keys[1]) != shared)
            break;
    char *big[2];
    for (int i = 0; i < 3; i++) {
        json_t *ev = h_submission(apps[i], h_uuid(), NULL);
        assert_int_equal(h_produce_event(env, APPS, ev), 0);
        json_decref(ev);
        if (i < 2) {
            big[i] = oversized(sizes[i]);
            assert_int_equal(h_produce(env, APPS, keys[i], big[i], sizes[i]), 0);
        }
    }
    assert_true(wait_q(3, 30000, "SELECT count(*) FROM applications"));
    assert_true(wait_q(2, 30000, "SELECT count(*) FROM dead_letters"));
    assert_true(wait_q(
        0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL"));
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE set_aside_at IS NOT NULL"), 0);
    json_t *dl = h_read_topic(env, DLQ, 3, 8000);
    assert_int_equal(json_array_size(dl), 2);
    int seen[2] = {0, 0};
    for (size_t k = 0; k < 2; k++) {
        /* Read partition by partition: each is told by its original's size. */
        json_t *m = json_array_get(dl, k);
        const char *value = json_string_value(json_object_get(m, "value"));
        assert_non_null(hdr(m, "x-original-size"));
        int i = strtoull(hdr(m, "x-original-size"), NULL, 10) == sizes[1];
        seen[i]++;
        char size[24];
        snprintf(size, sizeof(size), "%zu", sizes[i]);
        assert_string_equal(hdr(m, "x-truncated"), "true");
        assert_string_equal(hdr(m, "x-original-size"), size);
        assert_string_equal(hdr(m, "x-consumer"), "lic-intake");
        assert_non_null(strstr(hdr(m, "x-error"), "exceeds"));
        long long id = atoll(hdr(m, "x-dead-letter-id"));
        assert_int_equal(q("SELECT length(payload) FROM dead_letters WHERE id = %lld", id),
                         (long long)sizes[i]);
        assert_str(qs("SELECT sha256 FROM dead_letters WHERE id = %lld", id),
                   hdr(m, "x-original-sha256"));
        assert_str(
            qs("SELECT encode(sha256(payload), 'hex') FROM dead_letters WHERE id = %lld", id),
            hdr(m, "x-original-sha256"));
        /* The first bytes of the original, as many as fit. */
        size_t vlen = strlen(value);
        assert_true(vlen > 1000000 && vlen < sizes[i]);
        assert_memory_equal(value, big[i], vlen);
    }
    assert_true(seen[0] == 1 && seen[1] == 1);
    json_decref(dl);
    status_once_each();
    /* The whole 2 MB original - above the producers' default limit - goes back to the portal
     * topic and is dead-lettered again, whole. (A second 4 MB message in one partition is
     * more than the development broker keeps, so the 4 MB one is not replayed here.) */
    long long first = q("SELECT id FROM dead_letters WHERE length(payload) = %zu", sizes[0]);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "'%s/approvalctl' dead-letters replay %lld >/dev/null",
             getenv("LIC_TEST_BIN_DIR"), first);
    assert_int_equal(system(cmd), 0);
    assert_true(wait_q(3, 30000, "SELECT count(*) FROM dead_letters"));
    assert_int_equal(q("SELECT count(*) FROM dead_letters WHERE id <> %lld AND payload ="
                       " (SELECT payload FROM dead_letters WHERE id = %lld)",
                       first, first),
                     1);
    assert_true(wait_q(
        0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL"));
    for (int i = 0; i < 2; i++)
        free(big[i]);
}

/* The CloudEvents Kafka binding on input: a structured-mode event is accepted with its
 * content-type header as without it; the same event in binary mode (ce_ headers) is a dead
 * letter whose reason says so, and registers nothing. */
static void cloudevents_modes(void **state)
{
    (void)state;
    env = h_setup("intake_ce_modes");
    start("intake");
    start("relay");
    const char *with = "6f000000-0000-4000-8000-00000000000f";
    const char *binary = "70000000-0000-4000-8000-000000000010";
    json_t *ev = h_submission(with, h_uuid(), NULL);
    char *v = json_dumps(ev, JSON_COMPACT);
    assert_int_equal(h_produce_header(env, APPS, with, v, strlen(v), "content-type",
                                      "application/cloudevents+json; charset=UTF-8"),
                     0);
    free(v);
    json_decref(ev);
    ev = h_submission(binary, h_uuid(), NULL);
    v = json_dumps(json_object_get(ev, "data"), JSON_COMPACT);
    assert_int_equal(h_produce_header(env, APPS, binary, v, strlen(v), "ce_specversion", "1.0"), 0);
    free(v);
    json_decref(ev);
    assert_true(
        wait_q(1, 20000, "SELECT count(*) FROM applications WHERE application_id = '%s'", with));
    assert_true(wait_q(1, 20000, "SELECT count(*) FROM dead_letters"));
    assert_int_equal(q("SELECT count(*) FROM applications WHERE application_id = '%s'", binary), 0);
    assert_int_equal(q("SELECT count(*) FROM dead_letters WHERE reason LIKE"
                       " '%%binary content mode%%structured mode%%'"),
                     1);
}

/* A status row Kafka refuses (injected: larger than the relay's producer takes) is set aside
 * with an incident; other applications' events flow; the same application's later event
 * waits behind it and follows once an operator releases it to a relay that can send it. */
static void set_aside_row(void **state)
{
    (void)state;
    env = h_setup("relay_set_aside");
    start("intake");
    pid_t relay = start("relay");
    const char *a = "6d000000-0000-4000-8000-00000000000d";
    const char *b = "6e000000-0000-4000-8000-00000000000e";
    json_t *ev = h_submission(a, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 20000, "SELECT count(*) FROM applications"));
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    /* Application a's next two status rows: a 3 MB one, then a small one. */
    h_exec(env, "INSERT INTO outbox (topic, msg_key, payload, application_id, stage, event_id)"
                " SELECT 'licensing.status.v1', convert_to('6d000000-0000-4000-8000-00000000000d',"
                " 'UTF8'), convert_to(repeat('y', 3000000), 'UTF8'),"
                " '6d000000-0000-4000-8000-00000000000d', 'injected_big', 'big'");
    h_exec(env, "INSERT INTO outbox (topic, msg_key, payload, application_id, stage, event_id)"
                " SELECT 'licensing.status.v1', convert_to('6d000000-0000-4000-8000-00000000000d',"
                " 'UTF8'), convert_to('{\"after\":1}', 'UTF8'),"
                " '6d000000-0000-4000-8000-00000000000d', 'injected_after', 'after'");
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM outbox WHERE set_aside_at IS NOT NULL"
                       " AND stage = 'injected_big' AND error LIKE '%%too large%%'"));
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'outbox_row_set_aside'"
                       " AND application_id = '%s' AND resolved_at IS NULL",
                       a),
                     1);
    /* Another application flows past it; a's later row waits. */
    ev = h_submission(b, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(
        wait_q(1, 20000, "SELECT count(*) FROM applications WHERE application_id = '%s'", b));
    assert_true(
        wait_q(0, 20000,
               "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND application_id = '%s'", b));
    assert_true(q("SELECT count(*) FROM outbox WHERE application_id = '%s'", b) > 0);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND stage ="
                       " 'injected_after'"),
                     1);
    /* The operator raises the relay's limit and releases the row: it goes out, then the one
     * behind it, each once. */
    assert_int_equal(h_stop(env, relay, SIGTERM, 10000), 0);
    setenv("KAFKA_MESSAGE_MAX_BYTES", "8388608", 1);
    start("relay");
    unsetenv("KAFKA_MESSAGE_MAX_BYTES");
    long long id = q("SELECT id FROM outbox WHERE stage = 'injected_big'");
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "'%s/approvalctl' outbox release %lld >/dev/null",
             getenv("LIC_TEST_BIN_DIR"), id);
    assert_int_equal(system(cmd), 0);
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    assert_true(q("SELECT count(*) FROM outbox WHERE stage = 'injected_after' AND sent_at >="
                  " (SELECT sent_at FROM outbox WHERE stage = 'injected_big')") == 1);
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'outbox_row_set_aside'"
                       " AND resolved_at IS NULL"),
                     0);
    /* On the topic: a's two injected rows once each, the big one first. */
    long long queued = q("SELECT count(*) FROM outbox WHERE topic = '%s'", STATUS);
    json_t *msgs = h_read_topic(env, STATUS, (int)queued + 10, 8000);
    assert_int_equal((long long)json_array_size(msgs), queued);
    int big_at = -1, after_at = -1, n_after = 0;
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        const char *v = json_string_value(json_object_get(m, "value"));
        if (strlen(v) == 3000000)
            big_at = (int)i;
        if (!strcmp(v, "{\"after\":1}")) {
            after_at = (int)i;
            n_after++;
        }
    }
    assert_int_equal(n_after, 1);
    assert_true(big_at >= 0 && after_at > big_at);
    json_decref(msgs);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(complete_and_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(incomplete_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input_dead_lettered, setup, teardown),
        cmocka_unit_test_setup_teardown(rejected_write_in_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(calendar_gap_waits_for_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(kill_mid_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(sigterm_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(retention_gap_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_input, setup, teardown),
        cmocka_unit_test_setup_teardown(set_aside_row, setup, teardown),
        cmocka_unit_test_setup_teardown(cloudevents_modes, setup, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("intake", tests, NULL, NULL);
}
