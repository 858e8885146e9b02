/* intake worker: consumes portal.applications.v1 (see intake.h). */
#include "cal.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "intake.h"
#include "log.h"
#include "migrate.h"
#include "signals.h"
#include "clock.h"

#include <stdlib.h>

static void reload(void *opaque)
{
    char err[512];
    if (intake_reload_calendar(opaque, err, sizeof(err)))
        log_error("calendar reload failed, keeping the calendar in use: %s", err);
    else
        log_info("calendar reloaded from %s", cfg_get("CALENDAR_FILE"));
}

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("intake", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));

    intake_t in;
    char err[512];
    if (intake_init(&in, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return 2;
    }
    db_t *db = db_open_from_config("lic-intake");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        intake_free(&in);
        return sig_stop_requested() ? 0 : 1;
    }
    static const char *const topics[] = {TOPIC_APPLICATIONS};
    pl_config_t cfg = {INTAKE_CONSUMER, topics, 1, intake_handle, NULL, reload, &in};
    int rc = pl_run(&cfg, db);
    db_close(db);
    intake_free(&in);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
