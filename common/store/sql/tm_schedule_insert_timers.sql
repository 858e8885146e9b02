-- approval.c
INSERT INTO timers (application_id, kind, ref, due_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (application_id, kind, ref) DO NOTHING;
