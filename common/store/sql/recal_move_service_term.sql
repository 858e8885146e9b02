-- recal.c: a batch of moved service terms recorded (deadline_changes) and moved in one
-- statement; their watch looks again at once. $1: now; $2..$9: recal.c's RECAL_COLUMNS.
WITH c AS (
    INSERT INTO deadline_changes (calendar_version, application_id, deadline, ref, old_due, new_due,
                                  past, act, at)
    SELECT v::integer, a::uuid, d, r, to_timestamp(o::bigint), to_timestamp(n::bigint),
           p::boolean, act, to_timestamp($1::bigint)
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::text[], $9::text[]) AS m (v, a, d, r, o, n, p, act)
    RETURNING ref, new_due)
UPDATE applications x SET service_deadline = c.new_due,
    term_watch_at = CASE WHEN x.term_watch_at IS NULL THEN NULL
                         ELSE least(x.term_watch_at, to_timestamp($1::bigint)) END
FROM c WHERE x.application_id = c.ref::uuid;
