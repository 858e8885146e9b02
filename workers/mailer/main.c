/* mailer worker: sends hearing notices (see mailer.h). */
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "mailer.h"
#include "migrate.h"
#include "signals.h"

#include <curl/curl.h>

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("mailer", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    db_t *db = db_open_from_config("lic-mailer");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        curl_global_cleanup();
        return sig_stop_requested() ? 0 : 1;
    }
    mailer_t *m = mailer_new(db);
    int rc = m ? mailer_run(m) : 1;
    mailer_free(m);
    db_close(db);
    curl_global_cleanup();
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
