-- approval.c
INSERT INTO incidents (application_id, kind, ref, detail, at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (application_id, kind, ref) DO NOTHING;
