/* replies: see replies.h. */
#include "replies.h"
#include "approval.h"
#include "config.h"
#include "event.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int replies_init(replies_t *rp, char *errstr, size_t errstr_size)
{
    return ag_load(cfg_get("AGENCIES_FILE"), &rp->ag, errstr, errstr_size);
}

void replies_free(replies_t *rp)
{
    ag_free(&rp->ag);
}

void replies_reload(void *opaque)
{
    replies_t *rp = opaque;
    ag_config_t ag;
    char err[512];
    if (ag_load(cfg_get("AGENCIES_FILE"), &ag, err, sizeof(err))) {
        log_error("agencies reload failed, keeping the keys in use: %s", err);
        return;
    }
    ag_free(&rp->ag);
    rp->ag = ag;
    log_info("agencies reloaded");
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(reason, reason_size, __VA_ARGS__);                                                \
        result = PL_BAD_INPUT;                                                                     \
        goto out;                                                                                  \
    } while (0)

int replies_handle(void *opaque, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                   char *reason, size_t reason_size)
{
    replies_t *rp = opaque;
    const char *topic = rd_kafka_topic_name(msg->rkt);
    int agency = ag_for_reply_topic(topic);
    int result = PL_OK;
    PGresult *r = NULL;
    ev_event_t ev = {0};
    if (agency < 0) {
        snprintf(reason, reason_size, "not a reply topic: %s", topic);
        return PL_BAD_INPUT;
    }
    /* The signature first: nothing of an unsigned or forged message is believed. */
    char key_id[128], sig[256];
    const char *k = kq_header(msg, "x-key-id", key_id, sizeof(key_id));
    const char *s = kq_header(msg, "x-signature", sig, sizeof(sig));
    if (ag_verify(&rp->ag, (ag_agency_t)agency, k, s, msg->payload, msg->len, reason, reason_size))
        return PL_BAD_INPUT;
    if (ev_decode(msg->payload, msg->len, &ev, reason, reason_size))
        return PL_BAD_INPUT;
    if (strcmp(ev.type, EV_TYPE_AGENCY_REPLIED) != 0)
        BAD("unknown CloudEvent type for %s", topic);
    msg_reply_t m;
    if (msg_decode_reply(ev.data, ev.subject, &m, reason, reason_size)) {
        result = PL_BAD_INPUT;
        goto out;
    }
    if (ag_parse(m.agency) != agency)
        BAD("reply of agency %s on the %s topic", m.agency, ag_name((ag_agency_t)agency));

    db_rc_t rc;
    apv_app_t app;
    rc = apv_lock(db, m.application_id, &app);
    if (rc == DB_ERR_DATA)
        BAD("unknown application_id %s", m.application_id);
    if (rc != DB_OK) {
        result = rc;
        goto out;
    }
    const char *pr[] = {m.request_id};
    r = db_query(db,
                 "SELECT application_id, agency, state, outcome,"
                 " extract(epoch FROM reply_due_at)::bigint FROM agency_requests"
                 " WHERE request_id = $1 FOR UPDATE",
                 1, pr, &rc);
    if (!r) {
        result = rc;
        goto out;
    }
    if (PQntuples(r) != 1)
        BAD("unknown request_id %s", m.request_id);
    if (strcmp(PQgetvalue(r, 0, 0), m.application_id) != 0)
        BAD("request %s belongs to another application", m.request_id);
    if (strcmp(PQgetvalue(r, 0, 1), m.agency) != 0)
        BAD("request %s was sent to %s, not %s", m.request_id, PQgetvalue(r, 0, 1), m.agency);
    char outcome[32];
    snprintf(outcome, sizeof(outcome), "%s", PQgetvalue(r, 0, 3));
    int received = strcmp(PQgetvalue(r, 0, 2), "received") == 0;
    time_t due = PQgetisnull(r, 0, 4) ? 0 : (time_t)atoll(PQgetvalue(r, 0, 4));
    PQclear(r);
    r = NULL;

    int fresh = pl_claim_event(pl, db, ev.id, msg);
    if (fresh <= 0) {
        result = fresh; /* the same event again: nothing changes */
        goto out;
    }
    time_t now = pl_now(pl);
    /* ¶12: the first valid reply within the window counts. A reply that arrives before the
     * receipt was recorded is inside the window (which has not started yet). */
    const char *ignored = NULL;
    if (strcmp(outcome, "deemed_approved") == 0)
        ignored = "after_deemed";
    else if (outcome[0])
        ignored = "duplicate";
    else if (received && now > due)
        ignored = "late";

    json_t *reasons = json_array();
    for (size_t i = 0; i < m.reason_count; i++)
        json_array_append_new(reasons, json_string(m.reasons[i]));
    char *reasons_s = json_dumps(reasons, JSON_COMPACT);
    char decided[40], arrived[40], part[16], off[24];
    util_rfc3339_utc(m.decided_at, decided, sizeof(decided));
    util_rfc3339_utc(now, arrived, sizeof(arrived));
    snprintf(part, sizeof(part), "%d", (int)msg->partition);
    snprintf(off, sizeof(off), "%lld", (long long)msg->offset);
    const char *pi[] = {m.request_id, m.application_id,
                        m.agency,     m.verdict,
                        reasons_s,    decided,
                        m.signer,     k,
                        ev.id,        topic,
                        part,         off,
                        arrived,      ignored ? "false" : "true",
                        ignored};
    r = db_query(db,
                 "INSERT INTO agency_replies (request_id, application_id, agency, verdict,"
                 " reasons, decided_at, signer, key_id, event_id, topic, partition, \"offset\","
                 " arrived_at, counted, ignored_reason) VALUES ($1, $2, $3, $4, $5::jsonb, $6,"
                 " $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                 15, pi, &rc);
    free(reasons_s);
    if (!r) {
        json_decref(reasons);
        result = rc;
        goto out;
    }
    char reply_id[24];
    snprintf(reply_id, sizeof(reply_id), "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;
    if (ignored) {
        json_t *f = json_pack("{s:s,s:s,s:s}", "request_id", m.request_id, "agency", m.agency,
                              "ignored", ignored);
        log_write(LOG_LEVEL_INFO, "reply recorded and ignored", f);
        json_decref(reasons);
        goto out;
    }
    char *rs = json_dumps(reasons, JSON_COMPACT);
    const char *pu[] = {m.request_id, m.verdict, arrived, rs, reply_id};
    rc = db_exec(db,
                 "UPDATE agency_requests SET outcome = $2, outcome_at = $3, reasons = $4::jsonb,"
                 " reply_id = $5 WHERE request_id = $1 AND outcome IS NULL",
                 5, pu);
    free(rs);
    if (rc == DB_OK)
        rc = tm_cancel(db, m.application_id, TIMER_AGENCY_REPLY, m.request_id, now);
    if (rc == DB_OK) {
        json_t *detail =
            json_pack("{s:s,s:s,s:s,s:O,s:s}", "agency", m.agency, "request_id", m.request_id,
                      "verdict", m.verdict, "reasons", reasons, "signer", m.signer);
        rc = ob_status_event(db, REPLIES_SOURCE, m.application_id, app.portal_ref, "agency_replied",
                             now, app.service_deadline, detail, ev.id);
    }
    json_decref(reasons);
    if (rc == DB_OK) {
        ob_cause_t cause = {"event", ev.id, topic, msg->partition, msg->offset, 0, NULL};
        rc = apv_advance(db, &app, now, &cause);
    }
    result = rc;
out:
    PQclear(r);
    ev_free(&ev);
    return result;
}
