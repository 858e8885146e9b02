/* log: structured logging, one JSON object per line on stderr.
 * Every line passes through lic_log_mask(), so a 12-digit IIN or BIN never reaches the log
 * in full, whichever field it hides in. */
#ifndef LIC_LOG_H
#define LIC_LOG_H

#include <jansson.h>
#include <stddef.h>

typedef enum { LOG_LEVEL_DEBUG = 0, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level_t;

/* Sets the service name and the minimum level. Call once from main(); safe to skip in tests
 * (defaults: service "lic", level info). */
void log_init(const char *service, log_level_t level);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_level_parse(const char *s);

/* Writes one line: {"ts","level","service","msg", ...fields}. `fields` may be NULL; it is a
 * jansson object whose reference is stolen (the caller must not decref it). */
void log_write(log_level_t level, const char *msg, json_t *fields);

/* printf-style convenience without structured fields. */
void log_printf(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_printf(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_printf(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_printf(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_printf(LOG_LEVEL_ERROR, __VA_ARGS__)

/* Masks, in place, every run of exactly 12 digits (an IIN or BIN) to its last 4 digits,
 * e.g. "880101300123" -> "********0123". Runs of other lengths are left alone. */
void log_mask_identifiers(char *s);

/* Registers a secret (a password) that must never appear in a log line: every occurrence is
 * replaced by asterisks. Config registers each secret it reads. */
void log_add_secret(const char *secret);

#endif
