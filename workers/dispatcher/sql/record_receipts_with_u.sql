-- dispatcher.c
WITH u AS (UPDATE agency_requests q SET state = 'received',
received_at = v.received_at, reply_due_at = v.reply_due_at, last_status = v.status,
last_error = NULL
FROM json_to_recordset($1::json) AS v(request_id uuid,
received_at timestamptz, reply_due_at timestamptz, status integer)
WHERE q.request_id = v.request_id AND q.state = 'pending'
RETURNING q.request_id, q.application_id, q.reply_due_at, q.outcome IS NULL AS open),
-- The windows to watch: not one whose agency's reply came before its receipt.
w AS (INSERT INTO reply_windows (request_id, application_id, due_at)
SELECT request_id, application_id, reply_due_at FROM u WHERE open)
SELECT request_id FROM u;
