-- recal.c: a reply window moved, the request's due and the window's timer together ($3 unused).
WITH q AS (UPDATE agency_requests SET reply_due_at = to_timestamp($2)
           WHERE request_id = $1::uuid AND $3::bigint IS NOT NULL)
UPDATE reply_windows SET due_at = to_timestamp($2) WHERE request_id = $1::uuid;
