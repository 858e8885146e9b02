/* eds: the head's detached CMS signature over a document's PDF, with keys in PKCS#12 files as
 * the national certifying centre issues them (made here by the openssl tool under a test CA):
 * it verifies with es_verify() and with `openssl cms -verify`, names its signer, carries the
 * CAdES-BES attributes, and fails for a changed byte or a key the CA did not certify. The
 * person replacing the head signs the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "eds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

/* A CA `ca`, and `who` certified by it in who.p12 (password in who.pass). */
static void make_ca(const char *ca)
{
    sh("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout %s.key -out %s.pem"
       " -subj '/C=KZ/O=Test NCA/CN=%s' -addext basicConstraints=critical,CA:TRUE"
       " -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null",
       dir, ca, ca, ca);
}

static void make_signer(const char *ca, const char *who, const char *subject)
{
    sh("cd %s && openssl req -newkey rsa:2048 -nodes -keyout %s.key -out %s.csr -utf8"
       " -subj '%s' 2>/dev/null"
       " && printf 'keyUsage=critical,digitalSignature,nonRepudiation\\n' > %s.ext"
       " && openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -CAcreateserial -days 30"
       " -extfile %s.ext -out %s.pem 2>/dev/null"
       " && printf 'p12-secret\\n' > %s.pass"
       " && openssl pkcs12 -export -inkey %s.key -in %s.pem -certfile %s.pem -out %s.p12"
       " -passout pass:p12-secret",
       dir, who, who, subject, who, who, ca, ca, who, who, who, who, who, ca, who);
}

static char *path(const char *name)
{
    static char buf[8][400];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 400, "%s/%s", dir, name);
    return p;
}

static es_signer_t *load(const char *who)
{
    char p12[64], pass[64], err[256];
    snprintf(p12, sizeof(p12), "%s.p12", who);
    snprintf(pass, sizeof(pass), "%s.pass", who);
    es_signer_t *s = es_signer_load(path(p12), path(pass), err, sizeof(err));
    if (!s)
        fail_msg("load %s: %s", who, err);
    return s;
}

static const unsigned char DOC[] = "%PDF-1.5 a document of the licensor\n%%EOF\n";

static void write_file(const char *name, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void test_head_signs_and_everyone_verifies(void **state)
{
    (void)state;
    es_signer_t *s = load("head");
    assert_string_equal(es_signer_who(s)->name, "ЖАҚСЫБЕКОВ ЕРЛАН");
    assert_string_equal(es_signer_who(s)->iin, "800101300123");
    assert_true(strlen(es_signer_who(s)->serial) > 0);
    unsigned char *p7s;
    size_t n;
    char err[256];
    assert_int_equal(es_sign(s, DOC, sizeof(DOC) - 1, &p7s, &n, err, sizeof(err)), 0);
    es_who_t who;
    assert_int_equal(
        es_verify(DOC, sizeof(DOC) - 1, p7s, n, path("nca.pem"), &who, err, sizeof(err)), 0);
    assert_string_equal(who.iin, "800101300123");
    assert_string_equal(who.serial, es_signer_who(s)->serial);
    /* OpenSSL's own tool accepts it with the CA, and sees the CAdES-BES attributes. */
    write_file("doc.pdf", DOC, sizeof(DOC) - 1);
    write_file("doc.p7s", p7s, n);
    sh("openssl cms -verify -binary -inform DER -in %s -content %s -CAfile %s -out /dev/null"
       " 2>/dev/null",
       path("doc.p7s"), path("doc.pdf"), path("nca.pem"));
    sh("openssl cms -cmsout -print -inform DER -in %s | grep -q signingTime", path("doc.p7s"));
    sh("openssl cms -cmsout -print -inform DER -in %s | grep -q id-smime-aa-signingCertificateV2",
       path("doc.p7s"));

    /* One byte changed: refused, by both. */
    unsigned char changed[sizeof(DOC)];
    memcpy(changed, DOC, sizeof(DOC));
    changed[10] ^= 1;
    assert_int_equal(
        es_verify(changed, sizeof(DOC) - 1, p7s, n, path("nca.pem"), &who, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "does not verify"));
    write_file("changed.pdf", changed, sizeof(DOC) - 1);
    char cmd[1400];
    snprintf(cmd, sizeof(cmd),
             "openssl cms -verify -binary -inform DER -in %s -content %s -CAfile %s"
             " -out /dev/null 2>/dev/null",
             path("doc.p7s"), path("changed.pdf"), path("nca.pem"));
    assert_int_not_equal(system(cmd), 0);
    free(p7s);
    es_signer_free(s);
}

/* The person replacing the head signs the same way; a key the CA did not certify does not
 * verify; a wrong password or a missing file is an error, not a crash. */
static void test_deputy_stranger_and_bad_files(void **state)
{
    (void)state;
    es_signer_t *d = load("deputy");
    unsigned char *p7s;
    size_t n;
    char err[256];
    es_who_t who;
    assert_int_equal(es_sign(d, DOC, sizeof(DOC) - 1, &p7s, &n, err, sizeof(err)), 0);
    assert_int_equal(
        es_verify(DOC, sizeof(DOC) - 1, p7s, n, path("nca.pem"), &who, err, sizeof(err)), 0);
    assert_string_equal(who.iin, "850202400234");
    free(p7s);
    es_signer_free(d);

    es_signer_t *x = load("stranger");
    assert_int_equal(es_sign(x, DOC, sizeof(DOC) - 1, &p7s, &n, err, sizeof(err)), 0);
    assert_int_equal(
        es_verify(DOC, sizeof(DOC) - 1, p7s, n, path("nca.pem"), &who, err, sizeof(err)), -1);
    free(p7s);
    es_signer_free(x);

    sh("printf 'wrong\\n' > %s", path("wrong.pass"));
    assert_null(es_signer_load(path("head.p12"), path("wrong.pass"), err, sizeof(err)));
    assert_non_null(strstr(err, "password"));
    assert_null(es_signer_load(path("none.p12"), path("head.pass"), err, sizeof(err)));
    assert_null(es_signer_load(path("head.p12"), path("none.pass"), err, sizeof(err)));
    assert_int_equal(es_verify(DOC, 5, (const unsigned char *)"junk", 4, path("nca.pem"), &who, err,
                               sizeof(err)),
                     -1);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "%s", "/tmp/lic-sign-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    make_ca("nca");
    make_ca("other");
    make_signer("nca", "head",
                "/C=KZ/CN=ЖАҚСЫБЕКОВ ЕРЛАН/SN=ЖАҚСЫБЕКОВ/GN=МАРАТҰЛЫ/serialNumber=IIN800101300123");
    make_signer("nca", "deputy",
                "/C=KZ/CN=ОМАРОВА АЙГЕРІМ/SN=ОМАРОВА/GN=СЕРІКҚЫЗЫ/serialNumber=IIN850202400234");
    make_signer("other", "stranger", "/C=KZ/CN=STRANGER/serialNumber=IIN900303300345");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_signs_and_everyone_verifies),
        cmocka_unit_test(test_deputy_stranger_and_bad_files),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
