-- recal.c: a batch of moved deadlines recorded ($1: now; $2..$9: recal.c's RECAL_COLUMNS); the
-- recal_move_*.sql statements then move them from these rows.
INSERT INTO deadline_changes (calendar_version, application_id, deadline, ref, old_due, new_due,
                              past, act, at)
SELECT v::integer, a::uuid, d, r, to_timestamp(o::bigint), to_timestamp(n::bigint), p::boolean,
       act, to_timestamp($1::bigint)
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[]) AS m (v, a, d, r, o, n, p, act);
