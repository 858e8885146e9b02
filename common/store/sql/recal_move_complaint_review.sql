-- recal.c: the review limits of a batch moved; as recal_move_service_term.sql.
UPDATE complaints x SET review_due = c.new_due
FROM deadline_changes c
WHERE c.calendar_version = $1::integer AND c.deadline = 'complaint_review' AND c.ref = ANY ($2::text[])
  AND x.complaint_id = c.ref::uuid;
