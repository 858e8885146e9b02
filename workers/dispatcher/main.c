/* dispatcher worker: sends approval requests to the agencies (see dispatcher.h). */
#include "dispatcher.h"
#include "log.h"
#include "worker.h"

#include <curl/curl.h>

int main(void)
{
    wk_init("dispatcher");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        return wk_exit(2);
    }
    int rc;
    db_t *db = wk_open_db("lic-dispatcher", &rc);
    if (db) {
        char err[512];
        dispatcher_t *d = dispatcher_new(db, err, sizeof(err));
        if (d) {
            rc = dispatcher_run(d) == 0 ? 0 : 1;
            dispatcher_free(d);
        } else {
            log_error("cannot start: %s", err);
            rc = 2;
        }
        db_close(db);
    }
    curl_global_cleanup();
    log_info("stopped");
    return wk_exit(rc);
}
