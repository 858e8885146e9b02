/* decision: see decision.h. */
#include "decision.h"
#include "store_sql.h"
#include "jsonx.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The grounds recorded with their facts (migration 021: the registries' so far). */
static int recorded_grounds(db_t *db, const char *application_id, json_t *grounds, db_rc_t *rc)
{
    const char *p[] = {application_id};
    PGresult *r = db_query(db, sql_dec_grounds_select_grounds, 1, p, rc);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        char key[40];
        snprintf(key, sizeof(key), "ground:%s", PQgetvalue(r, i, 6));
        json_t *g = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "key", key, "code", PQgetvalue(r, i, 0),
                              "text_ru", PQgetvalue(r, i, 1), "text_kk", PQgetvalue(r, i, 2),
                              "rule", PQgetvalue(r, i, 3), "number", atoi(PQgetvalue(r, i, 5)));
        json_t *ev = PQgetisnull(r, i, 4) ? NULL : json_loads(PQgetvalue(r, i, 4), 0, NULL);
        if (ev)
            json_object_set_new(g, "evidence", ev);
        json_array_append_new(grounds, g);
    }
    PQclear(r);
    return 0;
}

json_t *dec_grounds(db_t *db, const char *application_id, db_rc_t *rc)
{
    const char *p[] = {application_id};
    PGresult *r = db_query(db, sql_dec_grounds_select_agency_requests, 1, p, rc);
    if (!r)
        return NULL;
    json_t *grounds = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        int sanitary = strcmp(PQgetvalue(r, i, 0), "sanitary") == 0;
        int issue = strcmp(PQgetvalue(r, i, 2), "issue") == 0;
        json_t *reasons = json_loads(PQgetvalue(r, i, 1), 0, NULL);
        char joined[3000] = "";
        size_t k;
        json_t *v;
        json_array_foreach(reasons, k, v)
        {
            if (k)
                strncat(joined, "; ", sizeof(joined) - strlen(joined) - 1);
            strncat(joined, json_string_value(v), sizeof(joined) - strlen(joined) - 1);
        }
        json_decref(reasons);
        char ru[3500], kk[3500];
        snprintf(ru, sizeof(ru),
                 "%s сообщило о несоответствии заявителя предъявляемым "
                 "требованиям: %s",
                 sanitary ? "территориальное подразделение санитарно-эпидемиологического "
                            "контроля"
                          : "территориальное подразделение в области промышленной "
                            "безопасности",
                 joined);
        snprintf(kk, sizeof(kk),
                 "%s өтініш берушінің талаптарға сәйкес еместігі туралы "
                 "хабарлады: %s",
                 sanitary ? "санитариялық-эпидемиологиялық бақылаудың аумақтық бөлімшесі"
                          : "өнеркәсіптік қауіпсіздік саласындағы аумақтық бөлімше",
                 joined);
        char key[64];
        snprintf(key, sizeof(key), "agency:%s", PQgetvalue(r, i, 3));
        json_array_append_new(grounds,
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "key", key, "code",
                                        "agency_non_compliant", "agency", PQgetvalue(r, i, 0),
                                        "text_ru", ru, "text_kk", kk, "rule",
                                        issue ? "Standard row 9, issue ground 4"
                                              : "Standard row 9, re-registration ground 3"));
    }
    PQclear(r);
    /* The grounds recorded by the registries' step (split ground 3 among them: the license
     * already passed to a sibling of the same split, registry.h). */
    if (recorded_grounds(db, application_id, grounds, rc)) {
        json_decref(grounds);
        return NULL;
    }
    return grounds;
}

/* The grant's state change: its status event and transition (to `ob` when given). The
 * documents (`others`: a re-registration's further annexes) and `approvals` (JSON text) are
 * borrowed. */
static db_rc_t granted(db_t *db, ob_batch_t *ob, const dec_ctx_t *ctx, apv_app_t *app,
                       dom_stage_t from, dom_stage_t to, json_t *license, json_t *annex,
                       json_t *others, const char *approvals, const char *term_note, time_t now,
                       const ob_cause_t *cause)
{
    json_t *a = json_loads(approvals, 0, NULL);
    json_t *detail = json_pack("{s:O,s:O,s:o}", "license", license ? license : json_null(), "annex",
                               annex, "approvals", a ? a : json_array());
    if (json_array_size(others) > 0)
        json_object_set(detail, "annexes", others);
    if (term_note && term_note[0]) /* ¶7: the decision records why the term was not kept */
        json_object_set_new(detail, "term_not_kept", json_string(term_note));
    ev_status_t status = ev_status_of(to);
    const char *key = ev_status_name(status);
    db_rc_t rc = ob ? ob_batch_status_event(ob, ctx->source, app->application_id, app->portal_ref,
                                            status, now, app->service_deadline, detail, key)
                    : ob_status_event(db, ctx->source, app->application_id, app->portal_ref, status,
                                      now, app->service_deadline, detail, key);
    if (rc != DB_OK)
        return rc;
    rc = ob ? ob_batch_transition(ob, app->application_id, from, to, now, cause)
            : ob_transition(db, app->application_id, from, to, now, cause);
    if (rc == DB_OK)
        app->stage = to;
    return rc;
}

/* A grant: no ground found, or the refusal withdrawn at the hearing with every agency's
 * answer in (the transition table's guards tell which license stage). */
static dom_stage_t grant_stage(dom_stage_t from, int reissue)
{
    dom_facts_t facts = {.reissue = reissue, .hearing = DOM_HEARING_WITHDRAWN};
    return dom_next(from, &facts);
}

db_rc_t dec_grant(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, dom_stage_t from, time_t now,
                  const ob_cause_t *cause)
{
    db_rc_t rc;
    const char *p[] = {app->application_id};
    PGresult *r = db_query(db, sql_dec_grant_select_applications, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA;
    }
    int issue = strcmp(PQgetvalue(r, 0, 0), "issue") == 0;
    json_t *license = NULL, *annex = NULL, *others = NULL;
    const char *ids[] = {app->application_id};
    if ((rc = doc_issue_licenses(db, &ctx->lic, ids, 1, now, &license, &annex, &others)) == DB_OK)
        rc = granted(db, NULL, ctx, app, from, grant_stage(from, !issue), license, annex, others,
                     PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), now, cause);
    PQclear(r);
    json_decref(license);
    json_decref(annex);
    json_decref(others);
    return rc;
}

/* The notice's body, in Kazakh and Russian: the grounds and the hearing (its time written in by
 * the mailer, DEC_HEARING_AT). `further`: grounds joining a hearing already noticed. Malloc'd. */
static char *notice_body(const dec_ctx_t *ctx, const apv_app_t *app, const char *name,
                         const json_t *grounds, int further)
{
    size_t glen = 0, i;
    json_t *g;
    json_array_foreach(grounds, i, g) glen +=
        strlen(json_string_value(json_object_get(g, "text_ru"))) +
        strlen(json_string_value(json_object_get(g, "text_kk"))) + 16;
    size_t blen = glen + 4096;
    char *body = malloc(blen);
    if (!body)
        return NULL;
    int n = snprintf(body, blen, "Құрметті %s!\r\n\r\n%s өтініші бойынша %s Негіздер:\r\n", name,
                     app->portal_ref,
                     further ? "бас тарту туралы алдын ала шешімге қосымша негіздер анықталды."
                             : "бас тарту туралы алдын ала шешім туралы хабарлаймыз.");
    json_array_foreach(grounds, i, g) n += snprintf(
        body + n, blen - (size_t)n, " - %s\r\n", json_string_value(json_object_get(g, "text_kk")));
    n += snprintf(body + n, blen - (size_t)n,
                  "Тыңдау %s өтеді (%s). Өз ұстанымыңызды білдіре аласыз.\r\n\r\n"
                  "Уважаемый(ая) %s!\r\n\r\n%s %s (пункт 13 Правил). Основания:\r\n",
                  DEC_HEARING_AT, ctx->means, name,
                  further ? "К предварительному решению об отказе по заявлению"
                          : "Сообщаем о предварительном решении об отказе по заявлению",
                  app->portal_ref);
    if (further)
        n += snprintf(body + n, blen - (size_t)n, "выявлены дополнительные основания.\r\n");
    json_array_foreach(grounds, i, g) n += snprintf(
        body + n, blen - (size_t)n, " - %s\r\n", json_string_value(json_object_get(g, "text_ru")));
    snprintf(body + n, blen - (size_t)n,
             "Заслушивание состоится %s (%s). Вы вправе выразить свою позицию по "
             "предварительному решению.\r\n\r\n%s\r\n",
             DEC_HEARING_AT, ctx->means, ctx->lic.name_ru);
    return body;
}

/* The applicant's name, and the e-mail the application gave. */
static db_rc_t applicant_contact(db_t *db, const char *application_id, char *email,
                                 size_t email_size, char *name, size_t name_size)
{
    db_rc_t rc;
    const char *pe[] = {application_id};
    PGresult *r =
        db_query(db, "SELECT email, name FROM applicants WHERE application_id = $1", 1, pe, &rc);
    if (!r)
        return rc;
    snprintf(email, email_size, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    snprintf(name, name_size, "%s", PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
    PQclear(r);
    return DB_OK;
}

static db_rc_t queue_notice(db_t *db, const dec_ctx_t *ctx, const apv_app_t *app, const char *kind,
                            const char *ref, const char *email, const char *name,
                            const json_t *grounds, int further)
{
    char subject[300];
    snprintf(subject, sizeof(subject), "%s: заявление %s",
             further ? "Тыңдау туралы қосымша хабарлама / Дополнительное уведомление о "
                       "заслушивании"
                     : "Тыңдау туралы хабарлама / Уведомление о заслушивании",
             app->portal_ref);
    char *body = notice_body(ctx, app, name, grounds, further);
    if (!body)
        return DB_ERR_RETRY;
    const char *pm[] = {app->application_id, ref, email, subject, body, kind};
    db_rc_t rc = db_exec(db, sql_propose_refusal_insert_email_outbox, 6, pm);
    free(body);
    return rc;
}

/* ¶13: the notice at least 3 WD before the term ends, the hearing at most 2 WD after it; from
 * `from`, as soon as a ground exists. A ground that came too late for that: the notice at once,
 * an incident, and the term's note the decision records. */
static db_rc_t propose_refusal(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, dom_stage_t from,
                               json_t *grounds, time_t now, const ob_cause_t *cause)
{
    char err[256];
    time_t notice_due, hearing_at, outcome_due;
    /* The hearing as planned if the notice goes now; the mailer fixes it from the moment the
     * notice actually goes (DEC_HEARING_AT in the body). */
    if (cal_sub_working_days(ctx->cal, app->service_deadline, CAL_NOTICE_BEFORE_END_WD, &notice_due,
                             err, sizeof(err)) ||
        cal_hearing_times(ctx->cal, now, &hearing_at, &outcome_due, err, sizeof(err))) {
        log_error("calendar: %s", err);
        return DB_ERR_RETRY;
    }
    char email[300], name[600];
    db_rc_t rc =
        applicant_contact(db, app->application_id, email, sizeof(email), name, sizeof(name));
    if (rc != DB_OK)
        return rc;
    /* One id per hearing of the application, the same on a retry (the first keeps the id it
     * had before an application could have a second). */
    const char *pa[] = {app->application_id};
    PGresult *r = db_query(db, sql_dec_hearings_count, 1, pa, &rc);
    if (!r)
        return rc;
    long earlier = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    char hid[UUID_STR_LEN], name_key[96];
    if (earlier == 0)
        snprintf(name_key, sizeof(name_key), "hearing:%s", app->application_id);
    else
        snprintf(name_key, sizeof(name_key), "hearing:%s:%ld", app->application_id, earlier);
    util_uuid_derive(name_key, hid);
    char now_s[40], due_s[40], at_s[40], due_local[40], now_local[40], note[400] = "";
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    util_rfc3339_utc(notice_due, due_s, sizeof(due_s));
    util_rfc3339_utc(hearing_at, at_s, sizeof(at_s));
    cal_format(notice_due, due_local, sizeof(due_local));
    cal_format(now, now_local, sizeof(now_local));
    if (now > notice_due)
        snprintf(note, sizeof(note),
                 "the refusal ground appeared on %s, after the last moment for the hearing "
                 "notice (%s, 3 WD before the service term ends): the notice went at once and "
                 "the service term could not be kept",
                 now_local, due_local);
    char *grounds_s = jx_dumps(grounds);
    const char *ph[] = {hid,   app->application_id,  grounds_s, now_s, due_s, at_s, ctx->means,
                        email, note[0] ? note : NULL};
    rc = grounds_s ? db_exec(db, sql_propose_refusal_insert_hearings, 9, ph) : DB_ERR_RETRY;
    free(grounds_s);
    if (rc != DB_OK)
        return rc;
    if ((rc = queue_notice(db, ctx, app, "hearing_notice", hid, email, name, grounds, 0)) != DB_OK)
        return rc;
    if (note[0] && (rc = apv_incident(db, app->application_id, "hearing_notice_late", hid, note,
                                      now)) != DB_OK)
        return rc;
    if ((rc = tm_schedule(db, app->application_id, TIMER_HEARING_OUTCOME, hid, outcome_due)) !=
        DB_OK)
        return rc;
    /* From refusal_proposed (a ground the withdrawn hearing did not hear): a hearing of its
     * own, the stage as it is; the mailer publishes the proposal when its notice goes. */
    if (from != STAGE_REFUSAL_PROPOSED &&
        (rc = ob_transition(db, app->application_id, from, STAGE_REFUSAL_PROPOSED, now, cause)) !=
            DB_OK)
        return rc;
    app->stage = STAGE_REFUSAL_PROPOSED;
    return DB_OK;
}

/* Grounds found while the hearing is pending join it (the refusal quotes them), told to the
 * applicant in a further notice. `grounds` is every ground in force; those the hearing holds
 * already are left out. */
static db_rc_t join_hearing(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, json_t *grounds,
                            time_t now)
{
    db_rc_t rc;
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    const char *pt[] = {app->application_id, now_s};
    PGresult *r = db_query(db, sql_join_hearing_select_hearings, 2, pt, &rc);
    if (!r)
        return rc;
    json_t *held = PQntuples(r) && strcmp(PQgetvalue(r, 0, 1), "t") == 0
                       ? json_loads(PQgetvalue(r, 0, 0), 0, NULL)
                       : NULL;
    PQclear(r);
    /* No hearing pending (concluded meanwhile), or its time come: a ground it cannot hear now
     * waits for its outcome - withdrawn, the ground has a hearing of its own (dec_withdrawn). */
    if (!held)
        return DB_OK;
    json_t *joining = json_array();
    size_t i, k;
    json_t *g, *h;
    json_array_foreach(grounds, i, g)
    {
        const char *key = json_string_value(json_object_get(g, "key"));
        int found = 0;
        json_array_foreach(held, k, h)
        {
            const char *hk = json_string_value(json_object_get(h, "key"));
            /* A hearing proposed before grounds had keys (migration 028): its words tell. */
            found |=
                hk ? key && strcmp(hk, key) == 0
                   : json_equal(json_object_get(h, "code"), json_object_get(g, "code")) &&
                         json_equal(json_object_get(h, "text_ru"), json_object_get(g, "text_ru"));
        }
        if (!found)
            json_array_append(joining, g);
    }
    json_decref(held);
    if (json_array_size(joining) == 0) {
        json_decref(joining);
        return DB_OK;
    }
    char *joining_s = jx_dumps(joining);
    const char *pj[] = {app->application_id, joining_s};
    rc = DB_ERR_RETRY; /* out of memory, unless the query says otherwise */
    r = joining_s ? db_query(db, sql_dec_pending_hearing, 2, pj, &rc) : NULL;
    free(joining_s);
    if (!r || PQntuples(r) != 1) {
        if (r)
            PQclear(r);
        json_decref(joining);
        return r ? DB_ERR_DATA : rc;
    }
    char ref[96], email[300], name[600];
    snprintf(ref, sizeof(ref), "%s/%s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2));
    snprintf(email, sizeof(email), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    char ignored[300];
    if ((rc = applicant_contact(db, app->application_id, ignored, sizeof(ignored), name,
                                sizeof(name))) == DB_OK)
        rc = queue_notice(db, ctx, app, "hearing_supplement", ref, email, name, joining, 1);
    json_decref(joining);
    return rc;
}

/* One application of dec_decide_many() that is not a first issue the agencies agreed to: in
 * awaiting_decision granted or a refusal proposed; earlier, a refusal proposed if a ground
 * exists; in refusal_proposed, new grounds join the hearing. */
static db_rc_t decide_one(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                          const ob_cause_t *cause)
{
    db_rc_t rc;
    json_t *grounds = dec_grounds(db, app->application_id, &rc);
    if (!grounds)
        return rc;
    dom_facts_t facts = {.grounds = (int)json_array_size(grounds)};
    if (app->stage == STAGE_REFUSAL_PROPOSED)
        rc = join_hearing(db, ctx, app, grounds, now);
    else if (dom_next(app->stage, &facts) == STAGE_REFUSAL_PROPOSED)
        rc = propose_refusal(db, ctx, app, app->stage, grounds, now, cause);
    else if (app->stage == STAGE_AWAITING_DECISION)
        rc = dec_grant(db, ctx, app, STAGE_AWAITING_DECISION, now, cause);
    json_decref(grounds);
    return rc;
}

int dec_decide_many(db_t *db, const dec_ctx_t *ctx, const char *ids, time_t now,
                    const ob_cause_t *cause)
{
    db_rc_t rc;
    const char *p[] = {ids};
    PGresult *r = db_query_adhoc(db, sql_dec_decide_many_select_applications, 1, p, &rc);
    if (!r)
        return rc;
    int n = PQntuples(r), k = 0, decided = 0;
    apv_app_t *apps = calloc((size_t)n + 1, sizeof(*apps));
    const char **gids = calloc((size_t)n + 1, sizeof(*gids));
    int *grow = calloc((size_t)n + 1, sizeof(*grow));
    json_t **licenses = calloc((size_t)n + 1, sizeof(json_t *));
    json_t **annexes = calloc((size_t)n + 1, sizeof(json_t *));
    json_t **others = calloc((size_t)n + 1, sizeof(json_t *));
    rc = apps && gids && grow && licenses && annexes && others ? DB_OK : DB_ERR_RETRY;
    for (int i = 0; i < n && rc == DB_OK; i++) {
        apv_app_t *app = &apps[i];
        apv_app_read(r, i, 1, PQgetvalue(r, i, 0), app);
        if (app->stage != STAGE_AWAITING_DECISION && app->stage != STAGE_AWAITING_APPROVALS &&
            app->stage != STAGE_AWAITING_REPLIES && app->stage != STAGE_REFUSAL_PROPOSED)
            continue;
        if (strcmp(PQgetvalue(r, i, 7), "t") == 0)
            continue; /* its approval requests first: the decider comes back once they are made */
        decided++;
        if (app->stage == STAGE_AWAITING_DECISION && strcmp(PQgetvalue(r, i, 5), "t") == 0) {
            gids[k] = app->application_id;
            grow[k++] = i;
        } else {
            /* A refusal to propose, or a re-registration: one at a time (few). */
            rc = decide_one(db, ctx, app, now, cause);
        }
    }
    /* Every ground of theirs acted on now. */
    if (rc == DB_OK && n > 0)
        rc = db_exec(db, sql_dec_ground_pending_clear, 1, p);
    /* First issues with every agency in agreement: the documents, status events and
     * transitions of all of them in a fixed number of statements. */
    if (rc == DB_OK && k > 0)
        rc = doc_issue_licenses(db, &ctx->lic, gids, k, now, licenses, annexes, others);
    if (rc == DB_OK && k > 0) {
        ob_batch_t ob;
        if (ob_batch_init(&ob))
            rc = DB_ERR_RETRY;
        for (int j = 0; j < k && rc == DB_OK; j++)
            rc = granted(db, &ob, ctx, &apps[grow[j]], STAGE_AWAITING_DECISION,
                         grant_stage(STAGE_AWAITING_DECISION, 0), licenses[j], annexes[j],
                         others[j], PQgetvalue(r, grow[j], 6), NULL, now, cause);
        if (rc == DB_OK)
            rc = ob_batch_flush(db, &ob);
        ob_batch_free(&ob);
    }
    for (int j = 0; licenses && annexes && others && j < k; j++) {
        json_decref(licenses[j]);
        json_decref(annexes[j]);
        json_decref(others[j]);
    }
    PQclear(r);
    free(apps);
    free(gids);
    free(grow);
    free(licenses);
    free(annexes);
    free(others);
    return rc == DB_OK ? decided : rc;
}

db_rc_t dec_overturn(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, const char *complaint_id,
                     time_t now, const ob_cause_t *cause)
{
    db_rc_t rc;
    const char *po[] = {app->application_id, complaint_id};
    if ((rc = db_exec(db, sql_dec_overturn_update_hearings, 2, po)) != DB_OK)
        return rc;
    const char *p[] = {app->application_id};
    PGresult *r = db_query(db, sql_dec_withdrawn_select_requests, 1, p, &rc);
    if (!r)
        return rc;
    int unanswered = atoi(PQgetvalue(r, 0, 0)), unreceived = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    dom_stage_t to = unreceived   ? STAGE_AWAITING_APPROVALS
                     : unanswered ? STAGE_AWAITING_REPLIES
                                  : STAGE_AWAITING_DECISION;
    if ((rc = ob_transition(db, app->application_id, STAGE_REFUSED, to, now, cause)) != DB_OK)
        return rc;
    app->stage = to;
    return to == STAGE_AWAITING_DECISION
               ? dec_grant(db, ctx, app, STAGE_AWAITING_DECISION, now, cause)
               : DB_OK;
}

db_rc_t dec_refuse(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                   const ob_cause_t *cause)
{
    db_rc_t rc;
    const char *p[] = {app->application_id};
    PGresult *r = db_query(db, sql_dec_refuse_select_hearings, 1, p, &rc);
    if (!r)
        return rc;
    json_t *grounds = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    char note[400] = "";
    if (PQntuples(r) && !PQgetisnull(r, 0, 1))
        snprintf(note, sizeof(note), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    if (!grounds)
        return DB_ERR_DATA;
    json_t *doc = NULL;
    rc = doc_issue_refusal(db, &ctx->lic, app->application_id, DOC_REFUSAL_AFTER_HEARING, grounds,
                           now, &doc);
    json_decref(grounds);
    if (rc != DB_OK)
        return rc;
    json_t *detail = json_pack("{s:o}", "document", doc);
    if (note[0]) /* ¶7: the decision records why the term was not kept */
        json_object_set_new(detail, "term_not_kept", json_string(note));
    if ((rc = ob_status_event(db, ctx->source, app->application_id, app->portal_ref, EV_ST_REFUSED,
                              now, app->service_deadline, detail, "refused")) != DB_OK)
        return rc;
    if ((rc = ob_transition(db, app->application_id, STAGE_REFUSAL_PROPOSED, STAGE_REFUSED, now,
                            cause)) != DB_OK)
        return rc;
    app->stage = STAGE_REFUSED;
    return DB_OK;
}

db_rc_t dec_withdrawn(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                      const ob_cause_t *cause)
{
    db_rc_t rc;
    /* A ground found while the hearing was pending that it could not hear (its time had come)
     * or that had not joined it yet: never granted over, heard on its own. */
    json_t *unheard = dec_grounds(db, app->application_id, &rc);
    if (!unheard)
        return rc;
    if (json_array_size(unheard) > 0) {
        rc = propose_refusal(db, ctx, app, STAGE_REFUSAL_PROPOSED, unheard, now, cause);
        json_decref(unheard);
        return rc;
    }
    json_decref(unheard);
    const char *p[] = {app->application_id};
    PGresult *r = db_query(db, sql_dec_withdrawn_select_requests, 1, p, &rc);
    if (!r)
        return rc;
    dom_facts_t facts = {.hearing = DOM_HEARING_WITHDRAWN,
                         .unanswered = atoi(PQgetvalue(r, 0, 0)),
                         .unreceived = atoi(PQgetvalue(r, 0, 1))};
    PQclear(r);
    dom_stage_t to = dom_next(STAGE_REFUSAL_PROPOSED, &facts);
    if (to != STAGE_AWAITING_APPROVALS && to != STAGE_AWAITING_REPLIES)
        return dec_grant(db, ctx, app, STAGE_REFUSAL_PROPOSED, now, cause);
    if ((rc = ob_transition(db, app->application_id, STAGE_REFUSAL_PROPOSED, to, now, cause)) ==
        DB_OK)
        app->stage = to;
    return rc;
}
