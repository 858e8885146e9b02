-- cmd_apps.c: the deadlines a change of the working calendar moved (issue #29).
SELECT deadline, ref, old_due::text, new_due::text, past, act, calendar_version, at::text
FROM deadline_changes WHERE application_id = $1 ORDER BY id;
