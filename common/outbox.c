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

db_rc_t ob_status_event(db_t *db, const char *source, const char *application_id,
                        const char *portal_ref, const char *stage, time_t at,
                        time_t service_deadline, json_t *detail, const char *cause_key)
{
    char name[512], id[UUID_STR_LEN], ts[40];
    snprintf(name, sizeof(name), "status|%s|%s|%s", application_id, stage,
             cause_key ? cause_key : "");
    util_uuid_derive(name, id);
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
    json_t *ev = ev_build(id, source, EV_TYPE_STATUS, application_id, at, data);
    char *payload = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(ev);
    if (!payload)
        return DB_ERR_DATA;
    db_rc_t rc = ob_enqueue(db, TOPIC_STATUS, application_id, strlen(application_id), payload,
                            strlen(payload), NULL, id, application_id, stage);
    free(payload);
    return rc;
}

db_rc_t ob_transition(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                      time_t at, const ob_cause_t *cause)
{
    if (!dom_transition_legal(from, to)) {
        log_error("illegal transition %s -> %s for %s", dom_stage_name(from), dom_stage_name(to),
                  application_id);
        return DB_ERR_DATA;
    }
    db_rc_t rc;
    if (from != STAGE_NONE) {
        /* Fails (check_violation) unless the application is in `from`: no row count to wait
         * for, so the write can be deferred. */
        const char *p[] = {application_id, dom_stage_name(from), dom_stage_name(to)};
        if ((rc = db_exec(db, "SELECT lic_set_stage($1, $2, $3)", 3, p)) != DB_OK)
            return rc;
    }
    char ts[40], part[16], off[24], timer[24];
    util_rfc3339_utc(at, ts, sizeof(ts));
    snprintf(part, sizeof(part), "%d", (int)cause->partition);
    snprintf(off, sizeof(off), "%lld", (long long)cause->offset);
    snprintf(timer, sizeof(timer), "%lld", cause->timer_id);
    int is_event = strcmp(cause->kind, "event") == 0;
    int is_timer = strcmp(cause->kind, "timer") == 0;
    const char *p[] = {application_id,
                       dom_stage_name(from),
                       dom_stage_name(to),
                       ts,
                       cause->kind,
                       is_event ? cause->event_id : NULL,
                       is_event ? cause->topic : NULL,
                       is_event ? part : NULL,
                       is_event ? off : NULL,
                       is_timer ? timer : NULL,
                       cause->actor};
    return db_exec(db,
                   "INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind,"
                   " cause_event_id, cause_topic, cause_partition, cause_offset, cause_timer_id,"
                   " cause_actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                   11, p);
}
