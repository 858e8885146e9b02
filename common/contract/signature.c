/* signature: see signature.h. */
#include "signature.h"
#include "agencies.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

int sg_public_key(const char *b64, unsigned char pub[SG_PUBLIC_KEY_BYTES])
{
    unsigned char raw[48]; /* base64 decodes in 3-byte groups: room for padding */
    if (!b64 || ag_b64_decode(b64, raw, sizeof(raw)) != SG_PUBLIC_KEY_BYTES)
        return -1;
    memcpy(pub, raw, SG_PUBLIC_KEY_BYTES);
    return crypto_core_ed25519_is_valid_point(pub) == 1 ? 0 : -1;
}

int sg_verify(const unsigned char pub[SG_PUBLIC_KEY_BYTES], const char *sig_b64, const void *msg,
              size_t len, const char **why)
{
    unsigned char sig[96];
    if (!sig_b64 || ag_b64_decode(sig_b64, sig, sizeof(sig)) != crypto_sign_BYTES) {
        *why = "not a base64 Ed25519 signature";
        return -1;
    }
    if (crypto_sign_verify_detached(sig, msg, len, pub) != 0) {
        *why = "does not verify";
        return -1;
    }
    return 0;
}

int sg_b64_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
    if (out_size < 4 * ((len + 2) / 3) + 1)
        return -1;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return 0;
}

int sg_sign(const unsigned char sk[SG_SECRET_KEY_BYTES], const void *msg, size_t len, char *out,
            size_t out_size)
{
    unsigned char sig[crypto_sign_BYTES];
    if (crypto_sign_detached(sig, NULL, msg, len, sk) != 0)
        return -1;
    return sg_b64_encode(sig, sizeof(sig), out, out_size);
}
