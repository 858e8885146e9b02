-- state.c
INSERT INTO outbox (topic, msg_key, payload, event_id, application_id,
stage, headers)
SELECT $1, convert_to(x.app, 'UTF8'), x.payload, x.ev, x.app::uuid,
x.stage, jsonb_build_array(jsonb_build_array('content-type', 'application/cloudevents+json; charset=UTF-8'))
FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[])
WITH ORDINALITY AS x(app, payload, ev, stage, n) ORDER BY x.n;
