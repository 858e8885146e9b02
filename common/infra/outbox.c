/* outbox: transactional outbox rows. */
#include "outbox.h"
#include "infra_sql.h"
#include "jsonx.h"

#include <stdlib.h>

db_rc_t ob_enqueue(db_t *db, const char *topic, const void *key, size_t key_len,
                   const void *payload, size_t payload_len, const json_t *headers,
                   const char *event_id, const char *application_id, const char *stage)
{
    char *khex = key ? db_bytea_hex(key, key_len) : NULL;
    char *phex = db_bytea_hex(payload, payload_len);
    char *hdrs = headers ? jx_dumps(headers) : NULL;
    db_rc_t rc = DB_ERR_DATA;
    if (!phex || (key && !khex))
        goto out;
    const char *p[] = {topic, khex, phex, hdrs ? hdrs : "[]", event_id, application_id, stage};
    rc = db_exec(db, sql_ob_enqueue_insert_outbox, 7, p);
out:
    free(khex);
    free(phex);
    free(hdrs);
    return rc;
}
