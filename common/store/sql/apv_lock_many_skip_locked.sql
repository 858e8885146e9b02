-- approval.c
SELECT application_id, stage, portal_ref,
extract(epoch FROM service_deadline)::bigint,
extract(epoch FROM registered_at)::bigint
FROM applications WHERE application_id = ANY ($1::uuid[])
ORDER BY application_id FOR UPDATE SKIP LOCKED;
