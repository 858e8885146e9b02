-- Issue #28: the status event of a result (license_issued, license_reissued, refused,
-- refused_incomplete) carries each document's signed PDF: its address, SHA-256 and signature
-- (CONTRACT.md). The notary signs after the decision's transaction, so the event is written
-- held there and the notary releases it, with the signatures, in the transaction that signs the
-- last of its application's documents. The relay publishes neither a held row nor a later row
-- of its key, so the application's events keep their order.
ALTER TABLE outbox ADD COLUMN held_by text;

CREATE INDEX outbox_held ON outbox (topic, msg_key, id)
    WHERE held_by IS NOT NULL AND sent_at IS NULL AND discarded_at IS NULL;

-- Held when its application has a document not signed yet. One whose rendering failed
-- (sign_error) holds it too: an unsigned result is not issued; the incident tells operators.
CREATE FUNCTION outbox_hold_for_signature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM issued_documents d
               WHERE d.application_id = NEW.application_id AND d.signed_at IS NULL) THEN
        NEW.held_by := 'notary';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER outbox_result_held BEFORE INSERT ON outbox FOR EACH ROW
    WHEN (NEW.stage IN ('license_issued', 'license_reissued', 'refused', 'refused_incomplete'))
    EXECUTE FUNCTION outbox_hold_for_signature();
