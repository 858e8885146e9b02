-- cmd_apps.c
SELECT agency, verdict, arrived_at::text, counted::text,
ignored_reason FROM agency_replies WHERE application_id = $1
ORDER BY id;
