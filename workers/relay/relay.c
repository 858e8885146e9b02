/* relay: outbox -> Kafka. */
#include "relay.h"
#include "metrics.h"
#include "config.h"
#include "kafka.h"
#include "log.h"
#include "signals.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#define RELAY_LOCK_KEY "7426372881"

typedef struct {
    long long id;
    int done;   /* delivery report received */
    int failed; /* delivery failed */
} pending_t;

struct relay {
    db_t *db;
    rd_kafka_t *producer;
    pending_t *pending;
    int pending_cap;
    int leader;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    pending_t *p = m->_private;
    if (!p)
        return;
    p->done = 1;
    if (m->err) {
        p->failed = 1;
        log_error("delivery of outbox row %lld to %s failed: %s", p->id,
                  rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    }
}

relay_t *relay_new(db_t *db, char *errstr, size_t errstr_size)
{
    relay_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->db = db;
    r->producer = kq_producer_new(dr_cb, r, errstr, errstr_size);
    if (!r->producer) {
        free(r);
        return NULL;
    }
    return r;
}

void relay_free(relay_t *r)
{
    if (!r)
        return;
    rd_kafka_flush(r->producer, 10000);
    rd_kafka_destroy(r->producer);
    free(r->pending);
    free(r);
}

static rd_kafka_headers_t *make_headers(const char *json)
{
    json_t *arr = json_loads(json, 0, NULL);
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        json_decref(arr);
        return NULL;
    }
    rd_kafka_headers_t *h = rd_kafka_headers_new(json_array_size(arr));
    size_t i;
    json_t *pair;
    json_array_foreach(arr, i, pair)
    {
        const char *name = json_string_value(json_array_get(pair, 0));
        const char *val = json_string_value(json_array_get(pair, 1));
        if (name && val)
            rd_kafka_header_add(h, name, -1, val, -1);
    }
    json_decref(arr);
    return h;
}

int relay_publish_once(relay_t *r, int max)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", max);
    const char *p[] = {lim};
    db_rc_t rc;
    PGresult *res = db_query(r->db,
                             "SELECT id, topic, msg_key, payload, headers::text FROM outbox"
                             " WHERE sent_at IS NULL ORDER BY id LIMIT $1",
                             1, p, &rc);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return 0;
    }
    if (n > r->pending_cap) {
        pending_t *np = realloc(r->pending, sizeof(*np) * (size_t)n);
        if (!np) {
            PQclear(res);
            return -1;
        }
        r->pending = np;
        r->pending_cap = n;
    }
    int produced = 0;
    for (int i = 0; i < n; i++) {
        pending_t *pd = &r->pending[i];
        pd->id = atoll(PQgetvalue(res, i, 0));
        pd->done = pd->failed = 0;
        size_t klen = 0, plen = 0;
        unsigned char *key = NULL;
        if (!PQgetisnull(res, i, 2))
            key = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 2), &klen);
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 3), &plen);
        rd_kafka_headers_t *hdrs = make_headers(PQgetvalue(res, i, 4));
        rd_kafka_resp_err_t err;
        for (;;) {
            err = rd_kafka_producev(r->producer, RD_KAFKA_V_TOPIC(PQgetvalue(res, i, 1)),
                                    RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE(payload, plen),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(pd),
                                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(r->producer, 100); /* bounded queue: wait for room */
        }
        if (err) {
            rd_kafka_headers_destroy(hdrs);
            pd->done = pd->failed = 1;
            log_error("produce of outbox row %lld failed: %s", pd->id, rd_kafka_err2str(err));
        } else {
            produced++;
        }
        PQfreemem(key);
        PQfreemem(payload);
    }
    PQclear(res);
    /* Wait for every delivery report; librdkafka retries transient errors by itself. */
    /* Even when stopping, wait (bounded) so that delivered rows get marked. */
    int64_t until = util_mono_ms() + 30000;
    while (rd_kafka_outq_len(r->producer) > 0 && util_mono_ms() < until)
        rd_kafka_poll(r->producer, 100);
    rd_kafka_poll(r->producer, 0);

    /* Mark the delivered rows, stopping at the first failure so that rows stay in order. */
    char *ids = malloc((size_t)n * 24 + 3);
    if (!ids)
        return -1;
    size_t len = 0;
    ids[len++] = '{';
    int marked = 0;
    for (int i = 0; i < n; i++) {
        if (!r->pending[i].done || r->pending[i].failed)
            break;
        len += (size_t)sprintf(ids + len, "%s%lld", marked ? "," : "", r->pending[i].id);
        marked++;
    }
    ids[len++] = '}';
    ids[len] = '\0';
    int result = marked;
    if (marked > 0) {
        const char *pm[] = {ids};
        if (db_exec_adhoc(r->db, "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                          1, pm) != DB_OK)
            result = -1;
    }
    free(ids);
    if (marked < n)
        return -1;
    return result;
}

int relay_purge(relay_t *r, long hours, int limit)
{
    char h[24], l[16];
    snprintf(h, sizeof(h), "%ld", hours);
    snprintf(l, sizeof(l), "%d", limit);
    const char *p[] = {h, l};
    db_rc_t rc;
    PGresult *res = db_query(r->db,
                             "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE"
                             " sent_at < now() - make_interval(hours => $1::int) ORDER BY id"
                             " LIMIT $2)",
                             2, p, &rc);
    if (!res)
        return -1;
    int n = atoi(PQcmdTuples(res));
    PQclear(res);
    return n;
}

/* Waits up to `ms` for a notification on the connection. */
static void wait_notify(relay_t *r, long ms)
{
    if (db_wait_notify(r->db, ms) < 0)
        util_sleep_ms(ms < 1000 ? ms : 1000); /* the loop reconnects */
}

static int become_leader(relay_t *r)
{
    db_rc_t rc;
    PGresult *res =
        db_query(r->db, "SELECT pg_try_advisory_lock(" RELAY_LOCK_KEY ")", 0, NULL, &rc);
    if (!res)
        return -1;
    int got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (got && db_exec(r->db, "LISTEN lic_outbox", 0, NULL) != DB_OK)
        return -1;
    return got;
}

int relay_run(relay_t *r)
{
    int batch = (int)cfg_get_long("OUTBOX_BATCH", 1000);
    long retention = cfg_get_long("OUTBOX_RETENTION_HOURS", 168);
    int64_t next_purge = 0, next_backlog = 0;
    mt_declare("lic_outbox_published_total", MT_COUNTER, "Outbox rows published to Kafka.");
    mt_declare("lic_outbox_backlog", MT_GAUGE, "Outbox rows not yet published.");
    mt_declare("lic_outbox_oldest_seconds", MT_GAUGE,
               "Age of the oldest unpublished outbox row (a stuck relay shows here).");
    int attempt = 0;
    while (!sig_stop_requested()) {
        if (PQstatus(db_conn(r->db)) != CONNECTION_OK) {
            r->leader = 0;
            if (db_reconnect(r->db) != 0)
                break;
        }
        if (!r->leader) {
            int got = become_leader(r);
            if (got < 0) {
                util_sleep_ms(util_backoff_ms(attempt++, 100, 5000));
                continue;
            }
            if (!got) {
                util_sleep_ms(1000); /* standby: another relay publishes */
                continue;
            }
            r->leader = 1;
            log_info("relay is the active publisher");
        }
        int n = relay_publish_once(r, batch);
        if (n < 0) {
            util_sleep_ms(util_backoff_ms(attempt++, 100, 5000));
            continue;
        }
        attempt = 0;
        if (n > 0)
            mt_add("lic_outbox_published_total", NULL, n);
        if (n == 0 || util_mono_ms() >= next_backlog) {
            db_rc_t rc;
            PGresult *b = db_query(r->db,
                                   "SELECT count(*), coalesce(extract(epoch FROM now() -"
                                   " min(created_at)), 0) FROM outbox WHERE sent_at IS NULL",
                                   0, NULL, &rc);
            if (b) {
                mt_set("lic_outbox_backlog", NULL, atof(PQgetvalue(b, 0, 0)));
                mt_set("lic_outbox_oldest_seconds", NULL, atof(PQgetvalue(b, 0, 1)));
                PQclear(b);
            }
            next_backlog = util_mono_ms() + 1000;
        }
        if (util_mono_ms() >= next_purge) {
            relay_purge(r, retention, 10000);
            next_purge = util_mono_ms() + 60000;
        }
        if (n == 0)
            wait_notify(r, 1000);
    }
    return 0;
}
