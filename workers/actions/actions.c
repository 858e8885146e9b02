/* actions: see actions.h. */
#include "actions.h"
#include "actions_sql.h"
#include "complaint.h"
#include "config.h"
#include "event.h"
#include "grounds.h"
#include "jsonx.h"
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

/* The cause of a change an act makes: its event, where it was read, and its official. */
static ob_cause_t event_cause(const ev_event_t *ev, const rd_kafka_message_t *msg,
                              const char *actor)
{
    return (ob_cause_t){.kind = "event",
                        .event_id = ev->id,
                        .topic = rd_kafka_topic_name(msg->rkt),
                        .partition = msg->partition,
                        .offset = msg->offset,
                        .actor = actor};
}

/* Acts on the locked application's grounds at once (as the decider would). */
static db_rc_t decide_now(actions_t *a, db_t *db, const char *application_id, time_t now,
                          const ob_cause_t *cause)
{
    char ids[64];
    snprintf(ids, sizeof(ids), "{%s}", application_id);
    int d = dec_decide_many(db, &a->ctx, ids, now, cause);
    return d < 0 ? (db_rc_t)d : DB_OK;
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
    ob_cause_t cause = event_cause(ev, msg, actor);
    dom_facts_t facts = {.hearing = strcmp(h.outcome, "refusal_confirmed") == 0
                                        ? DOM_HEARING_CONFIRMED
                                        : DOM_HEARING_WITHDRAWN};
    if (dom_next(STAGE_REFUSAL_PROPOSED, &facts) == STAGE_REFUSED)
        return dec_refuse(db, &a->ctx, &app, now, &cause);
    return dec_withdrawn(db, &a->ctx, &app, now, &cause);
out:
    PQclear(r);
    return result;
}

static const char *kind_rule(const char *kind)
{
    return strcmp(kind, "issue") == 0     ? "issue"
           : strcmp(kind, "reissue") == 0 ? "re-registration"
                                          : "split";
}

/* ground.raised.v1: a ground of Standard row 9 the executor (or the head) found, at any stage
 * before the result, recorded with its facts, evidence and official. */
static int ground_raised(actions_t *a, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                         const ev_event_t *ev, const of_official_t *who, char *reason,
                         size_t reason_size)
{
    int result; /* set by PL_BAD() */
    PGresult *r = NULL;
    char *evidence = NULL;
    msg_ground_t g;
    if (msg_decode_ground(ev->data, ev->subject, &g, reason, reason_size))
        return PL_BAD_INPUT;
    apv_app_t app;
    db_rc_t rc = apv_lock(db, g.application_id, &app);
    if (rc == DB_ERR_DATA)
        PL_BAD("unknown application_id %s", g.application_id);
    if (rc != DB_OK)
        return rc;
    const char *p[] = {g.application_id};
    r = db_query(db, "SELECT kind FROM applications WHERE application_id = $1", 1, p, &rc);
    if (!r)
        return rc;
    char kind[24];
    snprintf(kind, sizeof(kind), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    r = NULL;
    const rg_ground_t *rg = rg_lookup(kind, g.ground);
    if (!rg)
        PL_BAD("ground '%s' is not a ground of Standard row 9 for an application of kind %s (%s)",
               g.ground, kind, rg_codes(kind));
    if (dom_stage_final(app.stage))
        PL_BAD("application %s is already %s: a ground can be raised only before the result",
               g.application_id, dom_stage_name(app.stage));
    int fresh = pl_claim_event(pl, db, ev->id, msg);
    if (fresh <= 0)
        return fresh;
    time_t now = pl_now(pl);
    char now_s[40], number[8], rule[200], actor[340];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    snprintf(number, sizeof(number), "%d", rg->number);
    snprintf(rule, sizeof(rule), "Standard row 9, %s ground %d; raised by the executor",
             kind_rule(kind), rg->number);
    of_actor(who, actor, sizeof(actor));
    size_t lk = strlen(rg->text_kk) + strlen(g.facts_kk) + 8,
           lr = strlen(rg->text_ru) + strlen(g.facts_ru) + 8;
    char *kk = malloc(lk), *ru = malloc(lr);
    json_t *evj = json_pack("{s:{s:s,s:s},s:O,s:s}", "facts", "kk", g.facts_kk, "ru", g.facts_ru,
                            "documents", g.evidence, "raised_by", actor);
    evidence = evj ? jx_dumps(evj) : NULL;
    if (!kk || !ru || !evidence) {
        free(kk);
        free(ru);
        json_decref(evj);
        result = DB_ERR_RETRY;
        goto out;
    }
    snprintf(kk, lk, "%s: %s", rg->text_kk, g.facts_kk);
    snprintf(ru, lr, "%s: %s", rg->text_ru, g.facts_ru);
    const char *pi[] = {g.application_id, rg->code, number, kk, ru, rule, evidence, now_s, actor};
    rc = db_exec(db, sql_ground_raised_insert_grounds, 9, pi);
    free(kk);
    free(ru);
    json_decref(evj);
    ob_cause_t cause = event_cause(ev, msg, actor);
    /* Acted on at once: a refusal proposed (¶13: as soon as a ground exists), or the ground
     * joining the pending hearing with a further notice. Before the registries' step ends the
     * decider acts on it when the step does (ground_pending). */
    if (rc == DB_OK && app.stage != STAGE_REGISTERED && app.stage != STAGE_AWAITING_REGISTRIES)
        rc = decide_now(a, db, g.application_id, now, &cause);
    if (rc == DB_OK) {
        json_t *f = json_pack("{s:s,s:s,s:i,s:s}", "application_id", g.application_id, "ground",
                              rg->code, "number", rg->number, "stage", dom_stage_name(app.stage));
        log_write(LOG_LEVEL_INFO, "ground raised by the executor", f);
    }
    result = rc;
out:
    PQclear(r);
    free(evidence);
    return result;
}

/* review.completed.v1: the executor found no ground; with executor review the decision
 * waited for it (decider.c), and in awaiting_decision it is taken at once. */
static int review_completed(actions_t *a, pl_pipeline_t *pl, db_t *db,
                            const rd_kafka_message_t *msg, const ev_event_t *ev,
                            const of_official_t *who, char *reason, size_t reason_size)
{
    int result; /* set by PL_BAD() */
    msg_review_t m;
    if (msg_decode_review(ev->data, ev->subject, &m, reason, reason_size))
        return PL_BAD_INPUT;
    apv_app_t app;
    db_rc_t rc = apv_lock(db, m.application_id, &app);
    if (rc == DB_ERR_DATA)
        PL_BAD("unknown application_id %s", m.application_id);
    if (rc != DB_OK)
        return rc;
    if (dom_stage_final(app.stage))
        PL_BAD("application %s is already %s: its review comes too late", m.application_id,
               dom_stage_name(app.stage));
    int fresh = pl_claim_event(pl, db, ev->id, msg);
    if (fresh <= 0)
        return fresh;
    time_t now = pl_now(pl);
    char now_s[40], actor[340];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    of_actor(who, actor, sizeof(actor));
    json_t *sc =
        m.special_kk ? json_pack("{s:s,s:s}", "kk", m.special_kk, "ru", m.special_ru) : NULL;
    char *special = sc ? jx_dumps(sc) : NULL;
    json_decref(sc);
    const char *p[] = {m.application_id, now_s, special};
    rc = db_exec(db, sql_review_completed, 3, p);
    free(special);
    if (rc != DB_OK)
        return rc;
    if (app.stage == STAGE_AWAITING_DECISION) {
        ob_cause_t cause = event_cause(ev, msg, actor);
        rc = decide_now(a, db, m.application_id, now, &cause);
    }
    return rc;
out:
    return result;
}

/* ¶15: a satisfied complaint against a refusal overturns it - the application is reopened to
 * the decision and the license issued (or, an agency still to answer, to wait for it), the
 * complaint's resolution the cause of the moves (dec_overturn). */
static db_rc_t overturn(actions_t *a, db_t *db, const rd_kafka_message_t *msg, const ev_event_t *ev,
                        const msg_resolution_t *res, const char *actor, time_t now)
{
    apv_app_t app;
    db_rc_t rc = apv_lock(db, res->application_id, &app);
    if (rc != DB_OK || app.stage != STAGE_REFUSED)
        return rc; /* nothing to overturn: the complaint was about something else */
    ob_cause_t cause = event_cause(ev, msg, actor);
    json_t *f = json_pack("{s:s,s:s}", "application_id", res->application_id, "complaint_id",
                          res->complaint_id);
    log_write(LOG_LEVEL_INFO, "refusal overturned by a satisfied complaint", f);
    return dec_overturn(db, &a->ctx, &app, res->complaint_id, now, &cause);
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
    } else if (strcmp(ev.type, EV_TYPE_GROUND_RAISED) == 0) {
        result = ground_raised(a, pl, db, msg, &ev, who, reason, reason_size);
    } else if (strcmp(ev.type, EV_TYPE_REVIEW_COMPLETED) == 0) {
        result = review_completed(a, pl, db, msg, &ev, who, reason, reason_size);
    } else if (strcmp(ev.type, EV_TYPE_COMPLAINT_RESOLVED) == 0) {
        msg_resolution_t res;
        if (msg_decode_resolution(ev.data, ev.subject, &res, reason, reason_size)) {
            result = PL_BAD_INPUT;
        } else if ((result = pl_claim_event(pl, db, ev.id, msg)) > 0) {
            db_rc_t rc = cmp_resolve(db, &res, ev.id, pl_now(pl), ACTIONS_SOURCE, actor, reason,
                                     reason_size);
            if (rc == DB_OK && strcmp(res.outcome, "satisfied") == 0)
                rc = overturn(a, db, msg, &ev, &res, actor, pl_now(pl));
            result = rc == DB_ERR_DATA && reason[0] ? PL_BAD_INPUT : (int)rc;
        }
    } else {
        snprintf(reason, reason_size, "unknown CloudEvent type for %s", TOPIC_PROVIDER_ACTIONS);
        result = PL_BAD_INPUT;
    }
    ev_free(&ev);
    return result;
}
