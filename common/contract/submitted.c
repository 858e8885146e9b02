/* submitted: the decoder of `application.submitted.v1` data. */
#include "submitted.h"
#include "domain.h"
#include "jsonx.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(errstr, errstr_size, __VA_ARGS__);                                                \
        return -1;                                                                                 \
    } while (0)

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int is_digits12(const char *s)
{
    if (strlen(s) != 12)
        return 0;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

#define STR(o, k, req, max, out, where)                                                            \
    do {                                                                                           \
        if (jx_str(o, k, req, max, out, where, errstr, errstr_size))                               \
            return -1;                                                                             \
    } while (0)

static int decode_applicant(const json_t *a, app_t *app, char *errstr, size_t errstr_size)
{
    static const char *const types[] = {"individual", "legal_entity", NULL};
    if (!json_is_object(a))
        FAIL("schema: applicant must be an object");
    STR(a, "type", 1, 20, &app->applicant.type, "applicant.");
    if (!jx_one_of(app->applicant.type, types))
        FAIL("schema: applicant.type must be individual or legal_entity");
    STR(a, "iin", 0, 12, &app->applicant.iin, "applicant.");
    STR(a, "bin", 0, 12, &app->applicant.bin, "applicant.");
    STR(a, "name", 1, 500, &app->applicant.name, "applicant.");
    STR(a, "address", 1, 1000, &app->applicant.address, "applicant.");
    STR(a, "email", 1, 254, &app->applicant.email, "applicant.");
    STR(a, "phone", 0, 32, &app->applicant.phone, "applicant.");
    if (!strchr(app->applicant.email, '@'))
        FAIL("schema: applicant.email is not an e-mail address");
    int individual = strcmp(app->applicant.type, "individual") == 0;
    const char *id = individual ? app->applicant.iin : app->applicant.bin;
    const char *idname = individual ? "iin" : "bin";
    if (!id)
        FAIL("schema: applicant.%s is required for %s", idname, app->applicant.type);
    if (!is_digits12(id))
        FAIL("schema: applicant.%s must be 12 digits", idname);
    if (!dom_iin_bin_valid(id))
        FAIL("invalid %s: check digit does not match", individual ? "IIN" : "BIN");
    const char *other = individual ? app->applicant.bin : app->applicant.iin;
    if (other && (!is_digits12(other) || !dom_iin_bin_valid(other)))
        FAIL("invalid %s: check digit does not match", individual ? "BIN" : "IIN");
    return 0;
}

static int decode_documents(const json_t *docs, app_t *app, char *errstr, size_t errstr_size)
{
    static const char *const kinds[] = {"application_form", "fee_receipt", "qualification",
                                        "change_evidence", NULL};
    if (!json_is_array(docs))
        FAIL("schema: documents must be an array");
    if (json_array_size(docs) > APP_MAX_DOCS)
        FAIL("schema: more than %d documents", APP_MAX_DOCS);
    size_t i;
    const json_t *d;
    json_array_foreach(docs, i, d)
    {
        char where[48];
        snprintf(where, sizeof(where), "documents[%d].", (int)i);
        if (!json_is_object(d))
            FAIL("schema: %s must be an object", where);
        app_document_t *doc = &app->docs[app->doc_count++];
        STR(d, "kind", 1, 32, &doc->kind, where);
        if (!jx_one_of(doc->kind, kinds))
            FAIL("schema: %skind is not a known document kind", where);
        STR(d, "id", 1, 200, &doc->id, where);
        STR(d, "sha256", 1, 64, &doc->sha256, where);
        if (!is_hex64(doc->sha256))
            FAIL("schema: %ssha256 must be 64 hex digits", where);
        STR(d, "signed_by", 0, 12, &doc->signed_by, where);
        if (doc->signed_by) {
            if (!is_digits12(doc->signed_by))
                FAIL("schema: %ssigned_by must be 12 digits", where);
            if (!dom_iin_bin_valid(doc->signed_by))
                FAIL("invalid IIN/BIN in %ssigned_by: check digit does not match", where);
        }
    }
    return 0;
}

static int decode_reissue(const json_t *r, app_t *app, char *errstr, size_t errstr_size)
{
    static const char *const reorg[] = {"merger",   "transformation", "accession",
                                        "spin_off", "split",          NULL};
    if (!json_is_object(r))
        FAIL("schema: reissue must be an object");
    STR(r, "license_number", 1, 64, &app->reissue.license_number, "reissue.");
    const json_t *ao = json_object_get(r, "annex_only");
    if (ao && !json_is_boolean(ao))
        FAIL("schema: reissue.annex_only must be a boolean");
    app->reissue.annex_only = json_is_true(ao);
    const json_t *g = json_object_get(r, "grounds");
    if (!json_is_array(g) || json_array_size(g) == 0 || json_array_size(g) > APP_MAX_GROUNDS)
        FAIL("schema: reissue.grounds must be an array of 1..%d grounds", APP_MAX_GROUNDS);
    size_t i;
    const json_t *v;
    json_array_foreach(g, i, v)
    {
        if (!json_is_string(v) || !dom_reissue_ground(json_string_value(v)))
            FAIL("schema: reissue.grounds[%zu] is not a known ground", i);
        for (int k = 0; k < app->reissue.ground_count; k++)
            if (strcmp(app->reissue.grounds[k], json_string_value(v)) == 0)
                FAIL("schema: reissue.grounds has a duplicate");
        app->reissue.grounds[app->reissue.ground_count++] = json_string_value(v);
    }
    STR(r, "reorganization", 0, 20, &app->reissue.reorganization, "reissue.");
    if (app->reissue.reorganization && !jx_one_of(app->reissue.reorganization, reorg))
        FAIL("schema: reissue.reorganization is not a known form of reorganisation");
    return 0;
}

int app_decode(const json_t *data, const char *subject, app_t *app, char *errstr,
               size_t errstr_size)
{
    static const char *const kinds[] = {"issue", "reissue", "reissue_split", NULL};
    static const char *const paid_via[] = {"egov_gateway", "bank", "none", NULL};
    memset(app, 0, sizeof(*app));
    if (!json_is_object(data))
        FAIL("schema: data must be an object");
    STR(data, "application_id", 1, 36, &app->application_id, "");
    if (!util_is_uuid(app->application_id))
        FAIL("schema: application_id must be a UUID");
    if (subject && strcmp(subject, app->application_id) != 0)
        FAIL("CloudEvent subject does not match data.application_id");
    STR(data, "portal_ref", 1, 64, &app->portal_ref, "");
    STR(data, "kind", 1, 20, &app->kind, "");
    if (!jx_one_of(app->kind, kinds))
        FAIL("schema: kind must be issue, reissue or reissue_split");
    STR(data, "submitted_at", 1, 40, &app->submitted_at_text, "");
    if (util_rfc3339_parse(app->submitted_at_text, &app->submitted_at))
        FAIL("schema: submitted_at must be RFC 3339 with an offset");
    if (decode_applicant(json_object_get(data, "applicant"), app, errstr, errstr_size))
        return -1;

    const json_t *st = json_object_get(data, "subtypes");
    if (!json_is_array(st) || json_array_size(st) < 1 || json_array_size(st) > 9)
        FAIL("schema: subtypes must be an array of 1..9 codes");
    size_t i;
    const json_t *v;
    json_array_foreach(st, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 9)
            FAIL("unknown sub-activity code in subtypes[%zu] (codes are 1..9)", i);
        int code = (int)json_integer_value(v);
        for (int k = 0; k < app->subtype_count; k++)
            if (app->subtypes[k] == code)
                FAIL("schema: subtypes has a duplicate code %d", code);
        app->subtypes[app->subtype_count++] = code;
    }

    const json_t *pb = json_object_get(data, "production_base");
    if (!json_is_object(pb))
        FAIL("schema: production_base must be an object");
    STR(pb, "region", 1, 16, &app->region, "production_base.");
    if (!dom_region_known(app->region))
        FAIL("unknown region '%s' (ISO 3166-2:KZ)", app->region);
    STR(pb, "address", 1, 1000, &app->base_address, "production_base.");

    const json_t *pc = json_object_get(data, "paper_copy");
    if (pc && !json_is_boolean(pc))
        FAIL("schema: paper_copy must be a boolean");
    app->paper_copy = json_is_true(pc);

    if (decode_documents(json_object_get(data, "documents"), app, errstr, errstr_size))
        return -1;

    const json_t *fee = json_object_get(data, "fee");
    if (!json_is_object(fee))
        FAIL("schema: fee must be an object");
    STR(fee, "paid_via", 1, 20, &app->fee_paid_via, "fee.");
    if (!jx_one_of(app->fee_paid_via, paid_via))
        FAIL("schema: fee.paid_via must be egov_gateway, bank or none");
    const json_t *amount = json_object_get(fee, "amount_kzt");
    if (!json_is_integer(amount) || json_integer_value(amount) < 0 ||
        json_integer_value(amount) > 1000000000000LL)
        FAIL("schema: fee.amount_kzt must be a non-negative integer");
    app->fee_amount_kzt = json_integer_value(amount);
    STR(fee, "payment_ref", 0, 100, &app->fee_payment_ref, "fee.");
    /* The payment's date decides the MCI (Standard row 6); absent, the submission's. */
    STR(fee, "paid_at", 0, 40, &app->fee_paid_at_text, "fee.");
    app->fee_paid_at = app->submitted_at;
    if (app->fee_paid_at_text && util_rfc3339_parse(app->fee_paid_at_text, &app->fee_paid_at))
        FAIL("schema: fee.paid_at must be RFC 3339 with an offset");
    if (app->fee_paid_at > app->submitted_at)
        FAIL("schema: fee.paid_at is after submitted_at");

    const json_t *r = json_object_get(data, "reissue");
    int is_reissue = strcmp(app->kind, "issue") != 0;
    if (is_reissue && !r)
        FAIL("schema: reissue is required for kind %s", app->kind);
    if (!is_reissue && r)
        FAIL("schema: reissue is only allowed for kinds reissue and reissue_split");
    /* Standard row 5: an issue may name the license it adds an annex to. */
    STR(data, "annex_to", 0, 64, &app->annex_to, "");
    if (app->annex_to && is_reissue)
        FAIL("schema: annex_to is only allowed for kind issue");
    if (r) {
        app->has_reissue = 1;
        if (decode_reissue(r, app, errstr, errstr_size))
            return -1;
        /* A re-registration declaring a split or spin-off is the split's: its form decides the
         * path (Standard row 4, 15 WD; row 8 item 3, qualification documents), not the portal's
         * label - and a label at odds with the form is no ground of row 9 to refuse by. */
        const char *form = app->reissue.reorganization;
        if (strcmp(app->kind, "reissue") == 0 && form &&
            (strcmp(form, "split") == 0 || strcmp(form, "spin_off") == 0)) {
            app->kind = "reissue_split";
            app->kind_derived = 1;
        }
    }
    return 0;
}
