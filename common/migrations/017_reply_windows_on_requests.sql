-- 017: an agency's reply window (¶12: 10 WD from its receipt) is watched on its request, which
-- already holds it (reply_due_at) and its end (outcome), instead of on a timers row that
-- repeated both. Every request received meant a timer inserted by the dispatcher, cancelled by
-- the replies worker or claimed and marked by the timer worker - writes of a second table, each
-- with three indexes, for a state the request has anyway. The timer worker now claims the open
-- windows from the index below and records the deemed approval on the request alone; the
-- transition it causes names the request (cause_request_id). The benchmark's timer phase
-- measured 121 us of CPU a fired window with the timers rows; see the README's Performance.

-- A window whose firing the database rejects is set aside, as a timer is (failed_at, error).
ALTER TABLE agency_requests ADD COLUMN window_failed_at timestamptz,
    ADD COLUMN window_error text;
CREATE INDEX agency_requests_reply_open ON agency_requests (reply_due_at)
    WHERE state = 'received' AND outcome IS NULL AND window_failed_at IS NULL;
-- The outcome is now in an index's predicate, so it is no longer written as a heap-only tuple
-- (nor is any other update of a request: each changes an indexed column or a predicate's):
-- the room migration 014 kept on each page for that serves nothing. That index entry is the
-- price of the window's row: a reply's outcome was 8.6 ms for 1,000 as a heap-only tuple, and
-- its timer's cancel, an update of another table with three indexes, came on top.
ALTER TABLE agency_requests RESET (fillfactor);

-- The open reply-window timers become their requests' windows: one set aside stays aside.
UPDATE agency_requests q SET window_failed_at = t.failed_at, window_error = t.error
  FROM timers t
 WHERE t.kind = 'agency_reply_window' AND t.ref = q.request_id::text
   AND t.application_id = q.application_id AND t.fired_at IS NULL AND t.cancelled_at IS NULL
   AND t.failed_at IS NOT NULL AND q.outcome IS NULL;
DELETE FROM timers
 WHERE kind = 'agency_reply_window' AND fired_at IS NULL AND cancelled_at IS NULL;

-- A transition caused by a reply window names its request; one caused by a timer names one
-- or the other.
ALTER TABLE transitions ADD COLUMN cause_request_id uuid;
ALTER TABLE transitions ADD CONSTRAINT transitions_timer_cause
    CHECK (cause_kind <> 'timer' OR cause_timer_id IS NOT NULL OR cause_request_id IS NOT NULL);

-- A window opened (a request written as received, or its receipt recorded) wakes the timer
-- workers with when it ends, as an inserted timer does (migration 012).
CREATE FUNCTION agency_requests_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    due bigint;
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    SELECT extract(epoch FROM min(reply_due_at))::bigint INTO due FROM inserted
     WHERE state = 'received' AND outcome IS NULL AND window_failed_at IS NULL;
    IF due IS NOT NULL THEN
        PERFORM pg_notify('lic_timers', due::text);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER agency_requests_reference ON agency_requests;
CREATE TRIGGER agency_requests_reference AFTER INSERT ON agency_requests
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION agency_requests_inserted();

CREATE OR REPLACE FUNCTION agency_requests_reply_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
    due bigint;
BEGIN
    SELECT (SELECT i.reply_id::text FROM inserted i
             WHERE i.reply_id IS NOT NULL
               AND (SELECT true FROM agency_replies r WHERE r.id = i.reply_id) IS NULL
             LIMIT 1),
           extract(epoch FROM min(reply_due_at) FILTER (WHERE state = 'received'
               AND outcome IS NULL AND window_failed_at IS NULL))::bigint
      INTO missing, due
      FROM inserted;
    PERFORM lic_reference_missing('agency reply', missing);
    IF due IS NOT NULL THEN
        PERFORM pg_notify('lic_timers', due::text);
    END IF;
    RETURN NULL;
END $$;
