-- mailer.c
SELECT GREATEST(0, extract(epoch FROM min(next_attempt_at) -
now()) * 1000)::bigint FROM email_outbox WHERE sent_at IS NULL;
