/* relay worker: publishes the outbox (see relay.h). */
#include "log.h"
#include "relay.h"
#include "worker.h"

int main(void)
{
    wk_init("relay");
    int rc;
    db_t *db = wk_open_db("lic-relay", &rc);
    if (!db)
        return wk_exit(rc);
    char err[512];
    relay_t *r = relay_new(db, err, sizeof(err));
    if (!r) {
        log_error("cannot create the producer: %s", err);
        db_close(db);
        return wk_exit(2);
    }
    rc = relay_run(r) == 0 ? 0 : 1;
    relay_free(r);
    db_close(db);
    log_info("stopped");
    return wk_exit(rc);
}
