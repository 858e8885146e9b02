/* breaker: see breaker.h. */
#include "breaker.h"

void cb_init(cb_t *b, int threshold, long cooldown_ms)
{
    b->failures = 0;
    b->open_until = 0;
    b->threshold = threshold > 0 ? threshold : 1;
    b->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 1;
}

cb_state_t cb_state(const cb_t *b, int64_t now_ms)
{
    if (b->failures < b->threshold)
        return CB_CLOSED;
    return now_ms < b->open_until ? CB_OPEN : CB_HALF_OPEN;
}

long cb_allowed(const cb_t *b, long cap, long in_flight, int64_t now_ms)
{
    switch (cb_state(b, now_ms)) {
    case CB_CLOSED:
        return cap - in_flight > 0 ? cap - in_flight : 0;
    case CB_OPEN:
        return 0;
    default:
        return in_flight == 0 ? 1 : 0;
    }
}

void cb_success(cb_t *b)
{
    b->failures = 0;
    b->open_until = 0;
}

int cb_failure(cb_t *b, int64_t now_ms)
{
    b->failures++;
    if (b->failures < b->threshold)
        return 0;
    int opens = b->open_until == 0 || now_ms >= b->open_until;
    b->open_until = now_ms + b->cooldown_ms;
    return opens;
}
