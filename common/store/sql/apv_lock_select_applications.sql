-- approval.c
SELECT stage, portal_ref, extract(epoch FROM service_deadline)::bigint, extract(epoch FROM registered_at)::bigint
FROM applications
WHERE application_id = $1 FOR UPDATE;
