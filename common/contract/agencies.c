/* agencies: see agencies.h. */
#include "agencies.h"
#include "signature.h"
#include "domain.h"
#include "event.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const names[AG_COUNT] = {"industrial_safety", "sanitary"};
static const char *const topics[AG_COUNT] = {TOPIC_REPLIES_INDUSTRIAL, TOPIC_REPLIES_SANITARY};

const char *ag_name(ag_agency_t a)
{
    return (int)a >= 0 && a < AG_COUNT ? names[a] : NULL;
}

int ag_parse(const char *name)
{
    for (int i = 0; name && i < AG_COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *ag_reply_topic(ag_agency_t a)
{
    return (int)a >= 0 && a < AG_COUNT ? topics[a] : NULL;
}

int ag_for_reply_topic(const char *topic)
{
    for (int i = 0; topic && i < AG_COUNT; i++)
        if (strcmp(topic, topics[i]) == 0)
            return i;
    return -1;
}

int ag_b64_decode(const char *in, unsigned char *out, size_t out_size)
{
    size_t len = strlen(in);
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_size)
        return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    if (in[len - 1] == '=')
        n--;
    if (in[len - 2] == '=')
        n--;
    return n;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(errstr, errstr_size, __VA_ARGS__);                                                \
        goto fail;                                                                                 \
    } while (0)

int ag_load(const char *path, ag_config_t *cfg, char *errstr, size_t errstr_size)
{
    memset(cfg, 0, sizeof(*cfg));
    json_error_t jerr;
    if (!path) {
        snprintf(errstr, errstr_size, "LIC_AGENCIES_FILE is not set");
        return -1;
    }
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        snprintf(errstr, errstr_size, "%s: %s (line %d)", path, jerr.text, jerr.line);
        return -1;
    }
    char err[400];
    if (ag_load_json(root, cfg, err, sizeof(err)) == 0)
        return 0;
    snprintf(errstr, errstr_size, "%s: %s", path, err);
    return -1;
}

int ag_load_json(json_t *root, ag_config_t *cfg, char *errstr, size_t errstr_size)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->root = root;
    if (sodium_init() < 0)
        FAIL("cannot initialise libsodium");
    if (!json_is_object(root))
        FAIL("not a JSON object");
    json_t *ags = json_object_get(cfg->root, "agencies");
    for (int a = 0; a < AG_COUNT; a++) {
        json_t *ag = json_object_get(ags, names[a]);
        json_t *units = json_object_get(ag, "units");
        if (!json_is_object(units) || json_object_size(units) == 0)
            FAIL("agencies.%s.units must map regions to base URLs", names[a]);
        const char *region;
        json_t *url;
        json_object_foreach(units, region, url)
        {
            if (strcmp(region, "*") != 0 && !dom_region_known(region))
                FAIL("agencies.%s.units: unknown region %s", names[a], region);
            if (!json_is_string(url) || (strncmp(json_string_value(url), "https://", 8) != 0 &&
                                         strncmp(json_string_value(url), "http://", 7) != 0))
                FAIL("agencies.%s.units.%s must be an http(s) URL", names[a], region);
        }
        cfg->agency[a].units = units;
        json_t *keys = json_object_get(ag, "keys");
        const char *kid;
        json_t *k;
        json_object_foreach(keys, kid, k)
        {
            if (cfg->agency[a].nkeys >= AG_MAX_KEYS)
                FAIL("agencies.%s.keys: more than %d keys", names[a], AG_MAX_KEYS);
            ag_key_t *key = &cfg->agency[a].keys[cfg->agency[a].nkeys];
            if (strlen(kid) >= sizeof(key->id) || !json_is_string(k))
                FAIL("agencies.%s.keys.%s must be a base64 Ed25519 public key", names[a], kid);
            if (sg_public_key(json_string_value(k), key->pub))
                FAIL("agencies.%s.keys.%s is not a valid Ed25519 public key (base64)", names[a],
                     kid);
            snprintf(key->id, sizeof(key->id), "%s", kid);
            cfg->agency[a].nkeys++;
        }
        if (cfg->agency[a].nkeys == 0)
            FAIL("agencies.%s.keys: no public key, no reply could be verified", names[a]);
    }
    json_t *tls = json_object_get(cfg->root, "tls");
    cfg->tls_cert = json_string_value(json_object_get(tls, "cert"));
    cfg->tls_key = json_string_value(json_object_get(tls, "key"));
    cfg->tls_ca = json_string_value(json_object_get(tls, "ca"));
    cfg->allow_plain_http = json_is_true(json_object_get(cfg->root, "allow_plain_http"));
    for (int a = 0; a < AG_COUNT; a++) {
        const char *region;
        json_t *url;
        json_object_foreach(cfg->agency[a].units, region, url)
        {
            if (strncmp(json_string_value(url), "http://", 7) == 0 && !cfg->allow_plain_http)
                FAIL("agencies.%s.units.%s is plain HTTP; set \"allow_plain_http\": true "
                     "to allow it (never in production)",
                     names[a], region);
        }
    }
    return 0;
fail:
    ag_free(cfg);
    return -1;
}

void ag_free(ag_config_t *cfg)
{
    json_decref(cfg->root);
    memset(cfg, 0, sizeof(*cfg));
}

const char *ag_unit_url(const ag_config_t *cfg, ag_agency_t a, const char *region)
{
    json_t *u = json_object_get(cfg->agency[a].units, region);
    if (!u)
        u = json_object_get(cfg->agency[a].units, "*");
    return json_string_value(u);
}

int ag_verify(const ag_config_t *cfg, ag_agency_t a, const char *key_id, const char *sig_b64,
              const void *msg, size_t len, char *errstr, size_t errstr_size)
{
    const ag_key_t *key = NULL;
    if (!key_id || !sig_b64)
        FAIL("unsigned reply: x-key-id and x-signature headers are required");
    for (int i = 0; i < cfg->agency[a].nkeys; i++)
        if (strcmp(cfg->agency[a].keys[i].id, key_id) == 0)
            key = &cfg->agency[a].keys[i];
    if (!key)
        FAIL("signature: key '%s' is not a key of %s", key_id, names[a]);
    const char *why = "";
    if (sg_verify(key->pub, sig_b64, msg, len, &why))
        FAIL("signature: x-signature %s with %s key '%s'", why, names[a], key_id);
    return 0;
fail:
    return -1;
}
