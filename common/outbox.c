/* outbox: transactional outbox rows and state transitions. */
#include "outbox.h"
#include "cal.h"
#include "event.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

db_rc_t ob_enqueue(db_t *db, const char *topic, const void *key, size_t key_len,
                   const void *payload, size_t payload_len, const json_t *headers,
                   const char *event_id, const char *application_id, const char *stage)
{
    char *khex = key ? db_bytea_hex(key, key_len) : NULL;
    char *phex = db_bytea_hex(payload, payload_len);
    char *hdrs = headers ? json_dumps(headers, JSON_COMPACT) : NULL;
    db_rc_t rc = DB_ERR_DATA;
    if (!phex || (key && !khex))
        goto out;
    const char *p[] = {topic, khex, phex, hdrs ? hdrs : "[]", event_id, application_id, stage};
    rc = db_exec(db,
                 "INSERT INTO outbox (topic, msg_key, payload, headers, event_id, application_id,"
                 " stage) VALUES ($1, $2::bytea, $3::bytea, $4::jsonb, $5, $6::uuid, $7)",
                 7, p);
out:
    free(khex);
    free(phex);
    free(hdrs);
    return rc;
}

char *ob_status_payload(const char *source, const char *application_id, const char *portal_ref,
                        const char *stage, time_t at, time_t service_deadline, json_t *detail,
                        const char *cause_key, char id_out[UUID_STR_LEN])
{
    char name[512], ts[40];
    snprintf(name, sizeof(name), "status|%s|%s|%s", application_id, stage,
             cause_key ? cause_key : "");
    util_uuid_derive(name, id_out);
    json_t *data = json_object();
    json_object_set_new(data, "application_id", json_string(application_id));
    json_object_set_new(data, "portal_ref", json_string(portal_ref));
    json_object_set_new(data, "stage", json_string(stage));
    cal_format(at, ts, sizeof(ts));
    json_object_set_new(data, "at", json_string(ts));
    if (service_deadline) {
        cal_format(service_deadline, ts, sizeof(ts));
        json_object_set_new(data, "service_deadline", json_string(ts));
    }
    json_object_set_new(data, "detail", detail ? detail : json_object());
    json_t *ev = ev_build(id_out, source, EV_TYPE_STATUS, application_id, at, data);
    char *payload = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(ev);
    return payload;
}

db_rc_t ob_status_event(db_t *db, const char *source, const char *application_id,
                        const char *portal_ref, const char *stage, time_t at,
                        time_t service_deadline, json_t *detail, const char *cause_key)
{
    char id[UUID_STR_LEN];
    char *payload = ob_status_payload(source, application_id, portal_ref, stage, at,
                                      service_deadline, detail, cause_key, id);
    if (!payload)
        return DB_ERR_DATA;
    db_rc_t rc = ob_enqueue(db, TOPIC_STATUS, application_id, strlen(application_id), payload,
                            strlen(payload), NULL, id, application_id, stage);
    free(payload);
    return rc;
}

/* The cause's columns of a history row, as text parameters (into the caller's buffers). */
static void cause_params(const ob_cause_t *cause, const char **out, char part[16], char off[24],
                         char timer[24])
{
    snprintf(part, 16, "%d", (int)cause->partition);
    snprintf(off, 24, "%lld", (long long)cause->offset);
    snprintf(timer, 24, "%lld", cause->timer_id);
    int is_event = strcmp(cause->kind, "event") == 0;
    int is_timer = strcmp(cause->kind, "timer") == 0;
    out[0] = cause->kind;
    out[1] = is_event ? cause->event_id : NULL;
    out[2] = is_event ? cause->topic : NULL;
    out[3] = is_event ? part : NULL;
    out[4] = is_event ? off : NULL;
    out[5] = is_timer ? timer : NULL;
    out[6] = cause->actor;
}

static int legal(const char *application_id, dom_stage_t from, dom_stage_t to)
{
    if (dom_transition_legal(from, to))
        return 1;
    log_error("illegal transition %s -> %s for %s", dom_stage_name(from), dom_stage_name(to),
              application_id);
    return 0;
}

#define INSERT_HISTORY                                                                             \
    "INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind,"               \
    " cause_event_id, cause_topic, cause_partition, cause_offset, cause_timer_id, cause_actor)"    \
    " VALUES "
#define HISTORY_ROW(from) "($1, " from ", $3, $4, $5, $6, $7, $8, $9, $10, $11)"

/* The history row from -> to; with `registration`, the row none -> `from` before it, in the
 * same statement. */
static db_rc_t history(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                       time_t at, const ob_cause_t *cause, int registration)
{
    char ts[40], part[16], off[24], timer[24];
    util_rfc3339_utc(at, ts, sizeof(ts));
    const char *p[11] = {application_id, dom_stage_name(from), dom_stage_name(to), ts};
    cause_params(cause, p + 4, part, off, timer);
    return db_exec(db,
                   registration ? INSERT_HISTORY "($1, 'none', $2, $4, $5, $6, $7, $8, $9, $10,"
                                                 " $11), " HISTORY_ROW("$2")
                                : INSERT_HISTORY HISTORY_ROW("$2"),
                   11, p);
}

db_rc_t ob_transition(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                      time_t at, const ob_cause_t *cause)
{
    if (!legal(application_id, from, to))
        return DB_ERR_DATA;
    db_rc_t rc;
    if (from != STAGE_NONE) {
        /* Fails (check_violation) unless the application is in `from`: no row count to wait
         * for, so the write can be deferred. */
        const char *p[] = {application_id, dom_stage_name(from), dom_stage_name(to)};
        if ((rc = db_exec(db, "SELECT lic_set_stage($1, $2, $3)", 3, p)) != DB_OK)
            return rc;
    }
    return history(db, application_id, from, to, at, cause, 0);
}

db_rc_t ob_registered(db_t *db, const char *application_id, dom_stage_t to, time_t at,
                      const ob_cause_t *cause)
{
    if (to == STAGE_REGISTERED)
        return ob_transition(db, application_id, STAGE_NONE, STAGE_REGISTERED, at, cause);
    if (!legal(application_id, STAGE_NONE, STAGE_REGISTERED) ||
        !legal(application_id, STAGE_REGISTERED, to))
        return DB_ERR_DATA;
    return history(db, application_id, STAGE_REGISTERED, to, at, cause, 1);
}

/* ---- set-based writes for a batch ---------------------------------------------------------- */

void ob_batch_init(ob_batch_t *b)
{
    b->events = json_array();
    b->transitions = json_array();
    b->stages = json_object();
}

void ob_batch_free(ob_batch_t *b)
{
    json_decref(b->events);
    json_decref(b->transitions);
    json_decref(b->stages);
    b->events = b->transitions = b->stages = NULL;
}

db_rc_t ob_batch_status_event(ob_batch_t *b, const char *source, const char *application_id,
                              const char *portal_ref, const char *stage, time_t at,
                              time_t service_deadline, json_t *detail, const char *cause_key)
{
    char id[UUID_STR_LEN];
    char *payload = ob_status_payload(source, application_id, portal_ref, stage, at,
                                      service_deadline, detail, cause_key, id);
    if (!payload)
        return DB_ERR_DATA;
    json_t *row = json_pack("{s:s,s:s,s:s,s:s}", "application_id", application_id, "payload",
                            payload, "event_id", id, "stage", stage);
    free(payload);
    if (!row || json_array_append_new(b->events, row))
        return DB_ERR_RETRY;
    return DB_OK;
}

db_rc_t ob_batch_transition(ob_batch_t *b, const char *application_id, dom_stage_t from,
                            dom_stage_t to, time_t at, const ob_cause_t *cause)
{
    if (from == STAGE_NONE || !legal(application_id, from, to))
        return DB_ERR_DATA; /* the batch moves applications that exist */
    /* One stage change per application: from its stage before the batch to its last. */
    json_t *st = json_object_get(b->stages, application_id);
    if (st) {
        if (strcmp(json_string_value(json_object_get(st, "to_stage")), dom_stage_name(from)) != 0) {
            log_error("transition %s -> %s for %s does not follow the batch's last one",
                      dom_stage_name(from), dom_stage_name(to), application_id);
            return DB_ERR_DATA;
        }
        json_object_set_new(st, "to_stage", json_string(dom_stage_name(to)));
    } else if (json_object_set_new(b->stages, application_id,
                                   json_pack("{s:s,s:s}", "from_stage", dom_stage_name(from),
                                             "to_stage", dom_stage_name(to)))) {
        return DB_ERR_RETRY;
    }
    char ts[40];
    util_rfc3339_utc(at, ts, sizeof(ts));
    json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s}", "application_id", application_id, "from_stage",
                            dom_stage_name(from), "to_stage", dom_stage_name(to), "at", ts,
                            "cause_kind", cause->kind);
    if (!row)
        return DB_ERR_RETRY;
    if (strcmp(cause->kind, "event") == 0) {
        json_object_set_new(row, "cause_event_id", json_string(cause->event_id));
        json_object_set_new(row, "cause_topic", json_string(cause->topic));
        json_object_set_new(row, "cause_partition", json_integer(cause->partition));
        json_object_set_new(row, "cause_offset", json_integer(cause->offset));
    } else if (strcmp(cause->kind, "timer") == 0) {
        json_object_set_new(row, "cause_timer_id", json_integer(cause->timer_id));
    }
    if (cause->actor)
        json_object_set_new(row, "cause_actor", json_string(cause->actor));
    return json_array_append_new(b->transitions, row) ? DB_ERR_RETRY : DB_OK;
}

/* Runs `sql` with the JSON text of `v` as $1 (and `topic` as $2 when given). */
static db_rc_t exec_json(db_t *db, const char *sql, const json_t *v, const char *topic)
{
    char *text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return DB_ERR_RETRY;
    const char *p[] = {text, topic};
    db_rc_t rc = db_exec(db, sql, topic ? 2 : 1, p);
    free(text);
    return rc;
}

db_rc_t ob_batch_flush(db_t *db, ob_batch_t *b)
{
    db_rc_t rc = DB_OK;
    if (json_object_size(b->stages) > 0) {
        json_t *changes = json_array();
        const char *app;
        json_t *st;
        json_object_foreach(b->stages, app, st)
        {
            json_t *c = json_deep_copy(st);
            json_object_set_new(c, "application_id", json_string(app));
            json_array_append_new(changes, c);
        }
        rc = exec_json(db, "SELECT lic_set_stages($1::json)", changes, NULL);
        json_decref(changes);
    }
    if (rc == DB_OK && json_array_size(b->transitions) > 0)
        rc = exec_json(db,
                       "INSERT INTO transitions (application_id, from_stage, to_stage, at,"
                       " cause_kind, cause_event_id, cause_topic, cause_partition, cause_offset,"
                       " cause_timer_id, cause_actor)"
                       " SELECT t.application_id, t.from_stage, t.to_stage, t.at, t.cause_kind,"
                       " t.cause_event_id, t.cause_topic, t.cause_partition, t.cause_offset,"
                       " t.cause_timer_id, t.cause_actor"
                       " FROM ROWS FROM (json_to_recordset($1::json) AS (application_id uuid,"
                       " from_stage text, to_stage text, at timestamptz, cause_kind text,"
                       " cause_event_id text, cause_topic text, cause_partition integer,"
                       " cause_offset bigint, cause_timer_id bigint, cause_actor text))"
                       " WITH ORDINALITY AS t ORDER BY t.ordinality",
                       b->transitions, NULL);
    /* The payload is stored as the bytes of its text, as ob_enqueue() stores it. */
    if (rc == DB_OK && json_array_size(b->events) > 0)
        rc = exec_json(db,
                       "INSERT INTO outbox (topic, msg_key, payload, event_id, application_id,"
                       " stage)"
                       " SELECT $2, convert_to(t.application_id, 'UTF8'),"
                       " convert_to(t.payload, 'UTF8'), t.event_id, t.application_id::uuid,"
                       " t.stage"
                       " FROM ROWS FROM (json_to_recordset($1::json) AS (application_id text,"
                       " payload text, event_id text, stage text))"
                       " WITH ORDINALITY AS t ORDER BY t.ordinality",
                       b->events, TOPIC_STATUS);
    json_array_clear(b->events);
    json_array_clear(b->transitions);
    json_object_clear(b->stages);
    return rc;
}
