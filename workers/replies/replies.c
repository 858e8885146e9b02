/* replies: see replies.h. */
#include "replies.h"
#include "replies_sql.h"
#include "approval.h"
#include "config.h"
#include "event.h"
#include "kafka.h"
#include "jsonx.h"
#include "log.h"
#include "messages.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int replies_init(replies_t *rp, char *errstr, size_t errstr_size)
{
    rp->cal = NULL;
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &rp->cal, errstr, errstr_size))
        return -1;
    if (ag_load(cfg_get("AGENCIES_FILE"), &rp->ag, errstr, errstr_size)) {
        cal_free(rp->cal);
        rp->cal = NULL;
        return -1;
    }
    return 0;
}

void replies_free(replies_t *rp)
{
    ag_free(&rp->ag);
    cal_free(rp->cal);
    rp->cal = NULL;
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
    cal_reload(&rp->cal, cfg_get("CALENDAR_FILE"));
}

/* A reply as its message gives it: what can be judged without the database. */
typedef struct {
    ev_event_t ev;
    msg_reply_t m;
    const char *topic;
    char key_id[128];
    char application_id[40], request_id[40]; /* the ids in lower case, as PostgreSQL prints */
} reply_in_t;

/* Points `*id` at a lower-case copy in `buf`: the batch finds rows by the text PostgreSQL
 * prints for a uuid. An id too long to be one is left as it is, for the database to reject. */
static void lower_id(const char **id, char *buf, size_t size)
{
    size_t n = strlen(*id);
    if (n >= size)
        return;
    for (size_t i = 0; i <= n; i++)
        buf[i] = (char)((*id)[i] >= 'A' && (*id)[i] <= 'Z' ? (*id)[i] + 32 : (*id)[i]);
    *id = buf;
}

/* The topic, the signature, the envelope and the reply: PL_OK, or PL_BAD_INPUT with the
 * reason. The caller frees in->ev (zeroed first) either way. */
static int parse(replies_t *rp, const rd_kafka_message_t *msg, reply_in_t *in, char *reason,
                 size_t reason_size)
{
    int result = PL_OK;
    in->topic = rd_kafka_topic_name(msg->rkt);
    int agency = ag_for_reply_topic(in->topic);
    if (agency < 0)
        PL_BAD("not a reply topic: %s", in->topic);
    /* The signature first: nothing of an unsigned or forged message is believed. */
    char sig[256];
    const char *k = kq_header(msg, "x-key-id", in->key_id, sizeof(in->key_id));
    const char *s = kq_header(msg, "x-signature", sig, sizeof(sig));
    if (ag_verify(&rp->ag, (ag_agency_t)agency, k, s, msg->payload, msg->len, reason, reason_size))
        return PL_BAD_INPUT;
    if (ev_decode(msg->payload, msg->len, &in->ev, reason, reason_size))
        return PL_BAD_INPUT;
    if (strcmp(in->ev.type, EV_TYPE_AGENCY_REPLIED) != 0)
        PL_BAD("unknown CloudEvent type for %s", in->topic);
    if (msg_decode_reply(in->ev.data, in->ev.subject, &in->m, reason, reason_size))
        return PL_BAD_INPUT;
    if (ag_parse(in->m.agency) != agency)
        PL_BAD("reply of agency %s on the %s topic", in->m.agency, ag_name((ag_agency_t)agency));
    lower_id(&in->m.application_id, in->application_id, sizeof(in->application_id));
    lower_id(&in->m.request_id, in->request_id, sizeof(in->request_id));
out:
    return result;
}

/* The request the reply names, as the database has it (`app` NULL: no such request): PL_OK,
 * or PL_BAD_INPUT with the reason. */
static int check_request(const msg_reply_t *m, const char *app, const char *agency, char *reason,
                         size_t reason_size)
{
    int result = PL_OK;
    if (!app)
        PL_BAD("unknown request_id %s", m->request_id);
    if (strcmp(app, m->application_id) != 0)
        PL_BAD("request %s belongs to another application", m->request_id);
    if (strcmp(agency, m->agency) != 0)
        PL_BAD("request %s was sent to %s, not %s", m->request_id, agency, m->agency);
out:
    return result;
}

/* ¶12: the first valid reply within the window counts. A reply that arrives before the
 * receipt was recorded is inside the window (which has not started yet). Why this one does
 * not count, or NULL. */
static const char *ignored_why(const char *outcome, int received, time_t due, time_t now)
{
    if (strcmp(outcome, "deemed_approved") == 0)
        return "after_deemed";
    if (outcome[0])
        return "duplicate";
    if (received && now > due)
        return "late";
    return NULL;
}

/* A counted reply to a request whose receipt is not recorded - the agency's 202 was lost and
 * the dispatcher's retry has not yet had its 409 - proves the receipt: recorded with the reply,
 * and published before it, so each agency's `approvals_requested` precedes its
 * `agency_replied`. The agency received the request no later than it decided, nor later than
 * the reply arrived. 0, or -1 when the calendar cannot give the window's end. */
static int proven_receipt(const replies_t *rp, const msg_reply_t *m, time_t now,
                          time_t *received_at, time_t *due)
{
    char err[256];
    *received_at = m->decided_at < now ? m->decided_at : now;
    if (cal_add_working_days(rp->cal, *received_at, CAL_AGENCY_REPLY_WD, due, err, sizeof(err))) {
        log_error("cannot compute the reply window: %s", err);
        return -1;
    }
    return 0;
}

static json_t *reasons_of(const msg_reply_t *m)
{
    json_t *reasons = json_array();
    for (size_t i = 0; i < m->reason_count; i++)
        json_array_append_new(reasons, json_string(m->reasons[i]));
    return reasons;
}

/* The status event's detail; `reasons` is borrowed. */
static json_t *replied_detail(const msg_reply_t *m, json_t *reasons)
{
    return json_pack("{s:s,s:s,s:s,s:O,s:s}", "agency", m->agency, "request_id", m->request_id,
                     "verdict", m->verdict, "reasons", reasons, "signer", m->signer);
}

static void log_ignored(const msg_reply_t *m, const char *ignored)
{
    json_t *f = json_pack("{s:s,s:s,s:s}", "request_id", m->request_id, "agency", m->agency,
                          "ignored", ignored);
    log_write(LOG_LEVEL_INFO, "reply recorded and ignored", f);
}

/* ---- a batch at once ---------------------------------------------------------------------- */

/* Marks `key` (with a one-letter kind) as seen in this batch: 1 if it was already. */
static int seen_before(json_t *seen, char kind, const char *key)
{
    char k[160];
    snprintf(k, sizeof(k), "%c:%s", kind, key);
    if (json_object_get(seen, k))
        return 1;
    json_object_set_new(seen, k, json_true());
    return 0;
}

/* What the batch writes: every reply, the requests they answer and the reply windows those
 * close. */
static db_rc_t write_replies(db_t *db, const json_t *rows, const char *now_s)
{
    char *text = jx_dumps(rows);
    if (!text)
        return DB_ERR_RETRY;
    const char *p[] = {text, now_s};
    /* The reply is always recorded; a counted one becomes its request's outcome and closes its
     * window. */
    db_rc_t rc = db_exec_adhoc(db, sql_count_replies, 2, p);
    free(text);
    return rc;
}

/* The request a reply names that its application's requests do not hold: unknown, or
 * another application's (read to say which). PL_BAD_INPUT with the reason, or a failure. */
static pl_result_t foreign_request(db_t *db, const msg_reply_t *m, char *reason, size_t reason_size)
{
    db_rc_t rc;
    const char *p[] = {m->request_id};
    PGresult *r = db_query(
        db, "SELECT application_id, agency FROM agency_requests WHERE request_id = $1", 1, p, &rc);
    if (!r)
        return (pl_result_t)rc;
    int found = PQntuples(r) == 1;
    int result = check_request(m, found ? PQgetvalue(r, 0, 0) : NULL,
                               found ? PQgetvalue(r, 0, 1) : "", reason, reason_size);
    PQclear(r);
    /* Its own application's request after all: the application's read missed it. */
    return result == PL_OK ? PL_ERR_RETRY : (pl_result_t)result;
}

pl_result_t replies_handle_batch(void *opaque, pl_pipeline_t *pl, db_t *db,
                                 rd_kafka_message_t *const *msgs, int n, int *results,
                                 char (*reasons)[PL_REASON_SIZE])
{
    replies_t *rp = opaque;
    db_rc_t rc = DB_OK;
    time_t now = pl_now(pl);
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    reply_in_t *in = calloc((size_t)n, sizeof(*in));
    apv_locked_t *apps = calloc((size_t)n, sizeof(*apps));
    const char **event_ids = calloc((size_t)n, sizeof(*event_ids));
    rd_kafka_message_t **claimed = calloc((size_t)n, sizeof(rd_kafka_message_t *));
    int *slot = calloc((size_t)n, sizeof(*slot)), *fresh = calloc((size_t)n, sizeof(*fresh));
    json_t *app_index = json_object(), *seen = json_object();
    json_t *rows = json_array();
    db_array_t app_ids = {0};
    apv_requests_t reqs = {0};
    PGresult *q = NULL;
    int nclaimed = 0;
    ob_batch_t ob;
    int ob_failed = ob_batch_init(&ob);
    if (!in || !apps || !event_ids || !claimed || !slot || !fresh || !app_index || !seen || !rows ||
        ob_failed) {
        rc = DB_ERR_RETRY;
        goto out;
    }
    /* What the messages say. A batch does not take on an event or a request twice (only on a
     * retry or by mistake): the careful path processes those one at a time, where the first
     * one's writes are seen by the second. */
    for (int i = 0; i < n; i++) {
        results[i] = parse(rp, msgs[i], &in[i], reasons[i], PL_REASON_SIZE);
        if (results[i] != PL_OK)
            continue;
        const msg_reply_t *m = &in[i].m;
        if (seen_before(seen, 'e', in[i].ev.id) || seen_before(seen, 'r', m->request_id)) {
            rc = DB_ERR_DATA;
            goto out;
        }
        if (db_array_add(&app_ids, m->application_id)) {
            rc = DB_ERR_RETRY;
            goto out;
        }
    }
    if (app_ids.count == 0)
        goto out;
    /* Their applications locked in one order, then their requests read, as the locks'
     * previous holders left them. */
    int napps = apv_lock_many(db, db_array_text(&app_ids), 0, apps, n, app_index, &reqs);
    if (napps < 0) {
        rc = napps;
        goto out;
    }
    q = reqs.rows;
    /* Each reply checked against its request; the good ones claimed. */
    for (int i = 0; i < n; i++) {
        slot[i] = -1;
        if (results[i] != PL_OK)
            continue;
        const msg_reply_t *m = &in[i].m;
        if (apv_index_of(app_index, m->application_id) < 0) {
            snprintf(reasons[i], PL_REASON_SIZE, "unknown application_id %s", m->application_id);
            results[i] = PL_BAD_INPUT;
            continue;
        }
        int k = apv_index_of(reqs.index, m->request_id);
        if (k < 0)
            results[i] = foreign_request(db, m, reasons[i], PL_REASON_SIZE);
        else
            results[i] =
                check_request(m, PQgetvalue(q, k, APV_REQ_APP), PQgetvalue(q, k, APV_REQ_AGENCY),
                              reasons[i], PL_REASON_SIZE);
        if (results[i] < 0) {
            rc = (db_rc_t)results[i];
            goto out;
        }
        if (results[i] != PL_OK)
            continue;
        slot[i] = nclaimed;
        event_ids[nclaimed] = in[i].ev.id;
        claimed[nclaimed++] = msgs[i];
    }
    if ((rc = pl_claim_events(pl, db, claimed, event_ids, nclaimed, fresh)) != DB_OK)
        goto out;
    /* Each reply judged (¶12), with the counts as the batch leaves them. */
    for (int i = 0; i < n && rc == DB_OK; i++) {
        if (slot[i] < 0 || !fresh[slot[i]])
            continue; /* bad, or the same event again: nothing changes */
        const msg_reply_t *m = &in[i].m;
        int k = apv_index_of(reqs.index, m->request_id);
        time_t due = (time_t)atoll(PQgetvalue(q, k, APV_REQ_DUE)); /* "": 0 */
        const char *ignored =
            ignored_why(PQgetvalue(q, k, APV_REQ_OUTCOME),
                        strcmp(PQgetvalue(q, k, APV_REQ_RECEIVED), "t") == 0, due, now);
        time_t receipt = 0, receipt_due = 0;
        if (!ignored && strcmp(PQgetvalue(q, k, APV_REQ_PENDING), "t") == 0 &&
            proven_receipt(rp, m, now, &receipt, &receipt_due)) {
            rc = DB_ERR_RETRY;
            break;
        }
        char decided[40], receipt_s[40], receipt_due_s[40];
        util_rfc3339_utc(m->decided_at, decided, sizeof(decided));
        util_rfc3339_utc(receipt, receipt_s, sizeof(receipt_s));
        util_rfc3339_utc(receipt_due, receipt_due_s, sizeof(receipt_due_s));
        json_t *why = reasons_of(m);
        json_t *row = json_pack(
            "{s:s,s:s,s:s,s:s,s:O,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:b,s:s?,s:s?,s:s?}", "request_id",
            m->request_id, "application_id", m->application_id, "agency", m->agency, "verdict",
            m->verdict, "reasons", why, "decided_at", decided, "signer", m->signer, "key_id",
            in[i].key_id, "event_id", in[i].ev.id, "topic", in[i].topic, "partition",
            (int)msgs[i]->partition, "offset", (json_int_t)msgs[i]->offset, "counted", !ignored,
            "ignored_reason", ignored, "received_at", receipt ? receipt_s : NULL, "reply_due_at",
            receipt ? receipt_due_s : NULL);
        if (!row || json_array_append_new(rows, row)) {
            json_decref(why);
            rc = DB_ERR_RETRY;
            break;
        }
        if (ignored) {
            json_decref(why);
            log_ignored(m, ignored);
            continue;
        }
        apv_locked_t *b = &apps[apv_index_of(app_index, m->application_id)];
        if (receipt) {
            rc = ob_batch_status_event(
                &ob, REPLIES_SOURCE, m->application_id, b->app.portal_ref,
                EV_ST_APPROVALS_REQUESTED, now, b->app.service_deadline,
                apv_receipt_detail(m->agency, m->request_id, receipt, receipt_due), m->request_id);
            b->received++;
        }
        if (rc == DB_OK)
            rc = ob_batch_status_event(&ob, REPLIES_SOURCE, m->application_id, b->app.portal_ref,
                                       EV_ST_AGENCY_REPLIED, now, b->app.service_deadline,
                                       replied_detail(m, why), in[i].ev.id);
        json_decref(why);
        b->answered++;
        ob_cause_t cause = {.kind = "event",
                            .event_id = in[i].ev.id,
                            .topic = in[i].topic,
                            .partition = msgs[i]->partition,
                            .offset = msgs[i]->offset};
        if (rc == DB_OK)
            rc = apv_advance_counted(db, &ob, &b->app, b->received, b->answered, now, &cause);
    }
    /* From here on nothing is read: the writes go out without waiting (deferred). */
    if (rc == DB_OK && json_array_size(rows))
        rc = write_replies(db, rows, now_s);
    if (rc == DB_OK)
        rc = ob_batch_flush(db, &ob);
out:
    for (int i = 0; in && i < n; i++)
        ev_free(&in[i].ev);
    apv_requests_free(&reqs);
    free(in);
    free(apps);
    free(event_ids);
    free(claimed);
    free(slot);
    free(fresh);
    json_decref(app_index);
    json_decref(seen);
    json_decref(rows);
    db_array_free(&app_ids);
    ob_batch_free(&ob);
    return (pl_result_t)rc;
}
