-- decision.c: the confirmed hearing whose refusal a complaint ($2) overturned - its grounds are
-- not raised again.
UPDATE hearings SET overturned_by = $2
WHERE application_id = $1 AND outcome = 'refusal_confirmed' AND overturned_by IS NULL;
