/* decider worker: licenses and proposed refusals (see decider.h). */
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "decider.h"
#include "log.h"
#include "migrate.h"
#include "signals.h"

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("decider", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    db_t *db = db_open_from_config("lic-decider");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        return sig_stop_requested() ? 0 : 1;
    }
    char err[512];
    decider_t *d = decider_new(db, err, sizeof(err));
    if (!d) {
        log_error("cannot start: %s", err);
        db_close(db);
        return 2;
    }
    int rc = decider_run(d);
    decider_free(d);
    db_close(db);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
