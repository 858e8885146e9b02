/* timer: see timer.h. */
#include "timer.h"
#include "timer_sql.h"
#include "worker.h"
#include "agencies.h"
#include "approval.h"
#include "complaint.h"
#include "decision.h"
#include "cal.h"
#include "recal.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kinds of `timers` rows this worker fires (a comma-separated list for string_to_array);
 * the agencies' reply windows it fires from reply_windows. */
#define KINDS                                                                                      \
    TIMER_HEARING_OUTCOME "," TIMER_COMPLAINT_FORWARD_RISK "," TIMER_COMPLAINT_FORWARD_BREACH      \
                          "," TIMER_COMPLAINT_REVIEW_RISK "," TIMER_COMPLAINT_REVIEW_BREACH

struct tw {
    db_t *db;
    cal_t *cal;
    json_t *cal_data;  /* the calendar file as read: what calendar_versions keeps */
    int recal_pending; /* the calendar read is not yet known to be in force (#29) */
    int64_t sweep_at;  /* util_mono_ms() of the sweep again after a reload (0: none) */
    long batch;
    int test_clock;          /* a clock file can jump: never sleep long */
    int skipped;             /* windows of the last round left because their application was busy */
    int look;                /* fire what is due at the next round */
    long long due, earliest; /* the nearest due time; the earliest a wake-up announced */
};

tw_t *tw_new(db_t *db)
{
    tw_t *tw = calloc(1, sizeof(*tw));
    if (!tw)
        return NULL;
    tw->db = db;
    tw->batch = cfg_get_long("TIMER_BATCH", 1000);
    tw->test_clock = cfg_get("CLOCK_FILE") != NULL;
    char err[512];
    if (cal_read_file(cfg_get("CALENDAR_FILE"), &tw->cal, &tw->cal_data, err, sizeof(err))) {
        log_error("cannot load the calendar: %s", err);
        free(tw);
        return NULL;
    }
    tw->recal_pending = 1;
    return tw;
}

void tw_free(tw_t *tw)
{
    if (tw) {
        cal_free(tw->cal);
        json_decref(tw->cal_data);
    }
    free(tw);
}

/* After a reload, the deadlines are swept once more this long after: other workers reloading
 * the calendar later than this one may have computed some with the calendar before it. */
#define SWEEP_AGAIN_MS 60000

/* The calendar read made the one in force: the stored deadlines it changes moved (recal.c).
 * Another worker or the operator doing it meanwhile leaves this one with a sweep (idempotent). */
static int tw_recal(tw_t *tw)
{
    recal_stats_t st;
    char err[512];
    int rc = recal_apply(tw->db, tw->cal, tw->cal_data, "timer", TIMER_SOURCE, clock_now(), &st,
                         err, sizeof(err));
    if (rc < 0 && sig_stop_requested()) {
        log_info("stopping: the calendar change is resumed at the next start");
        return 0;
    }
    if (rc < 0) {
        log_error("calendar change not applied yet: %s", err);
        return rc;
    }
    if (rc == 1)
        return 0; /* another worker applies a calendar: look again at the next round */
    tw->recal_pending = 0;
    tw->sweep_at = tw->sweep_at ? 0 : util_mono_ms() + SWEEP_AGAIN_MS;
    if (st.changed_days > 0 || st.moved > 0)
        log_info("calendar version %d: %d changed days, %ld deadlines looked at, %ld moved, "
                 "%ld of them due at once",
                 st.version, st.changed_days, st.looked_at, st.moved, st.past);
    mt_add("lic_deadlines_moved_total", NULL, (double)st.moved);
    mt_set("lic_calendar_version", NULL, st.version);
    tw->look = 1;
    return 0;
}

/* SIGHUP: the calendar file again; an invalid one leaves the calendar in use. */
static void tw_reload(void *opaque)
{
    tw_t *tw = opaque;
    if (cal_reload_data(&tw->cal, &tw->cal_data, cfg_get("CALENDAR_FILE")) == 0) {
        tw->recal_pending = 1;
        tw->sweep_at = 0;
    }
}

/* ¶13: no outcome of the hearing by the hearing date + 1 WD: operators must act before the
 * service term runs out. */
static db_rc_t fire_hearing_outcome(tw_t *tw, long long timer_id, const char *app_id,
                                    const char *hearing_id, time_t now)
{
    apv_app_t app;
    db_rc_t rc = apv_lock(tw->db, app_id, &app);
    if (rc != DB_OK || app.stage != STAGE_REFUSAL_PROPOSED)
        return rc;
    int left = 0;
    char err[256], due_s[40], detail_s[300];
    if (cal_working_days_between(tw->cal, now, app.service_deadline, &left, err, sizeof(err)))
        left = 0;
    cal_format(app.service_deadline, due_s, sizeof(due_s));
    json_t *detail = json_pack("{s:s,s:s,s:s,s:i}", "deadline", "hearing_outcome", "hearing_id",
                               hearing_id, "due", due_s, "working_days_left", left);
    char key[80];
    snprintf(key, sizeof(key), "timer:%lld", timer_id);
    if ((rc = ob_status_event(tw->db, TIMER_SOURCE, app_id, app.portal_ref, EV_ST_DEADLINE_AT_RISK,
                              now, app.service_deadline, detail, key)) != DB_OK)
        return rc;
    snprintf(detail_s, sizeof(detail_s),
             "no outcome of hearing %s a working day after it; the service term ends %s "
             "(%d WD left)",
             hearing_id, due_s, left);
    return apv_incident(tw->db, app_id, "hearing_outcome_overdue", hearing_id, detail_s, now);
}

/* ---- agencies' reply windows ---------------------------------------------------------- */

/* What one deemed approval says: its status event's detail. */
static json_t *deemed_detail(const char *agency, const char *request_id, time_t due)
{
    char due_s[40];
    cal_format(due, due_s, sizeof(due_s));
    return json_pack("{s:s,s:s,s:b,s:s,s:s}", "agency", agency, "request_id", request_id, "deemed",
                     1, "reply_due_at", due_s, "rule",
                     "¶12; Law on Permits and Notifications, art. 25 p. 3");
}

/* The status event's cause key of a deemed approval: the window's request. */
static void window_key(const char *request_id, char *key, size_t size)
{
    snprintf(key, size, "reply_window:%s", request_id);
}

/* The database rejected the firing of a window or timer (a constraint, a bad reference):
 * nothing it wrote stays (back to the savepoint `tm_fire`), `update` ($1 its id, and when
 * `with_error` $2 the time and $3 the error) sets it aside, and an incident tells operators; the
 * batch goes on, so one bad row never holds back every deadline behind it. `what` names it in the
 * log and incident. */
static db_rc_t set_aside(tw_t *tw, const char *update, int with_error, const char *id,
                         const char *app_id, const char *what, const char *now_s)
{
    char err[512];
    snprintf(err, sizeof(err), "%s", db_last_error(tw->db));
    db_rc_t rc = db_exec(tw->db, "ROLLBACK TO SAVEPOINT tm_fire", 0, NULL);
    if (rc != DB_OK)
        return rc;
    log_error("%s cannot be fired and is set aside: %s", what, err);
    const char *p[] = {id, now_s, err};
    if ((rc = db_exec(tw->db, update, with_error ? 3 : 1, p)) != DB_OK)
        return rc;
    char detail[700];
    snprintf(detail, sizeof(detail), "%s cannot be fired: %s", what, err);
    return apv_incident(tw->db, app_id, "timer_failed", id, detail, clock_now());
}

/* ¶12 and art. 25 p. 3 of the Law on Permits: no reply within 10 WD is an approval, deemed.
 * Fires the `n` claimed windows of `r` (request_id, application_id) from row `first`: each
 * request deemed, its status event, the application moved on, the window closed - with the
 * applications locked in one statement and their requests read in another. In bulk the writes
 * are sent without waiting, one statement a table, and an application another transaction
 * holds (a reply being recorded, which then waits for this window's row) is skipped, not
 * waited for: `skipped` counts its windows, left for the next round. `careful` (one window
 * under a savepoint) waits for its application and does not defer. A window answered
 * meanwhile is closed, nothing deemed. */
static db_rc_t fire_window_rows(tw_t *tw, PGresult *r, int first, int n, int careful, time_t now,
                                const char *now_s, int *fired, int *skipped)
{
    db_t *db = tw->db;
    db_rc_t rc = DB_OK;
    db_array_t deemed = {0}, closed = {0}, app_ids = {0};
    apv_locked_t *apps = calloc((size_t)n, sizeof(*apps));
    apv_requests_t reqs = {0};
    PGresult *q = NULL;
    /* Applications by id: a batch has thousands. */
    json_t *app_index = json_object();
    ob_batch_t ob;
    int ob_failed = ob_batch_init(&ob);
    if (!apps || !app_index || ob_failed) {
        rc = DB_ERR_RETRY;
        goto out;
    }
    for (int i = first; i < first + n; i++)
        if (db_array_add(&app_ids, PQgetvalue(r, i, 1))) {
            rc = DB_ERR_RETRY;
            goto out;
        }
    int napps = apv_lock_many(db, db_array_text(&app_ids), !careful, apps, n, app_index, &reqs);
    if (napps < 0) {
        rc = napps;
        goto out;
    }
    q = reqs.rows;
    /* From here on nothing is read: every write is sent without waiting, and the status
     * events, transitions and stage changes of the whole batch as three statements. */
    if (!careful && (rc = db_defer(db)) != DB_OK)
        goto out;
    for (int i = first; i < first + n && rc == DB_OK; i++) {
        const char *ref = PQgetvalue(r, i, 0);
        int ai = apv_index_of(app_index, PQgetvalue(r, i, 1));
        if (ai < 0) {
            (*skipped)++;
            continue;
        }
        int k = apv_index_of(reqs.index, ref);
        if (k < 0) {
            rc = DB_ERR_DATA; /* a window names a request of its application: cannot happen */
            break;
        }
        if (db_array_add(&closed, ref)) {
            rc = DB_ERR_RETRY;
            break;
        }
        if (PQgetvalue(q, k, APV_REQ_OUTCOME)[0])
            continue; /* answered, its window left open: closed now, nothing deemed */
        apv_locked_t *b = &apps[ai];
        if (db_array_add(&deemed, ref)) {
            rc = DB_ERR_RETRY;
            break;
        }
        char key[80];
        window_key(ref, key, sizeof(key));
        rc = ob_batch_status_event(&ob, TIMER_SOURCE, b->app.application_id, b->app.portal_ref,
                                   EV_ST_AGENCY_DEEMED_APPROVED, now, b->app.service_deadline,
                                   deemed_detail(PQgetvalue(q, k, APV_REQ_AGENCY), ref,
                                                 (time_t)atoll(PQgetvalue(q, k, APV_REQ_DUE))),
                                   key);
        /* The counts as this batch leaves them. */
        b->answered++;
        ob_cause_t cause = {.kind = "timer", .request_id = ref};
        if (rc == DB_OK)
            rc = apv_advance_counted(db, &ob, &b->app, b->received, b->answered, now, &cause);
    }
    if (rc == DB_OK)
        rc = ob_batch_flush(db, &ob);
    if (rc == DB_OK && deemed.count) {
        const char *pu[] = {db_array_text(&deemed), now_s};
        rc = db_exec_adhoc(db, sql_fire_window_rows_update_agency_requests, 2, pu);
    }
    if (rc == DB_OK && closed.count) {
        const char *pd[] = {db_array_text(&closed)};
        rc = db_exec_adhoc(db, "DELETE FROM reply_windows WHERE request_id = ANY ($1::uuid[])", 1,
                           pd);
    }
    if (rc == DB_OK)
        *fired += (int)deemed.count;
out:
    apv_requests_free(&reqs);
    db_array_free(&deemed);
    db_array_free(&closed);
    db_array_free(&app_ids);
    free(apps);
    json_decref(app_index);
    ob_batch_free(&ob);
    return rc;
}

/* The careful path: fire_window_rows() for each window alone under a savepoint. */
static db_rc_t fire_windows_each(tw_t *tw, PGresult *r, time_t now, const char *now_s, int *fired)
{
    db_rc_t rc = DB_OK;
    for (int i = 0; i < PQntuples(r) && rc == DB_OK; i++) {
        const char *req = PQgetvalue(r, i, 0), *app = PQgetvalue(r, i, 1);
        if ((rc = db_exec(tw->db, "SAVEPOINT tm_fire", 0, NULL)) != DB_OK)
            break;
        int skipped = 0;
        rc = fire_window_rows(tw, r, i, 1, 1, now, now_s, fired, &skipped);
        if (rc == DB_ERR_DATA) {
            char what[120];
            snprintf(what, sizeof(what), "the reply window of request %s", req);
            rc =
                set_aside(tw, sql_fire_windows_each_update_reply_windows, 1, req, app, what, now_s);
        }
    }
    return rc;
}

/* Fires every reply window due at `now`, a batch a transaction. The claim locks the windows'
 * rows (SKIP LOCKED: another timer worker takes the next ones); after a batch the
 * database rejected in bulk, its windows are claimed again without locks and fired one by one
 * under their applications' locks, where one that is rejected is set aside. */
static int fire_windows(tw_t *tw, time_t now, const char *now_s, const char *lim, int *skipped)
{
    int total = 0, careful = 0;
    for (;;) {
        db_rc_t rc = db_begin(tw->db);
        if (rc != DB_OK)
            return rc;
        const char *p[] = {now_s, lim};
        PGresult *r = db_query(tw->db,
                               careful ? sql_fire_windows_select_reply_windows
                                       : sql_fire_windows_select_reply_windows_2,
                               2, p, &rc);
        if (!r) {
            db_rollback(tw->db);
            return rc;
        }
        int n = PQntuples(r), fired = 0, skip = 0;
        rc = careful ? fire_windows_each(tw, r, now, now_s, &fired)
                     : fire_window_rows(tw, r, 0, n, 0, now, now_s, &fired, &skip);
        PQclear(r);
        rc = db_end(tw->db, rc);
        if (rc == DB_ERR_DATA && !careful) {
            log_info("a reply-window batch failed in bulk; firing it window by window");
            careful = 1;
            continue;
        }
        if (rc != DB_OK)
            return rc;
        careful = 0;
        total += fired;
        *skipped += skip;
        if (n < tw->batch || fired == 0)
            return total;
    }
}

/* ---- service terms (¶7) ------------------------------------------------------------------ */

/* One application's service term, looked at under its lock (migration 020): at risk from the
 * end of the working day before its last day, breached once it has passed without a result -
 * each published once a deadline (the cause key names it: a moved deadline is watched anew) -
 * and term_watch_at moved to the next look, or cleared. */
static db_rc_t look_at_term(tw_t *tw, const char *app_id, time_t now)
{
    apv_app_t app;
    db_rc_t rc = apv_lock(tw->db, app_id, &app);
    if (rc != DB_OK)
        return rc;
    cal_term_state_t st = CAL_TERM_QUIET;
    time_t next = 0;
    char err[256];
    if (!dom_stage_final(app.stage) &&
        cal_term_look(tw->cal, app.service_deadline, now, &st, &next, err, sizeof(err))) {
        log_error("cannot look at the service term: %s", err);
        return DB_ERR_RETRY;
    }
    char due_s[40], key[80];
    cal_format(app.service_deadline, due_s, sizeof(due_s));
    snprintf(key, sizeof(key), "service_term:%lld", (long long)app.service_deadline);
    const char *stage = dom_stage_name(app.stage);
    if (st == CAL_TERM_AT_RISK) {
        int left = 0;
        if (cal_working_days_between(tw->cal, now, app.service_deadline, &left, err, sizeof(err)))
            left = 0;
        rc = ob_status_event(tw->db, TIMER_SOURCE, app_id, app.portal_ref, EV_ST_DEADLINE_AT_RISK,
                             now, app.service_deadline,
                             json_pack("{s:s,s:s,s:i,s:s,s:s}", "deadline", "service_term", "due",
                                       due_s, "working_days_left", left, "stage", stage, "rule",
                                       "¶7"),
                             key);
    } else if (st == CAL_TERM_BREACHED) {
        char detail[300];
        snprintf(detail, sizeof(detail),
                 "the service term (¶7) ended %s without a result; the application is at %s", due_s,
                 stage);
        if ((rc = ob_status_event(tw->db, TIMER_SOURCE, app_id, app.portal_ref,
                                  EV_ST_DEADLINE_BREACHED, now, app.service_deadline,
                                  json_pack("{s:s,s:s,s:s,s:s}", "deadline", "service_term", "due",
                                            due_s, "stage", stage, "rule", "¶7"),
                                  key)) == DB_OK)
            rc = apv_incident(tw->db, app_id, "service_term_breached", "", detail, now);
    }
    if (rc != DB_OK)
        return rc;
    char next_s[40];
    util_rfc3339_utc(next, next_s, sizeof(next_s));
    const char *p[] = {app_id, next ? next_s : NULL};
    return db_exec(tw->db, "UPDATE applications SET term_watch_at = $2 WHERE application_id = $1",
                   2, p);
}

/* Looks at the service terms a claim returned (application_id, final): those whose result is
 * issued cleared in one statement, the others one by one under a savepoint, where one the
 * database rejects stops being watched, with an incident. `looked` counts the others. */
static db_rc_t look_at_terms(tw_t *tw, PGresult *r, time_t now, const char *now_s, int *looked)
{
    db_rc_t rc = DB_OK;
    db_array_t done = {0};
    for (int i = 0; i < PQntuples(r) && rc == DB_OK; i++) {
        const char *app = PQgetvalue(r, i, 0);
        if (strcmp(PQgetvalue(r, i, 1), "t") == 0) {
            rc = db_array_add(&done, app) ? DB_ERR_RETRY : DB_OK;
            continue;
        }
        if ((rc = db_exec(tw->db, "SAVEPOINT tm_fire", 0, NULL)) != DB_OK)
            break;
        rc = look_at_term(tw, app, now);
        if (rc == DB_ERR_DATA) {
            char what[120];
            snprintf(what, sizeof(what), "the service term of application %s", app);
            /* No longer watched; the time and the error are the incident's. */
            rc = set_aside(tw,
                           "UPDATE applications SET term_watch_at = NULL WHERE application_id = $1",
                           0, app, app, what, now_s);
        }
        (*looked)++;
    }
    if (rc == DB_OK && done.count) {
        const char *pd[] = {db_array_text(&done)};
        rc = db_exec_adhoc(tw->db, sql_look_at_terms_update_applications, 1, pd);
    }
    db_array_free(&done);
    return rc;
}

/* What one batch does with the rows its claim returned, counting what it fired in *fired. */
typedef db_rc_t (*batch_fn)(tw_t *tw, PGresult *r, time_t now, const char *now_s, int *fired);

/* Claims rows with `claim` ($1 now, $2 the batch size, $3 `extra` when not NULL) and hands
 * them to `fn`, a batch a transaction, until a claim returns less than a batch. The claim
 * locks what it returns (SKIP LOCKED: another timer worker takes the next ones). Returns how
 * many were fired, or a db error. */
static int in_batches(tw_t *tw, const char *claim, const char *extra, batch_fn fn, time_t now,
                      const char *now_s, const char *lim)
{
    int total = 0;
    for (;;) {
        db_rc_t rc = db_begin(tw->db);
        if (rc != DB_OK)
            return rc;
        const char *p[] = {now_s, lim, extra};
        PGresult *r = db_query(tw->db, claim, extra ? 3 : 2, p, &rc);
        if (!r) {
            db_rollback(tw->db);
            return rc;
        }
        int n = PQntuples(r), fired = 0;
        rc = fn(tw, r, now, now_s, &fired);
        PQclear(r);
        rc = db_end(tw->db, rc);
        if (rc != DB_OK)
            return rc;
        total += fired;
        if (n < tw->batch)
            return total;
    }
}

/* Every service term whose look is due at `now` (migration 020). */
static int fire_terms(tw_t *tw, time_t now, const char *now_s, const char *lim)
{
    return in_batches(tw, sql_fire_terms_select_applications, NULL, look_at_terms, now, now_s, lim);
}

/* ---- timers of the `timers` table ------------------------------------------------------- */

/* Fires one batch timer by timer, each under a savepoint: a timer the database rejects is
 * set aside and the rest go on. */
static db_rc_t fire_each(tw_t *tw, PGresult *r, time_t now, const char *now_s, int *fired)
{
    db_rc_t rc = DB_OK;
    *fired = PQntuples(r);
    for (int i = 0; i < PQntuples(r) && rc == DB_OK; i++) {
        long long id = atoll(PQgetvalue(r, i, 0));
        const char *app = PQgetvalue(r, i, 1);
        const char *kind = PQgetvalue(r, i, 2);
        const char *ref = PQgetvalue(r, i, 3);
        if ((rc = db_exec(tw->db, "SAVEPOINT tm_fire", 0, NULL)) != DB_OK)
            break;
        if (strcmp(kind, TIMER_HEARING_OUTCOME) == 0)
            rc = fire_hearing_outcome(tw, id, app, ref, now);
        else if (strncmp(kind, "complaint_", 10) == 0)
            rc = cmp_fire(tw->db, tw->cal, id, kind, ref, now, TIMER_SOURCE);
        if (rc == DB_OK) {
            const char *pf[] = {PQgetvalue(r, i, 0), now_s};
            rc = db_exec(tw->db, "UPDATE timers SET fired_at = $2 WHERE id = $1", 2, pf);
        }
        if (rc == DB_ERR_DATA) {
            char what[120];
            snprintf(what, sizeof(what), "timer %lld (%s)", id, kind);
            rc = set_aside(tw, "UPDATE timers SET failed_at = $2, error = $3 WHERE id = $1", 1,
                           PQgetvalue(r, i, 0), app, what, now_s);
        }
    }
    return rc;
}

/* Fires every due timer of the `timers` table, a batch a transaction. */
static int fire_timers(tw_t *tw, const char *now_s, time_t now, const char *lim)
{
    return in_batches(tw, sql_fire_timers_select_timers, KINDS, fire_each, now, now_s, lim);
}

int tw_fire_due(tw_t *tw, time_t now)
{
    char now_s[40], lim[16];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    snprintf(lim, sizeof(lim), "%ld", tw->batch);
    tw->skipped = 0;
    int windows = fire_windows(tw, now, now_s, lim, &tw->skipped);
    if (windows < 0)
        return windows;
    int timers = fire_timers(tw, now_s, now, lim);
    if (timers < 0)
        return timers;
    int terms = fire_terms(tw, now, now_s, lim);
    return terms < 0 ? terms : windows + timers + terms;
}

/* next_due.sql: when the earliest open timer, reply window or service-term look is due
 * (epoch seconds): NEXT_NONE when none is open, NEXT_UNKNOWN when the query failed. */
#define NEXT_NONE LLONG_MAX
#define NEXT_UNKNOWN LLONG_MIN
static long long next_due(tw_t *tw)
{
    db_rc_t rc;
    const char *p[] = {KINDS};
    PGresult *r = db_query(tw->db, sql_next_due, 1, p, &rc);
    if (!r)
        return NEXT_UNKNOWN;
    long long due = PQgetisnull(r, 0, 0) ? NEXT_NONE : atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return due;
}

/* The pause after a round that left windows of busy applications. */
#define SKIPPED_PAUSE_MS 20

/* Milliseconds until `due` by the configured clock, capped. */
static long wait_ms(long long due, long cap)
{
    if (due == NEXT_UNKNOWN)
        return 500;
    if (due == NEXT_NONE)
        return cap;
    long long d = (due - (long long)clock_now()) * 1000;
    return d < 0 ? 0 : d < cap ? (long)d : cap;
}

/* A new timers' wake-up carries when the earliest of them is due (migration 012): keeps the
 * earliest; an empty or unreadable payload counts as "now" (look again). */
static void on_timers_notice(const char *channel, const char *payload, void *opaque)
{
    (void)channel;
    long long *earliest = opaque;
    char *end = NULL;
    long long due = strtoll(payload, &end, 10);
    if (!payload[0] || !end || *end)
        due = NEXT_UNKNOWN;
    if (due < *earliest)
        *earliest = due;
}

/* Operators' view of the state, refreshed at most every 5 s: the nearest due time,
 * applications by stage, open incidents by kind; open timers and reply windows by kind every
 * minute - a count of every open one, 250 ms of the database's CPU at 1,000,000 of them, on
 * the connection that fires them (a notification waits while it runs). */
static void gauges(tw_t *tw)
{
    static int64_t next, next_count;
    int64_t now = util_mono_ms();
    if (now < next)
        return;
    next = now + 5000;
    int count = now >= next_count;
    if (count)
        next_count = now + 60000;
    db_rc_t rc;
    PGresult *r = db_query(tw->db, sql_gauges_select_timers, 1,
                           (const char *[]){count ? "true" : "false"}, &rc);
    if (!r)
        return;
    if (count)
        mt_clear("lic_timers_open", "");
    mt_clear("lic_incidents_open", "");
    for (int i = 0; i < PQntuples(r); i++) {
        const char *labels = PQgetvalue(r, i, 1);
        mt_set(PQgetvalue(r, i, 0), labels[0] ? labels : NULL, atof(PQgetvalue(r, i, 2)));
    }
    PQclear(r);
}

/* A round: fires what is due when there is reason to look - the first round after LISTEN
 * (timers added meanwhile), a wait that ended, a wake-up for something earlier than the
 * nearest due time - then reads that time again. */
static int timer_round(void *opaque, int anew)
{
    tw_t *tw = opaque;
    if (anew)
        tw->look = 1;
    if (tw->sweep_at && util_mono_ms() >= tw->sweep_at)
        tw->recal_pending = 1;
    if (tw->recal_pending) {
        int rc = tw_recal(tw);
        if (rc < 0)
            return rc;
    }
    if (tw->look) {
        int fired = tw_fire_due(tw, clock_now());
        if (fired < 0)
            return fired;
        if (fired > 0) {
            log_info("fired %d timer%s", fired, fired == 1 ? "" : "s");
            mt_add("lic_timers_fired_total", NULL, fired);
        }
        tw->due = next_due(tw);
        tw->look = 0;
    }
    gauges(tw);
    return 0;
}

/* Sleeps until the earliest due time (a test clock may jump, so briefly then), or until new
 * timers are announced. */
static long timer_wait_ms(void *opaque)
{
    tw_t *tw = opaque;
    tw->earliest = NEXT_NONE;
    long ms = wait_ms(tw->due, tw->test_clock ? 200 : 60000);
    /* Windows left because their applications were busy (a reply being recorded): a moment
     * for that transaction to end, not a round at once. */
    if (tw->skipped && ms < SKIPPED_PAUSE_MS)
        ms = SKIPPED_PAUSE_MS;
    return ms;
}

static void timer_notice(const char *channel, const char *payload, void *opaque)
{
    on_timers_notice(channel, payload, &((tw_t *)opaque)->earliest);
}

/* Looks again when the sleep ended, or when a new timer is due before the one waited for. */
static void timer_woke(void *opaque, int notifications)
{
    tw_t *tw = opaque;
    if (notifications == 0 || tw->earliest < tw->due || tw->due == NEXT_UNKNOWN)
        tw->look = 1;
}

int tw_run(tw_t *tw)
{
    mt_declare("lic_timers_fired_total", MT_COUNTER,
               "Durable timers and agencies' reply windows fired.");
    mt_declare("lic_timers_open", MT_GAUGE,
               "Timers not yet fired, by kind; agency_reply_window: open reply windows;"
               " service_term: applications whose service term is watched.");
    mt_declare("lic_deadlines_moved_total", MT_COUNTER,
               "Stored deadlines a change of the working calendar moved (#29).");
    mt_declare("lic_calendar_version", MT_GAUGE,
               "The version of calendar_versions in force as this worker last applied it.");
    mt_declare("lic_timer_next_due_seconds", MT_GAUGE, "Epoch seconds of the nearest open timer.");
    mt_declare("lic_applications", MT_GAUGE, "Applications by stage.");
    mt_declare("lic_incidents_open", MT_GAUGE,
               "Open incidents by kind (deadlines at risk, rejected or overdue requests).");
    log_info("firing timers");
    tw->due = NEXT_UNKNOWN;
    wk_loop_t loop = {.channel = "lic_timers",
                      .opaque = tw,
                      .round = timer_round,
                      .wait_ms = timer_wait_ms,
                      .notice = timer_notice,
                      .woke = timer_woke,
                      .reload = tw_reload};
    wk_loop(tw->db, &loop);
    log_info("stopping");
    return 0;
}
