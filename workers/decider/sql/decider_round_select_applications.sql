-- decider.c: applications to decide - with executor review ($2), only those the executor
-- reviewed.
SELECT application_id FROM applications WHERE stage =
'awaiting_decision' AND (NOT $2::boolean OR reviewed_at IS NOT NULL)
ORDER BY updated_at LIMIT $1
FOR UPDATE SKIP LOCKED;
