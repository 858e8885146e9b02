/* agencies: the approving agencies as configuration (LIC_AGENCIES_FILE) - each agency's
 * territorial units (base URL by region), its reply topic, the public keys that sign its
 * replies, and the TLS client settings - and verification of reply signatures (Ed25519 over
 * the exact message value, CONTRACT.md). */
#ifndef LIC_AGENCIES_H
#define LIC_AGENCIES_H

#include "domain.h"

#include <jansson.h>
#include <stddef.h>

#define AG_COUNT DOM_AGENCY_COUNT
#define AG_MAX_KEYS 8

typedef enum { AG_INDUSTRIAL_SAFETY = 0, AG_SANITARY = 1 } ag_agency_t;

typedef struct {
    char id[64];
    unsigned char pub[32];
} ag_key_t;

typedef struct {
    json_t *units; /* borrowed from root: region -> base URL ("*" for any other region) */
    ag_key_t keys[AG_MAX_KEYS];
    int nkeys;
} ag_unit_map_t;

typedef struct {
    json_t *root; /* owned */
    ag_unit_map_t agency[AG_COUNT];
    const char *tls_cert, *tls_key, *tls_ca; /* borrowed; NULL when not configured */
    int allow_plain_http;                    /* explicit opt-in for http:// base URLs */
} ag_config_t;

/* Loads and validates the file. 0, or -1 with errstr. Free with ag_free(). */
int ag_load(const char *path, ag_config_t *cfg, char *errstr, size_t errstr_size);
void ag_free(ag_config_t *cfg);
/* The same from a parsed document, which it takes (freed with ag_free, or at once on error). */
int ag_load_json(json_t *root, ag_config_t *cfg, char *errstr, size_t errstr_size);

/* "industrial_safety" / "sanitary" and back; -1 when unknown. */
const char *ag_name(ag_agency_t a);
int ag_parse(const char *name);
/* The reply topic of an agency, and the agency whose reply topic `topic` is (-1 if none). */
const char *ag_reply_topic(ag_agency_t a);
int ag_for_reply_topic(const char *topic);

/* The base URL of the agency's unit for `region` (or its "*" unit); NULL when none. */
const char *ag_unit_url(const ag_config_t *cfg, ag_agency_t a, const char *region);

/* Verifies `sig_b64` (base64 Ed25519 signature) over msg with the agency's key `key_id`.
 * 0 valid; -1 with the reason (unknown key, bad encoding, signature mismatch). */
int ag_verify(const ag_config_t *cfg, ag_agency_t a, const char *key_id, const char *sig_b64,
              const void *msg, size_t len, char *errstr, size_t errstr_size);

/* Base64 (standard alphabet, padded) decoding into out; returns the length or -1. */
int ag_b64_decode(const char *in, unsigned char *out, size_t out_size);

#endif
