/* state: stage changes with their history rows and status events. */
#include "state.h"
#include "store_sql.h"
#include "cal.h"
#include "event.h"
#include "jsonx.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ob_status_payload(const char *source, const char *application_id, const char *portal_ref,
                        ev_status_t status, time_t at, time_t service_deadline, json_t *detail,
                        const char *cause_key, char id_out[UUID_STR_LEN])
{
    char name[512], ts[40];
    const char *stage = ev_status_name(status);
    if (!stage)
        return NULL;
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
        /* A year whose transfers are not yet published: the term may still move (#29). */
        if (cal_provisional(service_deadline))
            json_object_set_new(data, "service_deadline_provisional", json_true());
    }
    json_object_set_new(data, "detail", detail ? detail : json_object());
    json_t *ev = ev_build(id_out, source, EV_TYPE_STATUS, application_id, at, data);
    char *payload = jx_dumps(ev);
    json_decref(ev);
    return payload;
}

/* One event: a plain INSERT. Not the batch of one - ob_batch_flush()'s unnest of arrays costs
 * the intake, whose every application publishes one, a fifth of its rate (docs/performance.md). */
db_rc_t ob_status_event(db_t *db, const char *source, const char *application_id,
                        const char *portal_ref, ev_status_t status, time_t at,
                        time_t service_deadline, json_t *detail, const char *cause_key)
{
    char id[UUID_STR_LEN];
    char *payload = ob_status_payload(source, application_id, portal_ref, status, at,
                                      service_deadline, detail, cause_key, id);
    if (!payload)
        return DB_ERR_DATA;
    json_t *h = json_pack("[[s,s]]", "content-type", OB_CE_CONTENT_TYPE);
    db_rc_t rc = ob_enqueue(db, TOPIC_STATUS, application_id, strlen(application_id), payload,
                            strlen(payload), h, id, application_id, ev_status_name(status));
    json_decref(h);
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
    out[5] = is_timer && !cause->request_id ? timer : NULL;
    out[6] = cause->actor;
    out[7] = is_timer ? cause->request_id : NULL;
}

static int legal(const char *application_id, dom_stage_t from, dom_stage_t to)
{
    if (dom_transition_legal(from, to))
        return 1;
    log_error("illegal transition %s -> %s for %s", dom_stage_name(from), dom_stage_name(to),
              application_id);
    return 0;
}

/* The history row from -> to; with `registration`, the row none -> `from` before it, in the
 * same statement. */
static db_rc_t history(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                       time_t at, const ob_cause_t *cause, int registration)
{
    char ts[40], part[16], off[24], timer[24];
    util_rfc3339_utc(at, ts, sizeof(ts));
    const char *p[OB_TRANSITION_COLUMNS] = {application_id, dom_stage_name(from),
                                            dom_stage_name(to), ts};
    cause_params(cause, p + 4, part, off, timer);
    return db_exec(db, registration ? sql_history_registered : sql_history_row,
                   OB_TRANSITION_COLUMNS, p);
}

db_rc_t ob_transition(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                      time_t at, const ob_cause_t *cause)
{
    if (!legal(application_id, from, to))
        return DB_ERR_DATA;
    if (from != STAGE_NONE) {
        /* Fails (check_violation) unless the application is in `from`: no row count to wait
         * for, so the write can be deferred. */
        const char *p[] = {application_id, dom_stage_name(from), dom_stage_name(to)};
        db_rc_t rc;
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

int ob_batch_init(ob_batch_t *b)
{
    for (int i = 0; i < OB_EVENT_COLUMNS; i++)
        db_barray_init(&b->events[i], i == 1 ? DB_OID_BYTEA : DB_OID_TEXT);
    for (int i = 0; i < OB_TRANSITION_COLUMNS; i++)
        db_barray_init(&b->transitions[i], DB_OID_TEXT);
    b->stages = json_object();
    return b->stages ? 0 : -1;
}

void ob_batch_free(ob_batch_t *b)
{
    for (int i = 0; i < OB_EVENT_COLUMNS; i++)
        db_barray_free(&b->events[i]);
    for (int i = 0; i < OB_TRANSITION_COLUMNS; i++)
        db_barray_free(&b->transitions[i]);
    json_decref(b->stages);
    b->stages = NULL;
}

db_rc_t ob_batch_status_event(ob_batch_t *b, const char *source, const char *application_id,
                              const char *portal_ref, ev_status_t status, time_t at,
                              time_t service_deadline, json_t *detail, const char *cause_key)
{
    char id[UUID_STR_LEN];
    char *payload = ob_status_payload(source, application_id, portal_ref, status, at,
                                      service_deadline, detail, cause_key, id);
    if (!payload)
        return DB_ERR_DATA;
    const char *row[OB_EVENT_COLUMNS] = {application_id, payload, id, ev_status_name(status)};
    db_rc_t rc = db_barray_add_row(b->events, OB_EVENT_COLUMNS, row) ? DB_ERR_RETRY : DB_OK;
    free(payload);
    return rc;
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
    char ts[40], part[16], off[24], timer[24];
    util_rfc3339_utc(at, ts, sizeof(ts));
    const char *row[OB_TRANSITION_COLUMNS] = {application_id, dom_stage_name(from),
                                              dom_stage_name(to), ts};
    cause_params(cause, row + 4, part, off, timer);
    return db_barray_add_row(b->transitions, OB_TRANSITION_COLUMNS, row) ? DB_ERR_RETRY : DB_OK;
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
        char *text = jx_dumps(changes);
        const char *p[] = {text};
        rc = text ? db_exec(db, "SELECT lic_set_stages($1::json)", 1, p) : DB_ERR_RETRY;
        free(text);
        json_decref(changes);
    }
    if (rc == DB_OK && b->transitions[0].count > 0)
        rc = db_exec_columns(db, sql_ob_batch_flush_insert_transitions, NULL, b->transitions,
                             OB_TRANSITION_COLUMNS, 0);
    /* The payload is stored as the bytes of its text, as ob_enqueue() stores it. */
    if (rc == DB_OK && b->events[0].count > 0)
        rc = db_exec_columns(db, sql_ob_batch_flush_insert_outbox, TOPIC_STATUS, b->events,
                             OB_EVENT_COLUMNS, 0);
    for (int i = 0; i < OB_EVENT_COLUMNS; i++)
        db_barray_reset(&b->events[i]);
    for (int i = 0; i < OB_TRANSITION_COLUMNS; i++)
        db_barray_reset(&b->transitions[i]);
    json_object_clear(b->stages);
    return rc;
}
