-- intake.c: the same, one message at a time: no row back means the id is registered already.
INSERT INTO applications (application_id, portal_ref, kind, stage, submitted_at, registered_at,
                          completeness_due, service_deadline, executor, paper_copy,
                          source_event_id, term_watch_at, needs_approvals)
VALUES ($1, $2, $3, $11, $4, $5, $6, $7, $8, $9, $10, $12, $13)
ON CONFLICT (application_id) DO NOTHING
RETURNING 1;
