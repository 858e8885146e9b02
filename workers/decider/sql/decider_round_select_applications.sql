-- decider.c
SELECT application_id FROM applications WHERE stage =
'awaiting_decision' ORDER BY updated_at LIMIT $1
FOR UPDATE SKIP LOCKED;
