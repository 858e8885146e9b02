-- timer.c
UPDATE agency_requests SET outcome = 'deemed_approved', outcome_at = $2
WHERE request_id = $1 AND outcome IS NULL;
