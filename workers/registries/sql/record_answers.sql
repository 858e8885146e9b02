-- registries.c: the registries' answers of a round, the evidence. The first one stays (a
-- question asked again after a crash between the answer and the commit is answered the same)
-- unless it is older than $2 seconds: asked again then, as facts.sql no longer reads it.
INSERT INTO registry_answers (application_id, service_id, message_id, answered_at, answer,
                              stands_for)
SELECT x.application_id, x.service, x.message_id, x.asked_at, x.answer, x.stands_for
FROM jsonb_to_recordset($1::jsonb) AS x (application_id uuid, service text, message_id uuid,
     asked_at timestamptz, answer jsonb, stands_for jsonb)
ON CONFLICT (application_id, service_id) DO UPDATE
    SET message_id = EXCLUDED.message_id, answered_at = EXCLUDED.answered_at,
        answer = EXCLUDED.answer, stands_for = EXCLUDED.stands_for
    WHERE registry_answers.answered_at <= now() - make_interval(secs => $2::int);
