-- relay.c: a row held for its documents' signatures (migration 033), and the rows of its key
-- after it, wait; held rows are few and short-lived, each probe one of their small index.
SELECT o.id, o.topic, o.msg_key, o.payload, o.headers::text FROM outbox o
WHERE o.sent_at IS NULL AND o.set_aside_at IS NULL AND o.discarded_at IS NULL
AND o.held_by IS NULL AND NOT EXISTS (SELECT 1 FROM outbox h
WHERE h.held_by IS NOT NULL AND h.sent_at IS NULL AND h.discarded_at IS NULL
AND h.topic = o.topic AND h.msg_key = o.msg_key AND h.id < o.id)
ORDER BY o.id LIMIT $1;
