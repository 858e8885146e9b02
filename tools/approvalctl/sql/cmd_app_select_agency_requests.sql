-- cmd_apps.c
SELECT agency, state, attempts::text, received_at::text,
reply_due_at::text, outcome, reasons::text, coalesce('reply window set aside: ' || (SELECT w.error FROM reply_windows w
WHERE w.request_id = q.request_id AND w.failed_at IS NOT NULL),
last_error) AS last_error
FROM agency_requests q WHERE application_id = $1 ORDER BY agency;
