-- decision.c: the grounds of the application's latest hearing, and why its term could not be
-- kept (NULL: it could).
SELECT grounds::text, term_note FROM hearings WHERE application_id = $1
ORDER BY proposed_at DESC LIMIT 1;
