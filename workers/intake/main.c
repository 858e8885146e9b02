/* intake worker: consumes portal.applications.v1 (see intake.h). */
#include "config.h"
#include "event.h"
#include "intake.h"
#include "log.h"
#include "worker.h"

static void reload(void *opaque)
{
    intake_t *in = opaque;
    cal_reload(&in->cal, cfg_get("CALENDAR_FILE"));
}

int main(void)
{
    wk_init("intake");
    intake_t in;
    char err[512];
    if (intake_init(&in, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return wk_exit(2);
    }
    int rc;
    db_t *db = wk_open_db("lic-intake", &rc);
    if (db) {
        static const char *const topics[] = {TOPIC_APPLICATIONS};
        pl_config_t cfg = {.consumer = INTAKE_CONSUMER,
                           .topics = topics,
                           .ntopics = 1,
                           .dead_letter_topic = TOPIC_DEAD_LETTER,
                           .handle = intake_handle,
                           .reload = reload,
                           .opaque = &in,
                           .deferred_writes = 1};
        rc = pl_run(&cfg, db) == 0 ? 0 : 1;
        db_close(db);
    }
    intake_free(&in);
    log_info("stopped");
    return wk_exit(rc);
}
