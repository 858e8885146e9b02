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

    /* The application's lock, then - in the next statement, sent with it - the application,
     * the request and the counts of the application's requests, as the lock's previous holder
     * left them. */
    db_rc_t rc = apv_lock_only(db, m.application_id);
    if (rc != DB_OK) {
        result = rc;
        goto out;
    }
    const char *pr[] = {m.application_id, m.request_id};
    r = db_query(db,
                 "SELECT " APV_APP_COLUMNS_A ", q.application_id, q.agency, q.state, q.outcome,"
                 " extract(epoch FROM q.reply_due_at)::bigint,"
                 " (SELECT count(*) FROM agency_requests x WHERE x.application_id ="
                 " a.application_id AND x.state = 'received'),"
                 " (SELECT count(*) FROM agency_requests x WHERE x.application_id ="
                 " a.application_id AND x.outcome IS NOT NULL)"
                 " FROM applications a LEFT JOIN agency_requests q ON q.request_id = $2"
                 " WHERE a.application_id = $1",
                 2, pr, &rc);
    if (!r) {
        result = rc;
        goto out;
    }
    if (PQntuples(r) != 1)
        BAD("unknown application_id %s", m.application_id);
    apv_app_t app;
    apv_app_read(r, 0, 0, m.application_id, &app);
    if (PQgetisnull(r, 0, 4))
        BAD("unknown request_id %s", m.request_id);
    if (strcmp(PQgetvalue(r, 0, 4), m.application_id) != 0)
        BAD("request %s belongs to another application", m.request_id);
    if (strcmp(PQgetvalue(r, 0, 5), m.agency) != 0)
        BAD("request %s was sent to %s, not %s", m.request_id, PQgetvalue(r, 0, 5), m.agency);
    char outcome[32];
    snprintf(outcome, sizeof(outcome), "%s", PQgetvalue(r, 0, 7));
    int received = strcmp(PQgetvalue(r, 0, 6), "received") == 0;
    time_t due = PQgetisnull(r, 0, 8) ? 0 : (time_t)atoll(PQgetvalue(r, 0, 8));
    int n_received = atoi(PQgetvalue(r, 0, 9)), n_answered = atoi(PQgetvalue(r, 0, 10));
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
    /* The reply is always recorded; a counted one becomes the request's outcome, in the same
     * statement (no round trip for its id). */
#define INSERT_REPLY                                                                               \
    "INSERT INTO agency_replies (request_id, application_id, agency, verdict, reasons,"            \
    " decided_at, signer, key_id, event_id, topic, partition, \"offset\", arrived_at, counted,"    \
    " ignored_reason) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14," \
    " $15) RETURNING id"
    if (ignored) {
        rc = db_exec(db, INSERT_REPLY, 15, pi);
        free(reasons_s);
        json_decref(reasons);
        if (rc == DB_OK) {
            json_t *f = json_pack("{s:s,s:s,s:s}", "request_id", m.request_id, "agency", m.agency,
                                  "ignored", ignored);
            log_write(LOG_LEVEL_INFO, "reply recorded and ignored", f);
        }
        result = rc;
        goto out;
    }
    rc = db_exec(db,
                 "WITH r AS (" INSERT_REPLY ")"
                 " UPDATE agency_requests SET outcome = $4, outcome_at = $13,"
                 " reasons = $5::jsonb, reply_id = (SELECT id FROM r)"
                 " WHERE request_id = $1 AND outcome IS NULL",
                 15, pi);
#undef INSERT_REPLY
    free(reasons_s);
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
        rc = apv_advance_counted(db, NULL, &app, n_received, n_answered + 1, now, &cause);
    }
    result = rc;
out:
    PQclear(r);
    ev_free(&ev);
    return result;
}
