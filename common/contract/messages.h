/* messages: decoders of the inbound messages other than the application (CONTRACT.md,
 * proto/schemas): agency replies, the provider's hearing and complaint outcomes, complaints.
 * Each validates `data` strictly and checks that the CloudEvent subject (when given) names
 * the same application. Strings are borrowed from `data`. Returns 0, or -1 with a bad-input
 * reason in errstr. */
#ifndef LIC_MESSAGES_H
#define LIC_MESSAGES_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define MSG_MAX_REASONS 32

typedef struct {
    const char *request_id;
    const char *application_id;
    const char *agency;  /* industrial_safety, sanitary */
    const char *region;  /* ISO 3166-2:KZ */
    const char *verdict; /* compliant, non_compliant */
    const char *reasons[MSG_MAX_REASONS];
    size_t reason_count;
    time_t decided_at;
    const char *signer;
} msg_reply_t;

typedef struct {
    const char *application_id;
    const char *hearing_id;
    const char *outcome; /* refusal_confirmed, refusal_withdrawn */
    const char *notes;   /* may be NULL */
} msg_hearing_t;

typedef struct {
    const char *complaint_id;
    const char *application_id;
    time_t filed_at;
    const char *addressed_to; /* provider, authorized_body */
    const char *text;
} msg_complaint_t;

typedef struct {
    const char *complaint_id;
    const char *application_id;
    const char *outcome; /* satisfied, rejected, forwarded */
    const char *notes;   /* may be NULL */
} msg_resolution_t;

/* ground.raised.v1: a ground of Standard row 9 the executor found, with its facts (kk and ru:
 * an object {kk, ru}, or one text for both) and the evidence ([{kind, id, sha256}]). The code
 * is checked against the application's kind by the caller (grounds.h). */
typedef struct {
    const char *application_id;
    const char *ground;
    const char *facts_kk, *facts_ru;
    const json_t *evidence; /* borrowed from data; an array, may be empty */
} msg_ground_t;

int msg_decode_ground(const json_t *data, const char *subject, msg_ground_t *out, char *errstr,
                      size_t errstr_size);

/* review.completed.v1: the executor's review of an application found no ground. */
typedef struct {
    const char *application_id;
    const char *result; /* no_grounds */
    /* The license's special conditions (art. 36 of the Law on Permits), both or neither
     * (NULL: none). */
    const char *special_kk, *special_ru;
} msg_review_t;

int msg_decode_review(const json_t *data, const char *subject, msg_review_t *out, char *errstr,
                      size_t errstr_size);

int msg_decode_reply(const json_t *data, const char *subject, msg_reply_t *out, char *errstr,
                     size_t errstr_size);
int msg_decode_hearing(const json_t *data, const char *subject, msg_hearing_t *out, char *errstr,
                       size_t errstr_size);
int msg_decode_complaint(const json_t *data, const char *subject, msg_complaint_t *out,
                         char *errstr, size_t errstr_size);
int msg_decode_resolution(const json_t *data, const char *subject, msg_resolution_t *out,
                          char *errstr, size_t errstr_size);

/* Decodes any inbound message by its CloudEvent type (envelope and data), for tools and
 * tests: 0 valid, -1 with the reason. */
int msg_validate(const void *buf, size_t len, char *type_out, size_t type_size, char *errstr,
                 size_t errstr_size);

#endif
