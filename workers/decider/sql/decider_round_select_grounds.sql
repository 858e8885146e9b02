-- decider.c: applications with a ground to act on before their decision (¶13: a refusal
-- proposed as soon as a ground exists) or while their hearing is pending (it joins it).
-- Those still in the registries' step wait for its end, and those whose approval requests are
-- not made yet for them (should the hearing withdraw the refusal, the agencies' answers are
-- due); awaiting_decision is the first query's.
SELECT application_id FROM applications
WHERE ground_pending
  AND stage IN ('awaiting_approvals', 'awaiting_replies', 'refusal_proposed')
  AND NOT (stage = 'awaiting_approvals' AND approvals_requested_at IS NULL)
ORDER BY updated_at LIMIT $1
FOR UPDATE SKIP LOCKED;
