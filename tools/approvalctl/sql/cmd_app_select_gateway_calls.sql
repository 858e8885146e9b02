-- approvalctl app: the calls to the e-government gateway (¶10), oldest first.
SELECT to_char(asked_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI:SS') AS at, service_id,
       outcome, coalesce(code, '') AS code, coalesce(message, '') AS message, duration_ms, tries,
       message_id
FROM gateway_calls WHERE application_id = $1 ORDER BY id;
