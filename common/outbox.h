/* outbox: messages the workers publish, written in the deciding transaction (transactional
 * outbox), plus the state-change helper that pairs every transition with its history row and
 * its status event. The relay worker publishes the rows. */
#ifndef LIC_OUTBOX_H
#define LIC_OUTBOX_H

#include "db.h"
#include "domain.h"

#include <jansson.h>
#include <stdint.h>
#include <time.h>

/* What caused a state change: a consumed event, a timer, or an actor. */
typedef struct {
    const char *kind; /* "event", "timer", "actor" */
    const char *event_id;
    const char *topic;
    int32_t partition;
    int64_t offset;
    long long timer_id;
    const char *actor;
} ob_cause_t;

/* Queues one message. `headers` (borrowed, may be NULL) is a JSON array of [name, value]
 * string pairs. `event_id`, `application_id` and `stage` (may be NULL) are bookkeeping for
 * the invariant checker and operators. */
db_rc_t ob_enqueue(db_t *db, const char *topic, const void *key, size_t key_len,
                   const void *payload, size_t payload_len, const json_t *headers,
                   const char *event_id, const char *application_id, const char *stage);

/* Queues a `status.v1` event (CONTRACT.md) for an application. `detail` is stolen. The event
 * id is derived from (application, stage, cause_key), so re-deciding the same cause yields the
 * same id. `service_deadline` 0 omits it (before registration). */
db_rc_t ob_status_event(db_t *db, const char *source, const char *application_id,
                        const char *portal_ref, const char *stage, time_t at,
                        time_t service_deadline, json_t *detail, const char *cause_key);

/* Moves an application from `from` to `to` (checked against the transition table and, with
 * optimistic concurrency, against its current stage) and appends the history row. Returns
 * DB_OK, a db error, or DB_ERR_DATA when the move is illegal or the stage changed meanwhile
 * (the caller sees db_last_error()). For from == STAGE_NONE only the history row is written
 * (the caller inserted the application in stage `to`). */
db_rc_t ob_transition(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                      time_t at, const ob_cause_t *cause);

#endif
