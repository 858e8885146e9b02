-- relay.c
DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE
sent_at < now() - make_interval(hours => $1::int) ORDER BY id
LIMIT $2);
