/* outbox: the transactional outbox - a message to publish is a row written in the
 * transaction that decided it; the relay worker publishes the rows in order. Infrastructure:
 * it knows topics, keys and headers, not what the messages mean. */
#ifndef LIC_OUTBOX_H
#define LIC_OUTBOX_H

#include "db.h"

#include <jansson.h>
#include <stddef.h>

/* The Kafka protocol binding of CloudEvents, structured content mode: every CloudEvent the
 * workers produce carries this content-type header (proto/asyncapi.yaml). */
#define OB_CE_CONTENT_TYPE "application/cloudevents+json; charset=UTF-8"

/* Queues one message. `headers` (borrowed, may be NULL) is a JSON array of [name, value]
 * string pairs. `event_id`, `application_id` and `stage` (may be NULL) are bookkeeping for
 * the invariant checker and operators. */
db_rc_t ob_enqueue(db_t *db, const char *topic, const void *key, size_t key_len,
                   const void *payload, size_t payload_len, const json_t *headers,
                   const char *event_id, const char *application_id, const char *stage);

#endif
