-- Standard row 8, item 2: the documents about a re-registration's changes are not attached
-- when the data is held by the state information systems. The registry's answer is then the
-- evidence of the change: stands_for says which document it stands for, for which declared
-- grounds, and by what rule (NULL when it stands for none).
ALTER TABLE registry_answers ADD COLUMN stands_for jsonb;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lic_worker') THEN
        GRANT UPDATE (stands_for) ON registry_answers TO lic_worker;
    END IF;
END $$;
