-- mailer.c: a further notice's hearing - its time as the first notice fixed it (only once that
-- notice went), and whether it is still pending.
SELECT extract(epoch FROM hearing_at)::bigint, outcome IS NULL FROM hearings
WHERE hearing_id = $1 AND notice_sent_at IS NOT NULL;
