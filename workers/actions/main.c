/* actions worker: the provider back office's hearing and complaint decisions (actions.h). */
#include "actions.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "migrate.h"
#include "signals.h"

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("actions", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    actions_t a;
    char err[512];
    if (actions_init(&a, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return 2;
    }
    db_t *db = db_open_from_config("lic-actions");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        actions_free(&a);
        return sig_stop_requested() ? 0 : 1;
    }
    static const char *const topics[] = {TOPIC_PROVIDER_ACTIONS};
    pl_config_t cfg = {ACTIONS_CONSUMER, topics, 1, actions_handle, NULL, actions_reload, &a};
    int rc = pl_run(&cfg, db);
    db_close(db);
    actions_free(&a);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
