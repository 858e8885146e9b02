-- registries.c: a round's calls to the gateway, whatever came back (a JSON array of rows).
INSERT INTO gateway_calls (application_id, message_id, service_id, asked_at, duration_ms, tries,
                           http_status, outcome, code, message, response_id)
SELECT c.application_id, c.message_id, c.service, c.asked_at, c.duration_ms, c.tries,
       nullif(c.status, 0), c.outcome, nullif(c.code, ''), nullif(c.message, ''),
       nullif(c.response_id, '')
FROM jsonb_to_recordset($1::jsonb) AS c (application_id uuid, message_id uuid, service text,
     asked_at timestamptz, duration_ms integer, tries integer, status integer, outcome text,
     code text, message text, response_id text);
