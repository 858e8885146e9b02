/* approvalctl document: a document issued as its form's PDF, signed with the head's key, and
 * a signature checked as anyone receiving the document would. */
#include "approvalctl.h"
#include "approvalctl_sql.h"
#include "config.h"
#include "db.h"
#include "render.h"
#include "eds.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_all(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) {
        if (f)
            fclose(f);
        fprintf(stderr, "approvalctl document: cannot write %s\n", path);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16;
    unsigned char *b = malloc(cap);
    *n = 0;
    size_t got;
    while (b && (got = fread(b + *n, 1, cap - *n, f)) > 0) {
        *n += got;
        if (*n == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    fclose(f);
    return b;
}

/* render NUMBER --pdf OUT [--p7s OUT --key P12 --password-file F]: the latest version of the
 * document, rendered (and signed). */
static int render(int argc, char **argv)
{
    const char *pdf_out = ctl_option(argc, argv, "--pdf"),
               *p7s_out = ctl_option(argc, argv, "--p7s"), *key = ctl_option(argc, argv, "--key"),
               *pass = ctl_option(argc, argv, "--password-file");
    if (argc < 1 || !pdf_out || (p7s_out && (!key || !pass))) {
        fprintf(stderr, "approvalctl document render NUMBER --pdf OUT"
                        " [--p7s OUT --key P12 --password-file F]\n");
        return 2;
    }
    char err[512];
    db_t *db = ctl_open_db();
    if (!db)
        return 1;
    db_rc_t rc;
    const char *p[] = {argv[0]};
    PGresult *r = db_query(db, sql_cmd_document_select_issued_documents, 1, p, &rc);
    json_t *doc = r && PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    int found = r && PQntuples(r) == 1;
    PQclear(r);
    db_close(db);
    if (!doc) {
        fprintf(stderr, "approvalctl document: %s\n",
                found ? "its body is not JSON" : "no document of that number");
        return 1;
    }
    char url[400];
    rd_verify_url(cfg_get("DOCUMENTS_BASE_URL"), argv[0], url, sizeof(url));
    unsigned char *pdf = NULL, *p7s = NULL;
    size_t len = 0, slen = 0;
    int status = 1;
    es_signer_t *s = NULL;
    if (rd_render_pdf(doc, url, &pdf, &len, err, sizeof(err))) {
        fprintf(stderr, "approvalctl document: %s\n", err);
    } else if (write_all(pdf_out, pdf, len) == 0) {
        status = 0;
        if (p7s_out) {
            s = es_signer_load(key, pass, err, sizeof(err));
            if (!s || es_sign(s, pdf, len, &p7s, &slen, err, sizeof(err)) ||
                write_all(p7s_out, p7s, slen)) {
                fprintf(stderr, "approvalctl document: %s\n", err);
                status = 1;
            } else {
                printf("signed by %s (IIN %s, certificate %s)\n", es_signer_who(s)->name,
                       es_signer_who(s)->iin, es_signer_who(s)->serial);
            }
        }
    }
    es_signer_free(s);
    free(pdf);
    free(p7s);
    json_decref(doc);
    return status;
}

/* The signed row of `number`: its columns (see cmd_document_select_signed.sql), or NULL with
 * the reason printed. */
static PGresult *signed_row(db_t *db, const char *number)
{
    db_rc_t rc;
    const char *p[] = {number};
    PGresult *r = db_query(db, sql_cmd_document_select_signed, 1, p, &rc);
    if (r && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 6), "t") == 0)
        return r;
    if (!r || PQntuples(r) != 1)
        fprintf(stderr, "approvalctl document: no document of that number\n");
    else
        fprintf(stderr, "approvalctl document: %s is not signed%s%s\n", number,
                *PQgetvalue(r, 0, 7) ? ": " : " yet (the notary signs it)", PQgetvalue(r, 0, 7));
    PQclear(r);
    return NULL;
}

/* get NUMBER --pdf OUT [--p7s OUT]: the document as stored, signed. */
static int get(int argc, char **argv)
{
    const char *pdf_out = ctl_option(argc, argv, "--pdf"),
               *p7s_out = ctl_option(argc, argv, "--p7s");
    if (argc < 1 || !pdf_out) {
        fprintf(stderr, "approvalctl document get NUMBER --pdf OUT [--p7s OUT]\n");
        return 2;
    }
    db_t *db = ctl_open_db();
    if (!db)
        return 1;
    PGresult *r = signed_row(db, argv[0]);
    int status = 1;
    if (r) {
        size_t n = 0, sn = 0;
        unsigned char *pdf = util_hex_decode(PQgetvalue(r, 0, 0), &n),
                      *p7s = util_hex_decode(PQgetvalue(r, 0, 1), &sn);
        if (pdf && p7s && write_all(pdf_out, pdf, n) == 0 &&
            (!p7s_out || write_all(p7s_out, p7s, sn) == 0)) {
            printf("%s: SHA-256 %s, signed by %s (IIN %s, certificate %s)\n", argv[0],
                   PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4),
                   PQgetvalue(r, 0, 5));
            status = 0;
        }
        free(pdf);
        free(p7s);
        PQclear(r);
    }
    db_close(db);
    return status;
}

/* verify PDF P7S --ca CA.pem: exit 0 and the signer when the signature holds. */
static int verify(int argc, char **argv)
{
    const char *ca = ctl_option(argc, argv, "--ca");
    if (argc < 2 || !ca) {
        fprintf(stderr, "approvalctl document verify PDF P7S --ca CA.pem\n");
        return 2;
    }
    size_t n, sn;
    unsigned char *pdf = read_all(argv[0], &n), *p7s = read_all(argv[1], &sn);
    int status = 1;
    char err[512];
    es_who_t who;
    if (!pdf || !p7s)
        fprintf(stderr, "approvalctl document verify: cannot read %s\n", pdf ? argv[1] : argv[0]);
    else if (es_verify(pdf, n, p7s, sn, ca, &who, err, sizeof(err)))
        fprintf(stderr, "approvalctl document verify: %s\n", err);
    else {
        printf("signature valid: %s (IIN %s, certificate %s)\n", who.name, who.iin, who.serial);
        status = 0;
    }
    /* --number N: and the PDF is the one the register holds under that number. */
    const char *number = ctl_option(argc, argv, "--number");
    if (status == 0 && number) {
        char hex[65];
        const char *h = util_sha256_hex(pdf, n, hex) == 0 ? hex : NULL;
        db_t *db = ctl_open_db();
        PGresult *r = db ? signed_row(db, number) : NULL;
        if (!r || !h || strcmp(PQgetvalue(r, 0, 2), h) != 0) {
            if (r)
                fprintf(stderr,
                        "approvalctl document verify: not the PDF stored as %s (its "
                        "SHA-256 is %s)\n",
                        number, PQgetvalue(r, 0, 2));
            status = 1;
        } else {
            printf("the PDF stored as %s (SHA-256 %s)\n", number, h);
        }
        PQclear(r);
        db_close(db);
    }
    free(pdf);
    free(p7s);
    return status;
}

int cmd_document(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "render") == 0)
        return render(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "get") == 0)
        return get(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "verify") == 0)
        return verify(argc - 1, argv + 1);
    fprintf(stderr, "approvalctl document render|get|verify ...\n");
    return 2;
}
