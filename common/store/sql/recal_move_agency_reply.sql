-- recal.c: a batch of moved reply windows recorded, the requests' due and the windows' timers
-- moved together; as recal_move_service_term.sql.
WITH c AS (
    INSERT INTO deadline_changes (calendar_version, application_id, deadline, ref, old_due, new_due,
                                  past, act, at)
    SELECT v::integer, a::uuid, d, r, to_timestamp(o::bigint), to_timestamp(n::bigint),
           p::boolean, act, to_timestamp($1::bigint)
    FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::text[], $9::text[]) AS m (v, a, d, r, o, n, p, act)
    RETURNING ref, new_due),
q AS (UPDATE agency_requests x SET reply_due_at = c.new_due FROM c
      WHERE x.request_id = c.ref::uuid)
UPDATE reply_windows w SET due_at = c.new_due FROM c WHERE w.request_id = c.ref::uuid;
