-- registries.c: one call to the gateway, whatever came back.
INSERT INTO gateway_calls (application_id, message_id, service_id, asked_at, duration_ms, tries,
                           http_status, outcome, code, message, response_id)
VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '0')::integer, $8, nullif($9, ''), nullif($10, ''),
        nullif($11, ''));
