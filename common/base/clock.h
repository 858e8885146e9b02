/* clock: the one source of "now" for every deadline decision.
 * Production: real time. Tests and the demo set LIC_CLOCK_FILE to a file holding either an
 * offset in seconds added to real time ("86400") or a frozen moment in RFC 3339; the file is
 * re-read whenever it changes, so `approvalctl clock ...` moves every process's clock at once
 * and the 10-working-day window passes in seconds. */
#ifndef LIC_CLOCK_H
#define LIC_CLOCK_H

#include <stddef.h>
#include <time.h>

/* Current time by the configured clock. Thread-safe. */
time_t clock_now(void);

/* Uses `path` as the clock file from now on (NULL: real time). main() calls it with
 * cfg_get("CLOCK_FILE"); tests may call it directly. */
void clock_use_file(const char *path);

/* Writes the clock file: a frozen moment (`frozen` != 0) or an offset from real time.
 * Returns 0 or -1 with errstr. Written atomically (rename). */
int clock_write_file(const char *path, int frozen, time_t value, char *errstr, size_t errstr_size);

/* Sets the process time zone to Asia/Almaty (from the system tz database), once. cal_load_*()
 * and wk_init() call it; tests that only format times may call it directly. */
void clock_tz_init(void);

#endif
