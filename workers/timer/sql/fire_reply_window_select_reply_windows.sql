-- timer.c
SELECT q.agency, extract(epoch FROM q.reply_due_at)::bigint,
q.outcome IS NULL FROM reply_windows w JOIN agency_requests q
USING (request_id) WHERE w.request_id = $1 AND w.application_id = $2
AND w.failed_at IS NULL
AND w.due_at <= $3 FOR UPDATE OF w;
