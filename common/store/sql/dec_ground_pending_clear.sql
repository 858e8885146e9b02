-- decision.c: the grounds of these applications acted on.
UPDATE applications SET ground_pending = false
WHERE application_id = ANY ($1::uuid[]) AND ground_pending;
