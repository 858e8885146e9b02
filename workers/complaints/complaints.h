/* complaints worker: consumes portal.complaints.v1 and registers each complaint with its
 * limits (¶15, see common/complaints.h). */
#ifndef LIC_COMPLAINTS_WORKER_H
#define LIC_COMPLAINTS_WORKER_H

#include "cal.h"
#include "pipeline.h"

#define COMPLAINTS_CONSUMER "lic-complaints"
#define COMPLAINTS_SOURCE "/licensing/complaints"

typedef struct {
    cal_t *cal;
} complaints_t;

/* The pipeline handler for portal.complaints.v1. */
pl_result_t complaints_handle(void *opaque, pl_pipeline_t *pl, db_t *db,
                              const rd_kafka_message_t *msg, char *reason, size_t reason_size);

#endif
