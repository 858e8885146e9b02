/* relay: outbox -> Kafka. */
#include "relay.h"
#include "relay_sql.h"
#include "clock.h"
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

/* A row of the round. The delivery report writes `err` and `done` (dr_cb). */
typedef struct {
    long long id;
    int produced; /* handed to the producer */
    int done;     /* delivery report received */
    rd_kafka_resp_err_t err;
    char *topic; /* the row's, for holding its key's later rows back (owned) */
    void *key;   /* owned, NULL for a row without a key */
    size_t key_len;
} pending_t;

#define RELAY_MAX_TOPICS 16

struct relay {
    db_t *db;
    rd_kafka_t *producer;
    pending_t *pending;
    int pending_cap;
    int leader;
    /* Rows refused for good while produced with others are tried alone before they are set
     * aside: a broker error may refuse a whole request of many rows. */
    int isolate;
    int blocked; /* rows are set aside: their keys' later rows must wait */
    struct {
        char name[128];
        kq_limit_t *limit;
    } limits[RELAY_MAX_TOPICS];
    int nlimits;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    pending_t *p = m->_private;
    if (!p)
        return;
    p->done = 1;
    p->err = m->err;
    if (m->err)
        log_error("delivery of outbox row %lld to %s failed: %s", p->id,
                  rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

relay_t *relay_new(db_t *db, char *errstr, size_t errstr_size)
{
    relay_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->db = db;
    r->blocked = 1; /* until the first backlog count says otherwise */
    r->producer = kq_producer_new(dr_cb, r, errstr, errstr_size);
    if (!r->producer) {
        free(r);
        return NULL;
    }
    return r;
}

static void pending_clear(relay_t *r)
{
    for (int i = 0; i < r->pending_cap; i++) {
        free(r->pending[i].topic);
        free(r->pending[i].key);
        r->pending[i].topic = NULL;
        r->pending[i].key = NULL;
    }
}

void relay_free(relay_t *r)
{
    if (!r)
        return;
    rd_kafka_flush(r->producer, 10000);
    for (int i = 0; i < r->nlimits; i++)
        kq_limit_free(r->limits[i].limit);
    rd_kafka_destroy(r->producer);
    pending_clear(r);
    free(r->pending);
    free(r);
}

static rd_kafka_headers_t *make_headers(const char *json, size_t *bytes)
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
        if (name && val) {
            rd_kafka_header_add(h, name, -1, val, -1);
            *bytes += strlen(name) + strlen(val) + 8;
        }
    }
    json_decref(arr);
    return h;
}

/* The largest record `topic` takes (the producer's limit, lowered to the topic's once the
 * cluster reports it), asked once a topic and never waited for. */
static long topic_limit(relay_t *r, const char *topic)
{
    for (int i = 0; i < r->nlimits; i++)
        if (strcmp(r->limits[i].name, topic) == 0)
            return kq_limit_get(r->limits[i].limit);
    if (r->nlimits == RELAY_MAX_TOPICS || strlen(topic) >= sizeof(r->limits[0].name))
        return kq_producer_max_bytes();
    snprintf(r->limits[r->nlimits].name, sizeof(r->limits[0].name), "%s", topic);
    r->limits[r->nlimits].limit = kq_limit_ask(r->producer, topic);
    return kq_limit_get(r->limits[r->nlimits++].limit);
}

/* Errors a row meets again however often it is produced: it is set aside. Others (timeouts,
 * a broker or the network down) are retried. */
static int permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return 1;
    default:
        return 0;
    }
}

/* Whether an earlier row of this round with the same topic and key was not handed to the
 * producer (refused, set aside, held back itself): a row waits behind it, so the order per
 * key holds. */
static int held_back(const relay_t *r, int i)
{
    const pending_t *x = &r->pending[i];
    if (!x->key)
        return 0;
    for (int j = 0; j < i; j++) {
        const pending_t *y = &r->pending[j];
        if (!y->produced && y->key && y->key_len == x->key_len &&
            memcmp(y->key, x->key, x->key_len) == 0 && strcmp(y->topic, x->topic) == 0)
            return 1;
    }
    return 0;
}

/* Sets a row aside with its error, an incident for operators and a metric. */
static db_rc_t set_aside(relay_t *r, long long id, const char *error)
{
    char sid[24], now[40];
    snprintf(sid, sizeof(sid), "%lld", id);
    util_rfc3339_utc(clock_now(), now, sizeof(now));
    const char *p[] = {sid, error, now};
    db_rc_t rc = db_exec(r->db, sql_set_aside_with_incidents, 3, p);
    if (rc == DB_OK) {
        r->blocked = 1;
        mt_add("lic_outbox_set_aside_total", NULL, 1);
        json_t *f = json_pack("{s:I,s:s}", "outbox_id", (json_int_t)id, "error", error);
        log_write(LOG_LEVEL_ERROR, "outbox row set aside", f);
    }
    return rc;
}

int relay_publish_once(relay_t *r, int max)
{
    if (r->isolate > 0)
        max = 1;
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", max);
    const char *p[] = {lim};
    db_rc_t rc;
    /* Unsent rows in id order. While a row is set aside (rarely), those of its key after it
     * are left out; that statement checks every row against the set-aside ones, so it runs
     * only while there are any (r->blocked: set by set_aside(), cleared by the backlog
     * count once an operator released or discarded them). */
    PGresult *res;
    res = db_query(r->db,
                   r->blocked ? sql_relay_publish_once_select_outbox
                              : sql_relay_publish_once_select_outbox_2,
                   1, p, &rc);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        r->isolate = 0;
        return 0;
    }
    if (n > r->pending_cap) {
        pending_t *np = realloc(r->pending, sizeof(*np) * (size_t)n);
        if (!np) {
            PQclear(res);
            return -1;
        }
        memset(np + r->pending_cap, 0, sizeof(*np) * (size_t)(n - r->pending_cap));
        r->pending = np;
        r->pending_cap = n;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pending_t *pd = &r->pending[i];
        free(pd->topic);
        free(pd->key);
        memset(pd, 0, sizeof(*pd));
        pd->id = atoll(PQgetvalue(res, i, 0));
        const char *topic = PQgetvalue(res, i, 1);
        pd->topic = strdup(topic);
        if (!PQgetisnull(res, i, 2))
            pd->key = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 2), &pd->key_len);
        if (!pd->topic || (!PQgetisnull(res, i, 2) && !pd->key)) {
            failed = 1; /* out of memory: not produced, nor anything of its key after it */
            continue;
        }
        if (held_back(r, i))
            continue;
        size_t plen = 0, hbytes = 0;
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 3), &plen);
        if (!payload) {
            failed = 1;
            continue;
        }
        rd_kafka_headers_t *hdrs = make_headers(PQgetvalue(res, i, 4), &hbytes);
        rd_kafka_resp_err_t err;
        /* Too large for the topic: refused before it is produced, so nothing of its key
         * after it goes out first. */
        long limit = topic_limit(r, topic);
        if ((long)(plen + pd->key_len + hbytes) > limit) {
            err = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
        } else {
            for (;;) {
                err = rd_kafka_producev(
                    r->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(pd->key, pd->key_len),
                    RD_KAFKA_V_VALUE(payload, plen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_OPAQUE(pd), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    break;
                rd_kafka_poll(r->producer, 100); /* bounded queue: wait for room */
            }
        }
        PQfreemem(payload);
        if (!err) {
            pd->produced = 1;
            continue;
        }
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        char why[300];
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
            snprintf(why, sizeof(why), "%s: %zu bytes, the topic takes at most %ld",
                     rd_kafka_err2str(err), plen + pd->key_len + hbytes, limit);
        else
            snprintf(why, sizeof(why), "%s", rd_kafka_err2str(err));
        log_error("produce of outbox row %lld failed: %s", pd->id, why);
        if (!permanent(err) || set_aside(r, pd->id, why) != DB_OK)
            failed = 1;
    }
    PQclear(res);
    /* Every row handed to the producer gets its report before the next round reads the
     * outbox again (librdkafka retries transient errors until message.timeout.ms), so a row
     * in flight is never produced twice. A stop waits a bounded time. */
    int64_t stop_by = 0;
    while (rd_kafka_outq_len(r->producer) > 0) {
        rd_kafka_poll(r->producer, 100);
        if (sig_stop_requested() && !stop_by)
            stop_by = util_mono_ms() + 30000;
        if (stop_by && util_mono_ms() > stop_by)
            break;
    }
    rd_kafka_poll(r->producer, 0);

    /* Each row is marked by its own delivery report. */
    char *ids = malloc((size_t)n * 24 + 3);
    if (!ids)
        return -1;
    size_t len = 0;
    ids[len++] = '{';
    int marked = 0, isolated = r->isolate > 0, refused = 0;
    for (int i = 0; i < n; i++) {
        pending_t *pd = &r->pending[i];
        if (!pd->produced)
            continue;
        if (pd->done && !pd->err) {
            len += (size_t)sprintf(ids + len, "%s%lld", marked ? "," : "", pd->id);
            marked++;
        } else if (pd->done && permanent(pd->err) && (isolated || n == 1)) {
            if (set_aside(r, pd->id, rd_kafka_err2str(pd->err)) != DB_OK)
                failed = 1;
        } else if (pd->done && permanent(pd->err)) {
            refused++;
        } else {
            failed = 1; /* transient, or no report yet: produced again next round */
        }
    }
    ids[len++] = '}';
    ids[len] = '\0';
    if (isolated)
        r->isolate--;
    if (refused > 0)
        r->isolate = refused;
    int result = marked;
    if (marked > 0) {
        const char *pm[] = {ids};
        if (db_exec_adhoc(r->db, "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])",
                          1, pm) != DB_OK)
            result = -1;
    }
    free(ids);
    if (failed)
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
    PGresult *res = db_query(r->db, sql_relay_purge_delete_outbox, 2, p, &rc);
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
    mt_declare("lic_outbox_set_aside_total", MT_COUNTER,
               "Outbox rows Kafka refused for good, set aside for an operator.");
    mt_declare("lic_outbox_set_aside", MT_GAUGE,
               "Outbox rows set aside and not yet released or discarded.");
    mt_declare("lic_outbox_held", MT_GAUGE,
               "Result events waiting for their documents' signatures (the notary).");
    mt_add("lic_outbox_published_total", NULL, 0);
    mt_add("lic_outbox_set_aside_total", NULL, 0);
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
                                   /* Each count by its own partial index: the
                                    * outbox keeps a week of sent rows. */
                                   sql_relay_run_select_outbox, 0, NULL, &rc);
            if (b) {
                mt_set("lic_outbox_backlog", NULL, atof(PQgetvalue(b, 0, 0)));
                mt_set("lic_outbox_oldest_seconds", NULL, atof(PQgetvalue(b, 0, 1)));
                mt_set("lic_outbox_set_aside", NULL, atof(PQgetvalue(b, 0, 2)));
                mt_set("lic_outbox_held", NULL, atof(PQgetvalue(b, 0, 3)));
                r->blocked = atoll(PQgetvalue(b, 0, 2)) > 0;
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
