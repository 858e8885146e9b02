-- registries.c: up to $1 applications waiting for the registries whose check is neither leased
-- nor put off, oldest first, leased for $2 seconds (a worker that dies leaves them to another
-- after that). Two workers cannot take one: the second's update waits for the first's row and
-- then finds it leased.
INSERT INTO registry_checks AS c (application_id, attempts, next_attempt_at)
SELECT a.application_id, 1, now() + make_interval(secs => $2::int)
FROM applications a
WHERE a.stage = 'awaiting_registries'
  AND (SELECT k.next_attempt_at > now() FROM registry_checks k
        WHERE k.application_id = a.application_id) IS NOT TRUE
ORDER BY a.registered_at, a.application_id LIMIT $1
ON CONFLICT (application_id) DO UPDATE
    SET attempts = c.attempts + 1, next_attempt_at = EXCLUDED.next_attempt_at, updated_at = now()
    WHERE c.next_attempt_at <= now()
RETURNING c.application_id, c.attempts;
