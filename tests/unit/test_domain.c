/* Domain reference data: IIN/BIN check digits, the transition table, regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "domain.h"

static void test_valid_iin_and_bin_pass(void **state)
{
    assert_true(dom_iin_bin_valid("880101300123"));
    assert_true(dom_iin_bin_valid("900515400232"));
    assert_true(dom_iin_bin_valid("070340001239"));
    assert_true(dom_iin_bin_valid("131240004563"));
}

static void test_check_digit_uses_second_weights_when_first_sum_is_10(void **state)
{
    assert_true(dom_iin_bin_valid("100000000205"));
    assert_false(dom_iin_bin_valid("100000000200"));
}

static void test_invalid_identifiers_fail(void **state)
{
    assert_false(dom_iin_bin_valid("880101300124"));  /* wrong check digit */
    assert_false(dom_iin_bin_valid("88010130012"));   /* 11 digits */
    assert_false(dom_iin_bin_valid("8801013001234")); /* 13 digits */
    assert_false(dom_iin_bin_valid("88010130012a"));
    assert_false(dom_iin_bin_valid(""));
    assert_false(dom_iin_bin_valid(NULL));
    /* No check digit exists when both weight sets give 10. */
    for (int d = 0; d <= 9; d++) {
        char id[13] = "10000000028";
        id[11] = (char)('0' + d);
        id[12] = '\0';
        assert_false(dom_iin_bin_valid(id));
    }
}

static void test_transition_table_allows_only_the_process(void **state)
{
    assert_true(dom_transition_legal(STAGE_NONE, STAGE_REGISTERED));
    assert_true(dom_transition_legal(STAGE_REGISTERED, STAGE_REFUSED_INCOMPLETE));
    assert_true(dom_transition_legal(STAGE_REFUSAL_PROPOSED, STAGE_REFUSED));
    /* A refusal after approvals needs the hearing first (¶13). */
    assert_false(dom_transition_legal(STAGE_AWAITING_DECISION, STAGE_REFUSED));
    assert_false(dom_transition_legal(STAGE_LICENSE_ISSUED, STAGE_REFUSED));
    assert_false(dom_transition_legal(STAGE_NONE, STAGE_LICENSE_ISSUED));
    /* Retired by the registries' step (migration 022): the history keeps them, nothing new. */
    assert_false(dom_transition_legal(STAGE_REGISTERED, STAGE_AWAITING_APPROVALS));
    assert_false(dom_transition_legal(STAGE_REGISTERED, STAGE_AWAITING_DECISION));
    size_t n;
    const dom_transition_t *t = dom_transitions(&n);
    /* Nothing leaves a final stage but a satisfied complaint against a refusal (¶15), which
     * no rule takes on its own: to the decision, or to an agency's answer still due. */
    for (size_t i = 0; i < n; i++)
        if (dom_stage_final(t[i].from)) {
            assert_int_equal(t[i].from, STAGE_REFUSED);
            assert_true(t[i].to == STAGE_AWAITING_DECISION || t[i].to == STAGE_AWAITING_REPLIES ||
                        t[i].to == STAGE_AWAITING_APPROVALS);
            assert_null(t[i].guard);
        }
}

/* "What next" for each stage from the facts (the guards of the transition table). */
static void test_next_stage_follows_the_guards(void **state)
{
    dom_facts_t f = {.incomplete = 1, .needs_approvals = 1};
    assert_int_equal(dom_next(STAGE_REGISTERED, &f), STAGE_REFUSED_INCOMPLETE); /* ¶9 */
    /* ¶10: complete, the registries are asked first, whatever comes next. */
    f = (dom_facts_t){.needs_approvals = 1};
    assert_int_equal(dom_next(STAGE_REGISTERED, &f), STAGE_AWAITING_REGISTRIES);
    f = (dom_facts_t){0};
    assert_int_equal(dom_next(STAGE_REGISTERED, &f), STAGE_AWAITING_REGISTRIES);
    /* Never on before every registry answered; then to the approvals (¶11) or, for a
     * re-registration that needs none, to the decision. */
    f = (dom_facts_t){.needs_approvals = 1};
    assert_int_equal(dom_next(STAGE_AWAITING_REGISTRIES, &f), STAGE_AWAITING_REGISTRIES);
    f.registries_answered = 1;
    assert_int_equal(dom_next(STAGE_AWAITING_REGISTRIES, &f), STAGE_AWAITING_APPROVALS);
    f.needs_approvals = 0;
    assert_int_equal(dom_next(STAGE_AWAITING_REGISTRIES, &f), STAGE_AWAITING_DECISION);
    /* ¶11-¶12: one agency is not enough, and receipt comes before the replies. */
    f = (dom_facts_t){.requests_received = 1, .replies = 1};
    assert_int_equal(dom_next(STAGE_AWAITING_APPROVALS, &f), STAGE_AWAITING_APPROVALS);
    f.requests_received = DOM_AGENCY_COUNT;
    assert_int_equal(dom_next(STAGE_AWAITING_APPROVALS, &f), STAGE_AWAITING_REPLIES);
    assert_int_equal(dom_next(STAGE_AWAITING_REPLIES, &f), STAGE_AWAITING_REPLIES);
    f.replies = DOM_AGENCY_COUNT;
    assert_int_equal(dom_next(STAGE_AWAITING_REPLIES, &f), STAGE_AWAITING_DECISION);
    /* ¶13: a ground means a hearing first, never a refusal straight away. */
    f = (dom_facts_t){.grounds = 1};
    assert_int_equal(dom_next(STAGE_AWAITING_DECISION, &f), STAGE_REFUSAL_PROPOSED);
    f = (dom_facts_t){.reissue = 1};
    assert_int_equal(dom_next(STAGE_AWAITING_DECISION, &f), STAGE_LICENSE_REISSUED);
    f = (dom_facts_t){0};
    assert_int_equal(dom_next(STAGE_AWAITING_DECISION, &f), STAGE_LICENSE_ISSUED);
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_REFUSAL_PROPOSED);
    f.hearing = DOM_HEARING_CONFIRMED;
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_REFUSED);
    f.hearing = DOM_HEARING_WITHDRAWN;
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_LICENSE_ISSUED);
    f.reissue = 1;
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_LICENSE_REISSUED);
    /* ¶13: a ground while the agencies are awaited - the refusal proposed at once; withdrawn,
     * the agency still silent is waited for. */
    f = (dom_facts_t){.grounds = 1, .requests_received = 1};
    assert_int_equal(dom_next(STAGE_AWAITING_APPROVALS, &f), STAGE_REFUSAL_PROPOSED);
    assert_int_equal(dom_next(STAGE_AWAITING_REPLIES, &f), STAGE_REFUSAL_PROPOSED);
    f = (dom_facts_t){.hearing = DOM_HEARING_WITHDRAWN, .unanswered = 1, .unreceived = 1};
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_AWAITING_APPROVALS);
    f.unreceived = 0;
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_AWAITING_REPLIES);
    f.hearing = DOM_HEARING_CONFIRMED;
    assert_int_equal(dom_next(STAGE_REFUSAL_PROPOSED, &f), STAGE_REFUSED);
    /* A final stage goes nowhere whatever the facts. */
    f = (dom_facts_t){.grounds = 1, .hearing = DOM_HEARING_CONFIRMED, .replies = 2};
    for (int s = 0; s < STAGE__COUNT; s++)
        if (dom_stage_final((dom_stage_t)s))
            assert_int_equal(dom_next((dom_stage_t)s, &f), s);
    /* Every transition names its ¶. */
    size_t n;
    const dom_transition_t *t = dom_transitions(&n);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(t[i].rule, "¶"));
}

static void test_stage_names_round_trip(void **state)
{
    for (int s = 0; s < STAGE__COUNT; s++)
        assert_int_equal(dom_stage_parse(dom_stage_name((dom_stage_t)s)), s);
    assert_int_equal(dom_stage_parse("licensed"), STAGE__COUNT);
}

static void test_regions_and_subtypes(void **state)
{
    assert_true(dom_region_known("KZ-KAR"));
    assert_true(dom_region_known("KZ-ULT"));
    assert_false(dom_region_known("KZ-XXX"));
    assert_false(dom_region_known("RU-MOW"));
    assert_non_null(dom_subtype_name_ru(9));
    assert_null(dom_subtype_name_ru(10));
    assert_null(dom_subtype_name_kk(0));
    /* ¶2's own words, not a paraphrase ("игеру" for "әзірлеу", "жуу" for "шаю"). */
    assert_string_equal(dom_subtype_name_kk(2), "қатты пайдалы қазбалардың кен орындарын ашық "
                                                "және жерасты тәсілдерімен ашу және әзірлеу");
    assert_string_equal(dom_subtype_name_kk(6),
                        "ұңғымаларды жерасты және күрделі жөндеу, жабдықты және агрегаттарды "
                        "бөлшектеу, ұңғымалар көтергішін орнату");
    assert_string_equal(dom_subtype_name_kk(8),
                        "ұңғымаларды шаю, цементтеу, сынаудан өткізу және игеру");
    assert_true(dom_reissue_ground("object_address_changed") != NULL);
    assert_false(dom_reissue_ground("object_address_changed")->state_registry);
    assert_null(dom_reissue_ground("unknown"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_iin_and_bin_pass),
        cmocka_unit_test(test_check_digit_uses_second_weights_when_first_sum_is_10),
        cmocka_unit_test(test_invalid_identifiers_fail),
        cmocka_unit_test(test_transition_table_allows_only_the_process),
        cmocka_unit_test(test_next_stage_follows_the_guards),
        cmocka_unit_test(test_stage_names_round_trip),
        cmocka_unit_test(test_regions_and_subtypes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
