/* event: CloudEvents envelope. */
#include "event.h"
#include "cal.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *nonempty(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return NULL;
    return json_string_value(v);
}

int ev_decode(const void *buf, size_t len, ev_event_t *ev, char *errstr, size_t errstr_size)
{
    memset(ev, 0, sizeof(*ev));
    if (!buf || len == 0) {
        snprintf(errstr, errstr_size, "empty message");
        return -1;
    }
    if (len > EV_MAX_BYTES) {
        snprintf(errstr, errstr_size, "message of %zu bytes exceeds the %d-byte limit", len,
                 EV_MAX_BYTES);
        return -1;
    }
    json_error_t jerr;
    /* jansson rejects invalid UTF-8, NUL in strings (without JSON_ALLOW_NUL) and nesting
     * deeper than its parser limit. */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(errstr, errstr_size, "not valid JSON: %s at position %d", jerr.text,
                 jerr.position);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(errstr, errstr_size, "not a CloudEvent: value is not a JSON object");
        goto fail;
    }
    const char *specversion = nonempty(root, "specversion");
    if (!specversion || strcmp(specversion, "1.0") != 0) {
        snprintf(errstr, errstr_size, "not a CloudEvent: specversion must be \"1.0\"");
        goto fail;
    }
    ev->id = nonempty(root, "id");
    ev->source = nonempty(root, "source");
    ev->type = nonempty(root, "type");
    if (!ev->id || !ev->source || !ev->type) {
        snprintf(errstr, errstr_size, "not a CloudEvent: id, source and type are required");
        goto fail;
    }
    if (strlen(ev->id) > 200) {
        snprintf(errstr, errstr_size, "CloudEvent id longer than 200 characters");
        goto fail;
    }
    const json_t *subject = json_object_get(root, "subject");
    if (subject && !json_is_string(subject)) {
        snprintf(errstr, errstr_size, "CloudEvent subject must be a string");
        goto fail;
    }
    ev->subject = subject ? json_string_value(subject) : NULL;
    const json_t *t = json_object_get(root, "time");
    if (t && (!json_is_string(t) || util_rfc3339_parse(json_string_value(t), &ev->time))) {
        snprintf(errstr, errstr_size, "CloudEvent time must be RFC 3339 with an offset");
        goto fail;
    }
    const json_t *dct = json_object_get(root, "datacontenttype");
    if (dct && (!json_is_string(dct) || strcmp(json_string_value(dct), "application/json") != 0)) {
        snprintf(errstr, errstr_size, "CloudEvent datacontenttype must be application/json");
        goto fail;
    }
    ev->data = json_object_get(root, "data");
    if (!json_is_object(ev->data)) {
        snprintf(errstr, errstr_size, "CloudEvent data must be a JSON object");
        goto fail;
    }
    ev->root = root;
    return 0;
fail:
    json_decref(root);
    memset(ev, 0, sizeof(*ev));
    return -1;
}

void ev_free(ev_event_t *ev)
{
    json_decref(ev->root);
    memset(ev, 0, sizeof(*ev));
}

json_t *ev_build(const char *id, const char *source, const char *type, const char *subject,
                 time_t at, json_t *data)
{
    char ts[40];
    cal_format(at, ts, sizeof(ts));
    json_t *o = json_object();
    json_object_set_new(o, "specversion", json_string("1.0"));
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "source", json_string(source));
    json_object_set_new(o, "type", json_string(type));
    if (subject)
        json_object_set_new(o, "subject", json_string(subject));
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "datacontenttype", json_string("application/json"));
    json_object_set_new(o, "data", data ? data : json_object());
    return o;
}

static const char *const status_names[EV_ST__COUNT] = {
    [EV_ST_REGISTERED] = "registered",
    [EV_ST_REFUSED_INCOMPLETE] = "refused_incomplete",
    [EV_ST_APPROVALS_REQUESTED] = "approvals_requested",
    [EV_ST_AGENCY_REPLIED] = "agency_replied",
    [EV_ST_AGENCY_DEEMED_APPROVED] = "agency_deemed_approved",
    [EV_ST_REFUSAL_PROPOSED] = "refusal_proposed",
    [EV_ST_HEARING_CONCLUDED] = "hearing_concluded",
    [EV_ST_LICENSE_ISSUED] = "license_issued",
    [EV_ST_LICENSE_REISSUED] = "license_reissued",
    [EV_ST_REFUSED] = "refused",
    [EV_ST_COMPLAINT_REGISTERED] = "complaint_registered",
    [EV_ST_COMPLAINT_FORWARDED] = "complaint_forwarded",
    [EV_ST_COMPLAINT_RESOLVED] = "complaint_resolved",
    [EV_ST_DEADLINE_AT_RISK] = "deadline_at_risk",
    [EV_ST_DEADLINE_BREACHED] = "deadline_breached",
    [EV_ST_DEADLINE_CHANGED] = "deadline_changed",
};

const char *ev_status_name(ev_status_t s)
{
    return s >= 0 && s < EV_ST__COUNT ? status_names[s] : NULL;
}

ev_status_t ev_status_of(dom_stage_t stage)
{
    const char *name = dom_stage_name(stage);
    for (int i = 0; name && i < EV_ST__COUNT; i++)
        if (strcmp(status_names[i], name) == 0)
            return (ev_status_t)i;
    return EV_ST__COUNT;
}
