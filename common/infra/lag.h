/* lag: consumer lag of the system's consumer groups from Kafka itself (committed offsets and
 * log ends; the age of the oldest unprocessed message), for `approvalctl lag` and the lag
 * exporter of every worker's /metrics. Only standard Kafka APIs. */
#ifndef LIC_LAG_H
#define LIC_LAG_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#define LAG_MAX_PARTS 64

typedef struct {
    const char *group;
    const char *topics[3]; /* NULL-terminated */
} lag_group_t;

typedef struct {
    char topic[128];
    int partition;
    int64_t committed; /* next offset to process (the log start when nothing is committed) */
    int64_t end;       /* log end offset */
} lag_part_t;

/* The consumer groups of the system and their topics. */
const lag_group_t *lag_system_groups(int *count);

/* A client for reading `group`'s committed offsets (it never joins the group). Caller
 * destroys it with rd_kafka_destroy(). NULL with errstr. */
rd_kafka_t *lag_client(const char *group, char *errstr, size_t errstr_size);

/* Fills the partitions of `topics` (up to max). Returns how many. */
int lag_partitions(rd_kafka_t *rk, const char *const *topics, lag_part_t *parts, int max);

/* Reads committed offsets and log ends. 0, or -1 when the committed offsets are unavailable. */
int lag_sample(rd_kafka_t *rk, lag_part_t *parts, int n);

/* Seconds since the message at `offset` was produced (the oldest unprocessed one), or -1. */
double lag_age_seconds(const char *topic, int partition, int64_t offset);

/* Members of the group, or -1 when the cluster cannot tell. */
int lag_members(rd_kafka_t *rk, const char *group);

#endif
