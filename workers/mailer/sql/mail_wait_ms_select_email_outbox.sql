-- mailer.c: how long until the next e-mail is due (a retired one, due 'infinity', never is).
SELECT GREATEST(0, extract(epoch FROM min(next_attempt_at) -
now()) * 1000)::bigint FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at < 'infinity';
