/* httpc: against an in-process HTTP server told what to answer - an answer of any status is
 * returned as it is; 503s are tried again with back-off until the tries run out; a slow server
 * times out; failed calls open the breaker, which then sends nothing until its cool-down, and
 * a successful probe closes it; plain HTTP is refused unless allowed; a batch runs its calls
 * concurrently up to the connection limit and stops sending once the breaker opens; an answer
 * that is not the party's counts against the breaker without being tried again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "httpc.h"
#include "util.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int fail_next;                 /* answer 503 this many times */
static long delay_ms;                 /* before answering */
static int requests;                  /* received */
static int in_flight, most_in_flight; /* answers being prepared at once */
static char last_body[256];
static char last_action[128];

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    if (!*con_cls) {
        *con_cls = c;
        pthread_mutex_lock(&mu);
        last_body[0] = '\0';
        pthread_mutex_unlock(&mu);
        return MHD_YES;
    }
    if (*size) {
        pthread_mutex_lock(&mu);
        strncat(last_body, data, *size < sizeof(last_body) - 1 ? *size : sizeof(last_body) - 1);
        pthread_mutex_unlock(&mu);
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&mu);
    requests++;
    int fail = fail_next > 0;
    if (fail)
        fail_next--;
    long d = delay_ms;
    const char *sa = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "SOAPAction");
    snprintf(last_action, sizeof(last_action), "%s", sa ? sa : "");
    in_flight++;
    if (in_flight > most_in_flight)
        most_in_flight = in_flight;
    pthread_mutex_unlock(&mu);
    if (d)
        util_sleep_ms(d);
    pthread_mutex_lock(&mu);
    in_flight--;
    pthread_mutex_unlock(&mu);
    const char *text = fail ? "unavailable" : "<answer/>";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, fail ? 503 : 500, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *daemon_;
static char url[64];

static int setup(void **state)
{
    (void)state;
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                               NULL, NULL, handler, NULL, MHD_OPTION_END);
    assert_non_null(daemon_);
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/bip-sync/", i->port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(daemon_);
    return 0;
}

static hc_config_t config(void)
{
    return (hc_config_t){.url = url,
                         .allow_plain_http = 1,
                         .connect_timeout_ms = 1000,
                         .timeout_ms = 300,
                         .attempts = 3,
                         .retry_base_ms = 10,
                         .retry_max_ms = 40,
                         .content_type = "text/xml; charset=utf-8",
                         .soap_action = "",
                         .max_response = 4096};
}

static void reset(int fails, long delay)
{
    pthread_mutex_lock(&mu);
    fail_next = fails;
    delay_ms = delay;
    requests = 0;
    most_in_flight = 0;
    pthread_mutex_unlock(&mu);
}

static void test_answer_returned_as_is(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    char err[256];
    hc_client_t *c = hc_new(&cfg, 2, 60000, err, sizeof(err));
    assert_non_null(c);
    reset(0, 0);
    hc_result_t r;
    /* A SOAP fault comes as HTTP 500: an answer for the caller to read, not a retry. */
    assert_int_equal(hc_post(c, "<q>1</q>", 8, &r), HC_ANSWERED);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "<answer/>");
    assert_int_equal(r.tries, 1);
    assert_int_equal(requests, 1);
    assert_string_equal(last_body, "<q>1</q>");
    assert_string_equal(last_action, "\"\""); /* the WSDL's soapAction="" */
    hc_result_free(&r);
    hc_free(c);
}

static void test_retries_then_breaker(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    char err[256];
    hc_client_t *c = hc_new(&cfg, 2, 400, err, sizeof(err));
    hc_result_t r;
    /* Two 503s, then an answer: one call, three tries. */
    reset(2, 0);
    assert_int_equal(hc_post(c, "x", 1, &r), HC_ANSWERED);
    assert_int_equal(r.tries, 3);
    assert_int_equal(requests, 3);
    hc_result_free(&r);
    /* Down for good: every try fails; two such calls open the circuit. */
    reset(1000, 0);
    assert_int_equal(hc_post(c, "x", 1, &r), HC_UNAVAILABLE);
    assert_string_equal(r.error, "HTTP 503");
    hc_result_free(&r);
    assert_int_equal(hc_circuit(c), CB_CLOSED);
    assert_int_equal(hc_post(c, "x", 1, &r), HC_UNAVAILABLE);
    hc_result_free(&r);
    assert_int_equal(hc_circuit(c), CB_OPEN);
    int before = requests;
    assert_int_equal(hc_post(c, "x", 1, &r), HC_CIRCUIT_OPEN);
    assert_int_equal(requests, before); /* nothing sent */
    hc_result_free(&r);
    /* After the cool-down one probe goes; the party is back: closed again. */
    util_sleep_ms(450);
    assert_int_equal(hc_circuit(c), CB_HALF_OPEN);
    reset(0, 0);
    assert_int_equal(hc_post(c, "x", 1, &r), HC_ANSWERED);
    hc_result_free(&r);
    assert_int_equal(hc_circuit(c), CB_CLOSED);
    hc_free(c);
}

static void test_timeout(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    cfg.attempts = 1;
    char err[256];
    hc_client_t *c = hc_new(&cfg, 5, 1000, err, sizeof(err));
    reset(0, 1000);
    hc_result_t r;
    assert_int_equal(hc_post(c, "x", 1, &r), HC_UNAVAILABLE);
    assert_true(r.duration_ms >= 250 && r.duration_ms < 900);
    assert_non_null(strstr(r.error, "timed out"));
    hc_result_free(&r);
    reset(0, 0);
    hc_free(c);
}

static void test_batch_concurrent(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    cfg.max_parallel = 4;
    char err[256];
    hc_client_t *c = hc_new(&cfg, 5, 1000, err, sizeof(err));
    assert_non_null(c);
    /* The timeout test's request may still be sleeping in the server: not one of these. */
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&mu);
        int busy = in_flight;
        pthread_mutex_unlock(&mu);
        if (!busy)
            break;
        util_sleep_ms(10);
    }
    reset(0, 100);
    enum { N = 12 };
    hc_result_t res[N];
    hc_call_t calls[N];
    for (int i = 0; i < N; i++)
        calls[i] = (hc_call_t){"x", 1, &res[i]};
    hc_post_many(c, calls, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(res[i].outcome, HC_ANSWERED);
        assert_int_equal(res[i].tries, 1);
        hc_result_free(&res[i]);
    }
    assert_int_equal(requests, N);
    assert_int_equal(most_in_flight, 4); /* as many at once as allowed, no more */
    reset(0, 0);
    hc_free(c);
}

static void test_batch_stops_when_breaker_opens(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    cfg.max_parallel = 2;
    cfg.attempts = 1;
    char err[256];
    hc_client_t *c = hc_new(&cfg, 2, 60000, err, sizeof(err));
    reset(1000, 0);
    enum { N = 10 };
    hc_result_t res[N];
    hc_call_t calls[N];
    for (int i = 0; i < N; i++)
        calls[i] = (hc_call_t){"x", 1, &res[i]};
    hc_post_many(c, calls, N);
    int unavailable = 0, open = 0;
    for (int i = 0; i < N; i++) {
        unavailable += res[i].outcome == HC_UNAVAILABLE;
        open += res[i].outcome == HC_CIRCUIT_OPEN && res[i].tries == 0;
        hc_result_free(&res[i]);
    }
    /* Two failures open it: besides them, at most the one call started in the slot the first
     * freed; the rest are never sent. */
    assert_true(unavailable >= 2 && unavailable <= 3);
    assert_int_equal(open, N - unavailable);
    assert_int_equal(requests, unavailable);
    reset(0, 0);
    hc_free(c);
}

/* The in-process server's "<answer/>" is not the party's answer here (a proxy's page). */
static int never_an_answer(long status, const char *body, size_t len)
{
    (void)status;
    (void)body;
    (void)len;
    return 0;
}

static void test_not_an_answer_counts_against_breaker(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    cfg.is_answer = never_an_answer;
    char err[256];
    hc_client_t *c = hc_new(&cfg, 2, 60000, err, sizeof(err));
    reset(0, 0);
    hc_result_t r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(hc_post(c, "x", 1, &r), HC_ANSWERED); /* returned for the record */
        assert_int_equal(r.tries, 1);                          /* and not tried again */
        hc_result_free(&r);
    }
    assert_int_equal(hc_circuit(c), CB_OPEN);
    assert_int_equal(hc_post(c, "x", 1, &r), HC_CIRCUIT_OPEN);
    assert_int_equal(requests, 2);
    hc_result_free(&r);
    hc_free(c);
}

static void test_plain_http_refused(void **state)
{
    (void)state;
    hc_config_t cfg = config();
    cfg.allow_plain_http = 0;
    char err[256];
    assert_null(hc_new(&cfg, 5, 1000, err, sizeof(err)));
    assert_non_null(strstr(err, "https://"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_returned_as_is),
        cmocka_unit_test(test_retries_then_breaker),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_plain_http_refused),
        cmocka_unit_test(test_batch_concurrent),
        cmocka_unit_test(test_batch_stops_when_breaker_opens),
        cmocka_unit_test(test_not_an_answer_counts_against_breaker),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
