/* relay: publishes the transactional outbox to Kafka with the idempotent producer, in id
 * order (so in order per application), and marks rows sent once their delivery reports came
 * back. One relay is active at a time (a PostgreSQL advisory lock); others wait as standbys.
 * A crash between publish and mark republishes the same bytes and event id: consumers
 * dedupe on the CloudEvent id. */
#ifndef LIC_RELAY_H
#define LIC_RELAY_H

#include "db.h"

#include <librdkafka/rdkafka.h>

typedef struct relay relay_t;

/* A relay over `db` (borrowed). NULL with errstr when the producer cannot be created. */
relay_t *relay_new(db_t *db, char *errstr, size_t errstr_size);
void relay_free(relay_t *r);

/* Publishes up to `max` unsent rows. Returns the number published and marked (>= 0), or -1
 * on a database or delivery failure (the caller backs off and calls again). */
int relay_publish_once(relay_t *r, int max);

/* Deletes rows published longer than `hours` ago, at most `limit` at a time. */
int relay_purge(relay_t *r, long hours, int limit);

/* The main loop: take the leader lock, LISTEN, publish, wait for NOTIFY or 1 s, until a stop
 * is requested. Returns 0 on a clean stop. */
int relay_run(relay_t *r);

#endif
