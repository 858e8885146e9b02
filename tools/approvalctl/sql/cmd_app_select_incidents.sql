-- cmd_apps.c
SELECT kind, ref, detail, at::text, resolved_at::text FROM
incidents WHERE application_id = $1 ORDER BY id;
