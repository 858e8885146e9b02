-- recal.c: the durable timers of a batch moved; as recal_move_service_term.sql.
UPDATE timers x SET due_at = c.new_due
FROM deadline_changes c
WHERE c.calendar_version = $1::integer AND c.deadline = 'timer' AND c.ref = ANY ($2::text[])
  AND x.id = c.ref::bigint;
