-- complaint.c
INSERT INTO complaints (complaint_id, application_id, filed_at,
registered_at, addressed_to, text, forward_due, review_due,
source_event) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (complaint_id) DO NOTHING;
