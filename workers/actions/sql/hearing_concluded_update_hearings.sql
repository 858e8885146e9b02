-- actions.c
UPDATE hearings SET outcome = $2, concluded_at = $3, outcome_event = $4
WHERE hearing_id = $1;
