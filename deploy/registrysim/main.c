/* registrysim: the e-government gateway's simulator for tests and the demo. It serves SOAP 1.1
 * SyncChannel v10 `SendMessage` (POST /bip-sync/) for GBDFL_PERSON, GBDUL_ENTITY, ERD_BANS and
 * COURT_BANS from a data file, answering with proto/gateway/registry.v1.xsd payloads, and
 * takes run-time instructions on its control endpoint:
 *
 *   registrysim --data FILE [--port N] [--port-file F] [--sender ID] [--password-file F]
 *   data: {"persons": {IIN: {last_name, first_name, middle_name, status, address}},
 *          "entities": {BIN: {name_kk, name_ru, legal_address, status, head_iin,
 *                             predecessors: [...], successors: [...]}},
 *          "debtor_bans": {IIN/BIN: [{authority, date, case}]},
 *          "court_bans": {IIN/BIN: [{court, date, case, measure, subtypes}]}}
 *   POST /control {"persons"|"entities"|"debtor_bans"|"court_bans": {...}}  add or replace
 *   POST /control {"fail_next": N,
 *                  "fail": "http_500|fault|error_status|malformed|answer_500|timeout",
 *                  "service": "ERD_BANS" (only that one), "response_delay_ms": N}
 *   POST /control {"down": true|false}   every SendMessage answered 503 until turned off
 *   GET  /stats   per service: requests, distinct message ids, answered, failed; TLS clients
 *                 refused for want of a certificate of the client CA
 * With --tls-cert/--tls-key/--tls-client-ca it also serves SendMessage on an HTTPS port
 * (--tls-port-file) to clients with a certificate the client CA signed (mutual TLS).
 *   GET  /calls   every SendMessage received: {message_id, service, subject, sender, answer}
 *
 * A subject missing from the data is answered found=false (persons, entities) or with no bans.
 * A wrong sender or password is answered with a SOAP fault, as the gateway does. */
#include "clock.h"
#include "config.h"
#include "gateway.h"
#include "jsonx.h"
#include "log.h"
#include "signals.h"
#include "sim.h"
#include "util.h"

#include <jansson.h>
#include <gnutls/gnutls.h>
#include <libxml/parser.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (256 * 1024)
#define MAX_CALLS 200000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *data;  /* the four tables, under mu */
static json_t *calls; /* received SendMessages, under mu */
static json_t *seen;  /* message ids */
static struct {
    long requests, distinct, answered, failed;
} stats[GW_SERVICE_COUNT];
static long fail_next, response_delay_ms;
static int fail_service = -1, down;
static char fail_kind[24] = "http_500";
static const char *sender_id = "KPR_LICENSING";
static char password[256];

static const char *const TABLES[] = {"persons", "entities", "debtor_bans", "court_bans"};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
    char *s = jx_dumps(body);
    json_decref(body);
    return respond(c, status, "application/json", s, strlen(s));
}

static long refused_clients; /* TLS clients without a certificate of the client CA */

static json_t *stats_json(void)
{
    json_t *o = json_object();
    for (int s = 0; s < GW_SERVICE_COUNT; s++)
        json_object_set_new(
            o, gw_service_id(s),
            json_pack("{s:I,s:I,s:I,s:I}", "requests", (json_int_t)stats[s].requests, "distinct",
                      (json_int_t)stats[s].distinct, "answered", (json_int_t)stats[s].answered,
                      "failed", (json_int_t)stats[s].failed));
    json_object_set_new(o, "down", json_boolean(down));
    json_object_set_new(o, "refused_clients", json_integer(refused_clients));
    return o;
}

static unsigned apply_control(const json_t *c)
{
    for (int t = 0; t < GW_SERVICE_COUNT; t++)
        if (json_is_object(json_object_get(c, TABLES[t])))
            json_object_update(json_object_get(data, TABLES[t]), json_object_get(c, TABLES[t]));
    if (json_is_integer(json_object_get(c, "fail_next")))
        fail_next = (long)json_integer_value(json_object_get(c, "fail_next"));
    if (json_is_string(json_object_get(c, "fail")))
        snprintf(fail_kind, sizeof(fail_kind), "%s", json_string_value(json_object_get(c, "fail")));
    if (json_object_get(c, "service"))
        fail_service = gw_service_from_id(json_string_value(json_object_get(c, "service")));
    if (json_is_integer(json_object_get(c, "response_delay_ms")))
        response_delay_ms = (long)json_integer_value(json_object_get(c, "response_delay_ms"));
    if (json_is_boolean(json_object_get(c, "down")))
        down = json_is_true(json_object_get(c, "down"));
    return 200;
}

/* The answer to a question about `subject`, from the data (under mu). New reference. */
static json_t *answer_for(int service, const char *subject)
{
    json_t *row = json_object_get(json_object_get(data, TABLES[service]), subject);
    switch (service) {
    case GW_PERSON:
    case GW_ENTITY: {
        json_t *a = json_is_object(row) ? json_deep_copy(row) : json_object();
        json_object_set_new(a, service == GW_PERSON ? "iin" : "bin", json_string(subject));
        json_object_set_new(a, "found", json_boolean(json_is_object(row)));
        return a;
    }
    case GW_DEBTOR_BANS:
        return json_pack("{s:s,s:o}", "iin_bin", subject, "bans",
                         json_is_array(row) ? json_deep_copy(row) : json_array());
    default:
        return json_pack("{s:s,s:o}", "iin_bin", subject, "decisions",
                         json_is_array(row) ? json_deep_copy(row) : json_array());
    }
}

typedef struct {
    sim_body_t b;
} upload_t;

static enum MHD_Result send_message(struct MHD_Connection *c, const upload_t *up)
{
    gw_incoming_t in;
    char err[256];
    size_t len = 0;
    char *xml;
    if (gw_request_parse(up->b.body ? up->b.body : "", up->b.len, &in, err, sizeof(err))) {
        xml = gw_response_xml(GW_PERSON, NULL, NULL, "SE0001", err, clock_now(), &len);
        return respond(c, 500, "text/xml; charset=utf-8", xml, len);
    }
    pthread_mutex_lock(&mu);
    stats[in.service].requests++;
    if (!json_object_get(seen, in.message_id)) {
        json_object_set_new(seen, in.message_id, json_true());
        stats[in.service].distinct++;
    }
    int fail = 0;
    if (down) {
        fail = 1;
    } else if (fail_next > 0 && (fail_service < 0 || fail_service == in.service)) {
        fail_next--;
        fail = 2;
    }
    const char *kind = fail == 1 ? "http_503" : fail_kind;
    int auth = strcmp(in.sender_id, sender_id) == 0 && strcmp(in.password, password) == 0;
    json_t *answer = !fail && auth ? answer_for(in.service, in.subject) : NULL;
    if (fail)
        stats[in.service].failed++;
    else if (answer)
        stats[in.service].answered++;
    if (json_array_size(calls) < MAX_CALLS)
        json_array_append_new(calls, json_pack("{s:s,s:s,s:s,s:s,s:s}", "message_id", in.message_id,
                                               "service", gw_service_id(in.service), "subject",
                                               in.subject, "sender", in.sender_id, "answer",
                                               fail     ? kind
                                               : answer ? "answered"
                                                        : "unauthorised"));
    long delay = response_delay_ms;
    pthread_mutex_unlock(&mu);
    /* A timeout: longer than any caller waits (but not longer than a stop). */
    long wait_ms = fail && strcmp(kind, "timeout") == 0 ? 30000 : delay;
    for (long w = 0; w < wait_ms && !sig_stop_requested(); w += 50)
        util_sleep_ms(wait_ms - w < 50 ? wait_ms - w : 50);
    unsigned status = 200;
    if (fail && (strcmp(kind, "http_500") == 0 || strcmp(kind, "http_503") == 0)) {
        status = strcmp(kind, "http_503") == 0 ? 503 : 500;
        char *b = strdup("<html><body>Service Unavailable</body></html>");
        return respond(c, status, "text/html", b, strlen(b));
    }
    if (fail && strcmp(kind, "malformed") == 0) {
        char *b = strdup("<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://"
                         "schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns2:SendMessage"
                         "Response xmlns:ns2=\"http://bip.bee.kz/SyncChannel/v10/Types\"><response>"
                         "<responseInfo><messageId>x</messageId>");
        return respond(c, 200, "text/xml; charset=utf-8", b, strlen(b));
    }
    if (fail && strcmp(kind, "answer_500") == 0) {
        /* A whole answer, but with HTTP 500: a gateway (or proxy) at odds with itself. */
        json_t *a = answer_for(in.service, in.subject);
        xml = gw_response_xml(in.service, in.message_id, a, NULL, NULL, clock_now(), &len);
        json_decref(a);
        status = 500;
    } else if (fail && strcmp(kind, "error_status") == 0) {
        json_t *none = answer_for(in.service, in.subject);
        xml =
            gw_response_xml(in.service, in.message_id, none, "SE0004",
                            "Информационная система получателя вернула ошибку", clock_now(), &len);
        json_decref(none);
    } else if (fail || !answer) {
        status = 500;
        xml = gw_response_xml(in.service, NULL, NULL, auth ? "SE0003" : "SE0002",
                              auth ? "Информационная система получателя не отвечает"
                                   : "Отправитель не прошёл аутентификацию",
                              clock_now(), &len);
    } else {
        xml = gw_response_xml(in.service, in.message_id, answer, NULL, NULL, clock_now(), &len);
    }
    json_decref(answer);
    if (!xml)
        return MHD_NO;
    return respond(c, status, "text/xml; charset=utf-8", xml, len);
}

/* On the TLS listener: whether the client showed a certificate the client CA signed. MHD
 * asks for one but leaves the check to the server (MHD_OPTION_HTTPS_MEM_TRUST). */
static int client_verified(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return 0;
    gnutls_session_t ss = (gnutls_session_t)ci->tls_session;
    unsigned n = 0, status = 1;
    if (!gnutls_certificate_get_peers(ss, &n) || n == 0)
        return 0;
    return gnutls_certificate_verify_peers2(ss, &status) == 0 && status == 0;
}

static enum MHD_Result handle(int tls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *chunk, size_t *chunk_size,
                              void **con_cls)
{
    upload_t *up = sim_upload(con_cls, sizeof(upload_t), chunk, chunk_size, MAX_BODY);
    if (!up)
        return *con_cls ? MHD_YES : MHD_NO;
    if (tls) { /* the TLS listener: SendMessage only, to a client with our CA's certificate */
        if (!client_verified(c)) {
            pthread_mutex_lock(&mu);
            refused_clients++;
            pthread_mutex_unlock(&mu);
            char *b = strdup("<html><body>403 client certificate required</body></html>");
            return respond(c, 403, "text/html", b, strlen(b));
        }
        if (strcmp(url, "/bip-sync/") != 0 || strcmp(method, "POST") != 0)
            return respond_json(c, 404, json_pack("{s:s}", "error", "no such endpoint"));
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/stats") == 0) {
        pthread_mutex_lock(&mu);
        json_t *s = stats_json();
        pthread_mutex_unlock(&mu);
        return respond_json(c, 200, s);
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/calls") == 0) {
        pthread_mutex_lock(&mu);
        json_t *s = json_deep_copy(calls);
        pthread_mutex_unlock(&mu);
        return respond_json(c, 200, s);
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/control") == 0) {
        json_t *j = json_loadb(up->b.body ? up->b.body : "", up->b.len, 0, NULL);
        pthread_mutex_lock(&mu);
        unsigned st = j ? apply_control(j) : 400;
        json_t *s = stats_json();
        pthread_mutex_unlock(&mu);
        json_decref(j);
        return respond_json(c, st, s);
    }
    if (strcmp(url, "/bip-sync/") == 0 && strcmp(method, "POST") == 0) {
        if (up->b.too_big) {
            char *b = strdup("body too large");
            return respond(c, 413, "text/plain", b, strlen(b));
        }
        return send_message(c, up);
    }
    return respond_json(c, 404, json_pack("{s:s}", "error", "no such endpoint"));
}

/* A whole file, NUL-terminated (malloc'd), or NULL. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *chunk,
                               size_t *chunk_size, void **con_cls)
{
    (void)cls;
    (void)version;
    return handle(0, c, url, method, chunk, chunk_size, con_cls);
}

static enum MHD_Result tls_handler(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *chunk,
                                   size_t *chunk_size, void **con_cls)
{
    (void)cls;
    (void)version;
    return handle(1, c, url, method, chunk, chunk_size, con_cls);
}

int main(int argc, char **argv)
{
    sim_start("registrysim");
    xmlInitParser();
    const char *data_file = NULL, *port_file = NULL, *password_file = NULL;
    const char *tls_cert = NULL, *tls_key = NULL, *tls_client_ca = NULL, *tls_port_file = NULL;
    unsigned want_port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            data_file = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            want_port = (unsigned)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--sender") == 0)
            sender_id = argv[i + 1];
        else if (strcmp(argv[i], "--password-file") == 0)
            password_file = argv[i + 1];
        else if (strcmp(argv[i], "--tls-cert") == 0)
            tls_cert = argv[i + 1];
        else if (strcmp(argv[i], "--tls-key") == 0)
            tls_key = argv[i + 1];
        else if (strcmp(argv[i], "--tls-client-ca") == 0)
            tls_client_ca = argv[i + 1];
        else if (strcmp(argv[i], "--tls-port-file") == 0)
            tls_port_file = argv[i + 1];
    }
    if (!data_file) {
        fprintf(stderr, "usage: registrysim --data FILE [--port N] [--port-file F]"
                        " [--sender ID] [--password-file F] [--tls-cert PEM --tls-key PEM"
                        " --tls-client-ca PEM --tls-port-file F]\n");
        return 2;
    }
    json_error_t jerr;
    data = json_load_file(data_file, 0, &jerr);
    if (!json_is_object(data)) {
        log_error("cannot read %s: %s", data_file, jerr.text);
        return 1;
    }
    for (int t = 0; t < GW_SERVICE_COUNT; t++)
        if (!json_is_object(json_object_get(data, TABLES[t])))
            json_object_set_new(data, TABLES[t], json_object());
    if (password_file) {
        FILE *f = fopen(password_file, "r");
        if (!f || !fgets(password, sizeof(password), f)) {
            log_error("cannot read the password file");
            return 1;
        }
        fclose(f);
        password[strcspn(password, "\r\n")] = '\0';
    }
    calls = json_array();
    seen = json_object();
    /* A thread a connection: a slow or timed-out answer holds only its own caller. */
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, (uint16_t)want_port, NULL,
        NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, sim_completed, NULL,
        MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!d) {
        log_error("cannot listen on port %u", want_port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : want_port;
    sim_write_port(port_file, port);
    log_info("simulating the e-government gateway on http://127.0.0.1:%u/bip-sync/", port);
    /* The gateway as production has it: HTTPS, and only for a client certificate of the
     * client CA (mutual TLS). The plain listener stays for /control, /stats and /calls. */
    struct MHD_Daemon *tls = NULL;
    char *cert = tls_cert ? read_file(tls_cert) : NULL, *key = tls_key ? read_file(tls_key) : NULL,
         *trust = tls_client_ca ? read_file(tls_client_ca) : NULL;
    if (tls_cert || tls_key || tls_client_ca) {
        if (!cert || !key || !trust) {
            log_error("--tls-cert, --tls-key and --tls-client-ca are needed together, readable");
            return 1;
        }
        tls = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS, 0, NULL,
            NULL, tls_handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, sim_completed, NULL,
            MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
            MHD_OPTION_HTTPS_MEM_TRUST, trust, MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
        if (!tls) {
            log_error("cannot start the TLS listener");
            return 1;
        }
        info = MHD_get_daemon_info(tls, MHD_DAEMON_INFO_BIND_PORT);
        sim_write_port(tls_port_file, info ? info->port : 0);
        log_info("and on https://127.0.0.1:%u/bip-sync/ (mutual TLS)", info ? info->port : 0);
    }
    while (!sig_stop_requested())
        util_sleep_ms(100);
    if (tls)
        MHD_stop_daemon(tls);
    free(cert);
    free(key);
    free(trust);
    MHD_stop_daemon(d);
    json_decref(data);
    json_decref(calls);
    json_decref(seen);
    xmlCleanupParser();
    log_info("stopped");
    return 0;
}
