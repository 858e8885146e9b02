/* approval: the state shared by the approval workers (dispatcher, replies, timer) - locking
 * an application, durable timers, and moving an application on once both agencies have
 * received the request (awaiting_replies) and both have answered or are deemed to have
 * agreed (awaiting_decision, ¶12-¶13). Every function runs inside the caller's transaction. */
#ifndef LIC_APPROVAL_H
#define LIC_APPROVAL_H

#include "db.h"
#include "domain.h"
#include "state.h"

#include <time.h>

/* The kind an agency's reply window is reported as (metrics): an open window is a row of
 * reply_windows, deleted when the reply or the deemed approval closes it (migration 017). */
#define TIMER_AGENCY_REPLY "agency_reply_window"

typedef struct {
    char application_id[40];
    char portal_ref[80];
    dom_stage_t stage;
    time_t service_deadline;
    time_t registered_at;
} apv_app_t;

/* Locks the application row (FOR UPDATE) and reads it. DB_OK, a db error, or DB_ERR_DATA
 * when there is no such application. Lock order everywhere: application, then its rows. */
db_rc_t apv_lock(db_t *db, const char *application_id, apv_app_t *out);

/* Fills `out` from four columns of `r` starting at `col`: stage, portal_ref, and
 * service_deadline and registered_at as epoch seconds (apv_lock*.sql and the statements that
 * read an application with its requests select them in this order). */
void apv_app_read(PGresult *r, int row, int col, const char *application_id, apv_app_t *out);

/* Takes the application's lock without reading it: when deferring, the statement goes out with
 * the caller's next read, one round trip for both. That read, a statement of its own, sees
 * what the lock's previous holder committed (a statement that locks reads the other tables as
 * they were when it began, before any wait). No error when there is no such application. */
db_rc_t apv_lock_only(db_t *db, const char *application_id);

/* Schedules a durable timer (idempotent on application, kind, ref). */
db_rc_t tm_schedule(db_t *db, const char *application_id, const char *kind, const char *ref,
                    time_t due);
/* Cancels an open timer (no-op when none is open). */
db_rc_t tm_cancel(db_t *db, const char *application_id, const char *kind, const char *ref,
                  time_t at);

/* Records an incident for operators (idempotent on application, kind, ref) and logs it. */
db_rc_t apv_incident(db_t *db, const char *application_id, const char *kind, const char *ref,
                     const char *detail, time_t at);

/* The detail of an agency's `approvals_requested` status event: its receipt of the request
 * and the end of its reply window (¶12). */
json_t *apv_receipt_detail(const char *agency, const char *request_id, time_t received_at,
                           time_t reply_due_at);

/* Moves a locked application on as far as its agency requests allow. */
db_rc_t apv_advance(db_t *db, apv_app_t *app, time_t now, const ob_cause_t *cause);
/* The same with the counts known to the caller (read after the application's lock, plus the
 * caller's own changes): how many requests the agencies confirmed and how many have an
 * outcome. Writes only, so it can be deferred; with `ob`, the transitions are collected
 * there for a batch (see ob_batch_t) instead. */
db_rc_t apv_advance_counted(db_t *db, ob_batch_t *ob, apv_app_t *app, int received, int answered,
                            time_t now, const ob_cause_t *cause);

/* ---- the same for a batch of applications ---- */

/* An application locked by apv_lock_many(), with its requests as they were then: how many
 * the agencies confirmed receiving and how many have an outcome. The caller keeps the counts
 * up to date with its own changes. */
typedef struct {
    apv_app_t app;
    int received, answered;
} apv_locked_t;

/* Columns of apv_requests_t's rows. */
enum {
    APV_REQ_ID,
    APV_REQ_APP,
    APV_REQ_AGENCY,
    APV_REQ_RECEIVED,
    APV_REQ_OUTCOME,
    APV_REQ_DUE,
    APV_REQ_PENDING
};

/* The agency requests of a batch's applications as apv_lock_many() read them: request id,
 * application id, agency, state = 'received' ("t"/"f"), outcome ("" for none), reply_due_at
 * in epoch seconds ("" for none), state = 'pending' ("t"/"f"); and `index`: request id -> row. */
typedef struct {
    PGresult *rows;
    json_t *index;
} apv_requests_t;

void apv_requests_free(apv_requests_t *q);

/* Locks the applications whose ids are in `ids` (an array literal, db_array_t; duplicates
 * allowed) in one statement, in id order - the order every batch locks them in - and reads
 * them; then, in a second statement, reads their agency requests, from which each locked
 * application's counts are taken (and, when `reqs` is not NULL, kept there for the caller).
 * With `skip_locked`, applications locked by another transaction are left out (not waited
 * for: a caller holding locks while it waits can deadlock with one that takes them in another
 * order). Fills out[] (room for `max`) and `index` (a JSON object: id -> position in out[]).
 * Returns how many were locked, or a negative db_rc_t. */
int apv_lock_many(db_t *db, const char *ids, int skip_locked, apv_locked_t *out, int max,
                  json_t *index, apv_requests_t *reqs);

/* The position `index` (a JSON object of integers) gives `key`, or -1. */
int apv_index_of(const json_t *index, const char *key);

#endif
