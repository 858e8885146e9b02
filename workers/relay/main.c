/* relay worker: publishes the outbox (see relay.h). */
#include "cal.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "relay.h"
#include "signals.h"

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("relay", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    db_t *db = db_open_from_config("lic-relay");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        return sig_stop_requested() ? 0 : 1;
    }
    char err[512];
    relay_t *r = relay_new(db, err, sizeof(err));
    if (!r) {
        log_error("cannot create the producer: %s", err);
        db_close(db);
        return 2;
    }
    int rc = relay_run(r);
    relay_free(r);
    db_close(db);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
