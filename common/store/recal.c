/* recal: see recal.h. */
#include "recal.h"
#include "store_sql.h"
#include "event.h"
#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "signals.h"
#include "complaint.h"
#include "decision.h"
#include "state.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deadlines a batch moves: its transaction's locks last a fraction of a second. */
#define RECAL_BATCH 2000
/* After each batch written, a pause as long as the batch took (at most this): the workers
 * sharing the database keep about half of it while 100,000 deadlines move (bench phase 3c). */
#define RECAL_PAUSE_MAX_MS 2000
/* calendar_versions' applier: one at a time. */
#define RECAL_LOCK_KEY "29"

typedef struct {
    const char *name; /* the deadline, as recorded and published */
    const char *select, *move;
    const char *first_key;
    int publish; /* a deadline of the Rules (a timer only follows one) */
} source_t;

/* The key before every uuid key: the first batch's "after". */
#define UUID_FIRST "00000000-0000-0000-0000-000000000000"

static const source_t SOURCES[] = {
    {"service_term", sql_recal_service_term, sql_recal_move_service_term, UUID_FIRST, 1},
    {"agency_reply", sql_recal_agency_reply, sql_recal_move_agency_reply, UUID_FIRST, 1},
    {"hearing", sql_recal_hearing, sql_recal_move_hearing, UUID_FIRST, 1},
    {"complaint_forward", sql_recal_complaint_forward, sql_recal_move_complaint_forward, UUID_FIRST,
     1},
    {"complaint_review", sql_recal_complaint_review, sql_recal_move_complaint_review, UUID_FIRST,
     1},
    {"timer", sql_recal_timer, sql_recal_move_timer, "0", 0},
};

int recal_changed_days(const cal_t *old_cal, const cal_t *new_cal, cal_date_t **days, int *n)
{
    *days = NULL;
    *n = 0;
    int f1, l1, f2, l2, cap = 0;
    cal_years(old_cal, &f1, &l1);
    cal_years(new_cal, &f2, &l2);
    int first = f1 > f2 ? f1 : f2, last = l1 < l2 ? l1 : l2;
    char err[256];
    /* Noon of each day in turn: Almaty's offset changes never move noon to another day. */
    time_t noon = cal_local_time((cal_date_t){first, 1, 1}, 12, 0);
    for (cal_date_t d = cal_local_date(noon); d.y <= last;
         noon += 86400, d = cal_local_date(noon)) {
        cal_day_info_t a, b;
        if (cal_day_info(old_cal, d, &a, err, sizeof(err)) ||
            cal_day_info(new_cal, d, &b, err, sizeof(err)) || a.working == b.working)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            cal_date_t *nd = realloc(*days, sizeof(*nd) * (size_t)cap);
            if (!nd) {
                free(*days);
                *days = NULL;
                *n = 0;
                return -1;
            }
            *days = nd;
        }
        (*days)[(*n)++] = d;
    }
    return 0;
}

void recal_digest(const json_t *data, char out[65])
{
    char *text = json_dumps(data, JSON_SORT_KEYS | JSON_COMPACT);
    if (!text || util_sha256_hex(text, strlen(text), out))
        out[0] = '\0';
    free(text);
}

void recal_act(const json_t *data, char *out, size_t size)
{
    const char *act = json_string_value(json_object_get(data, "act"));
    if (act && *act) {
        snprintf(out, size, "%s", act);
        return;
    }
    char d[65];
    recal_digest(data, d);
    snprintf(out, size, "calendar data sha256:%.16s", d);
}

/* The working days the Rules give a deadline of `src` (`kind`: the application's kind, the
 * complaint's addressee, the timer's kind), at most two candidates; 0 when not known. A
 * deadline whose count under the new calendar is one of them, and under the old is not, was
 * computed with the new calendar already (a worker that reloaded first): it is not moved, so
 * a sweep can run again without moving anything twice. */
static int statutory(const char *src, const char *kind, int out[2])
{
    int n = 0;
    if (strcmp(src, "service_term") == 0) {
        int t = cal_term_wd(kind);
        if (t > 0)
            out[n++] = t;
        if (strcmp(kind, "reissue") == 0) /* LIC_REISSUE_APPROVALS_TERM: the issue's term */
            out[n++] = CAL_TERM_ISSUE_WD;
    } else if (strcmp(src, "agency_reply") == 0) {
        out[n++] = CAL_AGENCY_REPLY_WD;
    } else if (strcmp(src, "hearing") == 0) {
        out[n++] = CAL_HEARING_AFTER_NOTICE_WD;
    } else if (strcmp(src, "complaint_forward") == 0) {
        out[n++] = CAL_COMPLAINT_FORWARD_WD;
    } else if (strcmp(src, "complaint_review") == 0) {
        out[n++] =
            strcmp(kind, "provider") == 0 ? CAL_COMPLAINT_PROVIDER_WD : CAL_COMPLAINT_AUTHORIZED_WD;
    } else if (strcmp(kind, TIMER_HEARING_OUTCOME) == 0) {
        out[n++] = CAL_HEARING_AFTER_NOTICE_WD + CAL_HEARING_OUTCOME_WD;
    } else if (strcmp(kind, TIMER_COMPLAINT_FORWARD_RISK) == 0) {
        out[n++] = CAL_COMPLAINT_FORWARD_WD - CAL_AT_RISK_BEFORE_WD;
    } else if (strcmp(kind, TIMER_COMPLAINT_FORWARD_BREACH) == 0) {
        out[n++] = CAL_COMPLAINT_FORWARD_WD;
    } else if (strcmp(kind, TIMER_COMPLAINT_REVIEW_RISK) == 0) {
        out[n++] = CAL_COMPLAINT_PROVIDER_WD - CAL_AT_RISK_BEFORE_WD;
        out[n++] = CAL_COMPLAINT_AUTHORIZED_WD - CAL_AT_RISK_BEFORE_WD;
    } else if (strcmp(kind, TIMER_COMPLAINT_REVIEW_BREACH) == 0) {
        out[n++] = CAL_COMPLAINT_PROVIDER_WD;
        out[n++] = CAL_COMPLAINT_AUTHORIZED_WD;
    }
    return n;
}

static int among(int v, const int *set, int n)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return 1;
    return 0;
}

/* The moment of `due` carried to the day that `n` working days from `origin` make under
 * `cal`, at the same local time of day. -1 when the calendar does not cover it. */
static int carry(const cal_t *cal, time_t origin, int n, time_t due, time_t *out)
{
    char err[256];
    time_t day_end;
    if (cal_add_working_days(cal, origin, n, &day_end, err, sizeof(err)))
        return -1;
    time_t midnight = cal_local_time(cal_local_date(due), 0, 0);
    long tod = (long)(due - midnight);
    *out = cal_local_time(cal_local_date(day_end), 0, 0) + tod;
    return 0;
}

static void count_days(json_t *per_day, const cal_date_t *days, int ndays, time_t origin, time_t a,
                       time_t b)
{
    cal_date_t o = cal_local_date(origin), e = cal_local_date(a > b ? a : b);
    long lo = util_days_from_civil(o.y, o.m, o.d), hi = util_days_from_civil(e.y, e.m, e.d);
    for (int i = 0; i < ndays; i++) {
        long dn = util_days_from_civil(days[i].y, days[i].m, days[i].d);
        if (dn <= lo || dn > hi)
            continue;
        char key[16];
        snprintf(key, sizeof(key), "%04d-%02d-%02d", days[i].y, days[i].m, days[i].d);
        json_object_set_new(per_day, key,
                            json_integer(json_integer_value(json_object_get(per_day, key)) + 1));
    }
}

/* The columns of a batch of moves, as recal_record.sql unnests them after $1 (now): calendar
 * version, application, deadline, ref, old and new (epoch seconds), past, act. */
#define RECAL_COLUMNS 8

/* One moved deadline added to the batch: its row of `cols` and, for a deadline of the Rules,
 * its deadline_changed event. */
static db_rc_t add_move(db_barray_t *cols, db_array_t *refs, ob_batch_t *ob, const cal_t *new_cal,
                        const source_t *s, PGresult *r, int i, time_t due, time_t moved, int past,
                        int version, const char *act, const char *source, time_t now)
{
    const char *key = PQgetvalue(r, i, 0), *app = PQgetvalue(r, i, 1);
    char nd[24], od[24], ver[16];
    snprintf(nd, sizeof(nd), "%lld", (long long)moved);
    snprintf(od, sizeof(od), "%lld", (long long)due);
    snprintf(ver, sizeof(ver), "%d", version);
    const char *row[RECAL_COLUMNS] = {ver, app, s->name, key, od, nd, past ? "t" : "f", act};
    if (db_barray_add_row(cols, RECAL_COLUMNS, row) || db_array_add(refs, key))
        return DB_ERR_RETRY;
    if (!s->publish)
        return DB_OK;
    char old_s[40], new_s[40], cause[160];
    cal_format(due, old_s, sizeof(old_s));
    cal_format(moved, new_s, sizeof(new_s));
    json_t *detail =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:b}", "deadline", s->name, "ref", key, "old", old_s,
                  "new", new_s, "act", act, "calendar_version", version, "past", past);
    const char *ys = cal_year_status(new_cal, cal_local_date(moved).y);
    if (ys && strcmp(ys, "provisional") == 0)
        json_object_set_new(detail, "provisional", json_true());
    snprintf(cause, sizeof(cause), "calendar-%d|%s|%s", version, s->name, key);
    time_t term = strcmp(s->name, "service_term") == 0 ? moved : atoll(PQgetvalue(r, i, 3));
    return ob_batch_status_event(ob, source, app, PQgetvalue(r, i, 2), EV_ST_DEADLINE_CHANGED, now,
                                 term, detail, cause);
}

db_rc_t recal_move(db_t *db, const cal_t *old_cal, const cal_t *new_cal, int version,
                   const char *act, const char *source, time_t now, int mode, json_t *per_day,
                   recal_stats_t *st)
{
    int dry_run = mode & RECAL_DRY_RUN;
    cal_date_t *days;
    int ndays;
    if (recal_changed_days(old_cal, new_cal, &days, &ndays))
        return DB_ERR_RETRY;
    st->changed_days = ndays;
    if (ndays == 0)
        return DB_OK; /* a change elsewhere: nothing to look at, nothing written */
    cal_date_t last = days[ndays - 1];
    char lo[24], hi[24], lim[16], ver[16];
    snprintf(lo, sizeof(lo), "%lld", (long long)cal_local_time(days[0], 0, 0));
    snprintf(hi, sizeof(hi), "%lld", (long long)cal_local_time(last, 23, 59) + 60);
    snprintf(lim, sizeof(lim), "%d", RECAL_BATCH);
    snprintf(ver, sizeof(ver), "%d", version);
    db_rc_t rc = DB_OK;
    for (size_t s = 0; s < sizeof(SOURCES) / sizeof(SOURCES[0]) && rc == DB_OK; s++) {
        const source_t *src = &SOURCES[s];
        char key[64];
        snprintf(key, sizeof(key), "%s", src->first_key);
        for (int more = 1; more && rc == DB_OK;) {
            /* SIGTERM between batches: the version stays unfinished and is resumed. */
            if (!dry_run && sig_stop_requested()) {
                rc = DB_ERR_RETRY;
                break;
            }
            int64_t batch_start = util_mono_ms();
            if (!dry_run && (rc = db_begin(db)) != DB_OK)
                break;
            const char *p[] = {lo, hi, key, lim, ver};
            PGresult *r = db_query(db, src->select, 5, p, &rc);
            if (!r) {
                if (!dry_run)
                    db_rollback(db);
                break;
            }
            int rows = PQntuples(r);
            db_barray_t cols[RECAL_COLUMNS];
            for (int c = 0; c < RECAL_COLUMNS; c++)
                db_barray_init(&cols[c], DB_OID_TEXT);
            db_array_t refs = {0};
            ob_batch_t ob;
            if (ob_batch_init(&ob))
                rc = DB_ERR_RETRY;
            for (int i = 0; i < rows && rc == DB_OK; i++) {
                time_t origin = (time_t)atoll(PQgetvalue(r, i, 4));
                time_t due = (time_t)atoll(PQgetvalue(r, i, 5)), moved;
                int n, n_new, set[2];
                char err[256];
                st->looked_at++;
                if (cal_working_days_between(old_cal, origin, due, &n, err, sizeof(err)) || n < 1 ||
                    cal_working_days_between(new_cal, origin, due, &n_new, err, sizeof(err)))
                    continue;
                int ns = statutory(src->name, PQgetvalue(r, i, 6), set);
                if (n_new != n && among(n_new, set, ns) && !among(n, set, ns))
                    continue; /* computed with the new calendar already */
                if ((mode & RECAL_SWEEP) && !among(n, set, ns))
                    continue; /* not known to be the old calendar's: left as it is */
                if (carry(new_cal, origin, n, due, &moved) || moved == due)
                    continue;
                int past = moved <= now;
                st->moved++;
                st->past += past;
                if (per_day)
                    count_days(per_day, days, ndays, origin, due, moved);
                if (!dry_run)
                    rc = add_move(cols, &refs, &ob, new_cal, src, r, i, due, moved, past, version,
                                  act, source, now);
            }
            /* The batch in three statements: recorded, moved from the records, the events. */
            if (rc == DB_OK && !dry_run && cols[0].count > 0) {
                char ns[24];
                snprintf(ns, sizeof(ns), "%lld", (long long)now);
                rc = db_exec_columns(db, sql_recal_record, ns, cols, RECAL_COLUMNS, 0);
                if (rc == DB_OK) {
                    const char *pm[] = {ver, db_array_text(&refs)};
                    rc = db_exec(db, src->move, 2, pm);
                }
                if (rc == DB_OK)
                    rc = ob_batch_flush(db, &ob);
            }
            db_array_free(&refs);
            ob_batch_free(&ob);
            for (int c = 0; c < RECAL_COLUMNS; c++)
                db_barray_free(&cols[c]);
            if (rows > 0)
                snprintf(key, sizeof(key), "%s", PQgetvalue(r, rows - 1, 0));
            more = rows == RECAL_BATCH;
            PQclear(r);
            if (!dry_run) {
                /* The timer workers read the nearest due time again. */
                if (rc == DB_OK)
                    rc = db_exec(db, "SELECT pg_notify('lic_timers', '')", 0, NULL);
                rc = db_end(db, rc);
                int64_t took = util_mono_ms() - batch_start;
                if (rc == DB_OK && more)
                    util_sleep_ms((long)(took < RECAL_PAUSE_MAX_MS ? took : RECAL_PAUSE_MAX_MS));
            }
        }
    }
    free(days);
    return rc;
}

/* A stored version's data as a calendar, and the act it names when `act` is not NULL. */
static int load_text(const char *text, cal_t **cal, char *act, size_t act_size, char *errstr,
                     size_t errstr_size)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc = j ? cal_load_json(j, cal, errstr, errstr_size) : -1;
    if (!j)
        snprintf(errstr, errstr_size, "a stored calendar version is not JSON");
    if (rc == 0 && act)
        recal_act(j, act, act_size);
    json_decref(j);
    return rc;
}

/* A row of calendar_versions for `data` (text, digest, act): in force at once when `first`. Its
 * version, or 0 with *rc set. */
static int begin_version(db_t *db, const char *digest, const char *text, const char *act,
                         const char *who, const char *now_s, int first, db_rc_t *rc)
{
    const char *p[] = {digest, text, act, who, now_s, first ? "true" : "false"};
    PGresult *v = db_query(db, sql_recal_begin_version, 6, p, rc);
    int version = v ? atoi(PQgetvalue(v, 0, 0)) : 0;
    PQclear(v);
    return version;
}

/* `now`: when the last deadline moved (the version's started_at is when it began). */
static db_rc_t complete(db_t *db, int version, time_t now)
{
    char v[16], n[24];
    snprintf(v, sizeof(v), "%d", version);
    snprintf(n, sizeof(n), "%lld", (long long)now);
    const char *p[] = {v, n};
    return db_exec(db, sql_recal_complete_version, 2, p);
}

/* The deadlines version `version` (`cal`) changes against the one in force before it, moved
 * if they are not yet: idempotent (statutory() tells a deadline already computed with it). */
static db_rc_t sweep(db_t *db, const cal_t *cal, int version, const char *act, const char *source,
                     time_t now, recal_stats_t *st, char *errstr, size_t errstr_size)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v};
    db_rc_t rc;
    PGresult *r = db_query(db, sql_recal_previous, 1, p, &rc);
    if (!r)
        return rc;
    cal_t *prev = NULL;
    if (PQntuples(r) == 1 && load_text(PQgetvalue(r, 0, 0), &prev, NULL, 0, errstr, errstr_size))
        rc = DB_ERR_DATA;
    else if (prev &&
             (rc = recal_move(db, prev, cal, version, act, source, now, RECAL_SWEEP, NULL, st)) ==
                 DB_OK &&
             st->moved > 0)
        rc = complete(db, version, clock_now());
    PQclear(r);
    cal_free(prev);
    return rc;
}

/* One step: 1 when `data` is in force (or was made so), 0 when a step was taken and another
 * may follow (an unfinished version resumed), negative on error. */
static int apply_step(db_t *db, const cal_t *new_cal, const json_t *data, const char *who,
                      const char *source, time_t now, recal_stats_t *st, char *errstr,
                      size_t errstr_size)
{
    db_rc_t rc;
    PGresult *r = db_query(db, sql_recal_current, 0, NULL, &rc);
    if (!r)
        return rc;
    char digest[65], act[300], now_s[24];
    recal_digest(data, digest);
    recal_act(data, act, sizeof(act));
    snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
    int rows = PQntuples(r);
    char *text = jx_dumps(data);
    int out = -1;
    if (!text) {
        rc = DB_ERR_RETRY;
    } else if (rows == 0) { /* the first calendar: in force as it is */
        if ((st->version = begin_version(db, digest, text, act, who, now_s, 1, &rc)) > 0)
            out = 1;
    } else if (strcmp(PQgetvalue(r, 0, 3), "f") == 0) {
        /* A run cut off: finish it against the version in force before it. */
        cal_t *old_cal = NULL, *mid = NULL;
        char mact[300];
        int version = atoi(PQgetvalue(r, 0, 0));
        if (rows < 2) {
            snprintf(errstr, errstr_size, "calendar version %d has none in force before it",
                     version);
            rc = DB_ERR_DATA;
        } else if (load_text(PQgetvalue(r, 1, 2), &old_cal, NULL, 0, errstr, errstr_size) ||
                   load_text(PQgetvalue(r, 0, 2), &mid, mact, sizeof(mact), errstr, errstr_size)) {
            rc = DB_ERR_DATA;
        } else {
            log_info("resuming calendar version %d", version);
            rc = recal_move(db, old_cal, mid, version, mact, source, now, 0, NULL, st);
            if (rc == DB_OK && (rc = complete(db, version, clock_now())) == DB_OK)
                out = 0;
        }
        cal_free(old_cal);
        cal_free(mid);
    } else if (strcmp(PQgetvalue(r, 0, 1), digest) == 0) {
        /* In force already (another worker or the operator applied it): a sweep again, for
         * the deadlines workers still on the calendar before it computed meanwhile. */
        st->version = atoi(PQgetvalue(r, 0, 0));
        rc = sweep(db, new_cal, st->version, act, source, now, st, errstr, errstr_size);
        if (rc == DB_OK)
            out = 1;
    } else {
        cal_t *old_cal = NULL;
        if (load_text(PQgetvalue(r, 0, 2), &old_cal, NULL, 0, errstr, errstr_size)) {
            rc = DB_ERR_DATA;
        } else if ((st->version = begin_version(db, digest, text, act, who, now_s, 0, &rc)) > 0) {
            rc = recal_move(db, old_cal, new_cal, st->version, act, source, now, 0, NULL, st);
            if (rc == DB_OK && (rc = complete(db, st->version, clock_now())) == DB_OK)
                out = 1;
        }
        cal_free(old_cal);
    }
    free(text);
    PQclear(r);
    if (out < 0 && !errstr[0])
        snprintf(errstr, errstr_size, "%s", db_last_error(db));
    return out < 0 ? (rc != DB_OK ? rc : DB_ERR_RETRY) : out;
}

int recal_apply(db_t *db, const cal_t *new_cal, const json_t *data, const char *who,
                const char *source, time_t now, recal_stats_t *st, char *errstr, size_t errstr_size)
{
    memset(st, 0, sizeof(*st));
    errstr[0] = '\0';
    db_rc_t rc;
    PGresult *l = db_query(db, "SELECT pg_try_advisory_lock(" RECAL_LOCK_KEY ")", 0, NULL, &rc);
    if (!l) {
        snprintf(errstr, errstr_size, "%s", db_last_error(db));
        return rc;
    }
    int got = strcmp(PQgetvalue(l, 0, 0), "t") == 0;
    PQclear(l);
    if (!got)
        return 1; /* another applies it: this one only reloads */
    int out;
    while ((out = apply_step(db, new_cal, data, who, source, now, st, errstr, errstr_size)) == 0)
        ;
    db_exec(db, "SELECT pg_advisory_unlock(" RECAL_LOCK_KEY ")", 0, NULL);
    return out == 1 ? 0 : out;
}
