-- Issue #28: each issued document as its form's PDF, its SHA-256 and the head's detached CMS
-- signature, stored with it by the notary worker from this table as its queue (rendering takes
-- ~8 ms a document: in the decision's transaction it would slow every grant several times).
ALTER TABLE issued_documents
    ADD COLUMN pdf bytea,
    ADD COLUMN pdf_sha256 text CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
    ADD COLUMN signature bytea,
    ADD COLUMN signer_name text,
    ADD COLUMN signer_iin text,
    ADD COLUMN signer_serial text,
    ADD COLUMN signed_at timestamptz,
    -- Why it could not be rendered or signed (an operator's to look at; not retried).
    ADD COLUMN sign_error text,
    ADD CONSTRAINT issued_documents_signed_whole CHECK (
        (signed_at IS NULL AND pdf IS NULL AND signature IS NULL)
        OR (signed_at IS NOT NULL AND pdf IS NOT NULL AND pdf_sha256 IS NOT NULL
            AND signature IS NOT NULL AND signer_serial IS NOT NULL));

-- The queue: documents not signed yet and not set aside.
CREATE INDEX issued_documents_unsigned ON issued_documents (id)
    WHERE signed_at IS NULL AND sign_error IS NULL;

CREATE FUNCTION issued_documents_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lic_notary', '');
    RETURN NULL;
END $$;
CREATE TRIGGER issued_documents_notary AFTER INSERT ON issued_documents
    FOR EACH STATEMENT EXECUTE FUNCTION issued_documents_notify();
