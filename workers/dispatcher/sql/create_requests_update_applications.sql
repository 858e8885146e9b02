-- dispatcher.c
UPDATE applications SET approvals_requested_at = now()
WHERE application_id = ANY ($1::uuid[]) AND approvals_requested_at IS NULL;
