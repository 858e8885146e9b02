-- 006: executor turns in blocks, and a stage change that fails in the database when the application is not in the stage the
-- worker believes, so a worker can send it without waiting for its row count (deferred
-- writes, common/db.h) and still never moves an application from a stage it is not in.
CREATE FUNCTION lic_set_stage(app uuid, from_stage text, to_stage text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications SET stage = to_stage, updated_at = now()
     WHERE application_id = app AND stage = from_stage;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'application % is not in stage %', app, from_stage
            USING ERRCODE = 'check_violation';
    END IF;
END $$;

-- The intake takes executor turns 64 at a time: one nextval() is a block of its own.
ALTER SEQUENCE executor_rr INCREMENT BY 64;
