/* docsrv: the documents issued, served as the public register of licenses is -
 *   GET /v1/documents/{number}.pdf   the PDF the notary signed
 *   GET /v1/documents/{number}.p7s   its detached CMS signature
 *   GET /v1/documents/{number}       JSON: the fields, the PDF's SHA-256, who signed, and the
 *                                    signature checked against LIC_EDS_CA_FILE
 * A license or an annex to anyone holding its number; a refusal, which names the applicant
 * and the grounds, only to a client certificate of the portal's CA (LIC_DOCUMENTS_CLIENT_CA,
 * on HTTPS: LIC_DOCUMENTS_TLS_CERT and _KEY; without them plain HTTP, and no refusal served).
 * One thread answers (libmicrohttpd's own), so one PostgreSQL connection serves them all. */
#include "config.h"
#include "db.h"
#include "docsrv_sql.h"
#include "eds.h"
#include "log.h"
#include "signals.h"
#include "util.h"
#include "worker.h"

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFIX "/v1/documents/"

static db_t *db;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

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

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               void *body, size_t len, const char *url)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    json_t *f = json_pack("{s:s,s:i,s:I}", "path", url, "status", status, "bytes", (json_int_t)len);
    log_write(status < 400 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "document request", f);
    return ret;
}

static enum MHD_Result error(struct MHD_Connection *c, unsigned status, const char *why,
                             const char *url)
{
    json_t *o = json_pack("{s:s}", "error", why);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return respond(c, status, "application/json", s, strlen(s), url);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)data;
    (void)data_size;
    (void)con_cls;
    if (strcmp(method, "GET") != 0)
        return error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only", url);
    size_t pl = strlen(PREFIX), ul = strlen(url);
    if (strncmp(url, PREFIX, pl) != 0 || ul == pl || ul - pl > 100)
        return error(c, MHD_HTTP_NOT_FOUND, "GET /v1/documents/{number}[.pdf|.p7s]", url);
    char number[128];
    snprintf(number, sizeof(number), "%s", url + pl);
    size_t nl = strlen(number);
    int want = 0; /* 0 JSON, 1 PDF, 2 signature */
    if (nl > 4 && strcmp(number + nl - 4, ".pdf") == 0)
        want = 1;
    else if (nl > 4 && strcmp(number + nl - 4, ".p7s") == 0)
        want = 2;
    else if (nl > 5 && strcmp(number + nl - 5, ".json") == 0)
        number[nl - 5] = '\0';
    if (want)
        number[nl - 4] = '\0';
    db_rc_t rc;
    const char *p[] = {number};
    PGresult *r = db_query(db, sql_document_select_issued_documents, 1, p, &rc);
    if (!r) {
        db_reconnect(db);
        return error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the register cannot be read now", url);
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return error(c, MHD_HTTP_NOT_FOUND, "no document of that number", url);
    }
    if (strcmp(PQgetvalue(r, 0, 0), "refusal") == 0 && !client_verified(c)) {
        PQclear(r);
        return error(c, MHD_HTTP_FORBIDDEN,
                     "a refusal is served to the portal only (its client certificate)", url);
    }
    int is_signed = !PQgetisnull(r, 0, 4);
    enum MHD_Result ret;
    if (want && !is_signed) {
        ret = error(c, MHD_HTTP_NOT_FOUND, "not signed yet", url);
    } else if (want) {
        size_t n = 0;
        unsigned char *b = util_hex_decode(PQgetvalue(r, 0, want == 1 ? 4 : 5), &n);
        ret = b ? respond(c, MHD_HTTP_OK,
                          want == 1 ? "application/pdf" : "application/pkcs7-signature", b, n, url)
                : error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", url);
    } else {
        json_t *body = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
        json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:o*}", "number", number, "kind",
                              PQgetvalue(r, 0, 0), "version", atoi(PQgetvalue(r, 0, 1)),
                              "issued_at", PQgetvalue(r, 0, 3), "document", body);
        if (is_signed) {
            size_t n = 0, sn = 0;
            unsigned char *pdf = util_hex_decode(PQgetvalue(r, 0, 4), &n),
                          *sig = util_hex_decode(PQgetvalue(r, 0, 5), &sn);
            const char *ca = cfg_get("EDS_CA_FILE");
            char check[600] = "not checked (LIC_EDS_CA_FILE is not set)";
            if (ca && *ca && pdf && sig) {
                char err[512];
                es_who_t who;
                snprintf(check, sizeof(check), "%s",
                         es_verify(pdf, n, sig, sn, ca, &who, err, sizeof(err)) == 0 ? "valid"
                                                                                     : err);
            }
            json_object_set_new(o, "pdf_sha256", json_string(PQgetvalue(r, 0, 6)));
            json_object_set_new(o, "signature",
                                json_pack("{s:{s:s,s:s,s:s},s:s,s:s}", "signer", "name",
                                          PQgetvalue(r, 0, 7), "iin", PQgetvalue(r, 0, 8),
                                          "certificate_serial", PQgetvalue(r, 0, 9), "signed_at",
                                          PQgetvalue(r, 0, 10), "check", check));
            free(pdf);
            free(sig);
        }
        json_object_set_new(o, "signed", json_boolean(is_signed));
        char *s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        ret = respond(c, MHD_HTTP_OK, "application/json", s, strlen(s), url);
    }
    PQclear(r);
    return ret;
}

int main(void)
{
    wk_init("docsrv");
    int rc;
    db = wk_open_db("lic-docsrv", &rc);
    if (!db)
        return wk_exit(rc);
    unsigned port = (unsigned)cfg_get_long("DOCUMENTS_PORT", 8443);
    const char *cert_f = cfg_get("DOCUMENTS_TLS_CERT"), *key_f = cfg_get("DOCUMENTS_TLS_KEY"),
               *ca_f = cfg_get("DOCUMENTS_CLIENT_CA");
    char *cert = cert_f && *cert_f ? read_file(cert_f) : NULL,
         *key = key_f && *key_f ? read_file(key_f) : NULL,
         *trust = ca_f && *ca_f ? read_file(ca_f) : NULL;
    struct MHD_Daemon *d;
    if ((cert_f && *cert_f) || (key_f && *key_f)) {
        if (!cert || !key) {
            log_error("LIC_DOCUMENTS_TLS_CERT and _KEY are needed together, readable");
            db_close(db);
            return wk_exit(2);
        }
        d = trust ? MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, (uint16_t)port,
                                     NULL, NULL, handle, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert,
                                     MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_TRUST,
                                     trust, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END)
                  : MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, (uint16_t)port,
                                     NULL, NULL, handle, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert,
                                     MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_CONNECTION_TIMEOUT,
                                     30u, MHD_OPTION_END);
    } else {
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handle,
                             NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    }
    if (!d) {
        log_error("cannot listen on port %u", port);
        db_close(db);
        return wk_exit(2);
    }
    log_info("serving documents on %s://127.0.0.1:%u%s", cert ? "https" : "http", port, PREFIX);
    const struct timespec tick = {0, 100 * 1000 * 1000};
    while (!sig_stop_requested())
        nanosleep(&tick, NULL);
    MHD_stop_daemon(d);
    free(cert);
    free(key);
    free(trust);
    db_close(db);
    log_info("stopped");
    return wk_exit(0);
}
