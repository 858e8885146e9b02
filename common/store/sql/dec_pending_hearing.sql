-- decision.c: the pending hearing's grounds joined by more; its id, the notice's address and
-- how many further notices it had.
UPDATE hearings h SET grounds = h.grounds || $2::jsonb
WHERE h.application_id = $1 AND h.outcome IS NULL
RETURNING h.hearing_id, h.email,
          (SELECT count(*) FROM email_outbox o
           WHERE o.application_id = $1 AND o.kind = 'hearing_supplement');
