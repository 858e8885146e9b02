/* eds: the head's EDS over a document - a detached CMS signature (CAdES-BES: the signer's
 * certificate inside, the signing time and the ESS signing-certificate-v2 attribute signed)
 * made with the key of a PKCS#12 file as the national certifying centre issues them
 * (RSA-2048, SHA-256 here), and its verification. OpenSSL. */
#ifndef LIC_EDS_H
#define LIC_EDS_H

#include <stddef.h>

typedef struct es_signer es_signer_t;

/* Who a certificate names: the subject's common name, the IIN of its serialNumber
 * ("IIN800101300123" as the national centre writes it; "" when none) and the certificate's
 * serial in hex. */
typedef struct {
    char name[256];
    char iin[16];
    char serial[80];
} es_who_t;

/* Loads the key and certificate of `p12_path` with the password in `password_file` (its
 * first line). NULL with the reason in err. */
es_signer_t *es_signer_load(const char *p12_path, const char *password_file, char *err,
                            size_t err_size);
void es_signer_free(es_signer_t *s);
const es_who_t *es_signer_who(const es_signer_t *s);

/* The DER of a detached signature over data[0..len) into a new *p7s (free() it). 0 or -1. */
int es_sign(const es_signer_t *s, const unsigned char *data, size_t len, unsigned char **p7s,
            size_t *p7s_len, char *err, size_t err_size);

/* Verifies the detached signature `p7s` over data against the CA certificates of `ca_file`
 * (PEM): 0 and the signer in *who, or -1 with the reason in err (a changed byte, another key,
 * a certificate the CA did not issue). */
int es_verify(const unsigned char *data, size_t len, const unsigned char *p7s, size_t p7s_len,
              const char *ca_file, es_who_t *who, char *err, size_t err_size);

#endif
