-- decision.c
SELECT a.kind, (SELECT coalesce(jsonb_agg(jsonb_build_object('agency', q.agency, 'outcome', q.outcome, 'deemed', q.outcome = 'deemed_approved') ORDER BY q.agency), '[]')
FROM agency_requests q
WHERE q.application_id = a.application_id)
FROM applications a WHERE a.application_id = $1;
