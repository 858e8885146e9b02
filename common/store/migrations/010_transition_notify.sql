-- 010: the wake-ups for the dispatchers and the decision workers, once a statement instead of
-- once a row: a batch writes hundreds of transitions in one INSERT, and two PL/pgSQL row
-- triggers cost about as much again as the rows' own index entries.
DROP TRIGGER transitions_dispatch ON transitions;
DROP TRIGGER transitions_decide ON transitions;
DROP FUNCTION dispatch_notify();
DROP FUNCTION decide_notify();
CREATE FUNCTION transitions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Applications reaching awaiting_approvals wake the dispatchers, those reaching
    -- awaiting_decision the decision workers.
    IF EXISTS (SELECT 1 FROM inserted WHERE to_stage = 'awaiting_approvals') THEN
        PERFORM pg_notify('lic_dispatch', '');
    END IF;
    IF EXISTS (SELECT 1 FROM inserted WHERE to_stage = 'awaiting_decision') THEN
        PERFORM pg_notify('lic_decide', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transitions_notify AFTER INSERT ON transitions
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION transitions_notify();
