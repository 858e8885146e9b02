-- Issue #29: a change of the working calendar reaches the deadlines already stored. Each
-- calendar applied is kept (its data is the "old" of the next change, whichever worker or
-- operator applies that); each deadline it moved is recorded once per version, so a run cut
-- off resumes without moving any deadline twice.
CREATE TABLE calendar_versions (
    version serial PRIMARY KEY,
    digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    data jsonb NOT NULL,
    act text NOT NULL,
    applied_by text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    -- NULL while its deadlines are being moved; the version in force is the newest completed.
    completed_at timestamptz,
    moved integer NOT NULL DEFAULT 0
);

CREATE TABLE deadline_changes (
    id bigserial PRIMARY KEY,
    calendar_version integer NOT NULL REFERENCES calendar_versions (version),
    application_id uuid NOT NULL REFERENCES applications (application_id),
    -- service_term, agency_reply, hearing, complaint_forward, complaint_review
    deadline text NOT NULL,
    ref text NOT NULL,
    old_due timestamptz NOT NULL,
    new_due timestamptz NOT NULL,
    -- the change put it in the past: it fired at once
    past boolean NOT NULL,
    act text NOT NULL,
    at timestamptz NOT NULL,
    UNIQUE (calendar_version, deadline, ref)
);
CREATE INDEX deadline_changes_application ON deadline_changes (application_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT ON calendar_versions, deadline_changes TO lic_worker;
        GRANT UPDATE (completed_at, moved) ON calendar_versions TO lic_worker;
        GRANT USAGE ON SEQUENCE calendar_versions_version_seq, deadline_changes_id_seq
            TO lic_worker;
    END IF;
END $$;
