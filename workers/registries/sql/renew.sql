-- registries.c: the worker's lease renewed for one check's calls, while it is still its own
-- (attempts fences it: a lease that ran out and was taken again has a higher count).
UPDATE registry_checks
   SET next_attempt_at = now() + make_interval(secs => $3::int), updated_at = now()
 WHERE application_id = $1 AND attempts = $2
RETURNING 1;
