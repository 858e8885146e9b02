-- decision.c: a hearing notice, or a further one for grounds joining a pending hearing ($6).
INSERT INTO email_outbox (application_id, kind, ref, to_addr, subject, body)
VALUES ($1, $6, $2, $3, $4, $5);
