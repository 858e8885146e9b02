/* replies worker: consumes the agencies' reply topics (see replies.h). */
#include "clock.h"
#include "cal.h"
#include "config.h"
#include "db.h"
#include "event.h"
#include "log.h"
#include "migrate.h"
#include "replies.h"
#include "signals.h"

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("replies", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    replies_t rp;
    char err[512];
    if (replies_init(&rp, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return 2;
    }
    db_t *db = db_open_from_config("lic-replies");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        replies_free(&rp);
        return sig_stop_requested() ? 0 : 1;
    }
    static const char *const topics[] = {TOPIC_REPLIES_INDUSTRIAL, TOPIC_REPLIES_SANITARY};
    pl_config_t cfg = {REPLIES_CONSUMER, topics, 2, replies_handle, NULL, replies_reload, &rp};
    int rc = pl_run(&cfg, db);
    db_close(db);
    replies_free(&rp);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
