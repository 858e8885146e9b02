-- mailer.c: the hearing's outcome ($4: decision.h's timer kind) is due a WD after the hearing
-- the notice fixed ($3).
UPDATE timers SET due_at = $3
WHERE application_id = $1 AND kind = $4 AND ref = $2
AND fired_at IS NULL AND cancelled_at IS NULL;
