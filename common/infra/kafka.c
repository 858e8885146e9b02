/* kafka: configuration pass-through and handle construction. */
#include "kafka.h"
#include "config.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug */
    log_level_t l = level <= 3   ? LOG_LEVEL_ERROR
                    : level == 4 ? LOG_LEVEL_WARN
                    : level <= 6 ? LOG_LEVEL_INFO
                                 : LOG_LEVEL_DEBUG;
    json_t *f = json_object();
    json_object_set_new(f, "component", json_string("librdkafka"));
    json_object_set_new(f, "facility", json_string(fac));
    json_object_set_new(f, "client", json_string(rd_kafka_name(rk)));
    log_write(l, buf, f);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    json_t *f = json_object();
    json_object_set_new(f, "component", json_string("librdkafka"));
    json_object_set_new(f, "error", json_string(rd_kafka_err2name((rd_kafka_resp_err_t)err)));
    log_write(err == RD_KAFKA_RESP_ERR__FATAL ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, reason, f);
}

int kq_conf_set_defaults(rd_kafka_conf_t *conf, const char *const *kv, char *errstr,
                         size_t errstr_size)
{
    for (; kv && kv[0]; kv += 2)
        if (rd_kafka_conf_set(conf, kv[0], kv[1], errstr, errstr_size) != RD_KAFKA_CONF_OK)
            return -1;
    return 0;
}

int kq_conf_apply_env(rd_kafka_conf_t *conf, char *errstr, size_t errstr_size)
{
    int have_bootstrap = 0;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "KAFKA_", 6) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char prop[256];
        size_t n = (size_t)(eq - (*e + 6));
        if (n == 0 || n >= sizeof(prop))
            continue;
        for (size_t i = 0; i < n; i++) {
            char c = (*e)[6 + i];
            prop[i] = c == '_' ? '.' : (char)tolower((unsigned char)c);
        }
        prop[n] = '\0';
        /* KAFKA_<PROPERTY>_FILE: the value is the file's content (secrets such as
         * KAFKA_SASL_PASSWORD_FILE or KAFKA_SSL_KEY_PASSWORD_FILE stay out of the
         * environment). */
        if (n > 5 && strcmp(prop + n - 5, ".file") == 0) {
            prop[n - 5] = '\0';
            char *val = cfg_read_file(eq + 1, 1, errstr, errstr_size);
            if (!val)
                return -1;
            log_add_secret(val);
            rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, prop, val, errstr, errstr_size);
            memset(val, 0, strlen(val));
            free(val);
            if (r != RD_KAFKA_CONF_OK)
                return -1;
            continue;
        }
        if (strstr(prop, "password") || strstr(prop, "secret"))
            log_add_secret(eq + 1);
        if (rd_kafka_conf_set(conf, prop, eq + 1, errstr, errstr_size) != RD_KAFKA_CONF_OK)
            return -1;
        if (strcmp(prop, "bootstrap.servers") == 0)
            have_bootstrap = 1;
    }
    if (!have_bootstrap) {
        const char *file = cfg_get("KAFKA_BOOTSTRAP_FILE");
        if (file) {
            char *bs = cfg_read_file(file, 1, errstr, errstr_size);
            if (!bs)
                return -1;
            rd_kafka_conf_res_t r =
                rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, errstr_size);
            free(bs);
            if (r != RD_KAFKA_CONF_OK)
                return -1;
        }
    }
    return 0;
}

rd_kafka_conf_t *kq_conf_new(char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    return conf;
}

rd_kafka_t *kq_reader_new(char *errstr, size_t errstr_size)
{
    char group[UUID_STR_LEN];
    util_uuid_v4(group);
    rd_kafka_conf_t *conf = kq_conf_new(errstr, errstr_size);
    if (!conf)
        return NULL;
    if (rd_kafka_conf_set(conf, "group.id", group, errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
        kq_conf_apply_env(conf, errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
}

rd_kafka_t *kq_consumer_new(const char *group_id, const char *const *topics, int ntopics,
                            void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                                                 rd_kafka_topic_partition_list_t *, void *),
                            void *opaque, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = kq_conf_new(errstr, errstr_size);
    /* Memory stays bounded: librdkafka's pre-fetch queue is capped well below the default
     * 64 MiB (KAFKA_QUEUED_MAX_MESSAGES_KBYTES overrides). */
    const char *defaults[] = {
        "group.id", group_id, "enable.auto.commit", "false", "enable.auto.offset.store", "false",
        /* An offset the broker no longer has is reported, not silently
         * skipped: the pipeline records what was lost (pipeline.c). */
        "auto.offset.reset", "error", "queued.max.messages.kbytes", "4096", "fetch.max.bytes",
        "4194304", "max.partition.fetch.bytes", "1048576", "statistics.interval.ms", "0",
        /* A killed worker's partitions move to a live one within
         * 10 s instead of Kafka's 45 s default. */
        "session.timeout.ms", "10000", "heartbeat.interval.ms", "2000", NULL};
    if (kq_conf_set_defaults(conf, defaults, errstr, errstr_size) ||
        kq_conf_apply_env(conf, errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (rebalance_cb)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(ntopics);
    for (int i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) {
        snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* The producers' defaults; KAFKA_* variables override each. message.max.bytes is also the
 * limit a dead letter is cut to (kq_limit_get()). */
static const char *const producer_defaults[] = {"enable.idempotence",
                                                "true",
                                                "acks",
                                                "all",
                                                "linger.ms",
                                                "5",
                                                "queue.buffering.max.kbytes",
                                                "16384",
                                                "message.max.bytes",
                                                "2097152",
                                                "statistics.interval.ms",
                                                "0",
                                                NULL};

static rd_kafka_conf_t *producer_conf(char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = kq_conf_new(errstr, errstr_size);
    if (kq_conf_set_defaults(conf, producer_defaults, errstr, errstr_size) ||
        kq_conf_apply_env(conf, errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

rd_kafka_t *kq_producer_new(void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                            void *opaque, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = producer_conf(errstr, errstr_size);
    if (!conf)
        return NULL;
    if (dr_cb)
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

long kq_producer_max_bytes(void)
{
    char err[256], val[32];
    size_t len = sizeof(val);
    long v = 1000000; /* librdkafka's own default */
    rd_kafka_conf_t *conf = producer_conf(err, sizeof(err));
    if (!conf)
        return v;
    if (rd_kafka_conf_get(conf, "message.max.bytes", val, &len) == RD_KAFKA_CONF_OK)
        v = atol(val);
    rd_kafka_conf_destroy(conf);
    return v;
}

struct kq_limit {
    rd_kafka_queue_t *q; /* NULL once answered or given up */
    long max_bytes;
};

kq_limit_t *kq_limit_ask(rd_kafka_t *rk, const char *topic)
{
    kq_limit_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->max_bytes = kq_producer_max_bytes();
    if (!rk)
        return l;
    l->q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(opt, 10000, err, sizeof(err));
    rd_kafka_DescribeConfigs(rk, &res, 1, opt, l->q);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_ConfigResource_destroy(res);
    return l;
}

/* The topic's max.message.bytes in a DescribeConfigs result, or -1 (not reported: an old
 * broker, no DescribeConfigs right, or a cluster without the API, as the development
 * broker). */
static long described_max_bytes(rd_kafka_event_t *ev)
{
    const rd_kafka_DescribeConfigs_result_t *r = rd_kafka_event_DescribeConfigs_result(ev);
    if (!r || rd_kafka_event_error(ev))
        return -1;
    size_t nres = 0;
    const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(r, &nres);
    for (size_t i = 0; i < nres; i++) {
        if (rd_kafka_ConfigResource_error(rs[i]))
            continue;
        size_t nc = 0;
        const rd_kafka_ConfigEntry_t **cs = rd_kafka_ConfigResource_configs(rs[i], &nc);
        for (size_t j = 0; j < nc; j++)
            if (strcmp(rd_kafka_ConfigEntry_name(cs[j]), "max.message.bytes") == 0 &&
                rd_kafka_ConfigEntry_value(cs[j]))
                return atol(rd_kafka_ConfigEntry_value(cs[j]));
    }
    return -1;
}

long kq_limit_get(kq_limit_t *l)
{
    if (!l)
        return kq_producer_max_bytes();
    rd_kafka_event_t *ev = l->q ? rd_kafka_queue_poll(l->q, 0) : NULL;
    if (ev) {
        long t = described_max_bytes(ev);
        if (t > 0 && t < l->max_bytes)
            l->max_bytes = t;
        rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(l->q);
        l->q = NULL;
    }
    return l->max_bytes;
}

void kq_limit_free(kq_limit_t *l)
{
    if (!l)
        return;
    if (l->q)
        rd_kafka_queue_destroy(l->q);
    free(l);
}

const char *kq_header(const rd_kafka_message_t *m, const char *name, char *buf, size_t size)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return NULL;
    const void *val;
    size_t len;
    if (rd_kafka_header_get_last(hdrs, name, &val, &len) != RD_KAFKA_RESP_ERR_NO_ERROR || !val ||
        len + 1 > size)
        return NULL;
    memcpy(buf, val, len);
    buf[len] = '\0';
    return buf;
}
