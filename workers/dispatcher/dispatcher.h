/* dispatcher: step 4 of PROCESS.md (¶11) - sends each application in awaiting_approvals to
 * the territorial units of both approving agencies over their HTTP API (CONTRACT.md), many
 * requests at once through libcurl's multi interface, with a per-agency limit on requests in
 * flight, retries with back-off and jitter honouring Retry-After, and a circuit breaker per
 * agency so a dead agency does not stall the other. Work lives in PostgreSQL: request rows are
 * claimed with FOR UPDATE SKIP LOCKED and a lease, so several dispatchers may run. */
#ifndef LIC_DISPATCHER_H
#define LIC_DISPATCHER_H

#include "agencies.h"
#include "cal.h"
#include "db.h"

typedef struct dispatcher dispatcher_t;

/* Loads configuration (agencies file, calendar, limits). NULL with errstr. */
dispatcher_t *dispatcher_new(db_t *db, char *errstr, size_t errstr_size);
void dispatcher_free(dispatcher_t *d);

/* Runs until a stop is requested: requests in flight are finished (or time out) and their
 * results committed before it returns 0. */
int dispatcher_run(dispatcher_t *d);

/* Re-reads the calendar and the agencies file (SIGHUP); keeps the old ones on error. */
void dispatcher_reload(dispatcher_t *d);

#endif
