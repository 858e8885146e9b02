/* application: the applicant's identifier, the fee and the completeness check of ¶9. */
#include "application.h"
#include "domain.h"
#include "grounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *app_applicant_id(const app_t *app)
{
    return strcmp(app->applicant.type, "individual") == 0 ? app->applicant.iin : app->applicant.bin;
}

long long app_mci_on(const char *table, int y, int m, int d)
{
    long long found = -1;
    long best = -1, day = (long)y * 10000 + m * 100 + d;
    for (const char *p = table; p && *p;) {
        int ey, em = 1, ed = 1, n = 0;
        long long v;
        if (sscanf(p, "%4d-%2d-%2d:%lld%n", &ey, &em, &ed, &v, &n) != 4 &&
            (em = 1, ed = 1, sscanf(p, "%4d:%lld%n", &ey, &v, &n) != 2))
            return -1;
        long start = (long)ey * 10000 + em * 100 + ed;
        /* The latest value in force on the day, of the day's own year: a year the table does
         * not hold is not known, not last year's. */
        if (ey == y && start <= day && start > best) {
            best = start;
            found = v;
        }
        p += n;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return found;
}

long long app_fee_due(const app_t *app, const app_fee_rules_t *rules)
{
    long long issue = rules->mci * rules->fee_issue_mci;
    if (strcmp(app->kind, "issue") == 0)
        return issue;
    if (app->reissue.annex_only)
        return 0; /* Standard row 8 item 2: no fee when only an annex is re-registered */
    return (issue * rules->fee_reissue_percent + 99) / 100;
}

static int has_doc(const app_t *app, const char *kind)
{
    for (int i = 0; i < app->doc_count; i++)
        if (strcmp(app->docs[i].kind, kind) == 0)
            return 1;
    return 0;
}

static void add_ground(app_ground_t *out, int max, int *n, const char *code, const char *ru,
                       const char *kk)
{
    if (*n < max) {
        out[*n].code = code;
        out[*n].text_ru = ru;
        out[*n].text_kk = kk;
    }
    (*n)++;
}

int app_check_completeness(const app_t *app, const app_fee_rules_t *rules, app_ground_t *out,
                           int max)
{
    int n = 0;
    int issue = strcmp(app->kind, "issue") == 0;
    int split = strcmp(app->kind, "reissue_split") == 0;

    /* Standard row 8: the application signed with the applicant's EDS. */
    const app_document_t *form = NULL;
    for (int i = 0; i < app->doc_count; i++)
        if (strcmp(app->docs[i].kind, "application_form") == 0)
            form = &app->docs[i];
    if (!form) {
        add_ground(out, max, &n, "application_form_missing",
                   "не представлено заявление, подписанное ЭЦП услугополучателя",
                   "көрсетілетін қызметті алушының ЭЦҚ қойылған өтініші ұсынылмаған");
    } else if (!form->signed_by || strcmp(form->signed_by, app_applicant_id(app)) != 0) {
        add_ground(out, max, &n, "application_form_not_signed_by_applicant",
                   "заявление не подписано ЭЦП услугополучателя",
                   "өтінішке көрсетілетін қызметті алушының ЭЦҚ қойылмаған");
    }

    /* Standard rows 6 and 8: the fee's receipt unless paid through the e-government payment
     * gateway; none for an annex-only re-registration. The fee itself is row 9 ground 2
     * (app_fee_ground()), but after a split, whose row 9 has no such ground. */
    long long due = app_fee_due(app, rules);
    if (due > 0) {
        int paid = strcmp(app->fee_paid_via, "none") != 0;
        if (paid && strcmp(app->fee_paid_via, "egov_gateway") != 0 && !has_doc(app, "fee_receipt"))
            add_ground(out, max, &n, "fee_receipt_missing",
                       "не представлена копия электронного документа, подтверждающего "
                       "оплату лицензионного сбора",
                       "лицензиялық алымның төленгенін растайтын электрондық құжаттың "
                       "көшірмесі ұсынылмаған");
        if (split && !paid)
            add_ground(out, max, &n, "fee_not_paid", "не оплачен лицензионный сбор",
                       "лицензиялық алым төленбеген");
        else if (split && app->fee_amount_kzt < due)
            add_ground(out, max, &n, "fee_underpaid",
                       "лицензионный сбор оплачен не в полном размере",
                       "лицензиялық алым толық көлемде төленбеген");
    }

    /* Standard row 8: qualification documents on issue and on re-registration after a
     * spin-off or split. */
    if ((issue || split) && !has_doc(app, "qualification"))
        add_ground(out, max, &n, "qualification_documents_missing",
                   "не представлены электронные документы, подтверждающие соответствие "
                   "квалификационным требованиям",
                   "біліктілік талаптарына сәйкестігін растайтын электрондық құжаттар "
                   "ұсынылмаған");

    if (app->has_reissue) {
        int individual = strcmp(app->applicant.type, "individual") == 0;
        int needs_evidence = 0, reorganized = 0;
        for (int i = 0; i < app->reissue.ground_count; i++) {
            const dom_reissue_ground_t *g = dom_reissue_ground(app->reissue.grounds[i]);
            if (!g)
                continue;
            if ((individual && !g->individual) || (!individual && !g->legal_entity))
                add_ground(out, max, &n, "reissue_ground_not_applicable",
                           "основание переоформления не применимо к категории "
                           "услугополучателя",
                           "қайта ресімдеу негізі көрсетілетін қызметті алушының санатына "
                           "қолданылмайды");
            if (!g->state_registry)
                needs_evidence = 1;
            if (strcmp(g->code, "legal_entity_reorganized") == 0)
                reorganized = 1;
        }
        /* Row 8 item 2: documents about the changes, except data state systems hold. */
        if (needs_evidence && !has_doc(app, "change_evidence"))
            add_ground(out, max, &n, "change_evidence_missing",
                       "не представлены электронные копии документов, содержащих информацию "
                       "об изменениях, послуживших основанием для переоформления",
                       "қайта ресімдеуге негіз болған өзгерістер туралы құжаттардың "
                       "электрондық көшірмелері ұсынылмаған");
        if (reorganized && !app->reissue.reorganization)
            add_ground(out, max, &n, "reorganization_form_missing",
                       "не указана форма реорганизации юридического лица",
                       "заңды тұлғаны қайта ұйымдастыру нысаны көрсетілмеген");
        if (split && (!app->reissue.reorganization ||
                      (strcmp(app->reissue.reorganization, "spin_off") != 0 &&
                       strcmp(app->reissue.reorganization, "split") != 0)))
            add_ground(out, max, &n, "reorganization_not_split",
                       "переоформление по выделению или разделению без документов о выделении "
                       "или разделении",
                       "бөліп шығару немесе бөлу туралы құжаттарсыз қайта ресімдеу");
    }
    return n;
}

int app_fee_ground(const app_t *app, const app_fee_rules_t *rules, int mci_year,
                   app_fee_ground_t *g)
{
    const rg_ground_t *rg = rg_lookup(app->kind, "fee_not_paid");
    long long due = app_fee_due(app, rules);
    int paid = strcmp(app->fee_paid_via, "none") != 0;
    if (!rg || due <= 0 || (paid && app->fee_amount_kzt >= due))
        return 0;
    memset(g, 0, sizeof(*g));
    g->code = rg->code;
    g->number = rg->number;
    snprintf(g->rule, sizeof(g->rule), "Standard row 9, %s ground %d; row 6",
             strcmp(app->kind, "issue") == 0 ? "issue" : "re-registration", rg->number);
    if (!paid) {
        snprintf(g->text_kk, sizeof(g->text_kk), "%s: %lld теңге тиесілі, төлем жоқ", rg->text_kk,
                 due);
        snprintf(g->text_ru, sizeof(g->text_ru), "%s: причиталось %lld тенге, оплаты нет",
                 rg->text_ru, due);
    } else {
        snprintf(g->text_kk, sizeof(g->text_kk),
                 "%s: %lld теңге төленген, %lld теңге тиесілі (%d жылғы АЕК %lld теңге)",
                 rg->text_kk, app->fee_amount_kzt, due, mci_year, rules->mci);
        snprintf(g->text_ru, sizeof(g->text_ru),
                 "%s: оплачено %lld тенге из причитавшихся %lld тенге (МРП %d года %lld тенге)",
                 rg->text_ru, app->fee_amount_kzt, due, mci_year, rules->mci);
    }
    return 1;
}
