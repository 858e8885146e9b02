-- cmd_apps.c
SELECT id::text, topic, convert_from(coalesce(msg_key, ''), 'UTF8')
AS key, coalesce(stage, '') AS stage, length(payload)::text AS
bytes, set_aside_at::text, error, (SELECT count(*) FROM outbox l
WHERE l.sent_at IS NULL AND l.discarded_at IS NULL AND l.topic =
o.topic AND l.msg_key = o.msg_key AND l.id > o.id)::text AS
waiting FROM outbox o WHERE set_aside_at IS NOT NULL AND sent_at
IS NULL AND discarded_at IS NULL ORDER BY id;
