-- replies.c
SELECT a.stage, a.portal_ref, extract(epoch FROM a.service_deadline)::bigint, extract(epoch FROM a.registered_at)::bigint, q.application_id, q.agency, q.state, q.outcome,
extract(epoch FROM q.reply_due_at)::bigint,
(SELECT count(*) FROM agency_requests x WHERE x.application_id =
a.application_id AND x.state = 'received'),
(SELECT count(*) FROM agency_requests x WHERE x.application_id =
a.application_id AND x.outcome IS NOT NULL)
FROM applications a LEFT JOIN agency_requests q ON q.request_id = $2
WHERE a.application_id = $1;
