/* messages: see messages.h. */
#include "messages.h"
#include "submitted.h"
#include "domain.h"
#include "event.h"
#include "jsonx.h"

#include <stdio.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(errstr, errstr_size, __VA_ARGS__);                                                \
        return -1;                                                                                 \
    } while (0)
#define TRY(call)                                                                                  \
    do {                                                                                           \
        if (call)                                                                                  \
            return -1;                                                                             \
    } while (0)

static int application_of(const json_t *data, const char *subject, const char **out, char *errstr,
                          size_t errstr_size)
{
    if (!json_is_object(data))
        FAIL("schema: data must be an object");
    TRY(jx_uuid(data, "application_id", 1, out, "", errstr, errstr_size));
    if (subject && strcmp(subject, *out) != 0)
        FAIL("CloudEvent subject does not match data.application_id");
    return 0;
}

int msg_decode_reply(const json_t *data, const char *subject, msg_reply_t *out, char *errstr,
                     size_t errstr_size)
{
    static const char *const agencies[] = {"industrial_safety", "sanitary", NULL};
    static const char *const verdicts[] = {"compliant", "non_compliant", NULL};
    memset(out, 0, sizeof(*out));
    TRY(application_of(data, subject, &out->application_id, errstr, errstr_size));
    TRY(jx_uuid(data, "request_id", 1, &out->request_id, "", errstr, errstr_size));
    TRY(jx_enum(data, "agency", 1, agencies, &out->agency, "", errstr, errstr_size));
    TRY(jx_str(data, "region", 1, 16, &out->region, "", errstr, errstr_size));
    if (!dom_region_known(out->region))
        FAIL("unknown region '%s' (ISO 3166-2:KZ)", out->region);
    TRY(jx_enum(data, "verdict", 1, verdicts, &out->verdict, "", errstr, errstr_size));
    TRY(jx_str_array(data, "reasons", 0, 0, MSG_MAX_REASONS, 4000, out->reasons, &out->reason_count,
                     "", errstr, errstr_size));
    if (strcmp(out->verdict, "non_compliant") == 0 && out->reason_count == 0)
        FAIL("schema: reasons must be a non-empty array when the verdict is non_compliant");
    TRY(jx_time(data, "decided_at", 1, &out->decided_at, NULL, "", errstr, errstr_size));
    TRY(jx_str(data, "signer", 1, 500, &out->signer, "", errstr, errstr_size));
    return 0;
}

int msg_decode_hearing(const json_t *data, const char *subject, msg_hearing_t *out, char *errstr,
                       size_t errstr_size)
{
    static const char *const outcomes[] = {"refusal_confirmed", "refusal_withdrawn", NULL};
    memset(out, 0, sizeof(*out));
    TRY(application_of(data, subject, &out->application_id, errstr, errstr_size));
    TRY(jx_uuid(data, "hearing_id", 1, &out->hearing_id, "", errstr, errstr_size));
    TRY(jx_enum(data, "outcome", 1, outcomes, &out->outcome, "", errstr, errstr_size));
    TRY(jx_str(data, "notes", 0, 10000, &out->notes, "", errstr, errstr_size));
    return 0;
}

int msg_decode_complaint(const json_t *data, const char *subject, msg_complaint_t *out,
                         char *errstr, size_t errstr_size)
{
    static const char *const to[] = {"provider", "authorized_body", NULL};
    memset(out, 0, sizeof(*out));
    TRY(application_of(data, subject, &out->application_id, errstr, errstr_size));
    TRY(jx_uuid(data, "complaint_id", 1, &out->complaint_id, "", errstr, errstr_size));
    TRY(jx_time(data, "filed_at", 1, &out->filed_at, NULL, "", errstr, errstr_size));
    TRY(jx_enum(data, "addressed_to", 1, to, &out->addressed_to, "", errstr, errstr_size));
    TRY(jx_str(data, "text", 1, 20000, &out->text, "", errstr, errstr_size));
    return 0;
}

int msg_decode_resolution(const json_t *data, const char *subject, msg_resolution_t *out,
                          char *errstr, size_t errstr_size)
{
    static const char *const outcomes[] = {"satisfied", "rejected", "forwarded", NULL};
    memset(out, 0, sizeof(*out));
    TRY(application_of(data, subject, &out->application_id, errstr, errstr_size));
    TRY(jx_uuid(data, "complaint_id", 1, &out->complaint_id, "", errstr, errstr_size));
    TRY(jx_enum(data, "outcome", 1, outcomes, &out->outcome, "", errstr, errstr_size));
    TRY(jx_str(data, "notes", 0, 10000, &out->notes, "", errstr, errstr_size));
    return 0;
}

int msg_decode_ground(const json_t *data, const char *subject, msg_ground_t *out, char *errstr,
                      size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    TRY(application_of(data, subject, &out->application_id, errstr, errstr_size));
    TRY(jx_str(data, "ground", 1, 64, &out->ground, "", errstr, errstr_size));
    const json_t *facts = json_object_get(data, "facts");
    if (json_is_object(facts)) {
        TRY(jx_str(facts, "kk", 1, 4000, &out->facts_kk, "facts.", errstr, errstr_size));
        TRY(jx_str(facts, "ru", 1, 4000, &out->facts_ru, "facts.", errstr, errstr_size));
    } else {
        TRY(jx_str(data, "facts", 1, 4000, &out->facts_ru, "", errstr, errstr_size));
        out->facts_kk = out->facts_ru;
    }
    const json_t *ev = json_object_get(data, "evidence");
    if (!json_is_array(ev) || json_array_size(ev) > 50) {
        snprintf(errstr, errstr_size, "schema: evidence must be an array of up to 50 documents");
        return -1;
    }
    size_t i;
    const json_t *d;
    json_array_foreach(ev, i, d)
    {
        const char *k, *id, *sha;
        TRY(jx_str(d, "kind", 1, 64, &k, "evidence[].", errstr, errstr_size));
        TRY(jx_str(d, "id", 1, 200, &id, "evidence[].", errstr, errstr_size));
        TRY(jx_str(d, "sha256", 1, 64, &sha, "evidence[].", errstr, errstr_size));
        if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64) {
            snprintf(errstr, errstr_size, "schema: evidence[%zu].sha256 must be 64 hex digits", i);
            return -1;
        }
    }
    out->evidence = ev;
    return 0;
}

int msg_decode_review(const json_t *data, const char *subject, msg_review_t *out, char *errstr,
                      size_t errstr_size)
{
    static const char *const results[] = {"no_grounds", NULL};
    memset(out, 0, sizeof(*out));
    TRY(application_of(data, subject, &out->application_id, errstr, errstr_size));
    TRY(jx_enum(data, "result", 1, results, &out->result, "", errstr, errstr_size));
    const json_t *sc = json_object_get(data, "special_conditions");
    if (sc && !json_is_object(sc)) {
        snprintf(errstr, errstr_size, "schema: special_conditions must be an object {kk, ru}");
        return -1;
    }
    if (sc) {
        TRY(jx_str(sc, "kk", 1, 4000, &out->special_kk, "special_conditions.", errstr,
                   errstr_size));
        TRY(jx_str(sc, "ru", 1, 4000, &out->special_ru, "special_conditions.", errstr,
                   errstr_size));
    }
    return 0;
}

int msg_validate(const void *buf, size_t len, char *type_out, size_t type_size, char *errstr,
                 size_t errstr_size)
{
    ev_event_t ev;
    if (type_out && type_size)
        type_out[0] = '\0';
    if (ev_decode(buf, len, &ev, errstr, errstr_size))
        return -1;
    if (type_out)
        snprintf(type_out, type_size, "%s", ev.type);
    int rc;
    if (strcmp(ev.type, EV_TYPE_SUBMITTED) == 0) {
        app_t app;
        rc = app_decode(ev.data, ev.subject, &app, errstr, errstr_size);
    } else if (strcmp(ev.type, EV_TYPE_AGENCY_REPLIED) == 0) {
        msg_reply_t m;
        rc = msg_decode_reply(ev.data, ev.subject, &m, errstr, errstr_size);
    } else if (strcmp(ev.type, EV_TYPE_HEARING_CONCLUDED) == 0) {
        msg_hearing_t m;
        rc = msg_decode_hearing(ev.data, ev.subject, &m, errstr, errstr_size);
    } else if (strcmp(ev.type, EV_TYPE_COMPLAINT_FILED) == 0) {
        msg_complaint_t m;
        rc = msg_decode_complaint(ev.data, ev.subject, &m, errstr, errstr_size);
    } else if (strcmp(ev.type, EV_TYPE_COMPLAINT_RESOLVED) == 0) {
        msg_resolution_t m;
        rc = msg_decode_resolution(ev.data, ev.subject, &m, errstr, errstr_size);
    } else if (strcmp(ev.type, EV_TYPE_GROUND_RAISED) == 0) {
        msg_ground_t m;
        rc = msg_decode_ground(ev.data, ev.subject, &m, errstr, errstr_size);
    } else if (strcmp(ev.type, EV_TYPE_REVIEW_COMPLETED) == 0) {
        msg_review_t m;
        rc = msg_decode_review(ev.data, ev.subject, &m, errstr, errstr_size);
    } else {
        snprintf(errstr, errstr_size, "unknown CloudEvent type '%s'", ev.type);
        rc = -1;
    }
    ev_free(&ev);
    return rc;
}
