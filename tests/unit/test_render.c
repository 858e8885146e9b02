/* render: the documents as PDF, read back as a reader's tools read them - pdftotext for every
 * field of the form in both languages (nothing cut when long text wraps and flows onto more
 * pages), pdftoppm and zbarimg for the QR code's verification address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain.h"
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BASE "https://elicense.kz/v1/documents"

static char dir[256];

/* A 300-character address: it must wrap, never be cut. */
static char long_address[1200];

static json_t *head(void)
{
    return json_pack("{s:s,s:s,s:s}", "name", "Жақсыбеков Ерлан Маратұлы", "position_ru",
                     "Председатель комитета", "position_kk", "Комитет төрағасы");
}

static json_t *licensor(void)
{
    return json_pack("{s:s,s:s}", "name_kk",
                     "Қазақстан Республикасы Индустрия және инфрақұрылымдық даму министрлігінің "
                     "Индустриялық даму комитеті",
                     "name_ru",
                     "Комитет индустриального развития Министерства индустрии и "
                     "инфраструктурного развития Республики Казахстан");
}

static json_t *person(const char *address)
{
    return json_pack("{s:s,s:s,s:s}", "name", "ТОО «Қарағанды Көмір»", "legal_address", address,
                     "bin", "070340001239");
}

static json_t *license(void)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:{s:s,s:s},s:o,s:s,s:s,s:o,s:o,s:s,s:s,s:s}",
                     "document", "license", "form", "Appendix 3, form 1", "number",
                     "KPR-L-2026-000001", "date", "2026-03-16", "version", 1, "activity", "name_ru",
                     "Деятельность по эксплуатации горных и химических производств", "name_kk",
                     "Тау-кен және химия өндірістерін пайдалану жөніндегі қызмет", "licensee",
                     person(long_address), "special_conditions", "", "note",
                     "неотчуждаемая, 1 класс / иеліктен шығарылмайтын, 1-сынып", "licensor",
                     licensor(), "head", head(), "first_issue_date", "2026-03-16", "validity",
                     "бессрочная / мерзімсіз", "place_of_issue", "Астана қаласы / город Астана");
}

static json_t *annex(void)
{
    json_t *subtypes = json_array();
    for (int c = 1; c <= 9; c++)
        json_array_append_new(subtypes,
                              json_pack("{s:i,s:s,s:s}", "code", c, "name_ru",
                                        dom_subtype_name_ru(c), "name_kk", dom_subtype_name_kk(c)));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:{s:s,s:s,s:s},s:s,s:o,s:o,s:s,s:s}",
                     "document", "license_annex", "form", "Appendix 3, form 2", "number",
                     "KPR-L-2026-000001/1", "license_number", "KPR-L-2026-000001", "license_date",
                     "2026-03-16", "date", "2026-03-16", "version", 1, "subtypes", subtypes,
                     "licensee", person("Қарағанды қ., Бұқар Жырау даңғылы, 47"), "production_base",
                     "region", "KZ-KAR", "region_name", "Карагандинская область", "address",
                     long_address, "special_conditions", "", "licensor", licensor(), "head", head(),
                     "validity", "бессрочная / мерзімсіз", "place_of_issue",
                     "Астана қаласы / город Астана");
}

static json_t *refusal(void)
{
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:o,s:{s:s,s:s},s:s,s:s,s:[{s:s,s:s,s:s,s:s}],s:o,s:{s:s,s:s}}",
        "document", "reasoned_refusal", "form", "Appendix 2", "number", "KPR-R-2026-000001", "date",
        "2026-03-20", "licensor", licensor(), "addressee",
        person("Қарағанды қ., Бұқар Жырау даңғылы, 47"), "application", "number",
        "KZ-EL-2026-0001234", "date", "2026-03-16", "text_ru",
        "Рассмотрев Ваше заявление № KZ-EL-2026-0001234 от 2026-03-16, с учётом заслушивания "
        "(пункт 13 Правил), сообщаем об отказе в оказании государственной услуги.",
        "text_kk",
        "Сіздің № KZ-EL-2026-0001234, 2026-03-16 өтінішіңізді қарап, тыңдауды ескере отырып "
        "(Қағидалардың 13-тармағы), мемлекеттік қызметті көрсетуден бас тартылатынын "
        "хабарлаймыз.",
        "grounds", "code", "agency_non_compliant", "rule", "Standard row 9, issue ground 4",
        "text_kk", "келісуші мемлекеттік органнан сәйкес келмейтіндігі туралы жауап алынды",
        "text_ru", "получен отрицательный ответ согласующего государственного органа", "signer",
        head(), "city", "kk", "Астана қаласы", "ru", "город Астана");
}

/* Renders `doc` to dir/name.pdf; returns the text pdftotext reads from it, every run of
 * white space removed (a wrapped line is the same text), and the page count in *pages. */
static char *render_and_read(const json_t *doc, const char *name, int *pages)
{
    char url[300], err[256], path[400], cmd[1200];
    rd_verify_url(BASE, json_string_value(json_object_get(doc, "number")), url, sizeof(url));
    unsigned char *pdf;
    size_t len;
    if (rd_render_pdf(doc, url, &pdf, &len, err, sizeof(err)))
        fail_msg("render: %s", err);
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    snprintf(path, sizeof(path), "%s/%s.pdf", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(pdf, 1, len, f), len);
    fclose(f);
    free(pdf);
    snprintf(cmd, sizeof(cmd), "pdfinfo '%s' | awk '/^Pages:/ {print $2}'", path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", pages), 1);
    pclose(p);
    snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' -", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    int c;
    while ((c = fgetc(p)) != EOF) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r')
            continue;
        if (n + 1 >= cap)
            text = realloc(text, cap *= 2);
        text[n++] = (char)c;
    }
    text[n] = '\0';
    assert_int_equal(pclose(p), 0);
    return text;
}

/* `want` is in `text`, white space aside. */
static void has(const char *text, const char *want)
{
    char buf[4200];
    size_t n = 0;
    for (const char *p = want; *p && n + 1 < sizeof(buf); p++)
        if (*p != ' ' && *p != '\n')
            buf[n++] = *p;
    buf[n] = '\0';
    if (!strstr(text, buf))
        fail_msg("the PDF's text lacks \"%s\"", want);
}

static void test_license_has_every_field(void **state)
{
    (void)state;
    json_t *doc = license();
    int pages;
    char *t = render_and_read(doc, "license", &pages);
    const char *fields[] = {"ЛИЦЕНЗИЯ",
                            "KPR-L-2026-000001",
                            "2026-03-16",
                            "Деятельность по эксплуатации горных и химических производств",
                            "Тау-кен және химия өндірістерін пайдалану жөніндегі қызмет",
                            "ТОО «Қарағанды Көмір»",
                            "070340001239",
                            long_address,
                            "Қазақстан Республикасы Индустрия және инфрақұрылымдық даму "
                            "министрлігінің Индустриялық даму комитеті",
                            "Комитет индустриального развития Министерства индустрии",
                            "Комитет төрағасы Жақсыбеков Ерлан Маратұлы",
                            "Председатель комитета Жақсыбеков Ерлан Маратұлы",
                            "бессрочная / мерзімсіз",
                            "Астана қаласы / город Астана",
                            "Ерекше шарттар / Особые условия",
                            "Лицензиат",
                            BASE "/KPR-L-2026-000001"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        has(t, fields[i]);
    free(t);
    json_decref(doc);
}

/* Nine sub-activities as ¶2 words them, in both languages, and a 300-character production
 * base: more than a page, nothing lost. */
static void test_annex_with_nine_subactivities_flows_onto_pages(void **state)
{
    (void)state;
    json_t *doc = annex();
    int pages;
    char *t = render_and_read(doc, "annex", &pages);
    assert_true(pages >= 2);
    for (int c = 1; c <= 9; c++) {
        has(t, dom_subtype_name_kk(c));
        has(t, dom_subtype_name_ru(c));
    }
    has(t, long_address);
    has(t, "KPR-L-2026-000001/1");
    has(t, "Карагандинская область");
    has(t, "Берілген орны / Место выдачи");
    has(t, "Астана қаласы / город Астана");
    free(t);
    json_decref(doc);
}

static void test_refusal_has_every_field(void **state)
{
    (void)state;
    json_t *doc = refusal();
    int pages;
    char *t = render_and_read(doc, "refusal", &pages);
    const char *fields[] = {"МОТИВИРОВАННЫЙ ОТКАЗ",
                            "ДӘЛЕЛДІ БАС ТАРТУ",
                            "KPR-R-2026-000001",
                            "2026-03-20",
                            "KZ-EL-2026-0001234",
                            "2026-03-16",
                            "Астана қаласы",
                            "город Астана",
                            "070340001239",
                            "Рассмотрев Ваше заявление № KZ-EL-2026-0001234",
                            "Сіздің № KZ-EL-2026-0001234, 2026-03-16 өтінішіңізді қарап",
                            "келісуші мемлекеттік органнан сәйкес келмейтіндігі туралы жауап",
                            "получен отрицательный ответ согласующего государственного органа",
                            "Комитет төрағасы Жақсыбеков Ерлан Маратұлы"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        has(t, fields[i]);
    free(t);
    json_decref(doc);
}

/* The QR code on the first page decodes to the document's verification address. */
static void test_qr_code_decodes_to_the_address(void **state)
{
    (void)state;
    json_t *doc = annex();
    int pages;
    free(render_and_read(doc, "qr", &pages));
    char cmd[1200], line[512] = "";
    snprintf(cmd, sizeof(cmd),
             "pdftoppm -r 150 -f 1 -l 1 -png '%s/qr.pdf' '%s/qr' && zbarimg -q --raw '%s'/qr*.png",
             dir, dir, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_int_equal(pclose(p), 0);
    line[strcspn(line, "\n")] = '\0';
    assert_string_equal(line, BASE "/KPR-L-2026-000001/1");
    json_decref(doc);
}

static void test_unknown_kind_refused(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:s}", "document", "passport");
    unsigned char *pdf;
    size_t len;
    char err[256];
    assert_int_equal(rd_render_pdf(doc, BASE "/X", &pdf, &len, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "passport"));
    json_decref(doc);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "%s", "/tmp/lic-render-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    /* 300 characters: a street, a building, and a description of the site. */
    size_t n = 0;
    const char *part = "Қарағанды облысы, Шахтинск қ., Өнеркәсіп аймағы, 3-құрылыс, ";
    while (n < 300) {
        size_t l = strlen(part);
        memcpy(long_address + strlen(long_address), part, l + 1);
        n += 60; /* the part is 60 characters (Cyrillic: 2 bytes each) */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_license_has_every_field),
        cmocka_unit_test(test_annex_with_nine_subactivities_flows_onto_pages),
        cmocka_unit_test(test_refusal_has_every_field),
        cmocka_unit_test(test_qr_code_decodes_to_the_address),
        cmocka_unit_test(test_unknown_kind_refused),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (getenv("LIC_KEEP_RENDERED")) { /* to look at the pages */
        printf("rendered into %s\n", dir);
        return rc;
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
