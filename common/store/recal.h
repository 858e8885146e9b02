/* recal: a change of the working calendar carried to the deadlines already stored (issue #29).
 * A stored deadline is a number of working days from its origin (the registration, the
 * request's receipt, the hearing's notice, the complaint's registration); a calendar that makes
 * a day between them a day off or a working day moves the deadline so that the count stays the
 * same, at the same time of day. Only deadlines crossing a changed day are looked at, and only
 * those whose date differs are written: the deadline with its timer or reply window, a row of
 * deadline_changes and a `deadline_changed` status event, in batches of their own transactions.
 * The calendars applied are kept in calendar_versions (migration 034): the one in force is the
 * "old" of the next change, and a run cut off resumes without moving anything twice. */
#ifndef LIC_RECAL_H
#define LIC_RECAL_H

#include "cal.h"
#include "db.h"

#include <jansson.h>
#include <time.h>

typedef struct {
    int changed_days; /* days whose working status differs */
    long looked_at;   /* deadlines crossing one of them */
    long moved;       /* of those, the ones whose date changed */
    long past;        /* of those, the ones the change put in the past: due at once */
    int version;      /* the calendar version applied (0: none) */
} recal_stats_t;

/* The days, in the years both calendars cover, that one calendar has as a working day and the
 * other as a day off, in order. *days is malloc'd (NULL when none). */
int recal_changed_days(const cal_t *old_cal, const cal_t *new_cal, cal_date_t **days, int *n);

/* The SHA-256 (hex) of calendar data, as kept in calendar_versions. */
void recal_digest(const json_t *data, char out[65]);

/* recal_move()'s mode: count only, write nothing; a sweep after the version was applied,
 * which moves only what positively was computed with `old_cal` (the Rules' count of working
 * days under it, not under `new_cal`) and leaves a deadline of any other span as it is. */
#define RECAL_DRY_RUN 1
#define RECAL_SWEEP 2

/* Moves the pending deadlines that `new_cal` changes against `old_cal`, under calendar
 * version `version` with `act` recorded (`mode`: RECAL_DRY_RUN, RECAL_SWEEP or 0).
 * `per_day` (may be NULL) gets, per changed day "YYYY-MM-DD", how many moved deadlines cross
 * it. Each batch is a transaction of its own (opened here). */
db_rc_t recal_move(db_t *db, const cal_t *old_cal, const cal_t *new_cal, int version,
                   const char *act, const char *source, time_t now, int mode, json_t *per_day,
                   recal_stats_t *st);

/* Applies calendar data `data` (already loaded as `new_cal`): against the calendar in force in
 * calendar_versions, or, when there is none yet, records `data` as the first one (nothing
 * moves). One applier at a time (a session advisory lock): DB_ERR_BUSY-like result 1 when
 * another holds it (the caller only reloads). 0 done (st filled), a negative db_rc_t on error,
 * with errstr. `who`: the worker or operator recorded with the version. */
int recal_apply(db_t *db, const cal_t *new_cal, const json_t *data, const char *who,
                const char *source, time_t now, recal_stats_t *st, char *errstr,
                size_t errstr_size);

/* The act named in calendar data: its "act", else a description from its digest. */
void recal_act(const json_t *data, char *out, size_t size);

#endif
