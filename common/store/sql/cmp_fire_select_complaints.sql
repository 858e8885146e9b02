-- complaint.c
SELECT application_id, state, extract(epoch FROM forward_due)::bigint,
extract(epoch FROM review_due)::bigint FROM complaints
WHERE complaint_id = $1;
