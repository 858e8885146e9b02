/* httpc: a synchronous HTTP POST client for an outside party that answers at once (the
 * e-government gateway's SyncChannel): HTTPS with a client certificate unless plain HTTP is
 * allowed, connect and total timeouts, a few tries on a transport error or HTTP 502/503/504
 * with exponential back-off and full jitter, and a circuit breaker shared by the calls. A
 * batch of posts runs concurrently (curl multi, up to max_parallel connections, kept and
 * reused), so a batch takes about one call's time. It knows nothing of what it carries; the
 * caller records each call. Not thread-safe: one client a thread. */
#ifndef LIC_HTTPC_H
#define LIC_HTTPC_H

#include "breaker.h"

#include <stddef.h>

typedef struct {
    const char *url;
    const char *cert, *key, *ca; /* PEM files; NULL: none (cert) / the system's (ca) */
    int allow_plain_http;
    long connect_timeout_ms, timeout_ms;
    int attempts; /* >= 1 */
    long retry_base_ms, retry_max_ms;
    const char *content_type; /* "text/xml; charset=utf-8" */
    const char *soap_action;  /* NULL: no SOAPAction header */
    long max_response;        /* larger answers are cut and failed */
    int max_parallel;         /* connections at once (<= 0: 1) */
    /* Whether an HTTP answer is the party's (NULL: any is). One that is not - a proxy's HTML
     * error page - is still returned as HC_ANSWERED for the caller to record, but counts as
     * a failure for the breaker and is not tried again. */
    int (*is_answer)(long status, const char *body, size_t len);
} hc_config_t;

typedef struct hc_client hc_client_t;

/* NULL with errstr (a plain http:// URL without allow_plain_http, an unreadable file, ...). */
hc_client_t *hc_new(const hc_config_t *cfg, int breaker_failures, long breaker_cooldown_ms,
                    char *errstr, size_t errstr_size);
void hc_free(hc_client_t *c);

typedef enum {
    HC_ANSWERED,     /* an HTTP answer (any status but 502/503/504 after the last try) */
    HC_UNAVAILABLE,  /* transport error, timeout or 502/503/504 after every try */
    HC_CIRCUIT_OPEN, /* not sent: the breaker is open */
} hc_outcome_t;

typedef struct {
    hc_outcome_t outcome;
    long status; /* HTTP status of the last try (0: none) */
    char *body;  /* the last answer's body, NUL-terminated (malloc'd; may be NULL) */
    size_t len;
    long duration_ms; /* from the first try to the last answer */
    int tries;
    char error[256]; /* what went wrong with the last try, "" when answered */
} hc_result_t;

/* Posts `body`. Always fills *out (free with hc_result_free()); returns out->outcome. */
hc_outcome_t hc_post(hc_client_t *c, const char *body, size_t len, hc_result_t *out);

/* One post of a batch: the body, and where its result goes. */
typedef struct {
    const char *body;
    size_t len;
    hc_result_t *out;
} hc_call_t;

/* Posts every call of calls[] concurrently, each as hc_post() would (its tries, back-off and
 * the breaker's verdict: once the breaker opens, calls not yet started are not sent). A stop
 * requested meanwhile sends nothing more: a call not sent has tries == 0. Returns when every
 * call has its result (free each with hc_result_free()). */
void hc_post_many(hc_client_t *c, hc_call_t *calls, int n);
void hc_result_free(hc_result_t *r);

/* The breaker's state now (metrics, logs). */
cb_state_t hc_circuit(const hc_client_t *c);

#endif
