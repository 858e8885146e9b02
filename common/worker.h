/* worker: the start-up every worker process shares - JSON logging at the configured level,
 * the Asia/Almaty time zone (before any thread starts), SIGTERM/SIGINT/SIGHUP handling, the
 * configured clock, and a PostgreSQL connection once the schema the binary was built for is
 * in place. */
#ifndef LIC_WORKER_H
#define LIC_WORKER_H

#include "db.h"

/* Call first in main(). Starts the metrics endpoint when LIC_METRICS_PORT is set. */
void wk_init(const char *service);

/* Opens the workers' database (retrying until a stop is requested) and waits for the
 * migrations. NULL when stopped meanwhile; *exit_code is then what main() returns. */
db_t *wk_open_db(const char *app_name, int *exit_code);

/* Stops the metrics endpoint and the lag exporter (and its librdkafka threads) and returns
 * `code`: main() returns through it, so no thread of ours is running while exit() tears the
 * libraries down (OpenSSL's clean-up under a librdkafka thread crashed a worker at exit). */
int wk_exit(int code);

#endif
