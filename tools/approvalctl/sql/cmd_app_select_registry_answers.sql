-- approvalctl app: what the registries answered (the evidence kept with the application).
SELECT service_id, to_char(answered_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI:SS') AS at,
       answer::text AS answer, stands_for::text AS stands_for
FROM registry_answers WHERE application_id = $1 ORDER BY service_id;
