/* event: CloudEvents 1.0 structured-mode JSON envelopes (CONTRACT.md), decode and build. */
#ifndef LIC_EVENT_H
#define LIC_EVENT_H

#include "domain.h"

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define EV_TYPE_SUBMITTED "kz.gov.licensing.application.submitted.v1"
#define EV_TYPE_COMPLAINT_FILED "kz.gov.licensing.complaint.filed.v1"
#define EV_TYPE_AGENCY_REPLIED "kz.gov.licensing.agency.replied.v1"
#define EV_TYPE_HEARING_CONCLUDED "kz.gov.licensing.hearing.concluded.v1"
#define EV_TYPE_COMPLAINT_RESOLVED "kz.gov.licensing.complaint.resolved.v1"
#define EV_TYPE_GROUND_RAISED "kz.gov.licensing.ground.raised.v1"
#define EV_TYPE_REVIEW_COMPLETED "kz.gov.licensing.review.completed.v1"
#define EV_TYPE_STATUS "kz.gov.licensing.status.v1"

#define TOPIC_APPLICATIONS "portal.applications.v1"
#define TOPIC_COMPLAINTS "portal.complaints.v1"
#define TOPIC_REPLIES_INDUSTRIAL "agency.industrial-safety.replies.v1"
#define TOPIC_REPLIES_SANITARY "agency.sanitary.replies.v1"
#define TOPIC_PROVIDER_ACTIONS "provider.actions.v1"
#define TOPIC_STATUS "licensing.status.v1"
#define TOPIC_DEAD_LETTER "licensing.dead-letter.v1"

/* The stages of `status.v1` (proto/schemas/status.v1.schema.json, $defs/stage, in its order):
 * every status event names one of these; a unit test keeps the two equal. */
typedef enum {
    EV_ST_REGISTERED = 0,
    EV_ST_REFUSED_INCOMPLETE,
    EV_ST_APPROVALS_REQUESTED,
    EV_ST_AGENCY_REPLIED,
    EV_ST_AGENCY_DEEMED_APPROVED,
    EV_ST_REFUSAL_PROPOSED,
    EV_ST_HEARING_CONCLUDED,
    EV_ST_LICENSE_ISSUED,
    EV_ST_LICENSE_REISSUED,
    EV_ST_REFUSED,
    EV_ST_COMPLAINT_REGISTERED,
    EV_ST_COMPLAINT_FORWARDED,
    EV_ST_COMPLAINT_RESOLVED,
    EV_ST_DEADLINE_AT_RISK,
    EV_ST_DEADLINE_BREACHED,
    EV_ST_DEADLINE_CHANGED,
    EV_ST__COUNT
} ev_status_t;

/* Its name on the wire ("license_issued"); NULL for an invalid value. */
const char *ev_status_name(ev_status_t s);

/* The status stage an application stage is announced as (license_issued -> license_issued);
 * EV_ST__COUNT for a stage no status event names (awaiting_replies). */
ev_status_t ev_status_of(dom_stage_t stage);

/* Largest message value accepted; larger ones are dead-lettered unread. */
#define EV_MAX_BYTES (1024 * 1024)

typedef struct {
    json_t *root;        /* owned: the whole parsed document */
    const char *id;      /* borrowed from root */
    const char *source;  /* borrowed */
    const char *type;    /* borrowed */
    const char *subject; /* borrowed, may be NULL */
    time_t time;         /* 0 when absent */
    json_t *data;        /* borrowed: the data object */
} ev_event_t;

/* Decodes and validates an envelope: JSON object, specversion "1.0", non-empty id, source and
 * type strings, optional subject string, time in RFC 3339 if present, datacontenttype
 * "application/json" if present, and a data object. Returns 0, or -1 with a reason in errstr
 * (a bad-input reason fit for the dead-letter header). On success the caller owns ev->root
 * and frees it with ev_free(). */
int ev_decode(const void *buf, size_t len, ev_event_t *ev, char *errstr, size_t errstr_size);

void ev_free(ev_event_t *ev);

/* Builds an envelope; `data` is stolen. Returns a new reference. The time is formatted in
 * Asia/Almaty with its offset. */
json_t *ev_build(const char *id, const char *source, const char *type, const char *subject,
                 time_t at, json_t *data);

#endif
