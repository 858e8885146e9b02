-- relay.c
SELECT count(*), coalesce(extract(epoch FROM now() -
min(created_at)), 0), (SELECT count(*) FROM outbox WHERE
set_aside_at IS NOT NULL AND sent_at IS NULL AND
discarded_at IS NULL), (SELECT count(*) FROM outbox WHERE
held_by IS NOT NULL AND sent_at IS NULL AND discarded_at IS NULL)
FROM outbox WHERE sent_at IS NULL
AND set_aside_at IS NULL AND discarded_at IS NULL;
