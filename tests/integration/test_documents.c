/* The documents people receive (issue #28), end to end: an application licensed through the
 * workers, its license and annex rendered by `approvalctl document render` as the forms' PDF
 * and signed with the head's PKCS#12 key, then checked as anyone would - `approvalctl document
 * verify` and `openssl cms -verify` accept it, a changed byte does not pass. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "itest.h"

static const char *const WORKERS[] = {"intake", "registries", "relay",  "dispatcher", "replies",
                                      "timer",  "decider",    "notary", NULL};

/* Runs a shell command in the test's directory: its exit status, its output in out. */
static int run(char *out, size_t size, const char *fmt, ...)
{
    char cmd[4096];
    int n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", env->workdir);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
    va_end(ap);
    snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") 2>&1");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, size - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The head's key as the national centre issues it: a PKCS#12 file (head.p12, its password in
 * head.pass) under a test CA (ca.pem), in the test's directory. */
static void head_key(char *out, size_t size)
{
    assert_int_equal(
        run(out, size,
            "openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca.key -out ca.pem"
            " -subj '/C=KZ/CN=Test NCA' -addext basicConstraints=critical,CA:TRUE"
            " && openssl req -newkey rsa:2048 -nodes -keyout head.key.pem -out head.csr -utf8"
            " -subj '/C=KZ/CN=ЖАҚСЫБЕКОВ ЕРЛАН/serialNumber=IIN800101300123'"
            " && openssl x509 -req -in head.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
            " -days 30 -out head.pem && printf 'secret\\n' > head.pass"
            " && openssl pkcs12 -export -inkey head.key.pem -in head.pem -out head.p12"
            " -passout pass:secret"),
        0);
}

static void license_rendered_signed_verified(void **state)
{
    (void)state;
    env = h_setup("documents_license");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    h_start_sim(env);
    for (int i = 0; WORKERS[i]; i++)
        h_spawn(env, WORKERS[i], NULL);
    const char *id = "d0000000-0000-4000-8000-000000000001";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, "portal.applications.v1", ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));

    static char out[1 << 16];
    head_key(out, sizeof(out));
    const char *bin = getenv("LIC_TEST_BIN_DIR");
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document render KPR-L-2026-000001 --pdf license.pdf"
                         " --p7s license.p7s --key head.p12 --password-file head.pass",
                         bin),
                     0);
    assert_non_null(strstr(out, "signed by ЖАҚСЫБЕКОВ ЕРЛАН (IIN 800101300123"));
    assert_int_equal(run(out, sizeof(out), "pdftotext -enc UTF-8 license.pdf - | tr -d ' \\n'"), 0);
    assert_non_null(strstr(out, "KPR-L-2026-000001"));
    assert_non_null(strstr(out, "ТОО«ҚарағандыКөмір»"));
    assert_non_null(strstr(out, "070340001239"));
    assert_non_null(strstr(out, "ЖақсыбековЕрланМаратұлы"));
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document verify license.pdf license.p7s --ca ca.pem",
                         bin),
                     0);
    assert_non_null(strstr(out, "signature valid: ЖАҚСЫБЕКОВ ЕРЛАН (IIN 800101300123"));
    assert_int_equal(run(out, sizeof(out),
                         "openssl cms -verify -binary -inform DER -in license.p7s"
                         " -content license.pdf -CAfile ca.pem -out /dev/null"),
                     0);
    /* One byte changed: not the document the head signed. */
    assert_int_equal(run(out, sizeof(out),
                         "cp license.pdf changed.pdf && printf 'X' | dd of=changed.pdf bs=1"
                         " seek=200 conv=notrunc 2>/dev/null"),
                     0);
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document verify changed.pdf license.p7s --ca ca.pem",
                         bin),
                     1);
    assert_non_null(strstr(out, "does not verify"));

    /* The annex, with the sub-activities as ¶2 words them. */
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document render KPR-L-2026-000001/1 --pdf annex.pdf"
                         " && pdftotext -enc UTF-8 annex.pdf - | tr -d ' \\n'",
                         bin),
                     0);
    assert_non_null(strstr(out, "KPR-L-2026-000001/1"));
    assert_non_null(strstr(out, "пайдалықазбалардыөндіруүшінжаружұмыстарынжүргізу"));
    assert_int_equal(
        run(out, sizeof(out), "'%s/approvalctl' document render KPR-X --pdf x.pdf", bin), 1);
}

/* The notary: every document of the result rendered, signed with the head's key and stored
 * (PDF, SHA-256, signature, who signed), once, by two notaries running at once;
 * `approvalctl document get` gives them back and `document verify --number` checks the PDF
 * against the register's SHA-256; a document that cannot be rendered is set aside with an
 * incident, the others signed. */
static void notary_signs_and_stores(void **state)
{
    (void)state;
    env = h_setup("documents_notary");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    static char out[1 << 16];
    head_key(out, sizeof(out));
    char key[700], pass[700];
    snprintf(key, sizeof(key), "%s/head.p12", env->workdir);
    snprintf(pass, sizeof(pass), "%s/head.pass", env->workdir);
    setenv("LIC_HEAD_KEY_FILE", key, 1);
    setenv("LIC_HEAD_KEY_PASSWORD_FILE", pass, 1);
    h_start_sim(env);
    for (int i = 0; WORKERS[i]; i++)
        if (strcmp(WORKERS[i], "notary") != 0)
            h_spawn(env, WORKERS[i], NULL);
    const char *id = "d0000000-0000-4000-8000-000000000002";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, "portal.applications.v1", ev), 0);
    json_decref(ev);
    /* Decided, its event held for the signatures: every other event is published. */
    assert_true(wait_q(1, 40000,
                       "SELECT count(*) FROM applications WHERE application_id = '%s'"
                       " AND stage = 'license_issued'",
                       id));
    assert_true(wait_q(1, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    assert_str(qs("SELECT stage || ' ' || held_by FROM outbox WHERE sent_at IS NULL"),
               "license_issued notary");
    h_spawn(env, "notary", NULL);
    h_spawn(env, "notary", NULL);
    assert_true(wait_q(2, 40000,
                       "SELECT count(*) FROM issued_documents WHERE application_id = '%s'"
                       " AND signed_at IS NOT NULL",
                       id));
    assert_str(qs("SELECT string_agg(number || ' ' || signer_iin || ' ' || length(pdf_sha256),"
                  " ',' ORDER BY id) FROM issued_documents WHERE application_id = '%s'",
                  id),
               "KPR-L-2026-000001 800101300123 64,KPR-L-2026-000001/1 800101300123 64");
    assert_int_equal(q("SELECT count(*) FROM issued_documents"
                       " WHERE pdf_sha256 = encode(sha256(pdf), 'hex')"),
                     2);
    /* The event, released: each document with its signed PDF's address, SHA-256 and
     * signature - the signature the register holds, over the PDF it serves. */
    json_t *msgs = published_status(64, 5000);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    json_t *issued = NULL, *m;
    size_t i;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        json_t *data = json_object_get(v, "data");
        if (strcmp(json_string_value(json_object_get(data, "stage")), "license_issued") == 0)
            issued = json_incref(json_object_get(data, "detail"));
        json_decref(v);
    }
    assert_non_null(issued);
    json_t *license_signed = json_object_get(json_object_get(issued, "license"), "signed");
    json_t *annex_signed = json_object_get(json_object_get(issued, "annex"), "signed");
    const char *sig = json_string_value(json_object_get(annex_signed, "signature"));
    assert_non_null(sig);
    assert_str(qs("SELECT pdf_sha256 FROM issued_documents WHERE number = 'KPR-L-2026-000001/1'"),
               json_string_value(json_object_get(annex_signed, "sha256")));
    assert_string_equal(json_string_value(json_object_get(annex_signed, "pdf")),
                        "https://elicense.kz/v1/documents/KPR-L-2026-000001/1.pdf");
    assert_non_null(license_signed);
    assert_str(qs("SELECT pdf_sha256 FROM issued_documents WHERE number = 'KPR-L-2026-000001'"),
               json_string_value(json_object_get(license_signed, "sha256")));
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | base64 -d > event.p7s", sig);
    assert_int_equal(run(out, sizeof(out), "%s", cmd), 0);
    const char *bin = getenv("LIC_TEST_BIN_DIR");
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document get KPR-L-2026-000001/1 --pdf annex.pdf"
                         " --p7s annex.p7s && cmp event.p7s annex.p7s",
                         bin),
                     0);
    json_decref(issued);
    json_decref(msgs);
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document verify annex.pdf annex.p7s --ca ca.pem"
                         " --number KPR-L-2026-000001/1",
                         bin),
                     0);
    assert_non_null(strstr(out, "the PDF stored as KPR-L-2026-000001/1"));
    assert_int_equal(run(out, sizeof(out),
                         "openssl cms -verify -binary -inform DER -in annex.p7s"
                         " -content annex.pdf -CAfile ca.pem -out /dev/null"),
                     0);
    /* A license's PDF is not the annex's, though the head signed both. */
    assert_int_equal(run(out, sizeof(out),
                         "'%s/approvalctl' document get KPR-L-2026-000001 --pdf license.pdf"
                         " --p7s license.p7s && '%s/approvalctl' document verify license.pdf"
                         " license.p7s --ca ca.pem --number KPR-L-2026-000001/1",
                         bin, bin),
                     1);
    assert_non_null(strstr(out, "not the PDF stored as KPR-L-2026-000001/1"));

    /* A document no form exists for is set aside with an incident; the queue goes on. */
    char sql[600];
    snprintf(sql, sizeof(sql),
             "INSERT INTO issued_documents (application_id, kind, number, year, seq, issued_at,"
             " body, version) VALUES ('%s', 'refusal', 'KPR-R-2026-999999', 2026, 999999, now(),"
             " '{\"document\": \"unknown\"}', 1)",
             id);
    h_exec(env, sql);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM incidents WHERE kind = 'document_not_signed'"
                       " AND ref = 'KPR-R-2026-999999'"));
    assert_str(qs("SELECT sign_error FROM issued_documents WHERE number = 'KPR-R-2026-999999'"),
               "no form for a document of kind 'unknown'");
    assert_int_equal(
        run(out, sizeof(out), "'%s/approvalctl' document get KPR-R-2026-999999 --pdf x.pdf", bin),
        1);
    unsetenv("LIC_HEAD_KEY_FILE");
    unsetenv("LIC_HEAD_KEY_PASSWORD_FILE");
}

/* docsrv: a license's PDF and signature to anyone holding its number, byte for byte as stored,
 * its JSON with the signature checked; a refusal only to the portal's client certificate
 * (mutual TLS); an unknown number 404. */
static void documents_served_as_the_register(void **state)
{
    (void)state;
    env = h_setup("documents_served");
    h_clock_freeze(env, "2026-03-16T10:00:07+05:00");
    static char out[1 << 16];
    /* One test CA for the national centre (the head's key), the server and the portal. */
    assert_int_equal(
        run(out, sizeof(out),
            "openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca.key -out ca.pem"
            " -subj '/C=KZ/CN=Test CA' -addext basicConstraints=critical,CA:TRUE 2>/dev/null"
            " && for who in head server portal; do"
            "   openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -utf8"
            "   -subj \"/C=KZ/CN=$who/serialNumber=IIN800101300123\" 2>/dev/null"
            "   && printf 'subjectAltName=IP:127.0.0.1\\n' > $who.ext"
            "   && openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
            "   -days 30 -extfile $who.ext -out $who.pem 2>/dev/null || exit 1; done"
            " && printf 'secret\\n' > head.pass && openssl pkcs12 -export -inkey head.key"
            " -in head.pem -out head.p12 -passout pass:secret"),
        0);
    char path[800], port_s[16];
    unsigned port = h_free_port();
    snprintf(port_s, sizeof(port_s), "%u", port);
    const char *files[][2] = {
        {"LIC_HEAD_KEY_FILE", "head.p12"},        {"LIC_HEAD_KEY_PASSWORD_FILE", "head.pass"},
        {"LIC_DOCUMENTS_TLS_CERT", "server.pem"}, {"LIC_DOCUMENTS_TLS_KEY", "server.key"},
        {"LIC_DOCUMENTS_CLIENT_CA", "ca.pem"},    {"LIC_EDS_CA_FILE", "ca.pem"}};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", env->workdir, files[i][1]);
        setenv(files[i][0], path, 1);
    }
    setenv("LIC_DOCUMENTS_PORT", port_s, 1);
    h_start_sim(env);
    for (int i = 0; WORKERS[i]; i++)
        h_spawn(env, WORKERS[i], NULL);
    h_spawn(env, "docsrv", NULL);
    const char *id = "d0000000-0000-4000-8000-000000000003",
               *incomplete = "d0000000-0000-4000-8000-000000000004";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, "portal.applications.v1", ev), 0);
    json_decref(ev);
    ev = h_submission(incomplete, h_uuid(), NULL);
    json_object_set_new(json_object_get(ev, "data"), "portal_ref", json_string("KZ-EL-2"));
    json_array_remove(json_object_get(json_object_get(ev, "data"), "documents"), 1);
    assert_int_equal(h_produce_event(env, "portal.applications.v1", ev), 0);
    json_decref(ev);
    assert_true(
        wait_q(3, 40000, "SELECT count(*) FROM issued_documents WHERE signed_at IS NOT NULL"));
    const char *bin = getenv("LIC_TEST_BIN_DIR");
    char base[100];
    snprintf(base, sizeof(base), "https://127.0.0.1:%u/v1/documents", port);
    /* Up once it answers (a bounded wait for its listener). */
    assert_int_equal(run(out, sizeof(out),
                         "for i in $(seq 1 100); do curl -sf --cacert ca.pem %s/KPR-L-2026-000001"
                         " -o /dev/null && exit 0; sleep 0.1; done; exit 1",
                         base),
                     0);
    assert_int_equal(run(out, sizeof(out),
                         "curl -sf --cacert ca.pem %s/KPR-L-2026-000001.pdf -o served.pdf"
                         " && curl -sf --cacert ca.pem %s/KPR-L-2026-000001.p7s -o served.p7s"
                         " && '%s/approvalctl' document get KPR-L-2026-000001 --pdf stored.pdf"
                         " --p7s stored.p7s >/dev/null && cmp served.pdf stored.pdf"
                         " && cmp served.p7s stored.p7s"
                         " && openssl cms -verify -binary -inform DER -in served.p7s"
                         " -content served.pdf -CAfile ca.pem -out /dev/null",
                         base, base, bin),
                     0);
    assert_int_equal(run(out, sizeof(out), "curl -sf --cacert ca.pem %s/KPR-L-2026-000001/1", base),
                     0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "annex");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "signature"), "check")), "valid");
    assert_int_equal(strlen(json_string_value(json_object_get(j, "pdf_sha256"))), 64);
    json_decref(j);
    /* The refusal names the applicant: not without the portal's certificate. */
    assert_int_equal(run(out, sizeof(out),
                         "curl -s --cacert ca.pem -o /dev/null -w '%%{http_code}'"
                         " %s/KPR-R-2026-000001.pdf",
                         base),
                     0);
    assert_string_equal(out, "403");
    assert_int_equal(
        run(out, sizeof(out),
            "curl -s --cacert ca.pem --cert portal.pem --key portal.key -o refusal.pdf"
            " -w '%%{http_code}' %s/KPR-R-2026-000001.pdf && pdftotext -enc UTF-8 refusal.pdf -"
            " | grep -q 'МОТИВИРОВАННЫЙ'",
            base),
        0);
    assert_non_null(strstr(out, "200"));
    assert_int_equal(run(out, sizeof(out),
                         "curl -s --cacert ca.pem -o /dev/null -w '%%{http_code}' %s/KPR-X-1",
                         base),
                     0);
    assert_string_equal(out, "404");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unsetenv(files[i][0]);
    unsetenv("LIC_DOCUMENTS_PORT");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(license_rendered_signed_verified, teardown),
        cmocka_unit_test_teardown(notary_signs_and_stores, teardown),
        cmocka_unit_test_teardown(documents_served_as_the_register, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("documents", tests, NULL, NULL);
}
