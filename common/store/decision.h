/* decision: step 6-7 of PROCESS.md (¶13) as state changes shared by the decision workers -
 * grant (license and annex, license_issued / license_reissued), propose a refusal (hearing,
 * e-mail notice, refusal_proposed), and refuse after the hearing (reasoned refusal, refused).
 * Every function runs inside the caller's transaction on an application locked with
 * apv_lock(). */
#ifndef LIC_DECISION_H
#define LIC_DECISION_H

#include "approval.h"
#include "cal.h"
#include "documents.h"

#define TIMER_HEARING_OUTCOME "hearing_outcome_due"

typedef struct {
    doc_licensor_t lic;
    const cal_t *cal;   /* borrowed */
    const char *means;  /* how hearings are held (LIC_HEARING_MEANS) */
    const char *source; /* CloudEvent source of the worker */
} dec_ctx_t;

/* In a hearing notice's stored body, where the hearing's time goes: the mailer writes it in
 * when the notice actually goes (¶13: the hearing within 2 WD of the notice as sent). */
#define DEC_HEARING_AT "{{hearing_at}}"

/* The refusal grounds recorded for an application (Standard row 9): the agencies'
 * non_compliant answers, a split already re-registered, and the grounds table (the registries,
 * ¶10). New reference (an empty array when there is none). */
json_t *dec_grounds(db_t *db, const char *application_id, db_rc_t *rc);

/* Decides the locked applications whose ids are in `ids` (an array literal, db_array_t): in
 * awaiting_decision grants or proposes a refusal; awaiting the agencies, proposes one if a
 * ground exists (¶13: as soon as it does); in refusal_proposed joins new grounds to the
 * hearing. Their ground_pending flags are cleared. First issues the agencies agreed to are
 * granted together in a fixed number of statements (numbers in the order of `ids`), the others
 * one at a time. Writes may be deferred. Returns how many were decided (those still in
 * awaiting_decision), or a negative db_rc_t. */
int dec_decide_many(db_t *db, const dec_ctx_t *ctx, const char *ids, time_t now,
                    const ob_cause_t *cause);

/* Issues the license and annex and moves the application from `from` to license_issued (or
 * license_reissued for a re-registration). */
db_rc_t dec_grant(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, dom_stage_t from, time_t now,
                  const ob_cause_t *cause);

/* After a hearing that withdrew the refusal: the license, or, while an agency has not
 * answered, back to waiting for it (the application decided again when it does). */
db_rc_t dec_withdrawn(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                      const ob_cause_t *cause);

/* ¶15: a satisfied complaint (`complaint_id`) overturns the refusal of the locked, refused
 * application - its grounds not raised again; the license, or, while an agency has not
 * answered (the refusal was confirmed within its 10 WD), back to waiting for it. */
db_rc_t dec_overturn(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, const char *complaint_id,
                     time_t now, const ob_cause_t *cause);

/* After a hearing that confirmed the refusal: the reasoned refusal document, refused. */
db_rc_t dec_refuse(db_t *db, const dec_ctx_t *ctx, apv_app_t *app, time_t now,
                   const ob_cause_t *cause);

#endif
