/* approval: see approval.h. */
#include "approval.h"
#include "store_sql.h"
#include "cal.h"
#include "jsonx.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void apv_app_read(PGresult *r, int row, int col, const char *application_id, apv_app_t *out)
{
    snprintf(out->application_id, sizeof(out->application_id), "%s", application_id);
    out->stage = dom_stage_parse(PQgetvalue(r, row, col));
    snprintf(out->portal_ref, sizeof(out->portal_ref), "%s", PQgetvalue(r, row, col + 1));
    out->service_deadline = (time_t)atoll(PQgetvalue(r, row, col + 2));
    out->registered_at = (time_t)atoll(PQgetvalue(r, row, col + 3));
}

/* Locks the applications of `ids` (an array literal) in one order: the rows, or NULL. One
 * application's statement is prepared; a batch's is planned for its array (db_query_adhoc()). */
static PGresult *lock_rows(db_t *db, const char *ids, int skip_locked, int one, db_rc_t *rc)
{
    const char *p[] = {ids};
    const char *sql = skip_locked ? sql_apv_lock_many_skip_locked : sql_apv_lock_many_wait;
    return one ? db_query(db, sql, 1, p, rc) : db_query_adhoc(db, sql, 1, p, rc);
}

db_rc_t apv_lock(db_t *db, const char *application_id, apv_app_t *out)
{
    db_rc_t rc;
    /* Spliced into an array literal: anything but a UUID would be cut or split there. */
    if (!util_is_uuid(application_id))
        return DB_ERR_DATA; /* no such application */
    char ids[64];
    snprintf(ids, sizeof(ids), "{%s}", application_id);
    PGresult *r = lock_rows(db, ids, 0, 1, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA;
    }
    apv_app_read(r, 0, 1, PQgetvalue(r, 0, 0), out);
    PQclear(r);
    return DB_OK;
}

db_rc_t apv_lock_only(db_t *db, const char *application_id)
{
    const char *p[] = {application_id};
    return db_exec(db, "SELECT 1 FROM applications WHERE application_id = $1 FOR UPDATE", 1, p);
}

/* A timers row keyed by (application, kind, ref) and one instant: scheduled, or cancelled. */
static db_rc_t timer_row(db_t *db, const char *sql, const char *application_id, const char *kind,
                         const char *ref, time_t t)
{
    char ts[40];
    util_rfc3339_utc(t, ts, sizeof(ts));
    const char *p[] = {application_id, kind, ref ? ref : "", ts};
    return db_exec(db, sql, 4, p);
}

db_rc_t tm_schedule(db_t *db, const char *application_id, const char *kind, const char *ref,
                    time_t due)
{
    return timer_row(db, sql_tm_schedule_insert_timers, application_id, kind, ref, due);
}

db_rc_t tm_cancel(db_t *db, const char *application_id, const char *kind, const char *ref,
                  time_t at)
{
    return timer_row(db, sql_tm_cancel_update_timers, application_id, kind, ref, at);
}

db_rc_t apv_incident(db_t *db, const char *application_id, const char *kind, const char *ref,
                     const char *detail, time_t at)
{
    char ts[40];
    util_rfc3339_utc(at, ts, sizeof(ts));
    const char *p[] = {application_id, kind, ref ? ref : "", detail, ts};
    db_rc_t rc;
    PGresult *r = db_query(db, sql_apv_incident_insert_incidents, 5, p, &rc);
    if (!r)
        return rc;
    if (atoi(PQcmdTuples(r)) == 1) {
        json_t *f = json_pack("{s:s,s:s,s:s,s:s}", "application_id", application_id, "incident",
                              kind, "ref", ref ? ref : "", "detail", detail);
        log_write(LOG_LEVEL_ERROR, "incident raised", f);
    }
    PQclear(r);
    return DB_OK;
}

db_rc_t apv_advance(db_t *db, apv_app_t *app, time_t now, const ob_cause_t *cause)
{
    db_rc_t rc;
    const char *p[] = {app->application_id};
    PGresult *r = db_query(db, sql_apv_advance_select_agency_requests, 1, p, &rc);
    if (!r)
        return rc;
    int received = atoi(PQgetvalue(r, 0, 0));
    int answered = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return apv_advance_counted(db, NULL, app, received, answered, now, cause);
}

json_t *apv_receipt_detail(const char *agency, const char *request_id, time_t received_at,
                           time_t reply_due_at)
{
    char rfmt[40], dfmt[40];
    cal_format(received_at, rfmt, sizeof(rfmt));
    cal_format(reply_due_at, dfmt, sizeof(dfmt));
    return json_pack("{s:s,s:s,s:s,s:s}", "agency", agency, "request_id", request_id, "received_at",
                     rfmt, "reply_due_at", dfmt);
}

/* One move: written at once, or collected into `ob` when the caller batches. */
static db_rc_t move(db_t *db, ob_batch_t *ob, const char *application_id, dom_stage_t from,
                    dom_stage_t to, time_t now, const ob_cause_t *cause)
{
    return ob ? ob_batch_transition(ob, application_id, from, to, now, cause)
              : ob_transition(db, application_id, from, to, now, cause);
}

db_rc_t apv_advance_counted(db_t *db, ob_batch_t *ob, apv_app_t *app, int received, int answered,
                            time_t now, const ob_cause_t *cause)
{
    dom_facts_t facts = {.requests_received = received, .replies = answered};
    /* The approval stages only: the decision is the decider's (dec_decide_many). */
    while (app->stage == STAGE_AWAITING_APPROVALS || app->stage == STAGE_AWAITING_REPLIES) {
        dom_stage_t to = dom_next(app->stage, &facts);
        if (to == app->stage)
            break;
        db_rc_t rc = move(db, ob, app->application_id, app->stage, to, now, cause);
        if (rc != DB_OK)
            return rc;
        app->stage = to;
    }
    return DB_OK;
}

int apv_lock_many(db_t *db, const char *ids, int skip_locked, apv_locked_t *out, int max,
                  json_t *index, apv_requests_t *reqs)
{
    db_rc_t rc;
    const char *p[] = {ids};
    PGresult *r = lock_rows(db, ids, skip_locked, 0, &rc);
    if (!r)
        return rc;
    int n = 0;
    for (int i = 0; i < PQntuples(r) && n < max; i++, n++) {
        apv_locked_t *a = &out[n];
        if (json_object_set_new(index, PQgetvalue(r, i, 0), json_integer(n))) {
            PQclear(r);
            return DB_ERR_RETRY;
        }
        apv_app_read(r, i, 1, PQgetvalue(r, i, 0), &a->app);
        a->received = a->answered = 0;
    }
    PQclear(r);
    /* The requests in a statement of their own, after the locks: a statement that waited for
     * a lock re-reads the locked row but not its subqueries or joins, which would miss what
     * the holder of the lock committed (a reply, a receipt) - and with it a transition. Not
     * locked themselves: their outcomes and receipts are written only under their
     * application's lock. The counts are taken from them here, not by a second query.
     * Read an application at a time (a nested loop of index lookups: the subquery with
     * OFFSET 0 is not merged into a join), a plan that does not depend on the table's
     * statistics. `application_id = ANY (...)` was planned as a sequential scan while the
     * table had none - a new database until autovacuum's first analyze, minutes under load -
     * reading the whole table for each batch (160-260 ms at 200,000 requests, every round of
     * the dispatcher and the replies worker in the benchmark's lifecycle). */
    r = db_query_adhoc(db, sql_apv_lock_many_select_requests, 1, p, &rc);
    if (!r)
        return rc;
    json_t *req_index = reqs ? json_object() : NULL;
    for (int k = 0; k < PQntuples(r); k++) {
        int ai = apv_index_of(index, PQgetvalue(r, k, APV_REQ_APP));
        if (ai >= 0) {
            out[ai].received += strcmp(PQgetvalue(r, k, APV_REQ_RECEIVED), "t") == 0;
            out[ai].answered += PQgetvalue(r, k, APV_REQ_OUTCOME)[0] != '\0';
        }
        if (reqs && (!req_index || json_object_set_new(req_index, PQgetvalue(r, k, APV_REQ_ID),
                                                       json_integer(k)))) {
            json_decref(req_index);
            PQclear(r);
            return DB_ERR_RETRY;
        }
    }
    if (reqs) {
        reqs->rows = r;
        reqs->index = req_index;
    } else {
        PQclear(r);
    }
    return n;
}

int apv_index_of(const json_t *index, const char *key)
{
    json_t *v = json_object_get(index, key);
    return v ? (int)json_integer_value(v) : -1;
}

void apv_requests_free(apv_requests_t *q)
{
    PQclear(q->rows);
    json_decref(q->index);
    q->rows = NULL;
    q->index = NULL;
}
