-- recal.c: open durable timers of hearings and complaints, from their deadline's origin (the
-- notice's moment, the complaint's registration); as recal_service_term.sql.
SELECT t.id::text, t.application_id, a.portal_ref, extract(epoch FROM a.service_deadline)::bigint,
       extract(epoch FROM coalesce(h.notice_sent_at, m.registered_at))::bigint,
       extract(epoch FROM t.due_at)::bigint,
       t.kind
FROM timers t JOIN applications a USING (application_id)
LEFT JOIN hearings h ON t.kind = 'hearing_outcome_due' AND h.hearing_id::text = t.ref
LEFT JOIN complaints m ON t.kind LIKE 'complaint%' AND m.complaint_id::text = t.ref
WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL AND t.failed_at IS NULL
  AND coalesce(h.notice_sent_at, m.registered_at) < to_timestamp($2)
  AND t.due_at >= to_timestamp($1) AND t.id > $3::bigint
  AND NOT EXISTS (SELECT 1 FROM deadline_changes c WHERE c.calendar_version = $5::integer
                  AND c.deadline = 'timer' AND c.ref = t.id::text)
ORDER BY t.id LIMIT $4::integer;
