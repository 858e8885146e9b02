-- recal.c: hearings (¶13) noticed and not concluded, fixed from the notice's moment; as
-- recal_service_term.sql.
SELECT h.hearing_id::text, h.application_id, a.portal_ref,
       extract(epoch FROM a.service_deadline)::bigint, extract(epoch FROM h.notice_sent_at)::bigint,
       extract(epoch FROM h.hearing_at)::bigint,
       ''
FROM hearings h JOIN applications a USING (application_id)
WHERE h.concluded_at IS NULL AND h.notice_sent_at IS NOT NULL
  AND h.notice_sent_at < to_timestamp($2) AND h.hearing_at >= to_timestamp($1)
  AND h.hearing_id > $3::uuid
  AND NOT EXISTS (SELECT 1 FROM deadline_changes c WHERE c.calendar_version = $5::integer
                  AND c.deadline = 'hearing' AND c.ref = h.hearing_id::text)
ORDER BY h.hearing_id LIMIT $4::integer;
