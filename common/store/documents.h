/* documents: the documents the service issues, as structured JSON stored in issued_documents
 * - the reasoned refusal (Appendix 2), the license and its annex (Appendix 3, forms 1 and 2)
 * - and their numbers, gapless per licensor, kind and year (a counter row updated in the
 * issuing transaction, so a rolled-back transaction leaves no gap). */
#ifndef LIC_DOCUMENTS_H
#define LIC_DOCUMENTS_H

#include "db.h"

#include <jansson.h>
#include <time.h>

typedef struct {
    const char *code;    /* in numbers: KPR */
    const char *name_kk; /* Kazakh and Russian names */
    const char *name_ru;
    const char *signer;            /* the head's position, Russian */
    const char *signer_kk;         /* the head's position, Kazakh */
    const char *head_name;         /* surname, name and patronymic */
    const char *place;             /* place of issue */
    const char *city_kk, *city_ru; /* the refusal's city */
} doc_licensor_t;

/* The licensor from configuration (LIC_LICENSOR_*). Strings are borrowed. */
void doc_licensor_from_config(doc_licensor_t *lic);

/* Issues the next number of `kind` for the licensor and year: fills `number`
 * ("KPR-L-2026-000001") and returns the sequence (> 0) or a negative db_rc_t. */
int doc_next_number(db_t *db, const char *licensor_code, const char *kind, const char *letter,
                    int year, char *number, size_t size);

/* Issues the licenses and annexes of `n` applications and records each version in the license
 * register, in a fixed number of statements for first issues whatever `n`: a first issue takes
 * the next number (in the order of `ids`); a re-registration keeps the license's number with
 * the next version and a new date (an annex-only one issues the annex alone: licenses[i] stays
 * NULL), and issues the license's further annexes again in the new holder's name (others[i],
 * an array; NULL when there are none). On DB_OK annexes[i], and licenses[i] and others[i]
 * unless NULL, are new references. DB_ERR_DATA when one lacks its applicant or production base, or
 * re-registers an unknown license. */
db_rc_t doc_issue_licenses(db_t *db, const doc_licensor_t *lic, const char *const *ids, int n,
                           time_t now, json_t **licenses, json_t **annexes, json_t **others);

/* Why a reasoned refusal (Appendix 2) is issued. */
typedef enum {
    DOC_REFUSAL_INCOMPLETE,    /* ¶9: the package is incomplete - no hearing */
    DOC_REFUSAL_AFTER_HEARING, /* ¶13: the hearing confirmed the refusal */
} doc_refusal_basis_t;

/* Issues a reasoned refusal (Appendix 2) on `basis`: `grounds` (borrowed) is an array of
 * {code, text_ru, text_kk, rule}. On DB_OK *doc is a new reference. */
db_rc_t doc_issue_refusal(db_t *db, const doc_licensor_t *lic, const char *application_id,
                          doc_refusal_basis_t basis, const json_t *grounds, time_t now,
                          json_t **doc);

#endif
