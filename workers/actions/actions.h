/* actions: consumes provider.actions.v1, the provider's back office - the outcome of a
 * hearing (hearing.concluded.v1: refusal_confirmed -> the reasoned refusal, refused;
 * refusal_withdrawn -> the license) and complaint decisions (complaint.resolved.v1). Every act
 * must be signed by a known official whose role may take it (officials.h); anything else is
 * dead-lettered and changes nothing. The official is recorded with the change. */
#ifndef LIC_ACTIONS_H
#define LIC_ACTIONS_H

#include "cal.h"
#include "decision.h"
#include "officials.h"
#include "pipeline.h"

#define ACTIONS_CONSUMER "lic-actions"
#define ACTIONS_SOURCE "/licensing/actions"

typedef struct {
    cal_t *cal;
    dec_ctx_t ctx;
    of_config_t officials; /* LIC_OFFICIALS_FILE, read again on SIGHUP */
} actions_t;

int actions_init(actions_t *a, char *errstr, size_t errstr_size);
void actions_free(actions_t *a);
void actions_reload(void *opaque);

pl_result_t actions_handle(void *opaque, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                           char *reason, size_t reason_size);

#endif
