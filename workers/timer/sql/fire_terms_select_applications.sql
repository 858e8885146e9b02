-- timer.c
SELECT a.application_id, s.final FROM applications a
JOIN stages s ON s.name = a.stage
WHERE a.term_watch_at <= $1 ORDER BY a.term_watch_at LIMIT $2
FOR UPDATE OF a SKIP LOCKED;
