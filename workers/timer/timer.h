/* timer: fires the agencies' open reply windows, the rows of reply_windows (¶12: no reply in
 * 10 WD counts as approval, recorded as deemed; migration 017), and the durable timers of
 * PostgreSQL's `timers` table (the hearing's outcome, complaints' terms). Due ones are claimed
 * with FOR UPDATE SKIP LOCKED, so several timer processes can run; the worker sleeps until the
 * earliest due time and is woken by LISTEN/NOTIFY when an earlier one is opened. */
#ifndef LIC_TIMER_H
#define LIC_TIMER_H

#include "db.h"

#include <time.h>

#define TIMER_SOURCE "/licensing/timer"

typedef struct tw tw_t;

tw_t *tw_new(db_t *db);
void tw_free(tw_t *tw);

/* Fires every reply window and timer due at `now` (in batches). Returns how many fired, or a
 * negative db_rc_t. */
int tw_fire_due(tw_t *tw, time_t now);

/* Runs until a stop is requested. 0 on a clean stop. */
int tw_run(tw_t *tw);

#endif
