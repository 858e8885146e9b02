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
    const char *signer; /* head: position and name */
    const char *place;  /* place of issue */
} doc_licensor_t;

/* The licensor from configuration (LIC_LICENSOR_*). Strings are borrowed. */
void doc_licensor_from_config(doc_licensor_t *lic);

/* Issues the next number of `kind` for the licensor and year: fills `number`
 * ("KPR-L-2026-000001") and returns the sequence (> 0) or a negative db_rc_t. */
int doc_next_number(db_t *db, const char *licensor_code, const char *kind, const char *letter,
                    int year, char *number, size_t size);

/* Issues the license and its annex for an application and records the version in the license
 * register. A first issue takes the next number; a re-registration keeps the license's number
 * with the next version and a new date (an annex-only one issues the annex alone: *license
 * stays NULL). On DB_OK *annex, and *license unless NULL, are new references. */
db_rc_t doc_issue_license(db_t *db, const doc_licensor_t *lic, const char *application_id,
                          time_t now, json_t **license, json_t **annex);

/* doc_issue_license() for `n` first issues (applications of kind "issue") at once: their
 * numbers in the order of `ids`, in a fixed number of statements whatever `n`. On DB_OK
 * licenses[i] and annexes[i] are new references. DB_ERR_DATA when one of them is not a first
 * issue or lacks its applicant or production base. */
db_rc_t doc_issue_licenses(db_t *db, const doc_licensor_t *lic, const char *const *ids, int n,
                           time_t now, json_t **licenses, json_t **annexes);

/* Issues a reasoned refusal after the hearing: `grounds` (borrowed) is an array of
 * {code, text_ru, text_kk, rule}. On DB_OK *doc is a new reference. */
db_rc_t doc_issue_refusal(db_t *db, const doc_licensor_t *lic, const char *application_id,
                          const json_t *grounds, time_t now, json_t **doc);

#endif
