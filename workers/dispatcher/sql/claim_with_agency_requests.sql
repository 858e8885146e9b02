-- dispatcher.c
WITH a AS (SELECT request_id FROM agency_requests WHERE state = 'pending'
AND agency = $1 AND next_attempt_at <= now()
ORDER BY next_attempt_at LIMIT $2::integer FOR UPDATE SKIP LOCKED),
b AS (SELECT request_id FROM agency_requests WHERE state = 'pending'
AND agency = $3 AND next_attempt_at <= now()
ORDER BY next_attempt_at LIMIT $4::integer FOR UPDATE SKIP LOCKED)
UPDATE agency_requests r SET next_attempt_at = now() + $5::interval,
attempts = r.attempts + 1
FROM (SELECT request_id FROM a UNION ALL SELECT request_id FROM b) c
WHERE r.request_id = c.request_id
RETURNING r.request_id, r.application_id, r.agency, r.base_url, r.body::text;
