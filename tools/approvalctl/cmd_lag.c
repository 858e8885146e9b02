/* approvalctl lag: consumer lag of every consumer group of the system, per partition -
 * committed offset, log end, lag in messages and in seconds (the age of the oldest
 * unprocessed message) - and a status in Burrow's words, evaluated over a sliding window of
 * samples: a partition is OK when it has no lag or is catching up, WARN when its lag grows
 * while offsets move, STALL when its committed offset does not move while there is lag and the
 * group has members, STOP when it does not move and the group has no member; a group is ERR
 * when a partition is STALL or STOP. Only standard Kafka APIs, so it works on any cluster.
 *
 *   approvalctl lag [--json] [--samples N] [--interval-ms MS] [--group G --topic T ...]
 * Exit code: 0, or 1 when a group is ERR. */
#include "approvalctl.h"
#include "kafka.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARTS 64
#define MAX_SAMPLES 20

typedef struct {
    const char *group;
    const char *topics[3];
} group_def_t;

static const group_def_t SYSTEM_GROUPS[] = {
    {"lic-intake", {"portal.applications.v1", NULL}},
    {"lic-replies", {"agency.industrial-safety.replies.v1", "agency.sanitary.replies.v1", NULL}},
    {"lic-actions", {"provider.actions.v1", NULL}},
    {"lic-complaints", {"portal.complaints.v1", NULL}},
};

typedef struct {
    char topic[128];
    int partition;
    int64_t committed[MAX_SAMPLES];
    int64_t end[MAX_SAMPLES];
    double lag_seconds;
    const char *status;
} part_t;

static rd_kafka_t *client(const char *group, char *err, size_t size)
{
    rd_kafka_conf_t *conf = kq_conf_new(err, size);
    if (!conf || rd_kafka_conf_set(conf, "group.id", group, err, size) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, size) ||
        kq_conf_apply_env(conf, err, size))
        return NULL;
    return rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, size);
}

/* The partitions of the group's topics. */
static int partitions(rd_kafka_t *rk, const char *const *topics, part_t *parts)
{
    int n = 0;
    for (int t = 0; topics[t]; t++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[t], NULL);
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topic_cnt == 1)
            for (int i = 0; i < md->topics[0].partition_cnt && n < MAX_PARTS; i++) {
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

static int sample(rd_kafka_t *rk, part_t *parts, int n, int s)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
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
        parts[i].committed[s] = c < 0 ? lo : c; /* nothing committed: everything is lag */
        parts[i].end[s] = hi;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

/* The age of the message at the committed offset (the oldest unprocessed one). */
static double lag_seconds(const char *bootstrap_group, part_t *p, int64_t offset)
{
    char err[256], group[UUID_STR_LEN];
    util_uuid_v4(group);
    (void)bootstrap_group;
    rd_kafka_t *rk = client(group, err, sizeof(err));
    if (!rk)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = offset;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    double age = -1;
    int64_t until = util_mono_ms() + 5000;
    while (util_mono_ms() < until) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            if (ts > 0)
                age = (double)time(NULL) - (double)ts / 1000.0;
            if (age < 0)
                age = 0;
            rd_kafka_message_destroy(m);
            break;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return age;
}

static int members(rd_kafka_t *rk, const char *group)
{
    const struct rd_kafka_group_list *gl = NULL;
    if (rd_kafka_list_groups(rk, group, &gl, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR || !gl)
        return -1;
    int n = gl->group_cnt > 0 ? gl->groups[0].member_cnt : 0;
    rd_kafka_group_list_destroy(gl);
    return n;
}

/* Burrow's evaluation over the window, simplified to what the samples show. */
static const char *evaluate(const part_t *p, int samples, int nmembers)
{
    int last = samples - 1;
    int64_t lag_last = p->end[last] - p->committed[last];
    if (lag_last <= 0)
        return "OK";
    int moved = p->committed[last] != p->committed[0];
    if (!moved)
        return nmembers == 0 ? "STOP" : "STALL"; /* unknown membership: STALL */
    int growing = 1;
    for (int s = 1; s < samples; s++)
        if (p->end[s] - p->committed[s] <= p->end[s - 1] - p->committed[s - 1])
            growing = 0;
    return growing && samples > 1 ? "WARN" : "OK";
}

int cmd_lag(int argc, char **argv)
{
    int as_json = ctl_has_flag(argc, argv, "--json");
    const char *ss = ctl_option(argc, argv, "--samples");
    const char *is = ctl_option(argc, argv, "--interval-ms");
    int samples = ss ? atoi(ss) : 3;
    long interval = is ? atol(is) : 2000;
    if (samples < 1)
        samples = 1;
    if (samples > MAX_SAMPLES)
        samples = MAX_SAMPLES;
    group_def_t custom = {ctl_option(argc, argv, "--group"),
                          {ctl_option(argc, argv, "--topic"), NULL}};
    const group_def_t *groups = custom.group && custom.topics[0] ? &custom : SYSTEM_GROUPS;
    int ngroups = groups == &custom ? 1 : (int)(sizeof(SYSTEM_GROUPS) / sizeof(SYSTEM_GROUPS[0]));

    static part_t parts[8][MAX_PARTS];
    int nparts[8] = {0}, nmembers[8] = {0};
    rd_kafka_t *rks[8] = {0};
    char err[512];
    for (int g = 0; g < ngroups; g++) {
        rks[g] = client(groups[g].group, err, sizeof(err));
        if (!rks[g]) {
            fprintf(stderr, "approvalctl lag: %s\n", err);
            return 2;
        }
        nparts[g] = partitions(rks[g], groups[g].topics, parts[g]);
    }
    for (int s = 0; s < samples; s++) {
        if (s)
            util_sleep_ms(interval);
        for (int g = 0; g < ngroups; g++)
            if (sample(rks[g], parts[g], nparts[g], s)) {
                fprintf(stderr, "approvalctl lag: cannot read the offsets of %s\n",
                        groups[g].group);
                return 2;
            }
    }
    int any_err = 0;
    json_t *out = json_array();
    if (!as_json)
        printf("%-15s %-38s %4s %10s %10s %8s %9s %s\n", "group", "topic", "part", "committed",
               "log end", "lag", "lag (s)", "status");
    for (int g = 0; g < ngroups; g++) {
        nmembers[g] = members(rks[g], groups[g].group);
        const char *gstatus = "OK";
        json_t *jp = json_array();
        long long total = 0;
        for (int i = 0; i < nparts[g]; i++) {
            part_t *p = &parts[g][i];
            int last = samples - 1;
            int64_t lag = p->end[last] - p->committed[last];
            p->status = evaluate(p, samples, nmembers[g]);
            p->lag_seconds = lag > 0 ? lag_seconds(groups[g].group, p, p->committed[last]) : 0;
            total += lag;
            if (!strcmp(p->status, "STALL") || !strcmp(p->status, "STOP"))
                gstatus = "ERR";
            else if (!strcmp(p->status, "WARN") && !strcmp(gstatus, "OK"))
                gstatus = "WARN";
            json_array_append_new(
                jp, json_pack("{s:s,s:i,s:I,s:I,s:I,s:f,s:s}", "topic", p->topic, "partition",
                              p->partition, "committed", (json_int_t)p->committed[last], "log_end",
                              (json_int_t)p->end[last], "lag", (json_int_t)lag, "lag_seconds",
                              p->lag_seconds, "status", p->status));
            if (!as_json)
                printf("%-15s %-38s %4d %10lld %10lld %8lld %9.1f %s\n", groups[g].group, p->topic,
                       p->partition, (long long)p->committed[last], (long long)p->end[last],
                       (long long)lag, p->lag_seconds, p->status);
        }
        if (!strcmp(gstatus, "ERR"))
            any_err = 1;
        json_array_append_new(out, json_pack("{s:s,s:s,s:i,s:I,s:o}", "group", groups[g].group,
                                             "status", gstatus, "members", nmembers[g], "total_lag",
                                             (json_int_t)total, "partitions", jp));
        if (!as_json && nmembers[g] >= 0)
            printf("%-15s status %s, %d member%s, total lag %lld\n", groups[g].group, gstatus,
                   nmembers[g], nmembers[g] == 1 ? "" : "s", total);
        else if (!as_json)
            printf("%-15s status %s, members unknown (the cluster does not list groups), total "
                   "lag %lld\n",
                   groups[g].group, gstatus, total);
    }
    if (as_json) {
        char *s = json_dumps(out, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    }
    json_decref(out);
    for (int g = 0; g < ngroups; g++)
        rd_kafka_destroy(rks[g]);
    return any_err ? 1 : 0;
}
