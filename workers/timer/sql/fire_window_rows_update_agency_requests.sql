-- timer.c
UPDATE agency_requests SET outcome = 'deemed_approved', outcome_at = $2
WHERE request_id = ANY ($1::uuid[]) AND outcome IS NULL;
