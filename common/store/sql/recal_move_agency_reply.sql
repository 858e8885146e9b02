-- recal.c: the reply windows of a batch, the requests' due and the windows' timers together;
-- as recal_move_service_term.sql.
WITH c AS (SELECT ref::uuid AS id, new_due FROM deadline_changes
           WHERE calendar_version = $1::integer AND deadline = 'agency_reply'
             AND ref = ANY ($2::text[])),
q AS (UPDATE agency_requests x SET reply_due_at = c.new_due FROM c WHERE x.request_id = c.id)
UPDATE reply_windows w SET due_at = c.new_due FROM c WHERE w.request_id = c.id;
