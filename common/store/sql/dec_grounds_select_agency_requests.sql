-- decision.c: the agencies' non_compliant answers a hearing that withdrew the refusal (or whose
-- refusal a complaint overturned) has not already dealt with (a ground's key names its request).
SELECT q.agency, q.reasons::text, a.kind, q.request_id FROM agency_requests q
JOIN applications a USING (application_id)
WHERE q.application_id = $1 AND q.outcome = 'non_compliant'
  AND NOT EXISTS (SELECT 1 FROM hearings h CROSS JOIN LATERAL jsonb_array_elements(h.grounds) e
                  WHERE h.application_id = $1 AND (h.outcome = 'refusal_withdrawn' OR h.overturned_by IS NOT NULL)
                    AND e->>'key' = 'agency:' || q.request_id)
ORDER BY q.agency;
