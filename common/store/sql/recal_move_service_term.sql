-- recal.c: the service terms of a batch recorded by recal_record.sql ($1 version, $2 refs)
-- moved; their watch looks again at once (the record's `at` is now).
UPDATE applications x SET service_deadline = c.new_due,
    term_watch_at = CASE WHEN x.term_watch_at IS NULL THEN NULL
                         ELSE least(x.term_watch_at, c.at) END
FROM deadline_changes c
WHERE c.calendar_version = $1::integer AND c.deadline = 'service_term' AND c.ref = ANY ($2::text[])
  AND x.application_id = c.ref::uuid;
