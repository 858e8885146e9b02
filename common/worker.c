/* worker: see worker.h. */
#include "worker.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "signals.h"

void wk_init(const char *service)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init(service, level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* setenv is not thread-safe: before librdkafka or libcurl start threads */
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
