-- timer.c
UPDATE applications SET term_watch_at = NULL
WHERE application_id = ANY ($1::uuid[]);
