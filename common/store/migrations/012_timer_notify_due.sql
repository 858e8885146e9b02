-- 012: a new timer's wake-up says when the earliest timer of the statement is due (epoch
-- seconds), so the timer worker goes on sleeping when that is no earlier than the timer it waits
-- for, instead of reading the open timers again after every insert: a read that walks the index
-- entries of every timer cancelled since the last vacuum (6 ms each, 7 times a second, with
-- applications flowing).
CREATE OR REPLACE FUNCTION timers_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lic_timers',
                      coalesce((SELECT extract(epoch FROM min(due_at))::bigint::text FROM inserted), ''));
    RETURN NULL;
END $$;
DROP TRIGGER timers_inserted ON timers;
CREATE TRIGGER timers_inserted AFTER INSERT ON timers
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION timers_notify();
