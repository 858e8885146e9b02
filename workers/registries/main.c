/* registries worker: the state registries through the e-government gateway (see
 * registries.h). */
#include "log.h"
#include "registries.h"
#include "worker.h"

#include <libxml/parser.h>

int main(void)
{
    wk_init("registries");
    xmlInitParser();
    int rc;
    db_t *db = wk_open_db("lic-registries", &rc);
    if (!db)
        return wk_exit(rc);
    char err[512];
    registries_t *r = registries_new(db, err, sizeof(err));
    if (r) {
        rc = registries_run(r) == 0 ? 0 : 1;
        registries_free(r);
    } else {
        log_error("cannot start: %s", err);
        rc = 2;
    }
    db_close(db);
    xmlCleanupParser();
    log_info("stopped");
    return wk_exit(rc);
}
