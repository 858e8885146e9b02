-- 007: the dispatcher finds the applications still waiting for their approval requests through
-- a partial index instead of counting the requests of every application in awaiting_approvals
-- (which grew with the backlog). approvals_requested_at is set when the requests are created.
ALTER TABLE applications ADD COLUMN approvals_requested_at timestamptz;
UPDATE applications a SET approvals_requested_at = q.created_at
  FROM (SELECT application_id, min(created_at) AS created_at FROM agency_requests
        GROUP BY application_id) q
 WHERE q.application_id = a.application_id;
CREATE INDEX applications_to_dispatch ON applications (registered_at)
    WHERE stage = 'awaiting_approvals' AND approvals_requested_at IS NULL;
