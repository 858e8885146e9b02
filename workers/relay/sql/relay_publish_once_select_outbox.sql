-- relay.c: while rows are set aside, those of their keys after them wait too.
SELECT o.id, o.topic, o.msg_key, o.payload, o.headers::text
FROM outbox o WHERE o.sent_at IS NULL AND o.set_aside_at IS NULL
AND o.discarded_at IS NULL AND o.held_by IS NULL AND NOT EXISTS (SELECT 1 FROM outbox b
WHERE b.set_aside_at IS NOT NULL AND b.sent_at IS NULL AND
b.discarded_at IS NULL AND b.topic = o.topic AND
b.msg_key = o.msg_key AND b.id < o.id) AND NOT EXISTS (SELECT 1 FROM outbox h
WHERE h.held_by IS NOT NULL AND h.sent_at IS NULL AND h.discarded_at IS NULL
AND h.topic = o.topic AND h.msg_key = o.msg_key AND h.id < o.id)
ORDER BY o.id LIMIT $1;
