/* metrics: what operators scrape from every worker - a small registry of counters, gauges
 * and histograms with labels, served in the Prometheus text exposition format by an HTTP
 * endpoint (libmicrohttpd) on LIC_METRICS_PORT, with /healthz (the process is alive) and
 * /readyz (connected to PostgreSQL and Kafka, partitions assigned). Thread-safe. */
#ifndef LIC_METRICS_H
#define LIC_METRICS_H

#include <stddef.h>

typedef enum { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM } mt_kind_t;

/* Declares a metric family (idempotent) so it is exported, with its help text, even before
 * its first sample. */
void mt_declare(const char *name, mt_kind_t kind, const char *help);

/* Adds to a counter / sets a gauge / observes a histogram value (seconds). `labels` is the
 * Prometheus label text without braces (`group="lic-intake",partition="0"`), or NULL. */
void mt_add(const char *name, const char *labels, double v);
void mt_set(const char *name, const char *labels, double v);
void mt_observe(const char *name, const char *labels, double seconds);
/* Removes every series of a family whose labels start with `prefix` (stale partitions). */
void mt_clear(const char *name, const char *prefix);

/* Readiness conditions, set by the worker ("db", "kafka"); /readyz needs all true. */
void mt_ready(const char *what, int ok);

/* Starts the endpoint when LIC_METRICS_PORT is set (0 or unset: no endpoint). Also starts the
 * consumer-lag exporter (kafka_consumergroup_group_lag, ..._lag_seconds for every group of
 * the system) when `export_lag` is set. 0, or -1 when the port cannot be bound. */
int mt_start(const char *service, int export_lag);
void mt_stop(void);

/* The exposition text (new string; for tests). */
char *mt_render(void);

#endif
