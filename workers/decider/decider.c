/* decider: see decider.h. */
#include "decider.h"
#include "decider_sql.h"
#include "worker.h"
#include "clock.h"
#include "config.h"
#include "approval.h"
#include "cal.h"
#include "decision.h"
#include "state.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

#define SOURCE "/licensing/decider"

struct decider {
    db_t *db;
    cal_t *cal;
    dec_ctx_t ctx;
    int review; /* LIC_EXECUTOR_REVIEW: decide only what the executor reviewed */
};

/* Operators are warned this long before the executor's review day ends. */
#define REVIEW_WARN_BEFORE_S (3 * 3600)

decider_t *decider_new(db_t *db, char *errstr, size_t errstr_size)
{
    decider_t *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->db = db;
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &d->cal, errstr, errstr_size)) {
        free(d);
        return NULL;
    }
    doc_licensor_from_config(&d->ctx.lic);
    d->ctx.cal = d->cal;
    d->ctx.means = cfg_get("HEARING_MEANS");
    d->ctx.source = SOURCE;
    d->review = cfg_get_long("EXECUTOR_REVIEW", 0) == 1;
    return d;
}

void decider_free(decider_t *d)
{
    if (!d)
        return;
    cal_free(d->cal);
    free(d);
}

static void reload(void *opaque)
{
    decider_t *d = opaque;
    if (cal_reload(&d->cal, cfg_get("CALENDAR_FILE")) == 0)
        d->ctx.cal = d->cal;
}

int decider_round(decider_t *d, int max, time_t now)
{
    db_rc_t rc = db_begin(d->db);
    if (rc != DB_OK)
        return rc;
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", max);
    const char *p[] = {lim, d->review ? "true" : "false"};
    PGresult *r = db_query(d->db, sql_decider_round_select_applications, 2, p, &rc);
    if (!r) {
        db_rollback(d->db);
        return rc;
    }
    int n = PQntuples(r);
    db_array_t ids = {0};
    for (int i = 0; i < n && rc == DB_OK; i++)
        if (db_array_add(&ids, PQgetvalue(r, i, 0)))
            rc = DB_ERR_RETRY;
    PQclear(r);
    /* And those with a ground before their decision, or joining their hearing. */
    r = rc == DB_OK ? db_query(d->db, sql_decider_round_select_grounds, 1, p, &rc) : NULL;
    for (int i = 0; r && i < PQntuples(r) && rc == DB_OK; i++, n++)
        if (db_array_add(&ids, PQgetvalue(r, i, 0)))
            rc = DB_ERR_RETRY;
    if (r)
        PQclear(r);
    ob_cause_t cause = {.kind = "actor", .actor = "lic-decider"};
    /* The round's writes go out without waiting; their results are read at the commit. Any
     * failure rolls the round back as a whole, deferred or not. */
    if (rc == DB_OK && n > 0 && (rc = db_defer(d->db)) == DB_OK) {
        int decided = dec_decide_many(d->db, &d->ctx, db_array_text(&ids), now, &cause);
        if (decided < 0)
            rc = decided;
    }
    db_array_free(&ids);
    rc = db_end(d->db, rc);
    return rc == DB_OK ? n : rc;
}

/* With executor review: the applications whose review day (¶13: the result within 1 WD of
 * the replies) is about to pass without it - deadline_at_risk and an incident, once each. */
static int review_watch(decider_t *d, time_t now)
{
    if (!d->review)
        return 0;
    db_rc_t rc = db_begin(d->db);
    if (rc != DB_OK)
        return rc;
    const char *p[] = {"100"};
    PGresult *r = db_query(d->db, sql_review_waiting, 1, p, &rc);
    int warned = 0;
    for (int i = 0; r && i < PQntuples(r) && rc == DB_OK; i++) {
        const char *id = PQgetvalue(r, i, 0);
        time_t since = (time_t)atoll(PQgetvalue(r, i, 1)), due;
        char err[256], due_s[40], now_s[40];
        if (cal_add_working_days(d->cal, since, CAL_RESULT_WD, &due, err, sizeof(err))) {
            log_error("calendar: %s", err);
            rc = DB_ERR_RETRY;
            break;
        }
        if (now < due - REVIEW_WARN_BEFORE_S)
            continue;
        apv_app_t app;
        if ((rc = apv_lock(d->db, id, &app)) != DB_OK)
            break;
        cal_format(due, due_s, sizeof(due_s));
        util_rfc3339_utc(now, now_s, sizeof(now_s));
        char key[80], detail[300];
        snprintf(key, sizeof(key), "executor_review:%lld", (long long)due);
        rc = ob_status_event(
            d->db, SOURCE, id, app.portal_ref, EV_ST_DEADLINE_AT_RISK, now, app.service_deadline,
            json_pack("{s:s,s:s,s:i,s:s,s:s}", "deadline", "executor_review", "due", due_s,
                      "working_days_left", 0, "stage", "awaiting_decision", "rule", "¶13"),
            key);
        snprintf(detail, sizeof(detail),
                 "the executor's review is due by %s (¶13: the result within 1 WD of the "
                 "replies) and has not come",
                 due_s);
        if (rc == DB_OK)
            rc = apv_incident(d->db, id, "executor_review_due", "", detail, now);
        if (rc == DB_OK) {
            const char *pw[] = {id, now_s};
            rc = db_exec(d->db, sql_review_warned, 2, pw);
        }
        warned++;
    }
    if (!r) {
        db_rollback(d->db);
        return rc;
    }
    PQclear(r);
    rc = db_end(d->db, rc);
    return rc == DB_OK ? warned : rc;
}

static int decide_round(void *opaque, int anew)
{
    (void)anew; /* every round reads what is waiting */
    decider_t *d = opaque;
    int w = review_watch(d, clock_now());
    if (w > 0)
        log_warn("warned of %d executor review%s about to pass", w, w == 1 ? "" : "s");
    int n = decider_round(d, 50, clock_now());
    if (n > 0) {
        mt_add("lic_decisions_total", NULL, n);
        log_info("decided %d application%s", n, n == 1 ? "" : "s");
    }
    return n;
}

int decider_run(decider_t *d)
{
    log_info("deciding");
    mt_declare("lic_decisions_total", MT_COUNTER,
               "Applications decided (licensed or refusal proposed).");
    /* More may be waiting after a round that decided some; else a notification, or a look
     * every 5 s. */
    wk_loop_t loop = {.channel = "lic_decide",
                      .opaque = d,
                      .round = decide_round,
                      .again_at_once = 1,
                      .reload = reload};
    wk_loop(d->db, &loop);
    log_info("stopping");
    return 0;
}
