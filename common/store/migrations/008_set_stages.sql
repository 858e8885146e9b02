-- 008: stage changes of a whole batch in one statement (ob_batch_flush), each checked as
-- lic_set_stage() checks one: the application must be in the stage the change starts from.
CREATE FUNCTION lic_set_stages(changes json) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    wanted integer;
    done integer;
BEGIN
    SELECT count(*) INTO wanted FROM json_array_elements(changes);
    UPDATE applications a SET stage = c.to_stage, updated_at = now()
      FROM json_to_recordset(changes) AS c(application_id uuid, from_stage text, to_stage text)
     WHERE a.application_id = c.application_id AND a.stage = c.from_stage;
    GET DIAGNOSTICS done = ROW_COUNT;
    IF done <> wanted THEN
        RAISE EXCEPTION '% of % applications are not in the stage their change starts from',
            wanted - done, wanted USING ERRCODE = 'check_violation';
    END IF;
END $$;
