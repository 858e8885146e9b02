/* gateway: see gateway.h. */
#include "gateway.h"
#include "cal.h"
#include "util.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_SOAP "http://schemas.xmlsoap.org/soap/envelope/"
#define MAX_ITEMS 16 /* predecessors, successors, bans, decisions (registry.v1.xsd) */
#define MAX_SUBTYPES 32

static const struct {
    const char *id, *request, *request_field, *answer;
} SERVICES[GW_SERVICE_COUNT] = {
    [GW_PERSON] = {"GBDFL_PERSON", "personRequest", "iin", "person"},
    [GW_ENTITY] = {"GBDUL_ENTITY", "entityRequest", "bin", "entity"},
    [GW_DEBTOR_BANS] = {"ERD_BANS", "bansRequest", "iinBin", "debtorBans"},
    [GW_COURT_BANS] = {"COURT_BANS", "bansRequest", "iinBin", "courtBans"},
};

const char *gw_service_id(gw_service_t s)
{
    return s >= 0 && s < GW_SERVICE_COUNT ? SERVICES[s].id : NULL;
}

int gw_service_from_id(const char *id)
{
    for (int i = 0; id && i < GW_SERVICE_COUNT; i++)
        if (strcmp(SERVICES[i].id, id) == 0)
            return i;
    return -1;
}

/* ---- writing ------------------------------------------------------------------------------ */

/* A child element with escaped text (NULL: empty). `ns` NULL: no namespace, as the WSDL's
 * unqualified local elements are (xmlNewChild would inherit the parent's). */
static xmlNodePtr add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    xmlNodePtr n = xmlNewDocNode(parent->doc, ns, BAD_CAST name, NULL);
    if (!n)
        return NULL;
    if (text)
        xmlNodeAddContent(n, BAD_CAST text);
    return xmlAddChild(parent, n);
}

/* The document as malloc'd UTF-8 bytes; frees the document. */
static char *dump(xmlDocPtr doc, size_t *len)
{
    xmlChar *buf = NULL;
    int n = 0;
    xmlDocDumpMemoryEnc(doc, &buf, &n, "UTF-8");
    xmlFreeDoc(doc);
    char *out = buf && n > 0 ? malloc((size_t)n + 1) : NULL;
    if (out) {
        memcpy(out, buf, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    }
    xmlFree(buf);
    return out;
}

/* An Envelope with its Body; *body receives the Body. */
static xmlDocPtr envelope(xmlNodePtr *body)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "Envelope", NULL) : NULL;
    if (!root) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlDocSetRootElement(doc, root);
    xmlNsPtr soap = xmlNewNs(root, BAD_CAST NS_SOAP, BAD_CAST "soapenv");
    xmlSetNs(root, soap);
    *body = add(root, soap, "Body", NULL);
    return doc;
}

char *gw_request_xml(const gw_request_t *rq, size_t *len)
{
    if (rq->service < 0 || rq->service >= GW_SERVICE_COUNT)
        return NULL;
    xmlNodePtr body;
    xmlDocPtr doc = envelope(&body);
    if (!doc)
        return NULL;
    xmlNodePtr sm = add(body, NULL, "SendMessage", NULL);
    xmlSetNs(sm, xmlNewNs(sm, BAD_CAST GW_NS_SYNC, BAD_CAST "ns2"));
    xmlNodePtr request = add(sm, NULL, "request", NULL);
    xmlNodePtr info = add(request, NULL, "requestInfo", NULL);
    char date[40];
    cal_format(rq->at, date, sizeof(date));
    add(info, NULL, "messageId", rq->message_id);
    if (rq->correlation_id)
        add(info, NULL, "correlationId", rq->correlation_id);
    add(info, NULL, "serviceId", SERVICES[rq->service].id);
    add(info, NULL, "messageDate", date);
    xmlNodePtr sender = add(info, NULL, "sender", NULL);
    add(sender, NULL, "senderId", rq->sender_id);
    if (rq->password)
        add(sender, NULL, "password", rq->password);
    xmlNodePtr data = add(add(request, NULL, "requestData", NULL), NULL, "data", NULL);
    xmlNodePtr q = add(data, NULL, SERVICES[rq->service].request, NULL);
    xmlNsPtr r = xmlNewNs(q, BAD_CAST GW_NS_REGISTRY, BAD_CAST "r");
    xmlSetNs(q, r);
    add(q, r, SERVICES[rq->service].request_field, rq->subject);
    return dump(doc, len);
}

/* The answer's JSON back into registry.v1 elements (the simulator's side). */
static void add_json_text(xmlNodePtr parent, xmlNsPtr ns, const char *name, const json_t *v)
{
    if (json_is_string(v) && *json_string_value(v)) /* "": an optional element left out */
        add(parent, ns, name, json_string_value(v));
    else if (json_is_boolean(v))
        add(parent, ns, name, json_is_true(v) ? "true" : "false");
    else if (json_is_integer(v)) {
        char s[32];
        snprintf(s, sizeof(s), "%lld", (long long)json_integer_value(v));
        add(parent, ns, name, s);
    }
}

static const struct field {
    const char *json, *xml;
} PERSON_F[] = {{"iin", "iin"},
                {"found", "found"},
                {"last_name", "lastName"},
                {"first_name", "firstName"},
                {"middle_name", "middleName"},
                {"status", "status"},
                {"address", "address"},
                {NULL, NULL}},
  ENTITY_F[] = {{"bin", "bin"},
                {"found", "found"},
                {"name_kk", "nameKk"},
                {"name_ru", "nameRu"},
                {"legal_address", "legalAddress"},
                {"status", "status"},
                {"head_iin", "headIin"},
                {NULL, NULL}},
  REORG_F[] = {{"form", "form"}, {"date", "date"}, {"bin", "bin"}, {"name", "name"}, {NULL, NULL}},
  BAN_F[] = {{"authority", "authority"}, {"date", "date"}, {"case", "case"}, {NULL, NULL}},
  DECISION_F[] = {
      {"court", "court"}, {"date", "date"}, {"case", "case"}, {"measure", "measure"}, {NULL, NULL}};

static void add_fields(xmlNodePtr parent, xmlNsPtr ns, const json_t *obj, const struct field *f)
{
    for (; f->json; f++)
        add_json_text(parent, ns, f->xml, json_object_get(obj, f->json));
}

static void add_list(xmlNodePtr parent, xmlNsPtr ns, const json_t *arr, const char *name,
                     const struct field *f)
{
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        xmlNodePtr n = add(parent, ns, name, NULL);
        add_fields(n, ns, item, f);
        size_t j;
        json_t *st;
        json_array_foreach(json_object_get(item, "subtypes"), j, st)
            add_json_text(n, ns, "subtype", st);
    }
}

char *gw_response_xml(gw_service_t service, const char *correlation_id, const json_t *answer,
                      const char *fault_code, const char *fault_message, time_t at, size_t *len)
{
    if (service < 0 || service >= GW_SERVICE_COUNT)
        return NULL;
    xmlNodePtr body;
    xmlDocPtr doc = envelope(&body);
    if (!doc)
        return NULL;
    char date[40], id[UUID_STR_LEN];
    cal_format(at, date, sizeof(date));
    util_uuid_v4(id);
    if (!answer) {
        xmlNodePtr fault = add(body, body->ns, "Fault", NULL);
        add(fault, NULL, "faultcode", "soapenv:Server");
        add(fault, NULL, "faultstring", fault_message);
        xmlNodePtr e =
            add(add(fault, NULL, "detail", NULL), NULL, "SendMessageFault1_SendMessageFault", NULL);
        xmlSetNs(e, xmlNewNs(e, BAD_CAST GW_NS_SYNC, BAD_CAST "ns2"));
        add(e, NULL, "errorCode", fault_code);
        add(e, NULL, "errorMessage", fault_message);
        add(e, NULL, "errorDate", date);
        return dump(doc, len);
    }
    xmlNodePtr smr = add(body, NULL, "SendMessageResponse", NULL);
    xmlSetNs(smr, xmlNewNs(smr, BAD_CAST GW_NS_SYNC, BAD_CAST "ns2"));
    xmlNodePtr response = add(smr, NULL, "response", NULL);
    xmlNodePtr info = add(response, NULL, "responseInfo", NULL);
    add(info, NULL, "messageId", id);
    if (correlation_id)
        add(info, NULL, "correlationId", correlation_id);
    add(info, NULL, "responseDate", date);
    xmlNodePtr status = add(info, NULL, "status", NULL);
    add(status, NULL, "code", fault_code ? fault_code : "SCSS001");
    add(status, NULL, "message", fault_message ? fault_message : "Сообщение обработано успешно");
    xmlNodePtr data = add(add(response, NULL, "responseData", NULL), NULL, "data", NULL);
    xmlNodePtr a = add(data, NULL, SERVICES[service].answer, NULL);
    xmlNsPtr r = xmlNewNs(a, BAD_CAST GW_NS_REGISTRY, BAD_CAST "r");
    xmlSetNs(a, r);
    switch (service) {
    case GW_PERSON:
        add_fields(a, r, answer, PERSON_F);
        break;
    case GW_ENTITY:
        add_fields(a, r, answer, ENTITY_F);
        add_list(a, r, json_object_get(answer, "predecessors"), "predecessor", REORG_F);
        add_list(a, r, json_object_get(answer, "successors"), "successor", REORG_F);
        break;
    case GW_DEBTOR_BANS:
        add_json_text(a, r, "iinBin", json_object_get(answer, "iin_bin"));
        add_list(a, r, json_object_get(answer, "bans"), "ban", BAN_F);
        break;
    default:
        add_json_text(a, r, "iinBin", json_object_get(answer, "iin_bin"));
        add_list(a, r, json_object_get(answer, "decisions"), "decision", DECISION_F);
        break;
    }
    return dump(doc, len);
}

/* ---- reading ------------------------------------------------------------------------------ */

/* A SOAP message has no DTD: none is loaded, no entity is substituted, nothing is fetched. */
static xmlDocPtr parse(const char *body, size_t len, char *err, size_t err_size)
{
    if (!body || len == 0 || len > GW_MAX_RESPONSE) {
        snprintf(err, err_size, "empty or larger than %d bytes", GW_MAX_RESPONSE);
        return NULL;
    }
    xmlDocPtr doc = xmlReadMemory(body, (int)len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        snprintf(err, err_size, "not well-formed XML");
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        snprintf(err, err_size, "a document type declaration is not allowed");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static int ns_is(const xmlNode *n, const char *ns)
{
    if (!ns)
        return n->ns == NULL;
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

/* The first element child named `name` in namespace `ns` (NULL: none). The SyncChannel's
 * local elements are unqualified; a gateway that qualifies them with its namespace is read
 * too (`either`). */
static xmlNodePtr child_ns(const xmlNode *parent, const char *ns, const char *name, int either)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0 &&
            (ns_is(c, ns) || (either && ns_is(c, GW_NS_SYNC))))
            return c;
    return NULL;
}

static xmlNodePtr sync_child(const xmlNode *parent, const char *name)
{
    return child_ns(parent, NULL, name, 1);
}

static xmlNodePtr first_element(const xmlNode *parent)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

/* The text of `n` into buf; -1 when absent or longer than the buffer. */
static int text(const xmlNode *n, char *buf, size_t size)
{
    if (!n)
        return -1;
    xmlChar *s = xmlNodeGetContent(n);
    if (!s)
        return -1;
    size_t l = strlen((const char *)s);
    int rc = l < size ? 0 : -1;
    if (rc == 0)
        memcpy(buf, s, l + 1);
    xmlFree(s);
    return rc;
}

typedef struct {
    xmlNodePtr node; /* the payload element */
    char *err;
    size_t err_size;
    int bad;
} reader_t;

static void bad(reader_t *rd, const char *what, const char *name)
{
    if (!rd->bad)
        snprintf(rd->err, rd->err_size, "%s %s", what, name);
    rd->bad = 1;
}

/* A registry.v1 child of `parent` as a JSON string (or NULL when optional and absent). */
static json_t *field(reader_t *rd, const xmlNode *parent, const char *name, int required)
{
    xmlNodePtr n = child_ns(parent, GW_NS_REGISTRY, name, 0);
    char buf[4096];
    if (!n) {
        if (required)
            bad(rd, "missing", name);
        return NULL;
    }
    if (text(n, buf, sizeof(buf))) {
        bad(rd, "too long:", name);
        return NULL;
    }
    return json_string(buf);
}

static void put(json_t *obj, const char *key, json_t *v)
{
    json_object_set_new(obj, key, v ? v : json_string(""));
}

static int one_of(const char *v, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(v, *allowed) == 0)
            return 1;
    return 0;
}

static void check_enum(reader_t *rd, json_t *obj, const char *key, const char *const *allowed)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (!v || !one_of(v, allowed))
        bad(rd, "unknown value of", key);
}

static void check_digits(reader_t *rd, const json_t *obj, const char *key, int optional)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (optional && v && !*v)
        return;
    if (!v || strlen(v) != 12 || strspn(v, "0123456789") != 12)
        bad(rd, "not twelve digits:", key);
}

static void check_date(reader_t *rd, const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    int y, m, d;
    char tail;
    if (!v || strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        bad(rd, "not a date:", key);
}

static int read_found(reader_t *rd, json_t *out)
{
    json_t *f = field(rd, rd->node, "found", 1);
    const char *v = json_string_value(f);
    int found = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    if (v && !found && strcmp(v, "false") != 0 && strcmp(v, "0") != 0)
        bad(rd, "not a boolean:", "found");
    json_decref(f);
    json_object_set_new(out, "found", json_boolean(found));
    return found;
}

/* The repeated elements `name` of the payload, each read by `one` into an array. */
static json_t *items(reader_t *rd, const char *name, void (*one)(reader_t *, xmlNodePtr, json_t *))
{
    json_t *arr = json_array();
    for (xmlNodePtr c = rd->node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0 ||
            !ns_is(c, GW_NS_REGISTRY))
            continue;
        if (json_array_size(arr) >= MAX_ITEMS) {
            bad(rd, "too many", name);
            break;
        }
        json_t *o = json_object();
        one(rd, c, o);
        json_array_append_new(arr, o);
    }
    return arr;
}

static const char *const REORG_FORMS[] = {"merger",   "transformation", "accession",
                                          "spin_off", "split",          NULL};
static const char *const MEASURES[] = {"suspension", "prohibition", NULL};

static void reorg(reader_t *rd, xmlNodePtr n, json_t *o)
{
    put(o, "form", field(rd, n, "form", 1));
    put(o, "date", field(rd, n, "date", 1));
    put(o, "bin", field(rd, n, "bin", 1));
    put(o, "name", field(rd, n, "name", 0));
    check_enum(rd, o, "form", REORG_FORMS);
    check_date(rd, o, "date");
    check_digits(rd, o, "bin", 0);
}

static void ban(reader_t *rd, xmlNodePtr n, json_t *o)
{
    put(o, "authority", field(rd, n, "authority", 1));
    put(o, "date", field(rd, n, "date", 1));
    put(o, "case", field(rd, n, "case", 1));
    check_date(rd, o, "date");
}

static void decision(reader_t *rd, xmlNodePtr n, json_t *o)
{
    put(o, "court", field(rd, n, "court", 1));
    put(o, "date", field(rd, n, "date", 1));
    put(o, "case", field(rd, n, "case", 1));
    put(o, "measure", field(rd, n, "measure", 1));
    check_date(rd, o, "date");
    check_enum(rd, o, "measure", MEASURES);
    json_t *st = json_array();
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "subtype") != 0)
            continue;
        char buf[8];
        char *end = NULL;
        long v = text(c, buf, sizeof(buf)) ? 0 : strtol(buf, &end, 10);
        if (v < 1 || v > 99 || !end || *end || json_array_size(st) >= MAX_SUBTYPES) {
            bad(rd, "bad", "subtype");
            break;
        }
        json_array_append_new(st, json_integer(v));
    }
    json_object_set_new(o, "subtypes", st);
}

static const char *const PERSON_STATUS[] = {"alive", "deceased", NULL};
static const char *const ENTITY_STATUS[] = {"active", "liquidated", "in_reorganisation", NULL};

static json_t *read_payload(reader_t *rd, gw_service_t service, const char *subject)
{
    json_t *o = json_object();
    const char *id_key = service == GW_PERSON ? "iin" : service == GW_ENTITY ? "bin" : "iin_bin";
    put(o, id_key, field(rd, rd->node, SERVICES[service].request_field, 1));
    if (!rd->bad && strcmp(json_string_value(json_object_get(o, id_key)), subject) != 0)
        bad(rd, "the answer is about another subject than", subject);
    if (service == GW_PERSON) {
        if (read_found(rd, o)) {
            put(o, "last_name", field(rd, rd->node, "lastName", 1));
            put(o, "first_name", field(rd, rd->node, "firstName", 1));
            put(o, "middle_name", field(rd, rd->node, "middleName", 0));
            put(o, "status", field(rd, rd->node, "status", 1));
            put(o, "address", field(rd, rd->node, "address", 0));
            check_enum(rd, o, "status", PERSON_STATUS);
            char full[3 * 4096 + 3];
            const char *mid = json_string_value(json_object_get(o, "middle_name"));
            snprintf(full, sizeof(full), "%s %s%s%s",
                     json_string_value(json_object_get(o, "last_name")),
                     json_string_value(json_object_get(o, "first_name")), *mid ? " " : "", mid);
            json_object_set_new(o, "full_name", json_string(full));
        }
    } else if (service == GW_ENTITY) {
        if (read_found(rd, o)) {
            put(o, "name_kk", field(rd, rd->node, "nameKk", 0));
            put(o, "name_ru", field(rd, rd->node, "nameRu", 1));
            put(o, "legal_address", field(rd, rd->node, "legalAddress", 1));
            put(o, "status", field(rd, rd->node, "status", 1));
            put(o, "head_iin", field(rd, rd->node, "headIin", 0));
            check_enum(rd, o, "status", ENTITY_STATUS);
            check_digits(rd, o, "head_iin", 1);
            json_object_set_new(o, "predecessors", items(rd, "predecessor", reorg));
            json_object_set_new(o, "successors", items(rd, "successor", reorg));
        }
    } else if (service == GW_DEBTOR_BANS) {
        json_object_set_new(o, "bans", items(rd, "ban", ban));
    } else {
        json_object_set_new(o, "decisions", items(rd, "decision", decision));
    }
    return o;
}

static gw_outcome_t malformed(gw_response_t *out, const char *why)
{
    out->outcome = GW_MALFORMED;
    snprintf(out->message, sizeof(out->message), "%s", why);
    json_decref(out->answer);
    out->answer = NULL;
    return GW_MALFORMED;
}

/* Soap Fault: the ErrorInfo of its detail when there is one, else faultcode/faultstring. */
static gw_outcome_t read_fault(xmlNodePtr fault, gw_response_t *out)
{
    out->outcome = GW_FAULT;
    xmlNodePtr info = first_element(
        child_ns(fault, NULL, "detail", 1) ? child_ns(fault, NULL, "detail", 1) : NULL);
    if (info && text(sync_child(info, "errorCode"), out->code, sizeof(out->code)) == 0) {
        if (text(sync_child(info, "errorMessage"), out->message, sizeof(out->message)))
            snprintf(out->message, sizeof(out->message), "(no errorMessage)");
        return GW_FAULT;
    }
    if (text(child_ns(fault, NULL, "faultcode", 1), out->code, sizeof(out->code)))
        snprintf(out->code, sizeof(out->code), "soap:fault");
    if (text(child_ns(fault, NULL, "faultstring", 1), out->message, sizeof(out->message)))
        snprintf(out->message, sizeof(out->message), "(no faultstring)");
    return GW_FAULT;
}

gw_outcome_t gw_response_parse(gw_service_t service, const char *subject, const char *body,
                               size_t len, gw_response_t *out)
{
    memset(out, 0, sizeof(*out));
    if (service < 0 || service >= GW_SERVICE_COUNT)
        return malformed(out, "unknown service");
    char err[200];
    xmlDocPtr doc = parse(body, len, err, sizeof(err));
    if (!doc)
        return malformed(out, err);
    gw_outcome_t oc = GW_MALFORMED;
    xmlNodePtr env = xmlDocGetRootElement(doc);
    xmlNodePtr soap_body =
        env && strcmp((const char *)env->name, "Envelope") == 0 && ns_is(env, NS_SOAP)
            ? child_ns(env, NS_SOAP, "Body", 0)
            : NULL;
    xmlNodePtr fault = child_ns(soap_body, NS_SOAP, "Fault", 0);
    xmlNodePtr smr = child_ns(soap_body, GW_NS_SYNC, "SendMessageResponse", 0);
    xmlNodePtr response = sync_child(smr, "response");
    xmlNodePtr info = sync_child(response, "responseInfo");
    xmlNodePtr status = sync_child(info, "status");
    if (!soap_body) {
        oc = malformed(out, "not a SOAP 1.1 envelope");
    } else if (fault) {
        oc = read_fault(fault, out);
    } else if (!status || text(sync_child(status, "code"), out->code, sizeof(out->code))) {
        oc = malformed(out, "no SendMessageResponse/response/responseInfo/status/code");
    } else {
        if (text(sync_child(status, "message"), out->message, sizeof(out->message)))
            out->message[0] = '\0';
        if (text(sync_child(info, "messageId"), out->response_id, sizeof(out->response_id)))
            out->response_id[0] = '\0';
        xmlNodePtr data = sync_child(sync_child(response, "responseData"), "data");
        xmlNodePtr payload = first_element(data);
        if (strncmp(out->code, "SCSS", 4) != 0) {
            out->outcome = oc = GW_FAULT; /* the gateway's or the registry's error status */
        } else if (!payload || !ns_is(payload, GW_NS_REGISTRY) ||
                   strcmp((const char *)payload->name, SERVICES[service].answer) != 0) {
            char why[200];
            snprintf(why, sizeof(why), "responseData/data holds no %s of %s",
                     SERVICES[service].answer, GW_NS_REGISTRY);
            oc = malformed(out, why);
        } else {
            reader_t rd = {payload, err, sizeof(err), 0};
            out->answer = read_payload(&rd, service, subject);
            if (rd.bad)
                oc = malformed(out, err);
            else
                out->outcome = oc = GW_ANSWERED;
        }
    }
    xmlFreeDoc(doc);
    return oc;
}

void gw_response_free(gw_response_t *r)
{
    json_decref(r->answer);
    r->answer = NULL;
}

int gw_request_parse(const char *body, size_t len, gw_incoming_t *out, char *errstr,
                     size_t errstr_size)
{
    memset(out, 0, sizeof(*out));
    out->service = -1;
    xmlDocPtr doc = parse(body, len, errstr, errstr_size);
    if (!doc)
        return -1;
    int rc = -1;
    xmlNodePtr env = xmlDocGetRootElement(doc);
    xmlNodePtr sm = child_ns(child_ns(env, NS_SOAP, "Body", 0), GW_NS_SYNC, "SendMessage", 0);
    xmlNodePtr request = sync_child(sm, "request");
    xmlNodePtr info = sync_child(request, "requestInfo");
    xmlNodePtr sender = sync_child(info, "sender");
    char service[64];
    if (!info || text(sync_child(info, "serviceId"), service, sizeof(service)) ||
        text(sync_child(info, "messageId"), out->message_id, sizeof(out->message_id)) ||
        text(sync_child(sender, "senderId"), out->sender_id, sizeof(out->sender_id))) {
        snprintf(errstr, errstr_size,
                 "no SendMessage/request/requestInfo with serviceId, "
                 "messageId and sender/senderId");
        goto out;
    }
    text(sync_child(info, "correlationId"), out->correlation_id, sizeof(out->correlation_id));
    text(sync_child(sender, "password"), out->password, sizeof(out->password));
    if ((out->service = gw_service_from_id(service)) < 0) {
        snprintf(errstr, errstr_size, "unknown serviceId %s", service);
        goto out;
    }
    xmlNodePtr q = first_element(sync_child(sync_child(request, "requestData"), "data"));
    if (!q || !ns_is(q, GW_NS_REGISTRY) ||
        strcmp((const char *)q->name, SERVICES[out->service].request) != 0 ||
        text(child_ns(q, GW_NS_REGISTRY, SERVICES[out->service].request_field, 0), out->subject,
             sizeof(out->subject)) ||
        strlen(out->subject) != 12 || strspn(out->subject, "0123456789") != 12) {
        snprintf(errstr, errstr_size, "requestData/data holds no %s with a 12-digit %s",
                 SERVICES[out->service].request, SERVICES[out->service].request_field);
        goto out;
    }
    rc = 0;
out:
    xmlFreeDoc(doc);
    return rc;
}
