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
#include "lag.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SAMPLES 20

typedef struct {
    lag_part_t now;
    int64_t committed[MAX_SAMPLES];
    int64_t end[MAX_SAMPLES];
    double lag_seconds;
    const char *status;
} part_t;

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
    lag_group_t custom = {ctl_option(argc, argv, "--group"),
                          {ctl_option(argc, argv, "--topic"), NULL}};
    int ngroups;
    const lag_group_t *groups = lag_system_groups(&ngroups);
    if (custom.group && custom.topics[0]) {
        groups = &custom;
        ngroups = 1;
    }
    static part_t parts[8][LAG_MAX_PARTS];
    int nparts[8] = {0}, nmembers[8] = {0};
    rd_kafka_t *rks[8] = {0};
    char err[512];
    for (int g = 0; g < ngroups && g < 8; g++) {
        rks[g] = lag_client(groups[g].group, err, sizeof(err));
        if (!rks[g]) {
            fprintf(stderr, "approvalctl lag: %s\n", err);
            return 2;
        }
        lag_part_t lp[LAG_MAX_PARTS];
        nparts[g] = lag_partitions(rks[g], groups[g].topics, lp, LAG_MAX_PARTS);
        for (int i = 0; i < nparts[g]; i++)
            parts[g][i].now = lp[i];
    }
    for (int s = 0; s < samples; s++) {
        if (s)
            util_sleep_ms(interval);
        for (int g = 0; g < ngroups; g++) {
            lag_part_t lp[LAG_MAX_PARTS];
            for (int i = 0; i < nparts[g]; i++)
                lp[i] = parts[g][i].now;
            if (lag_sample(rks[g], lp, nparts[g])) {
                fprintf(stderr, "approvalctl lag: cannot read the offsets of %s\n",
                        groups[g].group);
                return 2;
            }
            for (int i = 0; i < nparts[g]; i++) {
                parts[g][i].now = lp[i];
                parts[g][i].committed[s] = lp[i].committed;
                parts[g][i].end[s] = lp[i].end;
            }
        }
    }
    int any_err = 0;
    json_t *out = json_array();
    if (!as_json)
        printf("%-15s %-38s %4s %10s %10s %8s %9s %s\n", "group", "topic", "part", "committed",
               "log end", "lag", "lag (s)", "status");
    for (int g = 0; g < ngroups; g++) {
        nmembers[g] = lag_members(rks[g], groups[g].group);
        const char *gstatus = "OK";
        json_t *jp = json_array();
        long long total = 0;
        for (int i = 0; i < nparts[g]; i++) {
            part_t *p = &parts[g][i];
            int last = samples - 1;
            int64_t lag = p->end[last] - p->committed[last];
            p->status = evaluate(p, samples, nmembers[g]);
            p->lag_seconds =
                lag > 0 ? lag_age_seconds(p->now.topic, p->now.partition, p->committed[last]) : 0;
            total += lag;
            if (!strcmp(p->status, "STALL") || !strcmp(p->status, "STOP"))
                gstatus = "ERR";
            else if (!strcmp(p->status, "WARN") && !strcmp(gstatus, "OK"))
                gstatus = "WARN";
            json_array_append_new(
                jp, json_pack("{s:s,s:i,s:I,s:I,s:I,s:f,s:s}", "topic", p->now.topic, "partition",
                              p->now.partition, "committed", (json_int_t)p->committed[last],
                              "log_end", (json_int_t)p->end[last], "lag", (json_int_t)lag,
                              "lag_seconds", p->lag_seconds, "status", p->status));
            if (!as_json)
                printf("%-15s %-38s %4d %10lld %10lld %8lld %9.1f %s\n", groups[g].group,
                       p->now.topic, p->now.partition, (long long)p->committed[last],
                       (long long)p->end[last], (long long)lag, p->lag_seconds, p->status);
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
