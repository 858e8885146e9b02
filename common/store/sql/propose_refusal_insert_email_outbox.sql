-- decision.c
INSERT INTO email_outbox (application_id, kind, ref, to_addr, subject, body)
VALUES ($1, 'hearing_notice', $2, $3, $4, $5);
