/* decider: see decider.h. */
#include "decider.h"
#include "clock.h"
#include "config.h"
#include "decision.h"
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
};

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
    return d;
}

void decider_free(decider_t *d)
{
    if (!d)
        return;
    cal_free(d->cal);
    free(d);
}

static void reload(decider_t *d)
{
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
    const char *p[] = {lim};
    PGresult *r = db_query(d->db,
                           "SELECT application_id FROM applications WHERE stage ="
                           " 'awaiting_decision' ORDER BY updated_at LIMIT $1"
                           " FOR UPDATE SKIP LOCKED",
                           1, p, &rc);
    if (!r) {
        db_rollback(d->db);
        return rc;
    }
    int n = PQntuples(r);
    ob_cause_t cause = {"actor", NULL, NULL, 0, 0, 0, "lic-decider"};
    /* Each decision reads, then writes: the writes go out without waiting and their results
     * are read at the next decision's first read (or the commit). Any failure rolls the round
     * back as a whole, deferred or not. */
    if (n > 0 && (rc = db_defer(d->db)) != DB_OK) {
        PQclear(r);
        db_rollback(d->db);
        return rc;
    }
    for (int i = 0; i < n && rc == DB_OK; i++) {
        apv_app_t app;
        rc = apv_lock(d->db, PQgetvalue(r, i, 0), &app);
        if (rc == DB_OK)
            rc = dec_decide(d->db, &d->ctx, &app, now, &cause);
    }
    PQclear(r);
    if (rc == DB_OK)
        rc = db_commit(d->db);
    else
        db_rollback(d->db);
    return rc == DB_OK ? n : rc;
}

int decider_run(decider_t *d)
{
    int listening = 0, attempt = 0;
    log_info("deciding");
    mt_declare("lic_decisions_total", MT_COUNTER,
               "Applications decided (licensed or refusal "
               "proposed).");
    while (!sig_stop_requested()) {
        if (sig_reload_requested())
            reload(d);
        if (!listening) {
            if (db_exec(d->db, "LISTEN lic_decide", 0, NULL) != DB_OK) {
                if (db_reconnect(d->db) != 0)
                    break;
                continue;
            }
            listening = 1;
        }
        int n = decider_round(d, 50, clock_now());
        if (n < 0) {
            if (n == DB_ERR_CONN) {
                listening = 0;
                if (db_reconnect(d->db) != 0)
                    break;
            }
            util_sleep_ms(util_backoff_ms(attempt++, 100, 5000));
            continue;
        }
        attempt = 0;
        if (n > 0) {
            mt_add("lic_decisions_total", NULL, n);
            log_info("decided %d application%s", n, n == 1 ? "" : "s");
            continue; /* more may be waiting */
        }
        /* A notification, or a look every 5 s. */
        if (db_wait_notify(d->db, 5000) < 0) {
            listening = 0;
            if (db_reconnect(d->db) != 0)
                break;
        }
    }
    log_info("stopping");
    return 0;
}
