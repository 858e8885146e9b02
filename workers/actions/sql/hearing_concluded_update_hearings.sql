-- actions.c: the hearing's outcome, the act that gave it and the official who signed it.
UPDATE hearings SET outcome = $2, concluded_at = $3, outcome_event = $4, concluded_by = $5
WHERE hearing_id = $1;
