-- recal.c: the hearing dates of a batch moved; as recal_move_service_term.sql.
UPDATE hearings x SET hearing_at = c.new_due
FROM deadline_changes c
WHERE c.calendar_version = $1::integer AND c.deadline = 'hearing' AND c.ref = ANY ($2::text[])
  AND x.hearing_id = c.ref::uuid;
