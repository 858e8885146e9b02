-- timer.c: when the earliest open timer of the kinds $1 (comma-separated), open reply window
-- or service-term look is due, in epoch seconds (NULL: none is open). Each minimum is read
-- from its partial index; an open reply window is one not set aside (failed_at IS NULL).
SELECT extract(epoch FROM least(
    (SELECT min(due_at) FROM timers
     WHERE fired_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL
       AND kind = ANY (string_to_array($1, ','))),
    (SELECT min(due_at) FROM reply_windows WHERE failed_at IS NULL),
    (SELECT min(term_watch_at) FROM applications WHERE term_watch_at IS NOT NULL)))::bigint;
