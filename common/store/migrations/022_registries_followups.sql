-- Two follow-ups of migration 021 (the registries' step).
--
-- 1. Migration 021 put the registries' step between registration and the approvals: a complete
-- application no longer goes from registered straight to awaiting_approvals or (a
-- re-registration needing none) awaiting_decision. Those two moves stay in stage_transitions
-- for the history written before, but are retired: no new change may take them. The history
-- constraint is rebuilt NOT VALID over the current moves only, so PostgreSQL refuses a new
-- row with a retired move while the old rows stand (domain.c marks the same two).
ALTER TABLE stage_transitions ADD COLUMN retired boolean NOT NULL DEFAULT false;
UPDATE stage_transitions SET retired = true
 WHERE from_stage = 'registered' AND to_stage IN ('awaiting_approvals', 'awaiting_decision');

CREATE OR REPLACE FUNCTION lic_stage_checks() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    known text[];
    legal text[];
BEGIN
    SELECT array_agg(name ORDER BY name) INTO known FROM stages;
    SELECT array_agg(from_stage || '>' || to_stage ORDER BY from_stage, to_stage) INTO legal
      FROM stage_transitions WHERE NOT retired;
    ALTER TABLE applications DROP CONSTRAINT IF EXISTS applications_stage_known;
    EXECUTE format('ALTER TABLE applications ADD CONSTRAINT applications_stage_known'
                   ' CHECK (stage = ANY (%L::text[]))', known);
    ALTER TABLE transitions DROP CONSTRAINT IF EXISTS transitions_legal;
    -- NOT VALID: enforced on new rows, not on the history (which may hold retired moves).
    EXECUTE format('ALTER TABLE transitions ADD CONSTRAINT transitions_legal'
                   ' CHECK (from_stage || ''>'' || to_stage = ANY (%L::text[])) NOT VALID',
                   legal);
END $$;

SELECT lic_stage_checks();

-- 2. A registry's answer kept from an earlier attempt is reused only while fresh
-- (LIC_GATEWAY_ANSWER_MAX_AGE_S); one older is asked again and the new answer replaces it as
-- the evidence (the calls that brought both stay in gateway_calls).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT UPDATE (message_id, answered_at, answer) ON registry_answers TO lic_worker;
    END IF;
END $$;
