-- 004: the register of licenses (issued here or imported), their versions through
-- re-registration, and complaints (Chapter 3, ¶15).

-- One row per license number: who holds it now and which version is in force. A
-- re-registration keeps the number and adds a version (PROCESS.md; Appendix 3).
CREATE TABLE licenses (
    number           text PRIMARY KEY,
    holder_type      text NOT NULL CHECK (holder_type IN ('individual', 'legal_entity')),
    holder_id        char(12) NOT NULL,            -- IIN or BIN of the current holder
    holder_name      text NOT NULL,
    first_issued_on  date NOT NULL,
    version          integer NOT NULL DEFAULT 1,
    application_id   uuid REFERENCES applications, -- NULL for an imported license
    imported         boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licenses_holder ON licenses (holder_id);

CREATE TABLE license_versions (
    number         text NOT NULL REFERENCES licenses,
    version        integer NOT NULL,
    application_id uuid REFERENCES applications,
    kind           text NOT NULL CHECK (kind IN ('issue', 'reissue', 'reissue_split', 'import')),
    holder_id      char(12) NOT NULL,
    holder_name    text NOT NULL,
    issued_on      date NOT NULL,
    annex_only     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (number, version)
);

-- A re-registered license keeps its number: the gapless sequence constrains first issues only,
-- every version of a number is a document of its own.
ALTER TABLE issued_documents DROP CONSTRAINT issued_documents_kind_year_seq_key;
ALTER TABLE issued_documents ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX issued_documents_first_issue ON issued_documents (kind, year, seq)
    WHERE version = 1;
CREATE UNIQUE INDEX issued_documents_version ON issued_documents (kind, number, version);

-- Complaints (¶15): forwarded to the reviewing body within 3 WD unless fully satisfied in
-- that time; reviewed within 5 WD (provider) or 15 WD (authorized body).
CREATE TABLE complaints (
    complaint_id   uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications,
    filed_at       timestamptz NOT NULL,
    registered_at  timestamptz NOT NULL,
    addressed_to   text NOT NULL CHECK (addressed_to IN ('provider', 'authorized_body')),
    text           text NOT NULL,
    forward_due    timestamptz NOT NULL,
    review_due     timestamptz NOT NULL,
    state          text NOT NULL DEFAULT 'registered'
                   CHECK (state IN ('registered', 'forwarded', 'resolved')),
    outcome        text CHECK (outcome IN ('satisfied', 'rejected', 'forwarded')),
    forwarded_at   timestamptz,
    resolved_at    timestamptz,
    source_event   text NOT NULL
);
CREATE INDEX complaints_application ON complaints (application_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT, UPDATE ON licenses, license_versions, complaints TO lic_worker;
    END IF;
END $$;
