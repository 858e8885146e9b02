-- cmd_apps.c
SELECT kind, number, version::text, issued_at::text FROM
issued_documents WHERE application_id = $1 ORDER BY id;
