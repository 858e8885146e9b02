/* registry: the grounds the registries' answers give, by kind, with their row 9 numbers and
 * the facts quoted; the holder check of a re-registration; names compared as a clerk would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "registry.h"

#include <string.h>

static const int SUBTYPES[] = {1, 4};

static reg_case_t entity_case(reg_kind_t kind)
{
    return (reg_case_t){.kind = kind,
                        .applicant_id = "070340001239",
                        .name = "ТОО «Қарағанды Көмір»",
                        .address = "Қарағанды қ., Бұқар Жырау даңғылы, 47",
                        .subtypes = SUBTYPES,
                        .nsubtypes = 2};
}

static json_t *entity(const char *status, const char *name)
{
    return json_pack("{s:s,s:b,s:s,s:s,s:s,s:s,s:[],s:[]}", "bin", "070340001239", "found", 1,
                     "name_kk", "«Қарағанды Көмір» ЖШС", "name_ru", name, "legal_address",
                     "Қарағанды қ., Бұқар Жырау даңғылы, 47", "status", status, "predecessors",
                     "successors");
}

static const char *code_of(json_t *grounds, size_t i)
{
    return json_string_value(json_object_get(json_array_get(grounds, i), "code"));
}

static void test_clean_applicant_no_ground(void **state)
{
    (void)state;
    reg_case_t c = entity_case(REG_ISSUE);
    json_t *id = entity("active", "ТОО \"ҚАРАҒАНДЫ  КӨМІР\"");
    json_t *none = json_pack("{s:s,s:[]}", "iin_bin", "070340001239", "bans");
    json_t *nodec = json_pack("{s:s,s:[]}", "iin_bin", "070340001239", "decisions");
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&c, id, none, nodec, g), 0);
    json_decref(g);
    json_decref(id);
    json_decref(none);
    json_decref(nodec);
}

static void test_liquidated_and_name_mismatch(void **state)
{
    (void)state;
    reg_case_t c = entity_case(REG_ISSUE);
    json_t *id = entity("liquidated", "ТОО «Темиртау Металл»");
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&c, id, NULL, NULL, g), 2);
    assert_string_equal(code_of(g, 0), "registry_entity_liquidated");
    assert_string_equal(code_of(g, 1), "registry_name_mismatch");
    json_t *m = json_array_get(g, 1);
    assert_int_equal(json_integer_value(json_object_get(m, "number")), 7);
    const char *ru = json_string_value(json_object_get(m, "text_ru"));
    assert_non_null(strstr(ru, "ТОО «Қарағанды Көмір»")); /* both names quoted */
    assert_non_null(strstr(ru, "ТОО «Темиртау Металл»"));
    assert_non_null(strstr(json_string_value(json_object_get(m, "rule")), "issue ground 7"));
    json_decref(g);
    json_decref(id);
}

static void test_bans_by_kind(void **state)
{
    (void)state;
    json_t *debtor = json_pack("{s:s,s:[{s:s,s:s,s:s}]}", "iin_bin", "070340001239", "bans",
                               "authority", "ЧСИ", "date", "2026-02-20", "case", "ИП-1");
    /* A suspension of sub-activity 4 (applied for) and a prohibition of 9 (not applied for). */
    json_t *court =
        json_pack("{s:s,s:[{s:s,s:s,s:s,s:s,s:[i]},{s:s,s:s,s:s,s:s,s:[i]}]}", "iin_bin",
                  "070340001239", "decisions", "court", "Суд", "date", "2026-01-28", "case", "2-1",
                  "measure", "suspension", "subtypes", 4, "court", "Суд", "date", "2026-01-29",
                  "case", "2-2", "measure", "prohibition", "subtypes", 9);
    reg_case_t issue = entity_case(REG_ISSUE);
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&issue, NULL, debtor, court, g), 2);
    assert_string_equal(code_of(g, 0), "debtor_permit_ban");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 0), "number")), 6);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(g, 0), "text_ru")), "ИП-1"));
    assert_string_equal(code_of(g, 1), "court_activity_ban");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 1), "number")), 5);
    json_decref(g);

    reg_case_t re = entity_case(REG_REISSUE);
    re.holder_id = "070340001239";
    g = json_array();
    assert_int_equal(reg_grounds(&re, NULL, debtor, court, g), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 0), "number")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 1), "number")), 4);
    json_decref(g);
    json_decref(debtor);
    json_decref(court);
}

/* A ground quoting the longest fields the contract allows is formed whole: never cut inside a
 * Cyrillic letter (jansson refuses such text), never dropped while counted. */
static void test_long_fields_kept_whole(void **state)
{
    (void)state;
    char court[4001] = "";
    for (int i = 0; i < 2000; i++)
        strcat(court, "С"); /* 2 bytes each: 4,000 bytes */
    json_t *decisions = json_pack("{s:s,s:[{s:s,s:s,s:s,s:s,s:[]}]}", "iin_bin", "070340001239",
                                  "decisions", "court", court, "date", "2026-01-28", "case", "2-1",
                                  "measure", "prohibition", "subtypes");
    reg_case_t c = entity_case(REG_ISSUE);
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&c, NULL, NULL, decisions, g), 1);
    assert_int_equal(json_array_size(g), 1);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(g, 0), "text_ru")), court));
    json_decref(g);
    json_decref(decisions);
}

static void test_holder_check(void **state)
{
    (void)state;
    reg_case_t c = entity_case(REG_REISSUE);
    c.holder_id = "990140002347";
    json_t *id = entity("active", "ТОО «Қарағанды Көмір»");
    /* A stranger: ground 6 of re-registration (data found unreliable). */
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&c, id, NULL, NULL, g), 1);
    assert_string_equal(code_of(g, 0), "not_license_holder");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 0), "number")), 6);
    json_decref(g);
    /* Named by the registry as the successor of a merger - but only when the application
     * declares the reorganisation. */
    json_array_append_new(
        json_object_get(id, "predecessors"),
        json_pack("{s:s,s:s,s:s}", "form", "merger", "date", "2025-11-03", "bin", "990140002347"));
    assert_int_equal(reg_may_reissue(&c, id), 0);
    c.declares_reorganisation = 1;
    assert_int_equal(reg_may_reissue(&c, id), 1);
    g = json_array();
    assert_int_equal(reg_grounds(&c, id, NULL, NULL, g), 0);
    json_decref(g);
    /* The holder itself. */
    c.holder_id = "070340001239";
    c.declares_reorganisation = 0;
    assert_int_equal(reg_may_reissue(&c, NULL), 1);
    /* The merger's successor does not ask by the split's path, nor for another declared form. */
    c.holder_id = "990140002347";
    c.declares_reorganisation = 1;
    c.reorganization = "accession";
    assert_int_equal(reg_may_reissue(&c, id), 0);
    c.reorganization = "merger";
    assert_int_equal(reg_may_reissue(&c, id), 1);
    reg_case_t m = c;
    m.kind = REG_SPLIT;
    m.reorganization = NULL;
    assert_int_equal(reg_may_reissue(&m, id), 0);
    json_decref(id);
}

/* The applicant 070340001239 was created by the split of 990140002347 on `date`. */
static json_t *split_child(const char *date)
{
    json_t *id = entity("active", "ТОО «Қарағанды Көмір»");
    json_array_append_new(
        json_object_get(id, "predecessors"),
        json_pack("{s:s,s:s,s:s}", "form", "split", "date", date, "bin", "990140002347"));
    return id;
}

static void test_split_siblings(void **state)
{
    (void)state;
    json_t *id = split_child("2026-02-10");
    reg_case_t s = entity_case(REG_SPLIT);
    s.declares_reorganisation = 1;
    s.reorganization = "split";
    /* The first entity of the split asks while the split company holds the license. */
    s.holder_id = "990140002347";
    assert_int_equal(reg_may_reissue(&s, id), 1);
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&s, id, NULL, NULL, g), 0);
    json_decref(g);
    /* A sibling of the same split got it first: this one may ask, and meets split ground 3,
     * quoting the sibling and the split. */
    json_t *sibling =
        json_pack("[{s:s,s:s,s:s}]", "form", "split", "date", "2026-02-10", "bin", "990140002347");
    s.holder_id = "260640001110";
    s.holder_name = "ТОО «Шахтинск Көмір»";
    s.previous_holder = "990140002347";
    s.holder_predecessors = sibling;
    assert_int_equal(reg_may_reissue(&s, id), 1);
    g = json_array();
    assert_int_equal(reg_grounds(&s, id, NULL, NULL, g), 1);
    assert_string_equal(code_of(g, 0), "license_already_reissued_in_split");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 0), "number")), 3);
    const char *ru = json_string_value(json_object_get(json_array_get(g, 0), "text_ru"));
    assert_non_null(strstr(ru, "ТОО «Шахтинск Көмір», БИН 260640001110"));
    assert_non_null(strstr(ru, "2026-02-10"));
    json_decref(g);
    /* The license passed to the holder by an earlier split of the same company: not the same
     * reorganisation - no ground 3, and the applicant is not the holder's successor. */
    json_decref(id);
    id = split_child("2026-06-01");
    assert_int_equal(reg_may_reissue(&s, id), 0);
    g = json_array();
    assert_int_equal(reg_grounds(&s, id, NULL, NULL, g), 1);
    assert_string_equal(code_of(g, 0), "not_license_holder");
    json_decref(g);
    /* Nor when the license came to its holder otherwise (no reorganisation recorded). */
    json_decref(id);
    id = split_child("2026-02-10");
    s.holder_predecessors = NULL;
    assert_int_equal(reg_may_reissue(&s, id), 0);
    json_decref(sibling);
    json_decref(id);
}

static void test_person_unknown_and_deceased(void **state)
{
    (void)state;
    reg_case_t c = {.kind = REG_ISSUE,
                    .individual = 1,
                    .applicant_id = "880101300123",
                    .name = "Сейітқали Әлібек Нұрланұлы",
                    .address = "Павлодар қ.",
                    .subtypes = SUBTYPES,
                    .nsubtypes = 2};
    json_t *unknown = json_pack("{s:s,s:b}", "iin", "880101300123", "found", 0);
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&c, unknown, NULL, NULL, g), 1);
    assert_string_equal(code_of(g, 0), "registry_subject_unknown");
    json_decref(g);
    json_t *dead =
        json_pack("{s:s,s:b,s:s,s:s,s:s}", "iin", "880101300123", "found", 1, "full_name",
                  "СЕЙІТҚАЛИ Әлібек Нұрланұлы", "status", "deceased", "address", "Павлодар қ.");
    g = json_array();
    assert_int_equal(reg_grounds(&c, dead, NULL, NULL, g), 1);
    assert_string_equal(code_of(g, 0), "registry_subject_deceased");
    json_decref(g);
    json_decref(unknown);
    json_decref(dead);
}

static void test_same_text(void **state)
{
    (void)state;
    assert_true(reg_same_text("ТОО «Қарағанды Көмір»", "тоо \"ҚАРАҒАНДЫ КӨМІР\""));
    assert_true(reg_same_text(" Алматы  қ., Абай  даңғылы, 1 ", "Алматы қ. Абай даңғылы 1"));
    assert_true(reg_same_text("Ёлкин", "Елкин"));
    assert_false(reg_same_text("ТОО «Көмір»", "ТОО «Кемір»"));
    assert_false(reg_same_text("Абай даңғылы 1", "Абай даңғылы 11"));
    assert_false(reg_same_text("АбайДаңғылы", "Абай даңғылы"));
    assert_false(reg_same_text(NULL, "x"));
}

/* Standard row 5: an annex is added to the applicant's own license only; a license held by
 * another is issue ground 7, quoting the license and its holder. */
static void test_annex_to_anothers_license(void **state)
{
    (void)state;
    reg_case_t c = entity_case(REG_ISSUE);
    c.annex_to = "KPR-L-2025-000117";
    c.holder_id = "070340001239";
    json_t *id = entity("active", "ТОО «Қарағанды Көмір»");
    json_t *g = json_array();
    assert_int_equal(reg_grounds(&c, id, NULL, NULL, g), 0);
    c.holder_id = "990140002347";
    assert_int_equal(reg_grounds(&c, id, NULL, NULL, g), 1);
    assert_string_equal(code_of(g, 0), "not_license_holder");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(g, 0), "number")), 7);
    const char *ru = json_string_value(json_object_get(json_array_get(g, 0), "text_ru"));
    assert_non_null(strstr(ru, "не является держателем лицензии KPR-L-2025-000117"));
    assert_non_null(strstr(ru, "держатель лицензии 990140002347"));
    json_decref(g);
    json_decref(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_applicant_no_ground),
        cmocka_unit_test(test_liquidated_and_name_mismatch),
        cmocka_unit_test(test_bans_by_kind),
        cmocka_unit_test(test_long_fields_kept_whole),
        cmocka_unit_test(test_holder_check),
        cmocka_unit_test(test_annex_to_anothers_license),
        cmocka_unit_test(test_split_siblings),
        cmocka_unit_test(test_person_unknown_and_deceased),
        cmocka_unit_test(test_same_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
