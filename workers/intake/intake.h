/* intake: steps 1-3 of PROCESS.md - register each submitted application (¶8), check
 * completeness (¶9) and either refuse with a reasoned refusal or pass the application on to
 * the state registries (¶10, the registries worker), noting whether the agencies must approve
 * it (¶11). */
#ifndef LIC_INTAKE_H
#define LIC_INTAKE_H

#include "application.h"
#include "cal.h"
#include "documents.h"
#include "pipeline.h"

#define INTAKE_CONSUMER "lic-intake"
#define INTAKE_SOURCE "/licensing/intake"
#define INTAKE_MAX_EXECUTORS 64

typedef struct {
    cal_t *cal; /* owned */
    char *executors_buf;
    const char *executors[INTAKE_MAX_EXECUTORS];
    int nexecutors;
    long long rr_next, rr_end; /* executor turns taken from the sequence, not yet used */
    const char *mci_table;
    int fee_issue_mci;
    int fee_reissue_percent;
    doc_licensor_t lic;
    const char *approval_grounds; /* re-registration grounds that need agency approvals */
    int reissue_issue_term;       /* LIC_REISSUE_APPROVALS_TERM=issue_term */
} intake_t;

/* Loads configuration and the calendar. 0, or -1 with errstr. Free with intake_free(). */
int intake_init(intake_t *in, char *errstr, size_t errstr_size);
void intake_free(intake_t *in);

/* The pipeline handler for portal.applications.v1. */
pl_result_t intake_handle(void *opaque, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                          char *reason, size_t reason_size);

#endif
