-- timer.c
SELECT id, application_id, kind, ref FROM timers
WHERE fired_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL
AND due_at <= $1
AND kind = ANY (string_to_array($3, ','))
ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED;
