-- decision.c: the applications of a batch to decide, locked by the caller, with what the
-- agencies answered; in the batch's order. Column 6: a first issue with no ground - no agency
-- against it and none recorded (the registries'): granted in bulk. Column 8: its approval
-- requests not made yet - a ground waits for them (the agencies are asked all the same).
SELECT a.application_id, a.stage, a.portal_ref,
       extract(epoch FROM a.service_deadline)::bigint, extract(epoch FROM a.registered_at)::bigint,
       a.kind = 'issue' AND g.refusals = 0
       AND (SELECT true FROM grounds r WHERE r.application_id = a.application_id LIMIT 1) IS NULL,
       g.approvals,
       a.stage = 'awaiting_approvals' AND a.approvals_requested_at IS NULL
FROM unnest($1::uuid[]) WITH ORDINALITY AS i (application_id, ord)
JOIN applications a USING (application_id)
-- Per application, through its index: as a NOT EXISTS, statistics a few seconds old (a table
-- growing fast) made it one hashed scan of every request, ~60 ms a round.
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE q.outcome = 'non_compliant') AS refusals,
           coalesce(jsonb_agg(jsonb_build_object('agency', q.agency, 'outcome', q.outcome,
                                                 'deemed', q.outcome = 'deemed_approved')
                              ORDER BY q.agency), '[]') AS approvals
    FROM agency_requests q WHERE q.application_id = a.application_id) g
ORDER BY i.ord;
