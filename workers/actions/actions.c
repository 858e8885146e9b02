/* actions: see actions.h. */
#include "actions.h"
#include "actions_sql.h"
#include "complaint.h"
#include "config.h"
#include "event.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int actions_init(actions_t *a, char *errstr, size_t errstr_size)
{
    memset(a, 0, sizeof(*a));
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &a->cal, errstr, errstr_size))
        return -1;
    if (of_load(cfg_get("OFFICIALS_FILE"), &a->officials, errstr, errstr_size)) {
        cal_free(a->cal);
        a->cal = NULL;
        return -1;
    }
    doc_licensor_from_config(&a->ctx.lic);
    a->ctx.cal = a->cal;
    a->ctx.means = cfg_get("HEARING_MEANS");
    a->ctx.source = ACTIONS_SOURCE;
    return 0;
}

void actions_free(actions_t *a)
{
    cal_free(a->cal);
    a->cal = NULL;
}

void actions_reload(void *opaque)
{
    actions_t *a = opaque;
    if (cal_reload(&a->cal, cfg_get("CALENDAR_FILE")) == 0)
        a->ctx.cal = a->cal;
    /* A new official, a key replaced or withdrawn: the old list stays if the new one is bad. */
    of_config_t next;
    char err[300];
    if (of_load(cfg_get("OFFICIALS_FILE"), &next, err, sizeof(err)) == 0) {
        a->officials = next;
        log_info("officials reloaded: %d", next.count);
    } else {
        log_error("officials not reloaded, the list before stays: %s", err);
    }
}

static int hearing_concluded(actions_t *a, pl_pipeline_t *pl, db_t *db,
                             const rd_kafka_message_t *msg, const ev_event_t *ev,
                             const of_official_t *who, char *reason, size_t reason_size)
{
    char actor[340];
    of_actor(who, actor, sizeof(actor));
    int result; /* set by PL_BAD() */
    PGresult *r = NULL;
    msg_hearing_t h;
    if (msg_decode_hearing(ev->data, ev->subject, &h, reason, reason_size))
        return PL_BAD_INPUT;
    apv_app_t app;
    db_rc_t rc = apv_lock(db, h.application_id, &app);
    if (rc == DB_ERR_DATA)
        PL_BAD("unknown application_id %s", h.application_id);
    if (rc != DB_OK)
        return rc;
    const char *p[] = {h.hearing_id};
    r = db_query(db, "SELECT application_id, outcome FROM hearings WHERE hearing_id = $1", 1, p,
                 &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), h.application_id) != 0)
        PL_BAD("no hearing %s for application %s", h.hearing_id, h.application_id);
    int concluded = !PQgetisnull(r, 0, 1);
    PQclear(r);
    r = NULL;
    int fresh = pl_claim_event(pl, db, ev->id, msg);
    if (fresh <= 0)
        return fresh;
    if (concluded || app.stage != STAGE_REFUSAL_PROPOSED) {
        json_t *f =
            json_pack("{s:s,s:s}", "application_id", h.application_id, "hearing_id", h.hearing_id);
        log_write(LOG_LEVEL_WARN, "hearing outcome for a hearing already concluded: ignored", f);
        return PL_OK;
    }
    time_t now = pl_now(pl);
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    const char *pu[] = {h.hearing_id, h.outcome, now_s, ev->id, actor};
    if ((rc = db_exec(db, sql_hearing_concluded_update_hearings, 5, pu)) != DB_OK)
        return rc;
    if ((rc = tm_cancel(db, h.application_id, TIMER_HEARING_OUTCOME, h.hearing_id, now)) != DB_OK)
        return rc;
    json_t *detail = json_pack("{s:s,s:s}", "hearing_id", h.hearing_id, "outcome", h.outcome);
    /* Who decided, as the decision's Appendix 2 names the head (the IIN stays in the row). */
    json_object_set_new(detail, "decided_by", json_string(who->full_name));
    if (h.notes)
        json_object_set_new(detail, "notes", json_string(h.notes));
    if ((rc = ob_status_event(db, ACTIONS_SOURCE, h.application_id, app.portal_ref,
                              EV_ST_HEARING_CONCLUDED, now, app.service_deadline, detail,
                              ev->id)) != DB_OK)
        return rc;
    ob_cause_t cause = {.kind = "event",
                        .event_id = ev->id,
                        .topic = rd_kafka_topic_name(msg->rkt),
                        .partition = msg->partition,
                        .offset = msg->offset,
                        .actor = actor};
    dom_facts_t facts = {.hearing = strcmp(h.outcome, "refusal_confirmed") == 0
                                        ? DOM_HEARING_CONFIRMED
                                        : DOM_HEARING_WITHDRAWN};
    if (dom_next(STAGE_REFUSAL_PROPOSED, &facts) == STAGE_REFUSED)
        return dec_refuse(db, &a->ctx, &app, now, &cause);
    return dec_grant(db, &a->ctx, &app, STAGE_REFUSAL_PROPOSED, now, &cause);
out:
    PQclear(r);
    return result;
}

pl_result_t actions_handle(void *opaque, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                           char *reason, size_t reason_size)
{
    actions_t *a = opaque;
    /* The signature first: nothing of an unsigned or forged act is believed. */
    char kid[80], sig[256];
    const char *k = kq_header(msg, "x-key-id", kid, sizeof(kid));
    const char *s = kq_header(msg, "x-signature", sig, sizeof(sig));
    const of_official_t *who =
        of_check(&a->officials, NULL, k, s, msg->payload, msg->len, reason, reason_size);
    if (!who)
        return PL_BAD_INPUT;
    ev_event_t ev;
    if (ev_decode(msg->payload, msg->len, &ev, reason, reason_size))
        return PL_BAD_INPUT;
    int result;
    char actor[340];
    of_actor(who, actor, sizeof(actor));
    if (of_roles_for(ev.type) && !(of_roles_for(ev.type) & (int)who->role)) {
        snprintf(reason, reason_size, "%s: the %s '%s' may not take this act", ev.type,
                 of_role_name(who->role), who->key_id);
        result = PL_BAD_INPUT;
    } else if (strcmp(ev.type, EV_TYPE_HEARING_CONCLUDED) == 0) {
        result = hearing_concluded(a, pl, db, msg, &ev, who, reason, reason_size);
    } else if (strcmp(ev.type, EV_TYPE_COMPLAINT_RESOLVED) == 0) {
        msg_resolution_t res;
        if (msg_decode_resolution(ev.data, ev.subject, &res, reason, reason_size)) {
            result = PL_BAD_INPUT;
        } else if ((result = pl_claim_event(pl, db, ev.id, msg)) > 0) {
            db_rc_t rc = cmp_resolve(db, &res, ev.id, pl_now(pl), ACTIONS_SOURCE, actor, reason,
                                     reason_size);
            result = rc == DB_ERR_DATA && reason[0] ? PL_BAD_INPUT : (int)rc;
        }
    } else {
        snprintf(reason, reason_size, "unknown CloudEvent type for %s", TOPIC_PROVIDER_ACTIONS);
        result = PL_BAD_INPUT;
    }
    ev_free(&ev);
    return result;
}
