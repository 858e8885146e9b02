/* util: identifiers and time stamps shared by every module (UUIDs, RFC 3339). */
#ifndef LIC_UTIL_H
#define LIC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* A random (version 4) UUID in canonical lower-case text. Returns 0, or -1 if the random
 * source failed. */
int util_uuid_v4(char out[UUID_STR_LEN]);

/* A UUID derived from `name` by SHA-256 (version 8 layout, RFC 9562): the same name always
 * gives the same UUID. Used for ids of events the workers emit, so a replayed cause yields
 * the same event id and consumers' dedupe holds across retries. */
void util_uuid_derive(const char *name, char out[UUID_STR_LEN]);

/* 1 if `s` is a canonical UUID (8-4-4-4-12 hex digits, either case), else 0. */
int util_is_uuid(const char *s);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
long util_days_from_civil(int y, int m, int d);

/* Parses an RFC 3339 date-time with a mandatory offset ("Z" or ±hh:mm); fractional seconds
 * are accepted and truncated. Returns 0 and sets *out (seconds since the epoch), or -1. */
int util_rfc3339_parse(const char *s, time_t *out);

/* Formats `t` in UTC as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void util_rfc3339_utc(time_t t, char *buf, size_t size);

/* Monotonic milliseconds, for timeouts and latencies. */
int64_t util_mono_ms(void);

/* Sleeps `ms` milliseconds unless a stop was requested (signals.h); returns early then. */
void util_sleep_ms(long ms);
/* Grows the heap buffer *buf (capacity *cap) to hold at least `need` bytes, doubling from
 * `first`; the contents are kept. 0, or -1 when out of memory (the buffer is unchanged). */
int util_reserve(char **buf, size_t *cap, size_t need, size_t first);

/* Exponential back-off with full jitter: a random delay in [0, min(cap, base*2^attempt)]. */
long util_backoff_ms(int attempt, long base_ms, long cap_ms);

/* `s` with every `from` (non-empty) replaced by `to`: a new string, or NULL (out of memory). */
char *util_replace_all(const char *s, const char *from, const char *to);

/* Lower-case hex of b[0..n) in a new string (free() it), or NULL. */
char *util_hex_encode(const unsigned char *b, size_t n);

/* The SHA-256 of b[0..n) as 64 lower-case hex digits in out. 0, or -1 (out of memory; out "").
 */
int util_sha256_hex(const void *b, size_t n, char out[65]);

/* The bytes of hex text `h` in a new buffer (free() it; *n their count), or NULL for text that
 * is not hex or out of memory. */
unsigned char *util_hex_decode(const char *h, size_t *n);

#endif
