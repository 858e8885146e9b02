/* agencysim: the approving agencies' simulator for tests and the demo. It serves the agency
 * HTTP API of CONTRACT.md (POST {base}/v1/approval-requests, idempotent on Idempotency-Key)
 * for both agencies and answers on their Kafka reply topics with replies signed by Ed25519
 * keys it generates at start. It writes the workers' agencies file (base URLs and public
 * keys) and takes run-time instructions, per agency, on its control endpoint:
 *
 *   agencysim --agencies-file OUT [--port N] [--port-file F] [--name UNIT]
 * (--name tells several simulators apart: it goes into their key ids.)
 *   POST /control {"agency": "sanitary", "verdict": "compliant|non_compliant|silent",
 *                  "reply_delay_ms": N, "response_delay_ms": N, "fail_next": N,
 *                  "fail_status": 500, "retry_after_s": N, "reply_twice": bool,
 *                  "bad_signature": bool, "wrong_key": bool, "unknown_request": bool,
 *                  "drop_response_next": N, "hold_retries": bool}
 * (drop_response_next: the next N requests are received and answered on the reply topic, but
 * their 202 is lost - the connection closes without a response; hold_retries: a request
 * already received is answered 503, not 409, until it is turned off.)
 *   POST /control {"agency": ..., "application_id": ID, "verdict": ...}   for one application
 *   POST /control {"refuse_ms": N}     close the listening socket for N ms
 *   GET  /stats                        per agency: requests, distinct keys, in flight, ...
 *
 * Kafka from KAFKA_* / LIC_KAFKA_BOOTSTRAP_FILE like the workers; its clock is the workers'
 * clock (LIC_CLOCK_FILE), so received_at follows a moved test clock. */
#include "agencies.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "event.h"
#include "jsonx.h"
#include "kafka.h"
#include "log.h"
#include "signals.h"
#include "sim.h"
#include "util.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_KEYS 2000000
#define MAX_BODY (1024 * 1024)

typedef struct {
    char verdict[24];
    long reply_delay_ms, response_delay_ms, fail_next, fail_status, retry_after_s;
    long drop_response_next;
    int reply_twice, bad_signature, wrong_key, unknown_request, hold_retries;
    json_t *verdict_for; /* application_id -> verdict, overriding `verdict` */
    /* statistics */
    long requests, distinct, replies, in_flight, max_in_flight, failed;
} unit_t;

typedef struct pending {
    int64_t due_ms;
    int agency;
    char verdict[24];
    json_t *request; /* owned */
    struct pending *next;
} pending_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unit_t units[AG_COUNT];
/* "agency|request_id" -> received_at: a hash table, so a long benchmark does not slow the
 * simulator down as the keys pile up. */
static json_t *seen;
static pending_t *pending;
static int reply_waiting; /* the reply thread waits on cv (under mu) */
static unsigned char public_keys[AG_COUNT][crypto_sign_PUBLICKEYBYTES];
static unsigned char secret_keys[AG_COUNT][crypto_sign_SECRETKEYBYTES];
static char key_ids[AG_COUNT][64];
static rd_kafka_t *producer;
static struct MHD_Daemon *daemon_;
static unsigned short port;
static int64_t refuse_until;

/* ---- keys and signing ---- */

static int b64(const unsigned char *in, size_t len, char *out, size_t out_size)
{
    if ((len + 2) / 3 * 4 + 1 > out_size)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return 0;
}

/* Ed25519 over the exact value, with libsodium as the replies worker verifies. */
static int sign(int agency, const void *msg, size_t len, char *sig_b64, size_t size)
{
    unsigned char sig[crypto_sign_BYTES];
    if (crypto_sign_detached(sig, NULL, msg, len, secret_keys[agency]) != 0)
        return -1;
    return b64(sig, sizeof(sig), sig_b64, size);
}

static int write_agencies_file(const char *path)
{
    json_t *ags = json_object();
    for (int a = 0; a < AG_COUNT; a++) {
        char pubs[64], url[128];
        if (b64(public_keys[a], sizeof(public_keys[a]), pubs, sizeof(pubs)))
            return -1;
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s", port, ag_name((ag_agency_t)a));
        json_object_set_new(
            ags, ag_name((ag_agency_t)a),
            json_pack("{s:{s:s},s:{s:s}}", "units", "*", url, "keys", key_ids[a], pubs));
    }
    json_t *root = json_pack("{s:s,s:b,s:o}", "description",
                             "written by deploy/agencysim: the simulated agencies",
                             "allow_plain_http", 1, "agencies", ags);
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int rc = json_dump_file(root, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    json_decref(root);
    return rc;
}

/* ---- replies ---- */

static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        log_error("reply not delivered: %s", rd_kafka_err2str(m->err));
}

static void send_reply(int agency, json_t *req, const unit_t *u, const char *verdict)
{
    const char *app = json_string_value(json_object_get(req, "application_id"));
    const char *region = json_string_value(json_object_get(req, "region"));
    char id[UUID_STR_LEN], now_s[40], source[96];
    util_uuid_v4(id);
    cal_format(clock_now(), now_s, sizeof(now_s));
    snprintf(source, sizeof(source), "/agency/%s/%s", ag_name((ag_agency_t)agency),
             region ? region : "KZ");
    int compliant = strcmp(verdict, "non_compliant") != 0;
    /* unknown_request: a correctly signed reply to a request id nobody made. */
    char other[UUID_STR_LEN] = "";
    if (u->unknown_request)
        util_uuid_v4(other);
    json_t *data = json_pack(
        "{s:o,s:s,s:s,s:s,s:s,s:s,s:s}", "request_id",
        u->unknown_request ? json_string(other) : json_incref(json_object_get(req, "request_id")),
        "application_id", app, "agency", ag_name((ag_agency_t)agency), "region",
        region ? region : "KZ-KAR", "verdict", compliant ? "compliant" : "non_compliant",
        "decided_at", now_s, "signer",
        agency == AG_SANITARY
            ? "Санитариялық дәрігер / Главный санитарный врач"
            : "Өнеркәсіптік қауіпсіздік инспекторы / Инспектор промышленной безопасности");
    if (!compliant)
        json_object_set_new(data, "reasons",
                            json_pack("[s]", agency == AG_SANITARY
                                                 ? "Санитарлық-эпидемиологиялық қорытынды жоқ / "
                                                   "Отсутствует санитарно-эпидемиологическое "
                                                   "заключение на производственную базу"
                                                 : "Шахталық көтергіштің сараптамасы жоқ / "
                                                   "Отсутствует экспертиза промышленной "
                                                   "безопасности подъёмной установки"));
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "specversion", "1.0", "id", id,
                           "source", source, "type", EV_TYPE_AGENCY_REPLIED, "subject", app, "time",
                           now_s, "datacontenttype", "application/json", "data", data);
    char *value = jx_dumps(ev);
    json_decref(ev);
    if (!value)
        return;
    char sig[128];
    int signer = u->wrong_key ? 1 - agency : agency;
    if (sign(signer, value, strlen(value), sig, sizeof(sig)) != 0) {
        free(value);
        return;
    }
    if (u->bad_signature)
        sig[5] = sig[5] == 'A' ? 'B' : 'A';
    rd_kafka_headers_t *h = rd_kafka_headers_new(2);
    rd_kafka_header_add(h, "x-key-id", -1, key_ids[agency], -1);
    rd_kafka_header_add(h, "x-signature", -1, sig, -1);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(ag_reply_topic((ag_agency_t)agency)),
        RD_KAFKA_V_KEY(app, strlen(app)), RD_KAFKA_V_VALUE(value, strlen(value)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(h);
        log_error("cannot produce a reply: %s", rd_kafka_err2str(err));
    }
    free(value);
}

static long resume_due(int all);

/* The replies go out from one thread, which also resumes the connections whose response
 * delay is over. It sends what is due, looks again, and only with nothing due waits (20 ms at
 * most, for the delayed ones): a request whose reply is due at once wakes it only when it
 * waits, not once a request while it is sending. */
static void *reply_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!sig_stop_requested()) {
        /* Answers whose response delay is over go out first, busy or not. */
        pthread_mutex_unlock(&mu);
        long next_answer = resume_due(0);
        pthread_mutex_lock(&mu);
        int64_t now = util_mono_ms();
        pending_t **pp = &pending, *due = NULL;
        while (*pp) {
            if ((*pp)->due_ms <= now) {
                pending_t *p = *pp;
                *pp = p->next;
                p->next = due;
                due = p;
            } else {
                pp = &(*pp)->next;
            }
        }
        if (!due) {
            /* Nothing due: wait for a request's signal, or 20 ms for a delayed reply, or
             * until the next delayed answer. */
            long wait_ms = next_answer >= 0 && next_answer < 20 ? next_answer : 20;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += wait_ms * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            reply_waiting = 1;
            pthread_cond_timedwait(&cv, &mu, &ts);
            reply_waiting = 0;
        }
        pthread_mutex_unlock(&mu);
        rd_kafka_poll(producer, 0); /* delivery reports */
        pthread_mutex_lock(&mu);
        while (due) {
            pending_t *p = due;
            due = p->next;
            unit_t u = units[p->agency];
            units[p->agency].replies += u.reply_twice ? 2 : 1;
            pthread_mutex_unlock(&mu);
            send_reply(p->agency, p->request, &u, p->verdict);
            if (u.reply_twice)
                send_reply(p->agency, p->request, &u, p->verdict);
            pthread_mutex_lock(&mu);
            json_decref(p->request);
            free(p);
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* ---- HTTP ---- */

typedef struct {
    sim_body_t b; /* first: sim_upload() */
    /* Counted as a request (the first call with the whole body); with a response delay, the
     * connection is suspended until it is due (the reply thread resumes it), and what was
     * decided for it then is answered when it is resumed. */
    int counted, fail;
    long fail_status, retry_after;
} upload_t;

/* Requests whose answer waits out the configured response delay: their connections are
 * suspended, not a thread each asleep. */
typedef struct delayed {
    struct MHD_Connection *c;
    int64_t due_ms;
    struct delayed *next;
} delayed_t;
static delayed_t *delayed; /* under mu */

/* Resumes the suspended connections whose delay is over (all of them with `all`); their
 * requests are then answered by the daemon's threads. Returns the milliseconds until the next
 * is due, or -1 when none waits. */
static long resume_due(int all)
{
    pthread_mutex_lock(&mu);
    int64_t now = util_mono_ms();
    long next = -1;
    delayed_t **pp = &delayed, *due = NULL;
    while (*pp) {
        delayed_t *d = *pp;
        if (all || d->due_ms <= now) {
            *pp = d->next;
            d->next = due;
            due = d;
        } else {
            long left = (long)(d->due_ms - now);
            if (next < 0 || left < next)
                next = left;
            pp = &d->next;
        }
    }
    pthread_mutex_unlock(&mu);
    while (due) {
        delayed_t *d = due;
        due = d->next;
        MHD_resume_connection(d->c);
        free(d);
    }
    return next;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, json_t *body,
                               long retry_after_s)
{
    char *s = body ? jx_dump(body) : strdup("");
    json_decref(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after_s > 0) {
        char ra[24];
        snprintf(ra, sizeof(ra), "%ld", retry_after_s);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static json_t *stats_json(void)
{
    json_t *o = json_object();
    pthread_mutex_lock(&mu);
    for (int a = 0; a < AG_COUNT; a++) {
        unit_t *u = &units[a];
        json_object_set_new(o, ag_name((ag_agency_t)a),
                            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "requests",
                                      (json_int_t)u->requests, "distinct_keys",
                                      (json_int_t)u->distinct, "replies", (json_int_t)u->replies,
                                      "in_flight", (json_int_t)u->in_flight, "max_in_flight",
                                      (json_int_t)u->max_in_flight, "failed", (json_int_t)u->failed,
                                      "verdict", u->verdict));
    }
    pthread_mutex_unlock(&mu);
    return o;
}

static unsigned apply_control(json_t *c, char *err, size_t err_size)
{
    json_t *r = json_object_get(c, "refuse_ms");
    if (json_is_integer(r)) {
        pthread_mutex_lock(&mu);
        refuse_until = util_mono_ms() + json_integer_value(r);
        pthread_mutex_unlock(&mu);
        return 200;
    }
    int a = ag_parse(json_string_value(json_object_get(c, "agency")));
    if (a < 0) {
        snprintf(err, err_size, "agency must be industrial_safety or sanitary");
        return 422;
    }
    pthread_mutex_lock(&mu);
    unit_t *u = &units[a];
    const char *v = json_string_value(json_object_get(c, "verdict"));
    const char *app = json_string_value(json_object_get(c, "application_id"));
    if (v && app) {
        if (!u->verdict_for)
            u->verdict_for = json_object();
        json_object_set_new(u->verdict_for, app, json_string(v));
    } else if (v) {
        snprintf(u->verdict, sizeof(u->verdict), "%s", v);
    }
#define LONGOPT(name)                                                                              \
    if (json_is_integer(json_object_get(c, #name)))                                                \
        u->name = (long)json_integer_value(json_object_get(c, #name));
#define BOOLOPT(name)                                                                              \
    if (json_is_boolean(json_object_get(c, #name)))                                                \
        u->name = json_is_true(json_object_get(c, #name));
    LONGOPT(reply_delay_ms)
    LONGOPT(response_delay_ms)
    LONGOPT(fail_next)
    LONGOPT(fail_status)
    LONGOPT(retry_after_s)
    LONGOPT(drop_response_next)
    BOOLOPT(reply_twice)
    BOOLOPT(bad_signature)
    BOOLOPT(wrong_key)
    BOOLOPT(unknown_request)
    BOOLOPT(hold_retries)
    pthread_mutex_unlock(&mu);
    return 200;
}

static enum MHD_Result approval_request(struct MHD_Connection *c, int agency, upload_t *up)
{
    unit_t *u = &units[agency];
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
    if (!up->counted) {
        pthread_mutex_lock(&mu);
        up->counted = 1;
        u->requests++;
        u->in_flight++;
        if (u->in_flight > u->max_in_flight)
            u->max_in_flight = u->in_flight;
        long delay = u->response_delay_ms;
        up->fail_status = u->fail_status ? u->fail_status : 500;
        up->retry_after = u->retry_after_s;
        if (u->fail_next > 0) {
            u->fail_next--;
            u->failed++;
            up->fail = 1;
        }
        delayed_t *d = delay > 0 ? calloc(1, sizeof(*d)) : NULL;
        if (d) {
            d->c = c;
            d->due_ms = util_mono_ms() + delay;
            d->next = delayed;
            delayed = d;
            MHD_suspend_connection(c); /* before the reply thread can see it */
        }
        pthread_mutex_unlock(&mu);
        if (d)
            return MHD_YES; /* answered when resumed */
    }
    int fail = up->fail;
    long fail_status = up->fail_status, retry_after = up->retry_after;
    unsigned status;
    json_t *body;
    json_t *req = json_loadb(up->b.body ? up->b.body : "", up->b.len, 0, NULL);
    const char *rid = json_string_value(json_object_get(req, "request_id"));
    pthread_mutex_lock(&mu);
    u->in_flight--;
    if (fail) {
        status = (unsigned)fail_status;
        body = json_pack("{s:s}", "error", "simulated failure");
    } else if (!req || !rid || !key || strcmp(rid, key) != 0 || !util_is_uuid(rid) ||
               ag_parse(json_string_value(json_object_get(req, "agency"))) != agency ||
               !json_is_string(json_object_get(req, "application_id"))) {
        status = 422;
        body = json_pack("{s:s}", "error",
                         "request_id must be a UUID equal to the Idempotency-Key, with this "
                         "agency and an application_id");
    } else {
        char skey[80];
        snprintf(skey, sizeof(skey), "%d|%s", agency, rid);
        const char *known = json_string_value(json_object_get(seen, skey));
        if (known && u->hold_retries) {
            status = 503;
            body = json_pack("{s:s}", "error", "simulated outage after the receipt");
        } else if (known) {
            status = 409;
            body = json_pack("{s:s,s:s}", "request_id", rid, "received_at", known);
        } else if (json_object_size(seen) >= MAX_KEYS) {
            status = 503;
            body = json_pack("{s:s}", "error", "simulator full");
        } else {
            char received_at[40];
            cal_format(clock_now(), received_at, sizeof(received_at));
            json_object_set_new(seen, skey, json_string(received_at));
            u->distinct++;
            status = 202;
            body = json_pack("{s:s,s:s}", "request_id", rid, "received_at", received_at);
            const char *verdict = json_string_value(json_object_get(
                u->verdict_for, json_string_value(json_object_get(req, "application_id"))));
            if (!verdict)
                verdict = u->verdict;
            if (strcmp(verdict, "silent") != 0) {
                pending_t *p = calloc(1, sizeof(*p));
                snprintf(p->verdict, sizeof(p->verdict), "%s", verdict);
                p->due_ms = util_mono_ms() + u->reply_delay_ms;
                p->agency = agency;
                p->request = json_incref(req);
                p->next = pending;
                pending = p;
                if (reply_waiting && u->reply_delay_ms <= 0)
                    pthread_cond_signal(&cv);
            }
        }
    }
    int drop = status == 202 && u->drop_response_next > 0;
    if (drop)
        u->drop_response_next--;
    pthread_mutex_unlock(&mu);
    json_decref(req);
    if (drop) {
        json_decref(body);
        return MHD_NO; /* received, but the 202 never reaches the caller */
    }
    return respond(c, status, body, fail ? retry_after : 0);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    upload_t *up = sim_upload(con_cls, sizeof(upload_t), data, data_size, MAX_BODY);
    if (!up)
        return *con_cls ? MHD_YES : MHD_NO;
    pthread_mutex_lock(&mu);
    int refusing = util_mono_ms() < refuse_until;
    pthread_mutex_unlock(&mu);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/stats") == 0)
        return respond(c, 200, stats_json(), 0);
    if (strcmp(method, "POST") == 0 && strcmp(url, "/control") == 0) {
        json_t *j = json_loadb(up->b.body ? up->b.body : "", up->b.len, 0, NULL);
        char err[200] = "";
        unsigned st = j ? apply_control(j, err, sizeof(err)) : 400;
        json_decref(j);
        return respond(c, st, st == 200 ? stats_json() : json_pack("{s:s}", "error", err), 0);
    }
    if (refusing && !up->counted)
        return MHD_NO; /* the connection is dropped without an answer */
    if (up->b.too_big)
        return respond(c, 413, json_pack("{s:s}", "error", "body too large"), 0);
    for (int a = 0; a < AG_COUNT; a++) {
        char path[96];
        snprintf(path, sizeof(path), "/%s/v1/approval-requests", ag_name((ag_agency_t)a));
        if (strcmp(url, path) == 0) {
            if (strcmp(method, "POST") != 0)
                return respond(c, 405, NULL, 0);
            return approval_request(c, a, up);
        }
    }
    return respond(c, 404, json_pack("{s:s}", "error", "no such endpoint"), 0);
}

int main(int argc, char **argv)
{
    sim_start("agencysim");
    const char *agencies_file = NULL, *port_file = NULL, *name = "sim";
    unsigned want_port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--agencies-file") == 0)
            agencies_file = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            want_port = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
    }
    if (!agencies_file) {
        fprintf(stderr, "usage: agencysim --agencies-file OUT [--port N] [--port-file F]"
                        " [--name UNIT]\n");
        return 2;
    }
    if (sodium_init() < 0) {
        log_error("cannot initialise libsodium");
        return 1;
    }
    for (int a = 0; a < AG_COUNT; a++) {
        snprintf(units[a].verdict, sizeof(units[a].verdict), "compliant");
        units[a].reply_delay_ms = 200;
        snprintf(key_ids[a], sizeof(key_ids[a]), "%.20s-%s-1", name, ag_name((ag_agency_t)a));
        if (crypto_sign_keypair(public_keys[a], secret_keys[a]) != 0) {
            log_error("cannot generate an Ed25519 key");
            return 1;
        }
    }
    seen = json_object();
    char err[512];
    producer = kq_producer_new(dr, NULL, err, sizeof(err));
    if (!seen || !producer) {
        log_error("cannot start: %s", err);
        return 1;
    }
    /* Two event-loop threads (epoll), not a thread a connection: with the dispatchers' 256
     * connections that made most of the simulator's CPU the kernel's, switching between them;
     * a response delay suspends its connection instead of sleeping in its thread. */
    daemon_ = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)want_port, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, sim_completed,
        NULL, MHD_OPTION_CONNECTION_LIMIT, 2000u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_END);
    if (!daemon_) {
        log_error("cannot listen on port %u", want_port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : (unsigned short)want_port;
    if (write_agencies_file(agencies_file)) {
        log_error("cannot write %s", agencies_file);
        return 1;
    }
    sim_write_port(port_file, port);
    pthread_t t;
    pthread_create(&t, NULL, reply_thread, NULL);
    log_info("simulating both agencies on http://127.0.0.1:%u (agencies file %s)", port,
             agencies_file);
    while (!sig_stop_requested())
        util_sleep_ms(100);
    pthread_mutex_lock(&mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    resume_due(1); /* a daemon is stopped with no connection suspended */
    MHD_stop_daemon(daemon_);
    rd_kafka_flush(producer, 5000);
    rd_kafka_destroy(producer);
    sodium_memzero(secret_keys, sizeof(secret_keys));
    log_info("stopped");
    return 0;
}
