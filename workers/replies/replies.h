/* replies: step 5 of PROCESS.md (¶12) - consumes the agencies' reply topics, verifies each
 * reply's Ed25519 signature over the exact message bytes with the agency's configured key,
 * matches it to the request it answers, and records it. The first valid reply within the
 * window counts; duplicates, late replies and replies after a deemed approval are recorded
 * and change nothing; forged, unknown or mismatched replies are dead-lettered. */
#ifndef LIC_REPLIES_H
#define LIC_REPLIES_H

#include "agencies.h"
#include "cal.h"
#include "pipeline.h"

#define REPLIES_CONSUMER "lic-replies"
#define REPLIES_SOURCE "/licensing/replies"

typedef struct {
    ag_config_t ag;
    cal_t *cal; /* a receipt a reply proves gets its reply window's end (¶12) */
} replies_t;

/* Loads the agencies' keys and the calendar. 0, or -1 with errstr. */
int replies_init(replies_t *rp, char *errstr, size_t errstr_size);
void replies_free(replies_t *rp);
/* SIGHUP: re-reads the agencies file (new keys) and the calendar; keeps the old ones on error. */
void replies_reload(void *opaque);

/* The pipeline's batch handler (pl_config_t.handle_batch) for both reply topics: a batch in
 * a fixed number of statements - the applications locked and the requests read in two, the
 * replies, their requests' outcomes (which close their reply windows), the events and the
 * stage changes written set-based. The careful path calls it for one message at a time. */
pl_result_t replies_handle_batch(void *opaque, pl_pipeline_t *pl, db_t *db,
                                 rd_kafka_message_t *const *msgs, int n, int *results,
                                 char (*reasons)[PL_REASON_SIZE]);

#endif
