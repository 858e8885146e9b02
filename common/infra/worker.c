/* worker: see worker.h. */
#include "worker.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "signals.h"
#include "util.h"

void wk_init(const char *service)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init(service, level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    clock_tz_init(); /* setenv is not thread-safe: before librdkafka or libcurl start threads */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    if (mt_start(service, 1) != 0)
        log_error("continuing without the metrics endpoint");
}

db_t *wk_open_db(const char *app_name, int *exit_code)
{
    db_t *db = db_open_from_config(app_name);
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        *exit_code = sig_stop_requested() ? 0 : 1;
        return NULL;
    }
    *exit_code = 0;
    mt_ready("db", 1);
    return db;
}

int wk_exit(int code)
{
    mt_stop();
    return code;
}

void wk_loop(db_t *db, const wk_loop_t *l)
{
    int listening = 0, anew = 0, attempt = 0;
    char listen[96];
    snprintf(listen, sizeof(listen), "LISTEN %s", l->channel);
    while (!sig_stop_requested()) {
        if (sig_reload_requested() && l->reload)
            l->reload(l->opaque);
        if (!listening) {
            if (db_exec(db, listen, 0, NULL) != DB_OK) {
                if (db_reconnect(db) != 0)
                    break;
                continue;
            }
            listening = anew = 1;
        }
        int n = l->round(l->opaque, anew);
        if (n < 0) {
            log_warn("round failed (%d), retrying", n);
            if (n == DB_ERR_CONN) {
                listening = 0;
                if (db_reconnect(db) != 0)
                    break;
            }
            util_sleep_ms(util_backoff_ms(attempt++, 100, 5000));
            continue;
        }
        anew = 0;
        attempt = 0;
        if (n > 0 && l->again_at_once)
            continue;
        long ms = l->wait_ms ? l->wait_ms(l->opaque) : 5000;
        int got = db_wait_notify_each(db, ms, l->notice, l->opaque);
        if (got < 0) {
            listening = 0;
            if (db_reconnect(db) != 0)
                break;
        } else if (l->woke) {
            l->woke(l->opaque, got);
        }
    }
}
