/* approval: see approval.h. */
#include "approval.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

db_rc_t apv_lock(db_t *db, const char *application_id, apv_app_t *out)
{
    db_rc_t rc;
    const char *p[] = {application_id};
    PGresult *r = db_query(db,
                           "SELECT stage, portal_ref, extract(epoch FROM service_deadline)::bigint,"
                           " extract(epoch FROM registered_at)::bigint FROM applications"
                           " WHERE application_id = $1 FOR UPDATE",
                           1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA;
    }
    snprintf(out->application_id, sizeof(out->application_id), "%s", application_id);
    out->stage = dom_stage_parse(PQgetvalue(r, 0, 0));
    snprintf(out->portal_ref, sizeof(out->portal_ref), "%s", PQgetvalue(r, 0, 1));
    out->service_deadline = (time_t)atoll(PQgetvalue(r, 0, 2));
    out->registered_at = (time_t)atoll(PQgetvalue(r, 0, 3));
    PQclear(r);
    return DB_OK;
}

db_rc_t tm_schedule(db_t *db, const char *application_id, const char *kind, const char *ref,
                    time_t due)
{
    char ts[40];
    util_rfc3339_utc(due, ts, sizeof(ts));
    const char *p[] = {application_id, kind, ref ? ref : "", ts};
    return db_exec(db,
                   "INSERT INTO timers (application_id, kind, ref, due_at) VALUES ($1, $2, $3, $4)"
                   " ON CONFLICT (application_id, kind, ref) DO NOTHING",
                   4, p);
}

db_rc_t tm_cancel(db_t *db, const char *application_id, const char *kind, const char *ref,
                  time_t at)
{
    char ts[40];
    util_rfc3339_utc(at, ts, sizeof(ts));
    const char *p[] = {application_id, kind, ref ? ref : "", ts};
    return db_exec(db,
                   "UPDATE timers SET cancelled_at = $4 WHERE application_id = $1 AND kind = $2"
                   " AND ref = $3 AND fired_at IS NULL AND cancelled_at IS NULL",
                   4, p);
}

db_rc_t apv_incident(db_t *db, const char *application_id, const char *kind, const char *ref,
                     const char *detail, time_t at)
{
    char ts[40];
    util_rfc3339_utc(at, ts, sizeof(ts));
    const char *p[] = {application_id, kind, ref ? ref : "", detail, ts};
    db_rc_t rc;
    PGresult *r = db_query(db,
                           "INSERT INTO incidents (application_id, kind, ref, detail, at)"
                           " VALUES ($1, $2, $3, $4, $5)"
                           " ON CONFLICT (application_id, kind, ref) DO NOTHING",
                           5, p, &rc);
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
    PGresult *r = db_query(db,
                           "SELECT count(*) FILTER (WHERE state = 'received'),"
                           " count(*) FILTER (WHERE outcome IS NOT NULL)"
                           " FROM agency_requests WHERE application_id = $1",
                           1, p, &rc);
    if (!r)
        return rc;
    int received = atoi(PQgetvalue(r, 0, 0));
    int answered = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (app->stage == STAGE_AWAITING_APPROVALS && received == 2) {
        if ((rc = ob_transition(db, app->application_id, STAGE_AWAITING_APPROVALS,
                                STAGE_AWAITING_REPLIES, now, cause)) != DB_OK)
            return rc;
        app->stage = STAGE_AWAITING_REPLIES;
    }
    if (app->stage == STAGE_AWAITING_REPLIES && answered == 2) {
        if ((rc = ob_transition(db, app->application_id, STAGE_AWAITING_REPLIES,
                                STAGE_AWAITING_DECISION, now, cause)) != DB_OK)
            return rc;
        app->stage = STAGE_AWAITING_DECISION;
    }
    return DB_OK;
}
