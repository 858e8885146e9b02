/* Decisions end to end: portal event in, the agency simulator, the SMTP sink, every worker
 * (intake, dispatcher, replies, timer, decider, mailer, actions, relay) and a moved clock:
 * licenses with gapless numbers, refusals only after a hearing whose notice was e-mailed. */
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
#define STATUS "licensing.status.v1"
#define T0 "2026-03-16T10:00:07+05:00"

static const char *const WORKERS[] = {"intake",  "registries", "relay",   "dispatcher",
                                      "replies", "timer",      "decider", "mailer",
                                      "actions", "notary",     NULL};

/* The simulator (with `controls`), the SMTP sink, and every worker but those in `skip`. */
static void start_stack(const char *const *controls, const char *skip)
{
    h_start_sim(env);
    for (int i = 0; controls && controls[i]; i++)
        sim(controls[i]);
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        if (!skip || strcmp(skip, WORKERS[i]) != 0)
            h_spawn(env, WORKERS[i], NULL);
}

static void submit(const char *id)
{
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
}

static void hearing_outcome(const char *app, const char *outcome)
{
    char *hid = qs("SELECT hearing_id FROM hearings WHERE application_id = '%s'", app);
    assert_non_null(hid);
    json_t *ev = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "specversion", "1.0", "id", h_uuid(),
        "source", "/provider/back-office", "type", "kz.gov.licensing.hearing.concluded.v1",
        "subject", app, "time", T0, "datacontenttype", "application/json", "data", "application_id",
        app, "hearing_id", hid, "outcome", outcome, "notes", "Заслушивание проведено.");
    free(hid);
    assert_int_equal(h_produce_act(env, ev, "head"), 0); /* the head signs the outcome (¶13) */
}

/* The status events of one application, deduplicated on the event id, checked against the
 * schema: "stage stage ..." in publication order. */
static char *stages_of(const char *id, int expected_total)
{
    json_t *msgs = published_status(expected_total, 15000);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    char out[2000] = "";
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        json_t *d = json_object_get(v, "data");
        if (strcmp(json_string_value(json_object_get(d, "application_id")), id) == 0) {
            if (out[0])
                strncat(out, " ", sizeof(out) - strlen(out) - 1);
            strncat(out, json_string_value(json_object_get(d, "stage")),
                    sizeof(out) - strlen(out) - 1);
        }
        json_decref(v);
    }
    json_decref(msgs);
    return strdup(out);
}

/* Both agencies compliant: the license and its annex with the next number. */
static void compliant_license(void **state)
{
    (void)state;
    env = h_setup("decisions_license");
    h_clock_freeze(env, T0);
    start_stack(NULL, NULL);
    const char *id = "d0000000-0000-4000-8000-000000000001";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_str(qs("SELECT number FROM issued_documents WHERE application_id = '%s'"
                  " AND kind = 'license'",
                  id),
               "KPR-L-2026-000001");
    assert_str(qs("SELECT body->>'license_number' || ' ' || (body->'subtypes'->0->>'code')"
                  " FROM issued_documents WHERE application_id = '%s' AND kind = 'annex'",
                  id),
               "KPR-L-2026-000001 1");
    assert_str(qs("SELECT body->'licensee'->>'bin' || ' ' || (body->>'date') FROM"
                  " issued_documents WHERE application_id = '%s' AND kind = 'license'",
                  id),
               "070340001239 2026-03-16");
    /* The head by full name and position in both languages; the sub-activities as ¶2 words
     * them (sub-activity 4: "... жару жұмыстарын жүргізу"). */
    assert_str(qs("SELECT (body->'head'->>'name') || ' / ' || (body->'head'->>'position_kk')"
                  " || ' / ' || (body->'head'->>'position_ru') FROM issued_documents"
                  " WHERE application_id = '%s' AND kind = 'license'",
                  id),
               "Жақсыбеков Ерлан Маратұлы / Комитет төрағасы / Председатель комитета");
    assert_str(qs("SELECT body->'subtypes'->1->>'name_kk' FROM issued_documents"
                  " WHERE application_id = '%s' AND kind = 'annex'",
                  id),
               "пайдалы қазбаларды өндіру үшін жару жұмыстарын жүргізу");
    char *stages = stages_of(id, 6);
    assert_str(stages, "registered approvals_requested approvals_requested agency_replied"
                       " agency_replied license_issued");
    assert_int_equal(q("SELECT count(*) FROM email_outbox"), 0);
}

/* One agency non-compliant: a hearing notice by e-mail before the limit, then the refusal
 * confirmed at the hearing -> the reasoned refusal. */
static void refusal_after_hearing(void **state)
{
    (void)state;
    env = h_setup("decisions_refusal");
    h_clock_freeze(env, T0);
    /* Both answers in before the decision (a ground alone would propose the refusal from
     * awaiting_replies - executor tests show that path): the non-compliant one 3 s later. */
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\","
                              " \"reply_delay_ms\": 3000}",
                              NULL};
    start_stack(controls, NULL);
    const char *id = "d0000000-0000-4000-8000-000000000002";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    assert_str(qs("SELECT stage FROM applications WHERE application_id = '%s'", id),
               "refusal_proposed");
    /* ¶13: the notice no later than 3 WD before the term ends (9 April -> 6 April 18:30), the
     * hearing no later than 2 WD after the notice. */
    assert_int_equal(q("SELECT (notice_sent_at <= notice_due)::int FROM hearings"
                       " WHERE application_id = '%s'",
                       id),
                     1);
    assert_str(qs("SELECT to_char(notice_due AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI')"
                  " || ' ' || to_char(hearing_at AT TIME ZONE 'Asia/Almaty',"
                  " 'YYYY-MM-DD HH24:MI') FROM hearings WHERE application_id = '%s'",
                  id),
               "2026-04-06 18:30 2026-03-18 11:00");
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    json_t *mail = json_array_get(mails, 0);
    assert_string_equal(json_string_value(json_object_get(mail, "to")),
                        "<office@karagandy-komir.kz>");
    const char *body = json_string_value(json_object_get(mail, "body"));
    print_message("notice subject: %s\n", json_string_value(json_object_get(mail, "subject")));
    assert_non_null(
        strstr(json_string_value(json_object_get(mail, "subject")), "KZ-EL-2026-0001234"));
    assert_non_null(strstr(body, "Уважаемый"));                 /* Russian */
    assert_non_null(strstr(body, "Құрметті"));                  /* Kazakh */
    assert_non_null(strstr(body, "2026-03-18T11:00:00+05:00")); /* the hearing's time */
    assert_non_null(strstr(body, "промышленной безопасности")); /* the ground */
    json_decref(mails);

    hearing_outcome(id, "refusal_confirmed");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'refused'",
                       id));
    assert_str(qs("SELECT number || ' ' || (body->'grounds'->0->>'code') FROM issued_documents"
                  " WHERE application_id = '%s' AND kind = 'refusal'",
                  id),
               "KPR-R-2026-000001 agency_non_compliant");
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND body->>'text_ru' LIKE '%%с учётом заслушивания (пункт 13%%'",
                       id),
                     1);
    /* Appendix 2 in Kazakh as well, with the city and the head who signs. */
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND body->>'text_kk' LIKE 'Сіздің № KZ-EL-2026-0001234, 2026-03-16"
                       " өтінішіңізді қарап, тыңдауды ескере отырып (Қағидалардың 13-тармағы)%%'"
                       " AND body->'city'->>'kk' = 'Астана қаласы'"
                       " AND body->'city'->>'ru' = 'город Астана'"
                       " AND body->'signer'->>'name' = 'Жақсыбеков Ерлан Маратұлы'",
                       id),
                     1);
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'license'"), 0);
    /* The operator's view of the whole history. */
    const char *expect[] = {"stage refused",
                            "none -> registered",
                            "awaiting_decision -> refusal_proposed  (lic-decider)",
                            "refusal_proposed -> refused  (provider.actions.v1/",
                            "industrial_safety received",
                            "non_compliant",
                            "refusal  KPR-R-2026-000001 v1",
                            NULL};
    assert_app_shows("KZ-EL-2026-0001234", expect);
    char *stages = stages_of(id, 8);
    assert_str(stages, "registered approvals_requested approvals_requested agency_replied"
                       " agency_replied refusal_proposed hearing_concluded refused");
}

/* The refusal withdrawn at the hearing -> the license. */
static void withdrawn_license(void **state)
{
    (void)state;
    env = h_setup("decisions_withdrawn");
    h_clock_freeze(env, T0);
    /* Both answers in before the decision, as in refusal_after_hearing. */
    const char *controls[] = {
        "{\"agency\": \"sanitary\", \"verdict\": \"non_compliant\", \"reply_delay_ms\": 3000}",
        NULL};
    start_stack(controls, NULL);
    const char *id = "d0000000-0000-4000-8000-000000000003";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    hearing_outcome(id, "refusal_withdrawn");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_str(qs("SELECT string_agg(from_stage || '>' || to_stage, ' ' ORDER BY id)"
                  " FROM transitions WHERE application_id = '%s' AND id > (SELECT max(id) FROM"
                  " transitions WHERE application_id = '%s' AND to_stage = 'awaiting_decision')",
                  id, id),
               "awaiting_decision>refusal_proposed refusal_proposed>license_issued");
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'refusal'"), 0);
}

/* An agency silent past its window: the license, whose record says which approval was deemed. */
static void deemed_license(void **state)
{
    (void)state;
    env = h_setup("decisions_deemed");
    h_clock_freeze(env, T0);
    const char *controls[] = {"{\"agency\": \"sanitary\", \"verdict\": \"silent\"}", NULL};
    start_stack(controls, NULL);
    const char *id = "d0000000-0000-4000-8000-000000000004";
    submit(id);
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND state = 'received'",
                       id));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'industrial_safety' AND outcome = 'compliant'",
                       id));
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    json_t *msgs = published_status(6, 15000);
    json_t *issued = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        if (strcmp(json_string_value(json_object_get(json_object_get(v, "data"), "stage")),
                   "license_issued") == 0)
            issued = json_incref(json_object_get(json_object_get(v, "data"), "detail"));
        json_decref(v);
    }
    json_decref(msgs);
    assert_non_null(issued);
    char *approvals = json_dumps(json_object_get(issued, "approvals"), JSON_COMPACT);
    print_message("approvals: %s\n", approvals);
    assert_string_equal(approvals,
                        "[{\"agency\":\"industrial_safety\",\"deemed\":false,\"outcome\":"
                        "\"compliant\"},{\"agency\":\"sanitary\",\"deemed\":true,\"outcome\":"
                        "\"deemed_approved\"}]");
    free(approvals);
    json_decref(issued);
}

/* No outcome of the hearing by its date + 1 WD: deadline_at_risk to operators. */
static void hearing_outcome_overdue(void **state)
{
    (void)state;
    env = h_setup("decisions_overdue");
    h_clock_freeze(env, T0);
    /* Both answers in before the decision, as in refusal_after_hearing: the order of the
     * status events is asserted. */
    const char *controls[] = {
        "{\"agency\": \"sanitary\", \"verdict\": \"non_compliant\", \"reply_delay_ms\": 3000}",
        NULL};
    start_stack(controls, NULL);
    const char *id = "d0000000-0000-4000-8000-000000000005";
    submit(id);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    /* The hearing was on 18 March at 11:00; a working day later (19 March, 18:30) no outcome. */
    h_clock_freeze(env, "2026-03-19T18:20:00+05:00");
    assert_int_equal(q("SELECT count(*) FROM incidents WHERE kind = 'hearing_outcome_overdue'"), 0);
    h_clock_freeze(env, "2026-03-19T18:30:01+05:00");
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE application_id = '%s'"
                       " AND kind = 'hearing_outcome_overdue'",
                       id));
    char *stages = stages_of(id, 7);
    assert_non_null(strstr(stages, "refusal_proposed deadline_at_risk"));
    free(stages);
}

/* Two deciders at once over 500 applications: license numbers 1..500, no gap, no repeat. */
static void two_deciders_gapless(void **state)
{
    (void)state;
    env = h_setup("decisions_gapless");
    h_clock_freeze(env, T0);
    start_stack(NULL, "decider");
    assert_int_equal(h_produce_submissions(env, 500, 0), 0);
    assert_true(
        wait_q(500, 120000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
    h_spawn(env, "decider", NULL);
    h_spawn(env, "decider", NULL);
    assert_true(
        wait_q(500, 60000, "SELECT count(*) FROM applications WHERE stage = 'license_issued'"));
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'license'"), 500);
    assert_int_equal(q("SELECT count(DISTINCT seq) FROM issued_documents WHERE kind = 'license'"),
                     500);
    assert_int_equal(q("SELECT min(seq) FROM issued_documents WHERE kind = 'license'"), 1);
    assert_int_equal(q("SELECT max(seq) FROM issued_documents WHERE kind = 'license'"), 500);
    assert_int_equal(q("SELECT count(DISTINCT number) FROM issued_documents WHERE kind ="
                       " 'license'"),
                     500);
}

/* One decider round with first issues the agencies agreed to and applications to refuse:
 * every license and annex carries its own applicant and production base, every status event
 * its own application's number, numbers gapless; the refusals get their hearing. */
static void mixed_round(void **state)
{
    (void)state;
    env = h_setup("decisions_mixed");
    h_clock_freeze(env, T0);
    enum { N = 12 };
    char ids[N][40];
    h_start_sim(env);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "d0000000-0000-4000-8000-0000000001%02d", i);
        if (i % 4 == 1) {
            char c[600];
            snprintf(c, sizeof(c),
                     "{\"agency\": \"sanitary\", \"application_id\": \"%s\","
                     " \"verdict\": \"non_compliant\"}",
                     ids[i]);
            sim(c);
        }
    }
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        if (strcmp(WORKERS[i], "decider") != 0)
            h_spawn(env, WORKERS[i], NULL);
    for (int i = 0; i < N; i++) {
        json_t *ev = h_submission(ids[i], h_uuid(), NULL);
        json_t *data = json_object_get(ev, "data");
        char name[80], address[80], ref[40];
        snprintf(name, sizeof(name), "ТОО «Тест %02d»", i);
        snprintf(address, sizeof(address), "Шахтинск қ., учаскесі %02d", i);
        snprintf(ref, sizeof(ref), "KZ-EL-2026-00001%02d", i);
        /* A legal entity of its own, known to the registry under that name (¶10). */
        char bin[13], control[700];
        for (int d = 0; d < 10; d++) {
            snprintf(bin, sizeof(bin), "26064000%02d%d%d", i, i % 10, d);
            if (dom_iin_bin_valid(bin))
                break;
        }
        snprintf(control, sizeof(control),
                 "{\"entities\": {\"%s\": {\"name_ru\": \"%s\", \"legal_address\":"
                 " \"Қарағанды қ., Бұқар Жырау даңғылы, 47\", \"status\": \"active\"}}}",
                 bin, name);
        json_decref(h_registry(env, NULL, control));
        json_object_set_new(json_object_get(data, "applicant"), "bin", json_string(bin));
        json_object_set_new(json_array_get(json_object_get(data, "documents"), 0), "signed_by",
                            json_string(bin));
        json_object_set_new(json_object_get(data, "applicant"), "name", json_string(name));
        json_object_set_new(json_object_get(data, "production_base"), "address",
                            json_string(address));
        json_object_set_new(data, "portal_ref", json_string(ref));
        assert_int_equal(h_produce_event(env, APPS, ev), 0);
        json_decref(ev);
    }
    assert_true(
        wait_q(N, 60000, "SELECT count(*) FROM applications WHERE stage = 'awaiting_decision'"));
    h_spawn(env, "decider", NULL);
    assert_true(
        wait_q(9, 30000, "SELECT count(*) FROM applications WHERE stage = 'license_issued'"));
    assert_true(
        wait_q(3, 30000, "SELECT count(*) FROM applications WHERE stage = 'refusal_proposed'"));
    /* One round: every decision in one transaction. */
    assert_int_equal(q("SELECT count(DISTINCT xmin::text) FROM transitions"
                       " WHERE from_stage = 'awaiting_decision'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM applications WHERE stage = 'refusal_proposed'"
                       " AND right(application_id::text, 2)::int %% 4 = 1"),
                     3);
    assert_int_equal(q("SELECT count(*) FROM hearings"), 3);
    /* Each document is its own application's. */
    assert_int_equal(q("SELECT count(*) FROM issued_documents d JOIN applicants p"
                       " USING (application_id) WHERE d.kind = 'license'"
                       " AND d.body->'licensee'->>'name' = p.name"
                       " AND d.body->>'application' = (SELECT portal_ref FROM applications a"
                       "  WHERE a.application_id = d.application_id)"),
                     9);
    assert_int_equal(q("SELECT count(*) FROM issued_documents d JOIN production_bases b"
                       " USING (application_id) WHERE d.kind = 'annex'"
                       " AND d.body->'production_base'->>'address' = b.address"
                       " AND d.number = (SELECT number || '/1' FROM issued_documents l"
                       "  WHERE l.application_id = d.application_id AND l.kind = 'license')"),
                     9);
    assert_int_equal(q("SELECT count(*) FROM licenses l JOIN applicants p USING (application_id)"
                       " JOIN license_versions v USING (number, application_id)"
                       " WHERE l.holder_name = p.name AND v.version = 1 AND v.kind = 'issue'"),
                     9);
    assert_int_equal(
        q("SELECT count(*) FROM outbox o JOIN issued_documents d"
          " ON d.application_id = o.application_id AND d.kind = 'license'"
          " WHERE o.stage = 'license_issued' AND convert_from(o.payload, 'UTF8')::jsonb"
          "  #>> '{data,detail,license,number}' = d.number"
          " AND jsonb_array_length(convert_from(o.payload, 'UTF8')::jsonb"
          "  #> '{data,detail,approvals}') = 2"),
        9);
    assert_int_equal(q("SELECT count(*) FROM issued_documents WHERE kind = 'license'"
                       " AND seq BETWEEN 1 AND 9"),
                     9);
    assert_int_equal(q("SELECT count(DISTINCT seq) FROM issued_documents WHERE kind = 'license'"),
                     9);
}

/* A mailer killed while an SMTP server has its notice (one that accepts the connection and
 * never answers) holds no claim on it: the next mailer sends it at once - no lease to wait
 * out - and it is delivered once. */
static void notice_after_mailer_killed(void **state)
{
    (void)state;
    env = h_setup("decisions_mailer_killed");
    h_clock_freeze(env, T0);
    h_start_sim(env);
    sim("{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}");
    int silent = h_start_smtp_silent(env);
    setenv("LIC_SMTP_TIMEOUT_MS", "600000", 1);
    pid_t mailer = 0;
    for (int i = 0; WORKERS[i]; i++) {
        pid_t pid = h_spawn(env, WORKERS[i], NULL);
        if (!strcmp(WORKERS[i], "mailer"))
            mailer = pid;
    }
    unsetenv("LIC_SMTP_TIMEOUT_MS");
    const char *id = "d0000000-0000-4000-8000-000000000012";
    submit(id);
    /* The notice claimed (its row locked), the server silent: the mailer waits. */
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM email_outbox WHERE sent_at IS NULL AND id NOT IN"
                       " (SELECT id FROM email_outbox FOR SHARE SKIP LOCKED)"));
    assert_int_equal(q("SELECT count(*) FROM email_outbox WHERE sent_at IS NULL"), 1);
    assert_int_equal(h_stop(env, mailer, SIGKILL, 5000), 128 + SIGKILL);
    close(silent);
    h_start_smtp(env);
    h_spawn(env, "mailer", NULL);
    assert_true(wait_q(1, 15000,
                       "SELECT count(*) FROM hearings WHERE application_id = '%s'"
                       " AND notice_sent_at IS NOT NULL",
                       id));
    /* The killed attempt left nothing behind: one attempt counted, no error, one e-mail. */
    assert_str(qs("SELECT attempts || ' ' || coalesce(last_error, '-') FROM email_outbox"), "1 -");
    json_t *mails = h_mails(env);
    assert_int_equal(json_array_size(mails), 1);
    json_decref(mails);
}

/* Two mailers started together on 20 due notices: each notice claimed by one of them (its
 * row locked while the server has it), so each is sent once and counted one attempt. */
static void two_mailers_once(void **state)
{
    (void)state;
    env = h_setup("decisions_two_mailers");
    h_clock_freeze(env, T0);
    enum { N = 20 };
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"verdict\": \"non_compliant\"}",
                              NULL};
    start_stack(controls, "mailer");
    assert_int_equal(h_produce_submissions(env, N, 0), 0);
    assert_true(wait_q(N, 60000, "SELECT count(*) FROM email_outbox WHERE sent_at IS NULL"));
    h_spawn(env, "mailer", NULL);
    h_spawn(env, "mailer", NULL);
    assert_true(wait_q(N, 60000, "SELECT count(*) FROM hearings WHERE notice_sent_at IS NOT NULL"));
    assert_int_equal(q("SELECT sum(attempts) FROM email_outbox"), N);
    json_t *mails = h_mails(env), *apps = json_object(), *mv;
    size_t i;
    json_array_foreach(mails, i, mv)
    {
        json_object_set(apps, json_string_value(json_object_get(mv, "application_id")),
                        json_true());
    }
    assert_int_equal(json_array_size(mails), N);
    assert_int_equal(json_object_size(apps), N);
    json_decref(apps);
    json_decref(mails);
}

/* Events of a stage in the outbox for an application. */
static long long stage_events(const char *id, const char *stage)
{
    return q("SELECT count(*) FROM outbox WHERE application_id = '%s' AND stage = '%s'", id, stage);
}

/* The service term itself (¶7): an application stuck because an agency rejected its request
 * (422) is at risk a working day before its term ends and breached, with an incident, when
 * the term passes; one whose license was issued in time publishes neither. Registered Monday
 * 16 March 10:00:07, the 15 WD end on 9 April 18:30 (21-25 March are off): at risk from
 * 8 April 18:30. */
static void service_term_watched(void **state)
{
    (void)state;
    env = h_setup("decisions_service_term");
    h_clock_freeze(env, T0);
    const char *controls[] = {"{\"agency\": \"sanitary\", \"fail_next\": 1, \"fail_status\": 422}",
                              NULL};
    start_stack(controls, NULL);
    const char *stuck = "d0000000-0000-4000-8000-000000000031";
    const char *done = "d0000000-0000-4000-8000-000000000032";
    submit(stuck);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND agency = 'sanitary' AND state = 'rejected'",
                       stuck));
    submit(done);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       done));
    assert_int_equal(q("SELECT count(*) FROM applications WHERE to_char(term_watch_at AT TIME ZONE"
                       " 'Asia/Almaty', 'YYYY-MM-DD HH24:MI') = '2026-04-08 18:30'"),
                     2);
    struct {
        const char *at;
        long long at_risk, breached;
    } steps[] = {
        {"2026-04-08T18:29:00+05:00", 0, 0}, {"2026-04-08T18:31:00+05:00", 1, 0},
        {"2026-04-09T18:29:00+05:00", 1, 0}, {"2026-04-09T18:31:00+05:00", 1, 1},
        {"2026-04-20T12:00:00+05:00", 1, 1},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        h_clock_freeze(env, steps[i].at);
        /* Every look due by now has been taken once none is left in the past. */
        assert_true(wait_q(0, 10000,
                           "SELECT count(*) FROM applications WHERE term_watch_at <= '%s'",
                           steps[i].at));
        long long risk = stage_events(stuck, "deadline_at_risk");
        long long breach = stage_events(stuck, "deadline_breached");
        print_message("%s: at risk %lld, breached %lld\n", steps[i].at, risk, breach);
        assert_int_equal(risk, steps[i].at_risk);
        assert_int_equal(breach, steps[i].breached);
        assert_int_equal(q("SELECT count(*) FROM incidents WHERE application_id = '%s'"
                           " AND kind = 'service_term_breached'",
                           stuck),
                         steps[i].breached);
        assert_int_equal(
            stage_events(done, "deadline_at_risk") + stage_events(done, "deadline_breached"), 0);
    }
    assert_int_equal(q("SELECT count(*) FROM applications WHERE term_watch_at IS NOT NULL"), 0);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE application_id = '%s'"
                       " AND stage = 'deadline_at_risk' AND convert_from(payload, 'UTF8')::jsonb"
                       "->'data'->'detail' @> '{\"deadline\": \"service_term\","
                       " \"due\": \"2026-04-09T18:30:00+05:00\", \"working_days_left\": 1,"
                       " \"stage\": \"awaiting_approvals\"}'",
                       stuck),
                     1);
    char *stages = stages_of(stuck, 11);
    print_message("%s\n", stages);
    assert_non_null(strstr(stages, "deadline_at_risk deadline_breached"));
    free(stages);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(compliant_license, teardown),
        cmocka_unit_test_teardown(refusal_after_hearing, teardown),
        cmocka_unit_test_teardown(notice_after_mailer_killed, teardown),
        cmocka_unit_test_teardown(two_mailers_once, teardown),
        cmocka_unit_test_teardown(withdrawn_license, teardown),
        cmocka_unit_test_teardown(deemed_license, teardown),
        cmocka_unit_test_teardown(hearing_outcome_overdue, teardown),
        cmocka_unit_test_teardown(two_deciders_gapless, teardown),
        cmocka_unit_test_teardown(mixed_round, teardown),
        cmocka_unit_test_teardown(service_term_watched, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("decisions", tests, NULL, NULL);
}
