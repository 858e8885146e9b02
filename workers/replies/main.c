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
        pl_config_t cfg = {REPLIES_CONSUMER, topics, 2, replies_handle, NULL,
                           replies_reload,   &rp,    1};
        rc = pl_run(&cfg, db) == 0 ? 0 : 1;
        db_close(db);
    }
    replies_free(&rp);
    log_info("stopped");
    return wk_exit(rc);
}
