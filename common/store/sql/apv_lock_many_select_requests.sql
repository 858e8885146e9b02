-- approval.c
SELECT q.request_id, q.application_id, q.agency, q.state = 'received',
q.outcome, extract(epoch FROM q.reply_due_at)::bigint, q.state = 'pending'
FROM (SELECT DISTINCT unnest($1::uuid[])) AS a (id) CROSS JOIN
LATERAL (SELECT * FROM agency_requests r WHERE r.application_id = a.id
OFFSET 0) q;
