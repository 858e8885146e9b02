/* log: JSON-lines logger with IIN/BIN masking. */
#include "log.h"
#include "jsonx.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static char log_service[64] = "lic";
static log_level_t log_min_level = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Secrets the process holds (passwords): never written, even when some library puts one in
 * an error message. */
#define LOG_MAX_SECRETS 16
static char *secrets[LOG_MAX_SECRETS];
static int nsecrets;

void log_add_secret(const char *secret)
{
    /* Too short to search for without masking ordinary words. */
    if (!secret || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&log_lock);
    int known = 0;
    for (int i = 0; i < nsecrets; i++)
        known |= strcmp(secrets[i], secret) == 0;
    if (!known && nsecrets < LOG_MAX_SECRETS)
        secrets[nsecrets] = strdup(secret), nsecrets += secrets[nsecrets] != NULL;
    pthread_mutex_unlock(&log_lock);
}

/* Replaces every occurrence of a registered secret with asterisks of the same length
 * (caller holds log_lock). JSON escaping may change a secret's bytes in the line; both the
 * raw and the escaped form of plain ASCII secrets are the same. */
static void mask_secrets(char *s)
{
    for (int i = 0; i < nsecrets; i++) {
        size_t l = strlen(secrets[i]);
        for (char *p = strstr(s, secrets[i]); p; p = strstr(p + l, secrets[i]))
            memset(p, '*', l);
    }
}

void log_init(const char *service, log_level_t level)
{
    snprintf(log_service, sizeof(log_service), "%s", service ? service : "lic");
    log_min_level = level;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void log_mask_identifiers(char *s)
{
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        if (!isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && isdigit((unsigned char)s[j]))
            j++;
        if (j - i == 12)
            memset(s + i, '*', 8);
        i = j;
    }
}

void log_write(log_level_t level, const char *msg, json_t *fields)
{
    if (level < log_min_level) {
        json_decref(fields);
        return;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t tl = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + tl, sizeof(ts) - tl, ".%03ldZ", (long)(tv.tv_usec / 1000));

    json_t *line = json_object();
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "service", json_string(log_service));
    /* Invalid UTF-8 in a message must not make the line disappear. */
    json_t *m = json_string(msg ? msg : "");
    if (!m)
        m = json_string("<message was not valid UTF-8>");
    json_object_set_new(line, "msg", m);
    if (json_is_object(fields))
        json_object_update_missing(line, fields);
    json_decref(fields);

    char *out = jx_dumps(line);
    json_decref(line);
    if (!out)
        return;
    log_mask_identifiers(out);
    pthread_mutex_lock(&log_lock);
    mask_secrets(out);
    fputs(out, stderr);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    free(out);
}

void log_printf(log_level_t level, const char *fmt, ...)
{
    if (level < log_min_level)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_write(level, buf, NULL);
}
