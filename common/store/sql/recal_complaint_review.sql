-- recal.c: complaints (¶15) not yet resolved; as recal_service_term.sql.
SELECT m.complaint_id::text, m.application_id, a.portal_ref,
       extract(epoch FROM a.service_deadline)::bigint, extract(epoch FROM m.registered_at)::bigint,
       extract(epoch FROM m.review_due)::bigint,
       m.addressed_to
FROM complaints m JOIN applications a USING (application_id)
WHERE m.state <> 'resolved'
  AND m.registered_at < to_timestamp($2) AND m.review_due >= to_timestamp($1)
  AND m.complaint_id > $3::uuid
  AND NOT EXISTS (SELECT 1 FROM deadline_changes c WHERE c.calendar_version = $5::integer
                  AND c.deadline = 'complaint_review' AND c.ref = m.complaint_id::text)
ORDER BY m.complaint_id LIMIT $4::integer;
