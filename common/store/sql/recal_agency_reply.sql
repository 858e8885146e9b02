-- recal.c: agencies' reply windows (¶12) still open, as recal_service_term.sql.
SELECT q.request_id::text, q.application_id, a.portal_ref,
       extract(epoch FROM a.service_deadline)::bigint, extract(epoch FROM q.received_at)::bigint,
       extract(epoch FROM q.reply_due_at)::bigint,
       ''
FROM agency_requests q JOIN applications a USING (application_id)
WHERE q.outcome IS NULL AND q.received_at IS NOT NULL AND q.reply_due_at IS NOT NULL
  AND q.received_at < to_timestamp($2) AND q.reply_due_at >= to_timestamp($1)
  AND q.request_id > $3::uuid
  AND NOT EXISTS (SELECT 1 FROM deadline_changes c WHERE c.calendar_version = $5::integer
                  AND c.deadline = 'agency_reply' AND c.ref = q.request_id::text)
ORDER BY q.request_id LIMIT $4::integer;
