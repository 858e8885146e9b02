/* complaint: Chapter 3 of the Rules (¶15) as state changes - registering a complaint with its
 * limits (forward to the reviewing body within 3 WD unless fully satisfied in that time;
 * review within 5 WD by the provider or 15 WD by the authorized body), closing or forwarding it
 * on the back office's decision, and the timers that raise `deadline_at_risk` one working day
 * before each limit and a breach when it passes. Functions run in the caller's transaction. */
#ifndef LIC_COMPLAINT_H
#define LIC_COMPLAINT_H

#include "cal.h"
#include "messages.h"
#include "state.h"

#define TIMER_COMPLAINT_FORWARD_RISK "complaint_forward_at_risk"
#define TIMER_COMPLAINT_FORWARD_BREACH "complaint_forward_breach"
#define TIMER_COMPLAINT_REVIEW_RISK "complaint_review_at_risk"
#define TIMER_COMPLAINT_REVIEW_BREACH "complaint_review_breach"

/* Registers a decoded complaint.filed. Returns DB_OK (also for a complaint already
 * registered, which changes nothing), DB_ERR_DATA with errstr when the application is unknown,
 * DB_ERR_RETRY when the calendar does not cover the dates, or another db error. */
db_rc_t cmp_register(db_t *db, const cal_t *cal, const msg_complaint_t *c, const char *event_id,
                     time_t now, const char *source, char *errstr, size_t errstr_size);

/* Applies a decoded complaint.resolved. DB_ERR_DATA with errstr when the complaint is unknown
 * or belongs to another application. A decision on a complaint already closed changes nothing. */
db_rc_t cmp_resolve(db_t *db, const msg_resolution_t *r, const char *event_id, time_t now,
                    const char *source, const char *actor, char *errstr, size_t errstr_size);

/* Fires one complaint timer (`kind` one of TIMER_COMPLAINT_*, `complaint_id` its ref). */
db_rc_t cmp_fire(db_t *db, const cal_t *cal, long long timer_id, const char *kind,
                 const char *complaint_id, time_t now, const char *source);

#endif
