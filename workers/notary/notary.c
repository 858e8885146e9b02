/* notary: see notary.h. */
#include "notary.h"
#include "notary_sql.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "eds.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "util.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documents a round signs: ~8 ms each, so a round's locks last ~0.1 s. */
#define ROUND_MAX 16

struct notary {
    db_t *db;
    es_signer_t *signer;
};

static es_signer_t *load_key(char *err, size_t err_size)
{
    const char *key = cfg_get("HEAD_KEY_FILE"), *pass = cfg_get("HEAD_KEY_PASSWORD_FILE");
    if (!key || !*key || !pass || !*pass) {
        snprintf(err, err_size,
                 "LIC_HEAD_KEY_FILE and LIC_HEAD_KEY_PASSWORD_FILE must name the "
                 "head's PKCS#12 key and its password file");
        return NULL;
    }
    return es_signer_load(key, pass, err, err_size);
}

notary_t *notary_new(db_t *db, char *errstr, size_t errstr_size)
{
    notary_t *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->db = db;
    n->signer = load_key(errstr, errstr_size);
    if (!n->signer) {
        free(n);
        return NULL;
    }
    const es_who_t *w = es_signer_who(n->signer);
    log_info("signing as %s (certificate %s)", w->name, w->serial);
    return n;
}

void notary_free(notary_t *n)
{
    if (!n)
        return;
    es_signer_free(n->signer);
    free(n);
}

/* One document rendered and signed: its row's columns in p[1..7] (hex and text, to be freed
 * by the caller: p[1], p[3]). 0, or -1 with the reason (the document's own fault: set aside). */
static int sign_one(notary_t *n, const char *number, const char *body, char *sha, const char **p,
                    char *err, size_t err_size)
{
    json_t *doc = json_loads(body, 0, NULL);
    if (!doc) {
        snprintf(err, err_size, "the document's body is not JSON");
        return -1;
    }
    char url[400];
    rd_verify_url(cfg_get("DOCUMENTS_BASE_URL"), number, url, sizeof(url));
    unsigned char *pdf = NULL, *p7s = NULL;
    size_t len = 0, slen = 0;
    int rc = rd_render_pdf(doc, url, &pdf, &len, err, err_size);
    json_decref(doc);
    if (rc == 0)
        rc = es_sign(n->signer, pdf, len, &p7s, &slen, err, err_size);
    if (rc == 0) {
        util_sha256_hex(pdf, len, sha);
        p[1] = util_hex_encode(pdf, len);
        p[3] = util_hex_encode(p7s, slen);
        if (!p[1] || !p[3] || !sha[0]) {
            snprintf(err, err_size, "out of memory");
            rc = -2; /* not the document's fault */
        }
    }
    free(pdf);
    free(p7s);
    return rc;
}

/* The signed PDF of `doc` (a document of the event's detail) from the application's signed
 * documents `sg`: its address, SHA-256 and signature (CONTRACT.md, license_issued). */
static void attach_signed(json_t *doc, PGresult *sg)
{
    const char *number = json_string_value(json_object_get(doc, "number"));
    if (!number)
        return;
    for (int i = 0; i < PQntuples(sg); i++) {
        if (strcmp(PQgetvalue(sg, i, 0), number) != 0)
            continue;
        char url[400], pdf[420], at[40];
        cal_format((time_t)atoll(PQgetvalue(sg, i, 5)), at, sizeof(at));
        rd_verify_url(cfg_get("DOCUMENTS_BASE_URL"), number, url, sizeof(url));
        snprintf(pdf, sizeof(pdf), "%s.pdf", url);
        json_object_set_new(
            doc, "signed",
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s}", "address", url, "pdf", pdf, "sha256",
                      PQgetvalue(sg, i, 1), "signature", PQgetvalue(sg, i, 2), "signature_format",
                      "CMS SignedData (CAdES-BES), detached, DER, base64", "signer", "name",
                      PQgetvalue(sg, i, 3), "serial", PQgetvalue(sg, i, 4), "signed_at", at));
    }
}

/* Releases the application's result events held for signatures (migration 033) once all its
 * documents are signed, each with its documents' signed PDFs added to its detail. */
static db_rc_t release_held(notary_t *n, const char *application_id)
{
    const char *p[] = {application_id};
    db_rc_t rc = db_exec(n->db, sql_release_lock, 1, p);
    if (rc != DB_OK)
        return rc;
    PGresult *held = db_query(n->db, sql_held, 1, p, &rc);
    if (!held)
        return rc;
    PGresult *sg = PQntuples(held) > 0 ? db_query(n->db, sql_signed, 1, p, &rc) : NULL;
    for (int i = 0; sg && i < PQntuples(held) && rc == DB_OK; i++) {
        json_t *ev = json_loads(PQgetvalue(held, i, 1), 0, NULL);
        json_t *detail = json_object_get(json_object_get(ev, "data"), "detail");
        static const char *const docs[] = {"license", "annex", "document"};
        for (size_t k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
            json_t *d = json_object_get(detail, docs[k]);
            if (json_is_object(d))
                attach_signed(d, sg);
        }
        size_t j;
        json_t *d;
        json_array_foreach(json_object_get(detail, "annexes"), j, d) /* a re-registration's */
        {
            if (json_is_object(d))
                attach_signed(d, sg);
        }
        char *text = ev ? jx_dumps(ev) : NULL;
        json_decref(ev);
        if (!text) {
            rc = DB_ERR_RETRY;
            break;
        }
        const char *pr[] = {PQgetvalue(held, i, 0), text};
        rc = db_exec(n->db, sql_release, 2, pr);
        free(text);
    }
    if (PQntuples(held) > 0 && !sg)
        rc = rc == DB_OK ? DB_ERR_RETRY : rc;
    PQclear(sg);
    PQclear(held);
    return rc;
}

int notary_round(notary_t *n, int max)
{
    db_rc_t rc = db_begin(n->db);
    if (rc != DB_OK)
        return rc;
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", max);
    const char *pl[] = {lim};
    PGresult *r = db_query(n->db, sql_claim, 1, pl, &rc);
    if (!r) {
        db_rollback(n->db);
        return rc;
    }
    time_t now = clock_now();
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    const es_who_t *who = es_signer_who(n->signer);
    int signed_n = 0;
    for (int i = 0; i < PQntuples(r) && rc == DB_OK; i++) {
        const char *id = PQgetvalue(r, i, 0), *number = PQgetvalue(r, i, 1);
        char sha[65] = "", err[512];
        const char *p[8] = {id, NULL, sha, NULL, who->name, who->iin, who->serial, now_s};
        int s = sign_one(n, number, PQgetvalue(r, i, 2), sha, p, err, sizeof(err));
        if (s == 0) {
            rc = db_exec(n->db, sql_store, 8, p);
            if (rc == DB_OK)
                rc = release_held(n, PQgetvalue(r, i, 3));
            signed_n++;
        } else if (s == -1) {
            log_error("document %s set aside: %s", number, err);
            const char *pa[] = {id, err, now_s};
            rc = db_exec(n->db, sql_set_aside, 3, pa);
        } else {
            rc = DB_ERR_RETRY;
        }
        free((char *)p[1]);
        free((char *)p[3]);
    }
    PQclear(r);
    rc = db_end(n->db, rc);
    return rc == DB_OK ? signed_n : rc;
}

static int round_cb(void *opaque, int anew)
{
    (void)anew; /* every round reads what is waiting */
    notary_t *n = opaque;
    int k = notary_round(n, ROUND_MAX);
    if (k > 0) {
        mt_add("lic_documents_signed_total", NULL, k);
        log_info("signed %d document%s", k, k == 1 ? "" : "s");
    }
    return k;
}

static void reload(void *opaque)
{
    notary_t *n = opaque;
    char err[512];
    es_signer_t *s = load_key(err, sizeof(err));
    if (!s) {
        log_error("the key was not reloaded, the old one signs on: %s", err);
        return;
    }
    es_signer_free(n->signer);
    n->signer = s;
    log_info("signing as %s (certificate %s)", es_signer_who(s)->name, es_signer_who(s)->serial);
}

int notary_run(notary_t *n)
{
    log_info("signing documents");
    mt_declare("lic_documents_signed_total", MT_COUNTER,
               "Issued documents rendered as PDF and signed with the head's key.");
    wk_loop_t loop = {.channel = "lic_notary",
                      .opaque = n,
                      .round = round_cb,
                      .again_at_once = 1,
                      .reload = reload};
    wk_loop(n->db, &loop);
    log_info("stopping");
    return 0;
}
