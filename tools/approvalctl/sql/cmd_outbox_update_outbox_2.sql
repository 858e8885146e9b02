-- cmd_apps.c
UPDATE outbox SET discarded_at = now() WHERE id =
$1::bigint AND set_aside_at IS NOT NULL AND sent_at
IS NULL AND discarded_at IS NULL RETURNING id;
