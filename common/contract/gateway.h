/* gateway: the e-government gateway's SOAP 1.1 SyncChannel v10 `SendMessage` (CONTRACT.md
 * "The e-government gateway"; WSDL in codecraftkz/syncegg) and the registry payloads of
 * proto/gateway/registry.v1.xsd carried in its requestData/data and responseData/data.
 * Built and read with libxml2: no string splicing, no DTD, no entity expansion, no network. */
#ifndef LIC_GATEWAY_H
#define LIC_GATEWAY_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define GW_NS_SYNC "http://bip.bee.kz/SyncChannel/v10/Types"
#define GW_NS_REGISTRY "urn:kz:gov:licensing:registry:v1"
#define GW_MAX_RESPONSE (1024 * 1024) /* larger answers are malformed */

typedef enum {
    GW_PERSON,      /* GBDFL_PERSON: individuals */
    GW_ENTITY,      /* GBDUL_ENTITY: legal entities */
    GW_DEBTOR_BANS, /* ERD_BANS: bailiffs' bans on receiving permits */
    GW_COURT_BANS,  /* COURT_BANS: court decisions suspending or prohibiting the activity */
    GW_SERVICE_COUNT
} gw_service_t;

/* The gateway's serviceId ("GBDFL_PERSON"), and back (-1 when unknown). */
const char *gw_service_id(gw_service_t s);
int gw_service_from_id(const char *id);

typedef struct {
    gw_service_t service;
    const char *message_id;     /* ours, a UUID: the same on every retry of one question */
    const char *correlation_id; /* the application */
    const char *sender_id;
    const char *password; /* may be NULL */
    time_t at;            /* messageDate */
    const char *subject;  /* the IIN or BIN asked about */
} gw_request_t;

/* The SendMessage envelope. Returns malloc'd UTF-8 bytes (*len of them) or NULL. */
char *gw_request_xml(const gw_request_t *rq, size_t *len);

typedef enum {
    GW_ANSWERED,  /* responseInfo and the service's payload */
    GW_FAULT,     /* a SOAP fault (ErrorInfo), or a responseInfo status that is not success */
    GW_MALFORMED, /* anything else: not XML, not SOAP, the wrong payload or subject */
} gw_outcome_t;

typedef struct {
    gw_outcome_t outcome;
    char code[64];     /* responseInfo/status/code, or the fault's errorCode / faultcode */
    char message[256]; /* its message, or why the answer is malformed */
    char response_id[64];
    /* GW_ANSWERED: the payload as JSON, the evidence stored with the application (new
     * reference), one shape per service:
     *   person  {iin, found, last_name, first_name, middle_name, full_name, status, address}
     *   entity  {bin, found, name_kk, name_ru, legal_address, status, head_iin,
     *            predecessors: [{form, date, bin, name}], successors: [...]}
     *   debtor  {iin_bin, bans: [{authority, date, case}]}
     *   court   {iin_bin, decisions: [{court, date, case, measure, subtypes: [n...]}]} */
    json_t *answer;
} gw_response_t;

/* Reads a SendMessage answer (HTTP body) to a question about `subject` of `service`. Always
 * fills *out (free with gw_response_free()); returns out->outcome. */
gw_outcome_t gw_response_parse(gw_service_t service, const char *subject, const char *body,
                               size_t len, gw_response_t *out);
void gw_response_free(gw_response_t *r);

/* An answer of the simulator or a test: the SendMessageResponse envelope around `answer`
 * (a JSON object of the shape above), or a SOAP fault when `answer` is NULL (code, message).
 * Malloc'd bytes, *len of them, or NULL. */
char *gw_response_xml(gw_service_t service, const char *correlation_id, const json_t *answer,
                      const char *fault_code, const char *fault_message, time_t at, size_t *len);

/* Reads a SendMessage request (the simulator's side): service, messageId, sender, subject.
 * 0, or -1 with errstr. */
typedef struct {
    int service; /* gw_service_t */
    char message_id[128], correlation_id[128], sender_id[128], password[256], subject[16];
} gw_incoming_t;
int gw_request_parse(const char *body, size_t len, gw_incoming_t *out, char *errstr,
                     size_t errstr_size);

#endif
