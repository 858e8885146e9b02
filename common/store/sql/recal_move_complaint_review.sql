-- recal.c: a batch of moved review limits recorded and moved; as
-- recal_move_service_term.sql.
WITH c AS (
    INSERT INTO deadline_changes (calendar_version, application_id, deadline, ref, old_due, new_due,
                                  past, act, at)
    SELECT v::integer, a::uuid, d, r, to_timestamp(o::bigint), to_timestamp(n::bigint),
           p::boolean, act, to_timestamp($1::bigint)
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::text[], $9::text[]) AS m (v, a, d, r, o, n, p, act)
    RETURNING ref, new_due)
UPDATE complaints x SET review_due = c.new_due FROM c WHERE x.complaint_id = c.ref::uuid;
