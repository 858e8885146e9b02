-- decision.c: the grounds of these applications acted on; not those waiting for their
-- approval requests to be made.
UPDATE applications SET ground_pending = false
WHERE application_id = ANY ($1::uuid[]) AND ground_pending
  AND NOT (stage = 'awaiting_approvals' AND approvals_requested_at IS NULL);
