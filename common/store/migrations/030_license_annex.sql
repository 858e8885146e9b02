-- Standard row 5 (issue #27): an issue application naming a license its applicant holds adds
-- the next annex (Appendix 3 form 2) to that license - its number kept - instead of a new one.
CREATE TABLE license_annex_requests (
    application_id uuid PRIMARY KEY REFERENCES applications ON DELETE CASCADE,
    license_number text NOT NULL
);

-- How many annexes a license has: its first is issued with it (an imported license is taken
-- to carry one); the next is numbered from here under the row's lock, so two applications
-- annexing the same license never share a number.
ALTER TABLE licenses ADD COLUMN annexes integer NOT NULL DEFAULT 1 CHECK (annexes >= 1);

-- An added annex is the first version of its own number, outside the license numbering (seq 0,
-- as re-registrations are): the first issues' gapless numbers stay unique among themselves.
DROP INDEX issued_documents_first_issue;
CREATE UNIQUE INDEX issued_documents_first_issue ON issued_documents (kind, year, seq)
    WHERE version = 1 AND seq > 0;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT SELECT, INSERT ON license_annex_requests TO lic_worker;
    END IF;
END $$;
