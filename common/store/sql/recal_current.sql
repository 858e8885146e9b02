-- recal.c: the calendar in force (the newest completed version) and, first, one a run left
-- unfinished after it, if any: version, digest, data, completed.
SELECT version, digest, data::text, completed_at IS NOT NULL FROM calendar_versions
WHERE version >= coalesce((SELECT max(version) FROM calendar_versions
                           WHERE completed_at IS NOT NULL), 0)
ORDER BY version DESC LIMIT 2;
