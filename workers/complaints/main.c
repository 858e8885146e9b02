/* complaints worker: registers complaints (see complaints.h). */
#include "complaints.h"
#include "config.h"
#include "event.h"
#include "log.h"
#include "worker.h"

static void reload(void *opaque)
{
    complaints_t *cw = opaque;
    cal_reload(&cw->cal, cfg_get("CALENDAR_FILE"));
}

int main(void)
{
    wk_init("complaints");
    complaints_t cw = {0};
    char err[512];
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &cw.cal, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return wk_exit(2);
    }
    int rc;
    db_t *db = wk_open_db("lic-complaints", &rc);
    if (db) {
        static const char *const topics[] = {TOPIC_COMPLAINTS};
        pl_config_t cfg = {.consumer = COMPLAINTS_CONSUMER,
                           .topics = topics,
                           .ntopics = 1,
                           .dead_letter_topic = TOPIC_DEAD_LETTER,
                           .handle = complaints_handle,
                           .reload = reload,
                           .opaque = &cw};
        rc = pl_run(&cfg, db) == 0 ? 0 : 1;
        db_close(db);
    }
    cal_free(cw.cal);
    log_info("stopped");
    return wk_exit(rc);
}
