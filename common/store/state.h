/* state: every change of an application's stage, paired with its history row and its
 * status event (CONTRACT.md `status.v1`), queued through the outbox in the deciding
 * transaction - one at a time or set-based for a batch. */
#ifndef LIC_STATE_H
#define LIC_STATE_H

#include "db.h"
#include "domain.h"
#include "event.h"
#include "outbox.h"
#include "util.h"

#include <jansson.h>
#include <stdint.h>
#include <time.h>

/* What caused a state change: a consumed event, a timer, or an actor. A timer is a row of
 * `timers` (timer_id) or an agency's reply window, which its request holds (request_id). */
typedef struct {
    const char *kind; /* "event", "timer", "actor" */
    const char *event_id;
    const char *topic;
    int32_t partition;
    int64_t offset;
    long long timer_id;
    const char *actor;
    const char *request_id;
} ob_cause_t;

/* Queues a `status.v1` event (CONTRACT.md) for an application. `detail` is stolen. The event
 * id is derived from (application, stage, cause_key), so re-deciding the same cause yields the
 * same id. `service_deadline` 0 omits it (before registration). */
db_rc_t ob_status_event(db_t *db, const char *source, const char *application_id,
                        const char *portal_ref, ev_status_t status, time_t at,
                        time_t service_deadline, json_t *detail, const char *cause_key);

/* The payload of that event, as ob_status_event() queues it; its id in `id_out`. `detail` is
 * stolen. NULL when out of memory. The caller frees the result. */
char *ob_status_payload(const char *source, const char *application_id, const char *portal_ref,
                        ev_status_t status, time_t at, time_t service_deadline, json_t *detail,
                        const char *cause_key, char id_out[UUID_STR_LEN]);

/* Moves an application from `from` to `to` (checked against the transition table and, with
 * optimistic concurrency, against its current stage) and appends the history row. Returns
 * DB_OK, a db error, or DB_ERR_DATA when the move is illegal or the stage changed meanwhile
 * (the caller sees db_last_error()). For from == STAGE_NONE only the history row is written
 * (the caller inserted the application in stage `to`). */
db_rc_t ob_transition(db_t *db, const char *application_id, dom_stage_t from, dom_stage_t to,
                      time_t at, const ob_cause_t *cause);

/* The history of an application the caller inserted directly in stage `to`, reached from
 * registered in the same transaction: none -> registered and registered -> `to`, two rows in
 * one statement (the application's row is written once). `to` = registered gives the first
 * alone. */
db_rc_t ob_registered(db_t *db, const char *application_id, dom_stage_t to, time_t at,
                      const ob_cause_t *cause);

/* Set-based writes for a batch of state changes: status events, transitions and the
 * applications' stage changes are collected, then written by ob_batch_flush() in three
 * statements whatever the batch's size (instead of one to three statements per change). The
 * outcome is the one the single-row functions above give, in the same order: the status
 * events queued in the order they were added, every transition with its history row, and the
 * stage change checked against each application's stage (a mismatch fails the flush with
 * DB_ERR_DATA). */
#define OB_EVENT_COLUMNS 4       /* application_id, payload, event_id, stage */
#define OB_TRANSITION_COLUMNS 12 /* application_id, from_stage, to_stage, at, cause_* */
typedef struct {
    /* Columns as binary arrays (db_barray_t): a payload goes to the server as it is. */
    db_barray_t events[OB_EVENT_COLUMNS];
    db_barray_t transitions[OB_TRANSITION_COLUMNS];
    json_t *stages; /* {application_id: {from_stage, to_stage}} */
} ob_batch_t;

/* Returns 0, or -1 when out of memory (ob_batch_free() it all the same). */
int ob_batch_init(ob_batch_t *b);
void ob_batch_free(ob_batch_t *b);
/* As ob_status_event(); `detail` is stolen. */
db_rc_t ob_batch_status_event(ob_batch_t *b, const char *source, const char *application_id,
                              const char *portal_ref, ev_status_t status, time_t at,
                              time_t service_deadline, json_t *detail, const char *cause_key);
/* As ob_transition() for from != STAGE_NONE. */
db_rc_t ob_batch_transition(ob_batch_t *b, const char *application_id, dom_stage_t from,
                            dom_stage_t to, time_t at, const ob_cause_t *cause);
/* Writes what was collected (may be deferred, see db_defer()) and empties the batch. */
db_rc_t ob_batch_flush(db_t *db, ob_batch_t *b);

#endif
