-- recal.c: the calendar in force before version $1 (the "old" of its catch-up sweep).
SELECT data::text FROM calendar_versions
WHERE version < $1::integer AND completed_at IS NOT NULL ORDER BY version DESC LIMIT 1;
