-- mailer.c
UPDATE email_outbox SET last_error = $2, next_attempt_at = now() + $3::interval
WHERE id = $1 AND sent_at IS NULL;
