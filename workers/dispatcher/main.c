/* dispatcher worker: sends approval requests to the agencies (see dispatcher.h). */
#include "clock.h"
#include "cal.h"
#include "config.h"
#include "db.h"
#include "dispatcher.h"
#include "log.h"
#include "migrate.h"
#include "signals.h"

#include <curl/curl.h>

int main(void)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("dispatcher", level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    cal_tz_init(); /* before any thread starts: setenv is not thread-safe */
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("cannot initialise libcurl");
        return 2;
    }
    db_t *db = db_open_from_config("lic-dispatcher");
    if (!db || mig_wait_ready(db) != 0) {
        db_close(db);
        curl_global_cleanup();
        return sig_stop_requested() ? 0 : 1;
    }
    char err[512];
    dispatcher_t *d = dispatcher_new(db, err, sizeof(err));
    if (!d) {
        log_error("cannot start: %s", err);
        db_close(db);
        curl_global_cleanup();
        return 2;
    }
    int rc = dispatcher_run(d);
    dispatcher_free(d);
    db_close(db);
    curl_global_cleanup();
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}
