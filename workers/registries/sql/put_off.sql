-- registries.c: a check that could not be finished, tried again after $2 ms - while the lease is
-- still this worker's ($4, its attempt).
UPDATE registry_checks
   SET next_attempt_at = now() + make_interval(secs => $2::int / 1000.0), last_error = $3,
       updated_at = now()
 WHERE application_id = $1 AND attempts = $4;
