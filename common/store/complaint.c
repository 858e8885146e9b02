/* complaint: see complaint.h. */
#include "complaint.h"
#include "store_sql.h"
#include "approval.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TIMER_KINDS[] = {
    TIMER_COMPLAINT_FORWARD_RISK, TIMER_COMPLAINT_FORWARD_BREACH, TIMER_COMPLAINT_REVIEW_RISK,
    TIMER_COMPLAINT_REVIEW_BREACH};

/* apv_lock(), with the reason when the application is unknown (bad input). */
static db_rc_t lock_known(db_t *db, const char *application_id, apv_app_t *app, char *errstr,
                          size_t errstr_size)
{
    db_rc_t rc = apv_lock(db, application_id, app);
    if (rc == DB_ERR_DATA)
        snprintf(errstr, errstr_size, "unknown application_id %s", application_id);
    return rc;
}

db_rc_t cmp_register(db_t *db, const cal_t *cal, const msg_complaint_t *c, const char *event_id,
                     time_t now, const char *source, char *errstr, size_t errstr_size)
{
    apv_app_t app;
    db_rc_t rc = lock_known(db, c->application_id, &app, errstr, errstr_size);
    if (rc != DB_OK)
        return rc;
    char err[256];
    time_t registered, forward_due, review_due, forward_risk, review_risk;
    int provider = strcmp(c->addressed_to, "provider") == 0;
    /* ¶15: registered like any document (¶8), forwarded within 3 WD, reviewed within 5 WD
     * (provider) or 15 WD (authorized body); the at-risk alert one WD before each limit. */
    if (cal_registration_moment(cal, c->filed_at, &registered, err, sizeof(err)) ||
        cal_add_working_days(cal, registered, CAL_COMPLAINT_FORWARD_WD, &forward_due, err,
                             sizeof(err)) ||
        cal_add_working_days(cal, registered,
                             provider ? CAL_COMPLAINT_PROVIDER_WD : CAL_COMPLAINT_AUTHORIZED_WD,
                             &review_due, err, sizeof(err)) ||
        cal_sub_working_days(cal, forward_due, CAL_AT_RISK_BEFORE_WD, &forward_risk, err,
                             sizeof(err)) ||
        cal_sub_working_days(cal, review_due, CAL_AT_RISK_BEFORE_WD, &review_risk, err,
                             sizeof(err))) {
        snprintf(errstr, errstr_size, "calendar: %s", err);
        return DB_ERR_RETRY;
    }
    char fs[40], rs[40], fd[40], rd[40];
    util_rfc3339_utc(c->filed_at, fs, sizeof(fs));
    util_rfc3339_utc(registered, rs, sizeof(rs));
    util_rfc3339_utc(forward_due, fd, sizeof(fd));
    util_rfc3339_utc(review_due, rd, sizeof(rd));
    const char *p[] = {c->complaint_id, c->application_id, fs, rs, c->addressed_to, c->text, fd, rd,
                       event_id};
    PGresult *r = db_query(db, sql_cmp_register_insert_complaints, 9, p, &rc);
    if (!r)
        return rc;
    int inserted = atoi(PQcmdTuples(r));
    PQclear(r);
    if (!inserted)
        return DB_OK; /* the same complaint again */
    time_t dues[] = {forward_risk, forward_due, review_risk, review_due};
    for (int i = 0; i < 4; i++)
        if ((rc = tm_schedule(db, c->application_id, TIMER_KINDS[i], c->complaint_id, dues[i])) !=
            DB_OK)
            return rc;
    char reg_l[40], fwd_l[40], rev_l[40];
    cal_format(registered, reg_l, sizeof(reg_l));
    cal_format(forward_due, fwd_l, sizeof(fwd_l));
    cal_format(review_due, rev_l, sizeof(rev_l));
    json_t *detail = json_pack("{s:s,s:s,s:s,s:s,s:s}", "complaint_id", c->complaint_id,
                               "addressed_to", c->addressed_to, "registered_at", reg_l,
                               "forward_due", fwd_l, "review_due", rev_l);
    return ob_status_event(db, source, c->application_id, app.portal_ref,
                           EV_ST_COMPLAINT_REGISTERED, now, app.service_deadline, detail,
                           c->complaint_id);
}

db_rc_t cmp_resolve(db_t *db, const msg_resolution_t *res, const char *event_id, time_t now,
                    const char *source, const char *actor, char *errstr, size_t errstr_size)
{
    apv_app_t app;
    db_rc_t rc = lock_known(db, res->application_id, &app, errstr, errstr_size);
    if (rc != DB_OK)
        return rc;
    const char *p[] = {res->complaint_id};
    PGresult *r = db_query(db, sql_cmp_resolve_select_complaints, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), res->application_id) != 0) {
        snprintf(errstr, errstr_size, "unknown complaint_id %s for application %s",
                 res->complaint_id, res->application_id);
        PQclear(r);
        return DB_ERR_DATA;
    }
    char state[16];
    snprintf(state, sizeof(state), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    /* ¶15: a complaint the provider does not satisfy goes to the reviewing body with the
     * case; "rejected" closes it only once it was forwarded - before, the rejection forwards
     * it (the reviewing body's decision closes it). */
    int forwarded = strcmp(res->outcome, "forwarded") == 0 ||
                    (strcmp(res->outcome, "rejected") == 0 && strcmp(state, "registered") == 0);
    if (strcmp(state, "resolved") == 0 || (forwarded && strcmp(state, "forwarded") == 0)) {
        log_warn("decision on complaint %s, already %s: ignored", res->complaint_id, state);
        return DB_OK;
    }
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    const char *pu[] = {res->complaint_id, res->outcome, now_s, actor};
    rc = db_exec(db, forwarded ? sql_cmp_resolve_forward : sql_cmp_resolve_close, 4, pu);
    /* Forwarded: the forwarding limit is met, the review goes on; closed: nothing is due. */
    for (int i = 0; i < (forwarded ? 2 : 4) && rc == DB_OK; i++)
        rc = tm_cancel(db, res->application_id, TIMER_KINDS[i], res->complaint_id, now);
    if (rc != DB_OK)
        return rc;
    json_t *detail =
        json_pack("{s:s,s:s}", "complaint_id", res->complaint_id, "outcome", res->outcome);
    if (res->notes)
        json_object_set_new(detail, "notes", json_string(res->notes));
    return ob_status_event(db, source, res->application_id, app.portal_ref,
                           forwarded ? EV_ST_COMPLAINT_FORWARDED : EV_ST_COMPLAINT_RESOLVED, now,
                           app.service_deadline, detail, event_id);
}

db_rc_t cmp_fire(db_t *db, const cal_t *cal, long long timer_id, const char *kind,
                 const char *complaint_id, time_t now, const char *source)
{
    db_rc_t rc;
    const char *p[] = {complaint_id};
    PGresult *r = db_query(db, sql_cmp_fire_select_complaints, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_OK;
    }
    char app_id[40], state[16];
    snprintf(app_id, sizeof(app_id), "%s", PQgetvalue(r, 0, 0));
    snprintf(state, sizeof(state), "%s", PQgetvalue(r, 0, 1));
    int forward = strncmp(kind, "complaint_forward", 17) == 0;
    time_t due = (time_t)atoll(PQgetvalue(r, 0, forward ? 2 : 3));
    PQclear(r);
    int breach = strstr(kind, "breach") != NULL;
    /* Still due? Forwarding is done once forwarded or resolved, the review once resolved. */
    if (strcmp(state, "resolved") == 0 || (forward && strcmp(state, "forwarded") == 0))
        return DB_OK;
    apv_app_t app;
    if ((rc = apv_lock(db, app_id, &app)) != DB_OK)
        return rc;
    int left = 0;
    char err[256], due_s[40];
    if (!breach && cal_working_days_between(cal, now, due, &left, err, sizeof(err)))
        left = 1;
    cal_format(due, due_s, sizeof(due_s));
    json_t *detail = json_pack(
        "{s:s,s:s,s:s,s:i,s:b}", "deadline", forward ? "complaint_forward" : "complaint_review",
        "complaint_id", complaint_id, "due", due_s, "working_days_left", left, "breached", breach);
    char key[80];
    snprintf(key, sizeof(key), "timer:%lld", timer_id);
    if ((rc = ob_status_event(db, source, app_id, app.portal_ref,
                              breach ? EV_ST_DEADLINE_BREACHED : EV_ST_DEADLINE_AT_RISK, now,
                              app.service_deadline, detail, key)) != DB_OK)
        return rc;
    if (!breach)
        return DB_OK;
    char detail_s[300];
    snprintf(detail_s, sizeof(detail_s), "complaint %s: the %s limit (%s) has passed", complaint_id,
             forward ? "forwarding" : "review", due_s);
    return apv_incident(db, app_id,
                        forward ? "complaint_forward_breach" : "complaint_review_breach",
                        complaint_id, detail_s, now);
}
