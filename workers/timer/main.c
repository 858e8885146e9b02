/* timer worker: fires durable timers (see timer.h). */
#include "log.h"
#include "timer.h"
#include "worker.h"

int main(void)
{
    wk_init("timer");
    int rc;
    db_t *db = wk_open_db("lic-timer", &rc);
    if (!db)
        return wk_exit(rc);
    tw_t *tw = tw_new(db);
    rc = tw && tw_run(tw) == 0 ? 0 : 1;
    tw_free(tw);
    db_close(db);
    log_info("stopped");
    return wk_exit(rc);
}
