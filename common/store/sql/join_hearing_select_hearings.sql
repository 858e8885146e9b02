-- decision.c: the pending hearing's grounds, and whether a ground may still join it - its time
-- (as the notice fixed it, or as planned before the notice went) not yet come.
SELECT grounds::text, hearing_at > $2::timestamptz FROM hearings
WHERE application_id = $1 AND outcome IS NULL;
