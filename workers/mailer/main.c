/* mailer worker: sends hearing notices (see mailer.h). */
#include "log.h"
#include "mailer.h"
#include "worker.h"

#include <curl/curl.h>

int main(void)
{
    wk_init("mailer");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return wk_exit(2);
    int rc;
    db_t *db = wk_open_db("lic-mailer", &rc);
    if (db) {
        mailer_t *m = mailer_new(db);
        rc = m && mailer_run(m) == 0 ? 0 : 1;
        mailer_free(m);
        db_close(db);
    }
    curl_global_cleanup();
    log_info("stopped");
    return wk_exit(rc);
}
