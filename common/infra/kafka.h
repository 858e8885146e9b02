/* kafka: librdkafka set-up shared by every worker. Configuration comes from KAFKA_<PROPERTY>
 * variables passed through unchanged (and LIC_KAFKA_BOOTSTRAP_FILE for the development
 * broker); consumers never auto-store offsets (the pipeline commits after PostgreSQL did);
 * producers are idempotent with acks=all and every delivery report is checked. */
#ifndef LIC_KAFKA_H
#define LIC_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* A new configuration with the logging callbacks installed (caller owns it; it is consumed by
 * rd_kafka_new()). Set defaults, then apply the environment with kq_conf_apply_env(). */
rd_kafka_conf_t *kq_conf_new(char *errstr, size_t errstr_size);

/* Applies the process's KAFKA_<PROPERTY> variables (KAFKA_BOOTSTRAP_SERVERS ->
 * bootstrap.servers) and, without bootstrap servers, LIC_KAFKA_BOOTSTRAP_FILE. 0, or -1 with
 * errstr on an unknown property or bad value. */
int kq_conf_apply_env(rd_kafka_conf_t *conf, char *errstr, size_t errstr_size);

/* Applies defaults first, then the environment, so KAFKA_* can override every default. */
int kq_conf_set_defaults(rd_kafka_conf_t *conf, const char *const *kv, char *errstr,
                         size_t errstr_size);

/* A consumer in group `group_id` subscribed to `topics`, with auto offset store and auto
 * commit off. `rebalance_cb` (may be NULL) and `opaque` are installed. NULL with errstr. */
rd_kafka_t *kq_consumer_new(const char *group_id, const char *const *topics, int ntopics,
                            void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                                                 rd_kafka_topic_partition_list_t *, void *),
                            void *opaque, char *errstr, size_t errstr_size);

/* A consumer for reading a topic from outside any worker's group: a fresh group id, no
 * commits. The caller assigns partitions. NULL with errstr. */
rd_kafka_t *kq_reader_new(char *errstr, size_t errstr_size);

/* An idempotent producer. `dr_cb` (may be NULL) receives every delivery report; `opaque` is
 * passed as the handle's opaque. NULL with errstr. */
rd_kafka_t *kq_producer_new(void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                            void *opaque, char *errstr, size_t errstr_size);

/* The producers' message.max.bytes (the default or its KAFKA_MESSAGE_MAX_BYTES override). */
long kq_producer_max_bytes(void);

/* The largest record the workers can publish to a topic: the producers' message.max.bytes,
 * lowered to the topic's max.message.bytes once the cluster has reported it. kq_limit_ask()
 * sends the question through `rk` (NULL asks nothing) and returns at once; kq_limit_get()
 * never waits - it gives the producers' limit until the answer came (a cluster that does not
 * answer, as the development broker, leaves it there). */
typedef struct kq_limit kq_limit_t;
kq_limit_t *kq_limit_ask(rd_kafka_t *rk, const char *topic);
long kq_limit_get(kq_limit_t *l);
void kq_limit_free(kq_limit_t *l);

/* The value of header `name` of a message as a NUL-terminated copy in buf, or NULL when
 * absent or too long. */
const char *kq_header(const rd_kafka_message_t *m, const char *name, char *buf, size_t size);

#endif
