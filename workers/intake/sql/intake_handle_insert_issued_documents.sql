-- intake.c
INSERT INTO issued_documents (application_id, kind, number, year, seq,
issued_at, body) VALUES ($1, 'refusal', $2, $3, $4, $5, $6::jsonb);
