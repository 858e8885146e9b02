-- cmd_apps.c
SELECT a.application_id::text AS id, a.portal_ref, a.stage,
'service_term' AS deadline,
extract(epoch FROM a.service_deadline)::bigint AS due
FROM applications a JOIN stages s ON s.name = a.stage WHERE NOT s.final
UNION ALL SELECT c.complaint_id::text, a.portal_ref, c.state,
CASE WHEN c.state = 'registered' THEN 'complaint_forward'
ELSE 'complaint_review' END, extract(epoch FROM CASE WHEN c.state =
'registered' THEN c.forward_due ELSE c.review_due END)::bigint
FROM complaints c JOIN applications a USING (application_id)
WHERE c.state <> 'resolved' ORDER BY 5;
