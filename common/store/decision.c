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
        json_t *g = json_pack("{s:s,s:s,s:s,s:s,s:i}", "code", PQgetvalue(r, i, 0), "text_ru",
                              PQgetvalue(r, i, 1), "text_kk", PQgetvalue(r, i, 2), "rule",
                              PQgetvalue(r, i, 3), "number", atoi(PQgetvalue(r, i, 5)));
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
        json_array_append_new(
            grounds, json_pack("{s:s,s:s,s:s,s:s,s:s}", "code", "agency_non_compliant", "agency",
                               PQgetvalue(r, i, 0), "text_ru", ru, "text_kk", kk, "rule",
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
 * documents and `approvals` (JSON text) are borrowed. */
static db_rc_t granted(db_t *db, ob_batch_t *ob, const dec_ctx_t *ctx, apv_app_t *app,
                       dom_stage_t from, dom_stage_t to, json_t *license, json_t *annex,
                       const char *approvals, time_t now, const ob_cause_t *cause)
{
    json_t *a = json_loads(approvals, 0, NULL);
    json_t *detail = json_pack("{s:O,s:O,s:o}", "license", license ? license : json_null(), "annex",
                               annex, "approvals", a ? a : json_array());
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

/* A grant: no ground found, or the refusal withdrawn at the hearing (the transition table's
 * guards tell which license stage). */
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
    json_t *license = NULL, *annex = NULL;
    const char *ids[] = {app->application_id};
    if ((rc = doc_issue_licenses(db, &ctx->lic, ids, 1, now, &license, &annex)) == DB_OK)
        rc = granted(db, NULL, ctx, app, from, grant_stage(from, !issue), license, annex,
                     PQgetvalue(r, 0, 1), now, cause);
    PQclear(r);
    json_decref(license);
    json_decref(annex);
    return rc;
}

/* ¶13: the notice at least 3 WD before the term ends, the hearing at most 2 WD after it. */
static db_rc_t propose_refusal(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, json_t *grounds,
                               time_t now, const ob_cause_t *cause)
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
    db_rc_t rc;
    const char *pe[] = {app->application_id};
    PGresult *r =
        db_query(db, "SELECT email, name FROM applicants WHERE application_id = $1", 1, pe, &rc);
    if (!r)
        return rc;
    char email[300], name[600];
    snprintf(email, sizeof(email), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    snprintf(name, sizeof(name), "%s", PQntuples(r) ? PQgetvalue(r, 0, 1) : "");
    PQclear(r);

    char hid[UUID_STR_LEN], name_key[96];
    snprintf(name_key, sizeof(name_key), "hearing:%s", app->application_id);
    util_uuid_derive(name_key, hid); /* one hearing per application, same id on a retry */
    char now_s[40], due_s[40], at_s[40], due_local[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    util_rfc3339_utc(notice_due, due_s, sizeof(due_s));
    util_rfc3339_utc(hearing_at, at_s, sizeof(at_s));
    cal_format(notice_due, due_local, sizeof(due_local));
    char *grounds_s = jx_dumps(grounds);
    const char *ph[] = {hid, app->application_id, grounds_s, now_s, due_s, at_s, ctx->means, email};
    rc = db_exec(db, sql_propose_refusal_insert_hearings, 8, ph);
    free(grounds_s);
    if (rc != DB_OK)
        return rc;

    /* The notice, in Kazakh and Russian, to the e-mail given in the application. */
    size_t glen = 0;
    size_t i;
    json_t *g;
    json_array_foreach(grounds, i, g) glen +=
        strlen(json_string_value(json_object_get(g, "text_ru"))) +
        strlen(json_string_value(json_object_get(g, "text_kk"))) + 16;
    size_t blen = glen + 4096;
    char *body = malloc(blen);
    char subject[300];
    snprintf(subject, sizeof(subject),
             "Тыңдау туралы хабарлама / Уведомление о заслушивании: заявление %s", app->portal_ref);
    if (!body)
        return DB_ERR_RETRY;
    int n = snprintf(body, blen,
                     "Құрметті %s!\r\n\r\n"
                     "%s өтініші бойынша бас тарту туралы алдын ала шешім туралы хабарлаймыз. "
                     "Негіздер:\r\n",
                     name, app->portal_ref);
    json_array_foreach(grounds, i, g) n += snprintf(
        body + n, blen - (size_t)n, " - %s\r\n", json_string_value(json_object_get(g, "text_kk")));
    n += snprintf(body + n, blen - (size_t)n,
                  "Тыңдау %s өтеді (%s). Өз ұстанымыңызды білдіре аласыз.\r\n\r\n"
                  "Уважаемый(ая) %s!\r\n\r\n"
                  "Сообщаем о предварительном решении об отказе по заявлению %s "
                  "(пункт 13 Правил). Основания:\r\n",
                  DEC_HEARING_AT, ctx->means, name, app->portal_ref);
    json_array_foreach(grounds, i, g) n += snprintf(
        body + n, blen - (size_t)n, " - %s\r\n", json_string_value(json_object_get(g, "text_ru")));
    snprintf(body + n, blen - (size_t)n,
             "Заслушивание состоится %s (%s). Вы вправе выразить свою позицию по "
             "предварительному решению.\r\n\r\n%s\r\n",
             DEC_HEARING_AT, ctx->means, ctx->lic.name_ru);
    const char *pm[] = {app->application_id, hid, email, subject, body};
    rc = db_exec(db, sql_propose_refusal_insert_email_outbox, 5, pm);
    free(body);
    if (rc != DB_OK)
        return rc;
    if (now > notice_due) {
        char detail[300];
        snprintf(detail, sizeof(detail),
                 "the refusal ground appeared after the last moment for the hearing notice "
                 "(%s, 3 WD before the service term ends)",
                 due_local);
        if ((rc = apv_incident(db, app->application_id, "hearing_notice_late", hid, detail, now)) !=
            DB_OK)
            return rc;
    }
    if ((rc = tm_schedule(db, app->application_id, TIMER_HEARING_OUTCOME, hid, outcome_due)) !=
        DB_OK)
        return rc;
    if ((rc = ob_transition(db, app->application_id, STAGE_AWAITING_DECISION,
                            STAGE_REFUSAL_PROPOSED, now, cause)) != DB_OK)
        return rc;
    app->stage = STAGE_REFUSAL_PROPOSED;
    return DB_OK;
}

/* One application of dec_decide_many() that is not a first issue the agencies agreed to. */
static db_rc_t decide_one(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                          const ob_cause_t *cause)
{
    if (app->stage != STAGE_AWAITING_DECISION)
        return DB_OK;
    db_rc_t rc;
    json_t *grounds = dec_grounds(db, app->application_id, &rc);
    if (!grounds)
        return rc;
    dom_facts_t facts = {.grounds = (int)json_array_size(grounds)};
    if (dom_next(STAGE_AWAITING_DECISION, &facts) == STAGE_REFUSAL_PROPOSED)
        rc = propose_refusal(db, ctx, app, grounds, now, cause);
    else
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
    rc = apps && gids && grow && licenses && annexes ? DB_OK : DB_ERR_RETRY;
    for (int i = 0; i < n && rc == DB_OK; i++) {
        apv_app_t *app = &apps[i];
        apv_app_read(r, i, 1, PQgetvalue(r, i, 0), app);
        if (app->stage != STAGE_AWAITING_DECISION)
            continue;
        decided++;
        if (strcmp(PQgetvalue(r, i, 5), "t") == 0) {
            gids[k] = app->application_id;
            grow[k++] = i;
        } else {
            /* A refusal to propose, or a re-registration: one at a time (few). */
            rc = decide_one(db, ctx, app, now, cause);
        }
    }
    /* First issues with every agency in agreement: the documents, status events and
     * transitions of all of them in a fixed number of statements. */
    if (rc == DB_OK && k > 0)
        rc = doc_issue_licenses(db, &ctx->lic, gids, k, now, licenses, annexes);
    if (rc == DB_OK && k > 0) {
        ob_batch_t ob;
        if (ob_batch_init(&ob))
            rc = DB_ERR_RETRY;
        for (int j = 0; j < k && rc == DB_OK; j++)
            rc = granted(db, &ob, ctx, &apps[grow[j]], STAGE_AWAITING_DECISION,
                         grant_stage(STAGE_AWAITING_DECISION, 0), licenses[j], annexes[j],
                         PQgetvalue(r, grow[j], 6), now, cause);
        if (rc == DB_OK)
            rc = ob_batch_flush(db, &ob);
        ob_batch_free(&ob);
    }
    for (int j = 0; licenses && annexes && j < k; j++) {
        json_decref(licenses[j]);
        json_decref(annexes[j]);
    }
    PQclear(r);
    free(apps);
    free(gids);
    free(grow);
    free(licenses);
    free(annexes);
    return rc == DB_OK ? decided : rc;
}

db_rc_t dec_refuse(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                   const ob_cause_t *cause)
{
    db_rc_t rc;
    const char *p[] = {app->application_id};
    PGresult *r =
        db_query(db, "SELECT grounds::text FROM hearings WHERE application_id = $1", 1, p, &rc);
    if (!r)
        return rc;
    json_t *grounds = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    if (!grounds)
        return DB_ERR_DATA;
    json_t *doc = NULL;
    rc = doc_issue_refusal(db, &ctx->lic, app->application_id, DOC_REFUSAL_AFTER_HEARING, grounds,
                           now, &doc);
    json_decref(grounds);
    if (rc != DB_OK)
        return rc;
    if ((rc = ob_status_event(db, ctx->source, app->application_id, app->portal_ref, EV_ST_REFUSED,
                              now, app->service_deadline, json_pack("{s:o}", "document", doc),
                              "refused")) != DB_OK)
        return rc;
    if ((rc = ob_transition(db, app->application_id, STAGE_REFUSAL_PROPOSED, STAGE_REFUSED, now,
                            cause)) != DB_OK)
        return rc;
    app->stage = STAGE_REFUSED;
    return DB_OK;
}
