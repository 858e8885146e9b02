-- 020: the service term (¶7) watched. term_watch_at is when the timer worker next looks at an
-- application's term: from registration, the end of the working day before the term's last
-- day (deadline_at_risk), then the deadline itself (deadline_breached with an incident); NULL
-- once nothing is left to watch - the result issued, or the breach published. A column of the
-- row the intake writes anyway, not a timers row: one index entry per application, no trigger
-- and no notification on the intake's path (migration 017 took the reply windows out of
-- `timers` for the same reason). The worker reads the next moment on its minute-long sleeps.
ALTER TABLE applications ADD COLUMN term_watch_at timestamptz;
COMMENT ON COLUMN applications.term_watch_at IS
    'when the timer worker next looks at the service term (¶7); NULL: nothing to watch';
CREATE INDEX applications_term_watch ON applications (term_watch_at)
    WHERE term_watch_at IS NOT NULL;
-- Applications registered before this migration: looked at once now; the look computes their
-- at-risk moment from the calendar and publishes nothing before it.
UPDATE applications a SET term_watch_at = now()
  FROM stages s WHERE s.name = a.stage AND NOT s.final;
