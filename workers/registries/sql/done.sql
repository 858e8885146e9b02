-- registries.c: a check finished (or no longer needed): this worker's lease ($2, its attempt)
-- gone, the incidents its failed attempts raised resolved.
WITH lease AS (DELETE FROM registry_checks WHERE application_id = $1 AND attempts = $2)
UPDATE incidents SET resolved_at = now()
 WHERE application_id = $1 AND kind = 'registry_unavailable' AND resolved_at IS NULL;
