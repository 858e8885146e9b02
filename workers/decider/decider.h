/* decider: step 6-7 of PROCESS.md (¶13) - takes each application in awaiting_decision and,
 * within the 1 WD of ¶13, either issues the license and annex or, when a refusal ground is
 * recorded, proposes the refusal and offers a hearing (see decision.h). Applications are
 * claimed with FOR UPDATE SKIP LOCKED, so several deciders may run; license numbers stay
 * gapless because the counter row is updated in the deciding transaction. */
#ifndef LIC_DECIDER_H
#define LIC_DECIDER_H

#include "db.h"

#include <time.h>

typedef struct decider decider_t;

decider_t *decider_new(db_t *db, char *errstr, size_t errstr_size);
void decider_free(decider_t *d);

/* Decides up to `max` waiting applications in one transaction. Returns how many, or a
 * negative db_rc_t. */
int decider_round(decider_t *d, int max, time_t now);

/* Runs until a stop is requested; woken by LISTEN lic_decide. 0 on a clean stop. */
int decider_run(decider_t *d);

#endif
