-- cmd_apps.c
UPDATE incidents SET resolved_at = now() WHERE kind = 'outbox_row_set_aside'
AND ref = $1 AND resolved_at IS NULL;
