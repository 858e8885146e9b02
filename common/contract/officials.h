/* officials: the provider's officials whose acts the back office publishes on
 * provider.actions.v1 (CONTRACT.md) - each with the Ed25519 key that signs the act, IIN, full
 * name and role - loaded from LIC_OFFICIALS_FILE, and the check that an act is signed by a
 * known official whose role may take it. */
#ifndef LIC_OFFICIALS_H
#define LIC_OFFICIALS_H

#include "signature.h"

#include <stddef.h>

#define OF_MAX 64

typedef enum { OF_EXECUTOR = 1, OF_HEAD = 2 } of_role_t;

typedef struct {
    char key_id[64];
    unsigned char pub[SG_PUBLIC_KEY_BYTES];
    char iin[13];
    char full_name[256];
    of_role_t role;
} of_official_t;

typedef struct {
    of_official_t officials[OF_MAX];
    int count;
} of_config_t;

/* The file: {"officials": [{"key_id", "public_key" (base64), "iin", "full_name",
 * "role": "executor" | "head"}, ...]}. 0, or -1 with errstr (a bad key, an invalid IIN, a
 * key id twice). */
int of_load(const char *path, of_config_t *cfg, char *errstr, size_t errstr_size);

/* The roles that may take each act (a bit set of of_role_t): the head confirms or withdraws a
 * refusal after the hearing and resolves a complaint (¶13, ¶15); the executor raises grounds
 * and completes the review (¶9, ¶13), as the head may too. 0 for an unknown act type. */
int of_roles_for(const char *ce_type);

/* Checks an act: signed (`key_id`, `sig_b64`: the x-key-id and x-signature headers) over
 * msg by a known official whose role may take `ce_type`. The official, or NULL with the
 * reason. */
const of_official_t *of_check(const of_config_t *cfg, const char *ce_type, const char *key_id,
                              const char *sig_b64, const void *msg, size_t len, char *errstr,
                              size_t errstr_size);

const char *of_role_name(of_role_t r);

/* An official's signing key file, as `approvalctl official keygen` writes it: {"key_id",
 * "secret_key": base64 of libsodium's 64-byte Ed25519 secret key}. 0, or -1 with errstr. */
int of_key_load(const char *path, char *key_id, size_t key_id_size,
                unsigned char sk[SG_SECRET_KEY_BYTES], char *errstr, size_t errstr_size);

/* How the official is recorded as the actor of a change: "head 880101300123 Surname N. P."
 * into out. */
void of_actor(const of_official_t *o, char *out, size_t out_size);

#endif
