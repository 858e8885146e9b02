/* gateway: the SendMessage envelope the workers send carries a registry.v1 payload valid
 * against proto/gateway/registry.v1.xsd and reads back as it was written; every example answer
 * of proto/examples/gateway reads as the registry meant it; faults, error statuses and every
 * kind of malformed answer are told apart and never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", getenv("LIC_PROTO_DIR"), rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The registry payload inside requestData/data or responseData/data, validated against the
 * project's XSD. 0 when valid. */
static int payload_valid(const char *xml, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/gateway/registry.v1.xsd", getenv("LIC_PROTO_DIR"));
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    assert_non_null(schema);
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlNodePtr n = xmlDocGetRootElement(doc);
    /* Envelope/Body/SendMessage[Response]/request|response/requestData|responseData/data/x */
    for (int depth = 0; n && depth < 5; depth++) {
        xmlNodePtr c = n->children;
        while (c && c->type != XML_ELEMENT_NODE)
            c = c->next;
        if (depth == 3) /* skip requestInfo / responseInfo */
            for (c = c ? c->next : NULL; c && c->type != XML_ELEMENT_NODE; c = c->next)
                ;
        n = c;
    }
    xmlNodePtr payload = n ? n->children : NULL;
    while (payload && payload->type != XML_ELEMENT_NODE)
        payload = payload->next;
    assert_non_null(payload);
    xmlDocPtr sub = xmlNewDoc(BAD_CAST "1.0");
    xmlDocSetRootElement(sub, xmlDocCopyNode(payload, sub, 1));
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    int rc = xmlSchemaValidateDoc(vc, sub);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(sub);
    xmlFreeDoc(doc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    return rc;
}

static void test_request_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < GW_SERVICE_COUNT; s++) {
        gw_request_t rq = {s,
                           "7c0e5b1a-2f57-4f43-9a8e-4b1f0c3d2e11",
                           "0b9d3c64-6f2a-4e1b-8c55-3a7e9d2f1b01",
                           "KPR_LICENSING",
                           "p&<ss\"",
                           1773637209,
                           "070340001239"};
        size_t len = 0;
        char *xml = gw_request_xml(&rq, &len);
        assert_non_null(xml);
        assert_int_equal(strlen(xml), len);
        assert_int_equal(payload_valid(xml, len), 0);
        gw_incoming_t in;
        char err[256];
        assert_int_equal(gw_request_parse(xml, len, &in, err, sizeof(err)), 0);
        assert_int_equal(in.service, s);
        assert_string_equal(in.message_id, rq.message_id);
        assert_string_equal(in.correlation_id, rq.correlation_id);
        assert_string_equal(in.sender_id, "KPR_LICENSING");
        assert_string_equal(in.password, "p&<ss\""); /* escaped on the wire, not spliced */
        assert_string_equal(in.subject, "070340001239");
        assert_non_null(strstr(xml, "<messageDate>2026-03-16T10:00:09+05:00</messageDate>"));
        free(xml);
    }
}

static void test_example_answers(void **state)
{
    (void)state;
    size_t len;
    gw_response_t r;
    char *xml = slurp("examples/gateway/response.GBDUL_ENTITY.xml", &len);
    assert_int_equal(gw_response_parse(GW_ENTITY, "070340001239", xml, len, &r), GW_ANSWERED);
    assert_string_equal(r.code, "SCSS001");
    assert_string_equal(json_string_value(json_object_get(r.answer, "name_ru")),
                        "ТОО «Қарағанды Көмір»");
    assert_string_equal(json_string_value(json_object_get(r.answer, "status")), "active");
    json_t *p = json_array_get(json_object_get(r.answer, "predecessors"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "form")), "merger");
    assert_string_equal(json_string_value(json_object_get(p, "bin")), "990140002347");
    gw_response_free(&r);
    /* The same answer about someone else is not an answer to this question. */
    assert_int_equal(gw_response_parse(GW_ENTITY, "990140002347", xml, len, &r), GW_MALFORMED);
    gw_response_free(&r);
    /* Nor is it a person. */
    assert_int_equal(gw_response_parse(GW_PERSON, "070340001239", xml, len, &r), GW_MALFORMED);
    gw_response_free(&r);
    free(xml);

    xml = slurp("examples/gateway/response.GBDFL_PERSON.xml", &len);
    assert_int_equal(gw_response_parse(GW_PERSON, "880101300123", xml, len, &r), GW_ANSWERED);
    assert_string_equal(json_string_value(json_object_get(r.answer, "full_name")),
                        "Сейітқали Әлібек Нұрланұлы");
    assert_string_equal(json_string_value(json_object_get(r.answer, "status")), "alive");
    gw_response_free(&r);
    free(xml);

    xml = slurp("examples/gateway/response.ERD_BANS.xml", &len);
    assert_int_equal(gw_response_parse(GW_DEBTOR_BANS, "070340001239", xml, len, &r), GW_ANSWERED);
    json_t *b = json_array_get(json_object_get(r.answer, "bans"), 0);
    assert_string_equal(json_string_value(json_object_get(b, "case")), "ИП-09-2026-001178");
    gw_response_free(&r);
    free(xml);

    xml = slurp("examples/gateway/response.COURT_BANS.xml", &len);
    assert_int_equal(gw_response_parse(GW_COURT_BANS, "070340001239", xml, len, &r), GW_ANSWERED);
    json_t *d = json_array_get(json_object_get(r.answer, "decisions"), 0);
    assert_string_equal(json_string_value(json_object_get(d, "measure")), "suspension");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "subtypes"), 0)), 4);
    gw_response_free(&r);
    free(xml);

    xml = slurp("examples/gateway/fault.xml", &len);
    assert_int_equal(gw_response_parse(GW_COURT_BANS, "070340001239", xml, len, &r), GW_FAULT);
    assert_string_equal(r.code, "SE0003");
    assert_string_equal(r.message, "Информационная система получателя не отвечает");
    assert_null(r.answer);
    gw_response_free(&r);
    free(xml);
}

/* What the simulator writes, the workers read back to the same JSON, and it is valid. */
static void test_response_round_trip(void **state)
{
    (void)state;
    const char *answers[GW_SERVICE_COUNT] = {
        "{\"iin\":\"880101300123\",\"found\":true,\"last_name\":\"Сейітқали\",\"first_name\":"
        "\"Әлібек\",\"middle_name\":\"\",\"status\":\"deceased\",\"address\":\"a & b <c>\"}",
        "{\"bin\":\"070340001239\",\"found\":true,\"name_kk\":\"К\",\"name_ru\":\"Р\","
        "\"legal_address\":\"А\",\"status\":\"liquidated\",\"head_iin\":\"\",\"predecessors\":[],"
        "\"successors\":[{\"form\":\"accession\",\"date\":\"2026-01-05\",\"bin\":\"990140002347\","
        "\"name\":\"ТОО «Н»\"}]}",
        "{\"iin_bin\":\"070340001239\",\"bans\":[]}",
        "{\"iin_bin\":\"070340001239\",\"decisions\":[{\"court\":\"С\",\"date\":\"2026-01-28\","
        "\"case\":\"2-1\",\"measure\":\"prohibition\",\"subtypes\":[]}]}"};
    const char *subjects[GW_SERVICE_COUNT] = {"880101300123", "070340001239", "070340001239",
                                              "070340001239"};
    for (int s = 0; s < GW_SERVICE_COUNT; s++) {
        json_t *want = json_loads(answers[s], 0, NULL);
        assert_non_null(want);
        size_t len;
        char *xml = gw_response_xml(s, "corr", want, NULL, NULL, 1773637209, &len);
        assert_non_null(xml);
        assert_int_equal(payload_valid(xml, len), 0);
        gw_response_t r;
        assert_int_equal(gw_response_parse(s, subjects[s], xml, len, &r), GW_ANSWERED);
        if (s == GW_PERSON) /* derived */
            json_object_del(r.answer, "full_name");
        assert_true(json_equal(r.answer, want));
        gw_response_free(&r);
        free(xml);
        json_decref(want);
    }
    /* A person the registry does not know: found=false and nothing else. */
    json_t *unknown = json_pack("{s:s,s:b}", "iin", "880101300123", "found", 0);
    size_t len;
    char *xml = gw_response_xml(GW_PERSON, NULL, unknown, NULL, NULL, 1773637209, &len);
    gw_response_t r;
    assert_int_equal(gw_response_parse(GW_PERSON, "880101300123", xml, len, &r), GW_ANSWERED);
    assert_false(json_is_true(json_object_get(r.answer, "found")));
    gw_response_free(&r);
    free(xml);
    json_decref(unknown);
    /* A status that is not success is the registry's refusal to answer, not an answer. */
    json_t *none = json_loads(answers[2], 0, NULL);
    xml = gw_response_xml(GW_DEBTOR_BANS, NULL, none, "SE0010", "Нет доступа", 1773637209, &len);
    json_decref(none);
    assert_int_equal(gw_response_parse(GW_DEBTOR_BANS, "070340001239", xml, len, &r), GW_FAULT);
    assert_string_equal(r.code, "SE0010");
    gw_response_free(&r);
    free(xml);
}

static void expect_malformed(const char *body)
{
    gw_response_t r;
    assert_int_equal(gw_response_parse(GW_PERSON, "880101300123", body, strlen(body), &r),
                     GW_MALFORMED);
    assert_true(strlen(r.message) > 0);
    assert_null(r.answer);
    gw_response_free(&r);
}

#define ENV_HEAD                                                                                   \
    "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"    \
    "<s:Body><n:SendMessageResponse xmlns:n=\"http://bip.bee.kz/SyncChannel/v10/Types\">"          \
    "<response><responseInfo><messageId>m</messageId><responseDate>2026-03-16T10:00:00+05:00"      \
    "</responseDate><status><code>SCSS001</code><message>ok</message></status></responseInfo>"     \
    "<responseData><data>"
#define ENV_TAIL "</data></responseData></response></n:SendMessageResponse></s:Body></s:Envelope>"

static void test_malformed_answers(void **state)
{
    (void)state;
    expect_malformed("");
    expect_malformed("not xml at all");
    expect_malformed("<html><body>502 Bad Gateway</body></html>");
    expect_malformed("<?xml version=\"1.0\"?><s:Envelope "
                     "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>");
    /* A DTD with an external entity (XXE) is refused before anything is read. */
    expect_malformed(
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
        "&e;</s:Body></s:Envelope>");
    /* An otherwise good answer with a DTD of its own: refused, its entities never expanded. */
    expect_malformed("<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY n \"Абай\">]>"
                     "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
                     "<n:SendMessageResponse xmlns:n=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
                     "<response><responseInfo><messageId>m</messageId><responseDate>2026-03-16T10:"
                     "00:00+05:00</responseDate><status><code>SCSS001</code><message>ok</message>"
                     "</status></responseInfo><responseData><data><r:person xmlns:r=\"urn:kz:gov:"
                     "licensing:registry:v1\"><r:iin>880101300123</r:iin><r:found>true</r:found>"
                     "<r:lastName>&n;</r:lastName><r:firstName>B</r:firstName><r:status>alive"
                     "</r:status></r:person>" ENV_TAIL);
    /* Truncated mid-answer. */
    expect_malformed(ENV_HEAD "<r:person xmlns:r=\"urn:kz:gov:licensing:registry:v1\"><r:iin>");
    /* No status. */
    expect_malformed("<?xml version=\"1.0\"?><s:Envelope "
                     "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
                     "<n:SendMessageResponse xmlns:n=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
                     "<response/></n:SendMessageResponse></s:Body></s:Envelope>");
    /* Payload in another namespace, or missing. */
    expect_malformed(ENV_HEAD
                     "<person><iin>880101300123</iin><found>true</found></person>" ENV_TAIL);
    expect_malformed(ENV_HEAD ENV_TAIL);
    /* Found without a name, an unknown status, a boolean that is not one. */
    expect_malformed(ENV_HEAD "<r:person xmlns:r=\"urn:kz:gov:licensing:registry:v1\"><r:iin>"
                              "880101300123</r:iin><r:found>true</r:found></r:person>" ENV_TAIL);
    expect_malformed(ENV_HEAD "<r:person xmlns:r=\"urn:kz:gov:licensing:registry:v1\"><r:iin>"
                              "880101300123</r:iin><r:found>true</r:found><r:lastName>A"
                              "</r:lastName><r:firstName>B</r:firstName><r:status>missing"
                              "</r:status></r:person>" ENV_TAIL);
    expect_malformed(ENV_HEAD "<r:person xmlns:r=\"urn:kz:gov:licensing:registry:v1\"><r:iin>"
                              "880101300123</r:iin><r:found>maybe</r:found></r:person>" ENV_TAIL);
    /* A name longer than the buffer is refused, not cut. */
    char *huge = malloc(20000);
    int n = snprintf(huge, 20000,
                     ENV_HEAD "<r:person xmlns:r=\"urn:kz:gov:licensing:registry:v1\"><r:iin>"
                              "880101300123</r:iin><r:found>true</r:found><r:lastName>");
    memset(huge + n, 'A', 10000);
    snprintf(
        huge + n + 10000, 20000 - (size_t)n - 10000,
        "</r:lastName><r:firstName>B</r:firstName><r:status>alive</r:status></r:person>" ENV_TAIL);
    expect_malformed(huge);
    free(huge);
    /* Larger than the limit. */
    char *big = calloc(GW_MAX_RESPONSE + 2, 1);
    memset(big, ' ', GW_MAX_RESPONSE + 1);
    gw_response_t r;
    assert_int_equal(gw_response_parse(GW_PERSON, "880101300123", big, GW_MAX_RESPONSE + 1, &r),
                     GW_MALFORMED);
    gw_response_free(&r);
    free(big);
    /* A fault with no ErrorInfo still names its faultcode. */
    const char *f = "<?xml version=\"1.0\"?><s:Envelope "
                    "xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>"
                    "<faultcode>s:Client</faultcode><faultstring>bad</faultstring></s:Fault>"
                    "</s:Body></s:Envelope>";
    assert_int_equal(gw_response_parse(GW_PERSON, "880101300123", f, strlen(f), &r), GW_FAULT);
    assert_string_equal(r.code, "s:Client");
    assert_string_equal(r.message, "bad");
    gw_response_free(&r);
}

static void test_request_parse_refuses(void **state)
{
    (void)state;
    gw_incoming_t in;
    char err[256];
    const char *bad_service =
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
        "<s:Body><n:SendMessage xmlns:n=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request>"
        "<requestInfo><messageId>m</messageId><serviceId>NOPE</serviceId><messageDate>x"
        "</messageDate><sender><senderId>s</senderId></sender></requestInfo></request>"
        "</n:SendMessage></s:Body></s:Envelope>";
    assert_int_equal(gw_request_parse(bad_service, strlen(bad_service), &in, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NOPE"));
    assert_int_equal(gw_request_parse("<x/>", 4, &in, err, sizeof(err)), -1);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_round_trip),    cmocka_unit_test(test_example_answers),
        cmocka_unit_test(test_response_round_trip),   cmocka_unit_test(test_malformed_answers),
        cmocka_unit_test(test_request_parse_refuses),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
