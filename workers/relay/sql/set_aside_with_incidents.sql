-- relay.c
WITH o AS (UPDATE outbox SET set_aside_at = $3, error = $2 WHERE id = $1
AND sent_at IS NULL RETURNING id, topic, application_id)
INSERT INTO incidents (application_id, kind, ref, detail, at)
SELECT application_id, 'outbox_row_set_aside', id::text,
'outbox row ' || id || ' to ' || topic || ' refused by Kafka: ' || $2
|| '; the later messages of its key wait behind it (approvalctl outbox release or discard)', $3 FROM o
ON CONFLICT (application_id, kind, ref) DO NOTHING;
