/* notary worker: issued documents rendered as PDF and signed (see notary.h). */
#include "log.h"
#include "notary.h"
#include "worker.h"

int main(void)
{
    wk_init("notary");
    int rc;
    db_t *db = wk_open_db("lic-notary", &rc);
    if (!db)
        return wk_exit(rc);
    char err[512];
    notary_t *n = notary_new(db, err, sizeof(err));
    if (n) {
        rc = notary_run(n) == 0 ? 0 : 1;
        notary_free(n);
    } else {
        log_error("cannot start: %s", err);
        rc = 2;
    }
    db_close(db);
    log_info("stopped");
    return wk_exit(rc);
}
