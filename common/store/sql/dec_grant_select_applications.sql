-- decision.c: the kind, what the agencies answered, and why the service term could not be
-- kept if the last hearing says so.
SELECT a.kind, (SELECT coalesce(jsonb_agg(jsonb_build_object('agency', q.agency, 'outcome', q.outcome, 'deemed', q.outcome = 'deemed_approved') ORDER BY q.agency), '[]')
FROM agency_requests q
WHERE q.application_id = a.application_id),
(SELECT h.term_note FROM hearings h WHERE h.application_id = a.application_id
 ORDER BY h.proposed_at DESC LIMIT 1)
FROM applications a WHERE a.application_id = $1;
