/* pipeline: the exactly-once consumer loop every consuming worker runs.
 * It consumes a batch, opens one PostgreSQL transaction, hands each message to the worker's
 * handler, records dead letters (table + outbox) for bad input, stores the next offset of
 * each partition in consumer_offsets, commits, and only then commits the offsets to Kafka.
 * On assignment it starts each partition from the offset stored in PostgreSQL, so a crash
 * between the two commits neither loses nor repeats a state change. */
#ifndef LIC_PIPELINE_H
#define LIC_PIPELINE_H

#include "db.h"

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* What a handler found: one type for every handler. The database's failures keep their
 * db_rc_t values, so a handler may return a db_rc_t as it is. */
typedef enum {
    PL_OK = 0,                   /* processed (or a duplicate, skipped) */
    PL_BAD_INPUT = 1,            /* bad input: dead-letter with the reason the handler wrote */
    PL_ERR_CONN = DB_ERR_CONN,   /* the connection failed: reconnect, run the batch again */
    PL_ERR_RETRY = DB_ERR_RETRY, /* a transient failure: run the batch again */
    PL_ERR_DATA = DB_ERR_DATA,   /* the database rejected what the handler wrote */
    PL_RETRY_LATER = -100        /* cannot process now (e.g. configuration gap): retry */
} pl_result_t;

typedef struct pl_pipeline pl_pipeline_t;

/* The room for a bad-input reason. */
#define PL_REASON_SIZE 512

typedef struct {
    const char *consumer; /* group id, and the consumer's name in PostgreSQL */
    const char *const *topics;
    int ntopics;
    const char *dead_letter_topic; /* where bad input goes, with its reason in the headers */
    /* Processes one message inside the batch transaction. Writes a reason into `reason` when
     * returning PL_BAD_INPUT or PL_RETRY_LATER. NULL when handle_batch is given. */
    pl_result_t (*handle)(void *opaque, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                          char *reason, size_t reason_size);
    /* Optional: called after each committed batch (for metrics and tests). */
    void (*after_commit)(void *opaque, int processed, int dead_lettered);
    /* Optional: called between batches after SIGHUP (re-read reloadable data). */
    void (*reload)(void *opaque);
    void *opaque;
    /* Batches run with deferred writes (db_defer()): for handlers whose writes need no
     * result, much faster. A failure sends the batch to the careful path. */
    int deferred_writes;
    /* Instead of handle, with deferred_writes: processes the messages of a batch together
     * (the ones not processed before, in order). Sets results[i] to PL_OK, or to PL_BAD_INPUT
     * with a reason in reasons[i], for each message; writes nothing for a message it finds
     * bad. Returns PL_OK or a failure; PL_ERR_DATA (also for a batch it does not take on)
     * sends the batch to the careful path, which calls it again for each message alone
     * (n = 1, writes not deferred) under a savepoint: one implementation for both. */
    pl_result_t (*handle_batch)(void *opaque, pl_pipeline_t *pl, db_t *db,
                                rd_kafka_message_t *const *msgs, int n, int *results,
                                char (*reasons)[PL_REASON_SIZE]);
} pl_config_t;

/* Runs until a stop is requested (SIGTERM/SIGINT): finishes the batch in hand, commits, closes
 * the consumer. `db` is the worker's connection (reconnected as needed). Returns 0 on a clean
 * stop, -1 when the consumer could not be created. */
int pl_run(const pl_config_t *cfg, db_t *db);

/* Inside a handler: records the event id as processed by this consumer. Returns 1 if it is
 * new, 0 if it was processed before (skip it), or a negative db_rc_t. */
int pl_claim_event(pl_pipeline_t *pl, db_t *db, const char *event_id,
                   const rd_kafka_message_t *msg);

/* Inside a batch handler: pl_claim_event() for n events: event_ids[i] is the id of msgs[i],
 * fresh[i] is set to 1 when it is new. Deferring, in one statement and optimistic (every
 * fresh[i] = 1): an event processed before fails the batch's commit, which then runs on the
 * careful path, where this tells it apart (fresh[i] = 0: skip it). */
db_rc_t pl_claim_events(pl_pipeline_t *pl, db_t *db, rd_kafka_message_t *const *msgs,
                        const char *const *event_ids, int n, int *fresh);

/* Inside a handler: the moment the batch is processed (the clock module's now, read once per
 * batch so every row of a batch agrees). */
time_t pl_now(const pl_pipeline_t *pl);

/* The largest record the relay can publish to the dead-letter topic (the producers' limit,
 * lowered to the topic's once the cluster has reported it; pl_run() asks). A dead letter
 * larger than that carries the first bytes of its original, flagged x-truncated; the whole
 * original stays in dead_letters. */
long pl_dead_letter_limit(void);

/* Records a dead letter for `msg` in the current transaction: a dead_letters row and the
 * original bytes to licensing.dead-letter.v1 through the outbox with x-error,
 * x-source-topic, x-source-partition and x-source-offset headers. */
db_rc_t pl_dead_letter(db_t *db, const char *consumer, const rd_kafka_message_t *msg,
                       const char *reason);

/* In a handler with `reason`, `reason_size`, `result` and an `out:` label: bad input with
 * its reason (printf-style). */
#define PL_BAD(...)                                                                                \
    do {                                                                                           \
        snprintf(reason, reason_size, __VA_ARGS__);                                                \
        result = PL_BAD_INPUT;                                                                     \
        goto out;                                                                                  \
    } while (0)

#endif
