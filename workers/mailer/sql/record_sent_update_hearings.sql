-- mailer.c: the notice went at $2 and fixed the hearing at $3 (¶13: within 2 WD of it).
UPDATE hearings SET notice_sent_at = $2, hearing_at = $3 WHERE hearing_id = $1
AND notice_sent_at IS NULL RETURNING grounds::text,
extract(epoch FROM hearing_at)::bigint, means,
extract(epoch FROM notice_due)::bigint;
