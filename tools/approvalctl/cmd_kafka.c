/* approvalctl produce / consume: put messages on a topic and read a topic, with the workers'
 * own Kafka configuration (KAFKA_*, LIC_KAFKA_BOOTSTRAP_FILE). Operators use them to re-inject
 * a corrected message and to look at what the workers published; the demo uses them too. */
#include "approvalctl.h"
#include "kafka.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int delivered, failed;

static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        fprintf(stderr, "approvalctl produce: %s\n", rd_kafka_err2str(m->err));
        failed++;
    } else {
        delivered++;
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

/* Queues one message, with `headers` (name, value pairs, NULL-terminated; may be NULL). */
static rd_kafka_resp_err_t queue_one(rd_kafka_t *rk, const char *topic, const char *k,
                                     const void *value, size_t len, const char *const *headers)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (headers && headers[0]) {
        hdrs = rd_kafka_headers_new(4);
        for (int h = 0; headers[h] && headers[h + 1]; h += 2)
            rd_kafka_header_add(hdrs, headers[h], -1, headers[h + 1], -1);
    }
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(k, k ? strlen(k) : 0),
                RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 100);
    if (e && hdrs)
        rd_kafka_headers_destroy(hdrs); /* kept by librdkafka only when queued */
    return e;
}

int ctl_produce(const char *topic, const char *key, const void *value, size_t len,
                const char *const *headers, char *err, size_t err_size)
{
    rd_kafka_t *rk = kq_producer_new(dr, NULL, err, err_size);
    if (!rk)
        return -1;
    delivered = failed = 0;
    rd_kafka_resp_err_t e = queue_one(rk, topic, key, value, len, headers);
    rd_kafka_flush(rk, 30000);
    rd_kafka_destroy(rk);
    if (e || delivered != 1) {
        snprintf(err, err_size, "%s", e ? rd_kafka_err2str(e) : "not delivered");
        return -1;
    }
    return 0;
}

int cmd_produce(int argc, char **argv)
{
    const char *topic = ctl_option(argc, argv, "--topic");
    const char *key = ctl_option(argc, argv, "--key");
    const char *sign = ctl_option(argc, argv, "--sign");
    if (!topic) {
        fprintf(stderr, "usage: approvalctl produce --topic TOPIC [--key KEY] [--sign KEYFILE]"
                        " FILE|- ...\n"
                        "  one message per file; the key defaults to the CloudEvent subject;\n"
                        "  --sign: signed by an official's key (x-key-id, x-signature)\n");
        return 2;
    }
    char err[512];
    rd_kafka_t *rk = kq_producer_new(dr, NULL, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "approvalctl produce: %s\n", err);
        return 1;
    }
    int queued = 0;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            i++; /* an option and its value */
            continue;
        }
        size_t len;
        char *value = read_all(argv[i], &len);
        if (!value) {
            fprintf(stderr, "approvalctl produce: cannot read %s\n", argv[i]);
            failed++;
            continue;
        }
        const char *k = key;
        json_t *doc = key ? NULL : json_loadb(value, len, 0, NULL);
        if (doc && json_is_string(json_object_get(doc, "subject")))
            k = json_string_value(json_object_get(doc, "subject"));
        rd_kafka_resp_err_t e;
        if (sign) {
            char kid[80], sig[128];
            const char *headers[] = {"x-key-id", kid, "x-signature", sig, NULL};
            e = ctl_sign(sign, value, len, kid, sizeof(kid), sig, sizeof(sig))
                    ? RD_KAFKA_RESP_ERR__INVALID_ARG
                    : queue_one(rk, topic, k, value, len, headers);
        } else {
            e = queue_one(rk, topic, k, value, len, NULL);
        }
        if (e) {
            fprintf(stderr, "approvalctl produce: %s: %s\n", argv[i], rd_kafka_err2str(e));
            failed++;
        } else {
            queued++;
        }
        json_decref(doc);
        free(value);
    }
    rd_kafka_flush(rk, 30000);
    rd_kafka_destroy(rk);
    printf("%d message%s delivered to %s\n", delivered, delivered == 1 ? "" : "s", topic);
    return failed || delivered != queued ? 1 : 0;
}

int cmd_consume(int argc, char **argv)
{
    const char *topic = ctl_option(argc, argv, "--topic");
    const char *count_s = ctl_option(argc, argv, "--count");
    const char *timeout_s = ctl_option(argc, argv, "--timeout-ms");
    if (!topic) {
        fprintf(stderr, "usage: approvalctl consume --topic TOPIC [--count N] [--timeout-ms MS]\n"
                        "  reads every partition from the beginning (no consumer group); one "
                        "JSON object a line\n");
        return 2;
    }
    long count = count_s ? atol(count_s) : -1;
    long timeout = timeout_s ? atol(timeout_s) : 5000;
    char err[512];
    rd_kafka_t *rk = kq_reader_new(err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "approvalctl consume: %s\n", err);
        return 1;
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int rc = 0;
    rd_kafka_resp_err_t merr = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (!merr && md->topic_cnt == 1)
        merr = md->topics[0].err;
    if (merr) {
        fprintf(stderr, "approvalctl consume: %s: %s\n", topic, rd_kafka_err2str(merr));
        rc = 1;
    } else {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
            rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)
                ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        int64_t until = util_mono_ms() + timeout;
        long got = 0;
        while ((count < 0 || got < count) && util_mono_ms() < until) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
            if (!m)
                continue;
            if (!m->err) {
                json_t *o = json_object();
                json_object_set_new(o, "partition", json_integer(m->partition));
                json_object_set_new(o, "offset", json_integer(m->offset));
                if (m->key)
                    json_object_set_new(o, "key", json_stringn(m->key, m->key_len));
                rd_kafka_headers_t *hdrs;
                if (rd_kafka_message_headers(m, &hdrs) == 0) {
                    json_t *h = json_object();
                    const char *name;
                    const void *val;
                    size_t len;
                    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &len) == 0;
                         i++)
                        json_object_set_new(h, name, json_stringn(val, len));
                    json_object_set_new(o, "headers", h);
                }
                json_t *v = json_loadb(m->payload, m->len, 0, NULL);
                json_object_set_new(o, "value",
                                    v ? v : json_stringn(m->payload ? m->payload : "", m->len));
                char *line = json_dumps(o, JSON_COMPACT);
                if (line) {
                    printf("%s\n", line);
                    fflush(stdout); /* a follower shows each message as it comes */
                }
                free(line);
                json_decref(o);
                got++;
            }
            rd_kafka_message_destroy(m);
        }
        if (count >= 0 && got < count) {
            fprintf(stderr, "approvalctl consume: %ld of %ld messages within %ld ms\n", got, count,
                    timeout);
            rc = 1;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
