-- actions.c: a ground raised while the hearing is pending joins it (the refusal quotes it).
UPDATE hearings SET grounds = grounds || jsonb_build_array($2::jsonb)
WHERE application_id = $1 AND outcome IS NULL;
