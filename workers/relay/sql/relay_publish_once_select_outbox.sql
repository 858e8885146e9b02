-- relay.c
SELECT o.id, o.topic, o.msg_key, o.payload, o.headers::text
FROM outbox o WHERE o.sent_at IS NULL AND o.set_aside_at IS NULL
AND o.discarded_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox b
WHERE b.set_aside_at IS NOT NULL AND b.sent_at IS NULL AND
b.discarded_at IS NULL AND b.topic = o.topic AND
b.msg_key = o.msg_key AND b.id < o.id)
ORDER BY o.id LIMIT $1;
