/* complaints worker: see complaints.h. */
#include "complaints.h"
#include "complaint.h"
#include "event.h"
#include "messages.h"

#include <stdio.h>
#include <string.h>

pl_result_t complaints_handle(void *opaque, pl_pipeline_t *pl, db_t *db,
                              const rd_kafka_message_t *msg, char *reason, size_t reason_size)
{
    complaints_t *cw = opaque;
    ev_event_t ev;
    if (ev_decode(msg->payload, msg->len, &ev, reason, reason_size))
        return PL_BAD_INPUT;
    int result;
    msg_complaint_t c;
    if (strcmp(ev.type, EV_TYPE_COMPLAINT_FILED) != 0) {
        snprintf(reason, reason_size, "unknown CloudEvent type for %s", TOPIC_COMPLAINTS);
        result = PL_BAD_INPUT;
    } else if (msg_decode_complaint(ev.data, ev.subject, &c, reason, reason_size)) {
        result = PL_BAD_INPUT;
    } else if ((result = pl_claim_event(pl, db, ev.id, msg)) > 0) {
        db_rc_t rc = cmp_register(db, cw->cal, &c, ev.id, pl_now(pl), COMPLAINTS_SOURCE, reason,
                                  reason_size);
        result = rc == DB_ERR_DATA && reason[0] ? PL_BAD_INPUT
                 : rc == DB_ERR_RETRY           ? PL_RETRY_LATER
                                                : (int)rc;
    }
    ev_free(&ev);
    return result;
}
