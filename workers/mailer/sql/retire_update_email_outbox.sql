-- mailer.c: an e-mail that must not go any more - never due again, the reason kept.
UPDATE email_outbox SET last_error = $2, next_attempt_at = 'infinity'
WHERE id = $1::bigint AND sent_at IS NULL;
