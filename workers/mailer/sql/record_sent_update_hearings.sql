-- mailer.c
UPDATE hearings SET notice_sent_at = $2 WHERE hearing_id = $1
AND notice_sent_at IS NULL RETURNING grounds::text,
extract(epoch FROM hearing_at)::bigint, means,
extract(epoch FROM notice_due)::bigint;
