/* officials: see officials.h. */
#include "officials.h"
#include "agencies.h"
#include "domain.h"
#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(errstr, errstr_size, __VA_ARGS__);                                                \
        goto fail;                                                                                 \
    } while (0)

const char *of_role_name(of_role_t r)
{
    return r == OF_HEAD ? "head" : "executor";
}

int of_load(const char *path, of_config_t *cfg, char *errstr, size_t errstr_size)
{
    memset(cfg, 0, sizeof(*cfg));
    json_error_t jerr;
    json_t *root = path ? json_load_file(path, 0, &jerr) : NULL;
    if (!path)
        FAIL("LIC_OFFICIALS_FILE is not set: no act of the back office could be verified");
    if (!root)
        FAIL("%s: %s (line %d)", path, jerr.text, jerr.line);
    json_t *list = json_object_get(root, "officials");
    if (!json_is_array(list) || json_array_size(list) == 0)
        FAIL("%s: officials must be a non-empty array", path);
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (cfg->count >= OF_MAX)
            FAIL("%s: more than %d officials", path, OF_MAX);
        of_official_t *f = &cfg->officials[cfg->count];
        const char *kid = json_string_value(json_object_get(o, "key_id"));
        const char *iin = json_string_value(json_object_get(o, "iin"));
        const char *name = json_string_value(json_object_get(o, "full_name"));
        const char *role = json_string_value(json_object_get(o, "role"));
        if (!kid || !*kid || strlen(kid) >= sizeof(f->key_id))
            FAIL("%s: officials[%zu].key_id must be a short non-empty string", path, i);
        for (int k = 0; k < cfg->count; k++)
            if (strcmp(cfg->officials[k].key_id, kid) == 0)
                FAIL("%s: key_id '%s' twice", path, kid);
        if (sg_public_key(json_string_value(json_object_get(o, "public_key")), f->pub))
            FAIL("%s: officials[%zu].public_key is not a valid Ed25519 public key (base64)", path,
                 i);
        if (!iin || !dom_iin_bin_valid(iin))
            FAIL("%s: officials[%zu].iin is not a valid IIN", path, i);
        if (!name || !*name || strlen(name) >= sizeof(f->full_name))
            FAIL("%s: officials[%zu].full_name is required", path, i);
        if (!role || (strcmp(role, "executor") != 0 && strcmp(role, "head") != 0))
            FAIL("%s: officials[%zu].role must be executor or head", path, i);
        snprintf(f->key_id, sizeof(f->key_id), "%s", kid);
        snprintf(f->iin, sizeof(f->iin), "%s", iin);
        snprintf(f->full_name, sizeof(f->full_name), "%s", name);
        f->role = strcmp(role, "head") == 0 ? OF_HEAD : OF_EXECUTOR;
        cfg->count++;
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    return -1;
}

int of_roles_for(const char *ce_type)
{
    if (!ce_type)
        return 0;
    if (strcmp(ce_type, EV_TYPE_HEARING_CONCLUDED) == 0 ||
        strcmp(ce_type, EV_TYPE_COMPLAINT_RESOLVED) == 0)
        return OF_HEAD;
    if (strcmp(ce_type, EV_TYPE_GROUND_RAISED) == 0 ||
        strcmp(ce_type, EV_TYPE_REVIEW_COMPLETED) == 0)
        return OF_EXECUTOR | OF_HEAD;
    return 0;
}

const of_official_t *of_check(const of_config_t *cfg, const char *ce_type, const char *key_id,
                              const char *sig_b64, const void *msg, size_t len, char *errstr,
                              size_t errstr_size)
{
    const of_official_t *f = NULL;
    if (!key_id || !sig_b64)
        FAIL("unsigned act: x-key-id and x-signature headers are required");
    for (int i = 0; i < cfg->count; i++)
        if (strcmp(cfg->officials[i].key_id, key_id) == 0)
            f = &cfg->officials[i];
    if (!f)
        FAIL("signature: key '%s' is not the key of any official", key_id);
    const char *why = "";
    if (sg_verify(f->pub, sig_b64, msg, len, &why))
        FAIL("signature: x-signature %s with key '%s'", why, key_id);
    if (ce_type && !(of_roles_for(ce_type) & (int)f->role))
        FAIL("%s: the %s %s may not take this act", ce_type, of_role_name(f->role), key_id);
    return f;
fail:
    return NULL;
}

void of_actor(const of_official_t *o, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s %s %s", of_role_name(o->role), o->iin, o->full_name);
}

int of_key_load(const char *path, char *key_id, size_t key_id_size,
                unsigned char sk[SG_SECRET_KEY_BYTES], char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    unsigned char raw[72];
    if (!root)
        FAIL("%s: %s", path, jerr.text);
    const char *kid = json_string_value(json_object_get(root, "key_id"));
    const char *b64 = json_string_value(json_object_get(root, "secret_key"));
    if (!kid || !*kid || strlen(kid) >= key_id_size)
        FAIL("%s: key_id is missing", path);
    if (!b64 || ag_b64_decode(b64, raw, sizeof(raw)) != SG_SECRET_KEY_BYTES)
        FAIL("%s: secret_key is not a base64 Ed25519 secret key", path);
    memcpy(sk, raw, SG_SECRET_KEY_BYTES);
    snprintf(key_id, key_id_size, "%s", kid);
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    return -1;
}
