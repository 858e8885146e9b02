/* pipeline: batch consume -> one transaction -> commit -> Kafka commit. */
#include "pipeline.h"
#include "infra_sql.h"
#include "metrics.h"
#include "clock.h"
#include "config.h"
#include "kafka.h"
#include "jsonx.h"
#include "log.h"
#include "outbox.h"
#include "signals.h"
#include "util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PL_MAX_PARTS 256

typedef struct {
    char topic[128];
    int32_t partition;
    int64_t next_offset; /* -1: unknown */
} part_off_t;

typedef struct {
    char topic[128];
    int32_t partition;
    int64_t offset;
    char reason[512];
} poison_t;

struct pl_pipeline {
    const pl_config_t *cfg;
    db_t *db;
    rd_kafka_t *rk;
    rd_kafka_message_t **batch;
    int batch_len;
    int batch_max;
    part_off_t parts[PL_MAX_PARTS];
    int nparts;
    time_t now;
    /* Messages to dead-letter because the database rejected what their handler wrote. */
    poison_t poisoned[64];
    int npoisoned;
    /* A deferred write of this batch failed: run it again statement by statement (savepoint
     * per message) until it commits, so the failure is pinned on its message. */
    int careful, careful_now;
    /* The batch handler's messages (those of the batch it is to process, in order), what it
     * found for each, and each batch message's position among them (-1: not handed). */
    rd_kafka_message_t **together;
    int *results, *slot;
    char (*reasons)[PL_REASON_SIZE];
};

static part_off_t *part_find(pl_pipeline_t *pl, const char *topic, int32_t partition, int create)
{
    for (int i = 0; i < pl->nparts; i++)
        if (pl->parts[i].partition == partition && strcmp(pl->parts[i].topic, topic) == 0)
            return &pl->parts[i];
    if (!create || pl->nparts >= PL_MAX_PARTS)
        return NULL;
    part_off_t *p = &pl->parts[pl->nparts++];
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->partition = partition;
    p->next_offset = -1;
    return p;
}

/* Reads the stored next offsets of this consumer from PostgreSQL into pl->parts. */
static int load_offsets(pl_pipeline_t *pl)
{
    for (int attempt = 0; !sig_stop_requested(); attempt++) {
        db_rc_t rc;
        const char *p[] = {pl->cfg->consumer};
        PGresult *r = db_query(pl->db, sql_load_offsets_select_consumer_offsets, 1, p, &rc);
        if (r) {
            for (int i = 0; i < PQntuples(r); i++) {
                part_off_t *po =
                    part_find(pl, PQgetvalue(r, i, 0), (int32_t)atoi(PQgetvalue(r, i, 1)), 1);
                if (po)
                    po->next_offset = atoll(PQgetvalue(r, i, 2));
            }
            PQclear(r);
            return 0;
        }
        if (rc == DB_ERR_CONN && db_reconnect(pl->db) != 0)
            return -1;
        util_sleep_ms(util_backoff_ms(attempt, 100, 5000));
    }
    return -1;
}

static void drop_revoked(pl_pipeline_t *pl, const rd_kafka_topic_partition_list_t *parts)
{
    int kept = 0;
    for (int i = 0; i < pl->batch_len; i++) {
        rd_kafka_message_t *m = pl->batch[i];
        int revoked = 0;
        for (int k = 0; k < parts->cnt; k++)
            if (parts->elems[k].partition == m->partition &&
                strcmp(parts->elems[k].topic, rd_kafka_topic_name(m->rkt)) == 0)
                revoked = 1;
        if (revoked)
            rd_kafka_message_destroy(m);
        else
            pl->batch[kept++] = m;
    }
    pl->batch_len = kept;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    pl_pipeline_t *pl = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        /* Start every partition where PostgreSQL says this consumer stopped: the database,
         * not Kafka's committed offset, is the authority. */
        load_offsets(pl);
        for (int i = 0; i < parts->cnt; i++) {
            part_off_t *po = part_find(pl, parts->elems[i].topic, parts->elems[i].partition, 0);
            /* No offset stored: the partition is read from its beginning (processed event
             * ids keep a second reading harmless). */
            parts->elems[i].offset =
                po && po->next_offset >= 0 ? po->next_offset : RD_KAFKA_OFFSET_BEGINNING;
        }
        json_t *f = json_object();
        json_object_set_new(f, "partitions", json_integer(parts->cnt));
        log_write(LOG_LEVEL_INFO, "partitions assigned", f);
        rd_kafka_assign(rk, parts);
        mt_ready("kafka", parts->cnt > 0);
    } else {
        /* Messages fetched from partitions we lose are not processed here: the new owner
         * starts from the offset stored in PostgreSQL. */
        drop_revoked(pl, parts);
        json_t *f = json_object();
        json_object_set_new(f, "partitions", json_integer(parts->cnt));
        log_write(LOG_LEVEL_INFO, "partitions revoked", f);
        rd_kafka_assign(rk, NULL);
        mt_ready("kafka", 0);
    }
}

time_t pl_now(const pl_pipeline_t *pl)
{
    return pl->now;
}

int pl_claim_event(pl_pipeline_t *pl, db_t *db, const char *event_id, const rd_kafka_message_t *msg)
{
    char part[16], off[24];
    snprintf(part, sizeof(part), "%d", (int)msg->partition);
    snprintf(off, sizeof(off), "%lld", (long long)msg->offset);
    const char *p[] = {pl->cfg->consumer, event_id, rd_kafka_topic_name(msg->rkt), part, off};
    db_rc_t rc;
    if (db_deferring(db)) {
        /* Optimistic: an event seen before violates the key, the commit fails and the batch
         * runs again without deferring, where it is told apart. */
        rc = db_exec(db, sql_pl_claim_event_insert_processed_events, 5, p);
        return rc == DB_OK ? 1 : rc;
    }
    PGresult *r = db_query(db, sql_pl_claim_event_insert_processed_events_2, 5, p, &rc);
    if (!r)
        return rc;
    int fresh = PQntuples(r) == 1;
    PQclear(r);
    return fresh;
}

db_rc_t pl_claim_events(pl_pipeline_t *pl, db_t *db, rd_kafka_message_t *const *msgs,
                        const char *const *event_ids, int n, int *fresh)
{
    if (n == 0)
        return DB_OK;
    if (!db_deferring(db)) {
        /* The careful path: each told apart, as pl_claim_event() does. */
        for (int i = 0; i < n; i++) {
            int f = pl_claim_event(pl, db, event_ids[i], msgs[i]);
            if (f < 0)
                return (db_rc_t)f;
            fresh[i] = f;
        }
        return DB_OK;
    }
    for (int i = 0; i < n; i++)
        fresh[i] = 1;
    json_t *rows = json_array();
    for (int i = 0; rows && i < n; i++)
        if (json_array_append_new(rows, json_pack("{s:s,s:s,s:i,s:I}", "event_id", event_ids[i],
                                                  "topic", rd_kafka_topic_name(msgs[i]->rkt),
                                                  "partition", (int)msgs[i]->partition, "offset",
                                                  (json_int_t)msgs[i]->offset))) {
            json_decref(rows);
            return DB_ERR_RETRY;
        }
    char *text = rows ? jx_dumps(rows) : NULL;
    json_decref(rows);
    if (!text)
        return DB_ERR_RETRY;
    const char *p[] = {pl->cfg->consumer, text};
    db_rc_t rc = db_exec(db, sql_pl_claim_events_insert_processed_events, 2, p);
    free(text);
    return rc;
}

/* The largest dead letter the relay can publish, asked of the cluster at start. */
static kq_limit_t *dead_letter_limit;
/* The topic bad input goes to (pl_config_t.dead_letter_topic), set at start with the limit. */
static const char *dead_letter_topic;

long pl_dead_letter_limit(void)
{
    return kq_limit_get(dead_letter_limit);
}

/* Room a record needs beside its value (record and batch framing, the key, the headers),
 * generously counted: Kafka checks the whole batch against its limit. */
#define DL_FRAMING 1024

db_rc_t pl_dead_letter(db_t *db, const char *consumer, const rd_kafka_message_t *msg,
                       const char *reason)
{
    const char *topic = rd_kafka_topic_name(msg->rkt);
    const void *payload = msg->payload ? msg->payload : "";
    char part[16], off[24], size[24];
    snprintf(part, sizeof(part), "%d", (int)msg->partition);
    snprintf(off, sizeof(off), "%lld", (long long)msg->offset);
    snprintf(size, sizeof(size), "%zu", msg->len);
    unsigned char digest[crypto_hash_sha256_BYTES];
    char sha[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(digest, payload, msg->len);
    sodium_bin2hex(sha, sizeof(sha), digest, sizeof(digest));
    /* The reason is ours (ASCII and JSON-safe), but cut it to a header-friendly size. */
    char why[512];
    snprintf(why, sizeof(why), "%s", reason);
    /* The whole original is kept in PostgreSQL (replay sends it back); the topic gets as much
     * of it as the relay can publish, flagged as truncated. */
    size_t room = 0, header_bytes = strlen(why) + strlen(topic) + strlen(consumer) + 256;
    long limit = pl_dead_letter_limit();
    size_t need = msg->len + msg->key_len + header_bytes + DL_FRAMING;
    int truncated = need > (size_t)limit;
    if (truncated) {
        long r = limit - (long)(msg->key_len + header_bytes + DL_FRAMING);
        room = r > 0 ? (size_t)r : 0;
    }
    char *khex = msg->key ? db_bytea_hex(msg->key, msg->key_len) : NULL;
    char *phex = db_bytea_hex(payload, msg->len);
    db_rc_t rc = DB_ERR_DATA;
    char dl_id[24] = "";
    if (phex) {
        const char *p[] = {consumer, topic, part, off, why, khex, phex, sha, truncated ? "t" : "f"};
        PGresult *r = db_query(db, sql_pl_dead_letter_with_ins, 9, p, &rc);
        if (r) {
            if (PQntuples(r) == 1)
                snprintf(dl_id, sizeof(dl_id), "%s", PQgetvalue(r, 0, 0));
            PQclear(r);
            rc = DB_OK;
        }
    }
    free(khex);
    free(phex);
    if (rc != DB_OK)
        return rc;
    json_t *why_json = json_string(why);
    if (!why_json)
        why_json = json_string("bad input");
    json_t *h = json_pack("[[s,o],[s,s],[s,s],[s,s],[s,s],[s,s],[s,s],[s,s]]", "x-error", why_json,
                          "x-source-topic", topic, "x-source-partition", part, "x-source-offset",
                          off, "x-consumer", consumer, "x-dead-letter-id", dl_id, "x-original-size",
                          size, "x-original-sha256", sha);
    if (truncated)
        json_array_append_new(h, json_pack("[s,s]", "x-truncated", "true"));
    rc = ob_enqueue(db, dead_letter_topic, msg->key, msg->key ? msg->key_len : 0, payload,
                    truncated ? room : msg->len, h, NULL, NULL, NULL);
    json_decref(h);
    json_t *f = json_object();
    json_object_set_new(f, "topic", json_string(topic));
    json_object_set_new(f, "partition", json_integer(msg->partition));
    json_object_set_new(f, "offset", json_integer(msg->offset));
    json_object_set_new(f, "reason", json_string(why));
    json_object_set_new(f, "size", json_integer((json_int_t)msg->len));
    json_object_set_new(f, "truncated", json_boolean(truncated));
    log_write(LOG_LEVEL_WARN, "dead-lettered bad input", f);
    return rc;
}

/* The contract's messages are CloudEvents in the Kafka binding's structured mode, with or
 * without its content-type header; the binary mode (attributes as ce_ headers, the data as
 * the value) is refused with a reason that says so (proto/asyncapi.yaml). */
#define BINARY_MODE_REASON                                                                         \
    "CloudEvents binary content mode (ce_specversion header) is not accepted: publish the"         \
    " event in structured mode, content-type " OB_CE_CONTENT_TYPE

static int binary_mode(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v;
    size_t len;
    return rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
           rd_kafka_header_get_last(hdrs, "ce_specversion", &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* Why a message is dead-lettered before any handler sees it, or NULL. */
static const char *poisoned_reason(pl_pipeline_t *pl, const rd_kafka_message_t *m)
{
    if (binary_mode(m))
        return BINARY_MODE_REASON;
    for (int i = 0; i < pl->npoisoned; i++)
        if (pl->poisoned[i].partition == m->partition && pl->poisoned[i].offset == m->offset &&
            strcmp(pl->poisoned[i].topic, rd_kafka_topic_name(m->rkt)) == 0)
            return pl->poisoned[i].reason;
    return NULL;
}

/* The broker no longer has the offset this consumer was to read (auto.offset.reset is
 * "error"): its retention deleted messages before they were consumed, or the log was
 * truncated. Messages never read are lost to the service and only their sender can publish
 * them again, so this is an incident with the exact range, an error line and a metric; then
 * the partition is read on from the oldest message the broker has (already processed event
 * ids are skipped), so one lost range does not stop every application behind it. */
static void offset_gone(pl_pipeline_t *pl, const rd_kafka_message_t *m)
{
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "?";
    int64_t lo = RD_KAFKA_OFFSET_BEGINNING, hi = -1;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(pl->rk, topic, m->partition, &lo, &hi, 5000);
    if (err)
        lo = RD_KAFKA_OFFSET_BEGINNING;
    long long lost = !err && m->offset >= 0 && lo > m->offset ? lo - m->offset : 0;
    char detail[600], ref[300];
    if (lost > 0)
        snprintf(detail, sizeof(detail),
                 "%s [%d]: offsets %lld to %lld were deleted by the broker before consumer %s "
                 "read them (%lld messages); they must be published again by their sender",
                 topic, (int)m->partition, (long long)m->offset, (long long)lo - 1,
                 pl->cfg->consumer, lost);
    else
        snprintf(detail, sizeof(detail),
                 "%s [%d]: offset %lld is not on the broker (log %lld to %lld); consumer %s "
                 "reads the partition again from its oldest message",
                 topic, (int)m->partition, (long long)m->offset, (long long)lo, (long long)hi,
                 pl->cfg->consumer);
    snprintf(ref, sizeof(ref), "%s/%s/%d/%lld", pl->cfg->consumer, topic, (int)m->partition,
             (long long)m->offset);
    json_t *f = json_pack("{s:s,s:i,s:I,s:I,s:I,s:s}", "topic", topic, "partition",
                          (int)m->partition, "offset", (json_int_t)m->offset, "log_start",
                          (json_int_t)lo, "lost", (json_int_t)lost, "detail", detail);
    log_write(LOG_LEVEL_ERROR, "consumer offset not on the broker", f);
    char labels[200];
    snprintf(labels, sizeof(labels), "topic=\"%s\"", topic);
    mt_add("lic_consumer_offset_resets_total", labels, 1);
    mt_add("lic_consumer_messages_lost_total", labels, lost);
    const char *kind = lost > 0 ? "messages_expired_unconsumed" : "consumer_offset_not_on_broker";
    char now[40];
    util_rfc3339_utc(clock_now(), now, sizeof(now));
    const char *p[] = {kind, ref, detail, now};
    if (db_exec(pl->db, sql_offset_gone_insert_incidents, 4, p) != DB_OK)
        log_error("cannot record the incident (it is in this log): %s", db_last_error(pl->db));
    /* The partition's fetcher has stopped: the assignment is made again, this partition from
     * the oldest message, the others from where this consumer is (messages already collected
     * are in the batch), or from the database when nothing was read from them yet. */
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(pl->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR || !l) {
        log_error("cannot read the assignment to resume %s [%d]", topic, (int)m->partition);
        return;
    }
    rd_kafka_position(pl->rk, l);
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        if (tp->partition == m->partition && strcmp(tp->topic, topic) == 0) {
            tp->offset = lo;
        } else if (tp->offset < 0) {
            part_off_t *po = part_find(pl, tp->topic, tp->partition, 0);
            tp->offset = po && po->next_offset >= 0 ? po->next_offset : RD_KAFKA_OFFSET_BEGINNING;
        }
    }
    rd_kafka_resp_err_t ae = rd_kafka_assign(pl->rk, l);
    if (ae)
        log_error("cannot resume %s [%d]: %s", topic, (int)m->partition, rd_kafka_err2str(ae));
    rd_kafka_topic_partition_list_destroy(l);
}

/* Collects up to batch_max messages: waits up to 500 ms for the first, then BATCH_WAIT_MS
 * for the rest. */
static void collect(pl_pipeline_t *pl, long wait_ms)
{
    int64_t deadline = 0;
    while (pl->batch_len < pl->batch_max && !sig_stop_requested()) {
        int timeout = 500;
        if (pl->batch_len > 0) {
            int64_t left = deadline - util_mono_ms();
            if (left <= 0)
                break;
            timeout = (int)left;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(pl->rk, timeout);
        if (!m) {
            if (pl->batch_len > 0 || timeout == 500)
                break;
            continue;
        }
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
                offset_gone(pl, m);
            else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                log_warn("consumer error: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (pl->batch_len == 0)
            deadline = util_mono_ms() + wait_ms;
        pl->batch[pl->batch_len++] = m;
    }
}

typedef enum { TX_DONE, TX_RETRY, TX_STOPPED } tx_result_t;

/* Hands the batch handler the messages of the batch it is to process - neither processed in
 * an earlier transaction nor poisoned - noting each one's position (pl->slot). */
static db_rc_t handle_together(pl_pipeline_t *pl, db_t *db)
{
    int k = 0;
    for (int i = 0; i < pl->batch_len; i++) {
        rd_kafka_message_t *m = pl->batch[i];
        part_off_t *po = part_find(pl, rd_kafka_topic_name(m->rkt), m->partition, 1);
        pl->slot[i] = -1;
        if ((po && po->next_offset >= 0 && m->offset < po->next_offset) || poisoned_reason(pl, m))
            continue;
        pl->results[k] = PL_OK;
        pl->reasons[k][0] = '\0';
        pl->slot[i] = k;
        pl->together[k++] = m;
    }
    return k ? (db_rc_t)pl->cfg->handle_batch(pl->cfg->opaque, pl, db, pl->together, k, pl->results,
                                              pl->reasons)
             : DB_OK;
}

/* One message: the worker's handle(), or its batch handler with a batch of one. */
static pl_result_t handle_one(pl_pipeline_t *pl, db_t *db, rd_kafka_message_t *m,
                              char reason[PL_REASON_SIZE])
{
    if (pl->cfg->handle)
        return pl->cfg->handle(pl->cfg->opaque, pl, db, m, reason, PL_REASON_SIZE);
    int result = PL_OK;
    char(*why)[PL_REASON_SIZE] = (char(*)[PL_REASON_SIZE])reason;
    why[0][0] = '\0';
    pl_result_t rc = pl->cfg->handle_batch(pl->cfg->opaque, pl, db, &m, 1, &result, why);
    return rc != PL_OK ? rc : (pl_result_t)result;
}

/* A deferred write failed, or a handler found bad input after writing: the batch runs again
 * at once, statement by statement with a savepoint per message. */
static tx_result_t careful_retry(pl_pipeline_t *pl, const char *why)
{
    db_rollback(pl->db);
    pl->careful = pl->careful_now = 1;
    json_t *f = json_object();
    json_object_set_new(f, "cause", json_string(why));
    log_write(LOG_LEVEL_INFO, "the batch runs again without deferred writes", f);
    return TX_RETRY;
}

static tx_result_t process_batch(pl_pipeline_t *pl, int *processed, int *dead)
{
    db_t *db = pl->db;
    *processed = *dead = 0;
    pl->now = clock_now();
    int defer = pl->cfg->deferred_writes && !pl->careful;
    db_rc_t rc = db_begin(db);
    if (rc != DB_OK)
        goto db_fail;
    if (defer && (rc = db_defer(db)) != DB_OK)
        goto db_fail;
    int64_t next[PL_MAX_PARTS];
    for (int i = 0; i < PL_MAX_PARTS; i++)
        next[i] = -1;
    /* A batch handler takes the messages not processed before (and not poisoned) at once;
     * the loop below then records what it found for each. */
    int together = defer && pl->cfg->handle_batch;
    if (together && (rc = handle_together(pl, db)) != DB_OK) {
        if (rc == DB_ERR_DATA)
            return careful_retry(pl, "the batch handler passed the batch on");
        goto db_fail;
    }
    for (int i = 0; i < pl->batch_len; i++) {
        rd_kafka_message_t *m = pl->batch[i];
        part_off_t *po = part_find(pl, rd_kafka_topic_name(m->rkt), m->partition, 1);
        if (!po) {
            log_error("too many partitions for one consumer");
            rc = DB_ERR_RETRY;
            goto db_fail;
        }
        int idx = (int)(po - pl->parts);
        if (po->next_offset >= 0 && m->offset < po->next_offset)
            continue; /* processed in an earlier transaction */
        char reason[PL_REASON_SIZE] = "";
        const char *poison = poisoned_reason(pl, m);
        pl_result_t hr;
        if (poison) {
            snprintf(reason, sizeof(reason), "%s", poison);
            hr = PL_BAD_INPUT;
        } else if (together && pl->slot[i] >= 0) {
            hr = (pl_result_t)pl->results[pl->slot[i]];
            snprintf(reason, sizeof(reason), "%s", pl->reasons[pl->slot[i]]);
        } else if (together) {
            log_error("a message of the batch was not handed to the batch handler");
            rc = DB_ERR_RETRY;
            goto db_fail;
        } else if (defer) {
            /* No savepoints: a handler that finds bad input after writing something sends
             * the batch to the careful path, which has them. */
            unsigned long before = db_statements(db);
            hr = handle_one(pl, db, m, reason);
            if (hr == PL_BAD_INPUT && db_statements(db) != before)
                return careful_retry(pl, "bad input found after writing");
        } else {
            /* A savepoint per message: bad input found after the handler wrote something
             * still changes nothing but the dead-letter record. */
            if ((rc = db_exec(db, "SAVEPOINT pl_msg", 0, NULL)) != DB_OK)
                goto db_fail;
            hr = handle_one(pl, db, m, reason);
            if (hr == PL_BAD_INPUT &&
                (rc = db_exec(db, "ROLLBACK TO SAVEPOINT pl_msg", 0, NULL)) != DB_OK)
                goto db_fail;
        }
        if (hr == PL_BAD_INPUT) {
            rc = pl_dead_letter(db, pl->cfg->consumer, m, reason[0] ? reason : "bad input");
            if (rc != DB_OK)
                goto db_fail;
            (*dead)++;
        } else if (hr == PL_ERR_DATA && defer) {
            return careful_retry(pl, db_last_error(db));
        } else if (hr == PL_ERR_DATA) {
            /* What the handler wrote was rejected: redo the batch with this message
             * dead-lettered, so the rest of the batch still commits. */
            if (pl->npoisoned < 64) {
                poison_t *p = &pl->poisoned[pl->npoisoned++];
                snprintf(p->topic, sizeof(p->topic), "%s", rd_kafka_topic_name(m->rkt));
                p->partition = m->partition;
                p->offset = m->offset;
                snprintf(p->reason, sizeof(p->reason), "rejected by the database: %s",
                         db_last_error(db));
            }
            db_rollback(db);
            return TX_RETRY;
        } else if (hr == PL_RETRY_LATER) {
            log_error("cannot process message now, will retry: %s", reason);
            db_rollback(db);
            return TX_RETRY;
        } else if (hr < 0) {
            rc = (db_rc_t)hr;
            goto db_fail;
        } else {
            (*processed)++;
        }
        if (m->offset + 1 > next[idx])
            next[idx] = m->offset + 1;
    }
    for (int i = 0; i < pl->nparts; i++) {
        if (next[i] < 0)
            continue;
        char part[16], off[24];
        snprintf(part, sizeof(part), "%d", (int)pl->parts[i].partition);
        snprintf(off, sizeof(off), "%lld", (long long)next[i]);
        const char *p[] = {pl->cfg->consumer, pl->parts[i].topic, part, off};
        rc = db_exec(db, sql_process_batch_insert_consumer_offsets, 4, p);
        if (rc != DB_OK)
            goto db_fail;
    }
    rc = db_commit(db);
    if (rc != DB_OK)
        goto db_fail;
    pl->careful = 0;
    /* Committed: advance the in-memory offsets and tell Kafka (for lag and for consumers
     * that start without the database's offsets). */
    rd_kafka_topic_partition_list_t *commit = rd_kafka_topic_partition_list_new(pl->nparts);
    for (int i = 0; i < pl->nparts; i++) {
        if (next[i] < 0)
            continue;
        pl->parts[i].next_offset = next[i];
        rd_kafka_topic_partition_list_add(commit, pl->parts[i].topic, pl->parts[i].partition)
            ->offset = next[i];
    }
    if (commit->cnt > 0) {
        rd_kafka_resp_err_t kerr = rd_kafka_commit(pl->rk, commit, 1);
        if (kerr)
            log_warn("Kafka offset commit: %s", rd_kafka_err2str(kerr));
    }
    rd_kafka_topic_partition_list_destroy(commit);
    pl->npoisoned = 0;
    return TX_DONE;

db_fail:
    if (rc == DB_ERR_DATA && defer)
        return careful_retry(pl, db_last_error(db)); /* a deferred write, found late */
    db_rollback(db);
    if (rc == DB_ERR_CONN) {
        if (db_reconnect(db) != 0)
            return TX_STOPPED;
    }
    /* The commit may have happened before the connection broke: re-read the stored offsets
     * so the retry skips whatever did commit. */
    if (load_offsets(pl) != 0)
        return TX_STOPPED;
    return TX_RETRY;
}

static void pl_free(pl_pipeline_t *pl)
{
    free(pl->batch);
    free(pl->together);
    free(pl->results);
    free(pl->slot);
    free(pl->reasons);
    free(pl);
}

int pl_run(const pl_config_t *cfg, db_t *db)
{
    pl_pipeline_t *pl = calloc(1, sizeof(*pl));
    if (!pl)
        return -1;
    pl->cfg = cfg;
    pl->db = db;
    pl->batch_max = (int)cfg_get_long("BATCH_MAX", 500);
    if (pl->batch_max < 1 || pl->batch_max > 100000)
        pl->batch_max = 500;
    long wait_ms = cfg_get_long("BATCH_WAIT_MS", 100);
    pl->batch = calloc((size_t)pl->batch_max, sizeof(rd_kafka_message_t *));
    if (cfg->handle_batch) {
        pl->together = calloc((size_t)pl->batch_max, sizeof(rd_kafka_message_t *));
        pl->results = calloc((size_t)pl->batch_max, sizeof(*pl->results));
        pl->slot = calloc((size_t)pl->batch_max, sizeof(*pl->slot));
        pl->reasons = calloc((size_t)pl->batch_max, PL_REASON_SIZE);
    }
    int allocated = pl->batch && (!cfg->handle_batch ||
                                  (pl->together && pl->results && pl->slot && pl->reasons));
    char err[512];
    pl->rk = allocated ? kq_consumer_new(cfg->consumer, cfg->topics, cfg->ntopics, rebalance_cb, pl,
                                         err, sizeof(err))
                       : NULL;
    if (!pl->rk) {
        log_error("cannot create the Kafka consumer: %s", allocated ? err : "out of memory");
        pl_free(pl);
        return -1;
    }
    log_info("consuming as %s", cfg->consumer);
    mt_declare("lic_messages_processed_total", MT_COUNTER,
               "Messages processed (committed in PostgreSQL), per consumer.");
    mt_declare("lic_messages_dead_lettered_total", MT_COUNTER,
               "Messages sent to the dead-letter topic, per consumer.");
    mt_declare("lic_batches_total", MT_COUNTER, "Batches committed, per consumer.");
    mt_declare("lic_consumer_offset_resets_total", MT_COUNTER,
               "Offsets to read that the broker no longer had, per topic.");
    mt_declare("lic_consumer_messages_lost_total", MT_COUNTER,
               "Messages the broker deleted before they were consumed, per topic.");
    mt_declare("lic_batch_retries_total", MT_COUNTER,
               "Batch transactions retried (database errors, data not yet configured).");
    mt_declare("lic_batch_seconds", MT_HISTOGRAM,
               "Time from a batch in hand to its commit in PostgreSQL (transaction latency).");
    /* Counters an alert takes increase() of start at 0, so the first loss is an increase. */
    for (int i = 0; i < cfg->ntopics; i++) {
        char labels[200];
        snprintf(labels, sizeof(labels), "topic=\"%s\"", cfg->topics[i]);
        mt_add("lic_consumer_offset_resets_total", labels, 0);
        mt_add("lic_consumer_messages_lost_total", labels, 0);
    }
    {
        char labels[96];
        snprintf(labels, sizeof(labels), "consumer=\"%s\"", cfg->consumer);
        mt_add("lic_messages_processed_total", labels, 0);
        mt_add("lic_messages_dead_lettered_total", labels, 0);
    }
    dead_letter_topic = cfg->dead_letter_topic;
    dead_letter_limit = kq_limit_ask(pl->rk, dead_letter_topic);
    mt_ready("kafka", 0);
    while (!sig_stop_requested()) {
        if (sig_reload_requested() && cfg->reload)
            cfg->reload(cfg->opaque);
        collect(pl, wait_ms);
        if (pl->batch_len == 0)
            continue;
        int processed = 0, dead = 0;
        int attempt = 0;
        tx_result_t tr;
        int64_t started = util_mono_ms();
        /* Once a batch is in hand it is finished even when a stop is requested meanwhile
         * (SIGTERM: finish the batch, commit, exit). A stop only interrupts the back-off of a
         * batch that cannot commit, which is then left for redelivery. */
        while ((tr = process_batch(pl, &processed, &dead)) == TX_RETRY) {
            if (sig_stop_requested())
                break;
            /* A batch waiting for data an operator must supply (a calendar year, an MCI
             * value) goes through once SIGHUP has reloaded it. */
            if (sig_reload_requested() && cfg->reload)
                cfg->reload(cfg->opaque);
            if ((pl->npoisoned == 0 && !pl->careful_now) || attempt > 0)
                util_sleep_ms(util_backoff_ms(attempt, 50, 5000));
            if (!pl->careful_now)
                attempt++;
            pl->careful_now = 0;
        }
        if (tr == TX_DONE) {
            if (cfg->after_commit)
                cfg->after_commit(cfg->opaque, processed, dead);
            char labels[96];
            snprintf(labels, sizeof(labels), "consumer=\"%s\"", cfg->consumer);
            mt_add("lic_messages_processed_total", labels, processed);
            mt_add("lic_messages_dead_lettered_total", labels, dead);
            mt_add("lic_batches_total", labels, 1);
            mt_add("lic_batch_retries_total", labels, attempt);
            mt_observe("lic_batch_seconds", labels, (util_mono_ms() - started) / 1000.0);
            json_t *f = json_object();
            json_object_set_new(f, "messages", json_integer(pl->batch_len));
            json_object_set_new(f, "processed", json_integer(processed));
            json_object_set_new(f, "dead_lettered", json_integer(dead));
            log_write(LOG_LEVEL_DEBUG, "batch committed", f);
        }
        for (int i = 0; i < pl->batch_len; i++)
            rd_kafka_message_destroy(pl->batch[i]);
        pl->batch_len = 0;
    }
    log_info("stopping: closing the consumer");
    kq_limit_free(dead_letter_limit);
    dead_letter_limit = NULL;
    rd_kafka_consumer_close(pl->rk);
    rd_kafka_destroy(pl->rk);
    pl_free(pl);
    return 0;
}
