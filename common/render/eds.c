/* eds: see eds.h. */
#include "eds.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct es_signer {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain;
    es_who_t who;
};

/* The reason OpenSSL gives, after ours. */
static void ossl_err(char *err, size_t err_size, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(err, err_size, "%s%s%s", what, *buf ? ": " : "", buf);
    ERR_clear_error();
}

static void who_of(X509 *cert, es_who_t *who)
{
    memset(who, 0, sizeof(*who));
    X509_NAME *subject = X509_get_subject_name(cert);
    X509_NAME_get_text_by_NID(subject, NID_commonName, who->name, sizeof(who->name));
    char sn[64] = "";
    if (X509_NAME_get_text_by_NID(subject, NID_serialNumber, sn, sizeof(sn)) == 15 &&
        strncmp(sn, "IIN", 3) == 0)
        memcpy(who->iin, sn + 3, 13); /* 12 digits and the NUL */
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(who->serial, sizeof(who->serial), "%s", hex ? hex : "");
    OPENSSL_free(hex);
    BN_free(bn);
}

es_signer_t *es_signer_load(const char *p12_path, const char *password_file, char *err,
                            size_t err_size)
{
    char password[512] = "";
    FILE *pf = fopen(password_file, "r");
    if (!pf || !fgets(password, sizeof(password), pf)) {
        snprintf(err, err_size, "cannot read the password file %s", password_file);
        if (pf)
            fclose(pf);
        return NULL;
    }
    fclose(pf);
    password[strcspn(password, "\r\n")] = '\0';
    BIO *in = BIO_new_file(p12_path, "rb");
    PKCS12 *p12 = in ? d2i_PKCS12_bio(in, NULL) : NULL;
    BIO_free(in);
    es_signer_t *s = calloc(1, sizeof(*s));
    if (!p12 || !s || !PKCS12_parse(p12, password, &s->key, &s->cert, &s->chain) || !s->key ||
        !s->cert) {
        ossl_err(err, err_size,
                 p12 ? "cannot open the PKCS#12 file (password?)" : "cannot read the PKCS#12 file");
        OPENSSL_cleanse(password, sizeof(password));
        PKCS12_free(p12);
        es_signer_free(s);
        return NULL;
    }
    OPENSSL_cleanse(password, sizeof(password));
    PKCS12_free(p12);
    who_of(s->cert, &s->who);
    return s;
}

void es_signer_free(es_signer_t *s)
{
    if (!s)
        return;
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

const es_who_t *es_signer_who(const es_signer_t *s)
{
    return &s->who;
}

/* CAdES-BES: the signer's certificate bound into the signed attributes (ETSI EN 319 122-1). */
static int add_signing_cert_v2(CMS_SignerInfo *si, X509 *cert)
{
    ESS_SIGNING_CERT_V2 *sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), cert, NULL, 0);
    if (!sc)
        return 0;
    unsigned char *der = NULL;
    int len = i2d_ESS_SIGNING_CERT_V2(sc, &der);
    int ok = len > 0 && CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
                                                    V_ASN1_SEQUENCE, der, len);
    OPENSSL_free(der);
    ESS_SIGNING_CERT_V2_free(sc);
    return ok;
}

int es_sign(const es_signer_t *s, const unsigned char *data, size_t len, unsigned char **p7s,
            size_t *p7s_len, char *err, size_t err_size)
{
    *p7s = NULL;
    *p7s_len = 0;
    const unsigned flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL;
    BIO *in = BIO_new_mem_buf(data, (int)len);
    CMS_ContentInfo *cms = in ? CMS_sign(NULL, NULL, s->chain, NULL, flags) : NULL;
    CMS_SignerInfo *si =
        cms ? CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), CMS_BINARY | CMS_PARTIAL) : NULL;
    int ok = si && add_signing_cert_v2(si, s->cert) && CMS_final(cms, in, NULL, flags);
    unsigned char *der = NULL;
    int n = ok ? i2d_CMS_ContentInfo(cms, &der) : -1;
    if (n <= 0) {
        ossl_err(err, err_size, "cannot sign");
    } else {
        *p7s = malloc((size_t)n);
        if (*p7s) {
            memcpy(*p7s, der, (size_t)n);
            *p7s_len = (size_t)n;
        } else {
            snprintf(err, err_size, "out of memory");
        }
    }
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return *p7s ? 0 : -1;
}

int es_verify(const unsigned char *data, size_t len, const unsigned char *p7s, size_t p7s_len,
              const char *ca_file, es_who_t *who, char *err, size_t err_size)
{
    int rc = -1;
    const unsigned char *p = p7s;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)p7s_len);
    X509_STORE *store = X509_STORE_new();
    BIO *in = BIO_new_mem_buf(data, (int)len);
    if (!cms) {
        ossl_err(err, err_size, "not a CMS signature");
    } else if (!store || !in || !X509_STORE_load_file(store, ca_file)) {
        ossl_err(err, err_size, "cannot load the CA certificates");
    } else if (!CMS_verify(cms, NULL, store, in, NULL, CMS_BINARY | CMS_DETACHED)) {
        ossl_err(err, err_size, "the signature does not verify");
    } else {
        STACK_OF(X509) *signers = CMS_get0_signers(cms);
        if (signers && sk_X509_num(signers) == 1) {
            who_of(sk_X509_value(signers, 0), who);
            rc = 0;
        } else {
            snprintf(err, err_size, "the signature has not exactly one signer");
        }
        sk_X509_free(signers);
    }
    BIO_free(in);
    X509_STORE_free(store);
    CMS_ContentInfo_free(cms);
    return rc;
}
