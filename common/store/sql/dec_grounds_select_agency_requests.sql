-- decision.c
SELECT q.agency, q.reasons::text, a.kind FROM agency_requests q
JOIN applications a USING (application_id)
WHERE q.application_id = $1 AND q.outcome = 'non_compliant'
ORDER BY q.agency;
