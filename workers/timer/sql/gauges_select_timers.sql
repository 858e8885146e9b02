-- timer.c
SELECT 'lic_timers_open', 'kind="' || kind || '"', count(*)::float8
FROM timers WHERE $1 AND fired_at IS NULL AND cancelled_at IS NULL
AND failed_at IS NULL GROUP BY kind
UNION ALL SELECT 'lic_timers_open', 'kind="agency_reply_window"',
count(*)::float8 FROM reply_windows WHERE $1 AND failed_at IS NULL
UNION ALL SELECT 'lic_timers_open', 'kind="service_term"', count(*)::float8
FROM applications WHERE $1 AND term_watch_at IS NOT NULL
UNION ALL SELECT 'lic_applications', 'stage="' || s.name || '"',
(SELECT count(*) FROM applications a WHERE a.stage = s.name)::float8
FROM stages s
UNION ALL SELECT 'lic_incidents_open', 'kind="' || kind || '"',
count(*)::float8 FROM incidents WHERE resolved_at IS NULL GROUP BY kind
UNION ALL SELECT 'lic_timer_next_due_seconds', '', coalesce(extract(epoch FROM least((SELECT min(due_at) FROM timers WHERE fired_at IS NULL
AND cancelled_at IS NULL AND failed_at IS NULL), (SELECT min(due_at)
FROM reply_windows WHERE failed_at IS NULL), (SELECT min(term_watch_at) FROM applications WHERE term_watch_at IS NOT NULL))), 0)::float8;
