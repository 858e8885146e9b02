/* decider worker: licenses and proposed refusals (see decider.h). */
#include "decider.h"
#include "log.h"
#include "worker.h"

int main(void)
{
    wk_init("decider");
    int rc;
    db_t *db = wk_open_db("lic-decider", &rc);
    if (!db)
        return wk_exit(rc);
    char err[512];
    decider_t *d = decider_new(db, err, sizeof(err));
    if (d) {
        rc = decider_run(d) == 0 ? 0 : 1;
        decider_free(d);
    } else {
        log_error("cannot start: %s", err);
        rc = 2;
    }
    db_close(db);
    log_info("stopped");
    return wk_exit(rc);
}
