-- mailer.c
UPDATE email_outbox SET attempts = attempts + 1 WHERE id = (SELECT id
FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at <=
now() ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id, application_id, kind, ref, to_addr, subject,
body, attempts;
