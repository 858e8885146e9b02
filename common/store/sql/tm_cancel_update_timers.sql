-- approval.c
UPDATE timers SET cancelled_at = $4 WHERE application_id = $1 AND kind = $2
AND ref = $3 AND fired_at IS NULL AND cancelled_at IS NULL;
