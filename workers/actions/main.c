/* actions worker: the provider back office's hearing and complaint decisions (actions.h). */
#include "actions.h"
#include "event.h"
#include "log.h"
#include "worker.h"

int main(void)
{
    wk_init("actions");
    actions_t a;
    char err[512];
    if (actions_init(&a, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return wk_exit(2);
    }
    int rc;
    db_t *db = wk_open_db("lic-actions", &rc);
    if (db) {
        static const char *const topics[] = {TOPIC_PROVIDER_ACTIONS};
        pl_config_t cfg = {.consumer = ACTIONS_CONSUMER,
                           .topics = topics,
                           .ntopics = 1,
                           .dead_letter_topic = TOPIC_DEAD_LETTER,
                           .handle = actions_handle,
                           .reload = actions_reload,
                           .opaque = &a};
        rc = pl_run(&cfg, db) == 0 ? 0 : 1;
        db_close(db);
    }
    actions_free(&a);
    log_info("stopped");
    return wk_exit(rc);
}
