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

/* The wait loop of a worker that takes its work from PostgreSQL (decider, mailer, timer):
 * LISTEN on a channel, a round of work, a wait for a notification or the look-again period,
 * and around them SIGTERM (the loop ends), SIGHUP (reload), a lost connection (reconnect,
 * LISTEN again) and a failed round (back-off, 100 ms doubling to 5 s). The relay (a leader
 * lock) and the dispatcher (its HTTP transfers are its wait) keep loops of their own. */
typedef struct {
    const char *channel; /* LISTEN this */
    void *opaque;
    /* One round: how many things it did, or a negative db_rc_t (the round failed). `anew`:
     * the first round since LISTEN was (re)issued - notifications may have been missed. */
    int (*round)(void *opaque, int anew);
    /* 1: after a round that did something, the next at once, without waiting. */
    int again_at_once;
    /* The wait after a round, in ms (NULL: 5,000). */
    long (*wait_ms)(void *opaque);
    /* Each notification received while waiting (NULL: none is looked at). */
    void (*notice)(const char *channel, const char *payload, void *opaque);
    /* After the wait: how many notifications came (0: the period ended). NULL: none. */
    void (*woke)(void *opaque, int notifications);
    /* SIGHUP (NULL: nothing to re-read). */
    void (*reload)(void *opaque);
} wk_loop_t;

/* Runs the loop until a stop is requested or the database cannot be reached again. */
void wk_loop(db_t *db, const wk_loop_t *l);

/* Stops the metrics endpoint and the lag exporter (and its librdkafka threads) and returns
 * `code`: main() returns through it, so no thread of ours is running while exit() tears the
 * libraries down (OpenSSL's clean-up under a librdkafka thread crashed a worker at exit). */
int wk_exit(int code);

#endif
