/* replies worker: consumes the agencies' reply topics (see replies.h). */
#include "event.h"
#include "log.h"
#include "replies.h"
#include "worker.h"

int main(void)
{
    wk_init("replies");
    replies_t rp;
    char err[512];
    if (replies_init(&rp, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        return wk_exit(2);
    }
    int rc;
    db_t *db = wk_open_db("lic-replies", &rc);
    if (db) {
        static const char *const topics[] = {TOPIC_REPLIES_INDUSTRIAL, TOPIC_REPLIES_SANITARY};
        pl_config_t cfg = {.consumer = REPLIES_CONSUMER,
                           .topics = topics,
                           .ntopics = 2,
                           .dead_letter_topic = TOPIC_DEAD_LETTER,
                           .reload = replies_reload,
                           .opaque = &rp,
                           .deferred_writes = 1,
                           .handle_batch = replies_handle_batch};
        rc = pl_run(&cfg, db) == 0 ? 0 : 1;
        db_close(db);
    }
    replies_free(&rp);
    log_info("stopped");
    return wk_exit(rc);
}
