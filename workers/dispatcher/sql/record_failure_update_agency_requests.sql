-- dispatcher.c
UPDATE agency_requests SET last_status = NULLIF($2, '0')::integer,
last_error = $3, next_attempt_at = now() + $4::interval, state = $5
WHERE request_id = $1 AND state = 'pending'
RETURNING extract(epoch FROM send_due)::bigint;
