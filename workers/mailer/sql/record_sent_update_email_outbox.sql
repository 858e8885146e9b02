-- mailer.c
UPDATE email_outbox SET sent_at = $2, last_error = NULL
WHERE id = $1 AND sent_at IS NULL;
