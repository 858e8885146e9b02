-- recal.c: a calendar version to apply; $6: the first one, in force at once (nothing to move).
INSERT INTO calendar_versions (digest, data, act, applied_by, started_at, completed_at)
VALUES ($1, $2::jsonb, $3, $4, to_timestamp($5), CASE WHEN $6::boolean THEN to_timestamp($5) END)
RETURNING version;
