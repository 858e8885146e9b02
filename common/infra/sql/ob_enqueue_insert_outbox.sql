-- outbox.c
INSERT INTO outbox (topic, msg_key, payload, headers, event_id, application_id,
stage) VALUES ($1, $2::bytea, $3::bytea, $4::jsonb, $5, $6::uuid, $7);
