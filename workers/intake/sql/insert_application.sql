-- intake.c: the application, registered in stage $11 (the batch path: a duplicate id violates
-- the key and the batch is run again one message at a time).
INSERT INTO applications (application_id, portal_ref, kind, stage, submitted_at, registered_at,
                          completeness_due, service_deadline, executor, paper_copy,
                          source_event_id, term_watch_at, needs_approvals)
VALUES ($1, $2, $3, $11, $4, $5, $6, $7, $8, $9, $10, $12, $13);
