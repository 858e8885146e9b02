/* application.submitted.v1: decoding (bad input) and completeness (¶9, Standard rows 6, 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "submitted.h"
#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const app_fee_rules_t rules2026 = {4325, 10, 10};

static json_t *load_example(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/examples/%s", getenv("LIC_PROTO_DIR"), name);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        fail_msg("%s: %s", path, err.text);
    return root;
}

/* The example's data (new reference) for mutation. */
static json_t *issue_data(void)
{
    json_t *root = load_example("application.submitted.v1.json");
    json_t *data = json_incref(json_object_get(root, "data"));
    json_decref(root);
    return data;
}

static int grounds_of(json_t *data, app_ground_t *g, char *err, size_t errsz)
{
    app_t app;
    if (app_decode(data, NULL, &app, err, errsz))
        fail_msg("decode failed: %s", err);
    return app_check_completeness(&app, &rules2026, g, APP_MAX_GROUNDS);
}

static int has_ground(const app_ground_t *g, int n, const char *code)
{
    for (int i = 0; i < n; i++)
        if (strcmp(g[i].code, code) == 0)
            return 1;
    return 0;
}

static void test_contract_example_decodes(void **state)
{
    json_t *root = load_example("application.submitted.v1.json");
    ev_event_t ev;
    char err[256];
    char *text = json_dumps(root, 0);
    assert_int_equal(ev_decode(text, strlen(text), &ev, err, sizeof(err)), 0);
    app_t app;
    assert_int_equal(app_decode(ev.data, ev.subject, &app, err, sizeof(err)), 0);
    assert_string_equal(app.kind, "issue");
    assert_string_equal(app_applicant_id(&app), "070340001239");
    assert_int_equal(app.subtype_count, 2);
    assert_int_equal(app.doc_count, 2);
    assert_string_equal(app.region, "KZ-KAR");
    ev_free(&ev);
    free(text);
    json_decref(root);
}

static void test_complete_issue_package_has_no_grounds(void **state)
{
    json_t *data = issue_data();
    app_ground_t g[APP_MAX_GROUNDS];
    char err[256];
    assert_int_equal(grounds_of(data, g, err, sizeof(err)), 0);
    json_decref(data);
}

static void test_missing_qualification_documents_is_incomplete(void **state)
{
    json_t *data = issue_data();
    json_array_remove(json_object_get(data, "documents"), 1);
    app_ground_t g[APP_MAX_GROUNDS];
    char err[256];
    int n = grounds_of(data, g, err, sizeof(err));
    assert_int_equal(n, 1);
    assert_string_equal(g[0].code, "qualification_documents_missing");
    json_decref(data);
}

/* A bank payment short of the fee, without its receipt: the receipt is what ¶9 asks for; the
 * amount is for the hearing once the payment is known. */
static void test_bank_payment_needs_a_receipt(void **state)
{
    json_t *data = issue_data();
    json_t *fee = json_object_get(data, "fee");
    json_object_set_new(fee, "paid_via", json_string("bank"));
    json_object_set_new(fee, "amount_kzt", json_integer(43249));
    app_ground_t g[APP_MAX_GROUNDS];
    char err[256];
    int n = grounds_of(data, g, err, sizeof(err));
    assert_int_equal(n, 1);
    assert_string_equal(g[0].code, "fee_receipt_missing");
    json_decref(data);
}

/* Standard row 9 ground 2, not ¶9: the fee not paid, or short, with the amounts quoted. */
static void test_unpaid_or_short_fee_is_ground_2(void **state)
{
    json_t *data = issue_data();
    json_t *fee = json_object_get(data, "fee");
    app_t app;
    app_fee_ground_t fg;
    char err[256];
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_int_equal(app_fee_ground(&app, &rules2026, 2026, &fg), 0); /* 43,250 paid */

    json_object_set_new(fee, "paid_via", json_string("none"));
    app_ground_t g[APP_MAX_GROUNDS];
    assert_int_equal(grounds_of(data, g, err, sizeof(err)), 0);
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_int_equal(app_fee_ground(&app, &rules2026, 2026, &fg), 1);
    assert_string_equal(fg.code, "fee_not_paid");
    assert_int_equal(fg.number, 2);
    assert_string_equal(fg.rule, "Standard row 9, issue ground 2; row 6");

    json_object_set_new(fee, "paid_via", json_string("egov_gateway"));
    json_object_set_new(fee, "amount_kzt", json_integer(43249));
    assert_int_equal(grounds_of(data, g, err, sizeof(err)), 0);
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_int_equal(app_fee_ground(&app, &rules2026, 2026, &fg), 1);
    assert_non_null(strstr(fg.text_ru, "оплачено 43249 тенге из причитавшихся 43250 тенге"
                                       " (МРП 2026 года 4325 тенге)"));
    assert_non_null(strstr(fg.text_kk, "43249 теңге төленген, 43250 теңге тиесілі"));
    json_decref(data);
}

/* After a split, row 9 has no fee ground: the fee stays a matter of ¶9. */
static void test_split_fee_stays_incomplete(void **state)
{
    json_t *root = load_example("application.submitted.v1.reissue.json");
    json_t *data = json_object_get(root, "data");
    json_object_set_new(data, "kind", json_string("reissue_split"));
    json_object_set_new(json_object_get(data, "reissue"), "reorganization", json_string("split"));
    json_t *fee = json_object_get(data, "fee");
    json_object_set_new(fee, "paid_via", json_string("none"));
    app_t app;
    char err[256];
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    app_ground_t g[APP_MAX_GROUNDS];
    int n = app_check_completeness(&app, &rules2026, g, APP_MAX_GROUNDS);
    assert_true(has_ground(g, n, "fee_not_paid"));
    app_fee_ground_t fg;
    assert_int_equal(app_fee_ground(&app, &rules2026, 2026, &fg), 0);
    json_decref(root);
}

/* fee.paid_at as decoded: absent, the submission's moment stands for it (the MCI of that day,
 * intake.c); a payment dated after the submission is bad input. */
static void test_fee_paid_at(void **state)
{
    json_t *data = issue_data();
    json_t *fee = json_object_get(data, "fee");
    app_t app;
    char err[256];
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_null(app.fee_paid_at_text);
    assert_true(app.fee_paid_at == app.submitted_at);
    json_object_set_new(fee, "paid_at", json_string("2025-12-30T16:00:00+05:00"));
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_true(app.fee_paid_at == 1767092400);
    json_object_set_new(fee, "paid_at", json_string("2026-03-17T10:00:00+05:00"));
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fee.paid_at is after submitted_at"));
    json_object_set_new(fee, "paid_at", json_string("yesterday"));
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), -1);
    json_decref(data);
}

/* The MCI in force on the day: a year's value from 1 January, one the budget law amended
 * within its year from its day (2022: 3,063 tenge, 3,180 from 1 April); a year the table does
 * not hold is unknown, not the year before's. */
static void test_mci_in_force_on_the_day(void **state)
{
    const char *t = "2022:3063,2022-04-01:3180,2025:3932,2026:4325";
    assert_int_equal(app_mci_on(t, 2022, 3, 31), 3063);
    assert_int_equal(app_mci_on(t, 2022, 4, 1), 3180);
    assert_int_equal(app_mci_on(t, 2022, 12, 31), 3180);
    assert_int_equal(app_mci_on(t, 2025, 12, 30), 3932);
    assert_int_equal(app_mci_on(t, 2026, 1, 5), 4325);
    assert_int_equal(app_mci_on(t, 2024, 6, 1), -1);
    assert_int_equal(app_mci_on(t, 2027, 1, 1), -1);
    assert_int_equal(app_mci_on("2026:4325,junk", 2026, 1, 5), -1);
    assert_int_equal(app_mci_on("", 2026, 1, 5), -1);
}

static void test_form_signed_by_someone_else_is_incomplete(void **state)
{
    json_t *data = issue_data();
    json_t *form = json_array_get(json_object_get(data, "documents"), 0);
    json_object_set_new(form, "signed_by", json_string("880101300123"));
    app_ground_t g[APP_MAX_GROUNDS];
    char err[256];
    int n = grounds_of(data, g, err, sizeof(err));
    assert_int_equal(n, 1);
    assert_string_equal(g[0].code, "application_form_not_signed_by_applicant");
    json_decref(data);
}

static void test_reissue_fee_is_ten_percent_and_annex_only_needs_none(void **state)
{
    json_t *root = load_example("application.submitted.v1.reissue.json");
    json_t *data = json_object_get(root, "data");
    app_t app;
    char err[256];
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_int_equal(app_fee_due(&app, &rules2026), 4325);
    app_ground_t g[APP_MAX_GROUNDS];
    assert_int_equal(app_check_completeness(&app, &rules2026, g, APP_MAX_GROUNDS), 0);
    json_object_set_new(json_object_get(data, "reissue"), "annex_only", json_true());
    json_t *fee = json_object_get(data, "fee");
    json_object_set_new(fee, "paid_via", json_string("none"));
    json_object_set_new(fee, "amount_kzt", json_integer(0));
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    assert_int_equal(app_fee_due(&app, &rules2026), 0);
    assert_int_equal(app_check_completeness(&app, &rules2026, g, APP_MAX_GROUNDS), 0);
    json_decref(root);
}

static void test_reissue_of_object_address_needs_change_evidence(void **state)
{
    json_t *root = load_example("application.submitted.v1.reissue.json");
    json_t *data = json_object_get(root, "data");
    json_t *grounds = json_object_get(json_object_get(data, "reissue"), "grounds");
    json_array_clear(grounds);
    json_array_append_new(grounds, json_string("object_address_changed"));
    app_t app;
    char err[256];
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    app_ground_t g[APP_MAX_GROUNDS];
    int n = app_check_completeness(&app, &rules2026, g, APP_MAX_GROUNDS);
    assert_int_equal(n, 1);
    assert_string_equal(g[0].code, "change_evidence_missing");
    json_decref(root);
}

static void test_reissue_declaring_a_split_takes_the_split_path(void **state)
{
    (void)state;
    json_t *root = load_example("application.submitted.v1.reissue.json");
    json_t *data = json_object_get(root, "data");
    json_t *re = json_object_get(data, "reissue");
    json_t *grounds = json_object_get(re, "grounds");
    json_array_clear(grounds);
    json_array_append_new(grounds, json_string("legal_entity_reorganized"));
    app_t app;
    char err[256];
    const char *forms[] = {"split", "spin_off", "merger"};
    for (int i = 0; i < 3; i++) {
        json_object_set_new(re, "reorganization", json_string(forms[i]));
        assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
        assert_string_equal(app.kind, i < 2 ? "reissue_split" : "reissue");
        assert_int_equal(app.kind_derived, i < 2);
    }
    /* The split's path asks for the qualification documents (row 8 item 3). */
    json_object_set_new(re, "reorganization", json_string("split"));
    assert_int_equal(app_decode(data, NULL, &app, err, sizeof(err)), 0);
    app_ground_t g[APP_MAX_GROUNDS];
    int n = app_check_completeness(&app, &rules2026, g, APP_MAX_GROUNDS);
    assert_true(has_ground(g, n, "qualification_documents_missing"));
    json_decref(root);
}

static void expect_bad(json_t *data, const char *subject, const char *fragment)
{
    app_t app;
    char err[256] = "";
    assert_int_equal(app_decode(data, subject, &app, err, sizeof(err)), -1);
    if (!strstr(err, fragment))
        fail_msg("reason '%s' lacks '%s'", err, fragment);
}

static void test_invalid_bin_check_digit_is_bad_input(void **state)
{
    json_t *data = issue_data();
    json_object_set_new(json_object_get(data, "applicant"), "bin", json_string("070340001238"));
    expect_bad(data, NULL, "invalid BIN");
    json_decref(data);
}

static void test_unknown_region_and_subtype_are_bad_input(void **state)
{
    json_t *data = issue_data();
    json_object_set_new(json_object_get(data, "production_base"), "region", json_string("KZ-XXX"));
    expect_bad(data, NULL, "unknown region");
    json_decref(data);
    data = issue_data();
    json_array_append_new(json_object_get(data, "subtypes"), json_integer(10));
    expect_bad(data, NULL, "unknown sub-activity");
    json_decref(data);
}

static void test_schema_violations_are_bad_input(void **state)
{
    json_t *data = issue_data();
    expect_bad(data, "00000000-0000-0000-0000-000000000000", "subject");
    json_object_set_new(data, "reissue", json_object());
    expect_bad(data, NULL, "reissue is only allowed");
    json_object_del(data, "reissue");
    json_object_del(data, "portal_ref");
    expect_bad(data, NULL, "portal_ref is required");
    json_decref(data);
    data = issue_data();
    json_object_set_new(data, "submitted_at", json_string("2026-03-16 10:00"));
    expect_bad(data, NULL, "submitted_at");
    json_decref(data);
}

static void test_envelope_rejects_non_cloudevents(void **state)
{
    ev_event_t ev;
    char err[256];
    assert_int_equal(ev_decode("{not json", 9, &ev, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not valid JSON"));
    const char *no_spec = "{\"id\":\"1\",\"source\":\"/p\",\"type\":\"t\",\"data\":{}}";
    assert_int_equal(ev_decode(no_spec, strlen(no_spec), &ev, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "specversion"));
    const char bad_utf8[] = "{\"specversion\":\"1.0\",\"id\":\"\xff\",\"source\":\"/p\","
                            "\"type\":\"t\",\"data\":{}}";
    assert_int_equal(ev_decode(bad_utf8, strlen(bad_utf8), &ev, err, sizeof(err)), -1);
    char *deep = malloc(200001);
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    deep[200000] = '\0';
    assert_int_equal(ev_decode(deep, 200000, &ev, err, sizeof(err)), -1);
    free(deep);
}

/* The status stages the workers can name are exactly the status.v1 schema's, in its order,
 * and every application stage a status event announces maps onto one of them. */
static void test_status_stages_are_the_schemas(void **state)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/schemas/status.v1.schema.json", getenv("LIC_PROTO_DIR"));
    json_t *schema = json_load_file(path, 0, NULL);
    assert_non_null(schema);
    json_t *names =
        json_object_get(json_object_get(json_object_get(schema, "$defs"), "stage"), "enum");
    assert_int_equal(json_array_size(names), EV_ST__COUNT);
    for (int i = 0; i < EV_ST__COUNT; i++)
        assert_string_equal(ev_status_name((ev_status_t)i),
                            json_string_value(json_array_get(names, (size_t)i)));
    assert_null(ev_status_name(EV_ST__COUNT));
    assert_int_equal(ev_status_of(STAGE_LICENSE_REISSUED), EV_ST_LICENSE_REISSUED);
    assert_int_equal(ev_status_of(STAGE_REFUSAL_PROPOSED), EV_ST_REFUSAL_PROPOSED);
    assert_int_equal(ev_status_of(STAGE_AWAITING_REPLIES), EV_ST__COUNT);
    json_decref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contract_example_decodes),
        cmocka_unit_test(test_status_stages_are_the_schemas),
        cmocka_unit_test(test_complete_issue_package_has_no_grounds),
        cmocka_unit_test(test_missing_qualification_documents_is_incomplete),
        cmocka_unit_test(test_bank_payment_needs_a_receipt),
        cmocka_unit_test(test_unpaid_or_short_fee_is_ground_2),
        cmocka_unit_test(test_split_fee_stays_incomplete),
        cmocka_unit_test(test_fee_paid_at),
        cmocka_unit_test(test_mci_in_force_on_the_day),
        cmocka_unit_test(test_form_signed_by_someone_else_is_incomplete),
        cmocka_unit_test(test_reissue_fee_is_ten_percent_and_annex_only_needs_none),
        cmocka_unit_test(test_reissue_of_object_address_needs_change_evidence),
        cmocka_unit_test(test_reissue_declaring_a_split_takes_the_split_path),
        cmocka_unit_test(test_invalid_bin_check_digit_is_bad_input),
        cmocka_unit_test(test_unknown_region_and_subtype_are_bad_input),
        cmocka_unit_test(test_schema_violations_are_bad_input),
        cmocka_unit_test(test_envelope_rejects_non_cloudevents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
