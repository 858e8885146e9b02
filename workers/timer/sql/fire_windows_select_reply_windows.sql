-- timer.c
SELECT request_id, application_id FROM reply_windows
WHERE failed_at IS NULL
AND due_at <= $1
ORDER BY due_at LIMIT $2;
