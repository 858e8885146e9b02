-- 021: the state registries (¶10). A complete application waits in awaiting_registries while
-- the registries worker asks the e-government gateway about its applicant (GBDFL_PERSON or
-- GBDUL_ENTITY, ERD_BANS, COURT_BANS); the answers are kept with it as evidence, the grounds
-- of Standard row 9 they prove are recorded, and it goes on to the approvals (or, for a
-- re-registration that needs none, to the decision). Never granted unchecked: a gateway that
-- is down keeps the application waiting.
INSERT INTO stages (name, final) VALUES ('awaiting_registries', false);
INSERT INTO stage_transitions (from_stage, to_stage) VALUES
    ('registered', 'awaiting_registries'),
    ('awaiting_registries', 'awaiting_approvals'),
    ('awaiting_registries', 'awaiting_decision');
SELECT lic_stage_checks();

-- Whether the agencies must approve (¶11), as the intake decided it at registration: the
-- registries worker moves the application on accordingly.
ALTER TABLE applications ADD COLUMN needs_approvals boolean NOT NULL DEFAULT true;

-- The worker's leases and put-off attempts: an application in awaiting_registries with no row
-- here, or whose next_attempt_at has come, is to be checked; the row is deleted when the check
-- is done. Nothing is written here at registration (the intake's path stays as it was).
CREATE TABLE registry_checks (
    application_id  uuid PRIMARY KEY,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registry_checks_due ON registry_checks (next_attempt_at);
-- The queue is read by stage: awaiting_registries holds the applications being checked only.
CREATE INDEX applications_awaiting_registries ON applications (registered_at)
    WHERE stage = 'awaiting_registries';

-- Every call to the gateway, answered or not: what was asked (service, message id), when, how
-- long it took, and what came back - for operators.
CREATE TABLE gateway_calls (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL,
    message_id     uuid NOT NULL,
    service_id     text NOT NULL,
    asked_at       timestamptz NOT NULL,
    duration_ms    integer NOT NULL,
    tries          integer NOT NULL,
    http_status    integer,
    outcome        text NOT NULL
        CHECK (outcome IN ('answered', 'fault', 'malformed', 'unavailable', 'circuit_open')),
    code           text,
    message        text,
    response_id    text
);
CREATE INDEX gateway_calls_application ON gateway_calls (application_id);
CREATE INDEX gateway_calls_asked ON gateway_calls (asked_at);

-- The registries' answers about the applicant, one a service: the evidence (registry.v1 as
-- JSON, see common/contract/gateway.h).
CREATE TABLE registry_answers (
    application_id uuid NOT NULL,
    service_id     text NOT NULL,
    message_id     uuid NOT NULL,
    answered_at    timestamptz NOT NULL,
    answer         jsonb NOT NULL,
    PRIMARY KEY (application_id, service_id)
);

-- The refusal grounds of Standard row 9 found for an application, with the facts in Kazakh
-- and Russian, the rule and the evidence; each leads to the hearing of ¶13.
CREATE TABLE grounds (
    id             bigserial PRIMARY KEY,
    application_id uuid NOT NULL,
    source         text NOT NULL CHECK (source IN ('registry')),
    code           text NOT NULL,
    number         integer NOT NULL,
    text_kk        text NOT NULL,
    text_ru        text NOT NULL,
    rule           text NOT NULL,
    evidence       jsonb,
    raised_at      timestamptz NOT NULL
);
CREATE INDEX grounds_application ON grounds (application_id);

-- References checked once a statement (migration 015).
CREATE FUNCTION registry_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lic_require_applications(ARRAY(SELECT application_id FROM inserted));
    RETURN NULL;
END $$;
CREATE TRIGGER registry_checks_reference AFTER INSERT ON registry_checks
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION registry_rows_inserted();
CREATE TRIGGER gateway_calls_reference AFTER INSERT ON gateway_calls
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION registry_rows_inserted();
CREATE TRIGGER registry_answers_reference AFTER INSERT ON registry_answers
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION registry_rows_inserted();
CREATE TRIGGER grounds_reference AFTER INSERT ON grounds
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION registry_rows_inserted();

-- Applications reaching awaiting_registries wake the registries workers, as those reaching
-- awaiting_approvals wake the dispatchers (migration 016's trigger, one more wake-up).
CREATE OR REPLACE FUNCTION transitions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
    dispatch boolean;
    decide boolean;
    registries boolean;
BEGIN
    SELECT (SELECT i.application_id::text FROM inserted i
             WHERE (SELECT true FROM applications a
                     WHERE a.application_id = i.application_id) IS NULL
             LIMIT 1),
           bool_or(to_stage = 'awaiting_approvals'), bool_or(to_stage = 'awaiting_decision'),
           bool_or(to_stage = 'awaiting_registries')
      INTO missing, dispatch, decide, registries
      FROM inserted;
    IF missing IS NOT NULL THEN
        PERFORM lic_reference_missing('application', missing);
    END IF;
    IF dispatch THEN
        PERFORM pg_notify('lic_dispatch', '');
    END IF;
    IF decide THEN
        PERFORM pg_notify('lic_decide', '');
    END IF;
    IF registries THEN
        PERFORM pg_notify('lic_registries', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER registry_checks_keys BEFORE UPDATE OF application_id ON registry_checks
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');
CREATE TRIGGER gateway_calls_keys BEFORE UPDATE OF application_id ON gateway_calls
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');
CREATE TRIGGER registry_answers_keys BEFORE UPDATE OF application_id ON registry_answers
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');
CREATE TRIGGER grounds_keys BEFORE UPDATE OF application_id ON grounds
    FOR EACH ROW EXECUTE FUNCTION lic_keys_unchanged('application_id');

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON registry_checks TO lic_worker;
        GRANT SELECT, INSERT ON gateway_calls, registry_answers, grounds TO lic_worker;
        GRANT USAGE ON SEQUENCE gateway_calls_id_seq, grounds_id_seq TO lic_worker;
    END IF;
END $$;
