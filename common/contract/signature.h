/* signature: Ed25519 over the exact bytes of a Kafka message value, as CONTRACT.md has the
 * agencies' replies and the back office's acts signed (x-key-id, x-signature: base64). One
 * place for the key checks and the verification both use (libsodium). */
#ifndef LIC_SIGNATURE_H
#define LIC_SIGNATURE_H

#include <stddef.h>

#define SG_PUBLIC_KEY_BYTES 32
#define SG_SECRET_KEY_BYTES 64

/* A base64 public key: decoded into pub and checked to be a point of the curve, not one of
 * small order (with which signatures could be made without the private key). 0 or -1. */
int sg_public_key(const char *b64, unsigned char pub[SG_PUBLIC_KEY_BYTES]);

/* 0 when `sig_b64` is a base64 Ed25519 signature of msg by `pub`; -1 otherwise (*why: "not a
 * base64 Ed25519 signature" or "does not verify"). */
int sg_verify(const unsigned char pub[SG_PUBLIC_KEY_BYTES], const char *sig_b64, const void *msg,
              size_t len, const char **why);

/* The base64 signature of msg by `sk` into out (room for 89 bytes). 0 or -1. */
int sg_sign(const unsigned char sk[SG_SECRET_KEY_BYTES], const void *msg, size_t len, char *out,
            size_t out_size);

/* Base64 (standard alphabet, padded) of `len` bytes into out; 0 or -1 when out is too small. */
int sg_b64_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

#endif
