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
    CURLM *multi;
    CURL **easy; /* max_parallel handles, made on first use and reused (their connections) */
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
    int par = cfg->max_parallel > 0 ? cfg->max_parallel : 1;
    if (!c || !(c->easy = calloc((size_t)par, sizeof(*c->easy))) ||
        !(c->multi = curl_multi_init())) {
        if (c)
            free(c->easy);
        free(c);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    c->cfg.max_parallel = par;
    if (c->cfg.attempts < 1)
        c->cfg.attempts = 1;
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)par);
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
    return c;
}

/* The handle of slot `i`, made with the client's options on first use. */
static CURL *easy_of(hc_client_t *c, int i)
{
    if (c->easy[i])
        return c->easy[i];
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    const hc_config_t *cfg = &c->cfg;
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
    c->easy[i] = e; /* kept: freed by hc_free() */
    return e;
}

void hc_free(hc_client_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->cfg.max_parallel; i++)
        curl_easy_cleanup(c->easy[i]);
    free(c->easy);
    curl_multi_cleanup(c->multi);
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

/* One call of a batch on its way: its tries so far, when the next may start, its slot. */
typedef struct {
    int slot; /* -1: not running */
    int done;
    int64_t start, next_at;
    sink_t sink;
    char cerr[CURL_ERROR_SIZE];
} flight_t;

/* A try of call `f` ended (curl's code `cc`): its result kept; done when it answered, or it
 * was the last try, or it may not go on. */
static void try_ended(hc_client_t *c, hc_call_t *call, flight_t *f, CURLcode cc, long st,
                      int64_t now)
{
    hc_result_t *out = call->out;
    out->tries++;
    out->status = st;
    free(out->body);
    out->body = f->sink.buf;
    out->len = f->sink.len;
    f->sink.buf = NULL;
    f->sink.len = 0;
    if (cc == CURLE_OK && !transient_status(st)) {
        out->outcome = HC_ANSWERED;
        out->error[0] = '\0';
        if (!c->cfg.is_answer || c->cfg.is_answer(st, out->body, out->len))
            cb_success(&c->breaker);
        else
            cb_failure(&c->breaker, now); /* a proxy's page: answered, but not by the party */
        f->done = 1;
        return;
    }
    out->outcome = HC_UNAVAILABLE;
    if (f->sink.cut)
        snprintf(out->error, sizeof(out->error), "answer larger than %zu bytes", f->sink.max);
    else if (cc != CURLE_OK)
        snprintf(out->error, sizeof(out->error), "%s",
                 f->cerr[0] ? f->cerr : curl_easy_strerror(cc));
    else
        snprintf(out->error, sizeof(out->error), "HTTP %ld", st);
    f->sink.cut = 0;
    if (out->tries < c->cfg.attempts) {
        f->next_at = now + util_backoff_ms(out->tries - 1, c->cfg.retry_base_ms,
                                           c->cfg.retry_max_ms); /* full jitter */
        return;
    }
    f->done = 1;
    if (cb_failure(&c->breaker, now))
        log_warn("circuit open for %s after %d failed calls (last: %s); next probe in %ld ms",
                 c->cfg.url, c->breaker.failures, out->error, c->breaker.cooldown_ms);
}

/* A call that will not start (again): the breaker is open, or a stop was requested. */
static void not_started(hc_client_t *c, hc_call_t *call, flight_t *f, int stopping)
{
    f->done = 1;
    if (call->out->tries > 0)
        return; /* its last try's result stands */
    call->out->outcome = stopping ? HC_UNAVAILABLE : HC_CIRCUIT_OPEN;
    if (stopping)
        snprintf(call->out->error, sizeof(call->out->error), "not sent: the worker is stopping");
    else
        snprintf(call->out->error, sizeof(call->out->error), "circuit open after %d failures",
                 c->breaker.failures);
}

void hc_post_many(hc_client_t *c, hc_call_t *calls, int n)
{
    flight_t *fl = calloc((size_t)(n > 0 ? n : 1), sizeof(*fl));
    int par = c->cfg.max_parallel;
    int *slot_of = calloc((size_t)par, sizeof(*slot_of)); /* slot -> call, -1 free */
    int64_t t0 = util_mono_ms();
    for (int i = 0; i < n; i++) {
        memset(calls[i].out, 0, sizeof(*calls[i].out));
        if (!fl || !slot_of) {
            calls[i].out->outcome = HC_UNAVAILABLE;
            snprintf(calls[i].out->error, sizeof(calls[i].out->error), "out of memory");
            continue;
        }
        fl[i].slot = -1;
        fl[i].start = t0;
        fl[i].sink.max = c->cfg.max_response > 0 ? (size_t)c->cfg.max_response : 1 << 20;
    }
    if (!fl || !slot_of) {
        free(fl);
        free(slot_of);
        return;
    }
    for (int s = 0; s < par; s++)
        slot_of[s] = -1;
    int left = n, running = 0;
    while (left > 0) {
        int64_t now = util_mono_ms();
        int stopping = sig_stop_requested();
        long wait = 100;
        /* Start what may start: due, a free slot, the breaker allowing it. */
        for (int i = 0; i < n; i++) {
            flight_t *f = &fl[i];
            if (f->done || f->slot >= 0)
                continue;
            if (stopping || cb_state(&c->breaker, now) == CB_OPEN) {
                not_started(c, &calls[i], f, stopping);
                calls[i].out->duration_ms = (long)(now - f->start);
                left--;
                continue;
            }
            if (f->next_at > now) {
                if (f->next_at - now < wait)
                    wait = (long)(f->next_at - now);
                continue;
            }
            if (cb_allowed(&c->breaker, par, running, now) <= 0)
                continue; /* half-open: one probe at a time */
            int s = 0;
            while (s < par && slot_of[s] >= 0)
                s++;
            if (s == par)
                continue; /* every slot busy: tried when one frees */
            CURL *e = easy_of(c, s);
            if (!e) {
                snprintf(calls[i].out->error, sizeof(calls[i].out->error), "out of memory");
                calls[i].out->outcome = HC_UNAVAILABLE;
                f->done = 1;
                left--;
                continue;
            }
            f->cerr[0] = '\0';
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, calls[i].body);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)calls[i].len);
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
            curl_easy_setopt(e, CURLOPT_WRITEDATA, &f->sink);
            curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->cerr);
            curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)(intptr_t)i);
            if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
                snprintf(calls[i].out->error, sizeof(calls[i].out->error),
                         "cannot start the transfer");
                calls[i].out->outcome = HC_UNAVAILABLE;
                f->done = 1;
                left--;
                continue;
            }
            if (calls[i].out->tries == 0)
                f->start = now; /* a call's time runs from its first try, not its wait */
            slot_of[s] = i;
            f->slot = s;
            running++;
        }
        if (left == 0)
            break;
        int still = 0;
        curl_multi_perform(c->multi, &still);
        CURLMsg *m;
        int msgs;
        while ((m = curl_multi_info_read(c->multi, &msgs))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            void *priv = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&priv);
            int i = (int)(intptr_t)priv;
            long st = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &st);
            CURLcode cc = m->data.result;
            curl_multi_remove_handle(c->multi, m->easy_handle);
            curl_easy_setopt(m->easy_handle, CURLOPT_ERRORBUFFER, NULL);
            slot_of[fl[i].slot] = -1;
            fl[i].slot = -1;
            running--;
            now = util_mono_ms();
            try_ended(c, &calls[i], &fl[i], cc, st, now);
            if (fl[i].done) {
                calls[i].out->duration_ms = (long)(now - fl[i].start);
                left--;
            }
            wait = 0; /* a slot freed: start the next at once */
        }
        if (left > 0 && (running > 0 || wait > 0))
            curl_multi_poll(c->multi, NULL, 0, (int)(running > 0 ? (wait > 0 ? wait : 1) : wait),
                            NULL);
    }
    for (int i = 0; i < n; i++)
        free(fl[i].sink.buf);
    free(fl);
    free(slot_of);
}

hc_outcome_t hc_post(hc_client_t *c, const char *body, size_t len, hc_result_t *out)
{
    hc_call_t call = {body, len, out};
    hc_post_many(c, &call, 1);
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
