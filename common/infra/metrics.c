/* metrics: see metrics.h. */
#include "metrics.h"
#include "config.h"
#include "lag.h"
#include "log.h"
#include "signals.h"
#include "util.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_MAX_FAMILIES 64
#define MT_MAX_SERIES 2048
#define MT_BUCKETS 12

static const double BUCKETS[MT_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,   0.25,   0.5,   1,    2.5,   10};

typedef struct {
    char name[96];
    mt_kind_t kind;
    char help[200];
} family_t;

typedef struct {
    int family;
    char labels[256];
    double value; /* counter/gauge; histogram sum */
    unsigned long long count;
    unsigned long long buckets[MT_BUCKETS];
} series_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static family_t families[MT_MAX_FAMILIES];
static int nfamilies;
static series_t series[MT_MAX_SERIES];
static int nseries;
static struct MHD_Daemon *daemon_;
static pthread_t lag_thread;
static atomic_int lag_running;             /* read by the lag thread, cleared by mt_stop() */
static int ready_db = 0, ready_kafka = -1; /* -1: not a condition of this worker */
static char service_name[32];

static int family_locked(const char *name, mt_kind_t kind, const char *help)
{
    for (int i = 0; i < nfamilies; i++)
        if (strcmp(families[i].name, name) == 0)
            return i;
    if (nfamilies >= MT_MAX_FAMILIES)
        return -1;
    family_t *f = &families[nfamilies];
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->kind = kind;
    snprintf(f->help, sizeof(f->help), "%s", help ? help : name);
    return nfamilies++;
}

void mt_declare(const char *name, mt_kind_t kind, const char *help)
{
    pthread_mutex_lock(&mu);
    family_locked(name, kind, help);
    pthread_mutex_unlock(&mu);
}

static series_t *series_locked(const char *name, mt_kind_t kind, const char *labels)
{
    int f = family_locked(name, kind, NULL);
    if (f < 0)
        return NULL;
    const char *l = labels ? labels : "";
    for (int i = 0; i < nseries; i++)
        if (series[i].family == f && strcmp(series[i].labels, l) == 0)
            return &series[i];
    if (nseries >= MT_MAX_SERIES)
        return NULL; /* bounded memory: new series beyond the cap are dropped */
    series_t *s = &series[nseries++];
    memset(s, 0, sizeof(*s));
    s->family = f;
    snprintf(s->labels, sizeof(s->labels), "%s", l);
    return s;
}

void mt_add(const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&mu);
    series_t *s = series_locked(name, MT_COUNTER, labels);
    if (s)
        s->value += v;
    pthread_mutex_unlock(&mu);
}

void mt_set(const char *name, const char *labels, double v)
{
    pthread_mutex_lock(&mu);
    series_t *s = series_locked(name, MT_GAUGE, labels);
    if (s)
        s->value = v;
    pthread_mutex_unlock(&mu);
}

void mt_observe(const char *name, const char *labels, double seconds)
{
    pthread_mutex_lock(&mu);
    series_t *s = series_locked(name, MT_HISTOGRAM, labels);
    if (s) {
        s->value += seconds;
        s->count++;
        for (int b = 0; b < MT_BUCKETS; b++)
            if (seconds <= BUCKETS[b])
                s->buckets[b]++;
    }
    pthread_mutex_unlock(&mu);
}

void mt_clear(const char *name, const char *prefix)
{
    pthread_mutex_lock(&mu);
    int f = -1;
    for (int i = 0; i < nfamilies; i++)
        if (strcmp(families[i].name, name) == 0)
            f = i;
    size_t pl = prefix ? strlen(prefix) : 0;
    for (int i = 0; f >= 0 && i < nseries;) {
        if (series[i].family == f && strncmp(series[i].labels, prefix ? prefix : "", pl) == 0)
            series[i] = series[--nseries];
        else
            i++;
    }
    pthread_mutex_unlock(&mu);
}

void mt_ready(const char *what, int ok)
{
    pthread_mutex_lock(&mu);
    if (strcmp(what, "db") == 0)
        ready_db = ok;
    else if (strcmp(what, "kafka") == 0)
        ready_kafka = ok;
    pthread_mutex_unlock(&mu);
}

typedef struct {
    char *buf;
    size_t len, cap;
} sb_t;

static void sb_printf(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void sb_printf(sb_t *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *nb = realloc(b->buf, cap);
        if (!nb)
            return;
        b->buf = nb;
        b->cap = cap;
    }
}

char *mt_render(void)
{
    sb_t b = {malloc(65536), 0, 65536};
    if (!b.buf)
        return NULL;
    b.buf[0] = '\0';
    static const char *const TYPES[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&mu);
    for (int f = 0; f < nfamilies; f++) {
        family_t *fam = &families[f];
        sb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
                  TYPES[fam->kind]);
        for (int i = 0; i < nseries; i++) {
            series_t *s = &series[i];
            if (s->family != f)
                continue;
            const char *sep = s->labels[0] ? "," : "";
            if (fam->kind != MT_HISTOGRAM) {
                sb_printf(&b, "%s%s%s%s %.17g\n", fam->name, s->labels[0] ? "{" : "", s->labels,
                          s->labels[0] ? "}" : "", s->value);
                continue;
            }
            for (int k = 0; k < MT_BUCKETS; k++)
                sb_printf(&b, "%s_bucket{%s%sle=\"%g\"} %llu\n", fam->name, s->labels, sep,
                          BUCKETS[k], s->buckets[k]);
            sb_printf(&b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", fam->name, s->labels, sep, s->count);
            sb_printf(&b, "%s_sum%s%s%s %.17g\n%s_count%s%s%s %llu\n", fam->name,
                      s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "", s->value,
                      fam->name, s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "",
                      s->count);
        }
    }
    pthread_mutex_unlock(&mu);
    return b.buf;
}

/* Answers `text`, which it frees; NULL (an allocation failed) answers 503 with a fixed text. */
static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, char *text,
                                    const char *type)
{
    static char no_memory[] = "out of memory\n";
    struct MHD_Response *r =
        text
            ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer(strlen(no_memory), no_memory, MHD_RESPMEM_PERSISTENT);
    if (!text)
        status = 503;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)data;
    (void)data_size;
    (void)con_cls;
    if (strcmp(method, "GET") != 0)
        return respond_text(c, 405, strdup("GET only\n"), "text/plain");
    if (strcmp(url, "/metrics") == 0) {
        char *t = mt_render();
        return respond_text(c, 200, t, "text/plain; version=0.0.4");
    }
    if (strcmp(url, "/healthz") == 0)
        return respond_text(c, 200, strdup("ok\n"), "text/plain");
    if (strcmp(url, "/readyz") == 0) {
        pthread_mutex_lock(&mu);
        int ok = ready_db == 1 && ready_kafka != 0;
        char *t = malloc(128);
        if (t)
            snprintf(t, 128, "db %s, kafka %s\n", ready_db == 1 ? "ok" : "not ready",
                     ready_kafka == -1 ? "n/a"
                     : ready_kafka     ? "assigned"
                                       : "not assigned");
        pthread_mutex_unlock(&mu);
        return respond_text(c, ok ? 200 : 503, t, "text/plain");
    }
    return respond_text(c, 404, strdup("not found\n"), "text/plain");
}

/* The lag exporter: the names kafka-lag-exporter and kminion users know. */
static void *lag_loop(void *arg)
{
    (void)arg;
    long interval = cfg_get_long("LAG_INTERVAL_MS", 10000);
    int ngroups;
    const lag_group_t *groups = lag_system_groups(&ngroups);
    rd_kafka_t *rks[8] = {0};
    while (lag_running) {
        for (int g = 0; g < ngroups && g < 8 && lag_running; g++) {
            char err[256], labels[400];
            if (!rks[g] && !(rks[g] = lag_client(groups[g].group, err, sizeof(err))))
                continue;
            lag_part_t parts[LAG_MAX_PARTS];
            int n = lag_partitions(rks[g], groups[g].topics, parts, LAG_MAX_PARTS);
            if (n <= 0 || lag_sample(rks[g], parts, n))
                continue;
            long long max = 0;
            double max_age = 0;
            for (int i = 0; i < n; i++) {
                long long lag = parts[i].end - parts[i].committed;
                double age = lag > 0 ? lag_age_seconds(parts[i].topic, parts[i].partition,
                                                       parts[i].committed)
                                     : 0;
                if (age < 0)
                    age = 0;
                snprintf(labels, sizeof(labels),
                         "group=\"%.60s\",topic=\"%.120s\",partition=\"%d\"", groups[g].group,
                         parts[i].topic, parts[i].partition);
                mt_set("kafka_consumergroup_group_lag", labels, (double)lag);
                mt_set("kafka_consumergroup_group_lag_seconds", labels, age);
                mt_set("kafka_consumergroup_group_offset", labels, (double)parts[i].committed);
                mt_set("kafka_partition_latest_offset", labels, (double)parts[i].end);
                if (lag > max)
                    max = lag;
                if (age > max_age)
                    max_age = age;
            }
            snprintf(labels, sizeof(labels), "group=\"%s\"", groups[g].group);
            mt_set("kafka_consumergroup_group_max_lag", labels, (double)max);
            mt_set("kafka_consumergroup_group_max_lag_seconds", labels, max_age);
        }
        for (long slept = 0; slept < interval && lag_running; slept += 100)
            util_sleep_ms(100);
    }
    for (int g = 0; g < 8; g++)
        if (rks[g])
            rd_kafka_destroy(rks[g]);
    return NULL;
}

int mt_start(const char *service, int export_lag)
{
    snprintf(service_name, sizeof(service_name), "%s", service);
    mt_declare("kafka_consumergroup_group_lag", MT_GAUGE,
               "Messages behind: log end minus committed offset, per group and partition.");
    mt_declare("kafka_consumergroup_group_lag_seconds", MT_GAUGE,
               "Age of the oldest unprocessed message, per group and partition.");
    mt_declare("kafka_consumergroup_group_offset", MT_GAUGE, "Committed offset.");
    mt_declare("kafka_partition_latest_offset", MT_GAUGE, "Log end offset.");
    mt_declare("kafka_consumergroup_group_max_lag", MT_GAUGE, "Largest partition lag of a group.");
    mt_declare("kafka_consumergroup_group_max_lag_seconds", MT_GAUGE,
               "Oldest unprocessed message of a group, in seconds.");
    long port = cfg_get_long("METRICS_PORT", 0);
    if (port <= 0)
        return 0;
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, (uint16_t)port, NULL,
                               NULL, handler, NULL, MHD_OPTION_CONNECTION_LIMIT, 64u,
                               MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!daemon_) {
        log_error("cannot serve metrics on port %ld", port);
        return -1;
    }
    log_info("metrics on http://0.0.0.0:%ld/metrics", port);
    if (export_lag) {
        lag_running = 1;
        if (pthread_create(&lag_thread, NULL, lag_loop, NULL) != 0)
            lag_running = 0;
    }
    return 0;
}

void mt_stop(void)
{
    if (lag_running) {
        lag_running = 0;
        pthread_join(lag_thread, NULL);
    }
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
}
