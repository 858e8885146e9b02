/* lag: see lag.h. */
#include "lag.h"
#include "kafka.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const lag_group_t GROUPS[] = {
    {"lic-intake", {"portal.applications.v1", NULL}},
    {"lic-replies", {"agency.industrial-safety.replies.v1", "agency.sanitary.replies.v1", NULL}},
    {"lic-actions", {"provider.actions.v1", NULL}},
    {"lic-complaints", {"portal.complaints.v1", NULL}},
};

const lag_group_t *lag_system_groups(int *count)
{
    *count = (int)(sizeof(GROUPS) / sizeof(GROUPS[0]));
    return GROUPS;
}

rd_kafka_t *lag_client(const char *group, char *err, size_t size)
{
    rd_kafka_conf_t *conf = kq_conf_new(err, size);
    if (!conf || rd_kafka_conf_set(conf, "group.id", group, err, size) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, size) ||
        kq_conf_apply_env(conf, err, size)) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, size);
}

int lag_partitions(rd_kafka_t *rk, const char *const *topics, lag_part_t *parts, int max)
{
    int n = 0;
    for (int t = 0; topics[t]; t++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[t], NULL);
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topic_cnt == 1)
            for (int i = 0; i < md->topics[0].partition_cnt && n < max; i++) {
                snprintf(parts[n].topic, sizeof(parts[n].topic), "%s", topics[t]);
                parts[n].partition = md->topics[0].partitions[i].id;
                n++;
            }
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
    }
    return n;
}

int lag_sample(rd_kafka_t *rk, lag_part_t *parts, int n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, parts[i].topic, parts[i].partition);
    if (rd_kafka_committed(rk, l, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(l);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_query_watermark_offsets(rk, parts[i].topic, parts[i].partition, &lo, &hi, 10000);
        int64_t c = l->elems[i].offset;
        parts[i].committed = c < 0 ? lo : c; /* nothing committed: everything is lag */
        parts[i].end = hi;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

double lag_age_seconds(const char *topic, int partition, int64_t offset)
{
    char err[256], group[UUID_STR_LEN];
    util_uuid_v4(group);
    rd_kafka_t *rk = lag_client(group, err, sizeof(err));
    if (!rk)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    double age = -1;
    int64_t until = util_mono_ms() + 5000;
    while (util_mono_ms() < until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        int done = !m->err;
        if (done) {
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            if (ts > 0)
                age = (double)now.tv_sec + now.tv_nsec / 1e9 - (double)ts / 1000.0;
            if (age < 0)
                age = 0;
        }
        rd_kafka_message_destroy(m);
        if (done)
            break;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return age;
}

int lag_members(rd_kafka_t *rk, const char *group)
{
    const struct rd_kafka_group_list *gl = NULL;
    if (rd_kafka_list_groups(rk, group, &gl, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || !gl)
        return -1;
    int n = gl->group_cnt > 0 ? gl->groups[0].member_cnt : -1;
    rd_kafka_group_list_destroy(gl);
    return n;
}
