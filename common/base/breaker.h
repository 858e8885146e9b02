/* breaker: a circuit breaker for an outside party - closed while calls succeed; open for a
 * cool-down after `threshold` transient failures in a row (no call starts); then half-open
 * (one probe at a time) until a call succeeds (closed) or fails (open again). Times are
 * monotonic milliseconds (util_mono_ms()), passed in so that tests set them. */
#ifndef LIC_BREAKER_H
#define LIC_BREAKER_H

#include <stdint.h>

typedef struct {
    int failures;       /* transient failures in a row */
    int64_t open_until; /* when the cool-down ends; 0 closed */
    int threshold;
    long cooldown_ms;
} cb_t;

typedef enum { CB_CLOSED, CB_OPEN, CB_HALF_OPEN } cb_state_t;

void cb_init(cb_t *b, int threshold, long cooldown_ms);
cb_state_t cb_state(const cb_t *b, int64_t now_ms);
/* How many calls may start now with `in_flight` running: `cap` closed, 0 open, one probe
 * half-open (when none runs). */
long cb_allowed(const cb_t *b, long cap, long in_flight, int64_t now_ms);
void cb_success(cb_t *b);
/* A transient failure. 1 when it (re)opens the circuit - once per opening, for the log. */
int cb_failure(cb_t *b, int64_t now_ms);

#endif
