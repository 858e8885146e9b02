-- 017: the agencies' open reply windows (¶12: 10 WD from the receipt) in a queue of their own,
-- a row an open window, deleted when the window closes - by the reply (the replies worker) or
-- by the deemed approval (the timer worker) - instead of a timers row each, inserted, then
-- marked fired or cancelled. A timers row cost three indexes at its insert (its id, its
-- (application, kind, ref) and the open timers' due time) and a new version with two index
-- entries at its mark; a window's row has one key, the request's, and the open windows' due
-- time, and its delete writes no new version and no index entry. The request keeps the
-- window's deadline (reply_due_at) and its end (outcome); the queue only says which windows
-- are open. Keeping them on the requests themselves, with an index of the requests received
-- and unanswered, was measured and dropped: the outcome, named in that index's predicate, was
-- no longer written as a heap-only tuple, every reply added a version and two index entries to
-- agency_requests, and under the benchmark's lifecycle the table grew to 645 MB for 200,000
-- requests; the reads of requests by application slowed to 50-150 ms until autovacuum caught
-- up, for a minute in each full run (the dispatcher fell to a round a second).
CREATE TABLE reply_windows (
    request_id     uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    due_at         timestamptz NOT NULL,
    -- A window whose firing the database rejects is set aside, as a timer is.
    failed_at      timestamptz,
    error          text
);
CREATE INDEX reply_windows_due ON reply_windows (due_at) WHERE failed_at IS NULL;

-- A window names a request of its application, checked once a statement as in migration 015;
-- the check joins the wake-up of the timer workers with when the earliest new window ends, as
-- an inserted timer's (migration 012).
CREATE FUNCTION reply_windows_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
    due bigint;
BEGIN
    SELECT (SELECT i.request_id::text FROM inserted i
             WHERE (SELECT true FROM agency_requests q WHERE q.request_id = i.request_id
                       AND q.application_id = i.application_id) IS NULL
             LIMIT 1),
           extract(epoch FROM min(due_at) FILTER (WHERE failed_at IS NULL))::bigint
      INTO missing, due
      FROM inserted;
    PERFORM lic_reference_missing('agency request of the application', missing);
    IF due IS NOT NULL THEN
        PERFORM pg_notify('lic_timers', due::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reply_windows_reference AFTER INSERT ON reply_windows
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION reply_windows_inserted();
CREATE TRIGGER reply_windows_keys BEFORE UPDATE OF request_id, application_id ON reply_windows
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('request_id', 'application_id');

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON reply_windows TO lic_worker;
    END IF;
END $$;

-- The open reply-window timers become the queue's rows; one set aside stays aside.
INSERT INTO reply_windows (request_id, application_id, due_at, failed_at, error)
SELECT q.request_id, q.application_id, t.due_at, t.failed_at, t.error
  FROM timers t JOIN agency_requests q
    ON q.request_id::text = t.ref AND q.application_id = t.application_id
 WHERE t.kind = 'agency_reply_window' AND t.fired_at IS NULL AND t.cancelled_at IS NULL
   AND q.outcome IS NULL;
DELETE FROM timers
 WHERE kind = 'agency_reply_window' AND fired_at IS NULL AND cancelled_at IS NULL;

-- A transition caused by a reply window names its request; one caused by a timer names one
-- or the other.
ALTER TABLE transitions ADD COLUMN cause_request_id uuid;
ALTER TABLE transitions ADD CONSTRAINT transitions_timer_cause
    CHECK (cause_kind <> 'timer' OR cause_timer_id IS NOT NULL OR cause_request_id IS NOT NULL);
