/* timer worker: fires durable timers (see timer.h). */
#include "clock.h"
#include "cal.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "signals.h"
#include "timer.h"

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("timer", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    db_t *db = db_open_from_config("lic-timer");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        return sig_stop_requested() ? 0 : 1;
    }
    tw_t *tw = tw_new(db);
    int rc = tw ? tw_run(tw) : 1;
    tw_free(tw);
    db_close(db);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
