-- registries.c: checks finished (or no longer needed): each lease ($1, with its attempt $2:
-- only this worker's) gone, the incidents its failed attempts raised - or its being set
-- aside - resolved.
WITH j AS (SELECT * FROM unnest($1::uuid[], $2::integer[]) AS j (application_id, attempts)),
lease AS (DELETE FROM registry_checks c USING j
           WHERE c.application_id = j.application_id AND c.attempts = j.attempts)
UPDATE incidents i SET resolved_at = now()
  FROM j
 WHERE i.application_id = j.application_id AND i.kind IN ('registry_unavailable', 'registry_check_failed', 'license_not_in_register')
   AND i.resolved_at IS NULL;
