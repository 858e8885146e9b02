/* application: an application as the rules see it (decoded from `application.submitted.v1`
 * by contract/submitted.h) and the completeness check of ¶9 / Standard row 8 with the fee of
 * Standard row 6. */
#ifndef LIC_APPLICATION_H
#define LIC_APPLICATION_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define APP_MAX_DOCS 64
#define APP_MAX_GROUNDS 16

typedef struct {
    const char *kind; /* application_form, fee_receipt, qualification, change_evidence */
    const char *id;
    const char *sha256;
    const char *signed_by; /* NULL unless given */
} app_document_t;

/* Every string is borrowed from the JSON the decoder was given; keep it alive. */
typedef struct {
    const char *application_id;
    const char *portal_ref;
    const char *kind; /* issue, reissue, reissue_split */
    /* A `reissue` declaring a split or spin-off, taken as `reissue_split` (app_decode()). */
    int kind_derived;
    time_t submitted_at;
    const char *submitted_at_text;
    struct {
        const char *type; /* individual, legal_entity */
        const char *iin, *bin, *name, *address, *email, *phone;
    } applicant;
    int subtypes[9];
    int subtype_count;
    const char *region;
    const char *base_address;
    int paper_copy;
    app_document_t docs[APP_MAX_DOCS];
    int doc_count;
    const char *fee_paid_via; /* egov_gateway, bank, none */
    long long fee_amount_kzt;
    const char *fee_payment_ref;  /* may be NULL */
    const char *fee_paid_at_text; /* may be NULL */
    time_t fee_paid_at;           /* fee.paid_at, or submitted_at when not given */
    /* An issue adding the next annex to this license of the applicant's (Standard row 5), or
     * NULL for a new license. */
    const char *annex_to;
    int has_reissue;
    struct {
        const char *license_number;
        int annex_only;
        const char *grounds[APP_MAX_GROUNDS];
        int ground_count;
        const char *reorganization; /* may be NULL */
    } reissue;
} app_t;

/* The identifier of the applicant (IIN or BIN). Borrowed. */
const char *app_applicant_id(const app_t *app);

/* One ground of an incomplete package, with its text for the reasoned refusal. */
typedef struct {
    const char *code;
    const char *text_ru;
    const char *text_kk;
} app_ground_t;

typedef struct {
    long long mci;           /* the MCI in force on the payment's date (app_fee_year()) */
    int fee_issue_mci;       /* 10 (Standard row 6) */
    int fee_reissue_percent; /* 10 */
} app_fee_rules_t;

/* The fee due for this application in tenge (0 for an annex-only reissue). */
long long app_fee_due(const app_t *app, const app_fee_rules_t *rules);

/* ¶9: checks the package. Fills up to `max` grounds and returns how many (0: complete). A
 * missing receipt is incompleteness; a fee not paid or underpaid is not, on issue and on
 * re-registration (app_fee_ground()), but stays so after a split, whose row 9 has no fee
 * ground. */
int app_check_completeness(const app_t *app, const app_fee_rules_t *rules, app_ground_t *out,
                           int max);

/* Standard row 9 ground 2 (issue and re-registration): the fee not paid, or paid short of
 * what was due on the payment's date. Filled for the refusal's hearing (¶13), with the facts
 * quoted in both languages. */
typedef struct {
    const char *code; /* fee_not_paid, row 9's one code: the facts say short or unpaid */
    int number;       /* 2 */
    char text_ru[320], text_kk[320];
    char rule[64];
} app_fee_ground_t;

/* 1 and `*g` filled when the fee is a ground of row 9, else 0. Call on a complete package. */
int app_fee_ground(const app_t *app, const app_fee_rules_t *rules, int mci_year,
                   app_fee_ground_t *g);

/* The MCI in force on the day y-m-d, from the table "2024:3692,2025:3932" (a year's value from
 * 1 January) where an entry may also start within its year, "2022-04-01:3180" (the budget law
 * amended): the latest entry of the day's own year that has started. -1: none (or a bad
 * table). */
long long app_mci_on(const char *table, int y, int m, int d);

#endif
