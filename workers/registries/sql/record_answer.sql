-- registries.c: a registry's answer, the evidence (the first one stays: a question asked again
-- after a crash between the answer and the commit is answered the same).
INSERT INTO registry_answers (application_id, service_id, message_id, answered_at, answer)
VALUES ($1, $2, $3, $4, $5::jsonb)
ON CONFLICT (application_id, service_id) DO NOTHING;
