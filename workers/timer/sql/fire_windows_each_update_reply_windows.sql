-- timer.c
UPDATE reply_windows SET failed_at = $2, error = $3
WHERE request_id = $1;
