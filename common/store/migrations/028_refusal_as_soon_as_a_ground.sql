-- ¶13 (issue #27): a refusal is proposed as soon as a ground exists - an agency's early
-- non_compliant, the executor's ground, a registry's - not when the last agency has answered,
-- so that the notice can go out at least 3 WD before the term ends.
INSERT INTO stage_transitions (from_stage, to_stage) VALUES
    ('awaiting_approvals', 'refusal_proposed'),
    ('awaiting_replies', 'refusal_proposed'),
    -- The refusal withdrawn at the hearing while an agency has not answered: its reply (or its
    -- deemed approval, ¶12) is waited for, then the application is decided again.
    ('refusal_proposed', 'awaiting_approvals'),
    ('refusal_proposed', 'awaiting_replies');
SELECT lic_stage_checks();

-- A ground found while the application is not yet awaiting its decision, or while a hearing
-- is pending (it joins it): the decider's to act on. A flag, no time: set by the replies'
-- statement and by the grounds' trigger, cleared by the decider.
ALTER TABLE applications ADD COLUMN ground_pending boolean NOT NULL DEFAULT false;
CREATE INDEX applications_ground_pending ON applications (application_id) WHERE ground_pending;

CREATE FUNCTION applications_ground_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lic_decide', '');
    RETURN NULL;
END $$;
CREATE TRIGGER applications_ground_pending AFTER UPDATE OF ground_pending ON applications
    FOR EACH ROW WHEN (NEW.ground_pending AND NOT OLD.ground_pending)
    EXECUTE FUNCTION applications_ground_notify();

CREATE FUNCTION grounds_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE applications SET ground_pending = true
    WHERE application_id IN (SELECT application_id FROM inserted) AND NOT ground_pending;
    RETURN NULL;
END $$;
CREATE TRIGGER grounds_pending AFTER INSERT ON grounds
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION grounds_pending();

-- An application may have a hearing again after one withdrew the refusal (a ground found
-- later); one pending at a time.
ALTER TABLE hearings DROP CONSTRAINT hearings_application_id_key;
CREATE UNIQUE INDEX hearings_one_pending ON hearings (application_id) WHERE outcome IS NULL;
CREATE INDEX hearings_application ON hearings (application_id, proposed_at);
-- Why the service term could not be kept (a ground that appeared too late for the notice
-- 3 WD before the term ends): the decision records it.
ALTER TABLE hearings ADD COLUMN term_note text;

-- A ground joining a pending hearing is told to the applicant in a further notice.
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_kind_check;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_kind_check
    CHECK (kind IN ('hearing_notice', 'hearing_supplement'));
-- The further notices of an application are counted when a ground joins its hearing.
CREATE INDEX email_outbox_application ON email_outbox (application_id);
