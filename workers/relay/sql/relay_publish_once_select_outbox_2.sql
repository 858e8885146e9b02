-- relay.c
SELECT id, topic, msg_key, payload, headers::text FROM outbox
WHERE sent_at IS NULL AND set_aside_at IS NULL AND discarded_at
IS NULL ORDER BY id LIMIT $1;
