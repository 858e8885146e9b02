/* Re-registration and complaints end to end: imported licenses, the two re-registration
 * kinds, and complaints with their limits on a moved clock. */
#include "domain.h"
#include "harness.h"
#include "util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"
#define COMPLAINTS "portal.complaints.v1"
#define ACTIONS "provider.actions.v1"
#define T0 "2026-03-16T10:00:07+05:00"

static const char *const WORKERS[] = {"intake",  "registries", "relay",   "dispatcher",
                                      "replies", "timer",      "decider", "mailer",
                                      "actions", "complaints", "notary",  NULL};

static void start_stack(void)
{
    h_start_sim(env);
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        h_spawn(env, WORKERS[i], NULL);
}

/* A valid BIN/IIN: `prefix` (11 digits) and the check digit that makes it valid. */
static const char *valid_id(const char *prefix)
{
    static char bufs[4][13];
    static int k;
    char *b = bufs[k++ % 4];
    for (int d = 0; d < 10; d++) {
        snprintf(b, 13, "%s%d", prefix, d);
        if (dom_iin_bin_valid(b))
            return b;
    }
    fail_msg("no check digit makes %s valid", prefix);
    return NULL;
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

static json_t *reissue(const char *id, const char *kind, const char *license, json_t *applicant,
                       json_t *reissue_data, json_t *documents, json_t *fee)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/proto/examples/application.submitted.v1.reissue.json",
             getenv("LIC_SRC_DIR"));
    json_t *ev = json_load_file(path, 0, NULL);
    assert_non_null(ev);
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(ev, "id", json_string(h_uuid()));
    json_object_set_new(ev, "subject", json_string(id));
    json_object_set_new(data, "application_id", json_string(id));
    json_object_set_new(data, "kind", json_string(kind));
    json_object_set_new(data, "submitted_at", json_string(T0));
    if (applicant)
        json_object_set_new(data, "applicant", applicant);
    if (reissue_data)
        json_object_set_new(data, "reissue", reissue_data);
    else
        json_object_set_new(json_object_get(data, "reissue"), "license_number",
                            json_string(license));
    if (documents)
        json_object_set_new(data, "documents", documents);
    if (fee)
        json_object_set_new(data, "fee", fee);
    return ev;
}

/* A change of name: no agency approvals, the same number, a new date, within 3 WD. */
static void name_change_same_number(void **state)
{
    (void)state;
    env = h_setup("reissue_name");
    h_clock_freeze(env, T0);
    import_licenses("KPR-L-2025-000117,individual,880101300123,Сейітов Ержан,2025-02-10\n");
    assert_int_equal(q("SELECT count(*) FROM licenses WHERE imported"), 1);
    import_licenses("KPR-L-2025-000117,individual,880101300123,Сейітов Ержан,2025-02-10\n");
    assert_int_equal(q("SELECT count(*) FROM license_versions"), 1); /* importing again: no-op */
    start_stack();
    const char *id = "e0000000-0000-4000-8000-000000000001";
    produce(APPS, reissue(id, "reissue", "KPR-L-2025-000117", NULL, NULL, NULL, NULL));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_reissued'",
                       id));
    assert_str(
        qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
           " FROM transitions WHERE application_id = '%s'",
           id),
        "none>registered registered>awaiting_registries awaiting_registries>awaiting_decision"
        " awaiting_decision>license_reissued");
    assert_int_equal(q("SELECT count(*) FROM agency_requests"), 0);
    assert_str(qs("SELECT number || ' v' || version || ' ' || (body->>'date') || ' first '"
                  " || (body->>'first_issue_date') FROM issued_documents"
                  " WHERE application_id = '%s' AND kind = 'license'",
                  id),
               "KPR-L-2025-000117 v2 2026-03-16 first 2025-02-10");
    /* ¶7: 3 WD for a re-registration; decided well inside it. */
    assert_int_equal(q("SELECT (max(t.at) <= a.service_deadline)::int FROM transitions t"
                       " JOIN applications a USING (application_id)"
                       " WHERE a.application_id = '%s' GROUP BY a.service_deadline",
                       id),
                     1);
    assert_str(qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM applications WHERE application_id = '%s'",
                  id),
               "2026-03-19 18:30");
    assert_str(qs("SELECT version || ' ' || holder_name FROM licenses WHERE number ="
                  " 'KPR-L-2025-000117'"),
               "2 Сейітов Ержан Бекұлы");
    assert_int_equal(q("SELECT count(*) FROM license_versions WHERE number = 'KPR-L-2025-000117'"),
                     2);
    /* A license not in the register: not refused (the applicant did nothing wrong) - held,
     * with an incident for the operator, until it is imported; then re-registered. */
    const char *id2 = "e0000000-0000-4000-8000-000000000002";
    produce(APPS, reissue(id2, "reissue", "KPR-L-2019-000001", NULL, NULL, NULL, NULL));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'license_not_in_register' AND resolved_at IS NULL"
                       " AND detail LIKE '%%KPR-L-2019-000001%%import-licenses%%'",
                       id2));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id2),
               "awaiting_registries");
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'", id2),
                     0);
    import_licenses("KPR-L-2019-000001,individual,880101300123,Сейітов Ержан,2019-05-10\n");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_reissued'",
                       id2));
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'license_not_in_register' AND resolved_at IS NOT NULL",
                       id2),
                     1);
}

static json_t *split_reissue_data(const char *license)
{
    return json_pack("{s:s,s:b,s:[s],s:s}", "license_number", license, "annex_only", 0, "grounds",
                     "legal_entity_reorganized", "reorganization", "split");
}

static json_t *legal_entity(const char *bin, const char *name)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "legal_entity", "bin", bin, "name", name,
                     "address", "Қарағанды қ., Бейбітшілік к-сі, 1", "email", "office@split.kz");
}

static json_t *split_documents(const char *bin)
{
    return json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]", "kind", "application_form",
                     "id", "F", "sha256",
                     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                     "signed_by", bin, "kind", "qualification", "id", "Q", "sha256",
                     "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752", "kind",
                     "change_evidence", "id", "C", "sha256",
                     "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
}

/* After a split the license goes to one of the new entities; the second is refused (Standard
 * row 9, split ground 3) after its hearing. */
static void split_sibling_refused(void **state)
{
    (void)state;
    env = h_setup("reissue_split");
    h_clock_freeze(env, T0);
    char old_bin[13], b1[13], b2[13];
    snprintf(old_bin, sizeof(old_bin), "%s", valid_id("07034000124"));
    snprintf(b1, sizeof(b1), "%s", valid_id("26064000111"));
    snprintf(b2, sizeof(b2), "%s", valid_id("26064000222"));
    char csv[300];
    snprintf(csv, sizeof(csv), "KPR-L-2024-000042,legal_entity,%s,ТОО «Ескі Кен»,2024-06-03\n",
             old_bin);
    import_licenses(csv);
    start_stack();
    /* The registry names both new entities as created by the split of the holder. */
    char entities[1600];
    snprintf(entities, sizeof(entities),
             "{\"entities\": {\"%s\": {\"name_ru\": \"ТОО «Жаңа Кен-1»\", \"legal_address\":"
             " \"Қарағанды қ., Бейбітшілік к-сі, 1\", \"status\": \"active\", \"predecessors\":"
             " [{\"form\": \"split\", \"date\": \"2026-02-02\", \"bin\": \"%s\"}]},"
             " \"%s\": {\"name_ru\": \"ТОО «Жаңа Кен-2»\", \"legal_address\":"
             " \"Қарағанды қ., Бейбітшілік к-сі, 1\", \"status\": \"active\", \"predecessors\":"
             " [{\"form\": \"split\", \"date\": \"2026-02-02\", \"bin\": \"%s\"}]}}}",
             b1, old_bin, b2, old_bin);
    json_t *ok = h_registry(env, NULL, entities);
    assert_non_null(ok);
    json_decref(ok);
    const char *first = "e0000000-0000-4000-8000-000000000011";
    produce(APPS, reissue(first, "reissue_split", NULL, legal_entity(b1, "ТОО «Жаңа Кен-1»"),
                          split_reissue_data("KPR-L-2024-000042"), split_documents(b1),
                          json_pack("{s:s,s:i}", "paid_via", "egov_gateway", "amount_kzt", 4325)));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_reissued'",
                       first));
    /* The reorganisation needs the agencies again (LIC_REISSUE_APPROVAL_GROUNDS). */
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'", first),
                     2);
    char want[80];
    snprintf(want, sizeof(want), "%s 2", b1);
    assert_str(qs("SELECT holder_id || ' ' || version FROM licenses WHERE number ="
                  " 'KPR-L-2024-000042'"),
               want);

    const char *second = "e0000000-0000-4000-8000-000000000012";
    produce(APPS, reissue(second, "reissue_split", NULL, legal_entity(b2, "ТОО «Жаңа Кен-2»"),
                          split_reissue_data("KPR-L-2024-000042"), split_documents(b2),
                          json_pack("{s:s,s:i}", "paid_via", "egov_gateway", "amount_kzt", 4325)));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL AND grounds->0->>'code' ="
                       " 'license_already_reissued_in_split'",
                       second));
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", second);
    act(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "specversion", "1.0", "id", h_uuid(),
                  "source", "/provider/back-office", "type",
                  "kz.gov.licensing.hearing.concluded.v1", "subject", second, "datacontenttype",
                  "application/json", "data", "application_id", second, "hearing_id", hid,
                  "outcome", "refusal_confirmed"));
    free(hid);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND kind = 'refusal' AND body->'grounds'->0->>'code' ="
                       " 'license_already_reissued_in_split'",
                       second));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", second), "refused");
    assert_str(qs("SELECT holder_id || ' ' || version FROM licenses WHERE number ="
                  " 'KPR-L-2024-000042'"),
               want); /* unchanged */
}

/* Re-registering only the annex: no fee due, no receipt, the annex alone re-issued. */
static void annex_only_no_fee(void **state)
{
    (void)state;
    env = h_setup("reissue_annex");
    h_clock_freeze(env, T0);
    import_licenses("KPR-L-2025-000117,individual,880101300123,Сейітов Ержан,2025-02-10\n");
    start_stack();
    const char *id = "e0000000-0000-4000-8000-000000000021";
    json_t *r = json_pack("{s:s,s:b,s:[s]}", "license_number", "KPR-L-2025-000117", "annex_only", 1,
                          "grounds", "subactivity_name_changed");
    produce(APPS, reissue(id, "reissue", NULL, NULL, r, NULL,
                          json_pack("{s:s,s:i}", "paid_via", "none", "amount_kzt", 0)));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_reissued'",
                       id));
    assert_int_equal(q("SELECT due_kzt FROM fees WHERE application_id = '%s'", id), 0);
    assert_str(qs("SELECT string_agg(kind || ' ' || number || ' v' || version, ',')"
                  " FROM issued_documents WHERE application_id = '%s'",
                  id),
               "annex KPR-L-2025-000117/1 v2");
    assert_int_equal(q("SELECT annex_only::int FROM license_versions WHERE number ="
                       " 'KPR-L-2025-000117' AND version = 2"),
                     1);
}

/* ---- complaints ---- */

static const char *app_for_complaints(void)
{
    const char *id = "c0000000-0000-4000-8000-000000000001";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    produce(APPS, ev);
    assert_true(
        wait_q(1, 30000, "SELECT count(*) FROM applications WHERE application_id = '%s'", id));
    return id;
}

static void file_complaint(const char *app, const char *complaint, const char *to)
{
    produce(COMPLAINTS,
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "specversion", "1.0",
                      "id", h_uuid(), "source", "/portal", "type",
                      "kz.gov.licensing.complaint.filed.v1", "subject", app, "time", T0,
                      "datacontenttype", "application/json", "data", "complaint_id", complaint,
                      "application_id", app, "filed_at", T0, "addressed_to", to, "text",
                      "Прошу пересмотреть решение; SELECT 1; DROP TABLE complaints; --"));
    assert_true(
        wait_q(1, 30000, "SELECT count(*) FROM complaints WHERE complaint_id = '%s'", complaint));
}

static void resolve_complaint(const char *app, const char *complaint, const char *outcome)
{
    act(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "specversion", "1.0", "id", h_uuid(),
                  "source", "/provider/back-office", "type",
                  "kz.gov.licensing.complaint.resolved.v1", "subject", app, "datacontenttype",
                  "application/json", "data", "complaint_id", complaint, "application_id", app,
                  "outcome", outcome));
}

/* Events of a stage in the outbox for a complaint (optionally with a detail key = value). */
static long long events(const char *stage, const char *complaint, const char *key,
                        const char *value)
{
    return q("SELECT count(*) FROM outbox WHERE stage = '%s' AND convert_from(payload,"
             " 'UTF8')::jsonb->'data'->'detail'->>'complaint_id' = '%s'%s%s%s%s%s",
             stage, complaint,
             key ? " AND convert_from(payload, 'UTF8')::jsonb->'data'->"
                   "'detail'->>'"
                 : "",
             key ? key : "", key ? "' = '" : "", key ? value : "", key ? "'" : "");
}

/* Forwarded on day 3, within the 3-WD limit: no breach of the forwarding limit. */
static void complaint_forwarded_day3(void **state)
{
    (void)state;
    env = h_setup("complaints_forwarded");
    h_clock_freeze(env, T0);
    start_stack();
    const char *app = app_for_complaints();
    const char *c = "c1000000-0000-4000-8000-000000000001";
    file_complaint(app, c, "authorized_body");
    /* Registered Monday 16 March 10:00:07; forward by Thursday 19 March 18:30, review by the
     * 15th WD. The text is stored verbatim. */
    assert_str(qs("SELECT to_char(forward_due AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI') || ' '"
                  " || to_char(review_due AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI')"
                  " FROM complaints WHERE complaint_id = '%s'",
                  c),
               "03-19 18:30 04-09 18:30");
    assert_int_equal(
        q("SELECT count(*) FROM complaints WHERE text LIKE '%%DROP TABLE complaints%%'"), 1);
    assert_int_equal(events("complaint_registered", c, NULL, NULL), 1);
    h_clock_freeze(env, "2026-03-19T11:00:00+05:00"); /* day 3 */
    resolve_complaint(app, c, "forwarded");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM complaints WHERE complaint_id = '%s'"
                       " AND state = 'forwarded'",
                       c));
    assert_int_equal(events("complaint_forwarded", c, NULL, NULL), 1);
    h_clock_freeze(env, "2026-03-20T12:00:00+05:00"); /* past the forwarding limit */
    /* The at-risk alert of 18 March fired (the complaint was not forwarded yet), the breach
     * never does. */
    assert_true(wait_q(1, 10000,
                       "SELECT count(*) FROM timers WHERE ref = '%s' AND kind ="
                       " 'complaint_forward_breach' AND cancelled_at IS NOT NULL",
                       c));
    assert_int_equal(events("deadline_breached", c, NULL, NULL), 0);
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE ref = '%s'", c), 0);
}

/* Satisfied on day 2: resolved, never forwarded, no alert afterwards. */
static void complaint_satisfied_day2(void **state)
{
    (void)state;
    env = h_setup("complaints_satisfied");
    h_clock_freeze(env, T0);
    start_stack();
    const char *app = app_for_complaints();
    const char *c = "c1000000-0000-4000-8000-000000000002";
    file_complaint(app, c, "provider");
    h_clock_freeze(env, "2026-03-17T15:00:00+05:00"); /* day 2 (1 WD after registration) */
    resolve_complaint(app, c, "satisfied");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM complaints WHERE complaint_id = '%s'"
                       " AND state = 'resolved' AND outcome = 'satisfied'",
                       c));
    assert_int_equal(q("SELECT count(*) FROM timers WHERE ref = '%s' AND cancelled_at IS NULL", c),
                     0);
    h_clock_freeze(env, "2026-04-10T12:00:00+05:00"); /* past every limit */
    assert_true(wait_q(0, 5000,
                       "SELECT count(*) FROM timers WHERE ref = '%s'"
                       " AND fired_at IS NOT NULL",
                       c));
    assert_int_equal(events("complaint_resolved", c, NULL, NULL), 1);
    assert_int_equal(events("complaint_forwarded", c, NULL, NULL), 0);
    assert_int_equal(events("deadline_at_risk", c, NULL, NULL), 0);
}

/* Unanswered: deadline_at_risk one WD before each limit, deadline_breached after it, on the
 * right days. */
static void complaint_unanswered(void **state)
{
    (void)state;
    env = h_setup("complaints_unanswered");
    h_clock_freeze(env, T0);
    start_stack();
    const char *app = app_for_complaints();
    const char *c = "c1000000-0000-4000-8000-000000000003";
    file_complaint(app, c, "provider");
    /* Forward by 19 March 18:30 (at risk from 18 March 18:30); review within 5 WD, by
     * 26 March 18:30 (21-25 March are off; at risk from 20 March 18:30). */
    struct {
        const char *at, *deadline, *breached;
        long long expected;
    } steps[] = {
        {"2026-03-18T18:29:00+05:00", "complaint_forward", "false", 0},
        {"2026-03-18T18:31:00+05:00", "complaint_forward", "false", 1},
        {"2026-03-19T18:29:00+05:00", "complaint_forward", "true", 0},
        {"2026-03-19T18:31:00+05:00", "complaint_forward", "true", 1},
        {"2026-03-20T18:31:00+05:00", "complaint_review", "false", 1},
        {"2026-03-26T18:29:00+05:00", "complaint_review", "true", 0},
        {"2026-03-26T18:31:00+05:00", "complaint_review", "true", 1},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        h_clock_freeze(env, steps[i].at);
        /* Whatever is due by now has fired once the open timers are all in the future. */
        assert_true(wait_q(0, 10000,
                           "SELECT count(*) FROM timers WHERE ref = '%s' AND fired_at IS NULL"
                           " AND cancelled_at IS NULL AND due_at <= '%s'",
                           c, steps[i].at));
        long long n =
            q("SELECT count(*) FROM outbox WHERE stage = '%s' AND"
              " convert_from(payload, 'UTF8')::jsonb->'data'->'detail' @> '{\"complaint_id\":"
              " \"%s\", \"deadline\": \"%s\", \"breached\": %s}'",
              strcmp(steps[i].breached, "true") == 0 ? "deadline_breached" : "deadline_at_risk", c,
              steps[i].deadline, steps[i].breached);
        print_message("%s: %s breached=%s -> %lld event(s)\n", steps[i].at, steps[i].deadline,
                      steps[i].breached, n);
        assert_int_equal(n, steps[i].expected);
    }
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE ref = '%s'", c), 2);
    /* Everything published validates against status.v1. */
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    long long n = q("SELECT count(*) FROM outbox WHERE topic = 'licensing.status.v1'");
    json_t *msgs = h_read_topic(env, "licensing.status.v1", (int)n, 15000);
    assert_int_equal((long long)json_array_size(msgs), n);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    json_decref(msgs);
}

/* A change of the holder's name re-registers the license and every annex of it: the second
 * annex, added by an issue naming the license, is issued again in the new name with its own
 * sub-activities and base, signed, and carried by the result event; its first version stays. */
static void name_change_reissues_every_annex(void **state)
{
    (void)state;
    env = h_setup("reissue_annexes");
    h_clock_freeze(env, T0);
    import_licenses("KPR-L-2025-000117,legal_entity,070340001239,ТОО «Қарағанды Көмір»,"
                    "2025-02-10\n");
    start_stack();
    const char *id1 = "e0000000-0000-4000-8000-000000000021";
    json_t *ev = annex_submission(id1, T0);
    json_t *applicant = json_deep_copy(json_object_get(json_object_get(ev, "data"), "applicant"));
    produce(APPS, ev);
    assert_true(wait_q(1, 60000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id1));
    /* As if ¶2 had named sub-activity 5 otherwise when annex 2 was issued. */
    h_exec(env, "UPDATE issued_documents SET body = jsonb_set(body, '{subtypes,0,name_ru}',"
                " '\"прежнее наименование\"') WHERE number = 'KPR-L-2025-000117/2'");
    json_object_set_new(applicant, "name", json_string("ТОО «Қарағанды Көмір Групп»"));
    /* The state registry has the new name by then. */
    json_t *reg =
        h_registry(env, NULL,
                   "{\"entities\": {\"070340001239\": {\"name_ru\":"
                   " \"ТОО «Қарағанды Көмір Групп»\", \"legal_address\":"
                   " \"Қарағанды қ., Бұқар Жырау даңғылы, 47\", \"status\": \"active\"}}}");
    assert_non_null(reg);
    json_decref(reg);
    const char *id2 = "e0000000-0000-4000-8000-000000000022";
    produce(APPS,
            reissue(id2, "reissue", NULL, applicant,
                    json_pack("{s:s,s:b,s:[s]}", "license_number", "KPR-L-2025-000117",
                              "annex_only", 0, "grounds", "legal_entity_name_changed"),
                    json_pack("[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s}]", "kind", "application_form", "id",
                              "DOC-APP-21", "sha256",
                              "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
                              "signed_by", "070340001239", "kind", "change_evidence", "id",
                              "DOC-CH-21", "sha256",
                              "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
                    NULL));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_reissued'",
                       id2));
    assert_str(qs("SELECT string_agg(kind || ' ' || number || ' v' || version, ','"
                  " ORDER BY kind, number) FROM issued_documents WHERE application_id = '%s'",
                  id2),
               "annex KPR-L-2025-000117/1 v2,annex KPR-L-2025-000117/2 v2,"
               "license KPR-L-2025-000117 v2");
    assert_str(qs("SELECT (body->'licensee'->>'name') || ' | ' || (body->'subtypes'->0->>'code')"
                  " || ' | ' || (body->'production_base'->>'address') || ' | '"
                  " || (body->>'license_date') || ' | ' || (body->>'date') || ' | '"
                  " || (body->>'version') FROM issued_documents"
                  " WHERE number = 'KPR-L-2025-000117/2' AND version = 2"),
               "ТОО «Қарағанды Көмір Групп» | 5 | Қарағанды облысы, Саран қ., Кеншілер көшесі, 12"
               " | 2025-02-10 | 2026-03-16 | 2");
    assert_str(qs("SELECT body->'licensee'->>'name' FROM issued_documents"
                  " WHERE number = 'KPR-L-2025-000117/2' AND version = 1"),
               "ТОО «Қарағанды Көмір»");
    assert_str(qs("SELECT body->'subtypes'->0->>'name_ru' FROM issued_documents"
                  " WHERE number = 'KPR-L-2025-000117/2' AND version = 2"),
               dom_subtype_name_ru(5));
    /* Released once the three are signed, the further annex's signature in the event. */
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM outbox o WHERE o.application_id = '%s'"
                       " AND o.stage = 'license_reissued' AND o.held_by IS NULL"
                       " AND jsonb_array_length(convert_from(o.payload, 'UTF8')::jsonb"
                       "->'data'->'detail'->'annexes') = 1"
                       " AND convert_from(o.payload, 'UTF8')::jsonb->'data'->'detail'->'annexes'"
                       "->0->'signed'->>'sha256' = (SELECT pdf_sha256 FROM issued_documents"
                       " WHERE number = 'KPR-L-2025-000117/2' AND version = 2)",
                       id2));
    /* Every status event, the re-registration's with its annexes, as the portal takes them. */
    int total = q("SELECT count(*) FROM outbox WHERE topic = 'licensing.status.v1'");
    json_t *msgs = published_status(total, 15000);
    assert_int_equal((int)json_array_size(msgs), total);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    json_decref(msgs);
    const char *text = stored_pdf_text("KPR-L-2025-000117/2", "-d ' \\n'");
    assert_non_null(strstr(text, "ТОО«ҚарағандыКөмірГрупп»"));
    assert_non_null(strstr(text, "KPR-L-2025-000117/2"));
    assert_non_null(strstr(text, "Кеншілеркөшесі,12"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(name_change_same_number, teardown),
        cmocka_unit_test_teardown(split_sibling_refused, teardown),
        cmocka_unit_test_teardown(annex_only_no_fee, teardown),
        cmocka_unit_test_teardown(name_change_reissues_every_annex, teardown),
        cmocka_unit_test_teardown(complaint_forwarded_day3, teardown),
        cmocka_unit_test_teardown(complaint_satisfied_day2, teardown),
        cmocka_unit_test_teardown(complaint_unanswered, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("reissue and complaints", tests, NULL, NULL);
}
