-- mailer.c: a hearing notice's body as it went (its hearing's time written in).
UPDATE email_outbox SET body = $2 WHERE id = $1;
