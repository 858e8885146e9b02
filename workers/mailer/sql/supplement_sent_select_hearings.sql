-- mailer.c: the hearing a further notice joined - its grounds now, its time, means, and when
-- its first notice went.
SELECT grounds::text, extract(epoch FROM hearing_at)::bigint, means,
       extract(epoch FROM notice_sent_at)::bigint
FROM hearings WHERE hearing_id = $1;
