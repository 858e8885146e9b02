-- registries.c: the registries' answers of a round, the evidence (the first one stays: a
-- question asked again after a crash between the answer and the commit is answered the same).
INSERT INTO registry_answers (application_id, service_id, message_id, answered_at, answer)
SELECT x.application_id, x.service, x.message_id, x.asked_at, x.answer
FROM jsonb_to_recordset($1::jsonb) AS x (application_id uuid, service text, message_id uuid,
     asked_at timestamptz, answer jsonb)
ON CONFLICT (application_id, service_id) DO NOTHING;
