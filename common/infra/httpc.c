/* httpc: see httpc.h. */
#include "httpc.h"
#include "log.h"
#include "signals.h"
#include "util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hc_client {
    hc_config_t cfg;
    CURL *easy;
    struct curl_slist *headers;
    cb_t breaker;
};

hc_client_t *hc_new(const hc_config_t *cfg, int breaker_failures, long breaker_cooldown_ms,
                    char *errstr, size_t errstr_size)
{
    if (!cfg->url || (strncmp(cfg->url, "https://", 8) != 0 &&
                      !(cfg->allow_plain_http && strncmp(cfg->url, "http://", 7) == 0))) {
        snprintf(errstr, errstr_size, "%s is not an https:// URL (plain HTTP is not allowed)",
                 cfg->url ? cfg->url : "(no URL)");
        return NULL;
    }
    hc_client_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->easy = curl_easy_init())) {
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    if (c->cfg.attempts < 1)
        c->cfg.attempts = 1;
    cb_init(&c->breaker, breaker_failures, breaker_cooldown_ms);
    char h[300];
    snprintf(h, sizeof(h), "Content-Type: %s",
             cfg->content_type ? cfg->content_type : "application/octet-stream");
    c->headers = curl_slist_append(NULL, h);
    if (cfg->soap_action) {
        snprintf(h, sizeof(h), "SOAPAction: \"%s\"", cfg->soap_action);
        c->headers = curl_slist_append(c->headers, h);
    }
    c->headers = curl_slist_append(c->headers, "Expect:"); /* no 100-continue round trip */
    CURL *e = c->easy;
    curl_easy_setopt(e, CURLOPT_URL, cfg->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, cfg->allow_plain_http ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    if (cfg->cert) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, cfg->cert);
        if (cfg->key)
            curl_easy_setopt(e, CURLOPT_SSLKEY, cfg->key);
    }
    if (cfg->ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca);
    return c;
}

void hc_free(hc_client_t *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    free(c);
}

typedef struct {
    char *buf;
    size_t len, max;
    int cut;
} sink_t;

static size_t on_data(char *p, size_t size, size_t n, void *opaque)
{
    sink_t *s = opaque;
    size_t add = size * n;
    if (s->len + add > s->max) {
        s->cut = 1;
        return 0; /* aborts the transfer: an answer this large is not one */
    }
    char *nb = realloc(s->buf, s->len + add + 1);
    if (!nb)
        return 0;
    memcpy(nb + s->len, p, add);
    s->buf = nb;
    s->len += add;
    s->buf[s->len] = '\0';
    return add;
}

static int transient_status(long st)
{
    return st == 502 || st == 503 || st == 504;
}

hc_outcome_t hc_post(hc_client_t *c, const char *body, size_t len, hc_result_t *out)
{
    memset(out, 0, sizeof(*out));
    int64_t start = util_mono_ms();
    if (cb_state(&c->breaker, start) == CB_OPEN) {
        out->outcome = HC_CIRCUIT_OPEN;
        snprintf(out->error, sizeof(out->error), "circuit open after %d failures",
                 c->breaker.failures);
        return HC_CIRCUIT_OPEN;
    }
    for (int t = 0; t < c->cfg.attempts; t++) {
        if (t > 0) {
            /* Back-off with full jitter, cut short by a stop. */
            long wait = util_backoff_ms(t - 1, c->cfg.retry_base_ms, c->cfg.retry_max_ms);
            for (long w = 0; w < wait && !sig_stop_requested(); w += 50)
                util_sleep_ms(wait - w < 50 ? wait - w : 50);
            if (sig_stop_requested())
                break;
        }
        sink_t s = {NULL, 0, c->cfg.max_response > 0 ? (size_t)c->cfg.max_response : 1 << 20, 0};
        char cerr[CURL_ERROR_SIZE] = "";
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, cerr);
        CURLcode cc = curl_easy_perform(c->easy);
        long st = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &st);
        out->tries = t + 1;
        out->status = st;
        free(out->body);
        out->body = s.buf;
        out->len = s.len;
        if (cc == CURLE_OK && !transient_status(st)) {
            out->outcome = HC_ANSWERED;
            out->error[0] = '\0';
            cb_success(&c->breaker);
            break;
        }
        out->outcome = HC_UNAVAILABLE;
        if (s.cut)
            snprintf(out->error, sizeof(out->error), "answer larger than %zu bytes", s.max);
        else if (cc != CURLE_OK)
            snprintf(out->error, sizeof(out->error), "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
        else
            snprintf(out->error, sizeof(out->error), "HTTP %ld", st);
    }
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
    out->duration_ms = (long)(util_mono_ms() - start);
    if (out->outcome == HC_UNAVAILABLE && cb_failure(&c->breaker, util_mono_ms()))
        log_warn("circuit open for %s after %d failed calls (last: %s); next probe in %ld ms",
                 c->cfg.url, c->breaker.failures, out->error, c->breaker.cooldown_ms);
    return out->outcome;
}

void hc_result_free(hc_result_t *r)
{
    free(r->body);
    r->body = NULL;
}

cb_state_t hc_circuit(const hc_client_t *c)
{
    return cb_state(&c->breaker, util_mono_ms());
}
