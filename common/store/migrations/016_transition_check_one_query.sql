-- 016: the history's statement trigger in one query. The intake writes an application's first
-- two transitions in a statement of their own, so this trigger runs once an application, and
-- since migration 015 it ran four queries each time: the application check (a call of
-- lic_require_applications(), which calls lic_reference_missing()) and one EXISTS per wake-up.
-- Measured in psql on the benchmark's database, 1,000 such statements of two rows: 106-167 ms
-- with those four, 56-84 ms with the one query below, 44 ms with no trigger at all - the
-- trigger's cost down from 60-120 to 10-40 us a statement. In a 12,000-application lifecycle of
-- the benchmark this statement had taken 5.6 s of the server's 36.9 s (pg_stat_statements),
-- the most of any. The check is the one lic_require_applications() makes, on the same rows,
-- written out here because the call is what cost: keeping it and merging only the two EXISTS
-- measured as the four queries did (102-157 ms). The error is lic_reference_missing()'s.
CREATE OR REPLACE FUNCTION transitions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
    dispatch boolean;
    decide boolean;
BEGIN
    SELECT (SELECT i.application_id::text FROM inserted i
             WHERE (SELECT true FROM applications a
                     WHERE a.application_id = i.application_id) IS NULL
             LIMIT 1),
           bool_or(to_stage = 'awaiting_approvals'), bool_or(to_stage = 'awaiting_decision')
      INTO missing, dispatch, decide
      FROM inserted;
    IF missing IS NOT NULL THEN
        PERFORM lic_reference_missing('application', missing);
    END IF;
    -- Applications reaching awaiting_approvals wake the dispatchers, those reaching
    -- awaiting_decision the decision workers.
    IF dispatch THEN
        PERFORM pg_notify('lic_dispatch', '');
    END IF;
    IF decide THEN
        PERFORM pg_notify('lic_decide', '');
    END IF;
    RETURN NULL;
END $$;
