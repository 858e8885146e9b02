/* registries: step 3a of PROCESS.md (¶10) - for each application in awaiting_registries, asks
 * the state registries through the e-government gateway (SyncChannel SendMessage: the
 * applicant in GBDFL_PERSON or GBDUL_ENTITY, ERD_BANS, COURT_BANS), records every call
 * (gateway_calls) and keeps each answer as evidence (registry_answers), records the grounds of
 * Standard row 9 the answers prove (grounds; rules in registry.h) and moves the application on
 * to the approvals - or, for a re-registration that needs none, to the decision. A gateway
 * that is down or answers wrongly puts the check off (back-off, an incident); the application
 * waits and is never passed on unchecked. Checks are leased in registry_checks, so several
 * workers may run; a question asked again keeps its messageId. A round takes a batch: its
 * questions asked concurrently, its rows written set-based in one transaction. */
#ifndef LIC_REGISTRIES_H
#define LIC_REGISTRIES_H

#include "db.h"

#include <time.h>

typedef struct registries registries_t;

/* The most applications one round takes (LIC_REGISTRIES_BATCH, 64 by default). */
#define REG_BATCH_MAX 256

registries_t *registries_new(db_t *db, char *errstr, size_t errstr_size);
void registries_free(registries_t *r);

/* Checks up to `max` waiting applications. Returns how many were finished (passed on), or a
 * negative db_rc_t. */
int registries_round(registries_t *r, int max);

/* Runs until a stop is requested; woken by LISTEN lic_registries. 0 on a clean stop. */
int registries_run(registries_t *r);

#endif
